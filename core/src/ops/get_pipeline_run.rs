//! GetReleaseStagePipelineRun: one run of a stage, with its stages, jobs and their statuses.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::lenient::{JsonText, Obj, RunStatus, Timestamp};
use crate::operation::{
    Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo, RunRef, run_path_value,
};
use crate::{Client, blocking};

/// The request of GetReleaseStagePipelineRun.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct GetReleaseStagePipelineRun {
    /// The run.
    #[serde(flatten)]
    pub run: RunRef,
}

impl Operation for GetReleaseStagePipelineRun {
    type Output = PipelineRun;

    const INFO: OperationInfo = OperationInfo {
        name: "GetReleaseStagePipelineRun",
        method_name: "get_release_stage_pipeline_run",
        http_method: HttpMethod::Get,
        path: "/apps/{appName}/releaseWorkflows/{releaseWorkflowSn}/releaseStages/{releaseStageSn}/executions/{executionNumber}:getPipelineRun",
        query: &[],
        effect: Effect::ReadOnly,
        summary: "Get one run of a release stage: its status, stages and jobs.",
        may_have_effect: "",
    };

    const RESULT_KEYS: &'static [&'static str] = &["pipelineRun"];

    fn app(&self) -> &AppRef {
        &self.run.stage.app
    }

    fn path_value(&self, name: &str) -> Option<String> {
        run_path_value(&self.run, name)
    }

    fn describe(&self) -> String {
        format!("getting {}", self.run)
    }

    fn parse(&self, answer: Answer) -> Result<PipelineRun, Error> {
        let raw = answer.require_object()?;
        // `{"pipelineRun": {...}}` as documented; a bare run object is accepted too.
        let body = Obj::of(raw);
        let run = match raw.get("pipelineRun") {
            Some(run @ Value::Object(_)) => run,
            _ if body.has_any(&["status", "stages"]) => raw,
            _ => {
                return Err(answer.decode_error(format!(
                    "the answer has no pipelineRun object: {}",
                    crate::error::one_line(&raw.to_string(), crate::policy::ERROR_EXCERPT_CHARS)
                )));
            }
        };
        let mut parsed = PipelineRun::from_value(run, Value::Null);
        parsed.raw = answer.into_json();
        Ok(parsed)
    }
    fn take_raw(output: &mut Self::Output) -> Option<Value> {
        Some(std::mem::take(&mut output.raw))
    }
}

/// A pipeline run of a release stage (`pipelineRun`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct PipelineRun {
    /// The run's status: `RUNNING`, `SUCCESS`, `FAIL`, `CANCELED`… (absent: unknown).
    pub status: Option<RunStatus>,
    /// `pipelineId`.
    pub pipeline_id: Option<u64>,
    /// `pipelineRunId`.
    pub pipeline_run_id: Option<u64>,
    /// `createTime`.
    pub create_time: Option<Timestamp>,
    /// `updateTime`.
    pub update_time: Option<Timestamp>,
    /// `creator`: the creator's account id.
    pub creator: Option<String>,
    /// `modifier`.
    pub modifier: Option<String>,
    /// `triggerMode`: `1` manual, `2` scheduled, `3` code commit, `5` pipeline, `6` webhook.
    pub trigger_mode: Option<String>,
    /// `sources`: what the run built.
    pub sources: Vec<RunSource>,
    /// `stageTopo`: groups of stage indexes; a group runs in parallel, groups one after another.
    pub stage_topo: Vec<Vec<String>>,
    /// `stages`, in order.
    pub stages: Vec<PipelineStage>,
    /// The whole answer, as received.
    pub raw: Value,
}

impl PipelineRun {
    fn from_value(run: &Value, raw: Value) -> Self {
        let o = Obj::of(run);
        PipelineRun {
            status: o.status(&["status", "state"]),
            pipeline_id: o.u64("pipelineId"),
            pipeline_run_id: o.u64("pipelineRunId"),
            create_time: o.time("createTime"),
            update_time: o.time("updateTime"),
            creator: o.str_any(&["creator", "creatorAccountId"]),
            modifier: o.str_any(&["modifier", "modifierAccountId"]),
            trigger_mode: o.str("triggerMode"),
            sources: o.list("sources", RunSource::from_value),
            stage_topo: o.list_any(&["stageTopo", "stageGroup"], |group| match group {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                Value::String(single) => vec![single.clone()],
                _ => Vec::new(),
            }),
            stages: o.list("stages", PipelineStage::from_value),
            raw,
        }
    }

    /// Every job of every stage, with the stage it belongs to.
    pub fn jobs(&self) -> impl Iterator<Item = (&PipelineStage, &Job)> {
        self.stages
            .iter()
            .flat_map(|stage| stage.jobs.iter().map(move |job| (stage, job)))
    }

    /// The jobs that failed, with their stages.
    pub fn failed_jobs(&self) -> Vec<(&PipelineStage, &Job)> {
        self.jobs()
            .filter(|(_, job)| job.status.as_ref().is_some_and(RunStatus::is_failure))
            .collect()
    }

