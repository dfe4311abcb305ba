//! Waiting for a core call from a synchronous Python thread: GIL released, Ctrl-C honoured.
//!
//! The call runs as a task on the runtime; the calling thread waits for its outcome on a
//! channel with the GIL released, so other Python threads run meanwhile. Python runs signal
//! handlers only on the main thread, so the main thread wakes every [`SIGNAL_POLL`] to let
//! them run: a `KeyboardInterrupt` (or any exception a handler raises) aborts the task — which
//! drops the request and its connection — and propagates at once instead of after the
//! timeout. Other threads wait without waking up.

use std::future::Future;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tokio::runtime::Handle;

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
