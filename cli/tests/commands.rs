//! Every command against the sandbox: reads for real, every mutating command's dry run (its
//! exact request, nothing sent), names resolved by core, and the papercuts of issue 12.

mod common;

use common::*;
use serde_json::Value;
use yunxiao_sandbox::Fault;

fn json(output: &std::process::Output) -> Value {
    serde_json::from_str(stdout(output).trim())
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}", stdout(output)))
}

#[test]
fn release_workflow_list_full_and_brief_in_both_editions() {
    let sandbox = sandbox();
    let output = yx(
        &sandbox,
        &["release-workflow", "list", "--app", "my-web-service"],
    );
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("wf-main  Main  (CR)"), "{text}");
    assert!(text.contains("  stage stage-gate  Gated release"), "{text}");

    let output = yx(
        &sandbox,
        &[
            "release-workflow",
            "list",
            "--brief",
            "--app",
            "my-web-service",
            "--output",
            "json",
        ],
    );
    assert_code(&output, 0);
    let sns: Vec<String> = json(&output)
        .as_array()
        .expect("an array")
        .iter()
        .map(|w| w["sn"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(sns.contains(&"wf-main".to_owned()), "{sns:?}");
    assert!(sns.contains(&"wf-hotfix".to_owned()), "{sns:?}");
    let paths: Vec<String> = sandbox.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths[0].ends_with("/organizations/sandbox-org/apps/my-web-service/releaseWorkflows"),
        "{paths:?}"
    );
    assert!(
        paths[1].ends_with("/apps/my-web-service/releaseWorkflowBriefs"),
        "{paths:?}"
    );

    // The region edition: no organization in the path.
    let output = yx(
        &sandbox,
        &[
            "release-workflow",
            "list",
            "--brief",
            "--app",
            "my-web-service",
            "--edition",
            "region",
        ],
    );
    assert_code(&output, 0);
    let last = sandbox.requests().last().expect("recorded").path.clone();
    assert_eq!(
        last, "/oapi/v1/appstack/apps/my-web-service/releaseWorkflowBriefs",
        "region path"
    );
    // A bad edition is core's configuration error.
    let output = yx(
        &sandbox,
        &[
            "release-workflow",
            "list",
            "--app",
            "a",
            "--edition",
            "moon",
        ],
    );
    assert_code(&output, 3);
    assert!(stderr(&output).contains("edition"), "{}", stderr(&output));
}

#[test]
fn release_stage_list_and_view_by_serial_number_and_by_name() {
    let sandbox = sandbox();
    let output = yx(
        &sandbox,
        &[
            "release-stage",
            "list",
            "--app",
            "my-web-service",
            "--workflow-name",
            "Main",
        ],
    );
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.starts_with("SN "), "{text}");
    for sn in [
        "stage-build",
        "stage-deploy",
        "stage-fail",
        "stage-gate",
        "stage-long",
    ] {
        assert!(text.contains(sn), "{sn} in {text}");
    }
    let paths: Vec<String> = sandbox.requests().iter().map(|r| r.path.clone()).collect();
    assert!(paths[0].ends_with("/releaseWorkflowBriefs"), "{paths:?}");
    assert!(
        paths[1].ends_with("/releaseWorkflow/wf-main/releaseStageBriefs"),
        "{paths:?}"
    );

    let output = yx(
        &sandbox,
        &on_stage(
            &["release-stage", "view"],
            "stage-gate",
            &["--output", "json"],
        ),
    );
    assert_code(&output, 0);
    assert_eq!(json(&output)["sn"], "stage-gate");
    assert!(
        sandbox
            .requests()
            .last()
            .expect("recorded")
            .path
            .ends_with("/releaseWorkflow/wf-main/releaseStage/stage-gate")
    );

    // Names: exact first, then a unique case-insensitive match.
    let by_name = |workflow: &str, stage: &str| {
        yx(
            &sandbox,
            &[
                "release-stage",
                "view",
                "--app",
                "my-web-service",
                "--workflow-name",
                workflow,
                "--stage-name",
                stage,
            ],
        )
    };
    let output = by_name("Main", "gated RELEASE");
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("sn: stage-gate\n"), "{text}");
    assert!(text.contains("workflow: wf-main\n"), "{text}");
    // "main" is exactly the other workflow's name.
    let output = by_name("main", "Deploy");
    assert_code(&output, 0);
    assert!(stdout(&output).contains("workflow: wf-hotfix\n"));
    // Ambiguous: both workflows, with their serial numbers.
    let output = by_name("MAIN", "Deploy");
    assert_code(&output, 3);
    let text = stderr(&output);
    assert!(
        text.contains("wf-main") && text.contains("wf-hotfix"),
        "{text}"
    );
    // Missing: the names that exist.
    let output = by_name("Main", "Nope");
    assert_code(&output, 3);
    assert!(
        stderr(&output).contains("\"Gated release\""),
        "{}",
        stderr(&output)
    );
    // --stage and --stage-name exclude each other; one is needed.
    let output = yx(
        &sandbox,
        &[
            &on_stage(&["release-stage", "view"], "stage-gate", &[])[..],
            &["--stage-name", "x"],
        ]
        .concat(),
    );
    assert_code(&output, 2);
    let output = yx(
        &sandbox,
        &[
            "release-stage",
            "view",
            "--app",
            "my-web-service",
            "--workflow",
            "wf-main",
        ],
    );
    assert_code(&output, 2);
}

