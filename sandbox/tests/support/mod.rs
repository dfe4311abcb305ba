//! Helpers for the tests of the run and listing calls: a sandbox on a frozen clock and a tiny
//! client for the paths under one app.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{Value, json};
use yunxiao_sandbox::{SandboxConfig, SandboxGuard, spawn};

/// The centre-edition path of `my-web-service` in `sandbox-org`.
pub const CENTRE: &str = "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service";
/// The region-edition path of `my-web-service` (found in the first organization).
pub const REGION: &str = "/oapi/v1/appstack/apps/my-web-service";

/// A sandbox whose clock only moves when the test advances it.
pub fn frozen() -> SandboxGuard {
    spawn(SandboxConfig {
        clock_scale: 0.0,
        ..SandboxConfig::default()
    })
    .expect("sandbox starts")
}

/// `…/releaseWorkflows/wf-main/releaseStages/{stage}`.
pub fn stage(stage: &str) -> String {
    format!("/releaseWorkflows/wf-main/releaseStages/{stage}")
}

/// `…/releaseWorkflows/wf-main/releaseStages/{stage}/executions/{n}`.
pub fn execution(stage: &str, n: u64) -> String {
    format!("{}/executions/{n}", self::stage(stage))
}

/// A client for the calls under one app path.
pub struct Api<'a> {
    pub sandbox: &'a SandboxGuard,
    pub app: &'a str,
    http: reqwest::Client,
}

/// A status and the body: JSON when it parses, else the text as a JSON string.
pub type Reply = (u16, Value);

impl<'a> Api<'a> {
    /// Calls under `app` (e.g. [`CENTRE`] or [`REGION`]).
    pub fn new(sandbox: &'a SandboxGuard, app: &'a str) -> Api<'a> {
        Api {
            sandbox,
            app,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client builds"),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request
            .header("x-yunxiao-token", self.sandbox.token())
            .send()
            .await
            .expect("answered");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    /// GET `app + tail`.
    pub async fn get(&self, tail: &str) -> Reply {
        let url = self.sandbox.url(&format!("{}{tail}", self.app));
        self.send(self.http.get(url)).await
    }

    /// POST `app + tail` with no body.
    pub async fn post(&self, tail: &str) -> Reply {
        let url = self.sandbox.url(&format!("{}{tail}", self.app));
        self.send(self.http.post(url)).await
    }

    /// POST `app + tail` with a JSON body.
    pub async fn post_json(&self, tail: &str, body: &Value) -> Reply {
        let url = self.sandbox.url(&format!("{}{tail}", self.app));
        self.send(self.http.post(url).json(body)).await
    }

    /// Executes a stage of `wf-main` with `params` and returns the run number.
    pub async fn execute_with(&self, stage: &str, params: Value) -> u64 {
        let (status, body) = self
            .post_json(
                &format!("{}:execute", self::stage(stage)),
                &json!({ "params": params }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["pipelineRunId"].as_u64().expect("run number")
    }

    /// Executes a stage of `wf-main` and returns the run number.
    pub async fn execute(&self, stage: &str) -> u64 {
        self.execute_with(stage, json!({"FLOW_INST_RUNNING_COMMENT": "test"}))
            .await
    }

    /// The `pipelineRun` object of run `n`.
    pub async fn run(&self, stage: &str, n: u64) -> Value {
        let (status, body) = self
            .get(&format!("{}:getPipelineRun", execution(stage, n)))
            .await;
        assert_eq!(status, 200, "{body}");
        body["pipelineRun"].clone()
    }
}

/// Every job of a run, in order.
pub fn jobs(run: &Value) -> Vec<Value> {
    run["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .flat_map(|s| {
            s["stageInfo"]["jobs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// The status of every job of a run, in order.
pub fn job_statuses(run: &Value) -> Vec<String> {
    jobs(run)
        .iter()
        .map(|j| j["status"].as_str().expect("status").to_string())
        .collect()
}

/// The id of the job named `name`.
pub fn job_id(run: &Value, name: &str) -> u64 {
    jobs(run)
        .iter()
        .find(|j| j["name"] == name)
        .and_then(|j| j["id"].as_u64())
        .unwrap_or_else(|| panic!("no job {name} in {run}"))
}
