//! The commands that change a run: cancel, and approve / reject / retry / skip a job. Each
//! takes `--dry-run`.

use yunxiao_appstack::ops::cancel::CancelExecutionReleaseStage;
use yunxiao_appstack::ops::job_actions::{
    PassReleaseStagePipelineValidate, RefuseReleaseStagePipelineValidate,
    RetryChangeRequestStagePipeline, SkipChangeRequestStagePipeline,
};
use yunxiao_appstack::{ActionOutcome, CancelOutcome, Error, JobRef, Operation, RunStatus};

use super::{dry_run, finish, interruptible, live, setup};
use crate::args::{JobActionArgs, RunActionArgs};
use crate::context::Context;
use crate::exit::Exit;
use crate::output::{CallKind, emit};

/// What a cancel error may have left behind.
const CANCEL: CallKind =
    CallKind::change(&CancelExecutionReleaseStage::INFO, "nothing was canceled");

/// `run cancel`.
pub async fn cancel(cx: &Context, args: RunActionArgs) -> Exit {
    let call = async {
        let (config, client) = setup(cx, args.dry_run, &args.run.stage)?;
        let run = cx.run(client.as_ref(), &args.run).await?;
        if args.dry_run {
            return dry_run(
                config,
                &CancelExecutionReleaseStage { run },
                cx.global.output,
            );
        }
        let outcome = live(client)?.cancel_release_stage_execution(&run).await?;
        emit(cx.global.output, &outcome, |o: &CancelOutcome| {
            if o.already_finished {
                format!(
                    "run {} had already finished ({}): nothing to cancel",
                    run.execution_number,
                    o.run_status.as_ref().map_or("-", RunStatus::as_str)
                )
            } else {
                format!("canceled run {}", run.execution_number)
            }
        });
        Ok(Exit::Success)
    };
    finish(cx, interruptible(call, CANCEL).await, CANCEL)
}

/// The four calls on one job.
#[derive(Debug, Clone, Copy)]
pub enum JobAction {
    Approve,
    Reject,
    Retry,
    Skip,
}

impl JobAction {
    fn kind(self) -> CallKind {
        match self {
            JobAction::Approve => CallKind::change(
                &PassReleaseStagePipelineValidate::INFO,
                "the gate was not approved",
            ),
            JobAction::Reject => CallKind::change(
                &RefuseReleaseStagePipelineValidate::INFO,
                "the gate was not rejected",
            ),
            JobAction::Retry => CallKind::change(
                &RetryChangeRequestStagePipeline::INFO,
                "the job was not started again",
            ),
            JobAction::Skip => CallKind::change(
                &SkipChangeRequestStagePipeline::INFO,
                "the job was not skipped",
            ),
        }
    }

    fn done(self, job: &JobRef) -> String {
        let what = match self {
            JobAction::Approve => "approved the gate at",
            JobAction::Reject => "rejected the gate at",
            JobAction::Retry => "started again",
            JobAction::Skip => "skipped",
        };
        format!(
            "{what} job {} of run {}",
            job.job_id, job.run.execution_number
        )
    }
}

/// `run approve|reject|retry-job|skip-job`.
pub async fn job(cx: &Context, args: JobActionArgs, action: JobAction) -> Exit {
    let kind = action.kind();
    let call = async {
        let (config, client) = setup(cx, args.dry_run, &args.job.run.stage)?;
        let job = cx.job(client.as_ref(), &args.job).await?;
        let output = cx.global.output;
        if args.dry_run {
            let job = job.clone();
            return match action {
                JobAction::Approve => {
                    dry_run(config, &PassReleaseStagePipelineValidate { job }, output)
                }
                JobAction::Reject => {
                    dry_run(config, &RefuseReleaseStagePipelineValidate { job }, output)
                }
                JobAction::Retry => {
                    dry_run(config, &RetryChangeRequestStagePipeline { job }, output)
                }
                JobAction::Skip => dry_run(config, &SkipChangeRequestStagePipeline { job }, output),
            };
        }
        let client = live(client)?;
        let outcome: Result<ActionOutcome, Error> = match action {
            JobAction::Approve => client.pass_pipeline_validate(&job).await,
            JobAction::Reject => client.refuse_pipeline_validate(&job).await,
            JobAction::Retry => client.retry_pipeline_job(&job).await,
            JobAction::Skip => client.skip_pipeline_job(&job).await,
        };
        emit(output, &outcome?, |_| action.done(&job));
        Ok(Exit::Success)
    };
    finish(cx, interruptible(call, kind).await, kind)
}