#[test]
fn run_list_pages_and_all_pages() {
    let sandbox = fast_sandbox();
    for _ in 0..3 {
        start(&sandbox, "stage-deploy");
    }
    sandbox.clear_requests();
    let output = yx(
        &sandbox,
        &on_stage(&["run", "list"], "stage-deploy", &["--per-page", "2"]),
    );
    assert_code(&output, 0);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two runs: {text}");
    assert!(lines[0].starts_with("NUMBER"), "{text}");
    assert!(lines[1].starts_with("3 "), "newest first: {text}");
    assert!(stderr(&output).contains("--all"), "{}", stderr(&output));
    assert!(
        sandbox.requests()[0]
            .path
            .ends_with("/executions?perPage=2"),
        "{:?}",
        sandbox.requests()[0].path
    );

    let output = yx(
        &sandbox,
        &on_stage(
            &["run", "list"],
            "stage-deploy",
            &["--per-page", "2", "--all", "--output", "json"],
        ),
    );
    assert_code(&output, 0);
    let numbers: Vec<u64> = json(&output)
        .as_array()
        .expect("every run")
        .iter()
        .map(|r| r["number"].as_u64().expect("a number"))
        .collect();
    assert_eq!(numbers, vec![3, 2, 1]);

    let output = yx(
        &sandbox,
        &on_stage(
            &["run", "list"],
            "stage-deploy",
            &["--limit", "1", "--output", "json"],
        ),
    );
    assert_code(&output, 0);
    assert_eq!(json(&output).as_array().map(Vec::len), Some(1));

    // One page as JSON is core's page object.
    let output = yx(
        &sandbox,
        &on_stage(&["run", "list"], "stage-deploy", &["--output", "json"]),
    );
    assert_eq!(json(&output)["total"], 3);
    // Core validates the page size; nothing is sent.
    sandbox.clear_requests();
    let output = yx(
        &sandbox,
        &on_stage(&["run", "list"], "stage-deploy", &["--per-page", "101"]),
    );
    assert_code(&output, 3);
    assert_eq!(sandbox.request_count(), 0);
}

