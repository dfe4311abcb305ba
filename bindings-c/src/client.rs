//! `yx_client` and the two execute calls.

use std::ffi::c_char;

use yunxiao_appstack::{ExecuteReleaseStageRequest, blocking};

use crate::boundary::{self, Failure};
use crate::error::yx_error;
use crate::options::yx_options;
use crate::request::{self, yx_request};
use crate::response::yx_response;
use crate::result::yx_result;
use crate::signals;

/// A client of the Yunxiao AppStack OpenAPI: resolved settings, a connection pool and one
/// background I/O thread. Thread-safe: share one client between all threads of a program.
/// Create with yx_client_new, free with yx_client_free.
pub struct yx_client {
    client: blocking::Client,
}

impl yx_client {
    /// Runs one execution on the calling thread, which blocks until the answer.
    fn execute(&self, request: &ExecuteReleaseStageRequest) -> Result<*mut yx_response, Failure> {
        let response =
            signals::with_sigpipe_blocked(|| self.client.execute_release_stage(request))?;
        Ok(boundary::into_raw(yx_response::new(response)))
    }
}

/// Creates a client from `options`: each setting not set there comes from its `YUNXIAO_*`
/// environment variable (unless yx_options_set_ignore_environment), else the default. The
/// options are copied: free them whenever convenient. NULL `options` means options with nothing
/// set: every setting from the environment or the default.
///
/// Returns YX_RESULT_OK and stores the client in `*client_out` (free it with yx_client_free),
/// or YX_RESULT_ERROR with an error of kind YX_ERROR_KIND_CONFIGURATION when a setting is
/// missing or invalid (no token, a bad base URL, a timeout of 0…). Sends nothing.
///
/// # Safety
/// `options` is NULL or a live yx_options; `client_out` is NULL or writable; `error_out` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_client_new(
    options: *const yx_options,
    client_out: *mut *mut yx_client,
    error_out: *mut *mut yx_error,
) -> yx_result {
    boundary::call(error_out, || {
        boundary::required(client_out, "client_out")?;
        let builder = if options.is_null() {
            yx_options::empty().client_builder()
        } else {
            // SAFETY: non-NULL, and live per the caller's contract.
            unsafe { &*options }.client_builder()
        };
        // The I/O thread starts here and inherits this thread's signal mask.
        let client = signals::with_sigpipe_blocked(|| builder.build_blocking())?;
        let client = boundary::into_raw(yx_client { client });
        // SAFETY: checked non-NULL above.
        unsafe { boundary::write(client_out, client) };
        Ok(())
    })
}

/// Frees a client: closes its connections and joins its I/O thread (waiting at most about a
/// second). NULL is a no-op. No call on the client may be running, and none may start after.
///
/// # Safety
/// `client` is NULL or a yx_client from yx_client_new that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_client_free(client: *mut yx_client) {
    // SAFETY: forwarded contract.
    unsafe { boundary::free(client) }
}

/// Executes a release stage: starts one run of `release_stage_sn` of workflow
/// `release_workflow_sn` of app `app_name`, and blocks until the answer.
///
/// `organization_id` may be NULL: the client's organization (yx_options_set_organization_id or
/// `YUNXIAO_ORGANIZATION_ID`) is used then. `params_json` may be NULL (no parameters) or the
/// text of a JSON object: the `params` of the call, sent as given — pipeline variables, source
/// branches, `FLOW_INST_RUNNING_COMMENT`, `releaseBranchRepoInfo`. For typed parameters use a
/// yx_request and yx_client_execute.
///
/// Returns YX_RESULT_OK and stores the answer in `*response_out` (free it with
/// yx_response_free). Returns YX_RESULT_ERROR when the call failed — see the error's kind, and
/// yx_error_get_may_have_executed before retrying on your own: the client already retried what
/// was safe to retry. Returns YX_RESULT_INVALID_ARGUMENT when `params_json` is not JSON (a JSON
/// value that is not an object is the core's YX_ERROR_KIND_INVALID_REQUEST). No request is
/// sent unless every argument is valid.
///
/// # Safety
/// `client` is NULL or a live yx_client; the strings are NULL or NUL-terminated;
/// `response_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_execute_release_stage(
    client: *const yx_client,
    organization_id: *const c_char,
    app_name: *const c_char,
    release_workflow_sn: *const c_char,
    release_stage_sn: *const c_char,
    params_json: *const c_char,
    response_out: *mut *mut yx_response,
    error_out: *mut *mut yx_error,
) -> yx_result {
    boundary::call(error_out, || {
        // SAFETY (this block): forwarded contract.
        let (client, organization_id, app_name, workflow, stage, params) = unsafe {
            (
                boundary::handle(client, "client")?,
                boundary::optional_text(organization_id, "organization_id")?,
                boundary::text(app_name, "app_name")?,
                boundary::text(release_workflow_sn, "release_workflow_sn")?,
                boundary::text(release_stage_sn, "release_stage_sn")?,
                boundary::optional_text(params_json, "params_json")?,
            )
        };
        boundary::required(response_out, "response_out")?;

        let mut request = ExecuteReleaseStageRequest::new(app_name, workflow, stage);
        if let Some(id) = organization_id {
            request = request.organization_id(id);
        }
        if let Some(text) = params {
            request = request.extra_params(request::parse_params(text)?);
        }
        let response = client.execute(&request)?;
        // SAFETY: checked non-NULL above.
        unsafe { boundary::write(response_out, response) };
        Ok(())
    })
}

/// Executes the release stage described by `request`, as yx_execute_release_stage does. The
/// request is only read: it may be executed again (that starts another run) or freed after.
///
/// # Safety
/// `client` is NULL or a live yx_client; `request` is NULL or a live yx_request not changed
/// during the call; `response_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_client_execute(
    client: *const yx_client,
    request: *const yx_request,
    response_out: *mut *mut yx_response,
    error_out: *mut *mut yx_error,
) -> yx_result {
    boundary::call(error_out, || {
        // SAFETY (this block): forwarded contract.
        let (client, request) = unsafe {
            (
                boundary::handle(client, "client")?,
                boundary::handle(request, "request")?,
            )
        };
        boundary::required(response_out, "response_out")?;
        let response = client.execute(request.core())?;
        // SAFETY: checked non-NULL above.
        unsafe { boundary::write(response_out, response) };
        Ok(())
    })
}
