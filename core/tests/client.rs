//! The client over real HTTP against the sandbox: retries, request counts, redaction,
//! concurrency, connection reuse and the blocking twin.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{builder, builder_at, client, deploy, sandbox};
use tokio::io::AsyncWriteExt;
use yunxiao_appstack::{Error, ErrorKind, TimeoutPhase};
use yunxiao_sandbox::Fault;

#[tokio::test]
async fn a_500_is_sent_once_and_may_have_executed() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::respond(500));
    let err = client(&sandbox)
        .execute_release_stage(&deploy())
        .await
        .expect_err("500");
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(err.may_have_executed());
    assert_eq!(sandbox.request_count(), 1);
    assert!(err.request_id().is_some(), "request id from the error body");
}

#[tokio::test]
async fn a_429_then_a_200_is_two_requests() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::respond(429).with_header("Retry-After", "0"));
    let response = client(&sandbox)
        .execute_release_stage(&deploy())
        .await
        .expect("retried");
    assert_eq!(response.run_id(), Some(1));
    assert_eq!(sandbox.request_count(), 2);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let sandbox = sandbox();
    let when = httpdate_in(Duration::from_secs(2));
    sandbox.push_fault(Fault::respond(503).with_header("Retry-After", when));
    let started = Instant::now();
    client(&sandbox)
        .execute_release_stage(&deploy())
        .await
        .expect("retried");
    assert_eq!(sandbox.request_count(), 2);
    // HTTP dates have one-second resolution: "in two seconds" is a wait of one to two.
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "waited {waited:?}");
    assert!(waited <= Duration::from_secs(3), "waited {waited:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_a_minute_is_returned_not_waited_for() {
    let sandbox = sandbox();
    for value in [httpdate_in(Duration::from_secs(300)), "120".to_owned()] {
        sandbox.reset();
        sandbox.push_fault(Fault::respond(503).with_header("Retry-After", value));
        let started = Instant::now();
        let err = client(&sandbox)
            .execute_release_stage(&deploy())
            .await
            .expect_err("not waited for");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(
            err.retry_after()
                .is_some_and(|d| d > Duration::from_secs(60))
        );
        assert!(
            !err.may_have_executed(),
            "503 with Retry-After: nothing ran"
        );
        assert_eq!(sandbox.request_count(), 1);
    }
}

fn httpdate_in(delay: Duration) -> String {
    let when = std::time::SystemTime::now() + delay;
    let secs = when
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    // RFC 7231 IMF-fixdate, built by hand to avoid a dev-dependency.
    let days = secs / 86_400;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let (year, month, day) = civil_from_days(days as i64);
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][month as usize - 1];
    format!("{weekday}, {day:02} {month} {year} {h:02}:{m:02}:{s:02} GMT")
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[tokio::test]
async fn a_timeout_after_sending_is_not_retried() {
    let sandbox = sandbox();
    sandbox.push_fault(Fault::delay(3_000));
    let client = builder(&sandbox)
        .request_timeout(Duration::from_millis(300))
        .build()
        .expect("valid");
    let started = Instant::now();
    let err = client
        .execute_release_stage(&deploy())
        .await
        .expect_err("timeout");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up at the deadline"
    );
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::Response,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.may_have_executed());
    assert_eq!(sandbox.request_count(), 1);
}

#[tokio::test]
async fn a_stalled_body_is_a_body_timeout() {
    // A server that sends headers and then goes quiet.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut buffer = [0u8; 4096];
        let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buffer).await;
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"obj")
            .await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let client = builder_at(&format!("http://{addr}"))
        .request_timeout(Duration::from_millis(400))
        .build()
        .expect("valid");
    let err = client
        .execute_release_stage(&deploy())
        .await
        .expect_err("stalls");
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::Body,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.may_have_executed());
}

#[tokio::test]
async fn a_connection_cut_after_sending_is_sent_once() {
    let sandbox = sandbox();
    for fault in [Fault::close(), Fault::cut_body()] {
        sandbox.reset();
        sandbox.push_fault(fault);
        let err = client(&sandbox)
            .execute_release_stage(&deploy())
            .await
            .expect_err("cut");
        assert_eq!(err.kind(), ErrorKind::Connection);
        assert!(err.may_have_executed(), "{err}");
        assert_eq!(sandbox.request_count(), 1);
    }
}

#[tokio::test]
async fn connect_failures_are_retried_and_say_nothing_ran() {
    // Bind then drop: the port is very likely closed now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (captured, _guard) = Captured::install(tracing::Level::DEBUG);
    let client = builder_at(&format!("http://127.0.0.1:{port}"))
        .max_retries(2)
        .build()
        .expect("valid");
    let err = client
        .execute_release_stage(&deploy())
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(!err.may_have_executed());
    // Our words, once: where and why, none of the HTTP stack's layers.
    let shown = err.to_string();
    assert!(
        shown.ends_with(&format!(
            "could not connect to 127.0.0.1:{port}: connection refused; nothing was sent"
        )),
        "{shown}"
    );
    assert!(
        !shown.contains("error sending request") && !shown.contains("client error"),
        "{shown}"
    );
    let log = captured.text();
    for attempt in 1..=3 {
        assert!(
            log.contains(&format!("attempt={attempt} ")),
            "attempt {attempt}:\n{log}"
        );
    }
    assert!(
        !log.contains("attempt=4 "),
        "no more than max_retries:\n{log}"
    );
}

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let sandbox = sandbox();
    let client = client(&sandbox);
    for request in [
        yunxiao_appstack::ExecuteReleaseStageRequest::new("", "wf-main", "stage-deploy"),
        deploy().organization_id("bad\norg"),
        deploy()
            .comment("a")
            .variable("FLOW_INST_RUNNING_COMMENT", "b"),
    ] {
        let err = client
            .execute_release_stage(&request)
            .await
            .expect_err("invalid");
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert!(!err.may_have_executed());
    }
    assert_eq!(sandbox.request_count(), 0);
}

