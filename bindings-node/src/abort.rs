//! Cancellation of an in-flight call from JavaScript's `AbortSignal`.
//!
//! napi-rs only wires `AbortSignal` into its libuv thread-pool tasks, not into tokio futures, so
//! the wrapper listens to the signal itself and calls [`AbortHandle::abort`]. The running call
//! waits on a `watch` channel next to the core future; when the flag flips the core future is
//! dropped, which drops the reqwest request and closes its connection mid-flight.

use napi_derive::napi;
use tokio::sync::watch;

/// A one-shot cancellation flag shared between JavaScript and one running call.
#[napi]
pub struct AbortHandle {
    sender: watch::Sender<bool>,
    /// The core's handle, which stops a lifecycle wait (and cancels the run only when the wait
    /// was told to `cancelOnAbort`).
    core: yunxiao_appstack::AbortHandle,
}

#[napi]
impl AbortHandle {
    /// A handle that has not fired.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)] // napi constructors cannot use `Default`.
    pub fn new() -> Self {
        let (sender, _receiver) = watch::channel(false);
        Self {
            sender,
            core: yunxiao_appstack::AbortHandle::new(),
        }
    }

    /// Fires the handle: the call it was given to stops at its next await point. Idempotent,
    /// and harmless after the call has finished.
    #[napi]
    pub fn abort(&self) {
        self.sender.send_replace(true);
        self.core.abort();
    }
}

impl AbortHandle {
    /// A future-side view of the flag, taken when a call starts.
    pub(crate) fn subscribe(&self) -> Aborted {
        Aborted(self.sender.subscribe())
    }

    /// The core's handle, for the lifecycle helpers' waits.
    pub(crate) fn core(&self) -> yunxiao_appstack::AbortHandle {
        self.core.clone()
    }
}

/// The receiving side of an [`AbortHandle`], owned by one running call.
pub(crate) struct Aborted(watch::Receiver<bool>);

impl Aborted {
    /// Resolves once the handle has fired (at once if it already had). Never resolves when the
    /// handle was dropped without firing: the call then simply runs to its end.
    pub(crate) async fn fired(mut self) {
        if self.0.wait_for(|fired| *fired).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
