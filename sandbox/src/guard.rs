//! Running a sandbox in-process on its own thread, for tests.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::thread::JoinHandle;

use tokio::sync::oneshot;
use tracing::warn;

use crate::faults::Fault;
use crate::fixture::Fixture;
use crate::recording::RecordedRequest;
use crate::server::{SandboxConfig, Server};
use crate::state::Sandbox;

/// A running in-process sandbox. Dropping it stops the server and joins its thread.
#[derive(Debug)]
pub struct SandboxGuard {
    base_url: String,
    token: String,
    addr: SocketAddr,
    sandbox: Sandbox,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts a sandbox on its own thread with its own tokio runtime and returns once it accepts
/// connections. Safe to call from inside another tokio runtime (e.g. a `#[tokio::test]`).
pub fn spawn(config: SandboxConfig) -> io::Result<SandboxGuard> {
    let listener = std::net::TcpListener::bind((config.host.as_str(), config.port))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("yunxiao-sandbox-worker")
        .enable_all()
        .build()?;
    let server = {
        let _context = runtime.enter();
        Server::from_std(listener, config)?
    };
    let base_url = server.base_url().to_string();
    let addr = server.local_addr();
    let sandbox = server.sandbox().clone();
    let token = sandbox.token();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("yunxiao-sandbox".into())
        .spawn(move || {
            let served = runtime.block_on(server.serve_until(async {
                // A dropped sender also means "stop".
                let _ = stopped.await;
            }));
            if let Err(e) = served {
                warn!(error = %e, "sandbox server stopped with an error");
            }
            // The runtime is dropped here, on this plain thread, which is always allowed.
        })?;
    Ok(SandboxGuard {
        base_url,
        token,
        addr,
        sandbox,
        shutdown: Some(shutdown),
        thread: Some(thread),
    })
}

impl SandboxGuard {
    /// The base URL, e.g. `http://127.0.0.1:43210`, or `https://127.0.0.1:43210` with
    /// [`SandboxConfig::tls`] (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Where the CA certificate that signed the server's certificate was written, when
    /// serving https: trust it (e.g. as a client's CA bundle) to reach the sandbox. The file
    /// lives as long as the guard unless [`crate::TlsOptions::dir`] was given.
    pub fn ca_path(&self) -> Option<&Path> {
        self.sandbox.ca_path()
    }

    /// The CA certificate, PEM-encoded, when serving https.
    pub fn ca_pem(&self) -> Option<&str> {
        self.sandbox.ca_pem()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token requests must carry, as it was when the sandbox started (a later fixture
    /// replacement without a token override changes it: see [`Sandbox::token`]).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The typed state handle (clone it to use it from elsewhere).
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// A copy of the kept request log, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.sandbox.requests()
    }

    /// How many requests were recorded since the log was last cleared (dropped ones included).
    pub fn request_count(&self) -> u64 {
        self.sandbox.request_count()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.sandbox.clear_requests();
    }

    /// Queues a fault after those already pending.
    pub fn push_fault(&self, fault: Fault) {
        self.sandbox.push_fault(fault);
    }

    /// Queues several faults, in order.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.sandbox.push_faults(faults);
    }

    /// The pending faults, in queue order.
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.sandbox.pending_faults()
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.sandbox.clear_faults();
    }

    /// Turns recording on or off.
    pub fn set_recording(&self, enabled: bool) {
        self.sandbox.set_recording(enabled);
    }

    /// Replaces the fixture; every stage's runs are forgotten and numbers restart at 1.
    pub fn set_fixture(&self, fixture: Fixture) {
        self.sandbox.set_fixture(fixture);
    }

    /// Clears the request log, the pending faults and every stage's runs (numbers restart at
    /// 1); the clock is left alone.
    pub fn reset(&self) {
        self.sandbox.reset();
    }

    /// Moves the sandbox clock forward by `by` (see [`Sandbox::advance_clock`]).
    pub fn advance_clock(&self, by: std::time::Duration) {
        self.sandbox.advance_clock(by);
    }

    /// Sets how fast sandbox time runs; an invalid scale is ignored with a warning (see
    /// [`Sandbox::set_clock_scale`]).
    pub fn set_clock_scale(&self, scale: f64) {
        self.sandbox.set_clock_scale(scale);
    }

    /// Sets how fast sandbox time runs, refusing a negative or non-finite scale.
    pub fn try_set_clock_scale(&self, scale: f64) -> Result<(), crate::InvalidClockScale> {
        self.sandbox.try_set_clock_scale(scale)
    }

    /// The current clock scale.
    pub fn clock_scale(&self) -> f64 {
        self.sandbox.clock_scale()
    }

    /// The current sandbox time in epoch milliseconds.
    pub fn clock_now_ms(&self) -> u64 {
        self.sandbox.clock_now_ms()
    }

    /// Builds a full URL from a path starting with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Stops the server and waits for its thread (what dropping the guard does).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                warn!("the sandbox thread panicked");
            }
        }
    }
}

impl Drop for SandboxGuard {
    fn drop(&mut self) {
        self.stop();
    }
}
