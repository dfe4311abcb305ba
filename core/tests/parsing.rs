//! Parsing never panics: arbitrary bytes as bodies, arbitrary strings as ids.

use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use yunxiao_appstack::{
    ClientBuilder, ExecuteReleaseStageRequest, parse_answer, parse_retry_after, prepare,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_body_with_any_status_gives_a_result_or_a_typed_error(
        status in 100u16..600,
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        match parse_answer(status, &body) {
            Ok(response) => prop_assert!((200..300).contains(&status) && response.raw.is_object()),
            Err(error) => {
                let _ = (error.to_string(), error.kind(), error.may_have_executed(), error.message());
            }
        }
    }

    #[test]
    fn json_shaped_bodies_never_panic(
        status in prop_oneof![Just(200u16), Just(429u16), Just(500u16), 100u16..600],
        object in any::<Option<i64>>(),
        run in ".{0,30}",
        code in ".{0,30}",
        float in any::<f64>(),
    ) {
        let body = serde_json::json!({
            "object": object, "pipelineRunId": run, "pipelineId": float,
            "errorCode": code, "errorMessage": run, "requestId": float,
        });
        let _ = parse_answer(status, body.to_string().as_bytes());
    }

    #[test]
    fn any_ids_give_a_request_or_an_invalid_request(
        org in "(?s).{0,12}", app in "(?s).{0,12}", wf in "(?s).{0,12}", stage in "(?s).{0,12}",
        key in "(?s).{0,8}", value in "(?s).{0,8}",
    ) {
        let config = ClientBuilder::new().ignore_environment().token("pt-test-token").resolve().expect("valid");
        let request = ExecuteReleaseStageRequest::new(app.clone(), wf.clone(), stage.clone())
            .organization_id(org.clone())
            .variable(key, value);
        match prepare(&config, &request) {
            Ok(prepared) => {
                // Every id stays inside its own segment and decodes back to itself.
                let path = prepared.url.path();
                let stage_segment = path.strip_suffix(":execute").expect("literal suffix");
                let segments: Vec<String> = stage_segment
                    .split('/')
                    .map(|s| percent_decode_str(s).decode_utf8().expect("UTF-8").into_owned())
                    .collect();
                prop_assert_eq!(segments.len(), 12);
                prop_assert_eq!(&segments[5], &org);
                prop_assert_eq!(&segments[7], &app);
                prop_assert_eq!(&segments[9], &wf);
                prop_assert_eq!(&segments[11], &stage);
                prop_assert!(!prepared.url.as_str().contains('#') && prepared.url.query().is_none());
            }
            Err(error) => prop_assert_eq!(error.kind().as_str(), "invalid_request"),
        }
    }

    #[test]
    fn any_retry_after_value_parses_or_is_ignored(value in "(?s).{0,40}") {
        let _ = parse_retry_after(&value, std::time::SystemTime::now());
    }
}

/// Arbitrary JSON values, nested a few levels: the shapes a confused server might send.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-zA-Z0-9{}\":, -]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("pipelineRun".to_owned()),
            Just("stages".to_owned()),
            Just("stageInfo".to_owned()),
            Just("jobs".to_owned()),
            Just("status".to_owned()),
            Just("id".to_owned()),
            Just("data".to_owned()),
            Just("records".to_owned()),
            Just("content".to_owned()),
            Just("more".to_owned()),
            Just("success".to_owned()),
            Just("startTime".to_owned()),
            Just("actions".to_owned()),
            Just("params".to_owned()),
            Just("number".to_owned()),
            Just("nextToken".to_owned()),
            Just("current".to_owned()),
            Just("pages".to_owned()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys, inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_operation_reads_any_bytes_without_panicking(
        status in prop_oneof![Just(200u16), 100u16..600],
        body in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        for entry in yunxiao_appstack::catalog::OPERATIONS {
            if let Err(error) = entry.parse_answer(status, &body) {
                let _ = (error.to_string(), error.kind(), error.may_have_executed());
            }
        }
    }

    #[test]
    fn every_operation_reads_any_json_without_panicking(value in any_json()) {
        let body = value.to_string();
        for entry in yunxiao_appstack::catalog::OPERATIONS {
            if let Ok(result) = entry.parse_answer(200, body.as_bytes()) {
                // Whatever was read serializes back: the bindings receive it as JSON.
                prop_assert!(serde_json::to_string(&result).is_ok());
            }
        }
    }
}
