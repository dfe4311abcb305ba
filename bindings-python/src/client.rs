//! The native client: resolved settings, one core client (connection pool) per process, and
//! the blocking and asyncio entry points.

use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use yunxiao_appstack::{
    AbortHandle, Client, ClientBuilder, ClientConfig, Edition, Error, ExecuteReleaseStageResponse,
    policy,
};

use crate::completions::{Completions, Outcome};
use crate::request::NativeRequest;
use crate::{convert, errors, fork, logging, runtime, wait};

/// A core client with its settings resolved once, when it is created.
///
/// The connection pool belongs to the process that built it. After `fork()` the child builds
/// its own from the same settings on its first call: the inherited pool's sockets are shared
/// with the parent, and its registrations live in the parent's event loop.
#[pyclass(frozen, module = "yunxiao_appstack._native", name = "Client")]
pub(crate) struct NativeClient {
    config: ClientConfig,
    slot: Mutex<Slot>,
}

/// The core client of the current process. Locked only briefly and only by threads attached
/// to Python, so a `fork()` never copies the lock held.
struct Slot {
    /// The fork generation the client was built in.
    generation: u64,
    client: Option<Client>,
    closed: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.generation != fork::generation() {
            // Dropping the parent's pool here would deregister its sockets from the parent's
            // epoll instance, which the child shares: leak it instead.
            if let Some(inherited) = self.client.take() {
                std::mem::forget(inherited);
            }
        }
    }
}

#[pymethods]
impl NativeClient {
    /// Resolves the settings (argument, else `YUNXIAO_*` environment variable, else the core's
    /// default) and builds the client; raises the core's configuration error when no token is
    /// found or a setting is invalid.
    #[new]
    #[pyo3(signature = (
        *,
        token = None,
        base_url = None,
        edition = None,
        organization_id = None,
        timeout = None,
        connect_timeout = None,
        max_retries = None,
        max_response_bytes = None,
        allow_insecure_http = None,
        ca_bundle = None,
        proxy = None,
        deadline = None,
        max_rps = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        token: Option<&Bound<'_, PyAny>>,
        base_url: Option<&Bound<'_, PyAny>>,
        edition: Option<&Bound<'_, PyAny>>,
        organization_id: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        max_response_bytes: Option<&Bound<'_, PyAny>>,
        allow_insecure_http: Option<&Bound<'_, PyAny>>,
        ca_bundle: Option<&Bound<'_, PyAny>>,
        proxy: Option<&Bound<'_, PyAny>>,
        deadline: Option<&Bound<'_, PyAny>>,
        max_rps: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let version = py.version_info();
        let mut builder = ClientBuilder::new()
            .user_agent_suffix(format!("python/{}.{}", version.major, version.minor));
        if let Some(token) = convert::optional_string("token", token)? {
            builder = builder.token(token);
        }
        if let Some(url) = convert::optional_string("base_url", base_url)? {
            builder = builder.base_url(url);
        }
        if let Some(edition) = convert::optional_string("edition", edition)? {
            let edition = Edition::from_str(&edition).map_err(|e| errors::to_py_err(py, &e))?;
            builder = builder.edition(edition);
        }
        if let Some(id) = convert::optional_string("organization_id", organization_id)? {
            builder = builder.organization_id(id);
        }
        if let Some(secs) = convert::optional_seconds("timeout", timeout)? {
            builder = builder
                .request_timeout(seconds("timeout", secs).map_err(|e| errors::to_py_err(py, &e))?);
        }
        if let Some(secs) = convert::optional_seconds("connect_timeout", connect_timeout)? {
            builder = builder.connect_timeout(
                seconds("connect_timeout", secs).map_err(|e| errors::to_py_err(py, &e))?,
            );
        }
        if let Some(n) = convert::optional_int("max_retries", max_retries)? {
            let n = u32::try_from(n).map_err(|_| {
                errors::to_py_err(
                    py,
                    &Error::configuration(format!(
                        "max_retries must be a whole number from 0 to {}, got {n}",
                        policy::MAX_RETRIES_LIMIT
                    )),
                )
            })?;
            builder = builder.max_retries(n);
        }
        if let Some(n) = convert::optional_int("max_response_bytes", max_response_bytes)? {
            let n = usize::try_from(n).map_err(|_| {
                errors::to_py_err(
                    py,
                    &Error::configuration(format!(
                        "max_response_bytes must be a number of bytes above 0, got {n}"
                    )),
                )
            })?;
            builder = builder.max_response_bytes(n);
        }
        if let Some(flag) = allow_insecure_http.filter(|v| !v.is_none()) {
            builder = builder.allow_insecure_http(convert::boolean("allow_insecure_http", flag)?);
        }

