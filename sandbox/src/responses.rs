//! Answer building: the response body type, request ids, and the documented error body.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use hyper::body::{Body, Frame, SizeHint};
use serde::Serialize;

/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-acs-request-id";

/// `application/json` as a header value.
pub(crate) fn application_json() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// How long a cut body waits between its first bytes and the cut.
const CUT_PAUSE: Duration = Duration::from_millis(20);
/// Size of one streamed chunk of an oversized body.
const CHUNK: usize = 64 * 1024;
/// The padding every oversized chunk is cut from: no allocation per chunk.
static PADDING: [u8; CHUNK] = [b'x'; CHUNK];

/// The error a body stream ends with to make hyper abort the connection mid-answer.
#[derive(Debug)]
pub struct BodyCut;

impl fmt::Display for BodyCut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("response body deliberately cut short by a cut_body fault")
    }
}

impl StdError for BodyCut {}

/// Every answer body the sandbox sends.
#[derive(Debug)]
pub enum SandboxBody {
    /// A body held in memory (`None` once sent, or when empty).
    Full(Option<Bytes>),
    /// `head`, then `remaining` bytes of `x`, then `tail`: an oversized JSON object, streamed.
    Padded {
        /// The opening bytes, until sent.
        head: Option<Bytes>,
        /// Padding bytes still to send.
        remaining: u64,
        /// The closing bytes, until sent.
        tail: Option<Bytes>,
    },
    /// `first` is sent, then (after a short pause that lets hyper flush it) the stream fails
    /// so hyper aborts the connection.
    Cut {
        /// The bytes sent before the cut, until sent.
        first: Option<Bytes>,
        /// The pause between the first bytes and the cut, once started.
        pause: Option<Pin<Box<tokio::time::Sleep>>>,
        /// The `Content-Length` announced (larger than what is sent).
        announced: u64,
    },
}

impl SandboxBody {
    /// A body holding `bytes`.
    pub fn full(bytes: impl Into<Bytes>) -> SandboxBody {
        let bytes = bytes.into();
        SandboxBody::Full((!bytes.is_empty()).then_some(bytes))
    }
}

impl Body for SandboxBody {
    type Data = Bytes;
    type Error = BodyCut;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyCut>>> {
        let this = self.get_mut();
        let frame = match this {
            SandboxBody::Full(bytes) => bytes.take().map(|b| Ok(Frame::data(b))),
            SandboxBody::Padded {
                head,
                remaining,
                tail,
            } => {
                if let Some(head) = head.take() {
                    Some(Ok(Frame::data(head)))
                } else if *remaining > 0 {
                    let n = usize::try_from(*remaining).map_or(CHUNK, |r| r.min(CHUNK));
                    *remaining -= n as u64;
                    Some(Ok(Frame::data(Bytes::from_static(&PADDING[..n]))))
                } else {
                    tail.take().map(|t| Ok(Frame::data(t)))
                }
            }
            SandboxBody::Cut { first, pause, .. } => {
                if let Some(first) = first.take() {
                    Some(Ok(Frame::data(first)))
                } else {
                    // Without the pause the error would arrive before hyper wrote anything,
                    // and the client would see no answer at all instead of a cut body.
                    let pause =
                        pause.get_or_insert_with(|| Box::pin(tokio::time::sleep(CUT_PAUSE)));
                    if pause.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    Some(Err(BodyCut))
                }
            }
        };
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        match self {
            SandboxBody::Full(bytes) => bytes.is_none(),
            SandboxBody::Padded {
                head,
                remaining,
                tail,
            } => head.is_none() && *remaining == 0 && tail.is_none(),
            SandboxBody::Cut { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            SandboxBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            SandboxBody::Padded {
                head,
                remaining,
                tail,
            } => {
                let len = |b: &Option<Bytes>| b.as_ref().map_or(0, |b| b.len() as u64);
                SizeHint::with_exact(len(head) + remaining + len(tail))
            }
            SandboxBody::Cut { announced, .. } => SizeHint::with_exact(*announced),
        }
    }
}

/// The answer type of the sandbox service.
pub type SandboxResponse = Response<SandboxBody>;

/// Hands out unique, UUID-looking request ids and matching trace ids.
#[derive(Debug)]
pub(crate) struct RequestIds {
    seed: u64,
    counter: AtomicU64,
}

/// One request's ids.
#[derive(Clone, Debug)]
pub(crate) struct Ids {
    /// The `x-acs-request-id` value, e.g. `5F3A9C21-0B7E-4A1C-8000-000000000001`.
    pub request_id: String,
    /// The error body's `traceId`, 32 lowercase hex digits.
    pub trace_id: String,
}

impl RequestIds {
    /// A generator seeded from the clock and process id, so two sandboxes differ.
    pub fn new() -> RequestIds {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let seed = nanos ^ (u64::from(std::process::id()) << 40) ^ 0x9E37_79B9_7F4A_7C15;
        RequestIds {
            seed,
            counter: AtomicU64::new(0),
        }
    }

    /// The next pair of ids.
    pub fn next(&self) -> Ids {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let s = self.seed;
        Ids {
            request_id: format!(
                "{:08X}-{:04X}-4{:03X}-8{:03X}-{:012X}",
                s >> 32,
                (s >> 16) & 0xFFFF,
                s & 0xFFF,
                (n >> 48) & 0xFFF,
                n & 0xFFFF_FFFF_FFFF
            ),
            trace_id: format!("{s:016x}{n:016x}"),
        }
    }
}

/// The documented error body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    error_code: &'a str,
    error_message: &'a str,
    request_id: &'a str,
    trace_id: &'a str,
    http_status: String,
    title: &'a str,
    has_detail_solution: bool,
}

