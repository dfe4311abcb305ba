//! Replays every conformance vector in `tests/vectors/` against the sandbox, over real HTTP
//! and once more over real HTTPS (the sandbox's `--tls`, its CA trusted through `ca_bundle`).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use yunxiao_appstack::{
    ClientBuilder, Edition, Error, ExecuteReleaseStageRequest, ExecuteReleaseStageResponse,
    ReleaseBranchRepoInfo,
};
use yunxiao_sandbox::{Fault, SandboxConfig, SandboxGuard};

fn vector_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn client_for(vector: &Value, sandbox: &SandboxGuard) -> Result<yunxiao_appstack::Client, Error> {
    let settings = &vector["client"];
    let token = settings["token"].as_str().unwrap_or(sandbox.token());
    let base_url = match settings["base_url"].as_str() {
        Some(url) => url.to_owned(),
        None => format!(
            "{}{}",
            sandbox.base_url(),
            settings["base_path"].as_str().unwrap_or("")
        ),
    };
    let mut builder = ClientBuilder::new()
        .ignore_environment()
        .token(token)
        .base_url(base_url)
        .request_timeout(Duration::from_secs_f64(
            settings["timeout"].as_f64().unwrap_or(10.0),
        ));
    if let Some(edition) = settings["edition"].as_str() {
        builder = builder.edition(edition.parse::<Edition>()?);
    }
    if let Some(org) = settings["organization_id"].as_str() {
        builder = builder.organization_id(org);
    }
    if let Some(n) = settings["max_retries"].as_u64() {
        builder = builder.max_retries(u32::try_from(n).expect("small"));
    }
    if let Some(ca) = sandbox.ca_path() {
        builder = builder.ca_bundle(ca);
    }
    builder.build()
}

