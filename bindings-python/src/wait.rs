//! Waiting for a core call from a synchronous Python thread: GIL released, Ctrl-C honoured.
//!
//! The call runs as a task on the runtime; the calling thread waits for its outcome on a
//! channel with the GIL released, so other Python threads run meanwhile. Python runs signal
//! handlers only on the main thread, so the main thread wakes every [`SIGNAL_POLL`] to let
//! them run: a `KeyboardInterrupt` (or any exception a handler raises) aborts the task — which
//! drops the request and its connection — and propagates at once instead of after the
//! timeout. Other threads wait without waking up.

use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde_json::Value;
use tokio::runtime::Handle;
use yunxiao_appstack::bridge::JsonEventSink;
use yunxiao_appstack::{AbortHandle, Client, Error};

use crate::shutdown;

/// How often the main thread looks for pending signals while it waits.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The `threading` module, for telling the main thread apart.
static THREADING: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// Runs `future` on the runtime behind `handle` and waits for its output with the GIL
/// released.
pub(crate) fn run<T, F>(py: Python<'_>, handle: &Handle, future: F) -> PyResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let on_main_thread = is_main_thread(py)?;
    let (sender, receiver) = mpsc::sync_channel(1);
    let task = handle.spawn(async move {
        // The receiver is gone only when the caller stopped waiting; nothing to deliver then.
        let _ = sender.send(future.await);
    });
    let mut receiver = receiver;
    loop {
        // The receiver moves into the closure and back: it is `Send` but not `Sync`.
        let (returned, received) = py.detach(move || {
            let received = if on_main_thread {
                receiver.recv_timeout(SIGNAL_POLL)
            } else {
                let received = receiver.recv().map_err(|_| RecvTimeoutError::Disconnected);
                // A daemon thread whose call outlived the main thread must not take the GIL
                // back during finalization (see `shutdown`).
                shutdown::park_if_closed();
                received
            };
            (receiver, received)
        });
        receiver = returned;
        match received {
            Ok(output) => return Ok(output),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    // Dropping the future closes the connection: the request is cancelled.
                    task.abort();
                    return Err(interrupt);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                // The task ended without an answer: it panicked (a bug) or the runtime stopped.
                return Err(PyRuntimeError::new_err(
                    "yunxiao_appstack: the call ended without a result (internal error)",
                ));
            }
        }
    }
}

/// One call of the generic bridge, ready to run.
pub(crate) struct Bridged {
    pub(crate) client: Client,
    pub(crate) name: String,
    pub(crate) args: Value,
    /// Stops the core's wait (the run goes on unless `cancel_on_abort`).
    pub(crate) abort: AbortHandle,
    /// Whether events are wanted.
    pub(crate) events: bool,
}

/// What the runtime sends the waiting thread.
enum Message {
    Event(Value),
    Done(Result<Value, Error>),
}

/// Runs a bridged call and waits for its result with the GIL released, calling `on_event` on
/// this thread for each event as it arrives. A signal (Ctrl-C) or an exception from `on_event`
/// stops the call at once and propagates: the core's abort handle is set (so a wait stops
/// polling) and the task is dropped — unless `graceful` (`cancel_on_abort=True`), when the
/// core's wait is let finish, which cancels the run, before the exception propagates.
pub(crate) fn run_bridge(
    py: Python<'_>,
    handle: &Handle,
    bridged: Bridged,
    graceful: bool,
    on_event: Option<&Bound<'_, PyAny>>,
) -> PyResult<Result<Value, Error>> {
    let on_main_thread = is_main_thread(py)?;
    let (sender, receiver) = mpsc::channel::<Message>();
    let abort = bridged.abort.clone();
    let events = sender.clone();
    let sink = bridged.events.then(|| {
        Arc::new(move |event: &Value| {
            // The receiver is gone only when the caller stopped waiting.
            let _ = events.send(Message::Event(event.clone()));
        }) as JsonEventSink
    });
    let task = handle.spawn(async move {
        let _ = sender.send(Message::Done(crate::bridge::run(bridged, sink).await));
    });
    let mut receiver = receiver;
    // Set once the call is being stopped: the exception to raise when it has.
    let mut stopping: Option<PyErr> = None;
    loop {
        let (returned, received) = py.detach(move || {
            let received = if on_main_thread {
                receiver.recv_timeout(SIGNAL_POLL)
            } else {
                let received = receiver.recv().map_err(|_| RecvTimeoutError::Disconnected);
                shutdown::park_if_closed();
                received
            };
            (receiver, received)
        });
        receiver = returned;
        let failure = match received {
            Ok(Message::Done(output)) => {
                return match stopping {
                    Some(err) => Err(err),
                    None => Ok(output),
                };
            }
            Ok(Message::Event(event)) => match (&stopping, on_event) {
                (None, Some(callback)) => crate::convert::from_json(py, &event)
                    .and_then(|event| callback.call1((event,)))
                    .err(),
                _ => None,
            },
            Err(RecvTimeoutError::Timeout) => py.check_signals().err(),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "yunxiao_appstack: the call ended without a result (internal error)",
                ));
            }
        };
        if let Some(err) = failure {
            abort.abort();
            if !graceful || stopping.is_some() {
                // A second interrupt while the cancel is being sent stops that too.
                task.abort();
                return Err(stopping.unwrap_or(err));
            }
            stopping = Some(err);
        }
    }
}

/// Whether the calling thread is Python's main thread, the only one that runs signal handlers.
fn is_main_thread(py: Python<'_>) -> PyResult<bool> {
    let threading = THREADING.get_or_try_init(py, || -> PyResult<Py<PyModule>> {
        Ok(py.import("threading")?.unbind())
    })?;
    let threading = threading.bind(py);
    let main = threading.call_method0("main_thread")?.getattr("ident")?;
    let current = threading.call_method0("get_ident")?;
    main.eq(current)
}
