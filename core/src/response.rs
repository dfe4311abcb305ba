//! Turning an answer — any bytes with any status — into a typed result or a typed error.
//!
//! Nothing here trusts the server: every field is optional, numbers may come as strings, and
//! no input can make these functions panic (property-tested in `tests/parsing.rs`).

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use crate::error::{ApiError, Error, one_line};
use crate::lenient::Obj;
use crate::operation::{Answer, CallInfo};
use crate::policy;
use crate::secret::AccessToken;

/// The answer to a successful execute call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ExecuteReleaseStageResponse {
    /// `object`: the run number in older answers, `1` in the current documentation.
    pub object: Option<u64>,
    /// `pipelineId`: the pipeline the stage ran.
    pub pipeline_id: Option<u64>,
    /// `pipelineRunId`: the execution number the follow-up calls take.
    pub pipeline_run_id: Option<u64>,
    /// `requestId` from the body, else the `x-acs-request-id` / `x-request-id` header.
    pub request_id: Option<String>,
    /// The HTTP status of the answer (200), not the run's status.
    pub http_status: u16,
    /// The whole JSON body, as received.
    pub raw: Value,
}

impl ExecuteReleaseStageResponse {
    /// The run id: `pipelineRunId`, else `object`.
    ///
    /// The current documentation shows answers of `{"object": 1}` only, where `1` may be a
    /// success flag rather than a run number; `pipeline_run_id` is the execution number the
    /// follow-up calls take, when the answer has it.
    pub fn run_id(&self) -> Option<u64> {
        self.pipeline_run_id.or(self.object)
    }

    /// The run this answer started, as a [`crate::RunRef`] of `stage`, when the answer names one.
    pub fn run(&self, stage: &crate::StageRef) -> Option<crate::RunRef> {
        self.run_id().map(|n| stage.run(n))
    }
}

/// What the client keeps of an answer's headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AnswerHeaders {
    /// `x-acs-request-id`, else `x-request-id`.
    pub request_id: Option<String>,
    /// `Retry-After`, parsed.
    pub retry_after: Option<Duration>,
}

impl AnswerHeaders {
    pub(crate) fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| one_line(v, policy::ID_MAX_CHARS))
        };
        Self {
            request_id: text("x-acs-request-id").or_else(|| text("x-request-id")),
            retry_after: text("retry-after").and_then(|v| parse_retry_after(&v, SystemTime::now())),
        }
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP date, relative to `now`. A date in the past
/// means no wait; garbage means no `Retry-After` at all.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // Some servers send fractional seconds; accept them, though the RFC says integers.
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Reads the body of a 2xx answer for any call: JSON (an empty body is `None`), the token
/// scrubbed out, and a 2xx that carries only an error code refused.
pub(crate) fn read_answer(
    status: u16,
    headers: &AnswerHeaders,
    body: &[u8],
    token: Option<&AccessToken>,
    call: &std::sync::Arc<CallInfo>,
    result_keys: &[&str],
) -> Result<Answer, Error> {
    let decode_error = |message: String| Error::Decode {
        status,
        message,
        request_id: headers.request_id.clone(),
        call: call.clone(),
    };
    let json: Option<Value> = match serde_json::from_slice(body) {
        // An answer that echoes the token back must not carry it into `raw` either.
        Ok(value) => Some(match token {
            Some(token) if contains(body, token.expose().as_bytes()) => scrub_json(value, token),
            _ => value,
        }),
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => None,
        Err(e) => {
            return Err(decode_error(format!(
                "the body is not JSON ({e}): {}",
                excerpt(body, token)
            )));
        }
    };
    let fields = json.as_ref().and_then(Value::as_object);
    let request_id = fields
        .and_then(|fields| string_field(fields, &["requestId", "RequestId"]))
        .map(|id| scrub(token, &one_line(&id, policy::ID_MAX_CHARS)))
        .or_else(|| headers.request_id.clone());

    // A gateway that wraps an error in a 2xx must not pass for a result — nor for a certain
    // failure: a string error code (or `"success": false`) and none of the result fields is a
    // decode error (which, for a call that changes something, says it has probably acted).
    if let (Some(fields), false) = (fields, result_keys.is_empty()) {
        let error_code = ["errorCode", "code", "Code"]
            .iter()
            .find_map(|name| fields.get(*name).and_then(Value::as_str))
            .filter(|code| !code.trim().is_empty());
        let success_flag = fields.get("success").and_then(Value::as_bool);
        let has_result = result_keys.iter().any(|k| fields.contains_key(*k));
        if !has_result
            && success_flag != Some(true)
            && (error_code.is_some() || success_flag == Some(false))
        {
            let message =
                string_field(fields, &["errorMessage", "message", "Message"]).unwrap_or_default();
            let code = error_code.unwrap_or("success=false");
            let text =
                format!("the answer carries an error ({code}: {message}) with a success status");
            return Err(Error::Decode {
                status,
                message: scrub(token, &one_line(&text, policy::MESSAGE_MAX_CHARS)),
                request_id,
                call: call.clone(),
            });
        }
    }
    Ok(Answer {
        http_status: status,
        request_id,
        json,
        call: call.clone(),
    })
}

