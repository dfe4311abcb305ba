//! `yx_client`, execute, and the generic entry `yx_client_call` with its typed companions.

use std::ffi::{CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde_json::{Map, Value, json};
use yunxiao_appstack::bridge::{ArgStyle, Hooks};
use yunxiao_appstack::{ExecuteReleaseStageRequest, blocking};

use crate::boundary::{self, Failure};
use crate::cancel::yx_cancel;
use crate::error::yx_error;
use crate::generated::{YX_RUN_STATUS_NAMES, YX_WAIT_STATE_NAMES, yx_run_status, yx_wait_state};
use crate::options::yx_options;
use crate::request::yx_request;
use crate::response::yx_response;
use crate::result::yx_result;
use crate::signals;

/// A client of the Yunxiao AppStack OpenAPI: resolved settings and a connection pool; each call
/// drives its I/O on the calling thread. Thread-safe: share one client between all threads of a
/// program.
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

    /// Runs `name` through the core's bridge, in the C style, on the calling thread.
    fn bridge(&self, name: &str, args: Value, hooks: &Hooks) -> Result<Value, Failure> {
        let value = signals::with_sigpipe_blocked(|| {
            self.client.call_bridge(name, args, ArgStyle::C, hooks)
        })?;
        Ok(value)
    }
}

/// Receives a progress event: `event_json` is a JSON object whose `"event"` is one of the
/// YX_EVENT_* names (its other fields are listed there), valid only during the callback (copy
/// it to keep it); `user_data` is the pointer given with the callback. Called on the thread
/// that made the call, while the call runs: keep it short (the wait does not poll meanwhile),
/// and do not free the client from it. It may trigger a yx_cancel.
pub type yx_event_callback =
    Option<unsafe extern "C" fn(event_json: *const c_char, user_data: *mut c_void)>;

/// The caller's callback and pointer, as the core's event sink.
struct EventSink {
    callback: unsafe extern "C" fn(*const c_char, *mut c_void),
    user_data: *mut c_void,
}

impl EventSink {
    fn send(&self, event: &CString) {
        // SAFETY: the caller's callback, called as the header documents.
        unsafe { (self.callback)(event.as_ptr(), self.user_data) };
    }
}

// SAFETY: the sink is only called during the call that received it, on the calling thread
// (the blocking client runs the call's future there); the header tells the caller that
// `user_data` is used so.
unsafe impl Send for EventSink {}
// SAFETY: as above.
unsafe impl Sync for EventSink {}

/// The hooks of a call: events to `on_event` (when given), aborts from `cancel` (when given).
///
/// # Safety
/// `cancel` is NULL or a live yx_cancel; `on_event`, when given, may be called with `user_data`
/// during the call.
unsafe fn hooks(
    on_event: yx_event_callback,
    user_data: *mut c_void,
    cancel: *const yx_cancel,
) -> Hooks {
    let on_event = on_event.map(|callback| {
        let sink = EventSink {
            callback,
            user_data,
        };
        Arc::new(move |event: &Value| {
            // Formatting allocates: no panic of it may unwind through the core's wait.
            let text = catch_unwind(AssertUnwindSafe(|| json_text(event)));
            if let Ok(text) = text {
                sink.send(&text);
            }
        }) as Arc<dyn Fn(&Value) + Send + Sync>
    });
    let abort = if cancel.is_null() {
        None
    } else {
        // SAFETY: non-NULL and live per the caller's contract.
        Some(unsafe { &*cancel }.abort_handle())
    };
    Hooks { on_event, abort }
}

/// Compact JSON text as a C string. serde_json escapes U+0000, so the text has no NUL byte.
fn json_text(value: &Value) -> CString {
    boundary::c_string(&value.to_string())
}

/// Parses an optional JSON object argument: NULL is `{}`; anything but JSON text is an
/// argument failure (whether a value that is not an object is acceptable is the core's to say).
fn json_argument(text: Option<&str>, name: &str) -> Result<Value, Failure> {
    match text {
        None => Ok(Value::Object(Map::new())),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| Failure::InvalidArgument(format!("{name} is not valid JSON: {e}"))),
    }
}

/// Hands a JSON result to C: freed with yx_string_free.
fn hand_out_json(value: &Value) -> *mut c_char {
    json_text(value).into_raw()
}

