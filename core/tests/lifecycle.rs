//! Seeing a release through against the sandbox's run model on a fast clock.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::builder;
use yunxiao_appstack::{
    AbortHandle, AppRef, Client, ErrorKind, ExecuteReleaseStageRequest, OnApproval, RunEvent,
    RunStatus, StageRef, StartedSinceOptions, WaitOptions, WaitState,
};
use yunxiao_sandbox::{Fault, SandboxConfig, SandboxGuard};

/// A sandbox whose clock runs 1000× faster: a 10 s job takes 10 ms.
fn fast_sandbox() -> SandboxGuard {
    yunxiao_sandbox::spawn(SandboxConfig {
        clock_scale: 1000.0,
        ..SandboxConfig::default()
    })
    .expect("the sandbox starts")
}

fn fast_client(sandbox: &SandboxGuard) -> Client {
    builder(sandbox).max_retries(2).build().expect("client")
}

fn stage(sn: &str) -> StageRef {
    StageRef::new("my-web-service", "wf-main", sn)
}

/// Fast polls, and every event kept.
fn options() -> (WaitOptions, Arc<Mutex<Vec<RunEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let options = WaitOptions::new()
        .poll_schedule(Duration::from_millis(5), Duration::from_millis(20))
        .deadline(Duration::from_secs(20))
        .on_event(move |event| sink.lock().expect("not poisoned").push(event.clone()));
    (options, events)
}

async fn start(client: &Client, sn: &str) -> yunxiao_appstack::RunRef {
    let stage = stage(sn);
    client
        .execute_release_stage(&ExecuteReleaseStageRequest::for_stage(stage.clone()))
        .await
        .expect("execute")
        .run(&stage)
        .expect("a run number")
}

#[tokio::test]
async fn a_successful_run_is_an_ok_outcome_with_events() {
    let sandbox = fast_sandbox();
    let client = fast_client(&sandbox);
    let (options, events) = options();
    let (response, outcome) = client
        .execute_and_wait(
            &ExecuteReleaseStageRequest::for_stage(stage("stage-deploy")),
            &options,
        )
        .await
        .expect("waited");
    assert!(response.run_id().is_some());
    assert_eq!(outcome.state, WaitState::Succeeded, "{outcome:?}");
    assert!(outcome.succeeded() && outcome.failed_jobs.is_empty());
    let events = events.lock().expect("events").clone();
    let finished: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::JobFinished { job, status, .. } => Some((job.clone(), status.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        finished,
        vec![
            ("Build".into(), RunStatus::Success),
            ("Deploy".into(), RunStatus::Success)
        ],
        "{events:?}"
    );
    assert!(matches!(
        events.last(),
        Some(RunEvent::RunStatusChanged {
            status: RunStatus::Success,
            ..
        })
    ));
}

#[tokio::test]
async fn a_failed_run_names_the_failed_job() {
    let sandbox = fast_sandbox();
    let client = fast_client(&sandbox);
    let run = start(&client, "stage-fail").await;
    let (options, _) = options();
    let outcome = client
        .wait_for_run(&run, &options)
        .await
        .expect("an outcome, not an error");
    assert_eq!(outcome.state, WaitState::Failed);
    assert_eq!(outcome.failed_jobs.len(), 1, "{outcome:?}");
    assert_eq!(outcome.failed_jobs[0].job.as_deref(), Some("Test"));
    assert!(outcome.failed_jobs[0].job_id.is_some());
}

#[tokio::test]
async fn a_gate_stops_the_wait_then_approval_and_refusal_decide() {
    let sandbox = fast_sandbox();
    let client = fast_client(&sandbox);
    for (approve, expected) in [(true, WaitState::Succeeded), (false, WaitState::Failed)] {
        let run = start(&client, "stage-gate").await;
        let (options, events) = options();
        let stop = options.clone().on_approval(OnApproval::Stop);
        let outcome = client.wait_for_run(&run, &stop).await.expect("stopped");
        assert_eq!(outcome.state, WaitState::WaitingForApproval);
        let gate = outcome.gate.clone().expect("the gate");
        assert_eq!(gate.job.as_deref(), Some("Approve"));
        let job = run.job(gate.job_id.expect("a job id"));
        if approve {
            client.pass_pipeline_validate(&job).await.expect("approved");
        } else {
            client
                .refuse_pipeline_validate(&job)
                .await
                .expect("rejected");
        }
        let outcome = client.wait_for_run(&run, &options).await.expect("waited");
        assert_eq!(outcome.state, expected);
        assert!(
            events
                .lock()
                .expect("events")
                .iter()
                .any(|e| matches!(e, RunEvent::WaitingForApproval { .. }))
        );
        // The gate is decided: a second approval is refused by the server, as an error.
        let error = client
            .pass_pipeline_validate(&job)
            .await
            .expect_err("no gate waits");
        assert_eq!(error.kind(), ErrorKind::BadRequest);
    }
}

#[tokio::test]
async fn a_cancel_from_outside_ends_the_wait_as_canceled() {
    let sandbox = fast_sandbox();
    let client = fast_client(&sandbox);
    let run = start(&client, "stage-long").await;
    let (options, _) = options();
    let canceller = client.clone();
    let target = run.clone();
    let cancel = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        canceller.cancel_release_stage_execution(&target).await
    });
    let outcome = client.wait_for_run(&run, &options).await.expect("waited");
    assert_eq!(outcome.state, WaitState::Canceled);
    assert!(cancel.await.expect("task").expect("cancel").canceled);
}

