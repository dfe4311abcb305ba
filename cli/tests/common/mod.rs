//! What every CLI test file shares: sandboxes, running the real binary with a clean
//! environment, and the check that the token never reaches any output.

#![allow(dead_code)] // Each test binary uses its own part of this.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use yunxiao_sandbox::{SandboxConfig, SandboxGuard};

/// The token the sandboxes accept; no output may ever contain it.
pub const TOKEN: &str = "pt-CLI-SECRET-5c2e91";

/// A sandbox on a real-time clock.
pub fn sandbox() -> SandboxGuard {
    sandbox_at(1.0)
}

/// A sandbox whose clock runs 1000× faster: a 10 s job takes 10 ms.
pub fn fast_sandbox() -> SandboxGuard {
    sandbox_at(1000.0)
}

fn sandbox_at(clock_scale: f64) -> SandboxGuard {
    yunxiao_sandbox::spawn(SandboxConfig {
        token: Some(TOKEN.to_owned()),
        clock_scale,
        ..SandboxConfig::default()
    })
    .expect("the sandbox starts")
}

/// The command with a clean YUNXIAO_* environment plus `env`.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yunxiao-appstack"));
    for (key, _) in std::env::vars() {
        if key.starts_with("YUNXIAO_") {
            command.env_remove(key);
        }
    }
    command.args(args).envs(env.iter().copied());
    command
}

/// Runs the command with a clean YUNXIAO_* environment plus `env`; fails the test if the
/// token shows up in any output.
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let output = command(args, env).output().expect("the command runs");
    assert_no_token(&output);
    output
}

/// Fails the test if the token shows up in stdout or stderr.
pub fn assert_no_token(output: &Output) {
    for stream in [&output.stdout, &output.stderr] {
        assert!(
            !String::from_utf8_lossy(stream).contains(TOKEN),
            "the token leaked: {}",
            String::from_utf8_lossy(stream)
        );
    }
}

/// `args` against `sandbox` in organization `sandbox-org`, with the token in the environment.
pub fn yx(sandbox: &SandboxGuard, args: &[&str]) -> Output {
    run(
        &with_sandbox(sandbox, args),
        &[("YUNXIAO_ACCESS_TOKEN", TOKEN)],
    )
}

/// `args` plus the flags that point at `sandbox`'s `sandbox-org`.
pub fn with_sandbox<'a>(sandbox: &'a SandboxGuard, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--org", "sandbox-org", "--base-url", sandbox.base_url()]);
    all
}

/// Starts `args` against `sandbox` in the background, output piped.
pub fn spawn(sandbox: &SandboxGuard, args: &[&str]) -> Child {
    command(
        &with_sandbox(sandbox, args),
        &[("YUNXIAO_ACCESS_TOKEN", TOKEN)],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("starts")
}

/// Sends SIGINT (Ctrl-C) to `child`.
pub fn interrupt(child: &Child) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

/// Waits (at most 10 s) until `done` holds.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The stage flags of `stage` in workflow `wf-main` of `my-web-service`.
pub fn stage(sn: &str) -> Vec<&str> {
    vec![
        "--app",
        "my-web-service",
        "--workflow",
        "wf-main",
        "--stage",
        sn,
    ]
}

/// `[command…, stage flags…, extra…]`.
pub fn on_stage<'a>(command: &[&'a str], sn: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    [command.to_vec(), stage(sn), extra.to_vec()].concat()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit status, showing stderr when it differs.
pub fn assert_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

/// The recorded requests whose method is `method` and whose path contains `part`.
pub fn requests(sandbox: &SandboxGuard, method: &str, part: &str) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.method == method && r.path.contains(part))
        .count()
}

/// Starts a run of `sn` with the CLI and returns its number.
pub fn start(sandbox: &SandboxGuard, sn: &str) -> String {
    let output = yx(sandbox, &on_stage(&["release-stage", "execute"], sn, &[]));
    assert_code(&output, 0);
    stdout(&output).trim().to_owned()
}
