//! The one generic entry: any catalog operation or lifecycle helper, by name, through the
//! core's `call_bridge` in the Python style (snake_case, durations in seconds).
//!
//! The generated Python layer (`_operations.py`) calls [`NativeClient::call`] (blocking) and
//! [`NativeClient::start_call`] (asyncio). Names, argument checks, units and results are the
//! core's; this side only moves JSON-shaped values across and delivers events.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;
use yunxiao_appstack::bridge::{ArgStyle, Hooks, JsonEventSink};
use yunxiao_appstack::{AbortHandle, Error};

use crate::client::{NativeClient, PendingCall};
use crate::completions::{Completions, Outcome};
use crate::{convert, errors, logging, runtime, wait};

/// The arguments as JSON, and whether an abort must let the core cancel the run first.
fn arguments(args: &Bound<'_, PyDict>) -> PyResult<(Value, bool)> {
    let py = args.py();
    let json = convert::to_json("arguments", args.as_any()).map_err(|e| e.into_py(py))?;
    // The core cancels the run on abort only when asked; the binding must then let the wait
    // end by itself (it sends the cancel) instead of dropping it.
    let graceful = json.get("cancel_on_abort") == Some(&Value::Bool(true));
    Ok((json, graceful))
}

impl NativeClient {
    /// Runs operation or helper `name` with keyword arguments `args` and waits for the result
    /// with the GIL released; returns the result as JSON-shaped Python values or raises the
    /// core's error. `on_event` (a callable) receives each progress event, as a `dict`, on this
    /// thread. Ctrl-C (or an exception raised by `on_event`) stops the wait at once — never
    /// the run, unless `cancel_on_abort=True`, when the core cancels it first — and
    /// propagates.
    pub(crate) fn call_bridged<'py>(
        &self,
        py: Python<'py>,
        name: String,
        args: &Bound<'py, PyDict>,
        on_event: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        logging::refresh(py);
        let (args, graceful) = arguments(args)?;
        let client = self.client(py)?;
        let handle = runtime::handle().map_err(|e| errors::to_py_err(py, &e))?;
        let abort = AbortHandle::new();
        let outcome = wait::run_bridge(
            py,
            &handle,
            wait::Bridged {
                client,
                name,
                args,
                abort: abort.clone(),
                events: on_event.is_some(),
            },
            graceful,
            on_event.as_ref(),
        )?;
        match outcome {
            Ok(value) => convert::from_json(py, &value),
            Err(error) => Err(errors::to_py_err(py, &error)),
        }
    }

    /// Starts operation or helper `name` on the runtime and returns at once, like `start`:
    /// `future` is settled with the JSON-shaped result or the exception by
    /// `completions.drain()` on the loop's thread, where `on_event` (when given) also receives
    /// each event. `PendingCall.cancel()` stops the call at once (a wait: never the run, unless
    /// `cancel_on_abort=True`, when the core cancels it first, in the background).
    pub(crate) fn start_bridged(
        &self,
        py: Python<'_>,
        name: String,
        args: &Bound<'_, PyDict>,
        completions: &Bound<'_, Completions>,
        future: Py<PyAny>,
        on_event: Option<Py<PyAny>>,
    ) -> PyResult<PendingCall> {
        logging::refresh(py);
        let (args, graceful) = arguments(args)?;
        let client = self.client(py)?;
        let handle = runtime::handle().map_err(|e| errors::to_py_err(py, &e))?;
        let events = on_event.is_some();
        let (id, inbox) = completions.get().register_with_events(future, on_event)?;
        let abort = AbortHandle::new();
        let sink = inbox.clone();
        let hooks = Hooks {
            on_event: events.then(|| {
                Arc::new(move |event: &Value| sink.deliver(id, Outcome::Event(event.clone())))
                    as JsonEventSink
            }),
            abort: Some(abort.clone()),
        };
        let task = handle.spawn(async move {
            let outcome = client
                .call_bridge(&name, args, ArgStyle::Python, &hooks)
                .await;
            inbox.deliver(id, Outcome::Json(outcome));
        });
        Ok(PendingCall::new(
            task.abort_handle(),
            id,
            completions.clone().unbind(),
            Some((abort, graceful)),
        ))
    }
}

/// Runs one bridged call on the runtime (see `wait::run_bridge`).
pub(crate) async fn run(
    bridged: wait::Bridged,
    on_event: Option<JsonEventSink>,
) -> Result<Value, Error> {
    let hooks = Hooks {
        on_event,
        abort: Some(bridged.abort),
    };
    bridged
        .client
        .call_bridge(&bridged.name, bridged.args, ArgStyle::Python, &hooks)
        .await
}