#[tokio::test]
async fn transient_faults_while_polling_are_tolerated_and_429_slows_down() {
    let sandbox = fast_sandbox();
    let client = fast_client(&sandbox);
    let run = start(&client, "stage-deploy").await;
    let (options, events) = options();
    sandbox.push_faults([
        Fault::respond(502),
        Fault::close(),
        Fault::respond(429),
        Fault::respond(429),
        Fault::respond(429),
    ]);
    let outcome = client
        .wait_for_run(&run, &options)
        .await
        .expect("tolerated");
    assert_eq!(outcome.state, WaitState::Succeeded);
    assert!(
        events
            .lock()
            .expect("events")
            .iter()
            .any(|e| matches!(e, RunEvent::Throttled { .. })),
        "a 429 that outlasts the retries slows the schedule"
    );
}

#[tokio::test]
async fn the_deadline_and_an_abort_leave_the_run_going() {
    let sandbox = yunxiao_sandbox::spawn(SandboxConfig::default()).expect("real-time sandbox");
    let client = fast_client(&sandbox);
    let run = start(&client, "stage-long").await;
    let (options, _) = options();
    let outcome = client
        .wait_for_run(&run, &options.clone().deadline(Duration::from_millis(100)))
        .await
        .expect("an outcome");
    assert_eq!(outcome.state, WaitState::DeadlineExceeded);

    sandbox.clear_requests();
    let abort = AbortHandle::new();
    let trigger = abort.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        trigger.abort();
    });
    let outcome = client
        .wait_for_run(&run, &options.clone().abort_handle(abort))
        .await
        .expect("an outcome");
    assert_eq!(outcome.state, WaitState::Aborted);
    assert!(outcome.cancel.is_none());
    assert!(
        sandbox
            .requests()
            .iter()
            .all(|r| !r.path.ends_with(":cancel")),
        "never cancels the run"
    );

    let abort = AbortHandle::new();
    abort.abort();
    let outcome = client
        .wait_for_run(&run, &options.abort_handle(abort).cancel_on_abort(true))
        .await
        .expect("an outcome");
    assert!(outcome.cancel.expect("a cancel was sent").canceled);
    let cancels = sandbox
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(":cancel"))
        .count();
    assert_eq!(cancels, 1, "exactly one cancel");
}

