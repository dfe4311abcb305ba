//! A handle that stops a wait from anywhere: another task, another thread, a signal handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Stops a wait (never the run, unless the wait's `cancel_on_abort` says so). Cheap to clone;
/// every clone stops the same waits.
///
/// [`AbortHandle::abort`] may be called from any thread. From a signal handler, where only
/// async-signal-safe work is allowed, store `true` into [`AbortHandle::flag`] instead: waits
/// look at it at least every [`SLICE`].
#[derive(Clone, Debug, Default)]
pub struct AbortHandle(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    flag: AtomicBool,
    notify: Notify,
}

/// How often a wait looks at the flag while it sleeps.
pub const SLICE: Duration = Duration::from_millis(100);

impl AbortHandle {
    /// A handle that has not been used.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops every wait that uses this handle, now and later.
    pub fn abort(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether [`AbortHandle::abort`] was called (or the flag set).
    pub fn is_aborted(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst)
    }

    /// The flag itself, for async-signal-safe use (`flag().store(true, …)`).
    pub fn flag(&self) -> &AtomicBool {
        &self.0.flag
    }

    /// Sleeps for `duration` or until aborted; true when aborted.
    pub(crate) async fn sleep(&self, duration: Duration) -> bool {
        let until = Instant::now() + duration;
        loop {
            if self.is_aborted() {
                return true;
            }
            let now = Instant::now();
            if now >= until {
                return false;
            }
            let slice = (until - now).min(SLICE);
            tokio::select! {
                () = tokio::time::sleep(slice) => {}
                () = self.0.notify.notified() => {}
            }
        }
    }
}

/// Sleeps for `duration`, or until `abort` (when given) is aborted; true when aborted.
pub(crate) async fn sleep(abort: Option<&AbortHandle>, duration: Duration) -> bool {
    match abort {
        Some(abort) => abort.sleep(duration).await,
        None => {
            tokio::time::sleep(duration).await;
            false
        }
    }
}
