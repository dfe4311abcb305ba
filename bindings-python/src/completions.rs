//! Handing asyncio calls' outcomes to their event loop without the GIL on runtime threads.
//!
//! A finished call does not enter Python on the runtime thread that finished it: taking the
//! GIL there makes the runtime threads and the event loop's thread pass the GIL back and forth
//! on every call. Instead the runtime thread pushes the plain Rust outcome onto the queue of
//! the call's event loop and, only when the queue was empty, writes one byte to a socket the
//! loop watches (`loop.add_reader`). The loop's thread then drains every outcome waiting,
//! converts each to Python and settles its future — one wake-up for a whole batch.
//!
//! One [`Completions`] exists per event loop (the Python side keeps the registry and removes a
//! loop's entry when no call is pending or the loop is closed). Runtime threads hold only the
//! [`Inbox`], which contains no Python object; the futures stay on the Python side.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use serde_json::Value;
use yunxiao_appstack::{Error, ExecuteReleaseStageResponse};

use crate::{convert, errors, fork};

/// What a call sends its loop, as the core reports it: the end of an execute (the fast path)
/// or of a bridged call, or one progress event of a bridged call.
pub(crate) enum Outcome {
    Execute(Result<ExecuteReleaseStageResponse, Error>),
    Json(Result<Value, Error>),
    Event(Value),
}

/// A call waiting on a loop: its future, and where its events go.
struct Waiting {
    future: Py<PyAny>,
    on_event: Option<Py<PyAny>>,
}

/// The runtime threads' side of a loop's queue: finished outcomes and the wake-up socket.
pub(crate) struct Inbox {
    /// Outcomes not yet drained, with their call ids. Locked only to push or to take all.
    outcomes: Mutex<Vec<(u64, Outcome)>>,
    /// The write end of the socket pair; nonblocking (a full buffer already means "wake up").
    waker: UnixStream,
}

impl Inbox {
    /// Queues `outcome` for call `id` and wakes the loop if the queue was empty (a non-empty
    /// queue has a wake-up on its way already).
    pub(crate) fn deliver(&self, id: u64, outcome: Outcome) {
        let was_empty = {
            let mut outcomes = self.outcomes.lock().unwrap_or_else(PoisonError::into_inner);
            let was_empty = outcomes.is_empty();
            outcomes.push((id, outcome));
            was_empty
        };
        if was_empty {
            // Fails only with a full buffer (a wake-up is pending) or a closed reader (the
            // loop's queue is gone and nobody waits): nothing to do either way.
            let _ = (&self.waker).write(&[1]);
        }
    }
}

/// The completion queue of one event loop: its futures, by call id, and the read end the loop
/// watches.
#[pyclass(frozen, module = "yunxiao_appstack._native")]
pub(crate) struct Completions {
    inbox: Option<Arc<Inbox>>,
    reader: UnixStream,
    /// Futures of the calls in flight. Locked only briefly and only by threads attached to
    /// Python, so a `fork()` never copies it locked.
    futures: Mutex<HashMap<u64, Waiting>>,
    next_id: AtomicU64,
    /// The fork generation this queue belongs to.
    generation: u64,
}

impl Drop for Completions {
    fn drop(&mut self) {
        if self.generation != fork::generation() {
            if let Some(inherited) = self.inbox.take() {
                // Inherited from the parent, where a runtime thread may have been halfway
                // through a push at the moment of the fork: freeing the outcomes could free
                // memory twice. Close this process's copy of the socket and leak the rest.
                // SAFETY: no thread of this process uses the inherited inbox (the runtime
                // threads that did exist only in the parent), and it is never dropped, so the
                // descriptor is closed exactly once.
                drop(unsafe { OwnedFd::from_raw_fd(inherited.waker.as_raw_fd()) });
                std::mem::forget(inherited);
            }
        }
    }
}

#[pymethods]
impl Completions {
    /// A new queue with its own wake-up socket.
    #[new]
    fn new() -> PyResult<Self> {
        let (reader, waker) = UnixStream::pair()
            .map_err(|e| PyRuntimeError::new_err(format!("cannot create a socket pair: {e}")))?;
        for end in [&reader, &waker] {
            end.set_nonblocking(true).map_err(|e| {
                PyRuntimeError::new_err(format!("cannot make a socket nonblocking: {e}"))
            })?;
        }
        Ok(Self {
            inbox: Some(Arc::new(Inbox {
                outcomes: Mutex::new(Vec::new()),
                waker,
            })),
            reader,
            futures: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            generation: fork::generation(),
        })
    }

    /// The descriptor to watch with `loop.add_reader`.
    fn fileno(&self) -> i32 {
        self.reader.as_raw_fd()
    }

