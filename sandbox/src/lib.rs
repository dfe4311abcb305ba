//! A local stand-in for the Yunxiao AppStack release-stage OpenAPI.
//!
//! The sandbox is a real HTTP/1.1 server on loopback. It serves every release-stage call at
//! centre-edition (`…/oapi/v1/appstack/organizations/{org}/apps/{app}/…`) and region-edition
//! (`…/oapi/v1/appstack/apps/{app}/…`) paths like the service does (token check, 404s naming
//! what is missing, body and parameter checks, documented error bodies, `x-acs-request-id`):
//! execute, get/cancel/list runs, pass/refuse a manual gate, retry/skip a job, job logs,
//! integration metadata, workflow and stage listings and the change-request search. It records
//! every request with the token masked, and injects queued faults (error answers, delays,
//! closed connections, broken bodies) on any route.
//!
//! `:execute` starts a run that follows the stage's script from the [`Fixture`] (jobs that run
//! for a while, fail, or wait at a manual gate; [`default_script`] otherwise). Runs are
//! evaluated lazily against a sandbox clock — real time times [`SandboxConfig::clock_scale`],
//! plus what [`Sandbox::advance_clock`] added — so a test that freezes the clock (scale 0) and
//! advances it explicitly sees fully deterministic runs.
//!
//! It is controlled over HTTP under `/_sandbox/` or, in-process, through [`SandboxGuard`] /
//! [`Sandbox`].
//!
//! With [`SandboxConfig::tls`] (`--tls`) it serves https instead, from a throwaway certificate
//! authority generated at start: trust [`SandboxGuard::ca_path`] to reach it, or pick
//! [`TlsOptions`] that make clients refuse it (another host name, an expired certificate).
//!
//! ```no_run
//! use std::time::Duration;
//! let sandbox = yunxiao_sandbox::spawn(yunxiao_sandbox::SandboxConfig {
//!     clock_scale: 0.0,
//!     ..yunxiao_sandbox::SandboxConfig::default()
//! })?;
//! sandbox.push_fault(yunxiao_sandbox::Fault::respond(429).with_header("Retry-After", "1"));
//! println!("try {} with token {}", sandbox.base_url(), sandbox.token());
//! // … execute a stage, then let its 30 s default script finish at once:
//! sandbox.advance_clock(Duration::from_secs(30));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! See the crate's `README.md` for the HTTP contract: every route, the run model, the clock and
//! the fixture format.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Handlers return their error answers as `Err(response)` so checks can use `?`. A response is
// built once per request and moved once, so boxing it (what this lint wants) buys nothing.
#![allow(clippy::result_large_err)]

mod change_requests;
mod clock;
mod control;
mod execute;
mod faults;
mod fixture;
mod guard;
mod model;
mod recording;
mod responses;
mod router;
mod runs;
mod server;
mod state;
mod tls;
mod workflows;

pub use clock::InvalidClockScale;
pub use control::CONTROL_PREFIX;
pub use faults::{DEFAULT_OVERSIZED_BYTES, Fault, FaultAction};
pub use fixture::{
    App, BUILTIN_FIXTURE_JSON, CHANGE_REQUEST_STATES, ChangeRequest, DEFAULT_TOKEN, Fixture,
    FixtureError, JobOutcome, Organization, PIPELINE_ID_BASE, ReleaseStage, ReleaseWorkflow,
    ScriptJob, default_script,
};
pub use guard::{SandboxGuard, spawn};
pub use model::MAX_RUNS_PER_STAGE;
pub use recording::{DEFAULT_MAX_RECORDS, MASK, RecordedRequest, TOKEN_HEADER, TokenStatus};
pub use responses::REQUEST_ID_HEADER;
pub use server::{DEFAULT_IDLE_TIMEOUT, MAX_REQUEST_BODY, SandboxConfig, Server, serve};
pub use state::Sandbox;
pub use tls::{CA_FILE_NAME, DEFAULT_TLS_HOSTNAMES, TlsOptions};

/// The crate version, as reported by `GET /_sandbox/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