/// Reads the answer of an execute call.
pub(crate) fn parse_execute(answer: &Answer) -> Result<ExecuteReleaseStageResponse, Error> {
    let raw = answer.require_object()?;
    let fields = Obj::of(raw);
    let object = fields.u64("object");
    let pipeline_id = fields.u64("pipelineId");
    let pipeline_run_id = fields.u64("pipelineRunId");
    for (name, value) in [
        ("object", object),
        ("pipelineId", pipeline_id),
        ("pipelineRunId", pipeline_run_id),
    ] {
        if value.is_none() && fields.raw(name).is_some() {
            tracing::warn!(
                target: "yunxiao_appstack",
                field = name,
                "answer field is not a non-negative integer; it is kept in `raw` only"
            );
        }
    }
    Ok(ExecuteReleaseStageResponse {
        object,
        pipeline_id,
        pipeline_run_id,
        request_id: answer.request_id.clone(),
        http_status: answer.http_status,
        raw: raw.clone(),
    })
}

/// Reads an answer of any operation as the client would (for tests and fuzzing).
pub(crate) fn parse_for<O: crate::Operation>(
    operation: &O,
    status: u16,
    body: &[u8],
) -> Result<O::Output, Error> {
    let headers = AnswerHeaders::default();
    let call = CallInfo::of::<O>(String::new());
    if (200..300).contains(&status) {
        let answer = read_answer(status, &headers, body, None, &call, O::RESULT_KEYS)?;
        operation.parse(answer)
    } else {
        Err(parse_api_error(status, &headers, body, None, &call))
    }
}

/// Parses the body of a 2xx execute answer (for tests and fuzzing).
pub(crate) fn parse_success(
    status: u16,
    headers: &AnswerHeaders,
    body: &[u8],
    token: Option<&AccessToken>,
) -> Result<ExecuteReleaseStageResponse, Error> {
    let call = crate::operation::CallInfo::of::<crate::ExecuteReleaseStageRequest>(String::new());
    let answer = read_answer(
        status,
        headers,
        body,
        token,
        &call,
        <crate::ExecuteReleaseStageRequest as crate::Operation>::RESULT_KEYS,
    )?;
    parse_execute(&answer)
}

