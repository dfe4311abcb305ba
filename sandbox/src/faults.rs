//! Fault injection: queued instructions that change how the next matching request is answered.
//!
//! A fault is taken on each non-control request: the first pending fault whose `route` equals the
//! request's raw path (or raw path plus `?query`), else the first whose route is `"*"`. Its
//! `times` is decremented and it leaves the queue at zero.

use std::fmt;

use http::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The default size of an [`FaultAction::Oversized`] body: 16 MiB.
pub const DEFAULT_OVERSIZED_BYTES: u64 = 16 * 1024 * 1024;

/// What a fault does to the request it is applied to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer with the fault's `status`, `headers` and `body` instead of the normal answer.
    Respond,
    /// Handle the request normally (after the fault's delay).
    Pass,
    /// Close the connection without sending any answer.
    Close,
    /// Answer 200 `application/json` with truncated JSON: `{"object": 1, "pipelineRunId": `.
    MalformedJson,
    /// Answer 200 with a valid JSON object of about `size` bytes, streamed.
    Oversized,
    /// Answer 200 announcing a longer `Content-Length` than is sent, then abort the connection.
    CutBody,
}

impl FaultAction {
    /// The wire name of the action (`"respond"`, `"cut_body"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultAction::Respond => "respond",
            FaultAction::Pass => "pass",
            FaultAction::Close => "close",
            FaultAction::MalformedJson => "malformed_json",
            FaultAction::Oversized => "oversized",
            FaultAction::CutBody => "cut_body",
        }
    }
}

impl fmt::Display for FaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One queued fault.
///
/// Deserializes from the JSON fault object of `POST /_sandbox/faults` (every field optional, see
/// the crate README) and serializes back to the same shape with every field filled in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FaultSpec", into = "FaultSpec")]
pub struct Fault {
    /// `"*"` for any request, or the exact raw path (optionally with `?query`) a client sends.
    pub route: String,
    /// How many requests this fault applies to before it leaves the queue (at least 1).
    pub times: u32,
    /// How long to wait before acting, in milliseconds.
    pub delay_ms: u64,
    /// What to do.
    pub action: FaultAction,
    /// The status of a [`FaultAction::Respond`] answer (200..=599).
    pub status: u16,
    /// Extra headers of a [`FaultAction::Respond`] answer, in order.
    pub headers: Vec<(String, String)>,
    /// The body of a [`FaultAction::Respond`] answer: a JSON string is sent verbatim, any other
    /// JSON value serialized; `None` sends the documented error body for `status`.
    pub body: Option<Value>,
    /// The approximate body size of a [`FaultAction::Oversized`] answer, in bytes.
    pub size: u64,
}

impl Default for Fault {
    /// Respond 500 with the documented error body, once, on any route.
    fn default() -> Self {
        Fault {
            route: "*".into(),
            times: 1,
            delay_ms: 0,
            action: FaultAction::Respond,
            status: 500,
            headers: Vec::new(),
            body: None,
            size: DEFAULT_OVERSIZED_BYTES,
        }
    }
}

impl Fault {
    /// A fault answering `status` with the documented error body.
    pub fn respond(status: u16) -> Fault {
        Fault {
            status,
            ..Fault::default()
        }
    }

    /// A fault that handles the request normally; useful with [`Fault::with_delay_ms`].
    pub fn pass() -> Fault {
        Fault::with_action(FaultAction::Pass)
    }

    /// A fault that waits `delay_ms` and then handles the request normally.
    pub fn delay(delay_ms: u64) -> Fault {
        Fault::pass().with_delay_ms(delay_ms)
    }

    /// A fault that closes the connection without answering.
    pub fn close() -> Fault {
        Fault::with_action(FaultAction::Close)
    }

    /// A fault answering 200 with truncated JSON.
    pub fn malformed_json() -> Fault {
        Fault::with_action(FaultAction::MalformedJson)
    }

    /// A fault answering 200 with a JSON object of about `size` bytes.
    pub fn oversized(size: u64) -> Fault {
        Fault {
            size,
            ..Fault::with_action(FaultAction::Oversized)
        }
    }

    /// A fault answering 200 with a body cut short of its announced `Content-Length`.
    pub fn cut_body() -> Fault {
        Fault::with_action(FaultAction::CutBody)
    }

