//! The client over real HTTPS to the sandbox's `--tls` server: trusting its CA through
//! `ca_bundle` and `YUNXIAO_CA_BUNDLE`, and refusing it — fast, once, with nothing sent —
//! without the CA, for the wrong host name, or when it has expired.

mod common;
mod relay;

use std::time::{Duration, Instant};

use yunxiao_appstack::{CertificateProblem, ClientBuilder, Error, ErrorKind};
use yunxiao_sandbox::{SandboxConfig, SandboxGuard, TlsOptions};

/// The connect timeout of the refusal tests: a refusal must come well before it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a refused handshake may take at most (loopback, a loaded 2-core machine).
const FAST: Duration = Duration::from_secs(3);

fn tls_sandbox(options: TlsOptions) -> SandboxGuard {
    yunxiao_sandbox::spawn(SandboxConfig {
        tls: true,
        tls_options: options,
        ..SandboxConfig::default()
    })
    .expect("the https sandbox starts")
}

fn ca(sandbox: &SandboxGuard) -> &std::path::Path {
    sandbox.ca_path().expect("an https sandbox has a CA")
}

/// Retries allowed and a long connect timeout: a refusal must still be a single, quick try.
fn patient(builder: ClientBuilder) -> ClientBuilder {
    builder.max_retries(5).connect_timeout(CONNECT_TIMEOUT)
}

