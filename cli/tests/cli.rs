//! The `yunxiao-appstack` command against the sandbox: output, exit codes, dry runs, and the
//! token kept out of every output.

mod common;

use std::process::{Command, Output};

use common::{TOKEN, run, sandbox, stderr, stdout};
use serde_json::Value;
use yunxiao_sandbox::{Fault, SandboxGuard};

/// The arguments that run the sandbox's `stage-deploy` of `my-web-service`.
fn stage_args(sandbox: &SandboxGuard) -> Vec<&str> {
    vec![
        "release-stage",
        "execute",
        "--org",
        "sandbox-org",
        "--app",
        "my-web-service",
        "--workflow",
        "wf-main",
        "--stage",
        "stage-deploy",
        "--base-url",
        sandbox.base_url(),
    ]
}

fn execute(sandbox: &SandboxGuard, extra: &[&str]) -> Output {
    let mut args = stage_args(sandbox);
    args.push("--verbose");
    args.extend_from_slice(extra);
    run(&args, &[("YUNXIAO_ACCESS_TOKEN", TOKEN)])
}

#[test]
fn prints_the_run_id() {
    let sandbox = sandbox();
    let output = execute(
        &sandbox,
        &[
            "--comment",
            "from the cli",
            "--var",
            "K=V=W",
            "--branch",
            "repo=main",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "1\n");
    let body = sandbox.requests()[0].json.clone().expect("a JSON body");
    assert_eq!(
        body,
        serde_json::json!({"params": {"FLOW_INST_RUNNING_COMMENT": "from the cli", "K": "V=W", "repo": "main"}})
    );
    assert!(
        stderr(&output).contains("attempt=1"),
        "verbose logs attempts: {}",
        stderr(&output)
    );
}

#[test]
fn json_output_has_every_field() {
    let sandbox = sandbox();
    let output = execute(&sandbox, &["--output", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let result: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(result["runId"], 1);
    assert_eq!(result["pipelineRunId"], 1);
    assert!(
        result["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(result["raw"]["object"], 1);
}

#[test]
fn the_token_file_is_read_and_trimmed() {
    let sandbox = sandbox();
    let dir = std::env::temp_dir().join(format!("yx-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).expect("written");
    let output = run(
        &[
            stage_args(&sandbox),
            vec!["--token-file", file.to_str().expect("utf-8 path")],
        ]
        .concat(),
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    std::fs::remove_dir_all(dir).expect("cleaned");
}

#[test]
fn a_token_argument_is_refused() {
    let output = run(
        &[
            "release-stage",
            "execute",
            "--app",
            "a",
            "--workflow",
            "w",
            "--stage",
            "s",
            "--token",
            TOKEN,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("process list"));
}

#[test]
fn dry_run_prints_the_request_and_sends_nothing() {
    let sandbox = sandbox();
    let output = execute(&sandbox, &["--dry-run", "--app", "x"]);
    // --app given twice is a usage error; check the plain dry run next.
    assert_eq!(output.status.code(), Some(2));
    let output = run(
        &[
            "release-stage",
            "execute",
            "--org",
            "sandbox-org",
            "--app",
            "a/b c",
            "--workflow",
            "wf-main",
            "--stage",
            "stage-deploy",
            "--base-url",
            sandbox.base_url(),
            "--dry-run",
            "--var",
            "K=V",
        ],
        &[("YUNXIAO_ACCESS_TOKEN", TOKEN)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("POST http://127.0.0.1:"), "{text}");
    assert!(
        text.contains(
            "/apps/a%2Fb%20c/releaseWorkflows/wf-main/releaseStages/stage-deploy:execute"
        )
    );
    assert!(text.contains("x-yunxiao-token: ****"));
    assert!(text.contains(r#"{"params":{"K":"V"}}"#));
    assert_eq!(sandbox.request_count(), 0);
}

#[test]
fn each_failure_kind_has_its_exit_code() {
    let sandbox = sandbox();
    let cases: Vec<(Option<Fault>, Vec<&str>, i32)> = vec![
        (None, vec!["--stage", "nope"], 2), // --stage twice: usage
        (Some(Fault::respond(401)), vec![], 4),
        (Some(Fault::respond(403)), vec![], 4),
        (Some(Fault::respond(404)), vec![], 5),
        (
            Some(Fault::respond(429).with_header("Retry-After", "0").times(3)),
            vec![],
            6,
        ),
        (Some(Fault::respond(500)), vec![], 7),
        (Some(Fault::respond(409)), vec![], 1),
        (Some(Fault::respond(400)), vec![], 3),
        (Some(Fault::delay(3_000)), vec!["--timeout", "0.3"], 8),
        (Some(Fault::close()), vec![], 9),
        (Some(Fault::malformed_json()), vec![], 10),
        (None, vec!["--var", "novalue"], 3),
        (None, vec!["--params", "[1]"], 3),
        (None, vec!["--max-retries", "99"], 3),
    ];
    for (fault, extra, code) in cases {
        sandbox.reset();
        if let Some(fault) = fault.clone() {
            sandbox.push_fault(fault);
        }
        let output = execute(&sandbox, &extra);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{fault:?} {extra:?}: {}",
            stderr(&output)
        );
        if code != 2 {
            assert!(
                stderr(&output).starts_with("error: ") || stderr(&output).contains("\nerror: "),
                "{}",
                stderr(&output)
            );
        }
    }
}

#[test]
fn json_errors_go_to_stderr_with_may_have_executed() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::respond(500));
    let output = execute(&sandbox, &["--output", "json"]);
    assert_eq!(output.status.code(), Some(7));
    let last = stderr(&output).lines().last().expect("a line").to_owned();
    let error: Value = serde_json::from_str(&last).expect("JSON error");
    assert_eq!(error["error"]["kind"], "server");
    assert_eq!(error["error"]["status"], 500);
    assert_eq!(error["error"]["mayHaveExecuted"], true);
    // Sent once (never retried), then the did-it-start check read the runs.
    let requests = sandbox.requests();
    let executes = requests.iter().filter(|r| r.path.ends_with(":execute"));
    assert_eq!(executes.count(), 1);
    assert_eq!(error["startCheck"]["started"], false, "{error}");
}

#[test]
fn missing_token_is_a_configuration_error() {
    let output = run(
        &[
            "release-stage",
            "execute",
            "--org",
            "o",
            "--app",
            "a",
            "--workflow",
            "w",
            "--stage",
            "s",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("YUNXIAO_ACCESS_TOKEN"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_documents_every_exit_code() {
    let output = run(&["release-stage", "execute", "--help"], &[]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for code in 0..=10 {
        assert!(
            text.contains(&format!("\n  {code:>2}  ")),
            "exit code {code} in --help"
        );
    }
}

#[test]
fn ctrl_c_during_a_call_warns_that_the_stage_may_have_started() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::delay(5_000));
    let child = Command::new(env!("CARGO_BIN_EXE_yunxiao-appstack"))
        .args(stage_args(&sandbox))
        .env("YUNXIAO_ACCESS_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    // Wait until the request reached the sandbox, then interrupt.
    let started = std::time::Instant::now();
    while sandbox.request_count() == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the request arrives"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let output = child.wait_with_output().expect("exits");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "exits promptly"
    );
    assert_eq!(output.status.code(), Some(130));
    assert!(
        stderr(&output).contains("may have started"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn central_overrides_the_edition_from_the_environment() {
    let sandbox = sandbox();
    let mut base = stage_args(&sandbox);
    base.push("--dry-run");
    let env = [
        ("YUNXIAO_ACCESS_TOKEN", TOKEN),
        ("YUNXIAO_EDITION", "region"),
    ];
    let region = stdout(&run(&base, &env));
    assert!(!region.contains("/organizations/"), "{region}");
    let mut central_args = base.to_vec();
    central_args.push("--central");
    let central = stdout(&run(&central_args, &env));
    assert!(central.contains("/organizations/sandbox-org/"), "{central}");
    let mut both = central_args.clone();
    both.push("--region");
    assert_eq!(
        run(&both, &env).status.code(),
        Some(2),
        "--central and --region conflict"
    );
}

#[test]
fn a_zero_timeout_names_the_flag() {
    let sandbox = sandbox();
    for flag in ["--timeout", "--connect-timeout"] {
        let output = execute(&sandbox, &[flag, "0"]);
        assert_eq!(output.status.code(), Some(3));
        assert!(stderr(&output).contains(flag), "{}", stderr(&output));
    }
    assert_eq!(sandbox.request_count(), 0);
}
