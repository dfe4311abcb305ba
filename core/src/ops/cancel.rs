//! CancelExecutionReleaseStage: stop a run.
//!
//! Cancel is [`Effect::Idempotent`]: cancelling twice does no harm, so it is retried like a
//! read. The price is that a retry (or a run that ended meanwhile) can meet a run that has
//! already finished; the server then answers `{"success": false}`, and
//! [`Client::cancel_release_stage_execution`] reads the run to tell "already finished" (a
//! result) from "refused" (an error).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::lenient::{Obj, RunStatus};
use crate::operation::{
    Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo, RunRef, run_path_value,
};
use crate::{Client, blocking};

/// The request of CancelExecutionReleaseStage.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CancelExecutionReleaseStage {
    /// The run to cancel.
    #[serde(flatten)]
    pub run: RunRef,
}

/// The raw answer of the cancel call: `success` when the answer says (an empty body, which
/// one spec allows, counts as accepted).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct CancelAnswer {
    /// `success`.
    pub success: Option<bool>,
    /// The whole answer (`null` for an empty body).
    pub raw: Value,
}

impl Operation for CancelExecutionReleaseStage {
    type Output = CancelAnswer;

    const INFO: OperationInfo = OperationInfo {
        name: "CancelExecutionReleaseStage",
        method_name: "cancel_release_stage_execution",
        http_method: HttpMethod::Post,
        path: "/apps/{appName}/releaseWorkflows/{releaseWorkflowSn}/releaseStages/{releaseStageSn}/executions/{executionNumber}:cancel",
        query: &[],
        effect: Effect::Idempotent,
        summary: "Cancel a run of a release stage (harmless to repeat).",
        may_have_effect: "the run may have been canceled",
    };

    fn app(&self) -> &AppRef {
        &self.run.stage.app
    }

    fn path_value(&self, name: &str) -> Option<String> {
        run_path_value(&self.run, name)
    }

    fn describe(&self) -> String {
        format!("canceling {}", self.run)
    }

    fn parse(&self, answer: Answer) -> Result<CancelAnswer, Error> {
        let success = match &answer.json {
            None | Some(Value::Null) => None,
            Some(Value::Bool(flag)) => Some(*flag),
            Some(value) => Obj::of(value).bool("success"),
        };
        Ok(CancelAnswer {
            success,
            raw: answer.into_json(),
        })
    }
    fn take_raw(output: &mut Self::Output) -> Option<Value> {
        Some(std::mem::take(&mut output.raw))
    }
}

/// What cancelling a run did.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct CancelOutcome {
    /// The server accepted the cancel.
    pub canceled: bool,
    /// The run had already finished (the server answered `success: false`, and the run's status
    /// is terminal): nothing was canceled, and nothing needed to be.
    pub already_finished: bool,
    /// The run's status, when it was read (after an `already_finished`).
    pub run_status: Option<RunStatus>,
    /// The cancel call's answer.
    pub raw: Value,
}

impl Client {
    /// Cancels a run (CancelExecutionReleaseStage). Harmless to repeat, so it is retried like
    /// a read.
    ///
    /// When the server answers `success: false`, the run is read: if it has finished, the
    /// outcome says `already_finished` (with its status) — the usual reason, e.g. after a retry
    /// of a cancel that had worked. If it is still going, the server refused: an
    /// [`crate::ErrorKind::ApiStatus`] error.
    pub async fn cancel_release_stage_execution(
        &self,
        run: &RunRef,
    ) -> Result<CancelOutcome, Error> {
        let answer = self
            .send(&CancelExecutionReleaseStage { run: run.clone() })
            .await?;
        if answer.success != Some(false) {
            return Ok(CancelOutcome {
                canceled: true,
                already_finished: false,
                run_status: None,
                raw: answer.raw,
            });
        }
        let status = self.get_release_stage_pipeline_run(run).await?.status;
        if status.as_ref().is_some_and(RunStatus::is_terminal) {
            return Ok(CancelOutcome {
                canceled: false,
                already_finished: true,
                run_status: status,
                raw: answer.raw,
            });
        }
        let shown = status.as_ref().map_or("unknown", RunStatus::as_str);
        Err(Error::Api(Box::new(crate::ApiError {
            status: 200,
            error_code: None,
            error_message: Some(format!(
                "the server declined to cancel {run}, which is still {shown} (the answer says success: false)"
            )),
            request_id: None,
            trace_id: None,
            retry_after: None,
            body: answer.raw.to_string(),
            call: crate::operation::CallInfo::of::<CancelExecutionReleaseStage>(format!(
                "canceling {run}"
            )),
        })))
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::cancel_release_stage_execution`].
    pub fn cancel_release_stage_execution(&self, run: &RunRef) -> Result<CancelOutcome, Error> {
        let run = run.clone();
        self.run(move |client| async move { client.cancel_release_stage_execution(&run).await })
    }
}