/// The arguments naming one run, from the positional arguments of the typed functions, merged
/// into `extra` (which must not name them again).
///
/// # Safety
/// The strings are NULL or NUL-terminated.
unsafe fn run_arguments(
    organization_id: *const c_char,
    app_name: *const c_char,
    release_workflow_sn: *const c_char,
    release_stage_sn: *const c_char,
    execution_number: u64,
    mut extra: Value,
    extra_name: &str,
) -> Result<Value, Failure> {
    // SAFETY (this block): forwarded contract.
    let (organization_id, app, workflow, stage) = unsafe {
        (
            boundary::optional_text(organization_id, "organization_id")?,
            boundary::text(app_name, "app_name")?,
            boundary::text(release_workflow_sn, "release_workflow_sn")?,
            boundary::text(release_stage_sn, "release_stage_sn")?,
        )
    };
    let mut run = json!({
        "app_name": app,
        "release_workflow_sn": workflow,
        "release_stage_sn": stage,
        "execution_number": execution_number,
    });
    if let Some(id) = organization_id {
        run["organization_id"] = json!(id);
    }
    let Value::Object(map) = &mut extra else {
        return Err(Failure::InvalidArgument(format!(
            "{extra_name} is not a JSON object"
        )));
    };
    let Value::Object(run) = run else {
        return Err(Failure::Bug);
    };
    for (key, value) in run {
        if map.contains_key(&key) {
            return Err(Failure::InvalidArgument(format!(
                "{extra_name} repeats {key}, which is an argument of its own"
            )));
        }
        map.insert(key, value);
    }
    Ok(extra)
}

/// The C value of a wire name, from a generated table; `fallback` for a name not in it.
fn from_table<T: Copy, const N: usize>(
    table: &[(T, &str); N],
    name: Option<&str>,
    fallback: T,
) -> T {
    name.and_then(|name| table.iter().find(|(_, wire)| *wire == name))
        .map_or(fallback, |(value, _)| *value)
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
    // SAFETY: forwarded contract.
    unsafe { boundary::clear(client_out) };
    boundary::call(error_out, || {
        boundary::required(client_out, "client_out")?;
        let builder = if options.is_null() {
            yx_options::empty().client_builder()
        } else {
            // SAFETY: non-NULL, and live per the caller's contract.
            unsafe { &*options }.client_builder()
        };
        // Any thread the runtime starts (name resolution) inherits the mask of the thread
        // that starts it: this one, or a calling thread during a call — SIGPIPE blocked.
        let client = signals::with_sigpipe_blocked(|| builder.build_blocking())?;
        let client = boundary::into_raw(yx_client { client });
        // SAFETY: checked non-NULL above.
        unsafe { boundary::write(client_out, client) };
        Ok(())
    })
}

/// Frees a client: closes its connections and joins its helper threads (waiting at most about
/// a second). NULL is a no-op. No call on the client may be running, and none may start after.
///
/// # Safety
/// `client` is NULL or a yx_client from yx_client_new that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_client_free(client: *mut yx_client) {
    // SAFETY: forwarded contract.
    unsafe { boundary::free(client) }
}

/// Executes a release stage: starts one run of the stage `request` names, and blocks until the
/// answer. The request is only read: it may be executed again (that starts another run) or
/// freed after. (yx_client_call with YX_OP_EXECUTE_CHANGE_REQUEST_RELEASE_STAGE makes the same
/// call from JSON arguments.)
///
/// Returns YX_RESULT_OK and stores the answer in `*response_out` (free it with
/// yx_response_free). Returns YX_RESULT_ERROR when the call failed — see the error's kind, and
/// yx_error_get_may_have_executed before retrying on your own: the client already retried what
/// was safe to retry. No request is sent unless every argument is valid.
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
    // SAFETY: forwarded contract.
    unsafe { boundary::clear(response_out) };
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

