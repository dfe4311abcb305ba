//! The calls that act on one job of a run: PassReleaseStagePipelineValidate and
//! RefuseReleaseStagePipelineValidate (a manual gate), RetryChangeRequestStagePipeline and
//! SkipChangeRequestStagePipeline (a failed job). All four are [`Effect::Mutating`]: never
//! repeated unless the server certainly did not act.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::operation::{
    Answer, AppRef, Effect, HttpMethod, JobRef, Operation, OperationInfo, run_path_value,
};
use crate::ops::{ActionOutcome, action_outcome};
use crate::{Client, blocking};

/// Declares one job-action call: its request type, its operation and its client methods.
macro_rules! job_action {
    (
        $(#[$doc:meta])*
        $name:ident, $method:ident, verb = $verb:literal, summary = $summary:literal,
        doing = $doing:literal, effect_text = $effect_text:literal, declined = $declined:literal
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
        pub struct $name {
            /// The job.
            #[serde(flatten)]
            pub job: JobRef,
        }

        impl Operation for $name {
            type Output = ActionOutcome;

            const INFO: OperationInfo = OperationInfo {
                name: stringify!($name),
                method_name: stringify!($method),
                http_method: HttpMethod::Post,
                path: concat!(
                    "/apps/{appName}/releaseWorkflows/{releaseWorkflowSn}/releaseStages/{releaseStageSn}/executions/{executionNumber}:",
                    $verb
                ),
                query: &["jobId"],
                effect: Effect::Mutating,
                summary: $summary,
                may_have_effect: $effect_text,
            };

            const RESULT_KEYS: &'static [&'static str] = &["success"];

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
                format!(concat!($doing, " {}"), self.job)
            }

            fn parse(&self, answer: Answer) -> Result<ActionOutcome, Error> {
                action_outcome(&answer, &format!(concat!("the server declined ", $declined, " {}"), self.job))
            }
            fn take_raw(output: &mut Self::Output) -> Option<serde_json::Value> {
                Some(std::mem::take(&mut output.raw))
            }
        }

        impl Client {
            #[doc = concat!($summary, " (", stringify!($name), "). Mutating: sent again only when the server certainly did not act. A `success: false` answer is an error.")]
            pub async fn $method(&self, job: &JobRef) -> Result<ActionOutcome, Error> {
                self.send(&$name { job: job.clone() }).await
            }
        }

        impl blocking::Client {
            #[doc = concat!("Blocking twin of [`Client::", stringify!($method), "`].")]
            pub fn $method(&self, job: &JobRef) -> Result<ActionOutcome, Error> {
                self.send(&$name { job: job.clone() })
            }
        }
    };
}

job_action! {
    /// The request of PassReleaseStagePipelineValidate: approve a manual gate.
    PassReleaseStagePipelineValidate, pass_pipeline_validate, verb = "passPipelineValidate",
    summary = "Approve the manual gate at a job of a run",
    doing = "approving the gate at", effect_text = "the gate may have been approved",
    declined = "to approve the gate at"
}

job_action! {
    /// The request of RefuseReleaseStagePipelineValidate: reject a manual gate.
    RefuseReleaseStagePipelineValidate, refuse_pipeline_validate, verb = "refusePipelineValidate",
    summary = "Reject the manual gate at a job of a run",
    doing = "rejecting the gate at", effect_text = "the gate may have been rejected",
    declined = "to reject the gate at"
}

job_action! {
    /// The request of RetryChangeRequestStagePipeline: run a failed job again.
    RetryChangeRequestStagePipeline, retry_pipeline_job, verb = "retry",
    summary = "Run a failed job of a run again",
    doing = "retrying", effect_text = "the job may have been started again",
    declined = "to retry"
}

job_action! {
    /// The request of SkipChangeRequestStagePipeline: skip a job and go on.
    SkipChangeRequestStagePipeline, skip_pipeline_job, verb = "skip",
    summary = "Skip a job of a run and go on with the next",
    doing = "skipping", effect_text = "the job may have been skipped",
    declined = "to skip"
}