/// Calls execute through a counting relay in front of `sandbox` and checks the refusal:
/// `problem`, kind `connection`, nothing executed, one connection only, no request recorded,
/// fast, and no token in the message.
async fn assert_refused(
    sandbox: &SandboxGuard,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
    problem: CertificateProblem,
) {
    let relay = relay::relay(sandbox.addr()).await;
    let base_url = format!("https://{}", relay.addr());
    let client = configure(patient(
        common::builder_at(&base_url).token(sandbox.token()),
    ))
    .build()
    .expect("a valid configuration");

    let started = Instant::now();
    let error = client
        .execute_release_stage(&common::deploy())
        .await
        .expect_err("the certificate is refused");
    let took = started.elapsed();

    match &error {
        Error::Certificate { problem: got, .. } => assert_eq!(*got, problem, "{error}"),
        other => panic!("expected a {problem:?} certificate error, got {other:?}"),
    }
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert_eq!(error.kind().as_str(), "connection");
    assert!(!error.may_have_executed(), "{error}");
    assert!(error.status().is_none());
    assert!(
        took < FAST,
        "refused in {took:?}: well within the {CONNECT_TIMEOUT:?} connect timeout"
    );
    // Zero retries: one TCP connection, and the sandbox never saw a request.
    assert_eq!(relay.connections(), 1, "one attempt, never retried");
    assert_eq!(sandbox.request_count(), 0, "nothing was sent");
    let message = error.to_string();
    assert!(message.contains("certificate"), "{message}");
    assert!(!message.contains(sandbox.token()), "the token stays out");
    assert!(!format!("{error:?}").contains(sandbox.token()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_ca_through_ca_bundle_is_trusted() {
    let sandbox = tls_sandbox(TlsOptions::default());
    assert!(sandbox.base_url().starts_with("https://"));
    let client = common::builder(&sandbox)
        .ca_bundle(ca(&sandbox))
        .build()
        .expect("valid");
    assert_eq!(client.config().ca_bundle(), Some(ca(&sandbox)));
    let executed = client
        .execute_release_stage(&common::deploy())
        .await
        .expect("executed over https");
    assert_eq!(executed.run_id(), Some(1));
    let sent = sandbox.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        serde_json::to_value(sent[0].token).expect("json"),
        "valid",
        "the token arrived"
    );
    // And the same client keeps working (a pooled TLS connection, or a new one).
    client
        .execute_release_stage(&common::deploy())
        .await
        .expect("again");
    assert_eq!(sandbox.request_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_is_on_the_certificate_too() {
    let sandbox = tls_sandbox(TlsOptions::default());
    let url = format!("https://localhost:{}", sandbox.addr().port());
    let client = common::builder_at(&url)
        .token(sandbox.token())
        .ca_bundle(ca(&sandbox))
        .build()
        .expect("valid");
    client
        .execute_release_stage(&common::deploy())
        .await
        .expect("executed at https://localhost");
    assert_eq!(sandbox.request_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yunxiao_ca_bundle_from_the_environment_is_trusted() {
    let sandbox = tls_sandbox(TlsOptions::default());
    let ca_path = ca(&sandbox).display().to_string();
    let client = ClientBuilder::new()
        .environment([
            ("YUNXIAO_CA_BUNDLE", ca_path.as_str()),
            ("YUNXIAO_ACCESS_TOKEN", sandbox.token()),
            ("YUNXIAO_API_BASE_URL", sandbox.base_url()),
            ("YUNXIAO_ORGANIZATION_ID", common::ORG),
        ])
        .build()
        .expect("valid");
    assert_eq!(client.config().ca_bundle(), Some(ca(&sandbox)));
    client
        .execute_release_stage(&common::deploy())
        .await
        .expect("executed, trusting the CA named in the environment");
    assert_eq!(sandbox.request_count(), 1);

    // The explicit option wins over the environment.
    let elsewhere = ClientBuilder::new()
        .environment([("YUNXIAO_CA_BUNDLE", "/nonexistent/ca.pem")])
        .token(sandbox.token())
        .base_url(sandbox.base_url())
        .organization_id(common::ORG)
        .ca_bundle(ca(&sandbox))
        .build()
        .expect("the explicit bundle wins");
    elsewhere
        .execute_release_stage(&common::deploy())
        .await
        .expect("executed");
    // A missing file named by the environment is a configuration error naming the variable.
    let missing = ClientBuilder::new()
        .environment([("YUNXIAO_CA_BUNDLE", "/nonexistent/ca.pem")])
        .token(sandbox.token())
        .base_url(sandbox.base_url())
        .build()
        .expect_err("missing file");
    assert_eq!(missing.kind(), ErrorKind::Configuration);
    assert!(
        missing.to_string().contains("YUNXIAO_CA_BUNDLE"),
        "{missing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_that_is_not_a_certificate_is_a_configuration_error() {
    let sandbox = tls_sandbox(TlsOptions::default());
    let dir = std::env::temp_dir().join(format!("yunxiao-core-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, b"not a certificate\n").expect("written");
    let error = common::builder(&sandbox)
        .ca_bundle(&junk)
        .build()
        .expect_err("no certificate in it");
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    assert!(error.to_string().contains("ca_bundle"), "{error}");
    std::fs::remove_dir_all(&dir).expect("cleaned up");
    assert_eq!(sandbox.request_count(), 0);
}

/// What holds whatever the error's variant: an untrusted certificate sends nothing, may not
/// have executed, is a `connection` error and keeps the token out of its message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_nothing_is_sent() {
    let sandbox = tls_sandbox(TlsOptions::default());
    let error = common::builder(&sandbox)
        .max_retries(0)
        .build()
        .expect("valid")
        .execute_release_stage(&common::deploy())
        .await
        .expect_err("the certificate is refused");
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(!error.may_have_executed(), "{error}");
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");
    assert!(!error.to_string().contains(sandbox.token()));
    assert_eq!(sandbox.request_count(), 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_the_call_fails_fast_with_unknown_issuer_and_no_retry() {
    let sandbox = tls_sandbox(TlsOptions::default());
    assert_refused(&sandbox, |b| b, CertificateProblem::UnknownIssuer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_host_fails_with_wrong_host_and_no_retry() {
    let sandbox = tls_sandbox(TlsOptions {
        hostnames: vec!["example.invalid".into()],
        ..TlsOptions::default()
    });
    let ca_path = ca(&sandbox).to_path_buf();
    assert_refused(
        &sandbox,
        |b| b.ca_bundle(ca_path),
        CertificateProblem::WrongHost,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_fails_with_expired_and_no_retry() {
    let sandbox = tls_sandbox(TlsOptions {
        expired: true,
        ..TlsOptions::default()
    });
    let ca_path = ca(&sandbox).to_path_buf();
    assert_refused(
        &sandbox,
        |b| b.ca_bundle(ca_path),
        CertificateProblem::Expired,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sandbox_ca_does_not_vouch_for_this_one() {
    // Two sandboxes, two throwaway CAs: trusting one is no trust in the other.
    let sandbox = tls_sandbox(TlsOptions::default());
    let other = tls_sandbox(TlsOptions::default());
    assert_ne!(sandbox.ca_pem(), other.ca_pem());
    let other_ca = ca(&other).to_path_buf();
    assert_refused(
        &sandbox,
        |b| b.ca_bundle(other_ca),
        CertificateProblem::UnknownIssuer,
    )
    .await;
}

#[test]
fn the_blocking_client_refuses_the_same_way() {
    let sandbox = tls_sandbox(TlsOptions::default());
    let client = yunxiao_appstack::blocking::Client::from_async(
        patient(common::builder(&sandbox)).build().expect("valid"),
    )
    .expect("a blocking client");
    let error = client
        .execute_release_stage(&common::deploy())
        .expect_err("refused");
    assert!(
        matches!(
            error,
            Error::Certificate {
                problem: CertificateProblem::UnknownIssuer,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.may_have_executed());
    assert_eq!(sandbox.request_count(), 0);
}

// --- SSL_CERT_FILE: read once per process with the system store, so tested in a child ---

/// Runs [`ssl_cert_file_child`] in a new process of this test binary against `sandbox`, with
/// `SSL_CERT_FILE` set to `cert_file` (or unset), expecting `outcome` (`trusted` or `refused`).
fn run_ssl_cert_file_child(
    sandbox: &SandboxGuard,
    cert_file: Option<&std::path::Path>,
    outcome: &str,
) {
    let mut command = std::process::Command::new(std::env::current_exe().expect("the test binary"));
    command.args([
        "--exact",
        "ssl_cert_file_child",
        "--ignored",
        "--test-threads=1",
    ]);
    for name in ["SSL_CERT_FILE", "SSL_CERT_DIR"] {
        command.env_remove(name);
    }
    if let Some(file) = cert_file {
        command.env("SSL_CERT_FILE", file);
    }
    let output = command
        .env("YX_TLS_TEST_CHILD", outcome)
        .env("YX_TLS_TEST_BASE_URL", sandbox.base_url())
        .env("YX_TLS_TEST_TOKEN", sandbox.token())
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stdout.contains(sandbox.token()) && !stderr.contains(sandbox.token()),
        "the child never prints the token"
    );
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child did not see the sandbox {outcome} ({:?}):\n{stdout}\n{stderr}",
        output.status
    );
}

/// The child side of [`run_ssl_cert_file_child`]: one execute without `ca_bundle`; does
/// nothing outside a child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by ssl_cert_file_is_the_system_store as a child process"]
async fn ssl_cert_file_child() {
    let Ok(expected) = std::env::var("YX_TLS_TEST_CHILD") else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let client = ClientBuilder::new()
        .ignore_environment()
        .token(var("YX_TLS_TEST_TOKEN"))
        .base_url(var("YX_TLS_TEST_BASE_URL"))
        .organization_id(common::ORG)
        .max_retries(0)
        .build()
        .expect("valid");
    let outcome = client.execute_release_stage(&common::deploy()).await;
    match (expected.as_str(), outcome) {
        ("trusted", Ok(_)) => {}
        ("refused", Err(e)) => {
            assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
            assert!(!e.may_have_executed(), "{e}");
        }
        (expected, outcome) => panic!("expected {expected}, got {:?}", outcome.map(|_| "ok")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_cert_file_is_the_system_store() {
    let sandbox = tls_sandbox(TlsOptions::default());
    // SSL_CERT_FILE naming the sandbox CA: trusted without ca_bundle.
    run_ssl_cert_file_child(&sandbox, Some(ca(&sandbox)), "trusted");
    assert_eq!(sandbox.request_count(), 1);
    // Without it, the system store (or the bundled roots) does not know the sandbox CA.
    run_ssl_cert_file_child(&sandbox, None, "refused");
    assert_eq!(sandbox.request_count(), 1, "the refused call sent nothing");
}

// --- handshakes that fail for a transient reason keep the connect-failure rule ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_handshake_is_a_connect_timeout_with_nothing_sent() {
    let server = relay::misbehaving(relay::Misbehaviour::Silent).await;
    let client = common::builder_at(&format!("https://{}", server.addr()))
        .max_retries(0)
        .connect_timeout(Duration::from_millis(500))
        .request_timeout(Duration::from_secs(10))
        .build()
        .expect("valid");
    let started = Instant::now();
    let error = client
        .execute_release_stage(&common::deploy())
        .await
        .expect_err("no handshake");
    let took = started.elapsed();
    assert!(
        matches!(
            error,
            Error::Timeout {
                phase: yunxiao_appstack::TimeoutPhase::Connect,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.may_have_executed(), "{error}");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "cut by the connect timeout, not the request timeout: {took:?}"
    );
    assert!(
        relay::contains(&server.bytes(), &[0x16, 0x03]),
        "a ClientHello was sent, and nothing else could be"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_cut_off_is_retried_like_any_failed_connection() {
    let server = relay::misbehaving(relay::Misbehaviour::HangUp).await;
    let client = common::builder_at(&format!("https://{}", server.addr()))
        .max_retries(2)
        .build()
        .expect("valid");
    let error = client
        .execute_release_stage(&common::deploy())
        .await
        .expect_err("no handshake");
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(
        !matches!(error, Error::Certificate { .. }),
        "not a certificate problem: {error:?}"
    );
    assert!(!error.may_have_executed(), "{error}");
    assert_eq!(
        server.connections(),
        3,
        "a transient handshake failure is retried (max_retries 2)"
    );
}
