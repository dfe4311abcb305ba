//! The compiled `yunxiao-sandbox` binary: first stdout line, health, clean exit on signals.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_yunxiao-sandbox");

/// Starts the binary and returns it with the base URL from its first stdout line.
fn start(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let url = line.trim_end().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "first line: {line:?}");
    (child, url)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the sandbox did not exit within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

#[tokio::test]
async fn prints_url_serves_and_stops_on_sigterm() {
    let (mut child, url) = start(&["--port", "0"]);
    let health: Value = client()
        .get(format!("{url}/_sandbox/health"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(health["ok"], true);
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    let executed = client()
        .post(format!(
            "{url}/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy:execute"
        ))
        .header("x-yunxiao-token", "pt-sandbox-token")
        .send()
        .await
        .expect("answered");
    assert_eq!(executed.status(), 200);
    signal(&child, "TERM");
    let status = wait(&mut child);
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn options_and_sigint() {
    let dir = std::env::temp_dir().join(format!("yunxiao-sandbox-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let fixture = dir.join("fixture.json");
    std::fs::write(
        &fixture,
        r#"{"token": "pt-file", "organizations": {"o": {"apps": {"a": {"releaseWorkflows": {"w": {"releaseStages": ["s"]}}}}}}}"#,
    )
    .expect("fixture written");
    let fixture_arg = fixture.to_str().expect("utf-8 path");
    let (mut child, url) = start(&[
        "--fixture",
        fixture_arg,
        "--token",
        "pt-cli",
        "--no-record",
        "--max-records",
        "5",
    ]);
    let path = format!(
        "{url}/oapi/v1/appstack/organizations/o/apps/a/releaseWorkflows/w/releaseStages/s:execute"
    );
    for (token, expected) in [("pt-cli", 200), ("pt-file", 401)] {
        let response = client()
            .post(&path)
            .header("x-yunxiao-token", token)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), expected, "token {token}");
    }
    let requests: Value = client()
        .get(format!("{url}/_sandbox/requests"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(requests["count"], 0, "--no-record");
    signal(&child, "INT");
    assert!(wait(&mut child).success());

    // A broken fixture file is a usage error.
    std::fs::write(&fixture, "{").expect("written");
    let status = Command::new(BIN)
        .args(["--fixture", fixture_arg])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("runs");
    assert_eq!(status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn clock_scale_option() {
    let (mut child, url) = start(&["--clock-scale", "0"]);
    let clock: Value = client()
        .get(format!("{url}/_sandbox/clock"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(clock["scale"], 0.0, "{clock}");
    signal(&child, "TERM");
    assert!(wait(&mut child).success());

    for bad in ["-1", "nan", "inf", "fast"] {
        let status = Command::new(BIN)
            .args(["--clock-scale", bad])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("runs");
        assert_eq!(status.code(), Some(2), "--clock-scale {bad}");
    }
}