    /// A default fault with the given action.
    pub fn with_action(action: FaultAction) -> Fault {
        Fault {
            action,
            ..Fault::default()
        }
    }

    /// Restricts the fault to one raw path (as the client sends it, e.g. with `%2F`).
    pub fn on_route(mut self, route: impl Into<String>) -> Fault {
        self.route = route.into();
        self
    }

    /// Applies the fault to `times` requests.
    pub fn times(mut self, times: u32) -> Fault {
        self.times = times;
        self
    }

    /// Waits `delay_ms` milliseconds before acting.
    pub fn with_delay_ms(mut self, delay_ms: u64) -> Fault {
        self.delay_ms = delay_ms;
        self
    }

    /// Adds a header to a `respond` answer.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Fault {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body for a `respond` answer.
    pub fn with_json_body(mut self, body: Value) -> Fault {
        self.body = Some(body);
        self
    }

    /// Sets a verbatim text body for a `respond` answer.
    pub fn with_text_body(mut self, body: impl Into<String>) -> Fault {
        self.body = Some(Value::String(body.into()));
        self
    }

    /// Checks what deserialization checks: route shape, `times >= 1`, status range, header
    /// syntax, and no framing headers (`Content-Length`, `Transfer-Encoding`).
    pub fn validate(&self) -> Result<(), String> {
        if self.route != "*" && !self.route.starts_with('/') {
            return Err(format!(
                "route must be \"*\" or a raw path starting with '/', got {:?}",
                self.route
            ));
        }
        if self.times == 0 {
            return Err("times must be at least 1".into());
        }
        if !(200..=599).contains(&self.status) {
            return Err(format!("status must be in 200..=599, got {}", self.status));
        }
        for (name, value) in &self.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name {name:?}"))?;
            if header == http::header::CONTENT_LENGTH || header == http::header::TRANSFER_ENCODING {
                return Err(format!(
                    "header {name:?} is managed by the server (use action \"cut_body\" for a short body)"
                ));
            }
            HeaderValue::from_str(value)
                .map_err(|_| format!("invalid value for header {name:?}"))?;
        }
        Ok(())
    }

    /// Whether this fault applies to a request with this raw path and raw path-and-query.
    pub(crate) fn matches_exactly(&self, path: &str, path_and_query: &str) -> bool {
        self.route == path || self.route == path_and_query
    }
}

/// The wire form of a fault: every field optional.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    times: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<FaultAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    fn try_from(spec: FaultSpec) -> Result<Self, Self::Error> {
        let only_delay = spec.delay_ms.is_some()
            && spec.action.is_none()
            && spec.status.is_none()
            && spec.body.is_none()
            && spec.headers.is_none()
            && spec.size.is_none();
        let action = spec.action.unwrap_or(if only_delay {
            FaultAction::Pass
        } else {
            FaultAction::Respond
        });
        let mut headers = Vec::new();
        for (name, value) in spec.headers.unwrap_or_default() {
            let value = match value {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(format!(
                        "header {name:?}: value must be a string or a number"
                    ));
                }
            };
            headers.push((name, value));
        }
        let defaults = Fault::default();
        let fault = Fault {
            route: spec.route.unwrap_or(defaults.route),
            times: spec.times.unwrap_or(defaults.times),
            delay_ms: spec.delay_ms.unwrap_or(defaults.delay_ms),
            action,
            status: spec.status.unwrap_or(defaults.status),
            headers,
            body: spec.body,
            size: spec.size.unwrap_or(defaults.size),
        };
        fault.validate()?;
        Ok(fault)
    }
}

impl From<Fault> for FaultSpec {
    fn from(fault: Fault) -> Self {
        FaultSpec {
            route: Some(fault.route),
            times: Some(fault.times),
            delay_ms: Some(fault.delay_ms),
            action: Some(fault.action),
            status: Some(fault.status),
            headers: Some(
                fault
                    .headers
                    .into_iter()
                    .map(|(name, value)| (name, Value::String(value)))
                    .collect(),
            ),
            body: fault.body,
            size: Some(fault.size),
        }
    }
}

