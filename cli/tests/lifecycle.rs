//! Seeing a release through from the shell: `release-stage execute --wait`, `run wait`, their
//! exit codes, Ctrl-C, and the did-it-start check after an ambiguous execute.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use yunxiao_sandbox::Fault;

fn execute_wait<'a>(sn: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = on_stage(&["release-stage", "execute"], sn, &["--wait"]);
    args.extend_from_slice(extra);
    args
}

/// Whether `line` starts with an RFC 3339 UTC timestamp (stderr is not a terminal here).
fn stamped(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.len() > 25
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && line[..24].ends_with('Z')
        && bytes[24] == b' '
}

#[test]
fn a_run_that_succeeds_exits_0_with_progress_on_stderr() {
    let sandbox = fast_sandbox();
    let output = yx(&sandbox, &execute_wait("stage-deploy", &[]));
    assert_code(&output, 0);
    assert_eq!(stdout(&output), "1\n", "the run id, as without --wait");
    let text = stderr(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| stamped(l) && l.ends_with("run SUCCESS")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("job Deploy (1002) of stage Deploy finished: SUCCESS")),
        "{text}"
    );
    assert_eq!(lines.last().copied(), Some("run 1 succeeded"), "{text}");
}

#[test]
fn a_run_that_fails_exits_11_naming_the_failed_job() {
    let sandbox = fast_sandbox();
    let output = yx(&sandbox, &execute_wait("stage-fail", &[]));
    assert_code(&output, 11);
    let last = stderr(&output)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert!(
        last.starts_with("run 1 failed (FAIL): job Test (job id 1002) of stage Test: FAIL"),
        "{last}"
    );
}

#[test]
fn a_gate_stops_the_wait_with_14_and_its_job_id_then_run_wait_sees_it_through() {
    let sandbox = fast_sandbox();
    let output = yx(
        &sandbox,
        &execute_wait("stage-gate", &["--on-approval", "stop"]),
    );
    assert_code(&output, 14);
    let text = stderr(&output);
    assert!(text.contains("waits for approval"), "{text}");
    assert!(text.contains("--number 1 --job 1002"), "{text}");
    let approve = on_stage(
        &["run", "approve"],
        "stage-gate",
        &["--number", "1", "--job", "1002"],
    );
    assert_code(&yx(&sandbox, &approve), 0);
    let output = yx(
        &sandbox,
        &on_stage(&["run", "wait"], "stage-gate", &["--number", "1"]),
    );
    assert_code(&output, 0);
    assert_eq!(stdout(&output), "SUCCESS\n");

    // Refused: the run fails.
    let output = yx(
        &sandbox,
        &execute_wait("stage-gate", &["--on-approval", "stop"]),
    );
    assert_code(&output, 14);
    let reject = on_stage(
        &["run", "reject"],
        "stage-gate",
        &["--number", "2", "--job", "1005"],
    );
    assert_code(&yx(&sandbox, &reject), 0);
    let output = yx(
        &sandbox,
        &on_stage(&["run", "wait"], "stage-gate", &["--number", "2"]),
    );
    assert_code(&output, 11);
}

#[test]
fn the_deadline_exits_13_and_the_run_goes_on() {
    let sandbox = sandbox();
    let started = Instant::now();
    let output = yx(
        &sandbox,
        &execute_wait("stage-long", &["--wait-timeout", "1s"]),
    );
    assert_code(&output, 13);
    assert!(started.elapsed() < Duration::from_secs(8));
    let text = stderr(&output);
    assert!(text.contains("run 1 goes on (RUNNING)"), "{text}");
    assert_eq!(requests(&sandbox, "POST", ":cancel"), 0);
    // Durations: plain seconds or a unit; anything else is a usage error.
    let output = yx(
        &sandbox,
        &on_stage(
            &["run", "wait"],
            "stage-long",
            &["--number", "1", "--wait-timeout", "0.5"],
        ),
    );
    assert_code(&output, 13);
    for bad in ["0", "10x", "soon", "-1m"] {
        let output = yx(
            &sandbox,
            &on_stage(
                &["run", "wait"],
                "stage-long",
                &["--number", "1", "--wait-timeout", bad],
            ),
        );
        assert_code(&output, 2);
    }
}

