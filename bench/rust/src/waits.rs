//! `make bench`'s fan-out benchmark: one process waiting on many runs at once.
//!
//! `yunxiao-bench-waits BASE_URL TOKEN RUNS SECONDS` starts RUNS runs of the sandbox's
//! `stage-long` (20 minutes each, so every run stays idle for the whole measurement), then waits
//! on all of them at once with the default poll schedule and a deadline of SECONDS, and prints
//! one JSON line: `{"runs", "seconds", "polls_total", "polls_per_run", "schedule_polls",
//! "cpu_seconds", "cpu_ms_per_run_minute", "rss_kb_before", "rss_kb_peak", "deadline_outcomes"}`.
//! CPU time is this process's user + system time during the waits only.

use std::time::{Duration, Instant};

use yunxiao_appstack::{
    Client, ExecuteReleaseStageRequest, StageRef, WaitOptions, WaitState, policy,
};

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// User + system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat; 11 and 12 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Polls the default schedule sends in `seconds` without jitter: the first at once, then
/// pauses growing from `WAIT_POLL_INITIAL` by `WAIT_POLL_GROWTH` up to `WAIT_POLL_MAX`.
fn schedule_polls(seconds: f64) -> u64 {
    let (mut at, mut pause, mut polls) = (0.0, policy::WAIT_POLL_INITIAL.as_secs_f64(), 0);
    while at <= seconds {
        polls += 1;
        at += pause;
        pause = (pause * policy::WAIT_POLL_GROWTH).min(policy::WAIT_POLL_MAX.as_secs_f64());
    }
    polls
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: yunxiao-bench-waits BASE_URL TOKEN RUNS SECONDS");
        std::process::exit(2);
    }
    let runs: usize = args[3].parse().expect("RUNS is a number");
    let seconds: f64 = args[4].parse().expect("SECONDS is a number");
    let client = Client::builder()
        .ignore_environment()
        .token(args[2].as_str())
        .base_url(args[1].as_str())
        .organization_id("sandbox-org")
        .build()
        .expect("a client");
    let stage = StageRef::new("my-web-service", "wf-main", "stage-long");
    let request = ExecuteReleaseStageRequest::for_stage(stage.clone());
    let mut started = Vec::with_capacity(runs);
    for _ in 0..runs {
        let response = client.execute_release_stage(&request).await.expect("execute");
        started.push(response.run(&stage).expect("a run number"));
    }
    let rss_before = status_kb("VmRSS:");
    let cpu_before = cpu_seconds();
    let clock = Instant::now();
    let options = WaitOptions::new().deadline(Duration::from_secs_f64(seconds));
    let waits: Vec<_> = started
        .into_iter()
        .map(|run| {
            let client = client.clone();
            let options = options.clone();
            tokio::spawn(async move { client.wait_for_run(&run, &options).await })
        })
        .collect();
    let (mut polls, mut at_deadline) = (0u64, 0usize);
    for wait in waits {
        let outcome = wait.await.expect("task").expect("waited");
        polls += u64::from(outcome.polls);
        at_deadline += usize::from(outcome.state == WaitState::DeadlineExceeded);
    }
    let elapsed = clock.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    println!(
        "{}",
        serde_json::json!({
            "runs": runs,
            "seconds": elapsed,
            "polls_total": polls,
            "polls_per_run": polls as f64 / runs as f64,
            "schedule_polls": schedule_polls(seconds),
            "cpu_seconds": cpu,
            "cpu_ms_per_run_minute": cpu * 1000.0 / runs as f64 / (elapsed / 60.0),
            "rss_kb_before": rss_before,
            "rss_kb_peak": status_kb("VmHWM:"),
            "deadline_outcomes": at_deadline,
        })
    );
}