        if let Some(path) = ca_bundle.filter(|v| !v.is_none()) {
            // A str or any os.PathLike, as `open()` takes.
            let path = py.import("os")?.call_method1("fspath", (path,))?;
            builder = builder.ca_bundle(convert::string("ca_bundle", &path)?);
        }
        if let Some(url) = convert::optional_string("proxy", proxy)? {
            builder = builder.proxy(url);
        }
        if let Some(secs) = convert::optional_seconds("deadline", deadline)? {
            builder =
                builder.deadline(seconds("deadline", secs).map_err(|e| errors::to_py_err(py, &e))?);
        }
        if let Some(rps) = convert::optional_seconds("max_rps", max_rps)? {
            builder = builder.max_rps(rps);
        }
        let config = builder.resolve().map_err(|e| errors::to_py_err(py, &e))?;
        let client = Client::from_config(config.clone()).map_err(|e| errors::to_py_err(py, &e))?;
        Ok(Self {
            config,
            slot: Mutex::new(Slot {
                generation: fork::generation(),
                client: Some(client),
                closed: false,
            }),
        })
    }

    /// Sends the request and waits for the outcome with the GIL released; returns
    /// `(object, pipeline_id, pipeline_run_id, request_id, http_status, raw)` or raises the core's
    /// error. Ctrl-C on the main thread cancels the request and raises `KeyboardInterrupt`.
    fn execute<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, NativeRequest>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        logging::refresh(py);
        let client = self.client(py)?;
        let handle = runtime::handle().map_err(|e| errors::to_py_err(py, &e))?;
        let request = request.get().inner.clone();
        let outcome = wait::run(py, &handle, async move {
            client.execute_release_stage(&request).await
        })?;
        match outcome {
            Ok(response) => response_tuple(py, &response),
            Err(error) => Err(errors::to_py_err(py, &error)),
        }
    }

    /// Starts the request on the runtime and returns at once; `future` (an asyncio future of
    /// the loop that `completions` serves) is settled by `completions.drain()` on the loop's
    /// thread with the result tuple or the exception. The runtime thread that finishes the
    /// call never takes the GIL. No thread is created.
    fn start(
        &self,
        py: Python<'_>,
        request: &Bound<'_, NativeRequest>,
        completions: &Bound<'_, Completions>,
        future: Py<PyAny>,
    ) -> PyResult<PendingCall> {
        logging::refresh(py);
        let client = self.client(py)?;
        let handle = runtime::handle().map_err(|e| errors::to_py_err(py, &e))?;
        let request = request.get().inner.clone();
        let (id, inbox) = completions.get().register(future)?;
        let task = handle.spawn(async move {
            let outcome = client.execute_release_stage(&request).await;
            inbox.deliver(id, Outcome::Execute(outcome));
        });
        Ok(PendingCall::new(
            task.abort_handle(),
            id,
            completions.clone().unbind(),
            None,
        ))
    }

    /// Runs any operation or lifecycle helper by name, blocking (see `bridge.rs`).
    #[pyo3(signature = (name, args, on_event = None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        name: String,
        args: &Bound<'py, PyDict>,
        on_event: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call_bridged(py, name, args, on_event)
    }

    /// Starts any operation or lifecycle helper by name on the runtime (see `bridge.rs`).
    #[pyo3(signature = (name, args, completions, future, on_event = None))]
    fn start_call(
        &self,
        py: Python<'_>,
        name: String,
        args: &Bound<'_, PyDict>,
        completions: &Bound<'_, Completions>,
        future: Py<PyAny>,
        on_event: Option<Py<PyAny>>,
    ) -> PyResult<PendingCall> {
        self.start_bridged(py, name, args, completions, future, on_event)
    }

    /// Releases the connection pool. Calls in progress finish; later calls raise
    /// `RuntimeError`. Closing twice is allowed.
    fn close(&self) {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.closed = true;
        if let Some(client) = slot.client.take() {
            if slot.generation == fork::generation() {
                drop(client);
            } else {
                std::mem::forget(client);
            }
        }
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .closed
    }

    /// The base URL, as resolved and normalised.
    #[getter]
    fn base_url(&self) -> String {
        self.config.base_url().to_string()
    }

    /// `"central"` or `"region"`.
    #[getter]
    fn edition(&self) -> &'static str {
        self.config.edition().as_str()
    }

    /// The default organization id, if any.
    #[getter]
    fn organization_id(&self) -> Option<&str> {
        self.config.organization_id()
    }

    /// Time allowed for one attempt, in seconds.
    #[getter]
    fn timeout(&self) -> f64 {
        self.config.request_timeout().as_secs_f64()
    }

    /// Time allowed to open a connection, in seconds.
    #[getter]
    fn connect_timeout(&self) -> f64 {
        self.config.connect_timeout().as_secs_f64()
    }

    /// Retries for failures where the server certainly did not act.
    #[getter]
    fn max_retries(&self) -> u32 {
        self.config.max_retries()
    }

    /// Largest answer body read, in bytes.
    #[getter]
    fn max_response_bytes(&self) -> usize {
        self.config.max_response_bytes()
    }

    /// The CA bundle trusted besides the system's roots, if any.
    #[getter]
    fn ca_bundle(&self) -> Option<String> {
        self.config
            .ca_bundle()
            .map(|path| path.to_string_lossy().into_owned())
    }

    /// Whether an explicit proxy is set (its URL is a secret: never shown).
    #[getter]
    fn has_proxy(&self) -> bool {
        self.config.proxy().is_some()
    }

    /// The longest one call may take across all its attempts, in seconds, if set.
    #[getter]
    fn deadline(&self) -> Option<f64> {
        self.config.deadline().map(|d| d.as_secs_f64())
    }

    /// The client-wide cap on requests per second, if set.
    #[getter]
    fn max_rps(&self) -> Option<f64> {
        self.config.max_rps()
    }

    /// The `User-Agent` header sent.
    #[getter]
    fn user_agent(&self) -> &str {
        self.config.user_agent()
    }
}

