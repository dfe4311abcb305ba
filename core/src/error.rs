//! The one error type of the crate, and what each error says about the release stage.

use std::fmt;
use std::time::Duration;

use crate::operation::{CallInfo, Effect};

/// Everything that can go wrong in a call of the API.
///
/// Every variant answers [`Error::may_have_executed`]: whether the call may have taken effect
/// despite the error (for execute: whether a pipeline run may have started). Executing a stage
/// is not idempotent, so a caller that retries on its own must check this first. Errors of a
/// call carry its [`CallInfo`]: the operation, its effect and what it was doing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was rejected before anything was sent: an empty or malformed id, a control
    /// character, conflicting parameters.
    #[error("invalid request: {message}")]
    #[non_exhaustive]
    InvalidRequest {
        /// What is wrong, naming the field.
        message: String,
    },

    /// The client could not be configured: no token, a bad base URL, a bad environment value.
    #[error("configuration error: {message}")]
    #[non_exhaustive]
    Configuration {
        /// What is wrong, naming the option or environment variable.
        message: String,
    },

    /// The server answered with a status other than 2xx.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// An attempt ran out of time, or the call's deadline passed.
    #[error("{}{}", action_prefix(.call), timeout_message(*.phase, *.after, *.deadline, .call))]
    #[non_exhaustive]
    Timeout {
        /// What the call was doing when the time ran out.
        phase: TimeoutPhase,
        /// The limit that was reached.
        after: Duration,
        /// Whether the limit was the call's total deadline (else one attempt's timeout).
        deadline: bool,
        /// The call that timed out.
        call: std::sync::Arc<CallInfo>,
    },

    /// No connection could be opened (DNS, refused, TLS handshake): nothing was sent.
    #[error("{}could not connect to {message}; nothing was sent", action_prefix(.call))]
    #[non_exhaustive]
    Connect {
        /// Where, and why: `127.0.0.1:8080: connection refused`.
        message: String,
        /// The call that could not connect.
        call: std::sync::Arc<CallInfo>,
    },

    /// The server's TLS certificate was refused: nothing was sent, and trying again will not
    /// help (its [`ErrorKind`] is `connection`; it is never retried).
    #[error("{}could not connect: the server's certificate was refused: {}; nothing was sent ({message})", action_prefix(.call), .problem.describe())]
    #[non_exhaustive]
    Certificate {
        /// Why it was refused.
        problem: crate::transport::CertificateProblem,
        /// The cause, as the TLS library reported it.
        message: String,
        /// The call that could not connect.
        call: std::sync::Arc<CallInfo>,
    },

    /// The connection broke after the request was sent, before a complete answer arrived.
    #[error("{}connection lost after the request was sent{}: {message}", action_prefix(.call), consequence(.call, ", "))]
    #[non_exhaustive]
    ConnectionLost {
        /// The cause, as the network stack reported it.
        message: String,
        /// The call whose connection broke.
        call: std::sync::Arc<CallInfo>,
    },

    /// The server answered 2xx, but not with the JSON object this call returns (or with an
    /// error code inside it). The stage has most likely started.
    #[error("{}{}", action_prefix(.call), decode_message(.message, .status, .request_id.as_deref(), .call))]
    #[non_exhaustive]
    Decode {
        /// The HTTP status of the answer.
        status: u16,
        /// What was wrong with the body, with a short excerpt of it.
        message: String,
        /// The request id from the answer's headers, if any.
        request_id: Option<String>,
        /// The call that was answered.
        call: std::sync::Arc<CallInfo>,
    },

    /// The answer was larger than the configured cap and was not read to the end.
    #[error("{}response too large: HTTP {status} with a body over {limit} bytes{}", action_prefix(.call), request_id_suffix(.request_id.as_deref()))]
    #[non_exhaustive]
    ResponseTooLarge {
        /// The HTTP status of the answer.
        status: u16,
        /// The cap, in bytes.
        limit: usize,
        /// The request id from the answer's headers, if any.
        request_id: Option<String>,
        /// The call that was answered.
        call: std::sync::Arc<CallInfo>,
    },
}

/// The kind of an [`Error`], with a stable string code shared by every binding and the CLI.
///
/// Both the string codes and the numeric values are stable: bindings (the C ABI's
/// `yx_error_kind`) expose the numbers, and a kind is never renumbered or reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum ErrorKind {
    /// See [`Error::InvalidRequest`].
    InvalidRequest = 1,
    /// See [`Error::Configuration`].
    Configuration = 2,
    /// HTTP 400.
    BadRequest = 3,
    /// HTTP 401.
    Authentication = 4,
    /// HTTP 403.
    PermissionDenied = 5,
    /// HTTP 404.
    NotFound = 6,
    /// HTTP 429.
    RateLimited = 7,
    /// Any other status below 500 that is not a success (409, 3xx…).
    ApiStatus = 8,
    /// HTTP 500 and above.
    Server = 9,
    /// See [`Error::Timeout`].
    Timeout = 10,
    /// See [`Error::Connect`] and [`Error::ConnectionLost`].
    Connection = 11,
    /// See [`Error::Decode`].
    Decode = 12,
    /// See [`Error::ResponseTooLarge`].
    ResponseTooLarge = 13,
}

