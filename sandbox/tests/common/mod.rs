//! Helpers shared by the integration tests (each test file uses a subset).
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;
use yunxiao_sandbox::{SandboxConfig, SandboxGuard, spawn};

pub const ORG: &str = "sandbox-org";
pub const DOC_ORG: &str = "ec766e63aee3437d9a51f334d6exe671";
pub const APP: &str = "my-web-service";
pub const WF: &str = "wf-main";

/// A sandbox with the default configuration.
pub fn sandbox() -> SandboxGuard {
    spawn(SandboxConfig::default()).expect("sandbox starts")
}

/// A client that never hangs a test.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client builds")
}

/// A centre-edition execute path with already-encoded segments.
pub fn centre(org: &str, app: &str, wf: &str, stage: &str) -> String {
    format!(
        "/oapi/v1/appstack/organizations/{org}/apps/{app}/releaseWorkflows/{wf}/releaseStages/{stage}:execute"
    )
}

/// A region-edition execute path with already-encoded segments.
pub fn region(app: &str, wf: &str, stage: &str) -> String {
    format!("/oapi/v1/appstack/apps/{app}/releaseWorkflows/{wf}/releaseStages/{stage}:execute")
}

/// The default centre path used by most tests.
pub fn deploy_path() -> String {
    centre(ORG, APP, WF, "stage-deploy")
}

/// POSTs `{"params": {}}` with the sandbox's token.
pub async fn execute(sandbox: &SandboxGuard, path: &str) -> reqwest::Response {
    client()
        .post(sandbox.url(path))
        .header("x-yunxiao-token", sandbox.token())
        .json(&serde_json::json!({"params": {}}))
        .send()
        .await
        .expect("request answered")
}

/// Status, JSON body and request id header of a response.
pub async fn parts(response: reqwest::Response) -> (u16, Value, Option<String>) {
    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get("x-acs-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = response.text().await.expect("body read");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body, request_id)
}

/// Asserts the documented error body shape and returns its errorCode.
pub fn assert_error_shape(status: u16, body: &Value, request_id: Option<&str>) -> String {
    let object = body.as_object().expect("error body is an object");
    for key in [
        "errorCode",
        "errorMessage",
        "requestId",
        "traceId",
        "httpStatus",
        "title",
        "hasDetailSolution",
    ] {
        assert!(object.contains_key(key), "missing {key} in {body}");
    }
    assert_eq!(body["httpStatus"], Value::String(status.to_string()));
    assert_eq!(body["hasDetailSolution"], Value::Bool(false));
    assert_eq!(
        body["requestId"].as_str(),
        request_id,
        "header and body ids"
    );
    body["errorCode"].as_str().expect("string").to_string()
}