impl NativeClient {
    /// The core client of this process: the one built at construction, or after a fork a new
    /// one with the same settings.
    pub(crate) fn client(&self, py: Python<'_>) -> PyResult<Client> {
        let generation = fork::generation();
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.closed {
            return Err(PyRuntimeError::new_err("the client is closed"));
        }
        if slot.generation != generation {
            if let Some(inherited) = slot.client.take() {
                std::mem::forget(inherited);
            }
            slot.generation = generation;
        }
        if let Some(client) = &slot.client {
            return Ok(client.clone());
        }
        let client =
            Client::from_config(self.config.clone()).map_err(|e| errors::to_py_err(py, &e))?;
        slot.client = Some(client.clone());
        Ok(client)
    }
}

/// A call started with `Client.start`; `cancel()` aborts it.
#[pyclass(frozen, module = "yunxiao_appstack._native")]
pub(crate) struct PendingCall {
    task: tokio::task::AbortHandle,
    /// The call's id in `completions`.
    id: u64,
    completions: Py<Completions>,
    /// A bridged call's abort handle, and whether the core must be let finish after an abort
    /// (`cancel_on_abort=True`: it cancels the run).
    abort: Option<(AbortHandle, bool)>,
}

impl PendingCall {
    pub(crate) fn new(
        task: tokio::task::AbortHandle,
        id: u64,
        completions: Py<Completions>,
        abort: Option<(AbortHandle, bool)>,
    ) -> Self {
        Self {
            task,
            id,
            completions,
            abort,
        }
    }
}

#[pymethods]
impl PendingCall {
    /// Aborts the call: the request is dropped (its connection closed) and its future is
    /// forgotten, never settled. A wait stops polling and leaves the run alone — unless it was
    /// started with `cancel_on_abort=True`, when the core cancels the run in the background.
    /// Does nothing once the call has ended.
    fn cancel(&self) {
        match &self.abort {
            Some((abort, true)) => abort.abort(),
            Some((abort, false)) => {
                abort.abort();
                self.task.abort();
            }
            None => self.task.abort(),
        }
        // Released here, attached, rather than wherever the queue ends up.
        drop(self.completions.get().forget(self.id));
    }

    /// Whether the call has ended (delivered, failed or cancelled).
    fn done(&self) -> bool {
        self.task.is_finished()
    }
}

/// A number of seconds as a `Duration`; negative, NaN and huge values are configuration errors
/// (zero and the upper bound are left to the core, which owns those limits).
fn seconds(what: &str, secs: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        Error::configuration(format!(
            "{what} must be a number of seconds above 0, got {secs}"
        ))
    })
}

/// `(object, pipeline_id, pipeline_run_id, request_id, http_status, raw)`.
pub(crate) fn response_tuple<'py>(
    py: Python<'py>,
    response: &ExecuteReleaseStageResponse,
) -> PyResult<Bound<'py, PyTuple>> {
    let raw = convert::from_json(py, &response.raw)?;
    PyTuple::new(
        py,
        [
            response.object.into_pyobject(py)?.into_any(),
            response.pipeline_id.into_pyobject(py)?.into_any(),
            response.pipeline_run_id.into_pyobject(py)?.into_any(),
            response.request_id.as_deref().into_pyobject(py)?.into_any(),
            response.http_status.into_pyobject(py)?.into_any(),
            raw,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_refuses_what_a_duration_cannot_hold() {
        assert_eq!(
            seconds("timeout", 1.5).expect("valid"),
            Duration::from_millis(1500)
        );
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let err = seconds("timeout", bad).expect_err("invalid");
            assert!(err.to_string().contains("timeout"));
        }
    }
}
