//! The operation model: every API call is one [`Operation`] — its name, method, path template,
//! effect, request and answer types — and one generic path ([`crate::Client::send`]) runs them
//! all: URL building, validation, headers, retries by effect, size cap, tracing, scrubbing.

use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;

/// What an operation does to the service, which decides how failures are retried and whether
/// an error may have left an effect behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Effect {
    /// Reads only (GETs, and the `changeRequests:search` POST). Retried after any transient
    /// failure — 5xx, a timeout or a cut connection after sending — and its errors never
    /// "may have executed".
    ReadOnly,
    /// Changes something, but doing it twice does no harm (cancelling a run). Retried like a
    /// read; its errors may have taken effect.
    Idempotent,
    /// Changes something, and doing it twice does it twice (execute, pass, refuse, retry, skip).
    /// Retried only when the server certainly did not act: the connection never opened, a 429,
    /// a 503 with `Retry-After`.
    Mutating,
}

impl Effect {
    /// Whether a failure after the request was sent may be retried.
    pub fn retries_after_sending(self) -> bool {
        matches!(self, Effect::ReadOnly | Effect::Idempotent)
    }

    /// Whether an error of this operation can leave an effect behind.
    pub fn can_take_effect(self) -> bool {
        !matches!(self, Effect::ReadOnly)
    }

    /// `read_only`, `idempotent` or `mutating`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::ReadOnly => "read_only",
            Effect::Idempotent => "idempotent",
            Effect::Mutating => "mutating",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

impl HttpMethod {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// The fixed description of one API call, as the catalog lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OperationInfo {
    /// The OpenAPI name, e.g. `GetReleaseStagePipelineRun`.
    pub name: &'static str,
    /// The method of [`crate::Client`] that runs it, e.g. `get_release_stage_pipeline_run`.
    pub method_name: &'static str,
    /// The HTTP method.
    pub http_method: HttpMethod,
    /// The path after `/oapi/v1/appstack` in the region edition; the centre edition inserts
    /// `/organizations/{organizationId}` before it. `{name}` placeholders are path parameters;
    /// a `:verb` suffix is literal.
    pub path: &'static str,
    /// Query parameters by wire name (their values come from the request).
    pub query: &'static [&'static str],
    /// What the call does to the service.
    pub effect: Effect,
    /// One line on what the call does.
    pub summary: &'static str,
    /// What an error after sending may have done, for mutating calls ("the release stage may
    /// have started"); empty for reads.
    pub may_have_effect: &'static str,
}

impl OperationInfo {
    /// The centre-edition path template.
    pub fn centre_path(&self) -> String {
        format!("/organizations/{{organizationId}}{}", self.path)
    }
}

/// One API call: a request type that knows its path values, query and body, and how to read
/// its answer. Adding a call is one module that implements this, and one line in the catalog.
pub trait Operation: Send + Sync {
    /// The typed answer.
    type Output: Send + 'static;

    /// The call's fixed description.
    const INFO: OperationInfo;

    /// The app the call is about (its organization and name).
    fn app(&self) -> &AppRef;

    /// The value of path parameter `name` of [`OperationInfo::path`] (other than
    /// `organizationId` and `appName`, which come from [`Operation::app`]).
    fn path_value(&self, name: &str) -> Option<String>;

    /// The query string, in order; names must be listed in [`OperationInfo::query`].
    fn query(&self) -> Result<Vec<(&'static str, String)>, Error> {
        Ok(Vec::new())
    }

    /// The JSON body, for calls that send one.
    fn body(&self) -> Result<Option<Value>, Error> {
        Ok(None)
    }

    /// What the call is doing, for messages: "getting run 42 of stage st (workflow wf, app a)".
    fn describe(&self) -> String;

    /// Reads a 2xx answer. `answer.json` is `None` for an empty body. The answer is the
    /// operation's to keep: a result's `raw` takes the body over ([`Answer::into_json`])
    /// instead of copying it.
    fn parse(&self, answer: Answer) -> Result<Self::Output, Error>;

