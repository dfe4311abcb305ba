//! `yx_error`: a failure, and its accessors. Everything in it comes from the core's error,
//! whose messages never contain the access token.

use std::ffi::{CString, c_char, c_int};
use std::time::Duration;

use yunxiao_appstack::Error;

use crate::boundary::{self, Failure};
use crate::kind::yx_error_kind;
use crate::result::yx_result;

/// A failure: its kind, a message, and what the server said. Immutable: any thread may read
/// it. Free it with yx_error_free; the strings read from it are valid until then.
pub struct yx_error {
    /// The core's error; `None` for the error handed out with YX_RESULT_PANIC.
    error: Option<Error>,
    /// C copies of the strings, made once so accessors can lend them.
    message: CString,
    description: CString,
    error_code: Option<CString>,
    request_id: Option<CString>,
    trace_id: Option<CString>,
    body: Option<CString>,
    operation: Option<CString>,
}

impl yx_error {
    /// Wraps the core's error.
    pub(crate) fn new(error: Error) -> Self {
        let api = error.api();
        let optional = |text: Option<&str>| text.map(boundary::c_string);
        Self {
            message: boundary::c_string(&error.message()),
            description: boundary::c_string(&error.to_string()),
            error_code: optional(api.and_then(|a| a.error_code.as_deref())),
            request_id: optional(error.request_id()),
            trace_id: optional(api.and_then(|a| a.trace_id.as_deref())),
            body: optional(api.map(|a| a.body.as_str()).filter(|b| !b.is_empty())),
            operation: optional(error.call().map(|c| c.operation)),
            error: Some(error),
        }
    }

    /// The error of YX_RESULT_PANIC: no kind, "may have executed" (nothing says otherwise).
    pub(crate) fn panic() -> Self {
        Self {
            error: None,
            message: boundary::c_string(boundary::PANIC_MESSAGE),
            description: boundary::c_string(&format!(
                "internal error: {}",
                boundary::PANIC_MESSAGE
            )),
            error_code: None,
            request_id: None,
            trace_id: None,
            body: None,
            operation: None,
        }
    }

    /// The core's error (`None` for a panic).
    #[cfg(test)]
    pub(crate) fn core(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The message, as text.
    #[cfg(test)]
    pub(crate) fn message_text(&self) -> &str {
        self.message.to_str().unwrap_or_default()
    }
}

/// Reads a field of an error into `out`, which is set on every return (to the empty value when
/// there is no field to give).
///
/// # Safety
/// `error` is NULL or a live yx_error; `out` is NULL or writable.
unsafe fn get<T: boundary::Empty>(
    error: *const yx_error,
    out: *mut T,
    field: impl FnOnce(&yx_error) -> Result<Option<T>, Failure>,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { boundary::clear(out) };
    boundary::call(std::ptr::null_mut(), || {
        // SAFETY: forwarded contract.
        let error = unsafe { boundary::handle(error, "error") }?;
        boundary::required(out, "out")?;
        let value = field(error)?.ok_or(Failure::NotPresent)?;
        // SAFETY: checked non-NULL above.
        unsafe { boundary::write(out, value) };
        Ok(())
    })
}

/// Lends an optional C string.
fn lend(text: &Option<CString>) -> Result<Option<*const c_char>, Failure> {
    Ok(text.as_deref().map(|s| s.as_ptr()))
}

/// The kind of the error. Present on every error but the one of YX_RESULT_PANIC (a bug in the
/// library has no kind): then YX_RESULT_NOT_PRESENT, and `*kind_out` is 0, which is no kind.
///
/// # Safety
/// `error` is NULL or a live yx_error; `kind_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_kind(
    error: *const yx_error,
    kind_out: *mut yx_error_kind,
) -> yx_result {
    // A repr(C) enum is stored as a C int: 0 (no kind) is written through an int pointer, so
    // that no Rust value of the enum is ever invalid.
    let code_out = kind_out.cast::<c_int>();
    // SAFETY: forwarded contract.
    unsafe {
        get(error, code_out, |e| match &e.error {
            None => Ok(None),
            Some(core) => yx_error_kind::from_core(core.kind())
                .map(|kind| Some(kind as c_int))
                .ok_or(Failure::Bug),
        })
    }
}

/// Whether the call may have had its effect despite the error (for execute: started a run).
/// False only when it certainly did not: nothing was sent, the call only reads, or the answer
/// says so (a 4xx, say). When true, check the stage's runs before executing again: a blind
/// retry may deploy twice. True for the error of YX_RESULT_PANIC. Always present.
///
/// # Safety
/// `error` is NULL or a live yx_error; `may_have_executed_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_may_have_executed(
    error: *const yx_error,
    may_have_executed_out: *mut bool,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        get(error, may_have_executed_out, |e| {
            Ok(Some(e.error.as_ref().is_none_or(Error::may_have_executed)))
        })
    }
}

/// A short message without the kind: the server's `errorMessage`, or what went wrong, e.g.
/// "app_name must not be empty". Valid until yx_error_free. Always present.
///
/// # Safety
/// `error` is NULL or a live yx_error; `message_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_message(
    error: *const yx_error,
    message_out: *mut *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(error, message_out, |e| Ok(Some(e.message.as_ptr()))) }
}

