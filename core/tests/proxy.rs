//! Proxies, over real HTTPS to the sandbox through a local CONNECT proxy that counts its
//! tunnels and keeps every byte it reads: requests go through it when a proxy is configured
//! (explicitly, or `HTTPS_PROXY` in the process environment), not when `NO_PROXY` matches, never
//! for a plain-http base URL, and the proxy only ever sees `CONNECT` and ciphertext — never the
//! token.
//!
//! reqwest reads `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` from the *process* environment, not
//! from `ClientBuilder::environment`, so the tests of those variables run this test binary
//! again as a child process with the variables set (see [`run_child`]): no test mutates its
//! own process environment.

mod common;
mod relay;

use std::process::Command;

use yunxiao_appstack::{ClientBuilder, ErrorKind};
use yunxiao_sandbox::{SandboxConfig, SandboxGuard};

/// The proxy password of the credential test; it must never show up anywhere.
const PROXY_PASSWORD: &str = "s3cret-proxy-pass";

fn tls_sandbox() -> SandboxGuard {
    yunxiao_sandbox::spawn(SandboxConfig {
        tls: true,
        ..SandboxConfig::default()
    })
    .expect("the https sandbox starts")
}

/// A client for the https sandbox, trusting its CA, ignoring the environment.
fn https_builder(sandbox: &SandboxGuard) -> ClientBuilder {
    common::builder(sandbox).ca_bundle(sandbox.ca_path().expect("a CA"))
}

