//! The addon's own tokio runtime, on which every call runs.
//!
//! One runtime per process, shared by every Node environment (the main thread and worker
//! threads), started by the first call: a current-thread scheduler driven by one thread of its
//! own (`yunxiao-rt`). napi-rs's runtime (`env.spawn_future`) is not used: it cost each call two
//! spawned tasks and a threadsafe function of its own, and as a work-stealing scheduler it does
//! more per task than one thread that only waits on sockets needs. How results get back to
//! JavaScript is [`crate::completions`]'s business; this thread tells it when it goes idle
//! ([`completions::worker_parks`]), which is when the JavaScript thread is woken.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle};

use crate::completions;

/// The runtime's handle, or why it could not be started.
static RUNTIME: OnceLock<Result<Handle, String>> = OnceLock::new();

/// Builds the runtime and starts the thread that drives it, for the rest of the process.
fn start() -> Result<Handle, String> {
    // The runtime's thread runs this image's code until the process ends: keep the image
    // loaded even if Node ever unloads the addon.
    napi::bindgen_prelude::retain_current_module_for_unload_safety();
    let runtime = Builder::new_current_thread()
        .enable_all()
        .thread_name("yunxiao-rt")
        .on_thread_park(completions::worker_parks)
        .build()
        .map_err(|e| e.to_string())?;
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("yunxiao-rt".into())
        // Never returns: calls may be in flight in any environment until the process exits.
        .spawn(move || runtime.block_on(std::future::pending::<()>()))
        .map_err(|e| e.to_string())?;
    Ok(handle)
}

/// The runtime's handle, started on first use.
fn handle() -> napi::Result<&'static Handle> {
    RUNTIME.get_or_init(start).as_ref().map_err(|e| {
        napi::Error::from_reason(format!("cannot start the addon's tokio runtime: {e}"))
    })
}

/// Starts the runtime if it is not running yet; fails when it cannot be started.
pub(crate) fn ready() -> napi::Result<()> {
    handle().map(|_| ())
}

/// Runs `future` on the addon's runtime (after [`ready`] succeeded; otherwise `future` is
/// dropped).
pub(crate) fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    if let Ok(handle) = handle() {
        handle.spawn(future);
    }
}
