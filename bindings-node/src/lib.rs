//! Native half of the npm package `yunxiao-appstack`.
//!
//! This crate is deliberately thin: it turns JavaScript values into the core crate's types,
//! runs the core's async client on napi's tokio runtime, and turns results and errors back into
//! plain JavaScript objects. Every behaviour — defaults, environment resolution, validation,
//! retries, error kinds, `may_have_executed` — belongs to the `yunxiao-appstack` core crate.
//!
//! The JavaScript wrapper (`index.js`) owns the public classes (`Client`, the error hierarchy),
//! checks argument *types*, and maps the error records produced here to error classes by their
//! stable kind code.

#![deny(missing_docs)]

mod abort;
mod client;
mod ids;
mod outcome;
mod request;

pub use abort::AbortHandle;
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

/// Every error kind code of the core, in code order, so the JavaScript side can check at load
/// time that it maps each one to a class.
#[napi]
pub fn error_kinds() -> Vec<&'static str> {
    yunxiao_appstack::ErrorKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect()
}