#[test]
fn a_run_canceled_from_elsewhere_exits_12() {
    let sandbox = sandbox();
    let number = start(&sandbox, "stage-long");
    let child = spawn(
        &sandbox,
        &on_stage(&["run", "wait"], "stage-long", &["--number", &number]),
    );
    wait_until("the wait polls", || {
        requests(&sandbox, "GET", ":getPipelineRun") > 0
    });
    let cancel = on_stage(&["run", "cancel"], "stage-long", &["--number", &number]);
    assert_code(&yx(&sandbox, &cancel), 0);
    let output = child.wait_with_output().expect("exits");
    assert_no_token(&output);
    assert_code(&output, 12);
    assert!(
        stderr(&output).contains("was canceled"),
        "{}",
        stderr(&output)
    );
}

/// Ctrl-C during `--wait`: 130, and the run goes on — no cancel is sent.
#[test]
fn ctrl_c_stops_the_wait_and_leaves_the_run_running() {
    let sandbox = sandbox();
    let child = spawn(&sandbox, &execute_wait("stage-long", &[]));
    wait_until("the wait polls", || {
        requests(&sandbox, "GET", ":getPipelineRun") > 0
    });
    interrupt(&child);
    let output = child.wait_with_output().expect("exits");
    assert_no_token(&output);
    assert_code(&output, 130);
    let text = stderr(&output);
    assert!(text.contains("run 1 goes on"), "{text}");
    assert_eq!(requests(&sandbox, "POST", ":cancel"), 0, "no cancel");
    let view = on_stage(&["run", "view"], "stage-long", &["--number", "1"]);
    assert!(stdout(&yx(&sandbox, &view)).starts_with("status: RUNNING"));
}

/// Ctrl-C with `--cancel-on-interrupt`: 130, and exactly one cancel request.
#[test]
fn ctrl_c_with_cancel_on_interrupt_sends_exactly_one_cancel() {
    let sandbox = sandbox();
    let child = spawn(
        &sandbox,
        &execute_wait("stage-long", &["--cancel-on-interrupt"]),
    );
    wait_until("the wait polls", || {
        requests(&sandbox, "GET", ":getPipelineRun") > 0
    });
    interrupt(&child);
    let output = child.wait_with_output().expect("exits");
    assert_no_token(&output);
    assert_code(&output, 130);
    assert!(
        stderr(&output).contains("canceled run 1"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        requests(&sandbox, "POST", ":cancel"),
        1,
        "exactly one cancel"
    );
    let view = on_stage(&["run", "view"], "stage-long", &["--number", "1"]);
    assert!(stdout(&yx(&sandbox, &view)).starts_with("status: CANCELED"));
}

#[test]
fn json_output_writes_events_as_lines_and_the_outcome_last() {
    let sandbox = fast_sandbox();
    let output = yx(&sandbox, &execute_wait("stage-fail", &["--output", "json"]));
    assert_code(&output, 11);
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() > 2, "{lines:?}");
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|e| e["event"].is_string() && e["event"] != "outcome")
    );
    assert!(
        lines
            .iter()
            .any(|e| e["event"] == "job_finished" && e["status"] == "FAIL")
    );
    let last = lines.last().expect("the outcome");
    assert_eq!(last["event"], "outcome");
    assert_eq!(last["execute"]["runId"], 1);
    assert_eq!(last["outcome"]["state"], "failed");
    assert_eq!(last["outcome"]["failed_jobs"][0]["job"], "Test");
    assert_eq!(last["outcome"]["failed_jobs"][0]["job_id"], 1002);
}