#[tokio::test]
async fn runs_are_numbered_per_stage_and_connections_are_reused() {
    let sandbox = sandbox();
    // A counting TCP relay in front of the sandbox shows how many connections the client opens.
    let relay = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let relay_addr = relay.local_addr().expect("addr");
    let upstream = sandbox.addr();
    let accepted = Arc::new(Mutex::new(0usize));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = relay.accept().await {
            *counter.lock().expect("not poisoned") += 1;
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let client = builder(&sandbox)
        .base_url(format!("http://{relay_addr}"))
        .build()
        .expect("valid");
    for expected in 1..=20u64 {
        let response = client
            .clone()
            .execute_release_stage(&deploy())
            .await
            .expect("ok");
        assert_eq!(response.run_id(), Some(expected));
        assert_eq!(response.pipeline_run_id, Some(expected));
    }
    assert_eq!(
        *accepted.lock().expect("not poisoned"),
        1,
        "one pooled connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls_on_one_client() {
    let sandbox = sandbox();
    let client = client(&sandbox);
    let calls = (0..200).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.execute_release_stage(&deploy()).await })
    });
    let mut ids: Vec<u64> = Vec::new();
    for call in calls {
        ids.push(
            call.await
                .expect("joined")
                .expect("ok")
                .run_id()
                .expect("run id"),
        );
    }
    ids.sort_unstable();
    assert_eq!(ids, (1..=200).collect::<Vec<_>>());
}

#[test]
fn the_blocking_client_is_shared_by_threads() {
    let sandbox = sandbox();
    let client = builder(&sandbox).build_blocking().expect("valid");
    std::thread::scope(|scope| {
        for _ in 0..8 {
            let client = client.clone();
            scope.spawn(move || {
                for _ in 0..25 {
                    client.execute_release_stage(&deploy()).expect("ok");
                }
            });
        }
    });
    assert_eq!(sandbox.request_count(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_client_works_inside_spawn_blocking() {
    let sandbox = sandbox();
    let client = builder(&sandbox).build_blocking().expect("valid");
    let response = tokio::task::spawn_blocking(move || {
        let response = client.execute_release_stage(&deploy());
        drop(client); // dropping it inside a runtime must not panic either
        response
    })
    .await
    .expect("joined")
    .expect("ok");
    assert_eq!(response.run_id(), Some(1));
    assert_eq!(sandbox.request_count(), 1);
}

#[tokio::test]
async fn headers_are_exact() {
    let sandbox = sandbox();
    builder(&sandbox)
        .user_agent_suffix("test")
        .build()
        .expect("valid")
        .execute_release_stage(&deploy())
        .await
        .expect("ok");
    let request = &sandbox.requests()[0];
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.header("user-agent"),
        Some(format!("yunxiao-appstack/{} (test)", yunxiao_appstack::VERSION).as_str())
    );
    assert_eq!(request.token, yunxiao_sandbox::TokenStatus::Valid);
}

/// A writer that keeps what tracing prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Captures every event up to `level` on this thread until the guard is dropped.
    fn install(level: tracing::Level) -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = Self::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("not poisoned").clone()).expect("utf-8")
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_appears_in_no_output() {
    const TOKEN: &str = "pt-SECRET-7f3a9c-do-not-print";
    let config = yunxiao_sandbox::SandboxConfig {
        token: Some(TOKEN.to_owned()),
        ..yunxiao_sandbox::SandboxConfig::default()
    };
    let sandbox = yunxiao_sandbox::spawn(config).expect("starts");
    let (captured, _guard) = Captured::install(tracing::Level::TRACE);

    let client = builder(&sandbox).token(TOKEN).build().expect("valid");
    let mut shown = vec![format!("{client:?}"), format!("{:?}", client.config())];
    client.execute_release_stage(&deploy()).await.expect("ok");
    // A server that echoes the token back in its error must not get it into our errors.
    let echo = format!("{{\"errorCode\":\"Echo\",\"errorMessage\":\"you sent {TOKEN}\"}}");
    for fault in [
        Fault::respond(500)
            .with_text_body(echo.clone())
            .with_header("content-type", "application/json"),
        Fault::respond(429).with_header("Retry-After", "0").times(3),
        Fault::close(),
        Fault::malformed_json(),
    ] {
        sandbox.push_fault(fault);
        let err = client
            .execute_release_stage(&deploy())
            .await
            .expect_err("fault");
        shown.push(err.to_string());
        shown.push(format!("{err:?}"));
        shown.push(err.message());
        if let Some(api) = err.api() {
            shown.push(api.body.clone());
        }
    }
    let prepared = client.prepare(&deploy()).expect("valid");
    shown.push(prepared.to_string());
    shown.push(format!("{prepared:?}"));
    let log = captured.text();
    assert!(log.contains("attempt=1"), "attempts are logged:\n{log}");
    assert!(log.contains("status=500"), "statuses are logged:\n{log}");
    shown.push(log);
    for text in &shown {
        assert!(!text.contains(TOKEN), "token leaked in: {text}");
    }
    for request in sandbox.requests() {
        assert!(!format!("{request:?}").contains(TOKEN));
    }
}
