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