#[test]
fn run_view_log_and_metadata() {
    let sandbox = fast_sandbox();
    let number = start(&sandbox, "stage-deploy");
    std::thread::sleep(std::time::Duration::from_millis(100)); // 100 s of sandbox time
    let output = yx(
        &sandbox,
        &on_stage(&["run", "view"], "stage-deploy", &["--number", &number]),
    );
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.starts_with("status: SUCCESS\n"), "{text}");
    assert!(text.contains("stage Build: SUCCESS"), "{text}");
    assert!(text.contains("  job 1001  Build: SUCCESS"), "{text}");
    assert!(text.contains("  job 1002  Deploy: SUCCESS"), "{text}");

    let output = yx(
        &sandbox,
        &on_stage(
            &["run", "view"],
            "stage-deploy",
            &["--number", &number, "--output", "json"],
        ),
    );
    let run = json(&output);
    assert_eq!(run["status"], "SUCCESS");
    let job_id = run["stages"][1]["jobs"][0]["id"].as_u64().expect("job id");
    let job = job_id.to_string();

    let output = yx(
        &sandbox,
        &on_stage(
            &["run", "log"],
            "stage-deploy",
            &["--number", &number, "--job", &job],
        ),
    );
    assert_code(&output, 0);
    assert_eq!(
        stdout(&output),
        "[sandbox] deploying\n[sandbox] deployment finished\n"
    );
    assert!(
        sandbox
            .requests()
            .last()
            .expect("recorded")
            .path
            .ends_with(&format!("/executions/{number}:pipelineJobLog?jobId={job}"))
    );
    // Following a finished job's log prints each line once and ends.
    let output = yx(
        &sandbox,
        &on_stage(
            &["run", "log"],
            "stage-deploy",
            &["--number", &number, "--job", &job, "--follow"],
        ),
    );
    assert_code(&output, 0);
    assert_eq!(
        stdout(&output),
        "[sandbox] deploying\n[sandbox] deployment finished\n"
    );

    let output = yx(
        &sandbox,
        &on_stage(
            &["run", "metadata"],
            "stage-deploy",
            &["--number", &number, "--output", "json"],
        ),
    );
    assert_code(&output, 0);
    assert_eq!(json(&output), serde_json::json!([]));
    assert!(
        sandbox
            .requests()
            .last()
            .expect("recorded")
            .path
            .ends_with(&format!("/executions/{number}/integratedMetadata"))
    );
    let output = yx(
        &sandbox,
        &on_stage(
            &["run", "metadata"],
            "stage-deploy",
            &["--stage-level", "--build-num", &number, "--output", "json"],
        ),
    );
    assert_code(&output, 0);
    assert_eq!(json(&output)["run_number"], 1);
    assert!(
        sandbox
            .requests()
            .last()
            .expect("recorded")
            .path
            .ends_with(":find_release_integrated_metadata?buildNum=1")
    );
    // --number or --stage-level, not both, not neither; --build-num needs --stage-level.
    for extra in [
        vec![],
        vec!["--number", "1", "--stage-level"],
        vec!["--number", "1", "--build-num", "1"],
    ] {
        let output = yx(
            &sandbox,
            &on_stage(&["run", "metadata"], "stage-deploy", &extra),
        );
        assert_code(&output, 2);
    }
    // An unknown run is a 404.
    let output = yx(
        &sandbox,
        &on_stage(&["run", "view"], "stage-deploy", &["--number", "99"]),
    );
    assert_code(&output, 5);
}

#[test]
fn change_request_search_filters_and_pages() {
    let sandbox = sandbox();
    let output = yx(
        &sandbox,
        &[
            "change-request",
            "search",
            "--app",
            "my-web-service",
            "--state",
            "DEVELOPING",
            "--state",
            "RELEASED",
            "--owner",
            "user-alice",
            "--name",
            "o",
        ],
    );
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("cr-login"), "{text}");
    assert!(text.contains("cr-logging"), "{text}");
    assert!(!text.contains("cr-payment"), "{text}");
    let request = sandbox.requests().last().cloned().expect("recorded");
    assert_eq!(request.method, "POST");
    assert!(
        request
            .path
            .ends_with("/apps/my-web-service/changeRequests:search")
    );
    assert_eq!(
        request.json,
        Some(
            serde_json::json!({"owner": ["user-alice"], "name": "o", "state": ["DEVELOPING", "RELEASED"]})
        )
    );

    let output = yx(
        &sandbox,
        &[
            "change-request",
            "search",
            "--app",
            "my-web-service",
            "--page-size",
            "2",
        ],
    );
    assert_code(&output, 0);
    assert_eq!(stdout(&output).lines().count(), 3, "{}", stdout(&output));
    assert!(
        stderr(&output).contains("page 1 of 2"),
        "{}",
        stderr(&output)
    );

    let output = yx(
        &sandbox,
        &[
            "change-request",
            "search",
            "--app",
            "my-web-service",
            "--page-size",
            "3",
            "--all",
            "--output",
            "json",
        ],
    );
    assert_code(&output, 0);
    assert_eq!(json(&output).as_array().map(Vec::len), Some(4));

    sandbox.clear_requests();
    let output = yx(
        &sandbox,
        &[
            "change-request",
            "search",
            "--app",
            "my-web-service",
            "--page-size",
            "31",
        ],
    );
    assert_code(&output, 3);
    assert_eq!(sandbox.request_count(), 0, "core refused it before sending");
}

