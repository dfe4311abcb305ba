//! GetAppReleaseStageExecutionPipelineJobLog: a job's log.
//!
//! The call has no offset or cursor, and whether `content` is the whole log so far or the next
//! chunk is not documented; [`crate::Client::follow_job_log`] handles both. The sandbox models
//! "the whole log so far", with `more` true until the job ends.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::lenient::Obj;
use crate::operation::{
    Answer, AppRef, Effect, HttpMethod, JobRef, Operation, OperationInfo, run_path_value,
};
use crate::{Client, blocking};

/// The request of GetAppReleaseStageExecutionPipelineJobLog.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct GetAppReleaseStageExecutionPipelineJobLog {
    /// The job.
    #[serde(flatten)]
    pub job: JobRef,
}

/// A job's log.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct JobLog {
    /// `content`: the log text.
    pub content: String,
    /// `more` (one spec) or `hasMore` (the other): whether more is to come.
    pub more: bool,
    /// The whole answer, as received.
    pub raw: Value,
}

impl Operation for GetAppReleaseStageExecutionPipelineJobLog {
    type Output = JobLog;

    const INFO: OperationInfo = OperationInfo {
        name: "GetAppReleaseStageExecutionPipelineJobLog",
        method_name: "get_pipeline_job_log",
        http_method: HttpMethod::Get,
        path: "/apps/{appName}/releaseWorkflows/{releaseWorkflowSn}/releaseStages/{releaseStageSn}/executions/{executionNumber}:pipelineJobLog",
        query: &["jobId"],
        effect: Effect::ReadOnly,
        summary: "Get the log of a job of a run.",
        may_have_effect: "",
    };

    const RESULT_KEYS: &'static [&'static str] = &["content", "more", "hasMore"];

    fn app(&self) -> &AppRef {
        &self.job.run.stage.app
    }

    fn path_value(&self, name: &str) -> Option<String> {
        run_path_value(&self.job.run, name)
    }

    fn query(&self) -> Result<Vec<(&'static str, String)>, Error> {
        Ok(vec![("jobId", self.job.job_id.to_string())])
    }

    fn describe(&self) -> String {
        format!("getting the log of {}", self.job)
    }

    fn parse(&self, answer: Answer) -> Result<JobLog, Error> {
        let o = Obj::of(answer.require_object()?);
        let content = o.str_any(&["content", "log"]).unwrap_or_default();
        let more = o.bool_any(&["more", "hasMore"]).unwrap_or(false);
        Ok(JobLog {
            content,
            more,
            raw: answer.into_json(),
        })
    }
    fn take_raw(output: &mut Self::Output) -> Option<Value> {
        Some(std::mem::take(&mut output.raw))
    }
}

impl Client {
    /// Gets a job's log (GetAppReleaseStageExecutionPipelineJobLog).
    pub async fn get_pipeline_job_log(&self, job: &JobRef) -> Result<JobLog, Error> {
        self.send(&GetAppReleaseStageExecutionPipelineJobLog { job: job.clone() })
            .await
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::get_pipeline_job_log`].
    pub fn get_pipeline_job_log(&self, job: &JobRef) -> Result<JobLog, Error> {
        self.send(&GetAppReleaseStageExecutionPipelineJobLog { job: job.clone() })
    }
}