    /// Moves the answer kept in `output` (its `raw`) out, leaving `Null`, for results that
    /// keep one: the bridge then serializes the rest and puts the answer back in place,
    /// instead of copying it value by value. `None` for results without one.
    fn take_raw(_output: &mut Self::Output) -> Option<Value> {
        None
    }

    /// Keys whose presence marks a real result, so that a 2xx carrying only an error code is
    /// told apart from one (see [`Answer`]); empty for calls whose answer is not an object.
    const RESULT_KEYS: &'static [&'static str] = &[];
}

/// A 2xx answer, read and scrubbed of the token.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Answer {
    /// The HTTP status.
    pub http_status: u16,
    /// The request id, from the body or the headers.
    pub request_id: Option<String>,
    /// The body as JSON; `None` when it was empty.
    pub json: Option<Value>,
    /// The call this answers, for decode errors.
    pub call: std::sync::Arc<CallInfo>,
}

impl Answer {
    /// A decode error about this answer.
    pub fn decode_error(&self, message: impl Into<String>) -> Error {
        Error::Decode {
            status: self.http_status,
            message: message.into(),
            request_id: self.request_id.clone(),
            call: self.call.clone(),
        }
    }

    /// The body as JSON (`Null` when it was empty), taken out of the answer: what a typed
    /// result keeps as its `raw`, moved rather than copied.
    pub fn into_json(self) -> Value {
        self.json.unwrap_or(Value::Null)
    }

    /// The body as JSON, or a decode error when it was empty.
    pub fn require_json(&self) -> Result<&Value, Error> {
        self.json
            .as_ref()
            .ok_or_else(|| self.decode_error("the body is empty"))
    }

    /// The body as a JSON object, or a decode error.
    pub fn require_object(&self) -> Result<&Value, Error> {
        let json = self.require_json()?;
        if json.is_object() {
            Ok(json)
        } else {
            Err(self.decode_error(format!(
                "the body is JSON but not an object: {}",
                crate::error::one_line(&json.to_string(), crate::policy::ERROR_EXCERPT_CHARS)
            )))
        }
    }
}

/// Which call an error came from: its name, its effect and what it was doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    /// The OpenAPI name of the operation.
    pub operation: &'static str,
    /// Its effect.
    pub effect: Effect,
    /// What it was doing, e.g. "getting run 42 of stage st (workflow wf, app a)".
    pub action: Arc<str>,
    /// What an error after sending may have done (empty for reads).
    pub may_have_effect: &'static str,
    /// When the call was made (just before its first attempt was sent): what the "did it
    /// start?" check of an ambiguous execute compares run start times with.
    pub started_at: std::time::SystemTime,
}

impl CallInfo {
    /// The context of a call of `O` described by `action`.
    pub fn of<O: Operation + ?Sized>(action: String) -> Arc<Self> {
        Arc::new(CallInfo {
            operation: O::INFO.name,
            effect: O::INFO.effect,
            action: Arc::from(action),
            may_have_effect: O::INFO.may_have_effect,
            started_at: std::time::SystemTime::now(),
        })
    }

    /// The context used where no call is known (errors built by hand): a mutating call, so
    /// that `may_have_executed` errs on the safe side.
    pub fn unknown() -> Arc<Self> {
        Arc::new(CallInfo {
            operation: "",
            effect: Effect::Mutating,
            action: Arc::from(""),
            may_have_effect: "the call may have taken effect",
            started_at: std::time::SystemTime::UNIX_EPOCH,
        })
    }
}

/// An application: its organization (centre edition; else the client's default) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub struct AppRef {
    /// The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
    /// the region edition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// The application name, e.g. `my-web-service`.
    pub app_name: String,
}