fn request_for(input: &Value) -> Result<ExecuteReleaseStageRequest, Error> {
    let text = |key: &str| input[key].as_str().unwrap_or_default().to_owned();
    let mut request = ExecuteReleaseStageRequest::new(
        text("app_name"),
        text("release_workflow_sn"),
        text("release_stage_sn"),
    );
    if let Some(org) = input["organization_id"].as_str() {
        request = request.organization_id(org);
    }
    if let Some(comment) = input["comment"].as_str() {
        request = request.comment(comment);
    }
    let pairs = |key: &str| -> Vec<(String, String)> {
        input[key]
            .as_object()
            .map(|map| {
                map.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().expect("string values").to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    };
    request = request
        .variables(pairs("variables"))
        .branches(pairs("branches"));
    if let Some(info) = input.get("release_branch_repo_info") {
        let info: ReleaseBranchRepoInfo = serde_json::from_value(info.clone())
            .map_err(|e| Error::invalid_request(e.to_string()))?;
        request = request.release_branch_repo_info(info);
    }
    if let Some(params) = input.get("params") {
        request = request.extra_params(params.clone());
    }
    Ok(request)
}

fn check_result(name: &str, expected: &Value, got: &ExecuteReleaseStageResponse) {
    let field = |key: &str| expected.get(key).and_then(Value::as_u64);
    if let Some(id) = field("run_id") {
        assert_eq!(got.run_id(), Some(id), "{name}: run_id");
    }
    if let Some(id) = field("object") {
        assert_eq!(got.object, Some(id), "{name}: object");
    }
    if let Some(id) = field("pipeline_run_id") {
        assert_eq!(got.pipeline_run_id, Some(id), "{name}: pipeline_run_id");
    }
    if expected["request_id"] == Value::Bool(true) {
        assert!(
            got.request_id.as_deref().is_some_and(|id| !id.is_empty()),
            "{name}: request_id"
        );
    }
}

fn check_error(name: &str, expected: &Value, got: &Error) {
    assert_eq!(
        got.kind().as_str(),
        expected["kind"].as_str().expect("kind"),
        "{name}: kind of {got}"
    );
    assert_eq!(
        got.may_have_executed(),
        expected["may_have_executed"]
            .as_bool()
            .expect("may_have_executed"),
        "{name}: may_have_executed of {got}"
    );
    if let Some(status) = expected.get("status") {
        assert_eq!(
            got.status().map(u64::from),
            status.as_u64(),
            "{name}: status"
        );
    }
    if let Some(code) = expected.get("error_code") {
        assert_eq!(
            got.api().and_then(|a| a.error_code.as_deref()),
            code.as_str(),
            "{name}: error_code"
        );
    }
    if let Some(secs) = expected.get("retry_after") {
        assert_eq!(
            got.retry_after().map(|d| d.as_secs_f64()),
            secs.as_f64(),
            "{name}: retry_after"
        );
    }
}

/// Every recorded request must be the expected one: a retry resends exactly the same request.
fn check_request(name: &str, expected: &Value, sandbox: &SandboxGuard) {
    for (index, recorded) in sandbox.requests().iter().enumerate() {
        let name = format!("{name} (request {})", index + 1);
        assert_eq!(
            recorded.method,
            expected["method"].as_str().expect("method"),
            "{name}: method"
        );
        assert_eq!(
            recorded.path,
            expected["path"].as_str().expect("path"),
            "{name}: path"
        );
        for (header, value) in expected["headers"].as_object().expect("headers") {
            assert_eq!(
                recorded.header(header),
                value.as_str(),
                "{name}: header {header}"
            );
        }
        if let Some(prefix) = expected["user_agent_prefix"].as_str() {
            let agent = recorded.header("user-agent").unwrap_or_default();
            assert!(agent.starts_with(prefix), "{name}: user-agent {agent}");
        }
        assert_eq!(
            serde_json::to_value(recorded.token)
                .expect("serializable")
                .as_str(),
            expected["token"].as_str(),
            "{name}: token"
        );
        assert_eq!(
            recorded.json.as_ref(),
            Some(&expected["body"]),
            "{name}: body"
        );
    }
}

/// The execute operation's name: vectors without an `operation` are execute vectors too.
const EXECUTE: &str = "ExecuteChangeRequestReleaseStage";

/// `expected` is contained in `got`: every key of an expected object is present with a
/// contained value, arrays match element by element (the expected ones first).
fn contains(expected: &Value, got: &Value) -> bool {
    match (expected, got) {
        (Value::Object(want), Value::Object(have)) => want
            .iter()
            .all(|(k, v)| have.get(k).is_some_and(|h| contains(v, h))),
        (Value::Array(want), Value::Array(have)) => {
            want.len() <= have.len() && want.iter().zip(have).all(|(w, h)| contains(w, h))
        }
        (want, have) => want == have,
    }
}

/// Every recorded request of an operation vector: method, path with query, token, body.
fn check_operation_request(name: &str, expected: &Value, sandbox: &SandboxGuard) {
    for (index, recorded) in sandbox.requests().iter().enumerate() {
        let name = format!("{name} (request {})", index + 1);
        assert_eq!(
            recorded.method,
            expected["method"].as_str().expect("method"),
            "{name}"
        );
        assert_eq!(
            recorded.path,
            expected["path"].as_str().expect("path"),
            "{name}"
        );
        assert_eq!(
            serde_json::to_value(recorded.token)
                .expect("serializable")
                .as_str(),
            expected["token"].as_str(),
            "{name}: token"
        );
        match &expected["body"] {
            Value::Null => {
                assert!(
                    recorded.body.is_empty(),
                    "{name}: no body, got {:?}",
                    recorded.body
                );
                assert_eq!(
                    recorded.header("content-type"),
                    None,
                    "{name}: no content-type"
                );
            }
            body => {
                assert_eq!(recorded.json.as_ref(), Some(body), "{name}: body");
                assert_eq!(
                    recorded.header("content-type"),
                    Some("application/json"),
                    "{name}"
                );
            }
        }
    }
}

/// A sandbox serving https from a throwaway CA.
fn tls_sandbox() -> SandboxGuard {
    yunxiao_sandbox::spawn(SandboxConfig {
        tls: true,
        ..SandboxConfig::default()
    })
    .expect("the https sandbox starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_vector_replays_against_the_sandbox() {
    replay_operation_vectors(&common::sandbox()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_vector_replays_against_the_sandbox_over_https() {
    let sandbox = tls_sandbox();
    assert!(sandbox.base_url().starts_with("https://"));
    replay_operation_vectors(&sandbox).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vector_replays_against_the_sandbox() {
    replay_execute_vectors(&common::sandbox()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vector_replays_against_the_sandbox_over_https() {
    let sandbox = tls_sandbox();
    assert!(sandbox.base_url().starts_with("https://"));
    replay_execute_vectors(&sandbox).await;
}

/// Replays every vector of an operation other than execute through `call_json`.
async fn replay_operation_vectors(sandbox: &SandboxGuard) {
    let mut seen = std::collections::BTreeSet::new();
    for file in &vector_files() {
        let vector: Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("readable")).expect("JSON");
        let operation = vector["operation"].as_str().unwrap_or(EXECUTE);
        seen.insert(operation.to_owned());
        if operation == EXECUTE {
            continue;
        }
        let name = vector["name"].as_str().expect("name").to_owned();
        sandbox.reset();
        if let Some(faults) = vector.get("faults") {
            let faults: Vec<Fault> = serde_json::from_value(faults.clone()).expect("valid faults");
            sandbox.push_faults(faults);
        }
        let outcome = match client_for(&vector, sandbox) {
            Ok(client) => client.call_json(operation, vector["args"].clone()).await,
            Err(e) => Err(e),
        };
        let expect = &vector["expect"];
        match (&outcome, expect.get("result"), expect.get("error")) {
            (Ok(got), Some(result), None) => {
                assert!(
                    contains(result, got),
                    "{name}: expected {result} within {got}"
                );
            }
            (Err(got), None, Some(error)) => check_error(&name, error, got),
            _ => panic!("{name}: unexpected outcome {outcome:?}"),
        }
        assert_eq!(
            sandbox.request_count(),
            expect["requests"].as_u64().expect("requests"),
            "{name}: requests sent"
        );
        if expect["requests"].as_u64() != Some(0) {
            check_operation_request(&name, &expect["request"], sandbox);
        }
    }
    let catalog: std::collections::BTreeSet<String> = yunxiao_appstack::catalog::OPERATIONS
        .iter()
        .map(|e| e.info.name.to_owned())
        .collect();
    assert_eq!(
        seen, catalog,
        "every operation has vectors, and no vector names an unknown one"
    );
}

/// Replays every execute vector through `execute_release_stage`.
async fn replay_execute_vectors(sandbox: &SandboxGuard) {
    let files = vector_files();
    assert!(files.len() >= 40, "the vectors are there ({})", files.len());
    for file in &files {
        let vector: Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("readable")).expect("JSON");
        if vector["operation"].as_str().unwrap_or(EXECUTE) != EXECUTE {
            continue;
        }
        let name = vector["name"].as_str().expect("name").to_owned();
        sandbox.reset();
        if let Some(faults) = vector.get("faults") {
            let faults: Vec<Fault> = serde_json::from_value(faults.clone()).expect("valid faults");
            sandbox.push_faults(faults);
        }
        let outcome = match (client_for(&vector, sandbox), request_for(&vector["input"])) {
            (Ok(client), Ok(request)) => client.execute_release_stage(&request).await,
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        let expect = &vector["expect"];
        match (&outcome, expect.get("result"), expect.get("error")) {
            (Ok(got), Some(result), None) => check_result(&name, result, got),
            (Err(got), None, Some(error)) => check_error(&name, error, got),
            _ => panic!("{name}: unexpected outcome {outcome:?}"),
        }
        // Requests still in flight (a timed-out one) are recorded on arrival, so the count is
        // final once the call has returned.
        assert_eq!(
            sandbox.request_count(),
            expect["requests"].as_u64().expect("requests"),
            "{name}: requests sent"
        );
        if let Some(request) = expect.get("request") {
            check_request(&name, request, sandbox);
        }
    }
}
