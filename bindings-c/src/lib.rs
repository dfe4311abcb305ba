//! The C ABI of yunxiao-appstack: `libyunxiao_appstack.{so,a}` and `include/yunxiao_appstack.h`.
//!
//! This crate converts: C strings to Rust strings, JSON text to values, core results and errors
//! to handles with accessors. Every decision (defaults, environment, validation, retries, error
//! kinds, whether a stage may have executed) is the core's. The conventions every function
//! follows are written in the header's preamble (`cbindgen.toml`) and in `bindings-c/README.md`;
//! [`boundary`] is where they are enforced.
//!
//! The Rust names of exported types are their C names (`yx_client`), so that the header and the
//! code read the same.

#![allow(non_camel_case_types)]
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

// The modules are in the order their items appear in the header (cbindgen follows `mod`
// declarations): versions, results, kinds, then each handle in the order a program meets it.
mod version;
// Result codes.
mod result;
// Enums generated from the core's catalog (error kinds, wait states, run statuses).
mod generated;
// Error kinds.
mod kind;
// Client options.
mod options;
// The client, execute and the generic yx_client_call.
mod client;
// Stopping a wait.
mod cancel;
// The request handle.
mod request;
// Successful answers.
mod response;
// Failures.
mod error;

// Internal: argument conversion, panic catching and output writing.
mod boundary;
// Internal: SIGPIPE blocking around the library's socket writes.
mod signals;

pub use cancel::{
    yx_cancel, yx_cancel_free, yx_cancel_is_triggered, yx_cancel_new, yx_cancel_trigger,
    yx_cancel_trigger_from_signal,
};
pub use client::{
    yx_client, yx_client_call, yx_client_call_with_events, yx_client_execute, yx_client_free,
    yx_client_get_run_status, yx_client_new, yx_client_wait_for_run, yx_event_callback,
    yx_string_free,
};
pub use error::{
    yx_error, yx_error_describe, yx_error_free, yx_error_get_body, yx_error_get_description,
    yx_error_get_error_code, yx_error_get_kind, yx_error_get_may_have_executed,
    yx_error_get_message, yx_error_get_operation, yx_error_get_request_id,
    yx_error_get_retry_after_ms, yx_error_get_started_at_ms, yx_error_get_status,
    yx_error_get_trace_id,
};
pub use generated::{yx_run_status, yx_wait_state};
pub use kind::{yx_error_kind, yx_error_kind_name};
pub use options::{
    yx_edition, yx_options, yx_options_free, yx_options_new, yx_options_set_allow_insecure_http,
    yx_options_set_base_url, yx_options_set_ca_bundle, yx_options_set_connect_timeout_ms,
    yx_options_set_deadline_ms, yx_options_set_edition, yx_options_set_ignore_environment,
    yx_options_set_max_response_bytes, yx_options_set_max_retries, yx_options_set_max_rps,
    yx_options_set_organization_id, yx_options_set_proxy, yx_options_set_request_timeout_ms,
    yx_options_set_token,
};
pub use request::{
    yx_request, yx_request_add_branch, yx_request_add_variable, yx_request_free, yx_request_new,
    yx_request_set_comment, yx_request_set_organization_id, yx_request_set_params_json,
    yx_request_set_release_branch_repo_info_json,
};
pub use response::{
    yx_response, yx_response_free, yx_response_get_http_status, yx_response_get_object,
    yx_response_get_pipeline_id, yx_response_get_pipeline_run_id, yx_response_get_raw_json,
    yx_response_get_request_id, yx_response_get_run_id,
};
pub use result::{yx_result, yx_result_name};
pub use version::{yx_version, yx_version_number};
