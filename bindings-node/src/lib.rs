//! Native half of the npm package `yunxiao-appstack`.
//!
//! This crate is deliberately thin: it turns JavaScript values into the core crate's types,
//! runs the core's async client on the addon's own tokio runtime (`runtime.rs`, results handed
//! back in batches by `completions.rs`), and turns results and errors back into plain
//! JavaScript objects. Every behaviour — defaults, environment resolution, validation,
//! retries, error kinds, `may_have_executed` — belongs to the `yunxiao-appstack` core crate.
//!
//! The JavaScript wrapper (`index.js`) owns the public classes (`Client`, the error hierarchy),
//! checks argument *types*, and maps the error records produced here to error classes by their
//! stable kind code.

#![deny(missing_docs)]

mod abort;
mod bridge;
mod client;
mod completions;
mod ids;
mod outcome;
mod request;
mod runtime;

pub use abort::AbortHandle;
pub use bridge::CallOutcome;
pub use client::{ClientOptions, NativeClient, ResolvedConfig, create_client};
pub use outcome::{ExecuteReleaseStageResponse, NativeError, Outcome};
pub use request::{NativePair, NativeRequest};

use napi_derive::napi;

/// The version of the core crate, which is the version of the whole project and of this npm
/// package (the test suite checks that `package.json` says the same).
#[napi]
pub fn core_version() -> &'static str {
    yunxiao_appstack::VERSION
}

/// The core's defaults that the documentation restates, in Node's units, for the test that
/// checks the docs against them.
#[napi]
pub fn core_defaults() -> serde_json::Value {
    use yunxiao_appstack::policy as p;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    serde_json::json!({
        "baseUrl": p::DEFAULT_BASE_URL,
        "timeoutMs": ms(p::DEFAULT_REQUEST_TIMEOUT),
        "connectTimeoutMs": ms(p::DEFAULT_CONNECT_TIMEOUT),
        "maxRetries": p::DEFAULT_MAX_RETRIES,
        "maxRetriesLimit": p::MAX_RETRIES_LIMIT,
        "maxResponseBytes": p::DEFAULT_MAX_RESPONSE_BYTES,
        "deadlineMs": ms(p::DEFAULT_WAIT_DEADLINE),
        "pollInitialMs": ms(p::WAIT_POLL_INITIAL),
        "pollMaxMs": ms(p::WAIT_POLL_MAX),
        "clockSkewMs": ms(p::DEFAULT_CLOCK_SKEW),
        "maxRpsLimit": p::MAX_RPS_LIMIT,
    })
}

/// Every error kind code of the core, in code order, so the JavaScript side can check at load
/// time that it maps each one to a class.
#[napi]
pub fn error_kinds() -> Vec<&'static str> {
    yunxiao_appstack::ErrorKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect()
}
