//! Rust contenders of `make bench`: our core client against a bare reqwest loop sending the
//! same request and parsing the same answer, so the difference is the cost of our layer.
//!
//! `yunxiao-bench-rust CONTENDER BASE_URL TOKEN CALLS CONCURRENCY [rss]` prints one JSON line
//! (with `rss`, no latencies are kept, so the harness adds no memory of its own):
//! `{"contender", "calls", "concurrency", "seconds", "latencies_us": [...sorted sample],
//! "rss_kb_half", "rss_kb_end"}`; the driver (`bench/run.py`) turns it into the table.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use yunxiao_appstack::{Client, ExecuteReleaseStageRequest};

const ORG: &str = "sandbox-org";
const PATH: &str = "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy:execute";
const BODY: &str = r#"{"params":{"FLOW_INST_RUNNING_COMMENT":"bench","IMAGE_TAG":"1.4.2"}}"#;

/// One call of a contender; returns the run id so the answer is really parsed.
trait Contender: Send + Sync + 'static {
    fn call(&self) -> impl std::future::Future<Output = u64> + Send;
}

struct Core {
    client: Client,
    request: ExecuteReleaseStageRequest,
}

impl Contender for Core {
    async fn call(&self) -> u64 {
        let response = self
            .client
            .execute_release_stage(&self.request)
            .await
            .expect("the sandbox answers");
        response.run_id().expect("a run id")
    }
}

struct Bare {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Contender for Bare {
    async fn call(&self) -> u64 {
        let response = self
            .http
            .post(&self.url)
            .header("x-yunxiao-token", &self.token)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(BODY)
            .send()
            .await
            .expect("the sandbox answers");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        assert!(status.is_success(), "{status}");
        body["pipelineRunId"].as_u64().expect("a run id")
    }
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn run<C: Contender>(
    contender: Arc<C>,
    calls: usize,
    concurrency: usize,
    keep_latencies: bool,
) -> Value {
    // Warm up: open the connections, fill the caches.
    for _ in 0..200.min(calls) {
        contender.call().await;
    }
    let per_worker = calls / concurrency;
    let started = Instant::now();
    let half_rss = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let contender = Arc::clone(&contender);
        let half_rss = Arc::clone(&half_rss);
        let done = Arc::clone(&done);
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(if keep_latencies { per_worker } else { 0 });
            for _ in 0..per_worker {
                let t = Instant::now();
                contender.call().await;
                if keep_latencies {
                    latencies.push(t.elapsed());
                }
                if done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1 == calls / 2 {
                    half_rss.store(rss_kb(), std::sync::atomic::Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(calls);
    for worker in workers {
        latencies.extend(worker.await.expect("worker finished"));
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    serde_json::json!({
        "calls": per_worker * concurrency,
        "concurrency": concurrency,
        "seconds": seconds,
        "p50_ms": percentile(&latencies, 0.50),
        "p99_ms": percentile(&latencies, 0.99),
        "rss_kb_half": half_rss.load(std::sync::atomic::Ordering::Relaxed),
        "rss_kb_end": rss_kb(),
    })
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (args, keep_latencies) = match args.split_last() {
        Some((last, rest)) if last == "rss" => (rest, false),
        _ => (args.as_slice(), true),
    };
    let [contender, base_url, token, calls, concurrency] = args else {
        eprintln!("usage: yunxiao-bench-rust core|reqwest BASE_URL TOKEN CALLS CONCURRENCY [rss]");
        std::process::exit(2);
    };
    let calls: usize = calls.parse().expect("CALLS is a number");
    let concurrency: usize = concurrency.parse().expect("CONCURRENCY is a number");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(if concurrency > 1 { 2 } else { 1 })
        .enable_all()
        .build()
        .expect("a runtime");
    let mut result = runtime.block_on(async {
        match contender.as_str() {
            "core" => {
                let client = Client::builder()
                    .ignore_environment()
                    .token(token.as_str())
                    .base_url(base_url.as_str())
                    .organization_id(ORG)
                    .build()
                    .expect("valid configuration");
                let request =
                    ExecuteReleaseStageRequest::new("my-web-service", "wf-main", "stage-deploy")
                        .comment("bench")
                        .variable("IMAGE_TAG", "1.4.2");
                run(
                    Arc::new(Core { client, request }),
                    calls,
                    concurrency,
                    keep_latencies,
                )
                .await
            }
            "reqwest" => {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("a client");
                let url = format!("{}{PATH}", base_url.trim_end_matches('/'));
                run(
                    Arc::new(Bare {
                        http,
                        url,
                        token: token.clone(),
                    }),
                    calls,
                    concurrency,
                    keep_latencies,
                )
                .await
            }
            other => {
                eprintln!("unknown contender {other}");
                std::process::exit(2);
            }
        }
    });
    result["contender"] = Value::String(format!("rust-{contender}"));
    println!("{result}");
}