impl AppRef {
    /// The app named `app_name`, in the client's organization.
    pub fn new(app_name: impl Into<String>) -> Self {
        AppRef {
            organization_id: None,
            app_name: app_name.into(),
        }
    }

    /// The same app in organization `organization_id`.
    #[must_use]
    pub fn organization_id(mut self, organization_id: impl Into<String>) -> Self {
        self.organization_id = Some(organization_id.into());
        self
    }

    /// Stage `release_stage_sn` of workflow `release_workflow_sn` of this app.
    pub fn stage(
        &self,
        release_workflow_sn: impl Into<String>,
        release_stage_sn: impl Into<String>,
    ) -> StageRef {
        StageRef {
            app: self.clone(),
            release_workflow_sn: release_workflow_sn.into(),
            release_stage_sn: release_stage_sn.into(),
        }
    }
}

impl fmt::Display for AppRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "app {}", self.app_name)
    }
}

/// A release stage: app + workflow serial number + stage serial number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub struct StageRef {
    /// The app.
    #[serde(flatten)]
    pub app: AppRef,
    /// The release workflow's serial number.
    pub release_workflow_sn: String,
    /// The release stage's serial number.
    pub release_stage_sn: String,
}

impl StageRef {
    /// Stage `release_stage_sn` of workflow `release_workflow_sn` of app `app_name`.
    pub fn new(
        app_name: impl Into<String>,
        release_workflow_sn: impl Into<String>,
        release_stage_sn: impl Into<String>,
    ) -> Self {
        AppRef::new(app_name).stage(release_workflow_sn, release_stage_sn)
    }

    /// The same stage in organization `organization_id`.
    #[must_use]
    pub fn organization_id(mut self, organization_id: impl Into<String>) -> Self {
        self.app.organization_id = Some(organization_id.into());
        self
    }

    /// Run `execution_number` of this stage.
    pub fn run(&self, execution_number: u64) -> RunRef {
        RunRef {
            stage: self.clone(),
            execution_number,
        }
    }
}

impl fmt::Display for StageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stage {} (workflow {}, app {})",
            self.release_stage_sn, self.release_workflow_sn, self.app.app_name
        )
    }
}

/// One run of a release stage: the stage and its execution number.
///
/// The execution number is the `pipelineRunId` that ExecuteChangeRequestReleaseStage answers
/// (else its `object`), as the help center says; the specs call it the stage's "execution
/// record number", which is `number` in ListAppReleaseStageRuns. One type serves all three.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub struct RunRef {
    /// The stage.
    #[serde(flatten)]
    pub stage: StageRef,
    /// The execution number.
    pub execution_number: u64,
}

impl RunRef {
    /// Job `job_id` of this run (`jobs[].id` of GetReleaseStagePipelineRun).
    pub fn job(&self, job_id: u64) -> JobRef {
        JobRef {
            run: self.clone(),
            job_id,
        }
    }
}

impl fmt::Display for RunRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "run {} of {}", self.execution_number, self.stage)
    }
}

/// One job of a run: what pass, refuse, retry, skip and the job log act on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub struct JobRef {
    /// The run.
    #[serde(flatten)]
    pub run: RunRef,
    /// The job's id (`pipelineRun.stages[].stageInfo.jobs[].id`).
    pub job_id: u64,
}

impl fmt::Display for JobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job {} of {}", self.job_id, self.run)
    }
}

/// Path values shared by the stage-level calls.
pub(crate) fn stage_path_value(stage: &StageRef, name: &str) -> Option<String> {
    match name {
        "releaseWorkflowSn" => Some(stage.release_workflow_sn.clone()),
        "releaseStageSn" => Some(stage.release_stage_sn.clone()),
        _ => None,
    }
}

/// Path values shared by the run-level calls.
pub(crate) fn run_path_value(run: &RunRef, name: &str) -> Option<String> {
    match name {
        "executionNumber" => Some(run.execution_number.to_string()),
        other => stage_path_value(&run.stage, other),
    }
}