/// Runs any operation or lifecycle helper by name — a YX_OP_* name, or its method name
/// ("get_release_stage_pipeline_run") — with the arguments in `args_json`: the text of a JSON
/// object spelled as the YX_OP_* documentation lists them (snake_case; durations in
/// milliseconds, suffixed `_ms`: "deadline_ms"). NULL `args_json` is `{}`. Blocks until the
/// answer (for a helper such as YX_OP_WAIT_FOR_RUN, until the wait ends). The core checks the
/// arguments: an unknown one, a wrong type, a missing one or a bad duration is
/// YX_RESULT_ERROR with an error of kind YX_ERROR_KIND_INVALID_REQUEST naming the argument, and
/// nothing is sent.
///
/// Returns YX_RESULT_OK and stores the result, compact JSON text with snake_case keys, in
/// `*result_json_out`: free it with yx_string_free. A list call's result has `next_args`, the
/// arguments of the next page (pass them back as `args_json`), or null after the last page.
/// Returns YX_RESULT_ERROR when the call failed (see the error's kind, and
/// yx_error_get_may_have_executed before retrying a mutating call on your own), and
/// YX_RESULT_INVALID_ARGUMENT when `args_json` is not JSON. Progress events of the helpers are
/// dropped here: use yx_client_call_with_events to receive them.
///
/// # Safety
/// `client` is NULL or a live yx_client; `name` and `args_json` are NULL or NUL-terminated;
/// `result_json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_client_call(
    client: *const yx_client,
    name: *const c_char,
    args_json: *const c_char,
    result_json_out: *mut *mut c_char,
    error_out: *mut *mut yx_error,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        yx_client_call_with_events(
            client,
            name,
            args_json,
            None,
            std::ptr::null_mut(),
            std::ptr::null(),
            result_json_out,
            error_out,
        )
    }
}

/// yx_client_call, with the progress events of a lifecycle helper (YX_OP_WAIT_FOR_RUN,
/// YX_OP_EXECUTE_AND_WAIT, YX_OP_FOLLOW_JOB_LOG) sent to `on_event` (NULL: none) with
/// `user_data`, and a `cancel` handle (NULL: none) that stops the wait when triggered — from
/// another thread, a signal handler or the callback. A stopped wait answers its outcome with
/// state "aborted"; the run goes on unless the arguments say `"cancel_on_abort": true`.
///
/// # Safety
/// As yx_client_call; `cancel` is NULL or a live yx_cancel; `on_event` is NULL or a function
/// that may be called with `user_data` during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_client_call_with_events(
    client: *const yx_client,
    name: *const c_char,
    args_json: *const c_char,
    on_event: yx_event_callback,
    user_data: *mut c_void,
    cancel: *const yx_cancel,
    result_json_out: *mut *mut c_char,
    error_out: *mut *mut yx_error,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { boundary::clear(result_json_out) };
    boundary::call(error_out, || {
        // SAFETY (this block): forwarded contract.
        let (client, name, args) = unsafe {
            (
                boundary::handle(client, "client")?,
                boundary::text(name, "name")?,
                boundary::optional_text(args_json, "args_json")?,
            )
        };
        boundary::required(result_json_out, "result_json_out")?;
        let args = json_argument(args, "args_json")?;
        // SAFETY: forwarded contract.
        let hooks = unsafe { hooks(on_event, user_data, cancel) };
        let result = client.bridge(name, args, &hooks)?;
        // SAFETY: checked non-NULL above.
        unsafe { boundary::write(result_json_out, hand_out_json(&result)) };
        Ok(())
    })
}

/// Gets the status of run `execution_number` of stage `release_stage_sn` (workflow
/// `release_workflow_sn`, app `app_name`; `organization_id` NULL for the client's) with one
/// GetReleaseStagePipelineRun call, and stores it in `*status_out`: YX_RUN_STATUS_RUNNING,
/// YX_RUN_STATUS_SUCCESS… or YX_RUN_STATUS_OTHER for a status this library does not list (or
/// none). The whole run, stages and jobs included, is yx_client_call's
/// YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN. `*status_out` is YX_RUN_STATUS_OTHER on failure.
///
/// # Safety
/// `client` is NULL or a live yx_client; the strings are NULL or NUL-terminated; `status_out`
/// and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_client_get_run_status(
    client: *const yx_client,
    organization_id: *const c_char,
    app_name: *const c_char,
    release_workflow_sn: *const c_char,
    release_stage_sn: *const c_char,
    execution_number: u64,
    status_out: *mut yx_run_status,
    error_out: *mut *mut yx_error,
) -> yx_result {
    if !status_out.is_null() {
        // SAFETY: non-NULL and writable per the caller's contract.
        unsafe { status_out.write(yx_run_status::Other) };
    }
    boundary::call(error_out, || {
        // SAFETY (this block): forwarded contract.
        let (client, args) = unsafe {
            (
                boundary::handle(client, "client")?,
                run_arguments(
                    organization_id,
                    app_name,
                    release_workflow_sn,
                    release_stage_sn,
                    execution_number,
                    Value::Object(Map::new()),
                    "",
                )?,
            )
        };
        boundary::required(status_out, "status_out")?;
        let run = client.bridge("GetReleaseStagePipelineRun", args, &Hooks::default())?;
        let status = from_table(
            &YX_RUN_STATUS_NAMES,
            run["status"].as_str(),
            yx_run_status::Other,
        );
        // SAFETY: checked non-NULL above.
        unsafe { boundary::write(status_out, status) };
        Ok(())
    })
}

