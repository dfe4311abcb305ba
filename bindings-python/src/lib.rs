//! The private native module `yunxiao_appstack._native` of the Python package.
//!
//! Everything a user touches — `Client`, `AsyncClient`, the exceptions, the result types — is
//! written in Python in `python/yunxiao_appstack/`; this module only converts Python values to
//! core requests, runs core calls on a process-wide tokio runtime, and reports the core's
//! results and errors back. It decides nothing: defaults, environment variables, validation,
//! retries and error kinds all come from the `yunxiao-appstack` crate.

mod bridge;
mod client;
mod completions;
mod convert;
mod errors;
mod fork;
mod logging;
mod request;
mod runtime;
mod shutdown;
mod wait;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// The module body: classes, the version and the core's policy numbers.
#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    use std::time::Duration;
    use yunxiao_appstack::policy;

    fork::install();
    logging::install();
    m.add("__version__", yunxiao_appstack::VERSION)?;
    m.add_function(wrap_pyfunction!(shutdown::at_exit, m)?)?;
    m.add_function(wrap_pyfunction!(shutdown::after_fork_in_child, m)?)?;
    // Registered here so that the hooks exist however the module is loaded.
    let py = m.py();
    py.import("atexit")?
        .call_method1("register", (m.getattr("_at_exit")?,))?;
    let os = py.import("os")?;
    if os.hasattr("register_at_fork")? {
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("after_in_child", m.getattr("_after_fork_in_child")?)?;
        os.call_method("register_at_fork", (), Some(&kwargs))?;
    }
    m.add_class::<client::NativeClient>()?;
    m.add_class::<client::PendingCall>()?;
    m.add_class::<completions::Completions>()?;
    m.add_class::<request::NativeRequest>()?;
    // The core's defaults, so that Python documentation and tests read them instead of
    // restating them.
    let secs = |d: Duration| d.as_secs_f64();
    m.add("DEFAULT_BASE_URL", policy::DEFAULT_BASE_URL)?;
    m.add("DEFAULT_TIMEOUT", secs(policy::DEFAULT_REQUEST_TIMEOUT))?;
    m.add(
        "DEFAULT_CONNECT_TIMEOUT",
        secs(policy::DEFAULT_CONNECT_TIMEOUT),
    )?;
    m.add("DEFAULT_MAX_RETRIES", policy::DEFAULT_MAX_RETRIES)?;
    m.add("MAX_RETRIES_LIMIT", policy::MAX_RETRIES_LIMIT)?;
    m.add(
        "DEFAULT_MAX_RESPONSE_BYTES",
        policy::DEFAULT_MAX_RESPONSE_BYTES,
    )?;
    m.add("TOKEN_HEADER", yunxiao_appstack::TOKEN_HEADER)?;
    let kinds = yunxiao_appstack::ErrorKind::ALL
        .iter()
        .map(|kind| kind.as_str());
    m.add("ERROR_KINDS", PyTuple::new(m.py(), kinds)?)?;
    Ok(())
}
