//! Conversions between Python values and the core's Rust and JSON values.
//!
//! Only argument *types* are checked here (a `TypeError` naming the argument); every rule about
//! the values themselves is the core's.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};
use yunxiao_appstack::Error;

/// Nesting deeper than this in `params` is refused; it also stops reference cycles.
const MAX_DEPTH: usize = 64;

/// A failed conversion: a wrong type (`TypeError`) or a value the core's JSON cannot hold
/// (reported as the core's invalid-request error).
pub(crate) enum ConvertError {
    /// A Python exception to raise as is (a `TypeError`, or whatever a `__iter__` raised).
    Python(PyErr),
    /// A core error to report like any other.
    Core(Error),
}

impl From<PyErr> for ConvertError {
    fn from(err: PyErr) -> Self {
        ConvertError::Python(err)
    }
}

impl ConvertError {
    /// The Python exception for this failure.
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            ConvertError::Python(err) => err,
            ConvertError::Core(err) => crate::errors::to_py_err(py, &err),
        }
    }
}

/// The Python type name of `value`, for messages (never the value: it may be a secret).
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// A `TypeError` saying that `what` must be `expected`, naming only the type it got.
pub(crate) fn type_error(what: &str, expected: &str, got: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("{what} must be {expected}, not {}", type_name(got)))
}

/// A `str` argument.
pub(crate) fn string(what: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    match value.cast::<PyString>() {
        Ok(text) => text.extract(),
        Err(_) => Err(type_error(what, "a str", value)),
    }
}

/// An optional `str` argument (`None` = not given).
pub(crate) fn optional_string(
    what: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<String>> {
    match value {
        Some(value) if !value.is_none() => string(what, value).map(Some),
        _ => Ok(None),
    }
}

/// An optional number of seconds: `int` or `float`, never `bool`.
pub(crate) fn optional_seconds(
    what: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<f64>> {
    match value {
        Some(value) if !value.is_none() => {
            if value.is_instance_of::<PyBool>()
                || !(value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
            {
                return Err(type_error(what, "an int or float number of seconds", value));
            }
            value.extract::<f64>().map(Some)
        }
        _ => Ok(None),
    }
}

/// An optional whole number, never `bool`; returned as `i128` so that any sign and size can be
/// reported by the caller.
pub(crate) fn optional_int(what: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i128>> {
    match value {
        Some(value) if !value.is_none() => {
            if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
                return Err(type_error(what, "an int", value));
            }
            // Beyond i128 only matters for the message: saturate.
            match value.extract::<i128>() {
                Ok(n) => Ok(Some(n)),
                Err(_) => {
                    let negative = value.lt(0)?;
                    Ok(Some(if negative { i128::MIN } else { i128::MAX }))
                }
            }
        }
        _ => Ok(None),
    }
}

/// A `bool` argument.
pub(crate) fn boolean(what: &str, value: &Bound<'_, PyAny>) -> PyResult<bool> {
    match value.cast::<PyBool>() {
        Ok(flag) => Ok(flag.is_true()),
        Err(_) => Err(type_error(what, "a bool", value)),
    }
}

/// The `(key, value)` pairs of a mapping, in its order: a `dict`, or any object with
/// `items()` (a `Mapping`).
fn mapping_items<'py>(
    what: &str,
    value: &Bound<'py, PyAny>,
) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    if let Ok(dict) = value.cast::<PyDict>() {
        return Ok(dict.iter().collect());
    }
    if value.is_instance_of::<PyString>() || !value.hasattr("items")? {
        return Err(type_error(what, "a mapping", value));
    }
    let mut pairs = Vec::new();
    for item in value.call_method0("items")?.try_iter()? {
        let item = item?;
        let pair = item
            .cast::<PyTuple>()
            .map_err(|_| type_error(what, "a mapping", value))?;
        if pair.len() != 2 {
            return Err(type_error(what, "a mapping", value));
        }
        pairs.push((pair.get_item(0)?, pair.get_item(1)?));
    }
    Ok(pairs)
}

/// An optional mapping of `str` to `str` (`variables`, `branches`), in order.
pub(crate) fn optional_str_map(
    what: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Vec<(String, String)>>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (key, item) in mapping_items(what, value)? {
        let key = match key.cast::<PyString>() {
            Ok(key) => key.extract::<String>()?,
            Err(_) => return Err(type_error(&format!("{what} keys"), "str", &key)),
        };
        let item = match item.cast::<PyString>() {
            Ok(item) => item.extract::<String>()?,
            Err(_) => {
                return Err(type_error(
                    &format!("{what}[{}]", key_repr(&key)),
                    "a str",
                    &item,
                ));
            }
        };
        out.push((key, item));
    }
    Ok(Some(out))
}

/// A key as Python shows it (`'name'`), for the paths in messages.
fn key_repr(key: &str) -> String {
    format!("'{}'", key.escape_debug())
}

/// A JSON value from a Python value made of `dict`/mappings, `list`/`tuple`, `str`, `int`,
/// `float`, `bool` and `None`. `what` names the argument and grows into a path
/// (`params['a'][0]`) for messages.
pub(crate) fn to_json(what: &str, value: &Bound<'_, PyAny>) -> Result<Value, ConvertError> {
    to_json_at(what, value, 0)
}

fn to_json_at(what: &str, value: &Bound<'_, PyAny>, depth: usize) -> Result<Value, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::Core(Error::invalid_request(format!(
            "{what}: nested more than {MAX_DEPTH} levels deep"
        ))));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(n) = value.extract::<i64>() {
            return Ok(Value::from(n));
        }
        if let Ok(n) = value.extract::<u64>() {
            return Ok(Value::from(n));
        }
        return Err(ConvertError::Core(Error::invalid_request(format!(
            "{what}: the integer is outside the 64-bit range JSON numbers are sent with"
        ))));
    }
    if value.is_instance_of::<PyFloat>() {
        let n = value.extract::<f64>()?;
        return Number::from_f64(n).map(Value::Number).ok_or_else(|| {
            ConvertError::Core(Error::invalid_request(format!(
                "{what}: {n} is not a JSON number"
            )))
        });
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Value::String(text.extract()?));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (index, item) in value.try_iter()?.enumerate() {
            items.push(to_json_at(&format!("{what}[{index}]"), &item?, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    if value.is_instance_of::<PyDict>() || value.hasattr("items")? {
        let mut map = Map::new();
        for (key, item) in mapping_items(what, value)? {
            let key = match key.cast::<PyString>() {
                Ok(key) => key.extract::<String>()?,
                Err(_) => return Err(type_error(&format!("{what} keys"), "str", &key).into()),
            };
            let item = to_json_at(&format!("{what}[{}]", key_repr(&key)), &item, depth + 1)?;
            map.insert(key, item);
        }
        return Ok(Value::Object(map));
    }
    Err(type_error(
        what,
        "JSON data (dict, list, tuple, str, int, float, bool or None)",
        value,
    )
    .into())
}

/// A Python value from a JSON value: `dict` (in the answer's key order), `list`, `str`, `int`,
/// `float`, `bool`, `None`.
pub(crate) fn from_json<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => PyBool::new(py, *flag).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(n) = n.as_u64() {
                n.into_pyobject(py)?.into_any()
            } else if let Some(n) = n.as_i64() {
                n.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(text) => PyString::new(py, text).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_json(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(fields) => {
            let dict = PyDict::new(py);
            for (key, item) in fields {
                dict.set_item(key, from_json(py, item)?)?;
            }
            dict.into_any()
        }
    })
}