/// The proxy saw a CONNECT to the sandbox and TLS records, and not one byte of the token.
fn assert_only_ciphertext(proxy: &relay::Listening, sandbox: &SandboxGuard) {
    let bytes = proxy.bytes();
    let target = sandbox.addr().to_string();
    assert!(
        relay::contains(&bytes, format!("CONNECT {target} HTTP/1.1").as_bytes()),
        "the tunnel was asked for {target}: {:?}",
        proxy.heads()
    );
    // 0x16 0x03: a TLS handshake record; 0x17 0x03: application data.
    assert!(relay::contains(&bytes, &[0x16, 0x03]), "a TLS handshake");
    assert!(relay::contains(&bytes, &[0x17, 0x03]), "encrypted data");
    assert!(
        !relay::contains(&bytes, sandbox.token().as_bytes()),
        "the token never crosses the proxy in clear text"
    );
    assert!(
        !relay::contains(&bytes, b"x-yunxiao-token"),
        "no request header crosses it in clear text either"
    );
    assert!(
        !relay::contains(&bytes, b"releaseStages"),
        "nor the request path"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_proxy_carries_https_as_ciphertext() {
    let sandbox = tls_sandbox();
    let proxy = relay::connect_proxy().await;
    let client = https_builder(&sandbox)
        .proxy(proxy.url())
        .build()
        .expect("valid");
    for n in 1..=3 {
        let executed = client
            .execute_release_stage(&common::deploy())
            .await
            .expect("executed through the proxy");
        assert_eq!(executed.run_id(), Some(n));
    }
    assert_eq!(sandbox.request_count(), 3);
    assert!(proxy.connects() >= 1, "at least one tunnel");
    assert_eq!(proxy.refused(), 0, "{:?}", proxy.heads());
    assert_eq!(
        proxy.connects(),
        proxy.connections(),
        "every connection was a CONNECT"
    );
    assert!(
        proxy
            .targets()
            .iter()
            .all(|t| *t == sandbox.addr().to_string()),
        "{:?}",
        proxy.targets()
    );
    assert_only_ciphertext(&proxy, &sandbox);
    // The sandbox saw the token: it went through the tunnel, encrypted.
    assert!(
        sandbox
            .requests()
            .iter()
            .all(|r| serde_json::to_value(r.token).expect("json") == "valid")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_credentials_reach_the_proxy_and_nothing_else() {
    let sandbox = tls_sandbox();
    let proxy = relay::connect_proxy().await;
    let with_credentials = format!("http://yx-user:{PROXY_PASSWORD}@{}", proxy.addr());
    let client = https_builder(&sandbox)
        .proxy(&with_credentials)
        .build()
        .expect("valid");
    client
        .execute_release_stage(&common::deploy())
        .await
        .expect("executed through the proxy");
    assert_eq!(proxy.connects(), 1);
    // Basic base64("yx-user:s3cret-proxy-pass"), on the CONNECT only.
    let heads = proxy.heads();
    let authorization: Vec<&str> = heads[0]
        .lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim())
        .collect();
    assert_eq!(
        authorization,
        ["Basic eXgtdXNlcjpzM2NyZXQtcHJveHktcGFzcw=="],
        "the proxy got the credentials"
    );
    assert_only_ciphertext(&proxy, &sandbox);
    // The client's and the settings' descriptions keep the password secret.
    for shown in [
        format!("{client:?}"),
        format!("{:?}", client.config()),
        format!("{:?}", https_builder(&sandbox).proxy(&with_credentials)),
    ] {
        assert!(!shown.contains(PROXY_PASSWORD), "{shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_refuses_the_tunnel_is_a_connection_error_without_the_password() {
    let proxy = relay::connect_proxy().await;
    // The proxy refuses any target off loopback (403); the name is never resolved here.
    let client = common::builder_at("https://yunxiao.example.invalid")
        .token("pt-test-token-0123")
        .max_retries(0)
        .proxy(format!("http://yx-user:{PROXY_PASSWORD}@{}", proxy.addr()))
        .build()
        .expect("valid");
    let error = client
        .execute_release_stage(&common::deploy())
        .await
        .expect_err("the tunnel is refused");
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(!error.may_have_executed(), "{error}");
    assert_eq!(proxy.connects(), 0);
    assert!(proxy.refused() >= 1);
    assert!(
        proxy.heads()[0].starts_with("CONNECT yunxiao.example.invalid:443 "),
        "{:?}",
        proxy.heads()
    );
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains(PROXY_PASSWORD), "{shown}");
        assert!(!shown.contains("pt-test-token-0123"), "{shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_base_url_never_goes_through_an_explicit_proxy() {
    let sandbox = common::sandbox();
    assert!(sandbox.base_url().starts_with("http://"));
    let proxy = relay::connect_proxy().await;
    let client = common::builder(&sandbox)
        .proxy(proxy.url())
        .build()
        .expect("valid");
    client
        .execute_release_stage(&common::deploy())
        .await
        .expect("executed directly");
    assert_eq!(sandbox.request_count(), 1);
    assert_eq!(proxy.connections(), 0, "the proxy was never contacted");
}

/// A `HTTPS_PROXY` given through `ClientBuilder::environment` should be used like the other
/// variables there. Today core leaves proxies to reqwest, which reads the *process*
/// environment only (and `NO_PROXY` for the explicit option comes from the process too), so
/// this fails; ignored until core reads the proxy variables from its environment source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_from_the_builder_environment_is_used() {
    let sandbox = tls_sandbox();
    let proxy = relay::connect_proxy().await;
    let client = ClientBuilder::new()
        .environment([
            ("HTTPS_PROXY", proxy.url().as_str()),
            ("YUNXIAO_ACCESS_TOKEN", sandbox.token()),
            ("YUNXIAO_API_BASE_URL", sandbox.base_url()),
            ("YUNXIAO_ORGANIZATION_ID", common::ORG),
            (
                "YUNXIAO_CA_BUNDLE",
                &sandbox.ca_path().expect("CA").display().to_string(),
            ),
        ])
        .build()
        .expect("valid");
    client
        .execute_release_stage(&common::deploy())
        .await
        .expect("executed");
    assert_eq!(proxy.connects(), 1, "HTTPS_PROXY was honoured");
}

// --- the process-environment tests: this binary again, as a child with the variables set ---

/// The variables every child starts without, whatever the parent's environment holds.
const PROXY_VARIABLES: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Runs [`child_call`] in a new process of this test binary with `env` set (and every proxy
/// variable not in `env` removed), pointed at `sandbox`; panics unless its call succeeded.
fn run_child(sandbox: &SandboxGuard, explicit_proxy: Option<&str>, env: &[(&str, &str)]) {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command.args(["--exact", "child_call", "--ignored", "--test-threads=1"]);
    for name in PROXY_VARIABLES {
        command.env_remove(name);
    }
    // The child reads the process environment (it is the builder's environment source
    // there), so none of the parent's YUNXIAO_* settings may leak in.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("YUNXIAO_") {
            command.env_remove(name);
        }
    }
    command
        .env("YX_PROXY_TEST_CHILD", "1")
        .env("YX_PROXY_TEST_BASE_URL", sandbox.base_url())
        .env("YX_PROXY_TEST_TOKEN", sandbox.token())
        .envs(env.iter().copied());
    if let Some(ca) = sandbox.ca_path() {
        command.env("YX_PROXY_TEST_CA", ca);
    }
    if let Some(proxy) = explicit_proxy {
        command.env("YX_PROXY_TEST_EXPLICIT", proxy);
    }
    let output = command.output().expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stdout.contains(sandbox.token()) && !stderr.contains(sandbox.token()),
        "the child never prints the token"
    );
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child's call failed ({:?}):\n{stdout}\n{stderr}",
        output.status
    );
}

/// The child side of [`run_child`]: one execute with the settings it was given. Does nothing
/// outside a child (it is ignored, so only `run_child` runs it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by the process-environment tests as a child process"]
async fn child_call() {
    if std::env::var_os("YX_PROXY_TEST_CHILD").is_none() {
        return;
    }
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    // The process environment is the builder's source here: the proxy variables are read
    // from it whichever way core reads them.
    let mut builder = ClientBuilder::new()
        .token(var("YX_PROXY_TEST_TOKEN"))
        .base_url(var("YX_PROXY_TEST_BASE_URL"))
        .organization_id(common::ORG)
        .max_retries(0)
        .request_timeout(std::time::Duration::from_secs(10));
    if let Ok(ca) = std::env::var("YX_PROXY_TEST_CA") {
        builder = builder.ca_bundle(ca);
    }
    if let Ok(proxy) = std::env::var("YX_PROXY_TEST_EXPLICIT") {
        builder = builder.proxy(proxy);
    }
    let client = builder.build().expect("valid");
    if let Err(e) = client.execute_release_stage(&common::deploy()).await {
        panic!("the child's call failed: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_from_the_process_environment_carries_https() {
    let sandbox = tls_sandbox();
    let proxy = relay::connect_proxy().await;
    run_child(&sandbox, None, &[("HTTPS_PROXY", &proxy.url())]);
    assert_eq!(sandbox.request_count(), 1);
    assert_eq!(proxy.connects(), 1, "HTTPS_PROXY was used");
    assert_only_ciphertext(&proxy, &sandbox);

    let all = relay::connect_proxy().await;
    run_child(&sandbox, None, &[("ALL_PROXY", &all.url())]);
    assert_eq!(all.connects(), 1, "ALL_PROXY was used");
    assert_eq!(sandbox.request_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_matching_the_host_bypasses_the_proxy() {
    let sandbox = tls_sandbox();
    let proxy = relay::connect_proxy().await;
    let url = proxy.url();

    // From the environment, excepted by NO_PROXY.
    run_child(
        &sandbox,
        None,
        &[("HTTPS_PROXY", &url), ("NO_PROXY", "127.0.0.1")],
    );
    assert_eq!(sandbox.request_count(), 1);
    assert_eq!(
        proxy.connections(),
        0,
        "NO_PROXY=127.0.0.1 bypasses HTTPS_PROXY"
    );

    // The explicit option honours NO_PROXY too (a list; a CIDR range).
    run_child(
        &sandbox,
        Some(&url),
        &[("NO_PROXY", "example.com, 127.0.0.1")],
    );
    run_child(&sandbox, Some(&url), &[("no_proxy", "127.0.0.0/8")]);
    assert_eq!(sandbox.request_count(), 3);
    assert_eq!(
        proxy.connections(),
        0,
        "NO_PROXY bypasses the explicit proxy"
    );

    // And a NO_PROXY for other hosts does not: the same call then goes through the proxy.
    run_child(&sandbox, Some(&url), &[("NO_PROXY", "example.com")]);
    assert_eq!(sandbox.request_count(), 4);
    assert_eq!(
        proxy.connects(),
        1,
        "a non-matching NO_PROXY leaves the proxy on"
    );
    assert_only_ciphertext(&proxy, &sandbox);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_base_url_ignores_every_proxy_variable() {
    let sandbox = common::sandbox();
    let proxy = relay::connect_proxy().await;
    let url = proxy.url();
    run_child(
        &sandbox,
        None,
        &[
            ("HTTP_PROXY", &url),
            ("http_proxy", &url),
            ("HTTPS_PROXY", &url),
            ("ALL_PROXY", &url),
        ],
    );
    run_child(&sandbox, Some(&url), &[("HTTP_PROXY", &url)]);
    assert_eq!(sandbox.request_count(), 2);
    assert_eq!(
        proxy.connections(),
        0,
        "the token never travels through a proxy in clear text"
    );
}