impl ErrorKind {
    /// Every kind, in code order.
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::InvalidRequest,
        ErrorKind::Configuration,
        ErrorKind::BadRequest,
        ErrorKind::Authentication,
        ErrorKind::PermissionDenied,
        ErrorKind::NotFound,
        ErrorKind::RateLimited,
        ErrorKind::ApiStatus,
        ErrorKind::Server,
        ErrorKind::Timeout,
        ErrorKind::Connection,
        ErrorKind::Decode,
        ErrorKind::ResponseTooLarge,
    ];

    /// The stable code of the kind, e.g. `"rate_limited"`; conformance vectors use these.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Configuration => "configuration",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Authentication => "authentication",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::ApiStatus => "api_status",
            ErrorKind::Server => "server",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Decode => "decode",
            ErrorKind::ResponseTooLarge => "response_too_large",
        }
    }

    /// One line on what the kind means, for generated documentation.
    pub const fn summary(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "rejected before sending: a bad id, argument or parameter",
            ErrorKind::Configuration => "the client could not be configured",
            ErrorKind::BadRequest => "HTTP 400",
            ErrorKind::Authentication => "HTTP 401: no, invalid or expired token",
            ErrorKind::PermissionDenied => "HTTP 403",
            ErrorKind::NotFound => "HTTP 404",
            ErrorKind::RateLimited => "HTTP 429, after the retries",
            ErrorKind::ApiStatus => {
                "another status that is not a success (3xx, 409, a 2xx with success: false)"
            }
            ErrorKind::Server => "HTTP 500 and above",
            ErrorKind::Timeout => "an attempt ran out of time, or the call's deadline passed",
            ErrorKind::Connection => {
                "could not connect, the certificate was refused, or the connection broke"
            }
            ErrorKind::Decode => "a 2xx answer that could not be read",
            ErrorKind::ResponseTooLarge => "an answer over the size cap",
        }
    }

    /// The kind of an error answer with this HTTP status.
    pub const fn from_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Authentication,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            500.. => ErrorKind::Server,
            _ => ErrorKind::ApiStatus,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an attempt was doing when its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Opening the connection: nothing was sent.
    Connect,
    /// Waiting for the answer after sending the request.
    Response,
    /// Reading the body of the answer.
    Body,
    /// Waiting to send (a backoff, a `Retry-After`, the rate cap) when the deadline passed:
    /// nothing was in flight.
    Waiting,
}

impl TimeoutPhase {
    /// A stable lowercase name: `connect`, `response`, `body` or `waiting`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeoutPhase::Connect => "connect",
            TimeoutPhase::Response => "response",
            TimeoutPhase::Body => "body",
            TimeoutPhase::Waiting => "waiting",
        }
    }
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-2xx answer from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// `errorCode` from the body, e.g. `InvalidTokenError`.
    pub error_code: Option<String>,
    /// `errorMessage` from the body.
    pub error_message: Option<String>,
    /// `requestId` from the body, else the `x-acs-request-id` / `x-request-id` header.
    pub request_id: Option<String>,
    /// `traceId` from the body.
    pub trace_id: Option<String>,
    /// The server's `Retry-After`, as a delay from when the answer arrived.
    pub retry_after: Option<Duration>,
    /// The body, cut to a few KiB on a character boundary, with the token scrubbed out.
    pub body: String,
    /// The call that was answered.
    pub call: std::sync::Arc<CallInfo>,
}

impl ApiError {
    /// Whether the call may have taken effect despite this answer.
    ///
    /// Always false for a read. For a call that changes something: false for 4xx answers (429
    /// included) and for a 503 carrying `Retry-After` (the server's word that it did not act);
    /// true for every other status, 3xx and 5xx included.
    pub fn may_have_executed(&self) -> bool {
        self.call.effect.can_take_effect()
            && status_may_have_executed(self.status, self.retry_after.is_some())
    }

    /// The kind of this error, by status.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::from_status(self.status)
    }

    /// A short description: `errorMessage`, else an excerpt of the body, else the status reason.
    pub fn message(&self) -> String {
        if let Some(message) = self
            .error_message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
        {
            return one_line(message, usize::MAX);
        }
        let excerpt = one_line(&self.body, crate::policy::ERROR_EXCERPT_CHARS);
        if !excerpt.is_empty() {
            return excerpt;
        }
        reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no details in the answer")
            .to_owned()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}HTTP {}", action_prefix(&self.call), self.status)?;
        if let Some(code) = self.error_code.as_deref().filter(|c| !c.is_empty()) {
            write!(f, " {}", one_line(code, 200))?;
        }
        write!(f, ": {}", self.message())?;
        if let Some(retry_after) = self.retry_after {
            write!(f, " (retry after {} s)", retry_after.as_secs_f64())?;
        }
        f.write_str(&request_id_suffix(self.request_id.as_deref()))
    }
}

