//! ExecuteChangeRequestReleaseStage: start one run of a release stage — a deployment.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::error::Error;
use crate::operation::{
    Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo, StageRef, stage_path_value,
};
use crate::request::{ExecuteReleaseStageRequest, ReleaseBranchRepoInfo};
use crate::response::{ExecuteReleaseStageResponse, parse_execute};
use crate::{Client, blocking};

impl Operation for ExecuteReleaseStageRequest {
    type Output = ExecuteReleaseStageResponse;

    const INFO: OperationInfo = OperationInfo {
        name: "ExecuteChangeRequestReleaseStage",
        method_name: "execute_release_stage",
        http_method: HttpMethod::Post,
        path: "/apps/{appName}/releaseWorkflows/{releaseWorkflowSn}/releaseStages/{releaseStageSn}:execute",
        query: &[],
        effect: Effect::Mutating,
        summary: "Start one run of a release stage's pipeline (a deployment).",
        may_have_effect: "the release stage may have started",
    };

    const RESULT_KEYS: &'static [&'static str] = &["object", "pipelineId", "pipelineRunId"];

    fn app(&self) -> &AppRef {
        &self.stage().app
    }

    fn path_value(&self, name: &str) -> Option<String> {
        stage_path_value(self.stage(), name)
    }

    fn body(&self) -> Result<Option<Value>, Error> {
        ExecuteReleaseStageRequest::body(self).map(Some)
    }

    fn describe(&self) -> String {
        format!("starting a run of {}", self.stage())
    }

    fn parse(&self, answer: Answer) -> Result<Self::Output, Error> {
        parse_execute(&answer)
    }
    fn take_raw(output: &mut Self::Output) -> Option<Value> {
        Some(std::mem::take(&mut output.raw))
    }
}

/// The arguments of an execute call as plain data: what the bindings and the catalog use.
/// Converts into an [`ExecuteReleaseStageRequest`].
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ExecuteReleaseStageArgs {
    /// The stage to run.
    #[serde(flatten)]
    pub stage: StageRef,
    /// The run comment (`FLOW_INST_RUNNING_COMMENT`).
    #[serde(default)]
    pub comment: Option<String>,
    /// Pipeline variables, `name → value`.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Source branches, `sourceId → branch`.
    #[serde(default)]
    pub branches: BTreeMap<String, String>,
    /// Run with change requests instead of a branch (`releaseBranchRepoInfo`).
    #[serde(default)]
    pub release_branch_repo_info: Option<ReleaseBranchRepoInfo>,
    /// Raw extra entries of `params`, for anything newer than this crate.
    #[serde(default)]
    pub params: Option<Value>,
}

impl From<ExecuteReleaseStageArgs> for ExecuteReleaseStageRequest {
    fn from(args: ExecuteReleaseStageArgs) -> Self {
        let mut request = ExecuteReleaseStageRequest::for_stage(args.stage)
            .variables(args.variables)
            .branches(args.branches);
        if let Some(comment) = args.comment {
            request = request.comment(comment);
        }
        if let Some(info) = args.release_branch_repo_info {
            request = request.release_branch_repo_info(info);
        }
        if let Some(params) = args.params {
            request = request.extra_params(params);
        }
        request
    }
}

impl Client {
    /// Starts one run of a release stage (ExecuteChangeRequestReleaseStage).
    ///
    /// Sends the request once, and again only when the server certainly did not act on it (the
    /// connection never opened; a 429; a 503 with `Retry-After`), at most `max_retries` times.
    /// Each attempt has `request_timeout` from connecting to the last byte of the answer.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] before anything is sent when an id or parameter is invalid;
    /// otherwise the error of the last attempt — see [`Error::kind`], and
    /// [`Error::may_have_executed`] before retrying on your own.
    ///
    /// # Cancellation
    ///
    /// Dropping the future stops the call. If the request was already sent, the stage may
    /// have started and no error will say so: wrap the call in your own timeout only if you can
    /// check the stage's runs afterwards (the client's own timeouts return a typed error).
    pub async fn execute_release_stage(
        &self,
        request: &ExecuteReleaseStageRequest,
    ) -> Result<ExecuteReleaseStageResponse, Error> {
        self.send(request).await
    }
}

impl blocking::Client {
    /// Starts one run of a release stage, blocking the calling thread until the answer; see
    /// [`crate::Client::execute_release_stage`].
    pub fn execute_release_stage(
        &self,
        request: &ExecuteReleaseStageRequest,
    ) -> Result<ExecuteReleaseStageResponse, Error> {
        self.send(request)
    }
}
