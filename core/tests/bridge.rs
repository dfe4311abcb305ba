//! The bindings' generic entry, over real HTTP: names and units per language, paging through
//! `next_args`, events, argument errors.

mod common;

use std::sync::{Arc, Mutex};

use common::builder;
use serde_json::{Value, json};
use yunxiao_appstack::ErrorKind;
use yunxiao_appstack::bridge::{ArgStyle, Hooks};
use yunxiao_sandbox::SandboxConfig;

#[tokio::test]
async fn every_style_runs_calls_pages_and_waits() {
    let sandbox = yunxiao_sandbox::spawn(SandboxConfig {
        clock_scale: 1000.0,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let client = builder(&sandbox).build().expect("client");
    let none = Hooks::default();

    let stage_node = json!({"appName": "my-web-service", "releaseWorkflowSn": "wf-main", "releaseStageSn": "stage-build"});
    for _ in 0..3 {
        let started = client
            .call_bridge(
                "executeReleaseStage",
                stage_node.clone(),
                ArgStyle::Node,
                &none,
            )
            .await
            .expect("execute");
        assert!(started["pipelineRunId"].as_u64().is_some(), "{started}");
    }

    // Paging: each result carries the next page's arguments, in the caller's spelling.
    let mut args = stage_node.clone();
    args["perPage"] = json!(2);
    let mut numbers = Vec::new();
    loop {
        let page = client
            .call_bridge("listReleaseStageRuns", args.clone(), ArgStyle::Node, &none)
            .await
            .expect("page");
        numbers.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|r| r["number"].clone()),
        );
        match &page["nextArgs"] {
            Value::Null => break,
            next => args = next.clone(),
        }
    }
    assert_eq!(numbers, vec![json!(3), json!(2), json!(1)]);

    // A wait in C style: milliseconds, events as JSON.
    let events = Arc::new(Mutex::new(Vec::<Value>::new()));
    let sink = Arc::clone(&events);
    let hooks = Hooks {
        on_event: Some(Arc::new(move |event: &Value| {
            sink.lock().expect("events").push(event.clone())
        })),
        abort: None,
    };
    let outcome = client
        .call_bridge(
            "execute_and_wait",
            json!({"app_name": "my-web-service", "release_workflow_sn": "wf-main",
                   "release_stage_sn": "stage-fail", "poll_initial_ms": 5, "poll_max_ms": 20,
                   "deadline_ms": 20000}),
            ArgStyle::C,
            &hooks,
        )
        .await
        .expect("waited");
    assert_eq!(outcome["outcome"]["state"], "failed", "{outcome}");
    assert_eq!(outcome["outcome"]["failed_jobs"][0]["job"], "Test");
    assert!(
        events
            .lock()
            .expect("events")
            .iter()
            .any(|e| e["event"] == "job_finished")
    );

    // Python style: seconds, snake_case; cancel answers an outcome.
    let run = client
        .call_bridge(
            "execute_release_stage",
            json!({"app_name": "my-web-service",
            "release_workflow_sn": "wf-main", "release_stage_sn": "stage-long"}),
            ArgStyle::Python,
            &none,
        )
        .await
        .expect("execute");
    let cancel = client
        .call_bridge(
            "CancelExecutionReleaseStage",
            json!({"app_name": "my-web-service",
            "release_workflow_sn": "wf-main", "release_stage_sn": "stage-long",
            "execution_number": run["pipeline_run_id"]}),
            ArgStyle::Python,
            &none,
        )
        .await
        .expect("cancel");
    assert_eq!(cancel["canceled"], true, "{cancel}");
}

#[tokio::test]
async fn argument_errors_name_the_argument_as_the_caller_spelled_it() {
    let sandbox = yunxiao_sandbox::spawn(SandboxConfig::default()).expect("sandbox");
    let client = builder(&sandbox).build().expect("client");
    let none = Hooks::default();
    let cases = [
        (
            ArgStyle::Node,
            json!({"appName": "a", "release_workflow_sn": "w"}),
            "\"release_workflow_sn\"",
        ),
        (
            ArgStyle::Node,
            json!({"appName": "a", "releaseWorkflowSn": "w", "releaseStageSn": "s", "executionNumber": "x"}),
            "executionNumber",
        ),
        (
            ArgStyle::Python,
            json!({"app_name": "a", "release_workflow_sn": "w", "release_stage_sn": "s"}),
            "missing argument execution_number",
        ),
        (
            ArgStyle::C,
            json!({"app_name": "a", "release_workflow_sn": "w", "release_stage_sn": "s", "execution_number": 1, "deadline_ms": 0}),
            "unknown argument",
        ),
    ];
    for (style, args, needle) in cases {
        let error = client
            .call_bridge("get_release_stage_pipeline_run", args, style, &none)
            .await
            .expect_err("refused");
        assert_eq!(error.kind(), ErrorKind::InvalidRequest);
        assert!(error.to_string().contains(needle), "{style:?}: {error}");
    }
    let error = client
        .call_bridge(
            "wait_for_run",
            json!({"appName": "a", "releaseWorkflowSn": "w", "releaseStageSn": "s",
            "executionNumber": 1, "deadlineMs": -5}),
            ArgStyle::Node,
            &none,
        )
        .await
        .expect_err("bad duration");
    assert!(
        error.to_string().contains("deadlineMs must be above 0"),
        "{error}"
    );
    let error = client
        .call_bridge("noSuchCall", json!({}), ArgStyle::Node, &none)
        .await
        .expect_err("unknown");
    assert!(error.to_string().contains("unknown operation"), "{error}");
    assert_eq!(sandbox.request_count(), 0, "nothing was sent");
}