/// Every mutating command's `--dry-run`: the exact request, and nothing sent.
#[test]
fn every_mutating_command_dry_runs_its_exact_request() {
    let sandbox = sandbox();
    let run = ["--number", "7"];
    let job = ["--number", "7", "--job", "1001"];
    let cases: Vec<(Vec<&str>, &[&str], &str)> = vec![
        (
            vec!["release-stage", "execute"],
            &[],
            "/releaseWorkflows/wf-main/releaseStages/stage-gate:execute",
        ),
        (
            vec!["run", "cancel"],
            &run,
            "/releaseWorkflows/wf-main/releaseStages/stage-gate/executions/7:cancel",
        ),
        (
            vec!["run", "approve"],
            &job,
            "/releaseWorkflows/wf-main/releaseStages/stage-gate/executions/7:passPipelineValidate?jobId=1001",
        ),
        (
            vec!["run", "reject"],
            &job,
            "/releaseWorkflows/wf-main/releaseStages/stage-gate/executions/7:refusePipelineValidate?jobId=1001",
        ),
        (
            vec!["run", "retry-job"],
            &job,
            "/releaseWorkflows/wf-main/releaseStages/stage-gate/executions/7:retry?jobId=1001",
        ),
        (
            vec!["run", "skip-job"],
            &job,
            "/releaseWorkflows/wf-main/releaseStages/stage-gate/executions/7:skip?jobId=1001",
        ),
    ];
    for (command, extra, tail) in cases {
        let mut args = on_stage(&command, "stage-gate", extra);
        args.push("--dry-run");
        let output = yx(&sandbox, &args);
        assert_code(&output, 0);
        let text = stdout(&output);
        let first = text.lines().next().unwrap_or_default();
        let expected = format!(
            "POST {}/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service{tail}",
            sandbox.base_url()
        );
        assert_eq!(first, expected, "{command:?}");
        assert!(text.contains("x-yunxiao-token: ****\n"), "{text}");

        args.extend(["--output", "json"]);
        let output = yx(&sandbox, &args);
        assert_code(&output, 0);
        let request = json(&output);
        assert_eq!(request["method"], "POST");
        assert!(
            request["url"].as_str().is_some_and(|u| u.ends_with(tail)),
            "{request}"
        );
        assert_eq!(request["headers"]["x-yunxiao-token"], "****");
    }
    assert_eq!(sandbox.request_count(), 0, "a dry run sends nothing");

    // With names, a dry run reads the briefs to resolve them, and sends nothing that changes
    // anything.
    let output = yx(
        &sandbox,
        &[
            "run",
            "approve",
            "--app",
            "my-web-service",
            "--workflow-name",
            "Main",
            "--stage-name",
            "Gated release",
            "--number",
            "7",
            "--job",
            "1001",
            "--dry-run",
        ],
    );
    assert_code(&output, 0);
    assert!(stdout(&output).contains("/stage-gate/executions/7:passPipelineValidate?jobId=1001"));
    assert!(sandbox.requests().iter().all(|r| r.method == "GET"));
}

/// Issue 12: a dry run without a token printed `<not set>` and exited 0, so a CI preflight
/// passed and the real job failed. It prints the request, then fails as the real call would.
#[test]
fn a_dry_run_without_a_token_prints_the_request_then_fails_like_the_call() {
    let sandbox = sandbox();
    for command in [
        vec!["release-stage", "execute"],
        vec!["run", "cancel", "--number", "1"],
        vec!["run", "approve", "--number", "1", "--job", "2"],
    ] {
        let mut args = on_stage(&command, "stage-deploy", &["--dry-run"]);
        args.extend(["--org", "sandbox-org", "--base-url", sandbox.base_url()]);
        let output = run(&args, &[]);
        assert_code(&output, 3);
        assert!(stdout(&output).starts_with("POST "), "{}", stdout(&output));
        assert!(stdout(&output).contains("x-yunxiao-token: <not set>"));
        assert!(
            stderr(&output).contains("YUNXIAO_ACCESS_TOKEN"),
            "{}",
            stderr(&output)
        );
    }
    assert_eq!(sandbox.request_count(), 0);
}