/// A one-line description for logs, with the status, error code and request id when there are
/// some, e.g. "HTTP 401 InvalidTokenError: token expired (request id 5A2B…)". Valid until
/// yx_error_free. Always present.
///
/// # Safety
/// `error` is NULL or a live yx_error; `description_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_description(
    error: *const yx_error,
    description_out: *mut *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(error, description_out, |e| Ok(Some(e.description.as_ptr()))) }
}

/// The HTTP status of the answer. YX_RESULT_NOT_PRESENT when there was no answer (a refused
/// argument, a connection failure, a timeout).
///
/// # Safety
/// `error` is NULL or a live yx_error; `status_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_status(
    error: *const yx_error,
    status_out: *mut u16,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        get(error, status_out, |e| {
            Ok(e.error.as_ref().and_then(Error::status))
        })
    }
}

/// The server's error code, e.g. "InvalidTokenError" (`errorCode` of the body). Valid until
/// yx_error_free. YX_RESULT_NOT_PRESENT when the answer has none.
///
/// # Safety
/// `error` is NULL or a live yx_error; `error_code_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_error_code(
    error: *const yx_error,
    error_code_out: *mut *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(error, error_code_out, |e| lend(&e.error_code)) }
}

/// The request id of the answer (body `requestId`, else the `x-acs-request-id` header): quote
/// it to Alibaba Cloud support. Valid until yx_error_free. YX_RESULT_NOT_PRESENT when there is
/// none.
///
/// # Safety
/// `error` is NULL or a live yx_error; `request_id_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_request_id(
    error: *const yx_error,
    request_id_out: *mut *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(error, request_id_out, |e| lend(&e.request_id)) }
}

/// The trace id of the answer (`traceId` of the body). Valid until yx_error_free.
/// YX_RESULT_NOT_PRESENT when there is none.
///
/// # Safety
/// `error` is NULL or a live yx_error; `trace_id_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_trace_id(
    error: *const yx_error,
    trace_id_out: *mut *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(error, trace_id_out, |e| lend(&e.trace_id)) }
}

/// The body of an error answer, cut to a few KiB, with the token masked: for diagnostics.
/// Valid until yx_error_free. YX_RESULT_NOT_PRESENT when there was no answer or it was empty.
///
/// # Safety
/// `error` is NULL or a live yx_error; `body_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_body(
    error: *const yx_error,
    body_out: *mut *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(error, body_out, |e| lend(&e.body)) }
}

/// The Retry-After of the last answer (given in seconds or as an HTTP date), in milliseconds
/// from when that answer arrived, rounded up. The client has already waited and retried where
/// that was safe and the wait short; this is the server's word on when to try again.
/// YX_RESULT_NOT_PRESENT when the server gave none.
///
/// # Safety
/// `error` is NULL or a live yx_error; `retry_after_ms_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_retry_after_ms(
    error: *const yx_error,
    retry_after_ms_out: *mut u64,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        get(error, retry_after_ms_out, |e| {
            Ok(e.error
                .as_ref()
                .and_then(Error::retry_after)
                .map(millis_rounded_up))
        })
    }
}

/// The OpenAPI name of the operation the failed call made, e.g. "GetReleaseStagePipelineRun"
/// (one of the YX_OP_* names). Valid until yx_error_free. YX_RESULT_NOT_PRESENT when the error
/// came before any operation was chosen (a bad setting, an unknown name).
///
/// # Safety
/// `error` is NULL or a live yx_error; `operation_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_operation(
    error: *const yx_error,
    operation_out: *mut *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { get(error, operation_out, |e| lend(&e.operation)) }
}

/// When the failed call was made — just before its first attempt was sent — in milliseconds
/// since the Unix epoch (a fraction kept). For the "did it start?" check after an execute that
/// may have executed: a run that started after this instant may be the call's. Not present
/// when no operation was made.
///
/// # Safety
/// `error` is NULL or a live yx_error; `started_at_ms_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_get_started_at_ms(
    error: *const yx_error,
    started_at_ms_out: *mut f64,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        get(error, started_at_ms_out, |e| {
            Ok(e.error.as_ref().and_then(Error::call).map(|call| {
                call.started_at
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |since| since.as_secs_f64() * 1000.0)
            }))
        })
    }
}

/// The error in one line, for printing: what yx_error_get_description gives, e.g.
/// `fprintf(stderr, "deploy failed: %s\n", yx_error_describe(error))`. Like strerror, it
/// never fails: a NULL error gives "no error details". The string is owned by the error and
/// valid until yx_error_free (a static one for NULL).
///
/// # Safety
/// `error` is NULL or a live yx_error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_describe(error: *const yx_error) -> *const c_char {
    boundary::guard(c"no error details".as_ptr(), || {
        if error.is_null() {
            c"no error details".as_ptr()
        } else {
            // SAFETY: non-NULL and live per the caller's contract.
            unsafe { &*error }.description.as_ptr()
        }
    })
}

/// Whole milliseconds, rounded up so that waiting this long is never too short.
fn millis_rounded_up(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

/// Frees an error and the strings read from it. NULL is a no-op.
///
/// # Safety
/// `error` is NULL or a yx_error that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_error_free(error: *mut yx_error) {
    // SAFETY: forwarded contract.
    unsafe { boundary::free(error) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_milliseconds() {
        assert_eq!(millis_rounded_up(Duration::from_secs(120)), 120_000);
        assert_eq!(millis_rounded_up(Duration::from_micros(1500)), 2);
        assert_eq!(millis_rounded_up(Duration::ZERO), 0);
        assert_eq!(millis_rounded_up(Duration::MAX), u64::MAX);
    }
}
