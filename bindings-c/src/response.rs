//! `yx_response`: the answer to a successful execution, and its accessors.

use std::ffi::{CString, c_char};

use yunxiao_appstack::ExecuteReleaseStageResponse;

use crate::boundary::{self, Failure};
use crate::result::yx_result;

/// The answer to a successful execution. Immutable: any thread may read it. Free it with
/// yx_response_free; the strings read from it are valid until then.
pub struct yx_response {
    response: ExecuteReleaseStageResponse,
    /// C copies of the strings, made once so accessors can lend them.
    request_id: Option<CString>,
    raw_json: CString,
}

impl yx_response {
    /// Wraps the core's response.
    pub(crate) fn new(response: ExecuteReleaseStageResponse) -> Self {
        Self {
            request_id: response.request_id.as_deref().map(boundary::c_string),
            raw_json: boundary::c_string(&response.raw.to_string()),
            response,
        }
    }
}

/// Reads a field of a response into `out`, which is set on every return (to the empty value
/// when there is no field to give).
///
/// # Safety
/// `response` is NULL or a live yx_response; `out` is NULL or writable.
unsafe fn get<T: boundary::Empty>(
    response: *const yx_response,
    out: *mut T,
    field: impl FnOnce(&yx_response) -> Option<T>,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { boundary::clear(out) };
    boundary::call(std::ptr::null_mut(), || {
        // SAFETY: forwarded contract.
        let response = unsafe { boundary::handle(response, "response") }?;
        boundary::required(out, "out")?;
        let value = field(response).ok_or(Failure::NotPresent)?;
        // SAFETY: checked non-NULL above.
        unsafe { boundary::write(out, value) };
        Ok(())
    })
}

/// The run id: `pipelineRunId`, else `object` — the number the follow-up calls take.
/// YX_RESULT_NOT_PRESENT when the answer carries neither.
///
/// # Safety
/// `response` is NULL or a live yx_response; `run_id_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_response_get_run_id(
    response: *const yx_response,
    run_id_out: *mut u64,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(response, run_id_out, |r| r.response.run_id()) }
}

/// The answer's `object` field. YX_RESULT_NOT_PRESENT when absent or not a non-negative
/// integer.
///
/// # Safety
/// `response` is NULL or a live yx_response; `object_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_response_get_object(
    response: *const yx_response,
    object_out: *mut u64,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(response, object_out, |r| r.response.object) }
}

/// The answer's `pipelineId` field: the pipeline the stage ran. YX_RESULT_NOT_PRESENT when
/// absent or not a non-negative integer.
///
/// # Safety
/// `response` is NULL or a live yx_response; `pipeline_id_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_response_get_pipeline_id(
    response: *const yx_response,
    pipeline_id_out: *mut u64,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(response, pipeline_id_out, |r| r.response.pipeline_id) }
}

/// The answer's `pipelineRunId` field. YX_RESULT_NOT_PRESENT when absent or not a
/// non-negative integer.
///
/// # Safety
/// `response` is NULL or a live yx_response; `pipeline_run_id_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_response_get_pipeline_run_id(
    response: *const yx_response,
    pipeline_run_id_out: *mut u64,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        get(response, pipeline_run_id_out, |r| {
            r.response.pipeline_run_id
        })
    }
}

/// The HTTP status of the answer (a 2xx) — not the status of the run. Always present.
///
/// # Safety
/// `response` is NULL or a live yx_response; `http_status_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_response_get_http_status(
    response: *const yx_response,
    http_status_out: *mut u16,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(response, http_status_out, |r| Some(r.response.http_status)) }
}

/// The request id, from the body's `requestId` or the `x-acs-request-id` header: quote it to
/// Alibaba Cloud support. Valid until yx_response_free. YX_RESULT_NOT_PRESENT when the answer
/// has none.
///
/// # Safety
/// `response` is NULL or a live yx_response; `request_id_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_response_get_request_id(
    response: *const yx_response,
    request_id_out: *mut *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        get(response, request_id_out, |r| {
            r.request_id.as_deref().map(|s| s.as_ptr())
        })
    }
}

/// The whole JSON body of the answer, as compact JSON text (object keys in the order
/// received), for fields this library does not read. Valid until yx_response_free. Always
/// present.
///
/// # Safety
/// `response` is NULL or a live yx_response; `raw_json_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_response_get_raw_json(
    response: *const yx_response,
    raw_json_out: *mut *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(response, raw_json_out, |r| Some(r.raw_json.as_ptr())) }
}

/// Frees a response and the strings read from it. NULL is a no-op.
///
/// # Safety
/// `response` is NULL or a yx_response that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_response_free(response: *mut yx_response) {
    // SAFETY: forwarded contract.
    unsafe { boundary::free(response) }
}