#[tokio::test]
async fn following_logs_emits_each_line_once() {
    let sandbox = fast_sandbox();
    let client = fast_client(&sandbox);
    let run = start(&client, "stage-fail").await;
    let (options, events) = options();
    client
        .wait_for_run(&run, &options.follow_logs(true))
        .await
        .expect("waited");
    let lines: Vec<String> = events
        .lock()
        .expect("events")
        .iter()
        .filter_map(|e| match e {
            RunEvent::LogLine { line, .. } => Some(line.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            "[sandbox] compiling",
            "[sandbox] build finished",
            "[sandbox] running 42 tests",
            "[sandbox] test login ... FAILED",
            "[sandbox] 1 test failed",
        ]
    );
    let job = run.job(
        client
            .get_release_stage_pipeline_run(&run)
            .await
            .expect("run")
            .failed_jobs()[0]
            .1
            .id
            .expect("id"),
    );
    let mut followed = Vec::new();
    let (options, _) = self::options();
    let count = client
        .follow_job_log(&job, &options, |line| followed.push(line.to_owned()))
        .await
        .expect("followed");
    assert_eq!(count, 3);
    assert_eq!(followed[1], "[sandbox] test login ... FAILED");
}

#[tokio::test]
async fn names_resolve_exactly_then_case_insensitively() {
    let sandbox = fast_sandbox();
    let client = fast_client(&sandbox);
    let app = AppRef::new("my-web-service");
    let stage = client
        .find_release_stage(&app, "Main", "Gated release")
        .await
        .expect("exact");
    assert_eq!(
        (
            stage.release_workflow_sn.as_str(),
            stage.release_stage_sn.as_str()
        ),
        ("wf-main", "stage-gate")
    );
    let stage = client
        .find_release_stage(&app, "wf-main", "gated RELEASE")
        .await
        .expect("loose");
    assert_eq!(stage.release_stage_sn, "stage-gate");
    let error = client
        .find_release_workflow(&app, "MAIN")
        .await
        .expect_err("ambiguous");
    assert!(error.to_string().contains("wf-main"), "{error}");
    let error = client
        .find_release_stage(&app, "Main", "Nope")
        .await
        .expect_err("missing");
    assert!(error.to_string().contains("\"Deploy\""), "{error}");
}

#[tokio::test]
async fn did_it_start_tells_a_run_that_started_from_one_that_did_not() {
    let sandbox = yunxiao_sandbox::spawn(SandboxConfig::default()).expect("real-time sandbox");
    let client = builder(&sandbox)
        .request_timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let stage = stage("stage-build");
    let request = ExecuteReleaseStageRequest::for_stage(stage.clone());
    let checks = StartedSinceOptions::default();
    let _ = SystemTime::now();

    // A 500 before the sandbox acted: nothing started.
    sandbox.push_fault(Fault::respond(500));
    let error = client
        .execute_release_stage(&request)
        .await
        .expect_err("500");
    assert!(error.may_have_executed());
    let since = error.call().expect("a call").started_at;
    let runs = client
        .find_runs_started_since(&stage, since, &checks)
        .await
        .expect("checked");
    assert!(runs.is_empty(), "{runs:?}");

    // A 500 after the service acted. The sandbox cannot act and then fail, so the run the
    // service would have started is started alongside, inside the same seconds — which is also
    // the check's documented limit: it cannot tell whose run it is.
    sandbox.push_fault(Fault::respond(500));
    let error = client
        .execute_release_stage(&request)
        .await
        .expect_err("500");
    let since = error.call().expect("a call").started_at;
    let started = client
        .execute_release_stage(&request)
        .await
        .expect("started");
    let runs = client
        .find_runs_started_since(&stage, since, &checks)
        .await
        .expect("checked");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].number, started.run_id());
    // With the newest run number recorded before sending, numbers decide instead of times.
    let numbered = StartedSinceOptions {
        after_number: started.run_id(),
        ..StartedSinceOptions::default()
    };
    let runs = client
        .find_runs_started_since(&stage, since, &numbered)
        .await
        .expect("checked");
    assert!(runs.is_empty(), "{runs:?}");
    assert!(since <= SystemTime::now());
}
