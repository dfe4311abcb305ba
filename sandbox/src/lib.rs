//! A local stand-in for the Yunxiao AppStack OpenAPI call ExecuteChangeRequestReleaseStage.
//!
//! The sandbox is a real HTTP/1.1 server on loopback. It answers
//! `POST …/oapi/v1/appstack/[organizations/{org}/]apps/{app}/releaseWorkflows/{wf}/releaseStages/{stage}:execute`
//! like the service does (token check, 404s for unknown names, body checks, documented error
//! bodies, `x-acs-request-id`), records every request with the token masked, and injects
//! queued faults (error answers, delays, closed connections, broken bodies). It is controlled
//! over HTTP under `/_sandbox/` or, in-process, through [`SandboxGuard`] / [`Sandbox`].
//!
//! ```no_run
//! let sandbox = yunxiao_sandbox::spawn(yunxiao_sandbox::SandboxConfig::default())?;
//! sandbox.push_fault(yunxiao_sandbox::Fault::respond(429).with_header("Retry-After", "1"));
//! println!("try {} with token {}", sandbox.base_url(), sandbox.token());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! See the crate's `README.md` for the HTTP contract.

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
pub use server::{MAX_REQUEST_BODY, SandboxConfig, Server, serve};
pub use state::Sandbox;

/// The crate version, as reported by `GET /_sandbox/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
