//! Fault injection over real HTTP.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use yunxiao_sandbox::{DEFAULT_TOKEN, Fault, FaultAction};

#[tokio::test]
async fn respond_with_default_error_bodies() {
    let sandbox = sandbox();
    for (status, code) in [
        (429, "TooManyRequests"),
        (503, "ServiceUnavailable"),
        (500, "InternalServerError"),
        (502, "BadGateway"),
        (504, "GatewayTimeout"),
        (403, "Forbidden"),
    ] {
        sandbox.push_fault(Fault::respond(status));
        let response = execute(&sandbox, &deploy_path()).await;
        assert_eq!(response.headers()["content-type"], "application/json");
        let (got, body, id) = parts(response).await;
        assert_eq!(got, status);
        assert_eq!(assert_error_shape(got, &body, id.as_deref()), code);
    }
    // Faulted requests never reached the route: the counter is untouched.
    let (_, body, _) = parts(execute(&sandbox, &deploy_path()).await).await;
    assert_eq!(body["object"], 1);
}

#[tokio::test]
async fn respond_with_headers_and_bodies() {
    let sandbox = sandbox();
    sandbox.push_faults([
        Fault::respond(429).with_header("Retry-After", "1"),
        Fault::respond(502).with_text_body("<html><body>Bad Gateway</body></html>"),
        Fault::respond(503).with_text_body("upstream down"),
        Fault::respond(500).with_json_body(json!({"code": "Custom", "n": 1})),
        Fault::respond(200).with_text_body(""),
        Fault::respond(401)
            .with_header("x-acs-request-id", "fixed-id")
            .with_header("content-type", "application/problem+json")
            .with_text_body("{}"),
    ]);
    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert!(response.headers().contains_key("x-acs-request-id"));

    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert!(response.text().await.expect("body").starts_with("<html>"));

    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.text().await.expect("body"), "upstream down");

    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, json!({"code": "Custom", "n": 1}));

    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "");

    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.headers()["x-acs-request-id"], "fixed-id");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn queue_order_times_and_route_matching() {
    let sandbox = sandbox();
    let target = deploy_path();
    let encoded = centre(ORG, "a%2Fb%20c", WF, "stage-deploy");
    sandbox.push_faults([
        Fault::respond(503).times(2),
        Fault::respond(502).on_route(&target),
        Fault::respond(429),
        Fault::respond(418).on_route(&encoded),
        Fault::respond(409).on_route(format!("{target}?x=1")),
    ]);
    let status = |response: reqwest::Response| response.status().as_u16();
    // The exact route wins over earlier "*" faults.
    assert_eq!(status(execute(&sandbox, &target).await), 502);
    // Then FIFO among "*" faults, `times` respected.
    assert_eq!(status(execute(&sandbox, "/other").await), 503);
    assert_eq!(status(execute(&sandbox, &target).await), 503);
    // Path-with-query routes match the full raw target.
    assert_eq!(
        status(execute(&sandbox, &format!("{target}?x=1")).await),
        409
    );
    assert_eq!(status(execute(&sandbox, &target).await), 429);
    // Routes compare raw: another spelling of the same app does not match.
    assert_eq!(
        status(execute(&sandbox, &centre(ORG, "a%2Fb+c", WF, "stage-deploy")).await),
        404
    );
    assert_eq!(status(execute(&sandbox, &target).await), 200);
    assert_eq!(sandbox.pending_faults().len(), 1);
    assert_eq!(status(execute(&sandbox, &encoded).await), 418);
    assert!(sandbox.pending_faults().is_empty());
    // Every faulted request was recorded too.
    assert_eq!(sandbox.request_count(), 8);
}

