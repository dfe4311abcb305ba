//! The core's `tracing` events, forwarded to Python's `logging` (logger `yunxiao_appstack`).
//!
//! Nothing is ever written to stderr from here: an event becomes a `LogRecord`, and Python's
//! logging configuration decides where it goes. The core's events carry no token.
//!
//! Events are emitted on the runtime's worker threads, where taking the GIL costs a context
//! switch. So the logger's effective level is read (with the GIL) each time a call starts, and
//! an event below it is dropped without touching Python at all.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// The name of the Python logger, which is also the core's tracing target.
const LOGGER: &str = "yunxiao_appstack";

/// The lowest Python level that the logger currently lets through; nothing until the first
/// refresh.
static THRESHOLD: AtomicU32 = AtomicU32::new(u32::MAX);

/// `logging.getLogger("yunxiao_appstack")`.
static PY_LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `logging.root.manager`, whose `disable` level overrides every logger.
static PY_MANAGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Installs the forwarding layer as this library's global tracing subscriber. The extension
/// has its own copy of `tracing`, so this affects no other library in the process.
pub(crate) fn install() {
    let subscriber = tracing_subscriber::registry().with(PythonLogging);
    // Fails only when already set (a second import of the module): keep the first.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Reads the logger's effective level again; called with the GIL as a call starts. Errors (a
/// logging module in a strange state) leave forwarding off rather than failing the call.
pub(crate) fn refresh(py: Python<'_>) {
    let threshold = effective_threshold(py).unwrap_or(u32::MAX);
    THRESHOLD.store(threshold, Ordering::Relaxed);
}

fn effective_threshold(py: Python<'_>) -> PyResult<u32> {
    let logger = PY_LOGGER.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("logging")?
            .call_method1("getLogger", (LOGGER,))?
            .unbind())
    })?;
    let manager = PY_MANAGER.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("logging")?
            .getattr("root")?
            .getattr("manager")?
            .unbind())
    })?;
    let level: i64 = logger
        .bind(py)
        .call_method0("getEffectiveLevel")?
        .extract()?;
    let disabled: i64 = manager.bind(py).getattr("disable")?.extract()?;
    // `isEnabledFor(l)` is `l > disable and l >= getEffectiveLevel()`.
    let threshold = level.max(disabled.saturating_add(1)).max(0);
    Ok(u32::try_from(threshold).unwrap_or(u32::MAX))
}

/// The Python logging level of a tracing level (TRACE maps below DEBUG, as `logging` has no
/// TRACE).
fn python_level(level: &Level) -> u32 {
    match *level {
        Level::TRACE => 5,
        Level::DEBUG => 10,
        Level::INFO => 20,
        Level::WARN => 30,
        Level::ERROR => 40,
    }
}

fn is_ours(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    target == LOGGER || target.starts_with("yunxiao_appstack::")
}

/// The layer that turns events into `logger.log(...)` calls.
struct PythonLogging;

impl<S: Subscriber> Layer<S> for PythonLogging {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Other crates' events (hyper, reqwest…) are never forwarded and cost nothing.
        if metadata.is_event() && is_ours(metadata) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.is_event()
            && is_ours(metadata)
            && python_level(metadata.level()) >= THRESHOLD.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let level = python_level(event.metadata().level());
        // During interpreter shutdown the event is dropped.
        let _ = crate::shutdown::with_python(|py| {
            // A failing handler must not fail the call; logging reports its own handler
            // errors through `Handler.handleError`.
            let _ = emit(py, level, &fields);
        });
    }
}

/// Calls `logger.log(level, text, extra={"yunxiao": {field: value, ...}})`.
fn emit(py: Python<'_>, level: u32, fields: &Fields) -> PyResult<()> {
    let Some(logger) = PY_LOGGER.get(py) else {
        return Ok(());
    };
    let logger = logger.bind(py);
    if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        return Ok(());
    }
    let structured = PyDict::new(py);
    let mut pairs = Vec::with_capacity(fields.values.len());
    for (name, value) in &fields.values {
        let shown = match value {
            FieldValue::Str(s) => {
                structured.set_item(name, s)?;
                s.clone()
            }
            FieldValue::U64(n) => {
                structured.set_item(name, n)?;
                n.to_string()
            }
            FieldValue::I64(n) => {
                structured.set_item(name, n)?;
                n.to_string()
            }
            FieldValue::F64(n) => {
                structured.set_item(name, n)?;
                format!("{n:.1}")
            }
            FieldValue::Bool(b) => {
                structured.set_item(name, b)?;
                b.to_string()
            }
        };
        pairs.push(format!("{name}={shown}"));
    }
    let text = if pairs.is_empty() {
        fields.message.clone()
    } else {
        format!("{}: {}", fields.message, pairs.join(" "))
    };
    let extra = PyDict::new(py);
    extra.set_item("yunxiao", structured)?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("extra", extra)?;
    // The text goes in as an argument of "%s" so that a `%` in a URL is not read as a format.
    logger.call_method("log", (level, "%s", text), Some(&kwargs))?;
    Ok(())
}

/// One field's value, kept typed for the structured `extra`.
enum FieldValue {
    Str(String),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
}

/// The fields of one event, in the order they were written.
#[derive(Default)]
struct Fields {
    message: String,
    values: Vec<(&'static str, FieldValue)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.values.push((field.name(), FieldValue::Str(text)));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.values
                .push((field.name(), FieldValue::Str(value.to_owned())));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.values.push((field.name(), FieldValue::U64(value)));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.values.push((field.name(), FieldValue::I64(value)));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.values.push((field.name(), FieldValue::F64(value)));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.values.push((field.name(), FieldValue::Bool(value)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_python_numbers() {
        assert_eq!(python_level(&Level::DEBUG), 10);
        assert_eq!(python_level(&Level::WARN), 30);
        assert!(python_level(&Level::TRACE) < python_level(&Level::DEBUG));
    }
}
