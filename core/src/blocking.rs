//! A blocking twin of [`crate::Client`] for synchronous code: scripts, C callers, threads.
//!
//! It owns a tokio runtime with no thread of its own: a call drives the sockets and timers on
//! the calling thread, so a sequential caller pays no hand-off between threads per call (the
//! way libcurl's easy interface works). Any number of threads may call one client at once: one
//! of them drives the I/O of all the calls in flight while the others wait for their answer,
//! and the driving passes on as calls finish. Nothing runs between calls, so each call first
//! lets the runtime see what happened to the pooled connections meanwhile (closed by the server,
//! back from the previous call) before it picks one.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use std::future::Future;

use crate::config::ClientBuilder;
use crate::endpoint::PreparedRequest;
use crate::error::Error;
use crate::operation::Operation;
use crate::request::ExecuteReleaseStageRequest;

/// A blocking client; cheap to clone, `Send + Sync`, one connection pool and one runtime shared
/// by every clone. Dropping the last clone stops the runtime, waiting at most about a second
/// for its blocking-pool threads (name resolution).
#[derive(Clone)]
pub struct Client {
    client: crate::Client,
    runtime: Arc<OwnedRuntime>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client")
            .field("config", self.client.config())
            .finish_non_exhaustive()
    }
}

/// The runtime, shut down without blocking forever when the last clone goes.
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                // Dropped inside another runtime: waiting here would panic.
                runtime.shutdown_background();
            } else {
                // Joins the blocking-pool threads so that nothing of the runtime outlives the
                // client (leak checkers see a clean exit).
                runtime.shutdown_timeout(Duration::from_secs(1));
            }
        }
    }
}

impl Client {
    /// A builder; finish it with [`ClientBuilder::build_blocking`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured entirely from the environment.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::new().build_blocking()
    }

    /// Wraps an async client, giving it a runtime of its own.
    pub fn from_async(client: crate::Client) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .thread_name("yunxiao-appstack")
            .enable_all()
            .build()
            .map_err(|e| Error::configuration(format!("cannot start the I/O runtime: {e}")))?;
        Ok(Self {
            client,
            runtime: Arc::new(OwnedRuntime(Some(runtime))),
        })
    }

    /// The async client inside, sharing this client's connection pool.
    pub fn async_client(&self) -> &crate::Client {
        &self.client
    }

    /// The resolved settings.
    pub fn config(&self) -> &crate::ClientConfig {
        self.client.config()
    }

    /// The exact request that would be sent, token masked; sends nothing.
    pub fn prepare(&self, request: &ExecuteReleaseStageRequest) -> Result<PreparedRequest, Error> {
        self.client.prepare(request)
    }

    /// The exact request `operation` would send, token masked; sends nothing.
    pub fn prepare_operation<O: Operation + ?Sized>(
        &self,
        operation: &O,
    ) -> Result<PreparedRequest, Error> {
        self.client.prepare_operation(operation)
    }

    /// Runs any operation, blocking the calling thread until the answer; see
    /// [`crate::Client::send`].
    ///
    /// Works from any thread. Inside an async runtime (a `spawn_blocking` closure, say) the
    /// call runs on this client's own runtime while the calling thread waits; calling it from
    /// an async task works too but blocks that task's worker thread: use the async client
    /// there.
    pub fn send<O>(&self, operation: &O) -> Result<O::Output, Error>
    where
        O: Operation + Clone + 'static,
    {
        let operation = operation.clone();
        self.run(move |client| async move { client.send(&operation).await })
    }

    /// Drives `future` on the calling thread until it is ready, as a call of this client (see
    /// `pool`). Must not be called inside another runtime (checked by the callers).
    pub(crate) fn drive<F: Future>(&self, future: F) -> F::Output {
        let runtime = self
            .runtime
            .0
            .as_ref()
            .expect("the runtime is only taken in Drop, after the last clone is gone");
        runtime.block_on(crate::pool::driven_by_calls(future))
    }

    /// Runs `call` on the async client inside, blocking until it finishes.
    pub(crate) fn run<F, T>(&self, call: impl FnOnce(crate::Client) -> F) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        let future = call(self.client.clone());
        if tokio::runtime::Handle::try_current().is_err() {
            // The common case: the calling thread drives the call's I/O itself.
            return self.drive(future);
        }
        // Inside a runtime, `block_on` would panic: drive ours from a thread of its own for
        // the length of the call, while the calling thread waits for the answer.
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("yunxiao-appstack".to_owned())
                .spawn_scoped(scope, || self.drive(future))
                .map_err(|e| Error::configuration(format!("cannot start an I/O thread: {e}")))?
                .join()
                .unwrap_or_else(|_| {
                    Err(Error::configuration(
                        "the I/O thread stopped before the call finished",
                    ))
                })
        })
    }
}

impl ClientBuilder {
    /// Builds a blocking client.
    pub fn build_blocking(&self) -> Result<Client, Error> {
        Client::from_async(self.build()?)
    }
}