/// Parses a non-2xx answer (or a 2xx that carries an error) into an [`ApiError`]. Any body is
/// accepted: the documented JSON shape, Alibaba's `Code`/`Message` shape, HTML, nothing.
pub(crate) fn parse_api_error(
    status: u16,
    headers: &AnswerHeaders,
    body: &[u8],
    token: Option<&AccessToken>,
    call: &std::sync::Arc<CallInfo>,
) -> Error {
    let json: Option<Map<String, Value>> = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    let field = |names: &[&str]| json.as_ref().and_then(|m| string_field(m, names));
    // Scrub before cutting: a token straddling the cut must not survive in part.
    let clean = |value: Option<String>, max: usize| value.map(|v| one_line(&scrub(token, &v), max));

    let api = ApiError {
        status,
        error_code: clean(field(&["errorCode", "code", "Code"]), policy::ID_MAX_CHARS),
        error_message: clean(
            field(&["errorMessage", "message", "Message"]),
            policy::MESSAGE_MAX_CHARS,
        ),
        request_id: clean(field(&["requestId", "RequestId"]), policy::ID_MAX_CHARS)
            .or_else(|| headers.request_id.clone()),
        trace_id: clean(field(&["traceId", "TraceId"]), policy::ID_MAX_CHARS),
        retry_after: headers.retry_after,
        body: cut(
            &scrub(token, &String::from_utf8_lossy(body)),
            policy::ERROR_BODY_KEEP_BYTES,
        ),
        call: call.clone(),
    };
    Error::Api(Box::new(api))
}

