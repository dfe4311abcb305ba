//! Rust contenders of `make bench`: our core client against a bare reqwest loop sending the
//! same request and parsing the same answer, so the difference is the cost of our layer.
//!
//! `yunxiao-bench-rust CONTENDER BASE_URL TOKEN CALLS CONCURRENCY [rss]` prints one JSON line
//! (with `rss`, no latencies are kept, so the harness adds no memory of its own):
//! `{"contender", "calls", "concurrency", "seconds", "cpu_s", "p50_ms", "p99_ms",
//! "rss_kb_half", "rss_kb_end"}`; the driver (`bench/run.py`) turns it into the table.
//! `cpu_s` is the process's user + system time over the measured calls only.
//!
//! Contenders: `core` / `reqwest` send ExecuteChangeRequestReleaseStage; `core-read` /
//! `reqwest-read` send GetReleaseStagePipelineRun (run 1 of the same stage) — the core through
//! its generic operation path, reqwest as a bare GET; `core-bridge-read` sends it through the
//! generic bridge the bindings use (JSON arguments in, JSON text out).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use yunxiao_appstack::{Client, ExecuteReleaseStageRequest};

const ORG: &str = "sandbox-org";
const PATH: &str = "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy:execute";
const READ_PATH: &str = "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy/executions/1:getPipelineRun";
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

struct CoreRead {
    client: Client,
    run: yunxiao_appstack::RunRef,
}

impl Contender for CoreRead {
    async fn call(&self) -> u64 {
        let run = self
            .client
            .get_release_stage_pipeline_run(&self.run)
            .await
            .expect("the server answers");
        run.stages.len() as u64 + 1
    }
}

/// The same read through the core's generic bridge, as the bindings call it (C spelling), the
/// answer written out as JSON text the way the C binding hands it over.
struct BridgeRead {
    client: Client,
    args: Value,
}

impl Contender for BridgeRead {
    async fn call(&self) -> u64 {
        let value = self
            .client
            .call_bridge(
                "GetReleaseStagePipelineRun",
                self.args.clone(),
                yunxiao_appstack::bridge::ArgStyle::C,
                &yunxiao_appstack::bridge::Hooks::default(),
            )
            .await
            .expect("the server answers");
        value.to_string().len() as u64
    }
}

/// Bare reqwest: a POST of the execute body (`reads` false) or a GET of the run, the answer
/// parsed as JSON for what the core's result would carry.
struct Bare {
    http: reqwest::Client,
    url: String,
    token: String,
    reads: bool,
}

impl Contender for Bare {
    async fn call(&self) -> u64 {
        let request = if self.reads {
            self.http.get(&self.url)
        } else {
            self.http
                .post(&self.url)
                .header("content-type", "application/json")
                .body(BODY)
        };
        let response = request
            .header("x-yunxiao-token", &self.token)
            .header("accept", "application/json")
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        assert!(status.is_success(), "{status}");
        if self.reads {
            body["pipelineRun"]["stages"].as_array().map_or(0, Vec::len) as u64 + 1
        } else {
            body["pipelineRunId"].as_u64().expect("a run id")
        }
    }
}

/// User + system CPU time of this process (every thread), in seconds.
fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct when it returns 0.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } != 0 {
        return 0.0;
    }
    // SAFETY: initialized by the successful call above.
    let usage = unsafe { usage.assume_init() };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
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

async fn run_contender<C: Contender>(
    contender: C,
    calls: usize,
    concurrency: usize,
    keep_latencies: bool,
) -> Value {
    run(Arc::new(contender), calls, concurrency, keep_latencies).await
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
    let cpu_before = cpu_seconds();
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
    let cpu_s = cpu_seconds() - cpu_before;
    latencies.sort_unstable();
    serde_json::json!({
        "calls": per_worker * concurrency,
        "concurrency": concurrency,
        "seconds": seconds,
        "cpu_s": cpu_s,
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
        eprintln!(
            "usage: yunxiao-bench-rust core|reqwest|core-read|core-bridge-read|reqwest-read BASE_URL TOKEN CALLS CONCURRENCY [rss]"
        );
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
            "core" | "core-read" | "core-bridge-read" => {
                let client = Client::builder()
                    .ignore_environment()
                    .token(token.as_str())
                    .base_url(base_url.as_str())
                    .organization_id(ORG)
                    .build()
                    .expect("valid configuration");
                if contender == "core-bridge-read" {
                    let args = serde_json::json!({"app_name": "my-web-service", "release_workflow_sn": "wf-main",
                        "release_stage_sn": "stage-deploy", "execution_number": 1});
                    return run_contender(BridgeRead { client, args }, calls, concurrency, keep_latencies).await;
                }
                if contender == "core-read" {
                    let run = yunxiao_appstack::StageRef::new(
                        "my-web-service",
                        "wf-main",
                        "stage-deploy",
                    )
                    .run(1);
                    return run_contender(
                        CoreRead { client, run },
                        calls,
                        concurrency,
                        keep_latencies,
                    )
                    .await;
                }
                let request =
                    ExecuteReleaseStageRequest::new("my-web-service", "wf-main", "stage-deploy")
                        .comment("bench")
                        .variable("IMAGE_TAG", "1.4.2");
                run_contender(Core { client, request }, calls, concurrency, keep_latencies).await
            }
            "reqwest" | "reqwest-read" => {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("a client");
                let base = base_url.trim_end_matches('/');
                let reads = contender == "reqwest-read";
                let url = format!("{base}{}", if reads { READ_PATH } else { PATH });
                let bare = Bare {
                    http,
                    url,
                    token: token.clone(),
                    reads,
                };
                run_contender(bare, calls, concurrency, keep_latencies).await
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
