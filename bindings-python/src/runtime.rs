//! The one tokio runtime of the process, created on first use and again after `fork()`.
//!
//! A forked child inherits the parent's memory but none of its threads: the parent's runtime
//! would hold worker handles for threads that do not exist, and any lock one of them held at
//! the moment of the fork stays locked forever. The child therefore never touches the
//! inherited runtime — not even to drop it, which would wait for those threads — and builds a
//! fresh one the first time it needs one.

use std::sync::{Mutex, PoisonError};

use tokio::runtime::{Builder, Handle, Runtime};
use yunxiao_appstack::Error;

/// The runtime and the fork generation (see `fork`) it was built in.
struct ProcessRuntime {
    generation: u64,
    runtime: Runtime,
}

/// Held only for the few instructions it takes to read or replace the slot, and only by
/// threads attached to Python: a `fork()` (which runs attached) can therefore never copy it in
/// the locked state.
static RUNTIME: Mutex<Option<ProcessRuntime>> = Mutex::new(None);

/// Worker threads drive sockets and timers only; the calling threads wait on their own, so a
/// few workers serve any number of concurrent calls.
const MAX_WORKERS: usize = 2;

/// A handle to this process's runtime, creating the runtime if this process has none yet.
pub(crate) fn handle() -> Result<Handle, Error> {
    let generation = crate::fork::generation();
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(current) = slot
        .as_ref()
        .filter(|current| current.generation == generation)
    {
        return Ok(current.runtime.handle().clone());
    }
    if let Some(inherited) = slot.take() {
        // Built by the parent before a fork: its workers do not exist here, so dropping it
        // would block on them. Leak it instead (a few KiB, once per fork).
        std::mem::forget(inherited);
    }
    let workers = std::thread::available_parallelism()
        .map(|n| n.get().min(MAX_WORKERS))
        .unwrap_or(1);
    let runtime = Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("yunxiao-appstack")
        .enable_all()
        .build()
        .map_err(|e| Error::configuration(format!("cannot start the I/O runtime: {e}")))?;
    let handle = runtime.handle().clone();
    *slot = Some(ProcessRuntime {
        generation,
        runtime,
    });
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_is_created_once_per_process() {
        let first = handle().expect("runtime");
        let second = handle().expect("runtime");
        assert_eq!(first.id(), second.id());
        assert_eq!(first.block_on(async { 1 + 1 }), 2);
    }
}