/// The first of `names` present as a non-empty string (or a number, written out).
fn string_field(map: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| match map.get(*name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// `text` cut to at most `max` bytes on a character boundary.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// A short one-line excerpt of a body, for messages: scrubbed, then cut, then quoted.
fn excerpt(body: &[u8], token: Option<&AccessToken>) -> String {
    let text = scrub(token, &String::from_utf8_lossy(body));
    format!("{:?}", one_line(&text, policy::ERROR_EXCERPT_CHARS))
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// `value` with the token scrubbed from every string in it, keys included.
fn scrub_json(value: Value, token: &AccessToken) -> Value {
    match value {
        Value::String(text) => Value::String(token.scrub(&text)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| scrub_json(v, token)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (token.scrub(&k), scrub_json(v, token)))
                .collect(),
        ),
        other => other,
    }
}

fn scrub(token: Option<&AccessToken>, text: &str) -> String {
    match token {
        Some(token) => token.scrub(text),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers() -> AnswerHeaders {
        AnswerHeaders {
            request_id: Some("hdr-id".into()),
            retry_after: None,
        }
    }

    #[test]
    fn success_fields_are_lenient() {
        let r = parse_success(200, &headers(), br#"{"object": 1}"#, None).expect("ok");
        assert_eq!(
            (r.object, r.pipeline_run_id, r.run_id()),
            (Some(1), None, Some(1))
        );
        assert_eq!(r.request_id.as_deref(), Some("hdr-id"));
        let r = parse_success(
            200,
            &headers(),
            br#"{"object": "7", "pipelineId": 12.0, "pipelineRunId": "18446744073709551615", "requestId": "b"}"#,
            None,
        )
        .expect("ok");
        assert_eq!(r.object, Some(7));
        assert_eq!(r.pipeline_id, Some(12));
        assert_eq!(r.run_id(), Some(u64::MAX));
        assert_eq!(r.request_id.as_deref(), Some("b"));
        let r = parse_success(
            200,
            &headers(),
            br#"{"object": -1, "pipelineRunId": "x"}"#,
            None,
        )
        .expect("ok");
        assert_eq!((r.object, r.run_id()), (None, None));
    }

    #[test]
    fn bad_success_bodies_are_decode_errors() {
        for body in [&b""[..], b"  ", b"<html>", b"[1]", b"{\"object\": 1,"] {
            let err = parse_success(200, &headers(), body, None).expect_err("decode");
            assert!(matches!(err, Error::Decode { .. }), "{err:?}");
            assert!(err.may_have_executed());
        }
    }

    #[test]
    fn an_error_wrapped_in_a_200_is_a_decode_error() {
        let err = parse_success(
            200,
            &headers(),
            br#"{"errorCode": "Oops", "errorMessage": "no"}"#,
            None,
        )
        .expect_err("error");
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert!(err.to_string().contains("Oops: no"), "{err}");
        assert!(err.may_have_executed());
        // A success flag or a numeric code does not turn a result into an error.
        parse_success(200, &headers(), br#"{"code": 200, "success": true}"#, None).expect("ok");
        parse_success(
            200,
            &headers(),
            br#"{"errorCode": "X", "success": true}"#,
            None,
        )
        .expect("ok");
        let err = parse_success(200, &headers(), br#"{"success": false}"#, None).expect_err("flag");
        assert!(matches!(err, Error::Decode { .. }));
    }

    #[test]
    fn a_success_that_echoes_the_token_keeps_it_out_of_raw() {
        let token = AccessToken::new("pt-echoed-secret");
        let body = br#"{"object": 1, "note": "you sent pt-echoed-secret", "nested": [{"pt-echoed-secret": 1}]}"#;
        let response = parse_success(200, &headers(), body, Some(&token)).expect("ok");
        assert!(
            !response.raw.to_string().contains("pt-echoed-secret"),
            "{}",
            response.raw
        );
        assert_eq!(response.object, Some(1));
    }

    #[test]
    fn a_token_straddling_a_cut_is_scrubbed_whole() {
        let token = AccessToken::new("pt-secret-straddle");
        let mut body = "x".repeat(policy::ERROR_BODY_KEEP_BYTES - 5);
        body.push_str(token.expose());
        let err = parse_api_error(
            500,
            &headers(),
            body.as_bytes(),
            Some(&token),
            &CallInfo::unknown(),
        );
        let api = err.api().expect("api");
        assert!(
            !api.body.contains("pt-sec"),
            "{}",
            &api.body[api.body.len() - 20..]
        );
        let message = format!(
            "{{\"errorMessage\": \"{}{}\"}}",
            "y".repeat(995),
            token.expose()
        );
        let err = parse_api_error(
            500,
            &headers(),
            message.as_bytes(),
            Some(&token),
            &CallInfo::unknown(),
        );
        assert!(!err.to_string().contains("pt-sec"));
        let quoted = AccessToken::new("pt-\"quoted\"-token");
        let body = format!("not json {}", quoted.expose());
        let err =
            parse_success(200, &headers(), body.as_bytes(), Some(&quoted)).expect_err("decode");
        assert!(!err.to_string().contains("quoted"), "{err}");
    }

    #[test]
    fn documented_error_body() {
        let body = json!({"errorCode": "InvalidTokenError", "errorMessage": "bad token pt-secret-1",
            "requestId": "r1", "traceId": "t1", "httpStatus": "401"});
        let token = AccessToken::new("pt-secret-1");
        let err = parse_api_error(
            401,
            &headers(),
            body.to_string().as_bytes(),
            Some(&token),
            &CallInfo::unknown(),
        );
        let api = err.api().expect("api");
        assert_eq!(api.error_code.as_deref(), Some("InvalidTokenError"));
        assert_eq!(api.error_message.as_deref(), Some("bad token ****"));
        assert_eq!(api.request_id.as_deref(), Some("r1"));
        assert_eq!(api.trace_id.as_deref(), Some("t1"));
        assert!(!api.body.contains("pt-secret-1"));
        assert_eq!(
            err.to_string(),
            "HTTP 401 InvalidTokenError: bad token **** (request id r1)"
        );
    }

    #[test]
    fn html_and_empty_error_bodies_still_say_something() {
        let err = parse_api_error(
            502,
            &headers(),
            b"<html><body>\n<h1>502 Bad Gateway</h1></body></html>",
            None,
            &CallInfo::unknown(),
        );
        assert_eq!(
            err.to_string(),
            "HTTP 502: <html><body> <h1>502 Bad Gateway</h1></body></html> (request id hdr-id)"
        );
        let err = parse_api_error(
            503,
            &AnswerHeaders::default(),
            b"",
            None,
            &CallInfo::unknown(),
        );
        assert_eq!(err.to_string(), "HTTP 503: Service Unavailable");
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
    }

    #[test]
    fn cutting_keeps_characters_whole() {
        let text = "应用".repeat(10);
        assert_eq!(cut(&text, 7), "应用");
    }
}
