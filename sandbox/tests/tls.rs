//! `--tls`: the sandbox serves https from a CA it makes at start; every route, fault and the
//! recording work as over plain http; clients without the CA, or for another name, are refused
//! before a request is recorded.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use yunxiao_sandbox::{Fault, SandboxConfig, SandboxGuard, TlsOptions, spawn};

const EXECUTE: &str = "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy:execute";

fn tls_sandbox(options: TlsOptions) -> SandboxGuard {
    spawn(SandboxConfig {
        tls: true,
        tls_options: options,
        ..SandboxConfig::default()
    })
    .expect("the https sandbox starts")
}

/// A client trusting only `ca_pem` (on top of reqwest's bundled roots, which cannot sign
/// for loopback).
fn trusting(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("a PEM"))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn untrusting() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Whether a reqwest error's chain mentions `needle` (rustls's certificate errors).
fn chain_mentions(error: &reqwest::Error, needle: &str) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if format!("{cause:?}").contains(needle) {
            return true;
        }
        source = cause.source();
    }
    false
}

#[tokio::test]
async fn serves_every_route_faults_and_recording_over_https() {
    let sandbox = tls_sandbox(TlsOptions::default());
    assert!(
        sandbox.base_url().starts_with("https://127.0.0.1:"),
        "{}",
        sandbox.base_url()
    );
    let ca_path = sandbox.ca_path().expect("a CA path with TLS").to_path_buf();
    assert!(ca_path.is_absolute(), "{}", ca_path.display());
    let ca_pem = sandbox.ca_pem().expect("a CA PEM with TLS");
    assert_eq!(
        std::fs::read_to_string(&ca_path).expect("the CA file exists"),
        ca_pem
    );
    let http = trusting(ca_pem);

    let health: Value = http
        .get(sandbox.url("/_sandbox/health"))
        .send()
        .await
        .expect("answered over https")
        .json()
        .await
        .expect("json");
    assert_eq!(health["tls"], true);
    assert_eq!(health["ca_path"], ca_path.display().to_string());

    let executed = http
        .post(sandbox.url(EXECUTE))
        .header("x-yunxiao-token", sandbox.token())
        .json(&serde_json::json!({"params": {"k": "v"}}))
        .send()
        .await
        .expect("answered");
    assert_eq!(executed.status(), 200);
    assert!(executed.headers().contains_key("x-acs-request-id"));
    let body: Value = executed.json().await.expect("json");
    assert_eq!(body["object"], 1, "{body}");

    let got = http
        .get(sandbox.url(
            "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy/executions/1:getPipelineRun",
        ))
        .header("x-yunxiao-token", sandbox.token())
        .send()
        .await
        .expect("answered");
    assert_eq!(got.status(), 200);

    let requests = sandbox.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, EXECUTE);
    assert_eq!(
        requests[0].json,
        Some(serde_json::json!({"params": {"k": "v"}}))
    );

    // Faults, over TLS: an error answer with its headers, then a closed connection.
    sandbox.push_fault(Fault::respond(429).with_header("Retry-After", "3"));
    let limited = http
        .post(sandbox.url(EXECUTE))
        .header("x-yunxiao-token", sandbox.token())
        .send()
        .await
        .expect("answered");
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "3");
    sandbox.push_fault(Fault::close());
    let closed = http
        .post(sandbox.url(EXECUTE))
        .header("x-yunxiao-token", sandbox.token())
        .send()
        .await;
    assert!(closed.is_err(), "a close fault answers nothing: {closed:?}");
    assert_eq!(sandbox.request_count(), 4);

    // A wrong token is still checked over https.
    let refused = http
        .post(sandbox.url(EXECUTE))
        .header("x-yunxiao-token", "pt-wrong-token-000")
        .send()
        .await
        .expect("answered");
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn every_loopback_name_is_on_the_certificate() {
    let sandbox = tls_sandbox(TlsOptions::default());
    let http = trusting(sandbox.ca_pem().expect("PEM"));
    let port = sandbox.addr().port();
    for host in ["127.0.0.1", "localhost"] {
        let answer = http
            .get(format!("https://{host}:{port}/_sandbox/health"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{host}: {e:?}"));
        assert_eq!(answer.status(), 200, "{host}");
    }
    // ::1 is on the certificate too; reach it where the machine has IPv6 loopback.
    if let Ok(v6) = spawn(SandboxConfig {
        tls: true,
        host: "::1".into(),
        ..SandboxConfig::default()
    }) {
        assert!(
            v6.base_url().starts_with("https://[::1]:"),
            "{}",
            v6.base_url()
        );
        let answer = trusting(v6.ca_pem().expect("PEM"))
            .get(v6.url("/_sandbox/health"))
            .send()
            .await
            .expect("::1 answers");
        assert_eq!(answer.status(), 200);
    }
}

#[tokio::test]
async fn a_client_without_the_ca_is_refused_before_anything_is_recorded() {
    let sandbox = tls_sandbox(TlsOptions::default());
    let error = untrusting()
        .post(sandbox.url(EXECUTE))
        .header("x-yunxiao-token", sandbox.token())
        .send()
        .await
        .expect_err("an unknown issuer is refused");
    assert!(error.is_connect(), "{error:?}");
    assert!(chain_mentions(&error, "UnknownIssuer"), "{error:?}");
    assert_eq!(sandbox.request_count(), 0);

    // The refused handshake leaves the server serving.
    let answer = trusting(sandbox.ca_pem().expect("PEM"))
        .get(sandbox.url("/_sandbox/health"))
        .send()
        .await
        .expect("still serving");
    assert_eq!(answer.status(), 200);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    let sandbox = tls_sandbox(TlsOptions {
        hostnames: vec!["example.invalid".into()],
        ..TlsOptions::default()
    });
    let error = trusting(sandbox.ca_pem().expect("PEM"))
        .get(sandbox.url("/_sandbox/health"))
        .send()
        .await
        .expect_err("the name does not match");
    assert!(error.is_connect(), "{error:?}");
    assert!(chain_mentions(&error, "NotValidForName"), "{error:?}");
    assert_eq!(sandbox.request_count(), 0);
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let sandbox = tls_sandbox(TlsOptions {
        expired: true,
        ..TlsOptions::default()
    });
    let error = trusting(sandbox.ca_pem().expect("PEM"))
        .get(sandbox.url("/_sandbox/health"))
        .send()
        .await
        .expect_err("expired");
    assert!(chain_mentions(&error, "Expired"), "{error:?}");
}

#[tokio::test]
async fn plain_http_to_the_https_port_gets_no_answer_and_breaks_nothing() {
    let sandbox = tls_sandbox(TlsOptions::default());
    let plain = sandbox.base_url().replacen("https://", "http://", 1);
    let result = untrusting()
        .get(format!("{plain}/_sandbox/health"))
        .send()
        .await;
    assert!(result.is_err(), "{result:?}");
    // Garbage that is not even an HTTP request, then a well-behaved client.
    {
        use tokio::io::AsyncWriteExt;
        let mut raw = tokio::net::TcpStream::connect(sandbox.addr())
            .await
            .expect("connects");
        raw.write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 0, 0])
            .await
            .expect("written");
        raw.shutdown().await.expect("shut down");
    }
    let answer = trusting(sandbox.ca_pem().expect("PEM"))
        .get(sandbox.url("/_sandbox/health"))
        .send()
        .await
        .expect("still serving");
    assert_eq!(answer.status(), 200);
    assert_eq!(sandbox.request_count(), 0);
}