/// Whether an answer with this status may have started a run; see [`ApiError::may_have_executed`].
///
/// A 3xx is not certain: a 302/303 after a POST commonly means "done, look there".
pub(crate) fn status_may_have_executed(status: u16, has_retry_after: bool) -> bool {
    match status {
        400..=499 => false,
        503 => !has_retry_after,
        _ => true,
    }
}

impl Error {
    /// The kind of this error, with a stable string code.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Error::Configuration { .. } => ErrorKind::Configuration,
            Error::Api(api) => api.kind(),
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Connect { .. } | Error::ConnectionLost { .. } | Error::Certificate { .. } => {
                ErrorKind::Connection
            }
            Error::Decode { .. } => ErrorKind::Decode,
            Error::ResponseTooLarge { .. } => ErrorKind::ResponseTooLarge,
        }
    }

    /// Whether the call may have taken effect despite this error — for execute, whether a
    /// pipeline run may have started.
    ///
    /// Always `false` for a read ([`Effect::ReadOnly`]). For a call that changes something,
    /// `false` only when it certainly did not: nothing was sent, or the server answered 4xx
    /// (429 included) or 503 with `Retry-After`. Before retrying such a call yourself when this
    /// is `true`, check the release stage's runs — a blind retry may deploy twice.
    pub fn may_have_executed(&self) -> bool {
        match self {
            Error::InvalidRequest { .. }
            | Error::Configuration { .. }
            | Error::Connect { .. }
            | Error::Certificate { .. } => false,
            Error::Api(api) => api.may_have_executed(),
            // Waiting to retry: a mutating call is only retried when the server certainly did
            // not act, while an earlier attempt of a cancel may have acted.
            Error::Timeout {
                phase: TimeoutPhase::Waiting,
                call,
                ..
            } => call.effect == Effect::Idempotent,
            Error::Timeout { phase, call, .. } => {
                call.effect.can_take_effect() && *phase != TimeoutPhase::Connect
            }
            Error::ConnectionLost { call, .. } | Error::Decode { call, .. } => {
                call.effect.can_take_effect()
            }
            Error::ResponseTooLarge { status, call, .. } => {
                call.effect.can_take_effect() && status_may_have_executed(*status, false)
            }
        }
    }

    /// The call the error came from, when it came from one (not for invalid requests and
    /// configuration errors).
    pub fn call(&self) -> Option<&CallInfo> {
        match self {
            Error::InvalidRequest { .. } | Error::Configuration { .. } => None,
            Error::Api(api) => Some(&api.call),
            Error::Timeout { call, .. }
            | Error::Connect { call, .. }
            | Error::Certificate { call, .. }
            | Error::ConnectionLost { call, .. }
            | Error::Decode { call, .. }
            | Error::ResponseTooLarge { call, .. } => Some(call),
        }
    }

    /// The same error, saying it happened while doing `action` (for errors of a call).
    pub(crate) fn with_action(mut self, action: String) -> Self {
        let action: std::sync::Arc<str> = std::sync::Arc::from(action);
        match &mut self {
            Error::InvalidRequest { .. } | Error::Configuration { .. } => {}
            Error::Api(api) => std::sync::Arc::make_mut(&mut api.call).action = action,
            Error::Timeout { call, .. }
            | Error::Connect { call, .. }
            | Error::Certificate { call, .. }
            | Error::ConnectionLost { call, .. }
            | Error::Decode { call, .. }
            | Error::ResponseTooLarge { call, .. } => {
                std::sync::Arc::make_mut(call).action = action;
            }
        }
        self
    }

    /// The effect of the call the error came from, when it came from one.
    pub fn effect(&self) -> Option<Effect> {
        self.call().map(|call| call.effect)
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode { status, .. } | Error::ResponseTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The request id of the answer, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.request_id.as_deref(),
            Error::Decode { request_id, .. } | Error::ResponseTooLarge { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// The API error, for non-2xx answers.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The server's `Retry-After`, when it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|api| api.retry_after)
    }

    /// A short message without the kind prefix: what a binding puts in its exception's
    /// `message` field.
    pub fn message(&self) -> String {
        match self {
            Error::InvalidRequest { message }
            | Error::Configuration { message }
            | Error::Connect { message, .. }
            | Error::ConnectionLost { message, .. } => message.clone(),
            Error::Certificate { problem, .. } => {
                format!(
                    "the server's certificate was refused: {}",
                    problem.describe()
                )
            }
            Error::Api(api) => api.message(),
            Error::Decode { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// An [`Error::InvalidRequest`]; for bindings and tools that check input of their own
    /// (a wrong argument type, an unreadable parameter file).
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Error::InvalidRequest {
            message: message.into(),
        }
    }

    /// An [`Error::Configuration`]; for bindings and tools that read settings of their own.
    pub fn configuration(message: impl Into<String>) -> Self {
        Error::Configuration {
            message: message.into(),
        }
    }
}

fn timeout_message(
    phase: TimeoutPhase,
    after: Duration,
    deadline: bool,
    call: &CallInfo,
) -> String {
    let secs = after.as_secs_f64();
    let secs = if deadline {
        format!("{secs} s (the call's deadline)")
    } else {
        format!("{secs} s")
    };
    match phase {
        TimeoutPhase::Connect => {
            format!("timed out after {secs} while connecting; nothing was sent")
        }
        TimeoutPhase::Waiting => match call.effect {
            Effect::Idempotent => format!(
                "timed out after {secs} waiting to try again{}",
                consequence(call, "; ")
            ),
            _ => format!("timed out after {secs} waiting to try again; nothing was done"),
        },
        TimeoutPhase::Response => format!(
            "timed out after {secs} waiting for the answer{}",
            consequence(call, "; ")
        ),
        TimeoutPhase::Body => format!(
            "timed out after {secs} reading the answer{}",
            consequence(call, "; ")
        ),
    }
}

fn decode_message(
    message: &str,
    status: &u16,
    request_id: Option<&str>,
    call: &CallInfo,
) -> String {
    let consequence = if call.effect.can_take_effect() {
        // A 2xx means the server accepted the call: it has probably acted.
        format!(
            ", {}",
            call.may_have_effect.replace(" may have ", " has probably ")
        )
    } else {
        String::new()
    };
    format!(
        "unexpected answer to a successful call (HTTP {status}){consequence}: {message}{}",
        request_id_suffix(request_id)
    )
}

/// `"{action}: "`, or nothing for a call with no description.
fn action_prefix(call: &CallInfo) -> String {
    if call.action.is_empty() {
        String::new()
    } else {
        format!("{}: ", call.action)
    }
}

/// What an error after sending may have done, after `separator`; nothing for a read.
fn consequence(call: &CallInfo, separator: &str) -> String {
    if call.effect.can_take_effect() && !call.may_have_effect.is_empty() {
        format!("{separator}{}", call.may_have_effect)
    } else {
        String::new()
    }
}

fn request_id_suffix(request_id: Option<&str>) -> String {
    match request_id {
        Some(id) if !id.is_empty() => format!(" (request id {})", one_line(id, 128)),
        _ => String::new(),
    }
}

/// Folds `text` onto one line (control characters and runs of white space become one space) and
/// cuts it to at most `max_chars` characters, marking a cut with `…`.
pub(crate) fn one_line(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut pending_space = false;
    for ch in text.chars() {
        if ch.is_whitespace() || ch.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if count >= max_chars {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(ch);
        count += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, retry_after: Option<u64>) -> ApiError {
        ApiError {
            status,
            error_code: Some("Code".into()),
            error_message: Some("message".into()),
            request_id: Some("rid".into()),
            trace_id: None,
            retry_after: retry_after.map(Duration::from_secs),
            body: String::new(),
            call: CallInfo::unknown(),
        }
    }

    #[test]
    fn may_have_executed_follows_the_status() {
        assert!(!api(400, None).may_have_executed());
        assert!(!api(429, None).may_have_executed());
        assert!(!api(503, Some(1)).may_have_executed());
        assert!(api(503, None).may_have_executed());
        assert!(api(500, None).may_have_executed());
        assert!(api(502, Some(3)).may_have_executed());
    }

    #[test]
    fn display_is_one_line_with_code_message_and_request_id() {
        let shown = Error::Api(Box::new(api(401, None))).to_string();
        assert_eq!(shown, "HTTP 401 Code: message (request id rid)");
        let mut named = api(404, None);
        named.call = std::sync::Arc::new(CallInfo {
            action: std::sync::Arc::from("getting run 42 of stage s (workflow w, app a)"),
            ..(*CallInfo::unknown()).clone()
        });
        assert_eq!(
            Error::Api(Box::new(named)).to_string(),
            "getting run 42 of stage s (workflow w, app a): HTTP 404 Code: message (request id rid)"
        );
    }

    #[test]
    fn one_line_folds_and_cuts() {
        assert_eq!(one_line("  a\r\n b\u{0}c  ", 100), "a b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("", 3), "");
    }

    #[test]
    fn kinds_have_unique_codes() {
        let mut codes: Vec<_> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
    }
}