#[test]
fn follow_shows_every_log_line_once() {
    let sandbox = fast_sandbox();
    let output = yx(&sandbox, &execute_wait("stage-deploy", &["--follow"]));
    assert_code(&output, 0);
    let text = stderr(&output);
    for line in [
        "[Build] [sandbox] checking out the source",
        "[Build] [sandbox] compiling",
        "[Build] [sandbox] build finished",
        "[Deploy] [sandbox] deploying",
        "[Deploy] [sandbox] deployment finished",
    ] {
        assert_eq!(text.matches(line).count(), 1, "{line} once in {text}");
    }
    // Without --follow, no log is read.
    sandbox.clear_requests();
    let output = yx(&sandbox, &execute_wait("stage-deploy", &[]));
    assert_code(&output, 0);
    assert_eq!(requests(&sandbox, "GET", ":pipelineJobLog"), 0);
    // The wait's flags need --wait.
    let output = yx(
        &sandbox,
        &on_stage(&["release-stage", "execute"], "stage-deploy", &["--follow"]),
    );
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("--follow needs --wait"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn execute_with_names_and_wait() {
    let sandbox = fast_sandbox();
    let output = yx(
        &sandbox,
        &[
            "release-stage",
            "execute",
            "--app",
            "my-web-service",
            "--workflow-name",
            "main",
            "--stage-name",
            "deploy",
            "--wait",
        ],
    );
    assert_code(&output, 0);
    let executes: Vec<String> = sandbox
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(":execute"))
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(executes.len(), 1);
    assert!(
        executes[0].ends_with("/releaseWorkflows/wf-hotfix/releaseStages/stage-deploy:execute"),
        "{executes:?}"
    );
}

/// An execute that fails with "may have started": the CLI asks which runs started since the
/// request was sent, and says so — here, none.
#[test]
fn after_an_ambiguous_500_with_no_run_the_check_says_retrying_is_safe() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::respond(500));
    let output = yx(
        &sandbox,
        &on_stage(&["release-stage", "execute"], "stage-deploy", &[]),
    );
    assert_code(&output, 7);
    let text = stderr(&output);
    assert!(
        text.contains("the release stage may have started"),
        "{text}"
    );
    assert!(
        text.contains("did it start? no run of stage stage-deploy"),
        "{text}"
    );
    assert!(text.contains("retrying is safe"), "{text}");
    assert_eq!(requests(&sandbox, "POST", ":execute"), 1);
    assert_eq!(requests(&sandbox, "GET", "/executions"), 1, "one check");
}

/// Here a run did start while the request was out (the sandbox cannot act and then fail, so
/// another execute starts it within the same seconds — the check's documented limit).
#[test]
fn after_an_ambiguous_500_with_a_run_the_check_names_it() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::respond(500).with_delay_ms(2_000));
    let child = spawn(
        &sandbox,
        &on_stage(
            &["release-stage", "execute"],
            "stage-deploy",
            &["--output", "json"],
        ),
    );
    wait_until("the execute arrives", || sandbox.request_count() == 1);
    // Another execute, while the first waits for its 500.
    assert_eq!(start(&sandbox, "stage-deploy"), "1");
    let output = child.wait_with_output().expect("exits");
    assert_no_token(&output);
    assert_code(&output, 7);
    let last = stderr(&output)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    let error: Value = serde_json::from_str(&last).expect("JSON error");
    assert_eq!(error["error"]["mayHaveExecuted"], true);
    assert_eq!(error["startCheck"]["started"], true, "{error}");
    assert_eq!(error["startCheck"]["runNumber"], 1, "{error}");
    let verdict = error["startCheck"]["verdict"].as_str().unwrap_or_default();
    assert!(verdict.contains("run 1 of stage stage-deploy"), "{verdict}");
    assert!(verdict.contains("do not retry"), "{verdict}");
}

/// A poll that fails is retried by core; one that still fails after the retries ends the wait
/// with an error that says the run goes on (and does not claim that nothing was started).
#[test]
fn a_poll_that_fails_is_retried_and_then_ends_the_wait_not_the_run() {
    let sandbox = fast_sandbox();
    let poll = "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy/executions/1:getPipelineRun";
    sandbox.push_fault(Fault::respond(502).on_route(poll));
    let output = yx(&sandbox, &execute_wait("stage-deploy", &[]));
    assert_code(&output, 0);
    assert_eq!(
        requests(&sandbox, "GET", ":getPipelineRun"),
        2,
        "retried once"
    );

    let poll = poll.replace("/executions/1:", "/executions/2:");
    sandbox.push_fault(Fault::respond(500).on_route(poll).times(3));
    let output = yx(
        &sandbox,
        &execute_wait("stage-deploy", &["--max-retries", "1"]),
    );
    assert_code(&output, 7);
    let text = stderr(&output);
    assert!(text.contains("the run goes on"), "{text}");
    assert!(!text.contains("nothing was started"), "{text}");
    assert!(!text.contains("did it start?"), "the run did start: {text}");
}
