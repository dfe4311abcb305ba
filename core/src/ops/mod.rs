//! Every API call, a module each: its request type, its [`crate::Operation`] description, its
//! answer types and its methods on [`crate::Client`] and [`crate::blocking::Client`].
//!
//! Adding a call: a module here, one line in [`crate::catalog`]'s list, its conformance
//! vectors and its sandbox route.

pub mod cancel;
pub mod execute;
pub mod find_integrated_metadata;
pub mod get_pipeline_run;
pub mod get_stage;
pub mod integrated_metadata;
pub mod job_actions;
pub mod job_log;
pub mod list_runs;
pub mod list_stage_briefs;
pub mod list_workflow_briefs;
pub mod list_workflows;
pub mod search_change_requests;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::error::{ApiError, Error, one_line};
use crate::lenient::Obj;
use crate::operation::Answer;
use crate::policy;

/// The answer of a call that acts on a job (pass, refuse, retry, skip): `{"success": true}`, a
/// bare `true`, or an empty body, which the sources disagree on.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ActionOutcome {
    /// `success`, when the answer said (an empty body says nothing: it counts as accepted).
    pub success: Option<bool>,
    /// The request id of the answer.
    pub request_id: Option<String>,
    /// The whole answer (`null` for an empty body).
    pub raw: Value,
}

/// Reads an action answer; `{"success": false}` (or a bare `false`) is an error: the server
/// declined, and a caller must not take it for done.
pub(crate) fn action_outcome(answer: &Answer, declined: &str) -> Result<ActionOutcome, Error> {
    let success = match &answer.json {
        None => None,
        Some(Value::Bool(flag)) => Some(*flag),
        Some(value @ Value::Object(_)) => Obj::of(value).bool("success"),
        Some(Value::Null) => None,
        Some(other) => {
            return Err(answer.decode_error(format!(
                "expected {{\"success\": …}}, a boolean or nothing: {}",
                one_line(&other.to_string(), policy::ERROR_EXCERPT_CHARS)
            )));
        }
    };
    if success == Some(false) {
        return Err(declined_error(answer, declined));
    }
    Ok(ActionOutcome {
        success,
        request_id: answer.request_id.clone(),
        raw: answer.json.clone().unwrap_or(Value::Null),
    })
}

/// The error for a 2xx whose body says `success: false`: an [`crate::ErrorKind::ApiStatus`]
/// with the answer's own code and message when it has them.
pub(crate) fn declined_error(answer: &Answer, declined: &str) -> Error {
    let fields = answer.json.as_ref().map(Obj::of);
    let field = |names: &[&str]| fields.and_then(|o| o.str_any(names));
    let message = field(&["errorMessage", "message"])
        .map(|m| format!("{declined}: {}", one_line(&m, policy::MESSAGE_MAX_CHARS)))
        .unwrap_or_else(|| format!("{declined} (the answer says success: false)"));
    Error::Api(Box::new(ApiError {
        status: answer.http_status,
        error_code: field(&["errorCode", "code"]).map(|c| one_line(&c, policy::ID_MAX_CHARS)),
        error_message: Some(message),
        request_id: answer.request_id.clone(),
        trace_id: field(&["traceId"]),
        retry_after: None,
        body: answer
            .json
            .as_ref()
            .map(|json| one_line(&json.to_string(), policy::ERROR_BODY_KEEP_BYTES))
            .unwrap_or_default(),
        call: answer.call.clone(),
    }))
}

/// The items of a list answer: a bare array, or an object holding one under any of `keys`.
pub(crate) fn list_items<'a>(answer: &'a Answer, keys: &[&str]) -> Result<&'a [Value], Error> {
    let json = answer.require_json()?;
    match json {
        Value::Array(items) => Ok(items),
        Value::Object(map) => keys
            .iter()
            .find_map(|key| map.get(*key).and_then(Value::as_array))
            .map(Vec::as_slice)
            .ok_or_else(|| {
                answer.decode_error(format!(
                    "expected a list (or an object with {}): {}",
                    keys.join(" / "),
                    one_line(&json.to_string(), policy::ERROR_EXCERPT_CHARS)
                ))
            }),
        other => Err(answer.decode_error(format!(
            "expected a list: {}",
            one_line(&other.to_string(), policy::ERROR_EXCERPT_CHARS)
        ))),
    }
}

/// Checks that an optional count lies in `range`, naming the argument.
pub(crate) fn check_range(
    name: &str,
    value: Option<u32>,
    range: std::ops::RangeInclusive<u32>,
) -> Result<(), Error> {
    match value {
        Some(v) if !range.contains(&v) => Err(Error::invalid_request(format!(
            "{name} must be between {} and {}, not {v}",
            range.start(),
            range.end()
        ))),
        _ => Ok(()),
    }
}