/// Issue 12: a token file others can read was accepted silently; now it warns, as ssh does.
#[cfg(unix)]
#[test]
fn a_token_file_others_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = sandbox();
    let dir = std::env::temp_dir().join(format!("yx-cli-perm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).expect("written");
    let path = file.to_str().expect("utf-8 path");
    let args = [
        "release-workflow",
        "list",
        "--brief",
        "--app",
        "my-web-service",
        "--org",
        "sandbox-org",
        "--base-url",
        sandbox.base_url(),
        "--token-file",
        path,
    ];

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let output = run(&args, &[]);
    assert_code(&output, 0);
    let text = stderr(&output);
    assert!(text.contains("warning: --token-file"), "{text}");
    assert!(text.contains("0644"), "{text}");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let output = run(&args, &[]);
    assert_code(&output, 0);
    assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
    std::fs::remove_dir_all(dir).expect("cleaned");
}

/// Issue 12: `--verbose` showed the HTTP library's internals; they are `--debug`'s now.
#[test]
fn verbose_shows_our_attempts_and_debug_shows_everything() {
    let sandbox = sandbox();
    let args = [
        "release-workflow",
        "list",
        "--brief",
        "--app",
        "my-web-service",
    ];
    let output = yx(&sandbox, &[&args[..], &["--verbose"]].concat());
    assert_code(&output, 0);
    let text = stderr(&output);
    assert!(
        text.contains("list_release_workflow_briefs attempt succeeded"),
        "{text}"
    );
    assert!(text.contains("attempt=1"), "{text}");
    assert!(!text.contains("connecting to"), "no HTTP internals: {text}");
    assert!(!text.contains("hyper"), "no HTTP internals: {text}");

    let output = yx(&sandbox, &[&args[..], &["--debug"]].concat());
    assert_code(&output, 0);
    let text = stderr(&output);
    assert!(text.contains("attempt succeeded"), "{text}");
    assert!(text.contains("connecting to"), "HTTP internals: {text}");

    let output = yx(&sandbox, &args);
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
}

#[test]
fn real_cancel_approve_and_reject_calls() {
    let sandbox = fast_sandbox();
    // Cancel a long run, then cancel it again: already finished, not an error.
    let number = start(&sandbox, "stage-long");
    let cancel = on_stage(&["run", "cancel"], "stage-long", &["--number", &number]);
    let output = yx(&sandbox, &cancel);
    assert_code(&output, 0);
    assert_eq!(stdout(&output), format!("canceled run {number}\n"));
    let output = yx(&sandbox, &[&cancel[..], &["--output", "json"]].concat());
    assert_code(&output, 0);
    let outcome = json(&output);
    assert_eq!(outcome["already_finished"], true, "{outcome}");
    assert_eq!(outcome["run_status"], "CANCELED");

    // A gate: approve it, and the run goes on to success; reject another, and it fails.
    for (verb, end) in [("approve", "SUCCESS"), ("reject", "FAIL")] {
        let number = start(&sandbox, "stage-gate");
        std::thread::sleep(std::time::Duration::from_millis(50));
        let view = on_stage(
            &["run", "view"],
            "stage-gate",
            &["--number", &number, "--output", "json"],
        );
        let run = json(&yx(&sandbox, &view));
        let gate = run["stages"][1]["jobs"][0].clone();
        assert_eq!(gate["status"], "WAITING", "{run}");
        let job = gate["id"].as_u64().expect("job id").to_string();
        let output = yx(
            &sandbox,
            &on_stage(
                &["run", verb],
                "stage-gate",
                &["--number", &number, "--job", &job],
            ),
        );
        assert_code(&output, 0);
        assert!(stdout(&output).contains(&format!("the gate at job {job} of run {number}")));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(json(&yx(&sandbox, &view))["status"], end, "{verb}");
    }
    // Approving a job that is not a gate: the server's 400.
    let output = yx(
        &sandbox,
        &on_stage(
            &["run", "approve"],
            "stage-gate",
            &["--number", "1", "--job", "1"],
        ),
    );
    assert_ne!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_mutating_call_that_fails_says_what_may_have_happened() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::respond(500));
    let output = yx(
        &sandbox,
        &on_stage(
            &["run", "approve"],
            "stage-gate",
            &["--number", "1", "--job", "1"],
        ),
    );
    assert_code(&output, 7);
    assert!(
        stderr(&output).contains("the gate may have been approved"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        sandbox.request_count(),
        1,
        "a mutating call is not retried after a 500"
    );

    // A read is retried after a 500, and its error says nothing about effects.
    sandbox.reset();
    sandbox.push_fault(Fault::respond(502));
    let output = yx(
        &sandbox,
        &["release-workflow", "list", "--app", "my-web-service"],
    );
    assert_code(&output, 0);
    assert_eq!(sandbox.request_count(), 2);
}

#[test]
fn help_documents_every_command_and_exit_code() {
    let output = run(&["--help"], &[]);
    assert_code(&output, 0);
    let text = stdout(&output);
    for command in ["release-workflow", "release-stage", "run", "change-request"] {
        assert!(
            text.contains(&format!("  {command} ")),
            "{command} in {text}"
        );
    }
    for code in (0..=14).chain([130]) {
        assert!(
            text.contains(&format!("\n {code:>3}  ")),
            "exit code {code}: {text}"
        );
    }
    let output = run(&["run", "--help"], &[]);
    let text = stdout(&output);
    for command in [
        "list",
        "view",
        "wait",
        "cancel",
        "approve",
        "reject",
        "retry-job",
        "skip-job",
        "log",
        "metadata",
    ] {
        assert!(
            text.contains(&format!("  {command} ")),
            "{command} in {text}"
        );
    }
    for flag in [
        "--base-url",
        "--edition",
        "--org",
        "--timeout",
        "--connect-timeout",
        "--max-retries",
        "--output",
        "--token-file",
        "--verbose",
        "--debug",
    ] {
        assert!(text.contains(flag), "{flag} in run --help");
    }
    let output = run(&["release-stage", "execute", "--help"], &[]);
    let text = stdout(&output);
    for flag in [
        "--wait",
        "--wait-timeout",
        "--follow",
        "--on-approval",
        "--cancel-on-interrupt",
        "--workflow-name",
        "--stage-name",
        "--dry-run",
    ] {
        assert!(text.contains(flag), "{flag} in execute --help");
    }
}

#[test]
fn real_retry_job_and_skip_job_calls() {
    let sandbox = fast_sandbox();
    let number = start(&sandbox, "stage-fail");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let view = on_stage(
        &["run", "view"],
        "stage-fail",
        &["--number", &number, "--output", "json"],
    );
    let run = json(&yx(&sandbox, &view));
    assert_eq!(run["status"], "FAIL", "{run}");
    let failed = run["stages"][1]["jobs"][0].clone();
    assert_eq!(failed["status"], "FAIL");
    let job = failed["id"].as_u64().expect("job id").to_string();

    // Retry: the job runs again (and, scripted to fail, fails again).
    let retry = on_stage(
        &["run", "retry-job"],
        "stage-fail",
        &["--number", &number, "--job", &job],
    );
    let output = yx(&sandbox, &retry);
    assert_code(&output, 0);
    assert_eq!(
        stdout(&output),
        format!("started again job {job} of run {number}\n")
    );
    assert!(
        sandbox
            .requests()
            .last()
            .expect("recorded")
            .path
            .ends_with(&format!("/executions/{number}:retry?jobId={job}"))
    );
    std::thread::sleep(std::time::Duration::from_millis(100));

    // Skip (an empty 200): the run goes on past the job, to success.
    let skip = on_stage(
        &["run", "skip-job"],
        "stage-fail",
        &["--number", &number, "--job", &job, "--output", "json"],
    );
    let output = yx(&sandbox, &skip);
    assert_code(&output, 0);
    assert_eq!(
        json(&output)["success"],
        Value::Null,
        "an empty answer says nothing"
    );
    std::thread::sleep(std::time::Duration::from_millis(100));
    let run = json(&yx(&sandbox, &view));
    assert_eq!(run["stages"][1]["jobs"][0]["status"], "SKIPPED", "{run}");
    assert_eq!(run["status"], "SUCCESS", "{run}");
}

#[test]
fn the_connection_settings_reach_the_core_and_a_proxy_password_is_refused() {
    let sandbox = sandbox();
    let list = ["release-workflow", "list", "--app", "my-web-service"];
    let with = |extra: &[&'static str]| {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(list);
        yx(&sandbox, &args)
    };
    let output = with(&["--proxy", "http://user:secret-pw@127.0.0.1:9"]);
    assert_code(&output, 3);
    assert!(
        !stderr(&output).contains("secret-pw"),
        "{}",
        stderr(&output)
    );
    let output = with(&["--max-rps", "0"]);
    assert_code(&output, 3);
    assert!(stderr(&output).contains("max_rps"), "{}", stderr(&output));
    let output = with(&["--ca-bundle", "/nonexistent/ca.pem"]);
    assert_code(&output, 3);
    let output = with(&["--deadline", "30", "--max-rps", "100"]);
    assert_code(&output, 0);
}
