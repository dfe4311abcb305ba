//! Entering Python from threads Python does not own, and leaving cleanly at interpreter exit.
//!
//! Up to Python 3.13, a thread that needs the GIL after the interpreter began finalizing is
//! ended on the spot with `pthread_exit`. For a runtime worker in the middle of a Python call
//! (a log record handed to `logging`, whose handlers may release the GIL) that unwinds Rust
//! frames holding Python references, and the process crashes on its way out. (Call results
//! never enter Python on runtime threads: see `completions`.)
//!
//! So an `atexit` hook ([`at_exit`], registered by the package) closes the door before
//! finalization: runtime threads stop entering Python, and the hook waits for those already
//! inside to leave. A Python thread still blocked in a call when the hook has run (a daemon
//! thread) never takes the GIL again: it parks until the process ends, as Python 3.14 does.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// Set by [`at_exit`]: no runtime thread enters Python any more.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Runtime threads currently inside (or about to enter) Python.
static INSIDE: AtomicUsize = AtomicUsize::new(0);

/// The longest [`at_exit`] waits for runtime threads to leave Python; they only deliver a
/// log record, so this is never reached in practice.
const EXIT_WAIT: Duration = Duration::from_secs(2);

/// Runs `f` attached to Python from a runtime thread, unless the interpreter is shutting down
/// (then `None`, and `f` is dropped unrun).
pub(crate) fn with_python<F, R>(f: F) -> Option<R>
where
    F: for<'py> FnOnce(Python<'py>) -> R,
{
    // Count first, then check: `at_exit` closes first, then waits for the count. Either this
    // thread sees the door closed, or `at_exit` sees it inside and waits.
    INSIDE.fetch_add(1, Ordering::SeqCst);
    let result = if CLOSED.load(Ordering::SeqCst) {
        None
    } else {
        Python::try_attach(f)
    };
    INSIDE.fetch_sub(1, Ordering::SeqCst);
    result
}

/// Whether the interpreter is shutting down (the `atexit` hook has run).
pub(crate) fn is_closed() -> bool {
    CLOSED.load(Ordering::SeqCst)
}

/// Called by a Python thread that has waited detached and is about to take the GIL back: past
/// the `atexit` hook, taking it would end the thread mid-frame, so the thread sleeps until the
/// process exits instead.
pub(crate) fn park_if_closed() {
    while is_closed() {
        std::thread::park();
    }
}

/// The `atexit` hook: closes the door to runtime threads and waits, detached, for those inside
/// Python to leave.
#[pyfunction]
#[pyo3(name = "_at_exit")]
pub(crate) fn at_exit(py: Python<'_>) {
    CLOSED.store(true, Ordering::SeqCst);
    py.detach(|| {
        let deadline = Instant::now() + EXIT_WAIT;
        while INSIDE.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// The `os.register_at_fork(after_in_child=...)` hook: threads counted inside Python in the
/// parent do not exist in the child.
#[pyfunction]
#[pyo3(name = "_after_fork_in_child")]
pub(crate) fn after_fork_in_child() {
    INSIDE.store(0, Ordering::SeqCst);
}