#[tokio::test]
async fn fault_json_defaults_over_http() {
    let sandbox = sandbox();
    let http = client();
    let posted = http
        .post(sandbox.url("/_sandbox/faults"))
        .json(&json!([{}, {"delay_ms": 10}, {"action": "malformed_json", "times": 2}]))
        .send()
        .await
        .expect("answered");
    assert_eq!(posted.status(), 200);
    let pending = sandbox.pending_faults();
    assert_eq!(pending[0], Fault::default());
    assert_eq!(pending[1].action, FaultAction::Pass);
    assert_eq!(pending[1].delay_ms, 10);
    assert_eq!(pending[2].times, 2);
    let statuses = [500, 200, 200, 200];
    for expected in statuses {
        let response = execute(&sandbox, &deploy_path()).await;
        assert_eq!(response.status(), expected);
    }
    // Remaining `times` shows in GET.
    sandbox.push_fault(Fault::close().times(3));
    execute_may_fail(&sandbox).await;
    let listed: Value = http
        .get(sandbox.url("/_sandbox/faults"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["faults"][0]["times"], 2);
}

async fn execute_may_fail(sandbox: &yunxiao_sandbox::SandboxGuard) -> Option<u16> {
    client()
        .post(sandbox.url(&deploy_path()))
        .header("x-yunxiao-token", DEFAULT_TOKEN)
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

#[tokio::test]
async fn pass_with_delay_does_not_block_others() {
    let sandbox = sandbox();
    let slow_path = centre(ORG, APP, WF, "stage-build");
    sandbox.push_fault(Fault::delay(600).on_route(&slow_path));
    let slow = {
        let url = sandbox.url(&slow_path);
        tokio::spawn(async move {
            let started = Instant::now();
            let response = client()
                .post(url)
                .header("x-yunxiao-token", DEFAULT_TOKEN)
                .send()
                .await
                .expect("answered");
            (response.status().as_u16(), started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let (status, _, _) = parts(execute(&sandbox, &deploy_path()).await).await;
    let fast = started.elapsed();
    assert_eq!(status, 200);
    let (slow_status, slow_elapsed) = slow.await.expect("task");
    assert_eq!(slow_status, 200, "pass answers normally after the delay");
    assert!(
        slow_elapsed >= Duration::from_millis(600),
        "{slow_elapsed:?}"
    );
    assert!(fast < Duration::from_millis(400), "{fast:?}");
}

#[tokio::test]
async fn delay_before_respond() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::respond(503).with_delay_ms(300));
    let started = Instant::now();
    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn close_sends_nothing() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::close());
    let result = client()
        .post(sandbox.url(&deploy_path()))
        .header("x-yunxiao-token", DEFAULT_TOKEN)
        .send()
        .await;
    let error = result.expect_err("no answer");
    assert!(!error.is_timeout(), "{error}");
    assert_eq!(sandbox.request_count(), 1, "closed requests are recorded");
    // The server keeps serving.
    assert_eq!(execute(&sandbox, &deploy_path()).await.status(), 200);
}

#[tokio::test]
async fn malformed_json() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::malformed_json());
    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.expect("body");
    assert_eq!(text, r#"{"object": 1, "pipelineRunId": "#);
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn oversized() {
    let sandbox = sandbox();
    let size = 3 * 1024 * 1024 + 7;
    sandbox.push_fault(Fault::oversized(size));
    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.content_length(), Some(size));
    let bytes = response.bytes().await.expect("body");
    assert_eq!(bytes.len() as u64, size);
    let value: Value = serde_json::from_slice(&bytes).expect("valid JSON");
    assert_eq!(value["object"], 1);

    // The JSON form defaults to 16 MiB.
    let posted: Value = client()
        .post(sandbox.url("/_sandbox/faults"))
        .json(&json!({"action": "oversized"}))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(posted["queued"], 1);
    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.content_length(), Some(16 * 1024 * 1024));
    assert_eq!(
        response.bytes().await.expect("body").len(),
        16 * 1024 * 1024
    );
}

#[tokio::test]
async fn cut_body() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::cut_body());
    let response = execute(&sandbox, &deploy_path()).await;
    assert_eq!(response.status(), 200);
    let announced = response.content_length().expect("content-length");
    assert!(announced > 0);
    let body = response.bytes().await;
    assert!(body.is_err(), "the body must fail, got {body:?}");
    assert_eq!(execute(&sandbox, &deploy_path()).await.status(), 200);
}

#[tokio::test]
async fn faults_apply_to_any_path_and_method() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::respond(503));
    let response = client()
        .get(sandbox.url("/not/an/api"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 503);
    // Control requests neither consume faults nor get faulted.
    sandbox.push_fault(Fault::respond(500));
    let health = client()
        .get(sandbox.url("/_sandbox/health"))
        .send()
        .await
        .expect("answered");
    assert_eq!(health.status(), 200);
    assert_eq!(sandbox.pending_faults().len(), 1);
}