#[test]
fn the_ca_file_lives_with_the_guard_or_in_the_given_directory() {
    let sandbox = tls_sandbox(TlsOptions::default());
    let temporary = sandbox.ca_path().expect("path").to_path_buf();
    assert!(temporary.is_file());
    drop(sandbox);
    assert!(!temporary.exists(), "{} is removed", temporary.display());

    let dir = std::env::temp_dir().join(format!("yunxiao-sandbox-tls-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sandbox = tls_sandbox(TlsOptions {
        dir: Some(dir.join("nested")),
        ..TlsOptions::default()
    });
    let kept = sandbox.ca_path().expect("path").to_path_buf();
    assert_eq!(kept.file_name().and_then(|n| n.to_str()), Some("ca.pem"));
    assert!(kept.starts_with(std::fs::canonicalize(&dir).expect("created")));
    drop(sandbox);
    assert!(kept.is_file(), "a given directory is left in place");
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}

#[test]
fn plain_http_has_no_ca() {
    let sandbox = spawn(SandboxConfig::default()).expect("starts");
    assert!(sandbox.base_url().starts_with("http://"));
    assert!(sandbox.ca_path().is_none());
    assert!(sandbox.ca_pem().is_none());
}

/// Kills the child when dropped, so a failed assertion leaves no process behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_the_https_url_and_the_ca_path() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yunxiao-sandbox"))
        .args(["--tls", "--port", "0", "--log-level", "off"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let running = Running(child);
    let mut url = String::new();
    BufReader::new(stdout)
        .read_line(&mut url)
        .expect("first stdout line");
    let url = url.trim_end().to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{url:?}");
    let mut stderr = BufReader::new(stderr);
    let mut line = String::new();
    stderr.read_line(&mut line).expect("a stderr line");
    let ca_path = line
        .trim_end()
        .strip_prefix("ca_path: ")
        .unwrap_or_else(|| panic!("ca_path line: {line:?}"))
        .to_owned();
    let pem = std::fs::read_to_string(&ca_path).expect("the CA file exists");
    let health: Value = trusting(&pem)
        .get(format!("{url}/_sandbox/health"))
        .send()
        .await
        .expect("answered over https")
        .json()
        .await
        .expect("json");
    assert_eq!(health["ca_path"], ca_path.as_str());

    // SIGTERM: the server stops and removes its temporary directory before exiting.
    let status = Command::new("kill")
        .args(["-TERM", &running.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let (done, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut running = running;
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        let _ = done.send(running.0.wait().map(|status| (status, rest)));
    });
    let (status, rest) = exited
        .recv_timeout(Duration::from_secs(10))
        .expect("the sandbox exits within 10 s")
        .expect("waited");
    assert!(status.success(), "{status:?}: {rest}");
    let dir = std::path::Path::new(&ca_path).parent().expect("dir");
    assert!(!dir.exists(), "{} is removed at exit", dir.display());
}

#[test]
fn the_binary_refuses_tls_options_without_tls() {
    let output = Command::new(env!("CARGO_BIN_EXE_yunxiao-sandbox"))
        .args(["--tls-hostname", "example.invalid"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--tls"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_binary_writes_the_ca_to_tls_dir_for_the_given_hostname() {
    let dir = std::env::temp_dir().join(format!("yunxiao-sandbox-tls-bin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_yunxiao-sandbox"))
        .args([
            "--tls",
            "--log-level",
            "off",
            "--tls-hostname",
            "example.invalid",
            "--tls-dir",
        ])
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let running = Running(child);
    let mut url = String::new();
    BufReader::new(stdout)
        .read_line(&mut url)
        .expect("first line");
    let mut line = String::new();
    BufReader::new(stderr)
        .read_line(&mut line)
        .expect("a stderr line");
    let expected = std::fs::canonicalize(&dir).expect("created").join("ca.pem");
    assert_eq!(line.trim_end(), format!("ca_path: {}", expected.display()));
    let pem = std::fs::read_to_string(&expected).expect("written");
    // The certificate is for example.invalid only: refused at 127.0.0.1.
    let error = trusting(&pem)
        .get(format!("{}/_sandbox/health", url.trim_end()))
        .send()
        .await
        .expect_err("wrong host");
    assert!(chain_mentions(&error, "NotValidForName"), "{error:?}");
    drop(running);
    assert!(expected.is_file(), "a given directory is left in place");
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}
