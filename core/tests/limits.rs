//! The call deadline and the client-wide rate cap, over real HTTP.

mod common;

use std::time::{Duration, Instant};

use common::{builder, deploy, sandbox};
use yunxiao_appstack::{AppRef, ErrorKind, TimeoutPhase};
use yunxiao_sandbox::Fault;

#[tokio::test]
async fn the_deadline_cuts_a_stalled_answer() {
    let sandbox = sandbox();
    let client = builder(&sandbox)
        .request_timeout(Duration::from_secs(30))
        .deadline(Duration::from_millis(400))
        .build()
        .expect("client");
    sandbox.push_fault(Fault::delay(5_000));
    let started = Instant::now();
    let error = client
        .list_release_workflow_briefs(&AppRef::new("my-web-service"))
        .await
        .expect_err("deadline");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(error.to_string().contains("the call's deadline"), "{error}");
    assert!(!error.may_have_executed(), "a read");

    // Execute: the stalled attempt was sent, so it may have started.
    sandbox.push_fault(Fault::delay(5_000));
    let error = client
        .execute_release_stage(&deploy())
        .await
        .expect_err("deadline");
    assert!(
        matches!(
            error,
            yunxiao_appstack::Error::Timeout {
                phase: TimeoutPhase::Response,
                deadline: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.may_have_executed());
}

#[tokio::test]
async fn the_deadline_cuts_a_long_retry_after_and_nothing_was_done() {
    let sandbox = sandbox();
    let client = builder(&sandbox)
        .deadline(Duration::from_millis(500))
        .build()
        .expect("client");
    sandbox.push_fault(Fault::respond(429).with_header("Retry-After", "30"));
    let started = Instant::now();
    let error = client
        .execute_release_stage(&deploy())
        .await
        .expect_err("deadline");
    let took = started.elapsed();
    // A 30 s Retry-After is over the 60 s wait limit? No: 30 s is waited for, so the deadline
    // cuts the wait.
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        matches!(
            error,
            yunxiao_appstack::Error::Timeout {
                phase: TimeoutPhase::Waiting,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        !error.may_have_executed(),
        "a 429 is the server's word that it did not act"
    );
    assert_eq!(sandbox.request_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_cap_spaces_requests_and_loses_none() {
    let sandbox = sandbox();
    let client = builder(&sandbox).max_rps(50.0).build().expect("client");
    let app = AppRef::new("my-web-service");
    let started = Instant::now();
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let client = client.clone();
            let app = app.clone();
            tokio::spawn(async move { client.list_release_workflow_briefs(&app).await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("every call succeeds");
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(3900),
        "200 calls at 50/s took {took:?}"
    );
    assert_eq!(sandbox.request_count(), 200);
}

#[test]
fn settings_are_validated_with_their_names() {
    let bad = [
        builder_env(&[("YUNXIAO_MAX_RPS", "0")]),
        builder_env(&[("YUNXIAO_MAX_RPS", "fast")]),
        builder_env(&[("YUNXIAO_DEADLINE", "-1")]),
        builder_env(&[("YUNXIAO_CA_BUNDLE", "/nonexistent/ca.pem")]),
    ];
    for (vars, result) in bad {
        let error = result.expect_err("refused");
        assert_eq!(error.kind(), ErrorKind::Configuration);
        assert!(error.to_string().contains(vars[0].0), "{error}");
    }
    let proxy = yunxiao_appstack::ClientBuilder::new()
        .ignore_environment()
        .token("pt-test-token-1")
        .proxy("http://user:hunter2secret@127.0.0.1:9")
        .resolve()
        .expect("valid");
    assert!(!format!("{proxy:?}").contains("hunter2secret"), "{proxy:?}");
    let error = yunxiao_appstack::ClientBuilder::new()
        .ignore_environment()
        .token("pt-test-token-1")
        .proxy("socks9://x")
        .resolve()
        .expect_err("scheme");
    assert!(error.to_string().contains("proxy"), "{error}");
}

type Vars = &'static [(&'static str, &'static str)];

fn builder_env(
    vars: Vars,
) -> (
    Vars,
    Result<yunxiao_appstack::ClientConfig, yunxiao_appstack::Error>,
) {
    let mut all: Vec<(&str, &str)> = vec![("YUNXIAO_ACCESS_TOKEN", "pt-test-token-1")];
    all.extend_from_slice(vars);
    (
        vars,
        yunxiao_appstack::ClientBuilder::new()
            .environment(all)
            .resolve(),
    )
}