    /// The jobs waiting at a manual gate: an enabled PassPipelineValidate or
    /// RefusePipelineValidate action on a job that has not finished.
    pub fn waiting_gates(&self) -> Vec<(&PipelineStage, &Job)> {
        self.jobs()
            .filter(|(_, job)| job.is_waiting_for_approval())
            .collect()
    }
}

/// One input source of a run (`sources[]`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct RunSource {
    /// `type`, e.g. `CODEUP`.
    pub source_type: Option<String>,
    /// `sign`: the source's identifier.
    pub sign: Option<String>,
    /// `data.repo`.
    pub repo: Option<String>,
    /// `data.branch`.
    pub branch: Option<String>,
    /// `data.commit`.
    pub commit: Option<String>,
}

impl RunSource {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        let data = o.obj("data");
        RunSource {
            source_type: o.str("type"),
            sign: o.str("sign"),
            repo: data.str("repo"),
            branch: data.str("branch"),
            commit: data.str("commit"),
        }
    }
}

/// One stage of a pipeline run (`stages[]`, flattened with its `stageInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct PipelineStage {
    /// `name` (else `stageInfo.name`).
    pub name: Option<String>,
    /// `index`: its place in `stageTopo`, e.g. `Group0-Stage0`.
    pub index: Option<String>,
    /// `stageInfo.status`.
    pub status: Option<RunStatus>,
    /// `stageInfo.startTime`.
    pub start_time: Option<Timestamp>,
    /// `stageInfo.endTime`.
    pub end_time: Option<Timestamp>,
    /// `stageInfo.jobs`.
    pub jobs: Vec<Job>,
}

impl PipelineStage {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        let info = o.obj("stageInfo");
        PipelineStage {
            name: o.str("name").or_else(|| info.str("name")),
            index: o.str("index"),
            status: info
                .status(&["status", "state"])
                .or_else(|| o.status(&["status"])),
            start_time: info.time("startTime"),
            end_time: info.time("endTime"),
            jobs: info.list("jobs", Job::from_value),
        }
    }
}

/// One job of a stage (`stageInfo.jobs[]`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct Job {
    /// `id`: what pass, refuse, retry, skip and the job log take as `jobId`.
    pub id: Option<u64>,
    /// `name`.
    pub name: Option<String>,
    /// `jobSign`, e.g. `job-1`.
    pub job_sign: Option<String>,
    /// `status`.
    pub status: Option<RunStatus>,
    /// `startTime`.
    pub start_time: Option<Timestamp>,
    /// `endTime`.
    pub end_time: Option<Timestamp>,
    /// `params`: JSON text, parsed when valid.
    pub params: Option<JsonText>,
    /// `result`: JSON text, parsed when valid.
    pub result: Option<JsonText>,
    /// `actions`: what can be done on the job now (e.g. `PassPipelineValidate`).
    pub actions: Vec<JobAction>,
}

/// The action type that approves a manual gate.
pub const PASS_ACTION: &str = "PassPipelineValidate";
/// The action type that rejects a manual gate.
pub const REFUSE_ACTION: &str = "RefusePipelineValidate";

impl Job {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        Job {
            id: o.u64_any(&["id", "jobId"]),
            name: o.str("name"),
            job_sign: o.str("jobSign"),
            status: o.status(&["status", "state"]),
            start_time: o.time("startTime"),
            end_time: o.time("endTime"),
            params: o.json_text("params"),
            result: o.json_text("result"),
            actions: o.list("actions", JobAction::from_value),
        }
    }

    /// Whether the job waits at a manual gate: it has an enabled `PassPipelineValidate` or
    /// `RefusePipelineValidate` action and has not finished.
    pub fn is_waiting_for_approval(&self) -> bool {
        let finished = self.status.as_ref().is_some_and(RunStatus::is_terminal);
        !finished
            && self.actions.iter().any(|action| {
                !action.disable.unwrap_or(false)
                    && matches!(
                        action.action_type.as_deref(),
                        Some(PASS_ACTION | REFUSE_ACTION)
                    )
            })
    }
}

/// One action of a job (`actions[]`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct JobAction {
    /// `type`, e.g. `PassPipelineValidate`.
    pub action_type: Option<String>,
    /// `disable`: whether the action is disabled now.
    pub disable: Option<bool>,
    /// `params`: JSON text (or an object), parsed when valid.
    pub params: Option<JsonText>,
}

impl JobAction {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        JobAction {
            action_type: o.str("type"),
            disable: o.bool("disable"),
            params: o.json_text("params"),
        }
    }
}

impl Client {
    /// Gets one run of a release stage: its status, stages and jobs
    /// (GetReleaseStagePipelineRun). A read: retried after transient failures.
    pub async fn get_release_stage_pipeline_run(&self, run: &RunRef) -> Result<PipelineRun, Error> {
        self.send(&GetReleaseStagePipelineRun { run: run.clone() })
            .await
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::get_release_stage_pipeline_run`].
    pub fn get_release_stage_pipeline_run(&self, run: &RunRef) -> Result<PipelineRun, Error> {
        self.send(&GetReleaseStagePipelineRun { run: run.clone() })
    }
}
