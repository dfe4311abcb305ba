//! Core errors as Python exceptions.
//!
//! The exception classes live in Python (`yunxiao_appstack/_exceptions.py`), where users read
//! and subclass them. This side reports the core error's fields to that module's
//! `_from_native`, which picks the class from the kind code; no status number or message is
//! interpreted here.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use yunxiao_appstack::Error;

/// `yunxiao_appstack._exceptions._from_native`, imported once.
static FROM_NATIVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception instance for a core error.
pub(crate) fn to_py_exception<'py>(py: Python<'py>, error: &Error) -> PyResult<Bound<'py, PyAny>> {
    let factory = FROM_NATIVE.import(py, "yunxiao_appstack._exceptions", "_from_native")?;
    let api = error.api();
    let call = error.call().filter(|call| !call.operation.is_empty());
    let call_info = call.map(|call| {
        let started_at = call
            .started_at
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        (
            call.operation,
            call.effect.as_str(),
            call.action.to_string(),
            started_at,
        )
    });
    factory.call1((
        error.kind().as_str(),
        error.message(),
        error.to_string(),
        error.may_have_executed(),
        error.status(),
        error.request_id(),
        api.and_then(|api| api.error_code.as_deref()),
        api.and_then(|api| api.trace_id.as_deref()),
        error.retry_after().map(|delay| delay.as_secs_f64()),
        api.map(|api| api.body.as_str()),
        call_info,
    ))
}

/// The exception to raise for a core error. Should the exception module be unusable (the
/// native module imported on its own), a `RuntimeError` with the core's message stands in.
pub(crate) fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    match to_py_exception(py, error) {
        Ok(exception) => PyErr::from_value(exception),
        Err(_) => PyRuntimeError::new_err(error.to_string()),
    }
}