/// Parses the body of `POST /_sandbox/faults`: one fault object or an array of them.
pub(crate) fn parse_faults(body: &[u8]) -> Result<Vec<Fault>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("body is not valid JSON: {e}"))?;
    match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| serde_json::from_value(item).map_err(|e| format!("fault [{i}]: {e}")))
            .collect(),
        Value::Object(_) => serde_json::from_value(value)
            .map(|fault| vec![fault])
            .map_err(|e| format!("fault: {e}")),
        _ => Err("body must be a fault object or an array of fault objects".into()),
    }
}

/// The pending faults, in the order they were queued.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    pending: Vec<Fault>,
}

impl FaultQueue {
    /// Appends faults at the end of the queue.
    pub fn push(&mut self, faults: impl IntoIterator<Item = Fault>) {
        self.pending.extend(faults);
    }

    /// The pending faults, in order.
    pub fn pending(&self) -> &[Fault] {
        &self.pending
    }

    /// Number of pending faults.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Drops every pending fault.
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// Takes one use of the fault that applies to this request, if any.
    pub fn take(&mut self, path: &str, path_and_query: &str) -> Option<Fault> {
        if self.pending.is_empty() {
            return None;
        }
        let index = self
            .pending
            .iter()
            .position(|f| f.matches_exactly(path, path_and_query))
            .or_else(|| self.pending.iter().position(|f| f.route == "*"))?;
        let fault = &mut self.pending[index];
        fault.times = fault.times.saturating_sub(1);
        if fault.times == 0 {
            Some(self.pending.remove(index))
        } else {
            Some(fault.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Fault, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults() {
        let fault = parse(json!({})).expect("empty object is a fault");
        assert_eq!(fault, Fault::default());
        assert_eq!(fault.action, FaultAction::Respond);
        assert_eq!(fault.status, 500);
        let delay = parse(json!({"delay_ms": 50})).expect("valid");
        assert_eq!(delay.action, FaultAction::Pass);
        let delayed_status = parse(json!({"delay_ms": 50, "status": 503})).expect("valid");
        assert_eq!(delayed_status.action, FaultAction::Respond);
    }

    #[test]
    fn headers_accept_numbers() {
        let fault = parse(json!({"status": 429, "headers": {"Retry-After": 1}})).expect("valid");
        assert_eq!(fault.headers, vec![("Retry-After".into(), "1".into())]);
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            json!({"times": 0}),
            json!({"status": 99}),
            json!({"status": 600}),
            json!({"route": "http://x/y"}),
            json!({"action": "explode"}),
            json!({"headers": {"bad name": "x"}}),
            json!({"headers": {"x": "a\nb"}}),
            json!({"headers": {"content-length": "5"}}),
            json!({"headers": {"x": [1]}}),
            json!({"unknown": 1}),
        ] {
            assert!(parse(bad.clone()).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn round_trip() {
        let fault = Fault::respond(429)
            .on_route("/a")
            .times(2)
            .with_header("Retry-After", "1")
            .with_json_body(json!({"x": 1}));
        let value = serde_json::to_value(&fault).expect("serializes");
        assert_eq!(parse(value).expect("parses"), fault);
    }

    #[test]
    fn parse_one_or_many() {
        assert_eq!(parse_faults(br#"{"status": 503}"#).expect("one").len(), 1);
        assert_eq!(
            parse_faults(br#"[{}, {"action": "close"}]"#)
                .expect("two")
                .len(),
            2
        );
        assert!(parse_faults(b"3").is_err());
        assert!(parse_faults(b"[{}, {\"times\": 0}]").is_err());
        assert!(parse_faults(b"{").is_err());
    }

    #[test]
    fn queue_prefers_exact_route_then_fifo() {
        let mut queue = FaultQueue::default();
        queue.push([
            Fault::respond(500).times(2),
            Fault::respond(503).on_route("/x"),
            Fault::respond(429).on_route("/x?q=1"),
        ]);
        assert_eq!(queue.take("/x", "/x").map(|f| f.status), Some(503));
        assert_eq!(queue.take("/x", "/x?q=1").map(|f| f.status), Some(429));
        assert_eq!(queue.take("/x", "/x").map(|f| f.status), Some(500));
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.take("/y", "/y").map(|f| f.status), Some(500));
        assert_eq!(queue.take("/y", "/y"), None);
    }
}