/// Waits for run `execution_number` of a stage (named as for yx_client_get_run_status) to end,
/// polling it, and stores how the wait ended in `*state_out` and the whole outcome (state,
/// status, failed_jobs, gate, polls, elapsed_ms, cancel, last: the run as last seen) as JSON
/// in `*outcome_json_out` (free it with yx_string_free; NULL `outcome_json_out` when only the
/// state is wanted). A failed run is an outcome (YX_WAIT_STATE_FAILED), not an error.
///
/// `options_json` is NULL or a JSON object with the wait's settings, as YX_OP_WAIT_FOR_RUN
/// lists them: "deadline_ms" (the wait's own deadline; YX_WAIT_STATE_DEADLINE_EXCEEDED when
/// it passes, the run goes on), "on_approval" ("wait" or "stop" at a manual gate:
/// YX_WAIT_STATE_WAITING_FOR_APPROVAL), "follow_logs", "cancel_on_abort", "poll_initial_ms",
/// "poll_max_ms". The core judges them, naming a bad one in the error.
///
/// Progress events go to `on_event` (NULL: none), on the calling thread. `cancel` (NULL: none)
/// stops the wait when triggered with yx_cancel_trigger from another thread or the callback,
/// or with yx_cancel_trigger_from_signal from a signal handler: the call returns YX_RESULT_OK
/// with YX_WAIT_STATE_ABORTED, and the run goes on (unless "cancel_on_abort" is true).
///
/// # Safety
/// `client` is NULL or a live yx_client; the strings are NULL or NUL-terminated; `cancel` is
/// NULL or a live yx_cancel; `on_event` is NULL or may be called with `user_data` during the
/// call; `state_out`, `outcome_json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_client_wait_for_run(
    client: *const yx_client,
    organization_id: *const c_char,
    app_name: *const c_char,
    release_workflow_sn: *const c_char,
    release_stage_sn: *const c_char,
    execution_number: u64,
    options_json: *const c_char,
    on_event: yx_event_callback,
    user_data: *mut c_void,
    cancel: *const yx_cancel,
    state_out: *mut yx_wait_state,
    outcome_json_out: *mut *mut c_char,
    error_out: *mut *mut yx_error,
) -> yx_result {
    if !state_out.is_null() {
        // SAFETY: non-NULL and writable per the caller's contract.
        unsafe { state_out.write(yx_wait_state::Unknown) };
    }
    // SAFETY: forwarded contract.
    unsafe { boundary::clear(outcome_json_out) };
    boundary::call(error_out, || {
        // SAFETY (this block): forwarded contract.
        let (client, options) = unsafe {
            (
                boundary::handle(client, "client")?,
                boundary::optional_text(options_json, "options_json")?,
            )
        };
        let options = json_argument(options, "options_json")?;
        // SAFETY: forwarded contract.
        let args = unsafe {
            run_arguments(
                organization_id,
                app_name,
                release_workflow_sn,
                release_stage_sn,
                execution_number,
                options,
                "options_json",
            )
        }?;
        boundary::required(state_out, "state_out")?;
        // SAFETY: forwarded contract.
        let hooks = unsafe { hooks(on_event, user_data, cancel) };
        let outcome = client.bridge("wait_for_run", args, &hooks)?;
        let state = from_table(
            &YX_WAIT_STATE_NAMES,
            outcome["state"].as_str(),
            yx_wait_state::Unknown,
        );
        if state == yx_wait_state::Unknown {
            return Err(Failure::Bug);
        }
        // SAFETY: checked non-NULL above; `outcome_json_out` is optional.
        unsafe {
            boundary::write(state_out, state);
            if !outcome_json_out.is_null() {
                boundary::write(outcome_json_out, hand_out_json(&outcome));
            }
        }
        Ok(())
    })
}

/// Frees a string the library handed out (a result of yx_client_call, an outcome of
/// yx_client_wait_for_run). NULL is a no-op. Never pass it to free().
///
/// # Safety
/// `text` is NULL or a string from this library's `char **` outputs, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_string_free(text: *mut c_char) {
    if text.is_null() {
        return;
    }
    // SAFETY: made by CString::into_raw in this library, per the caller's contract.
    let owned = unsafe { CString::from_raw(text) };
    let _ = catch_unwind(AssertUnwindSafe(move || drop(owned)));
}
