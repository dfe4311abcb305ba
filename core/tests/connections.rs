//! Connection reuse, counted by the server: a strictly sequential caller stays on one
//! connection, and a pooled connection the server closed while idle is replaced before a
//! request goes out on it — never reported as "may have executed".

mod common;

use std::time::Duration;

use common::{builder, deploy};
use yunxiao_appstack::StageRef;
use yunxiao_sandbox::{SandboxConfig, SandboxGuard};

const CALLS: usize = 5;

fn sandbox(idle_timeout: Duration) -> SandboxGuard {
    yunxiao_sandbox::spawn(SandboxConfig {
        idle_timeout,
        ..SandboxConfig::default()
    })
    .expect("the sandbox starts")
}

fn accepted(sandbox: &SandboxGuard) -> u64 {
    sandbox.sandbox().connections_accepted()
}

fn executes(sandbox: &SandboxGuard) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(":execute"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_async_calls_share_one_connection() {
    let sandbox = sandbox(Duration::from_secs(30));
    let client = builder(&sandbox).build().expect("client");
    let run = StageRef::new("my-web-service", "wf-main", "stage-deploy").run(1);
    client
        .execute_release_stage(&deploy())
        .await
        .expect("execute");
    for _ in 0..CALLS {
        client
            .execute_release_stage(&deploy())
            .await
            .expect("execute");
        client
            .get_release_stage_pipeline_run(&run)
            .await
            .expect("read");
    }
    assert_eq!(
        accepted(&sandbox),
        1,
        "one connection for {} calls",
        2 * CALLS + 1
    );
}

#[tokio::test(flavor = "current_thread")]
async fn sequential_calls_on_a_current_thread_runtime_share_one_connection() {
    let sandbox = sandbox(Duration::from_secs(30));
    let client = builder(&sandbox).build().expect("client");
    for _ in 0..CALLS {
        client
            .execute_release_stage(&deploy())
            .await
            .expect("execute");
    }
    assert_eq!(accepted(&sandbox), 1);
}

#[test]
fn sequential_blocking_calls_share_one_connection() {
    let sandbox = sandbox(Duration::from_secs(30));
    let client = builder(&sandbox).build_blocking().expect("client");
    let run = StageRef::new("my-web-service", "wf-main", "stage-deploy").run(1);
    for _ in 0..CALLS {
        client.execute_release_stage(&deploy()).expect("execute");
        client.get_release_stage_pipeline_run(&run).expect("read");
    }
    assert_eq!(
        accepted(&sandbox),
        1,
        "one connection for {} calls",
        2 * CALLS
    );
}

#[test]
fn a_connection_the_server_closed_while_idle_is_not_used() {
    // The server closes idle connections after 100 ms; nothing drives the blocking client's
    // runtime between calls, so only the check before each call can notice.
    let sandbox = sandbox(Duration::from_millis(100));
    let client = builder(&sandbox).build_blocking().expect("client");
    for round in 1..=3u64 {
        client
            .execute_release_stage(&deploy())
            .unwrap_or_else(|e| panic!("execute {round} on a fresh connection: {e}"));
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(accepted(&sandbox), round);
    }
    assert_eq!(executes(&sandbox), 3, "each execute sent exactly once");
}

#[test]
fn a_slow_event_callback_does_not_stall_other_threads_calls() {
    // Thread A waits on a run through the bridge and its callback sleeps on the first event;
    // meanwhile thread B's calls on the same client must go on: the callback runs between
    // polls, so A does not hold the I/O driver while it sleeps.
    let sandbox = yunxiao_sandbox::spawn(SandboxConfig {
        clock_scale: 1000.0,
        ..SandboxConfig::default()
    })
    .expect("the sandbox starts");
    let client = builder(&sandbox)
        .request_timeout(Duration::from_secs(2))
        .build_blocking()
        .expect("client");
    client.execute_release_stage(&deploy()).expect("execute");
    let (entered, in_callback) = std::sync::mpsc::channel::<()>();
    let waiter = {
        let client = client.clone();
        std::thread::spawn(move || {
            let first = std::sync::atomic::AtomicBool::new(true);
            let entered = std::sync::Mutex::new(entered);
            let hooks = yunxiao_appstack::bridge::Hooks {
                on_event: Some(std::sync::Arc::new(move |_event: &serde_json::Value| {
                    if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                        let _ = entered.lock().expect("not poisoned").send(());
                        std::thread::sleep(Duration::from_secs(4));
                    }
                })),
                abort: None,
            };
            client.call_bridge(
                "wait_for_run",
                serde_json::json!({"app_name": "my-web-service", "release_workflow_sn": "wf-main",
                    "release_stage_sn": "stage-deploy", "execution_number": 1, "poll_initial_ms": 10}),
                yunxiao_appstack::bridge::ArgStyle::C,
                &hooks,
            )
        })
    };
    in_callback
        .recv_timeout(Duration::from_secs(10))
        .expect("the wait sends an event");
    let started = std::time::Instant::now();
    for _ in 0..3 {
        client
            .execute_release_stage(&deploy())
            .expect("another thread's call goes on while the callback sleeps");
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the calls waited for the callback: {:?}",
        started.elapsed()
    );
    waiter
        .join()
        .expect("the waiter finishes")
        .expect("the wait ends");
}
