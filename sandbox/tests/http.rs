//! The execute route, recording and the control API, over real HTTP.

mod common;

use std::collections::HashSet;

use common::*;
use serde_json::{Value, json};
use yunxiao_sandbox::{
    DEFAULT_TOKEN, Fixture, PIPELINE_ID_BASE, SandboxConfig, TokenStatus, VERSION, spawn,
};

#[tokio::test]
async fn success_and_per_stage_counters() {
    let sandbox = sandbox();
    let path = deploy_path();
    let mut pipeline_ids = HashSet::new();
    for expected in 1..=3u64 {
        let response = execute(&sandbox, &path).await;
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "content type"
        );
        let (status, body, request_id) = parts(response).await;
        assert_eq!(status, 200, "{body}");
        assert!(request_id.is_some());
        assert_eq!(body["object"], expected);
        assert_eq!(body["pipelineRunId"], expected);
        let keys: Vec<_> = body.as_object().expect("object").keys().cloned().collect();
        assert_eq!(keys, ["object", "pipelineId", "pipelineRunId"]);
        pipeline_ids.insert(body["pipelineId"].as_u64().expect("number"));
    }
    assert_eq!(pipeline_ids.len(), 1, "pipelineId is stable per stage");

    // Another stage has its own counter and pipeline id.
    let (_, other, _) = parts(execute(&sandbox, &centre(ORG, APP, WF, "stage-build")).await).await;
    assert_eq!(other["object"], 1);
    assert!(!pipeline_ids.contains(&other["pipelineId"].as_u64().expect("number")));

    // The document's example path, first stage of the fixture.
    let doc = centre(DOC_ORG, APP, "xxxxxxxxxxxxxx", "xxxxxxxxxxxxxxx");
    let (status, body, _) = parts(execute(&sandbox, &doc).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["pipelineId"], PIPELINE_ID_BASE + 1);

    // An empty body is accepted, with or without a content type.
    let response = client()
        .post(sandbox.url(&path))
        .header("x-yunxiao-token", DEFAULT_TOKEN)
        .send()
        .await
        .expect("answered");
    let (status, body, _) = parts(response).await;
    assert_eq!((status, body["object"].clone()), (200, json!(4)));

    // Reset restarts counters.
    sandbox.reset();
    let (_, body, _) = parts(execute(&sandbox, &path).await).await;
    assert_eq!(body["object"], 1);
}

#[tokio::test]
async fn request_ids_are_unique() {
    let sandbox = sandbox();
    let mut seen = HashSet::new();
    for path in [deploy_path(), "/nope".to_string(), deploy_path()] {
        let response = execute(&sandbox, &path).await;
        let id = parts(response).await.2.expect("x-acs-request-id present");
        assert!(seen.insert(id));
    }
}

#[tokio::test]
async fn token_errors() {
    let sandbox = sandbox();
    let http = client();
    let url = sandbox.url(&deploy_path());
    let missing = http.post(&url).send().await.expect("answered");
    let (status, body, id) = parts(missing).await;
    assert_eq!(status, 401);
    assert_eq!(
        assert_error_shape(status, &body, id.as_deref()),
        "InvalidTokenError"
    );
    let wrong = http
        .post(&url)
        .header("x-yunxiao-token", "pt-wrong")
        .send()
        .await
        .expect("answered");
    let (status, body, id) = parts(wrong).await;
    assert_eq!(status, 401);
    assert_eq!(
        assert_error_shape(status, &body, id.as_deref()),
        "InvalidTokenError"
    );
    assert!(!body.to_string().contains(DEFAULT_TOKEN));
    // Token is checked before existence.
    let unknown = http
        .post(sandbox.url(&centre("nope", APP, WF, "stage-deploy")))
        .send()
        .await
        .expect("answered");
    assert_eq!(unknown.status(), 401);
}