/// The errorCode the real service documents (or would plausibly use) for a status.
pub(crate) fn default_error_code(status: StatusCode) -> String {
    match status.as_u16() {
        400 => "BadRequest".into(),
        401 => "Unauthorized".into(),
        403 => "Forbidden".into(),
        404 => "NotFound".into(),
        405 => "MethodNotAllowed".into(),
        408 => "RequestTimeout".into(),
        409 => "Conflict".into(),
        413 => "PayloadTooLarge".into(),
        429 => "TooManyRequests".into(),
        500 => "InternalServerError".into(),
        502 => "BadGateway".into(),
        503 => "ServiceUnavailable".into(),
        504 => "GatewayTimeout".into(),
        _ => match status.canonical_reason() {
            Some(reason) => reason
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| {
                    let mut chars = w.chars();
                    chars.next().map_or_else(String::new, |first| {
                        first.to_ascii_uppercase().to_string() + chars.as_str()
                    })
                })
                .collect(),
            None => format!("Http{}", status.as_u16()),
        },
    }
}

/// The human title of a status (its reason phrase).
fn title(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

/// Serializes the documented error body.
pub(crate) fn error_body_bytes(status: StatusCode, code: &str, message: &str, ids: &Ids) -> Bytes {
    let body = ErrorBody {
        error_code: code,
        error_message: message,
        request_id: &ids.request_id,
        trace_id: &ids.trace_id,
        http_status: status.as_u16().to_string(),
        title: title(status),
        has_detail_solution: false,
    };
    Bytes::from(serde_json::to_vec(&body).expect("the error body always serializes"))
}

/// A response with the request id header and no other header.
pub(crate) fn base_response(status: StatusCode, ids: &Ids, body: SandboxBody) -> SandboxResponse {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(&ids.request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// A JSON answer of the given status.
pub(crate) fn json_bytes(status: StatusCode, ids: &Ids, bytes: Bytes) -> SandboxResponse {
    let mut response = base_response(status, ids, SandboxBody::full(bytes));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, application_json());
    response
}

/// A JSON answer serialized from `value`.
pub(crate) fn json<T: Serialize + ?Sized>(
    status: StatusCode,
    ids: &Ids,
    value: &T,
) -> SandboxResponse {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_bytes(status, ids, Bytes::from(bytes)),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            &format!("cannot serialize the answer: {e}"),
            ids,
        ),
    }
}

/// An answer with the documented error body.
pub(crate) fn error(status: StatusCode, code: &str, message: &str, ids: &Ids) -> SandboxResponse {
    json_bytes(status, ids, error_body_bytes(status, code, message, ids))
}

/// A 200 JSON object of about `size` bytes: `{"object":1,"padding":"xxx…"}`, streamed.
pub(crate) fn oversized(ids: &Ids, size: u64) -> SandboxResponse {
    const HEAD: &[u8] = br#"{"object":1,"padding":""#;
    const TAIL: &[u8] = br#""}"#;
    let remaining = size.saturating_sub((HEAD.len() + TAIL.len()) as u64);
    let body = SandboxBody::Padded {
        head: Some(Bytes::from_static(HEAD)),
        remaining,
        tail: Some(Bytes::from_static(TAIL)),
    };
    let mut response = base_response(StatusCode::OK, ids, body);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, application_json());
    response
}

/// A 200 JSON answer that announces more bytes than it sends, then aborts.
pub(crate) fn cut_body(ids: &Ids) -> SandboxResponse {
    const FIRST: &[u8] = br#"{"object": 1, "pipelineId": 100001, "pipel"#;
    let announced = 1024u64;
    let body = SandboxBody::Cut {
        first: Some(Bytes::from_static(FIRST)),
        pause: None,
        announced,
    };
    let mut response = base_response(StatusCode::OK, ids, body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, application_json());
    headers.insert(CONTENT_LENGTH, HeaderValue::from(announced));
    response
}

/// A 200 JSON answer with truncated JSON.
pub(crate) fn malformed_json(ids: &Ids) -> SandboxResponse {
    json_bytes(
        StatusCode::OK,
        ids,
        Bytes::from_static(br#"{"object": 1, "pipelineRunId": "#),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn ids_are_unique_and_shaped() {
        let ids = RequestIds::new();
        let a = ids.next();
        let b = ids.next();
        assert_ne!(a.request_id, b.request_id);
        assert_eq!(a.request_id.len(), 36);
        assert_eq!(a.trace_id.len(), 32);
        let groups: Vec<_> = a.request_id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
    }

    #[test]
    fn error_codes() {
        assert_eq!(
            default_error_code(StatusCode::TOO_MANY_REQUESTS),
            "TooManyRequests"
        );
        assert_eq!(
            default_error_code(StatusCode::SERVICE_UNAVAILABLE),
            "ServiceUnavailable"
        );
        assert_eq!(default_error_code(StatusCode::IM_A_TEAPOT), "IMATeapot");
        assert_eq!(
            default_error_code(StatusCode::from_u16(599).expect("valid")),
            "Http599"
        );
    }

    #[tokio::test]
    async fn padded_body_has_the_announced_size() {
        let ids = RequestIds::new().next();
        let response = oversized(&ids, 200_000);
        let body = response.into_body();
        assert_eq!(body.size_hint().exact(), Some(200_000));
        let bytes = body.collect().await.expect("no error").to_bytes();
        assert_eq!(bytes.len(), 200_000);
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert_eq!(value["object"], 1);
        let tiny = oversized(&ids, 3).into_body().collect().await.expect("ok");
        assert!(serde_json::from_slice::<serde_json::Value>(&tiny.to_bytes()).is_ok());
    }

    #[tokio::test]
    async fn cut_body_errors() {
        let ids = RequestIds::new().next();
        assert!(cut_body(&ids).into_body().collect().await.is_err());
    }
}