    /// How many calls have a future waiting here.
    #[getter]
    fn pending(&self) -> usize {
        self.futures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Settles the future of every outcome waiting (futures already done — cancelled — are
    /// left alone); returns how many calls are still pending. Runs on the loop's thread, as
    /// its `add_reader` callback. Never raises: one bad result must not strand the others.
    fn drain(&self, py: Python<'_>) -> usize {
        // Clear the wake-up before taking the outcomes: an outcome pushed after the take then
        // wakes the loop again, never gets stranded.
        let mut buffer = [0u8; 64];
        while matches!((&self.reader).read(&mut buffer), Ok(n) if n > 0) {}
        let Some(inbox) = &self.inbox else {
            return 0;
        };
        let batch = std::mem::take(
            &mut *inbox
                .outcomes
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let (settle, pending) = {
            let mut futures = self.futures.lock().unwrap_or_else(PoisonError::into_inner);
            // Events keep their call waiting; an end takes it out.
            let settle: Vec<(Py<PyAny>, Option<Py<PyAny>>, Outcome)> = batch
                .into_iter()
                .filter_map(|(id, outcome)| match outcome {
                    Outcome::Event(_) => futures.get(&id).map(|waiting| {
                        let sink = waiting.on_event.as_ref().map(|s| s.clone_ref(py));
                        (waiting.future.clone_ref(py), sink, outcome)
                    }),
                    _ => futures
                        .remove(&id)
                        .map(|waiting| (waiting.future, None, outcome)),
                })
                .collect();
            (settle, futures.len())
        };
        for (future, sink, outcome) in settle {
            match (outcome, sink) {
                (Outcome::Event(event), Some(sink)) => {
                    // An exception from the callback fails the call's future: the awaiting
                    // side then cancels the call.
                    if let Err(err) = convert::from_json(py, &event)
                        .and_then(|event| sink.bind(py).call1((event,)))
                    {
                        let _ = fail_future(py, future.bind(py), err);
                    }
                }
                (Outcome::Event(_), None) => {}
                // Fails only for a future that misbehaves: its caller sees nothing, as with a
                // cancelled one.
                (outcome, _) => {
                    let _ = settle_future(py, future.bind(py), outcome);
                }
            }
        }
        pending
    }
}

impl Completions {
    /// Records `future` as waiting for a new call; returns the call's id and the inbox its
    /// outcome goes to.
    pub(crate) fn register(&self, future: Py<PyAny>) -> PyResult<(u64, Arc<Inbox>)> {
        self.register_with_events(future, None)
    }

    /// Like [`Completions::register`], with a callable for the call's events.
    pub(crate) fn register_with_events(
        &self,
        future: Py<PyAny>,
        on_event: Option<Py<PyAny>>,
    ) -> PyResult<(u64, Arc<Inbox>)> {
        let inbox = match &self.inbox {
            Some(inbox) if self.generation == fork::generation() => inbox.clone(),
            _ => {
                return Err(PyRuntimeError::new_err(
                    "yunxiao_appstack: this completion queue belongs to the parent process",
                ));
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.futures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Waiting { future, on_event });
        Ok((id, inbox))
    }

    /// Forgets call `id` (cancelled): its outcome, should it still arrive, is discarded.
    pub(crate) fn forget(&self, id: u64) -> Option<Py<PyAny>> {
        self.futures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id)
            .map(|waiting| waiting.future)
    }
}

/// `future.set_result(tuple)` or `future.set_exception(error)`, unless it is done already.
fn settle_future(py: Python<'_>, future: &Bound<'_, PyAny>, outcome: Outcome) -> PyResult<()> {
    if future.call_method0(intern!(py, "done"))?.is_truthy()? {
        return Ok(());
    }
    let result = match outcome {
        Outcome::Execute(Ok(response)) => {
            crate::client::response_tuple(py, &response).map(Bound::into_any)
        }
        Outcome::Json(Ok(value)) => convert::from_json(py, &value),
        Outcome::Execute(Err(error)) | Outcome::Json(Err(error)) => {
            Err(errors::to_py_err(py, &error))
        }
        Outcome::Event(_) => return Ok(()),
    };
    match result {
        Ok(value) => future
            .call_method1(intern!(py, "set_result"), (value,))
            .map(drop),
        Err(err) => fail_future(py, future, err),
    }
}

/// `future.set_exception(err)`, unless it is done already.
fn fail_future(py: Python<'_>, future: &Bound<'_, PyAny>, err: PyErr) -> PyResult<()> {
    if future.call_method0(intern!(py, "done"))?.is_truthy()? {
        return Ok(());
    }
    let value = err.into_value(py).into_bound(py).into_any();
    future
        .call_method1(intern!(py, "set_exception"), (value,))
        .map(drop)
}