#[tokio::test]
async fn method_not_allowed() {
    let sandbox = sandbox();
    let response = client()
        .get(sandbox.url(&deploy_path()))
        .header("x-yunxiao-token", DEFAULT_TOKEN)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.headers()["allow"], "POST");
    let (status, body, id) = parts(response).await;
    assert_eq!(status, 405);
    assert_eq!(
        assert_error_shape(status, &body, id.as_deref()),
        "MethodNotAllowed"
    );
    // Method is checked before the token.
    let put = client()
        .put(sandbox.url(&deploy_path()))
        .send()
        .await
        .expect("answered");
    assert_eq!(put.status(), 405);
}

#[tokio::test]
async fn not_found() {
    let sandbox = sandbox();
    let cases = [
        (centre("nope", APP, WF, "stage-deploy"), "organization"),
        (centre(ORG, "nope", WF, "stage-deploy"), "application"),
        (centre(ORG, APP, "nope", "stage-deploy"), "release workflow"),
        (centre(ORG, APP, WF, "nope"), "release stage"),
        (region("nope", WF, "stage-deploy"), "application"),
        (centre(ORG, "%FF", WF, "stage-deploy"), "UTF-8"),
        ("/".to_string(), "no API"),
        ("/oapi/v1/appstack/organizations/x".to_string(), "no API"),
        (
            centre(ORG, APP, WF, "stage-deploy").replace(":execute", "%3Aexecute"),
            "no API",
        ),
    ];
    for (path, needle) in cases {
        let (status, body, id) = parts(execute(&sandbox, &path).await).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(assert_error_shape(status, &body, id.as_deref()), "NotFound");
        let message = body["errorMessage"].as_str().expect("message");
        assert!(message.contains(needle), "{path}: {message}");
    }
    // Unknown paths are 404 whatever the method, with no token.
    let get = client()
        .get(sandbox.url("/anything"))
        .send()
        .await
        .expect("answered");
    assert_eq!(get.status(), 404);
}

