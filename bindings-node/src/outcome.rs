//! What a call hands back to JavaScript: a response, or an error record the wrapper turns into
//! an instance of the matching error class.
//!
//! Errors travel as plain data rather than as thrown napi errors because napi errors carry only
//! a message and a status; the wrapper needs every field of the core's error (kind,
//! `may_have_executed`, status, codes, `Retry-After`) to build a typed, `instanceof`-able error.

use napi_derive::napi;
use yunxiao_appstack::{Error, ExecuteReleaseStageResponse as CoreResponse};

use crate::ids::Id;

/// The answer to a successful `executeReleaseStage` call.
#[napi(
    object,
    object_from_js = false,
    js_name = "ExecuteReleaseStageResponse"
)]
pub struct ExecuteReleaseStageResponse {
    /// The run id: `pipelineRunId`, else `object`. A `number`, or a `bigint` above
    /// `Number.MAX_SAFE_INTEGER`.
    #[napi(ts_type = "number | bigint")]
    pub run_id: Option<Id>,
    /// `object` from the answer: the run number in older answers, `1` in the current
    /// documentation.
    #[napi(ts_type = "number | bigint")]
    pub object: Option<Id>,
    /// `pipelineId`: the pipeline the stage ran.
    #[napi(ts_type = "number | bigint")]
    pub pipeline_id: Option<Id>,
    /// `pipelineRunId`: the execution number that follow-up calls take.
    #[napi(ts_type = "number | bigint")]
    pub pipeline_run_id: Option<Id>,
    /// The request id (`requestId` in the body, else the `x-acs-request-id` header).
    pub request_id: Option<String>,
    /// The HTTP status of the answer (200): not the status of the run.
    pub http_status: u32,
    /// The whole JSON body as received; integers beyond `Number.MAX_SAFE_INTEGER` are `bigint`.
    #[napi(ts_type = "Record<string, unknown>")]
    pub raw: serde_json::Value,
}

impl From<CoreResponse> for ExecuteReleaseStageResponse {
    fn from(response: CoreResponse) -> Self {
        Self {
            run_id: response.run_id().map(Id),
            object: response.object.map(Id),
            pipeline_id: response.pipeline_id.map(Id),
            pipeline_run_id: response.pipeline_run_id.map(Id),
            request_id: response.request_id,
            http_status: u32::from(response.http_status),
            raw: response.raw,
        }
    }
}

/// The fields of a core error, for the wrapper to build its error class from.
#[napi(object, object_from_js = false)]
pub struct NativeError {
    /// The core's stable kind code (`ErrorKind::as_str`), e.g. `"rate_limited"`.
    pub kind: String,
    /// The core's one-line description (`Display`: HTTP status, `errorCode`, message and request
    /// id), the same text Python's `str(e)`, C's `yx_error_get_description` and the CLI show;
    /// never holds the token.
    pub message: String,
    /// Whether the server may have started a run despite the error.
    pub may_have_executed: bool,
    /// The HTTP status, when there was an answer.
    pub status: Option<u32>,
    /// `errorCode` from the answer.
    pub error_code: Option<String>,
    /// `errorMessage` from the answer.
    pub error_message: Option<String>,
    /// The request id of the answer.
    pub request_id: Option<String>,
    /// `traceId` from the answer.
    pub trace_id: Option<String>,
    /// The server's `Retry-After`, in seconds.
    pub retry_after: Option<f64>,
    /// The answer's body (cut to a few KiB, token scrubbed), for API errors.
    pub body: Option<String>,
    /// For timeouts: `connect`, `response` or `body`.
    pub timeout_phase: Option<String>,
    /// For timeouts: the limit that was reached, in milliseconds.
    pub timeout_ms: Option<f64>,
    /// For oversized answers: the size cap, in bytes.
    pub limit_bytes: Option<f64>,
    /// For timeouts: whether the limit was the call's whole deadline (`deadlineMs`).
    pub deadline: Option<bool>,
    /// For refused certificates: why (`unknown_issuer`, …).
    pub certificate_problem: Option<String>,
    /// The OpenAPI name of the call that failed, when it was sent.
    pub operation: Option<String>,
    /// Its effect: `read_only`, `idempotent` or `mutating`.
    pub effect: Option<String>,
    /// What it was doing, in words.
    pub action: Option<String>,
    /// When its first attempt was sent, in milliseconds since the Unix epoch: what
    /// `findRunsStartedSince({ sinceEpochMs })` takes after an ambiguous execute.
    pub started_at_ms: Option<f64>,
}

impl From<&Error> for NativeError {
    fn from(error: &Error) -> Self {
        let api = error.api();
        let (timeout_phase, timeout_ms, deadline) = match error {
            Error::Timeout {
                phase,
                after,
                deadline,
                ..
            } => (
                Some(phase.as_str().to_owned()),
                Some(after.as_secs_f64() * 1000.0),
                Some(*deadline),
            ),
            _ => (None, None, None),
        };
        let certificate_problem = match error {
            Error::Certificate { problem, .. } => Some(problem.as_str().to_owned()),
            _ => None,
        };
        let call = error.call();
        let limit_bytes = match error {
            // Byte caps are far below 2^53, so the f64 is exact.
            #[allow(clippy::cast_precision_loss)]
            Error::ResponseTooLarge { limit, .. } => Some(*limit as f64),
            _ => None,
        };
        Self {
            kind: error.kind().as_str().to_owned(),
            message: error.to_string(),
            may_have_executed: error.may_have_executed(),
            status: error.status().map(u32::from),
            error_code: api.and_then(|a| a.error_code.clone()),
            error_message: api.and_then(|a| a.error_message.clone()),
            request_id: error.request_id().map(str::to_owned),
            trace_id: api.and_then(|a| a.trace_id.clone()),
            retry_after: error.retry_after().map(|d| d.as_secs_f64()),
            body: api.map(|a| a.body.clone()),
            timeout_phase,
            timeout_ms,
            limit_bytes,
            deadline,
            certificate_problem,
            operation: call.map(|c| c.operation.to_owned()),
            effect: call.and_then(|c| {
                serde_json::to_value(c.effect)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
            }),
            action: call.map(|c| c.action.to_string()),
            started_at_ms: call.and_then(|c| {
                c.started_at
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_secs_f64() * 1000.0)
            }),
        }
    }
}

/// The settled value of a call: exactly one of `response`, `error` and `aborted` is set.
#[napi(object, object_from_js = false)]
pub struct Outcome {
    /// The answer, when the call succeeded.
    pub response: Option<ExecuteReleaseStageResponse>,
    /// The error, when the call failed.
    pub error: Option<NativeError>,
    /// True when the call was aborted through its `AbortHandle` before it finished.
    pub aborted: bool,
}

impl Outcome {
    /// The outcome of a finished call.
    pub(crate) fn finished(result: Result<CoreResponse, Error>) -> Self {
        match result {
            Ok(response) => Self {
                response: Some(response.into()),
                error: None,
                aborted: false,
            },
            Err(error) => Self::failed(&error),
        }
    }

    /// The outcome of a call that failed with `error`.
    pub(crate) fn failed(error: &Error) -> Self {
        Self {
            response: None,
            error: Some(error.into()),
            aborted: false,
        }
    }

    /// The outcome of an aborted call.
    pub(crate) fn aborted() -> Self {
        Self {
            response: None,
            error: None,
            aborted: true,
        }
    }
}