#[tokio::test]
async fn bad_bodies() {
    let sandbox = sandbox();
    let http = client();
    let url = sandbox.url(&deploy_path());
    let cases: [(Option<&str>, &str); 6] = [
        (None, r#"{"params": {}}"#),
        (Some("text/plain"), r#"{"params": {}}"#),
        (Some("application/json"), "{not json"),
        (Some("application/json"), "[1, 2]"),
        (Some("application/json"), r#"{"params": "x"}"#),
        (Some("application/json"), " "),
    ];
    for (content_type, body) in cases {
        let mut request = http
            .post(&url)
            .header("x-yunxiao-token", DEFAULT_TOKEN)
            .body(body.to_string());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let (status, answer, id) = parts(request.send().await.expect("answered")).await;
        assert_eq!(status, 400, "{content_type:?} {body}");
        assert_eq!(
            assert_error_shape(status, &answer, id.as_deref()),
            "BadRequest"
        );
    }
    // Parameters on the content type are fine; other body keys are fine.
    let ok = http
        .post(&url)
        .header("x-yunxiao-token", DEFAULT_TOKEN)
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"params": {"FLOW_INST_RUNNING_COMMENT": "hi"}, "extra": 1}"#)
        .send()
        .await
        .expect("answered");
    assert_eq!(ok.status(), 200);
    // Existence is checked before the body.
    let missing = http
        .post(sandbox.url(&centre(ORG, APP, WF, "nope")))
        .header("x-yunxiao-token", DEFAULT_TOKEN)
        .body("{bad")
        .send()
        .await
        .expect("answered");
    assert_eq!(missing.status(), 404);
    // Failed requests do not advance the counter.
    let (_, body, _) = parts(execute(&sandbox, &deploy_path()).await).await;
    assert_eq!(body["object"], 2);
}

#[tokio::test]
async fn prefixed_and_region_paths() {
    let sandbox = sandbox();
    let centre_path = deploy_path();
    let (status, first, _) =
        parts(execute(&sandbox, &format!("/gateway/v2{centre_path}")).await).await;
    assert_eq!(status, 200);
    // Region paths find the app in the first organization that has it: the document's org.
    let (status, region_body, _) =
        parts(execute(&sandbox, &region(APP, WF, "stage-deploy")).await).await;
    assert_eq!(status, 200);
    assert_ne!(region_body["pipelineId"], first["pipelineId"]);
    let (_, doc_body, _) =
        parts(execute(&sandbox, &centre(DOC_ORG, APP, WF, "stage-deploy")).await).await;
    assert_eq!(doc_body["pipelineId"], region_body["pipelineId"]);
    assert_eq!(doc_body["object"], 2, "region and centre share the counter");
    let (status, _, _) = parts(
        execute(
            &sandbox,
            &format!("/prefix{}", region(APP, WF, "stage-deploy")),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn encoded_app_names() {
    let sandbox = sandbox();
    for encoded in [
        "a%2Fb%20c",
        "100%25",
        "what%3F",
        "%23hash",
        "%E5%BA%94%E7%94%A8%E6%9C%8D%E5%8A%A1",
        "app%20with%20space",
        "a+b&c=d",
        "a%2Bb%26c%3Dd",
    ] {
        for path in [
            centre(ORG, encoded, WF, "stage-deploy"),
            region(encoded, WF, "stage-deploy"),
        ] {
            let (status, body, _) = parts(execute(&sandbox, &path).await).await;
            assert_eq!(status, 200, "{path}: {body}");
        }
    }
    // Unencoded slash splits the segment: the path no longer has the execute shape.
    let (status, _, _) =
        parts(execute(&sandbox, &centre(ORG, "a/b%20c", WF, "stage-deploy")).await).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn recording_shape_and_masking() {
    let sandbox = sandbox();
    let path = format!("{}?trace=1", deploy_path());
    let response = client()
        .post(sandbox.url(&path))
        .header("x-yunxiao-token", DEFAULT_TOKEN)
        .header("X-Custom", "Value")
        .json(&json!({"params": {"k": "v"}}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    client()
        .post(sandbox.url("/elsewhere"))
        .header("x-yunxiao-token", "pt-wrong")
        .body("not json \u{00e9}")
        .send()
        .await
        .expect("answered");
    client()
        .get(sandbox.url("/_sandbox/health"))
        .send()
        .await
        .expect("answered");
    client()
        .delete(sandbox.url(&deploy_path()))
        .send()
        .await
        .expect("answered");

    let records = sandbox.requests();
    assert_eq!(records.len(), 3, "control requests are not recorded");
    let first = &records[0];
    assert_eq!(first.seq, 1);
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, path);
    assert_eq!(first.header("x-yunxiao-token"), Some("****"));
    assert_eq!(first.header("x-custom"), Some("Value"));
    assert_eq!(first.token, TokenStatus::Valid);
    assert_eq!(first.json, Some(json!({"params": {"k": "v"}})));
    assert_eq!(records[1].token, TokenStatus::Invalid);
    assert_eq!(records[1].body, "not json \u{00e9}");
    assert_eq!(records[1].json, None);
    assert_eq!(records[2].token, TokenStatus::Missing);
    assert_eq!(records[2].method, "DELETE");

    // The HTTP view has the documented shape and never shows the token.
    let text = client()
        .get(sandbox.url("/_sandbox/requests"))
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("body");
    assert!(!text.contains(DEFAULT_TOKEN));
    assert!(!text.contains("pt-wrong"));
    let view: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(view["count"], 3);
    let record = &view["requests"][0];
    for key in ["seq", "method", "path", "headers", "token", "body", "json"] {
        assert!(record.get(key).is_some(), "missing {key}");
    }
    assert_eq!(record["token"], "valid");
    assert_eq!(view["requests"][2]["token"], "missing");
    assert_eq!(view["requests"][1]["json"], Value::Null);

    // Clearing restarts numbering.
    let cleared = client()
        .delete(sandbox.url("/_sandbox/requests"))
        .send()
        .await
        .expect("answered");
    assert!(cleared.status().is_success());
    execute(&sandbox, "/x").await;
    let records = sandbox.requests();
    assert_eq!((records.len(), records[0].seq), (1, 1));
}

#[tokio::test]
async fn recording_cap_and_switch() {
    let sandbox = spawn(SandboxConfig {
        max_records: 2,
        ..SandboxConfig::default()
    })
    .expect("starts");
    for _ in 0..5 {
        execute(&sandbox, "/x").await;
    }
    assert_eq!(sandbox.request_count(), 5);
    let seqs: Vec<_> = sandbox.requests().iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [4, 5]);
    let view: Value = client()
        .get(sandbox.url("/_sandbox/requests"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(view["count"], 5);
    assert_eq!(view["requests"].as_array().map(Vec::len), Some(2));

    let off = client()
        .put(sandbox.url("/_sandbox/recording"))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .expect("answered");
    assert_eq!(off.status(), 200);
    execute(&sandbox, "/x").await;
    assert_eq!(sandbox.request_count(), 5, "nothing recorded while off");
    let state: Value = client()
        .get(sandbox.url("/_sandbox/recording"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(state["enabled"], false);
    sandbox.set_recording(true);
    execute(&sandbox, "/x").await;
    assert_eq!(sandbox.request_count(), 6);

    let quiet = spawn(SandboxConfig {
        record: false,
        ..SandboxConfig::default()
    })
    .expect("starts");
    execute(&quiet, &deploy_path()).await;
    assert_eq!(quiet.request_count(), 0);
}

#[tokio::test]
async fn token_override_and_fixture_replacement() {
    let sandbox = spawn(SandboxConfig {
        token: Some("pt-override".into()),
        ..SandboxConfig::default()
    })
    .expect("starts");
    assert_eq!(sandbox.token(), "pt-override");
    let (status, _, _) = parts(execute(&sandbox, &deploy_path()).await).await;
    assert_eq!(status, 200);
    let default_token = client()
        .post(sandbox.url(&deploy_path()))
        .header("x-yunxiao-token", DEFAULT_TOKEN)
        .send()
        .await
        .expect("answered");
    assert_eq!(default_token.status(), 401);

    // Replace the fixture over HTTP; the override still applies.
    let fixture = json!({"token": "pt-new", "organizations": {"o1": {"apps": {"app": {
        "releaseWorkflows": {"wf": {"releaseStages": ["s1", "s2"]}}}}}}});
    let put = client()
        .put(sandbox.url("/_sandbox/fixture"))
        .json(&fixture)
        .send()
        .await
        .expect("answered");
    assert_eq!(put.status(), 200);
    let (status, body, _) = parts(execute(&sandbox, &centre("o1", "app", "wf", "s2")).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["pipelineId"], PIPELINE_ID_BASE + 2);
    let (status, _, _) = parts(execute(&sandbox, &deploy_path()).await).await;
    assert_eq!(status, 404, "old fixture gone");

    // GET shows the fixture with the token masked.
    let shown = client()
        .get(sandbox.url("/_sandbox/fixture"))
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("body");
    assert!(!shown.contains("pt-new") && shown.contains("****"));

    // In-process replacement without override uses the fixture's token.
    let plain = sandbox_with_fixture(Fixture::from_json(&fixture.to_string()).expect("valid"));
    assert_eq!(plain.token(), "pt-new");
}

fn sandbox_with_fixture(fixture: Fixture) -> yunxiao_sandbox::SandboxGuard {
    spawn(SandboxConfig {
        fixture,
        ..SandboxConfig::default()
    })
    .expect("starts")
}

#[tokio::test]
async fn control_api() {
    let sandbox = sandbox();
    let http = client();
    let health: Value = http
        .get(sandbox.url("/_sandbox/health"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(
        health,
        json!({"ok": true, "version": VERSION, "tls": false, "ca_path": null,
               // This request's own connection, the first the server accepted.
               "connections_accepted": 1})
    );
    assert_eq!(sandbox.sandbox().connections_accepted(), 1);

    // Bad control input: 400 with the error body, never a crash.
    let bad_inputs: [(&str, &str, &str); 8] = [
        ("POST", "/_sandbox/faults", "{"),
        ("POST", "/_sandbox/faults", "7"),
        ("POST", "/_sandbox/faults", r#"{"times": 0}"#),
        ("POST", "/_sandbox/faults", r#"[{}, {"action": "nope"}]"#),
        ("PUT", "/_sandbox/recording", r#"{"enabled": "yes"}"#),
        ("PUT", "/_sandbox/recording", ""),
        ("PUT", "/_sandbox/fixture", r#"{"organizations": []}"#),
        ("PUT", "/_sandbox/fixture", r#"{"token": ""}"#),
    ];
    for (method, path, body) in bad_inputs {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = http
            .request(method, sandbox.url(path))
            .body(body)
            .send()
            .await
            .expect("answered");
        let (status, answer, id) = parts(response).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert_eq!(
            assert_error_shape(status, &answer, id.as_deref()),
            "BadRequest"
        );
    }
    let unknown = http
        .get(sandbox.url("/_sandbox/nope"))
        .send()
        .await
        .expect("answered");
    assert_eq!(unknown.status(), 404);
    let wrong_method = http
        .post(sandbox.url("/_sandbox/health"))
        .send()
        .await
        .expect("answered");
    assert_eq!(wrong_method.status(), 405);

    // Faults over HTTP: queue one and an array, list, clear.
    let queued: Value = http
        .post(sandbox.url("/_sandbox/faults"))
        .json(&json!({"status": 503}))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(queued["queued"], 1);
    let queued: Value = http
        .post(sandbox.url("/_sandbox/faults"))
        .json(&json!([{"action": "close"}, {"delay_ms": 5, "route": "/x"}]))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (queued["queued"].clone(), queued["pending"].clone()),
        (json!(2), json!(3))
    );
    let pending: Value = http
        .get(sandbox.url("/_sandbox/faults"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(pending["count"], 3);
    assert_eq!(pending["faults"][0]["status"], 503);
    assert_eq!(pending["faults"][0]["action"], "respond");
    assert_eq!(pending["faults"][1]["action"], "close");
    assert_eq!(pending["faults"][2]["action"], "pass");
    assert_eq!(pending["faults"][2]["route"], "/x");
    let cleared = http
        .delete(sandbox.url("/_sandbox/faults"))
        .send()
        .await
        .expect("answered");
    assert!(cleared.status().is_success());
    assert!(sandbox.pending_faults().is_empty());

    // Reset clears requests, faults and counters.
    execute(&sandbox, &deploy_path()).await;
    sandbox.push_fault(yunxiao_sandbox::Fault::respond(500).on_route("/never"));
    let reset = http
        .post(sandbox.url("/_sandbox/reset"))
        .send()
        .await
        .expect("answered");
    assert!(reset.status().is_success());
    assert!(sandbox.requests().is_empty());
    assert!(sandbox.pending_faults().is_empty());
    let (_, body, _) = parts(execute(&sandbox, &deploy_path()).await).await;
    assert_eq!(body["object"], 1);
}

#[tokio::test]
async fn keep_alive_handles_many_requests() {
    let sandbox = sandbox();
    let http = client();
    let url = sandbox.url(&deploy_path());
    let started = std::time::Instant::now();
    let total = 2_000u64;
    for _ in 0..total {
        let response = http
            .post(&url)
            .header("x-yunxiao-token", DEFAULT_TOKEN)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 200);
        response.bytes().await.expect("body");
    }
    let elapsed = started.elapsed();
    assert_eq!(sandbox.request_count(), total);
    let (_, body, _) = parts(execute(&sandbox, &deploy_path()).await).await;
    assert_eq!(body["object"], total + 1);
    eprintln!(
        "{total} sequential requests in {elapsed:?} ({:.0}/s)",
        total as f64 / elapsed.as_secs_f64()
    );
}
