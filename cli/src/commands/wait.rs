//! Seeing a run through: `run wait`, `release-stage execute --wait`, `run log --follow`.
//!
//! Core waits (its poll schedule, its deadline, its events, its cancel on abort); this module
//! wires Ctrl-C to core's abort handle, shows the events, and maps the outcome to an exit code.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::time::Instant;

use serde_json::json;
use yunxiao_appstack::{
    AbortHandle, JobSummary, OnApproval, RunEvent, RunOutcome, RunStatus, WaitOptions, WaitState,
};

use super::{Interrupts, finish};
use crate::args::{LogArgs, OnApprovalArg, Output, RunWaitArgs, WaitArgs};
use crate::context::Context;
use crate::exit::Exit;
use crate::output::{CallKind, now, print, print_json};

/// Core's wait options for the flags, with progress shown and Ctrl-C wired to `abort`.
pub fn options(args: &WaitArgs, output: Output, abort: &AbortHandle) -> WaitOptions {
    let mut options = WaitOptions::new()
        .follow_logs(args.follow)
        .cancel_on_abort(args.cancel_on_interrupt)
        .abort_handle(abort.clone());
    if let Some(on_approval) = args.on_approval {
        options = options.on_approval(match on_approval {
            OnApprovalArg::Wait => OnApproval::Wait,
            OnApprovalArg::Stop => OnApproval::Stop,
        });
    }
    if let Some(deadline) = args.wait_timeout {
        options = options.deadline(deadline);
    }
    let progress = Progress::new(output);
    options.on_event(move |event| progress.event(event))
}

/// Shows a wait's events: JSON lines on stdout with `--output json`; else one line each on
/// stderr, with a timestamp when stderr is not a terminal (a log file, CI), with the time
/// since the start on a terminal.
struct Progress {
    output: Output,
    terminal: bool,
    started: Instant,
}

impl Progress {
    fn new(output: Output) -> Self {
        Progress {
            output,
            terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
        }
    }

    fn event(&self, event: &RunEvent) {
        match self.output {
            Output::Json => print_json(event),
            Output::Text => self.line(&event.describe()),
        }
    }

    fn line(&self, text: &str) {
        let stamp = if self.terminal {
            format!("{:>7.1}s", self.started.elapsed().as_secs_f64())
        } else {
            now()
        };
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{stamp} {text}");
    }
}

/// Runs `wait` with Ctrl-C wired to `abort`: the first Ctrl-C aborts the wait (core stops
/// polling, and cancels the run only when told to); a second one exits at once.
pub async fn with_interrupts<T>(abort: &AbortHandle, wait: impl Future<Output = T>) -> T {
    // Listening starts before the first poll, so that no Ctrl-C is missed.
    let mut interrupts = Interrupts::new();
    let twice = async {
        interrupts.next().await;
        abort.abort();
        eprintln!("interrupted: stopping the wait (Ctrl-C again to exit at once)");
        interrupts.next().await;
    };
    tokio::select! {
        result = wait => result,
        () = twice => {
            eprintln!("interrupted again: exiting at once (a cancel may be in flight)");
            std::process::exit(Exit::Interrupted as i32)
        }
    }
}

/// The exit status of an outcome.
pub fn exit_for(outcome: &RunOutcome) -> Exit {
    match outcome.state {
        WaitState::Succeeded => Exit::Success,
        WaitState::Failed => Exit::RunFailed,
        WaitState::Canceled => Exit::RunCanceled,
        WaitState::DeadlineExceeded => Exit::WaitDeadline,
        WaitState::WaitingForApproval => Exit::StoppedAtGate,
        WaitState::Aborted => Exit::Interrupted,
        // A state newer than this binary: not a success.
        _ => Exit::ApiError,
    }
}

fn job(summary: &JobSummary) -> String {
    let name = summary.job.as_deref().unwrap_or("?");
    let id = summary
        .job_id
        .map(|id| format!(" (job id {id})"))
        .unwrap_or_default();
    let stage = summary
        .stage
        .as_deref()
        .map(|s| format!(" of stage {s}"))
        .unwrap_or_default();
    let status = summary
        .status
        .as_ref()
        .map(|s| format!(": {s}"))
        .unwrap_or_default();
    format!("job {name}{id}{stage}{status}")
}

/// One line on how the wait ended, for people.
pub fn summary(outcome: &RunOutcome) -> String {
    let n = outcome.run.execution_number;
    let secs = outcome.elapsed_ms as f64 / 1000.0;
    let status = outcome.status.as_ref().map_or("unknown", RunStatus::as_str);
    match outcome.state {
        WaitState::Succeeded => format!("run {n} succeeded"),
        WaitState::Failed => {
            let failed: Vec<String> = outcome.failed_jobs.iter().map(job).collect();
            if failed.is_empty() {
                format!("run {n} failed ({status})")
            } else {
                format!("run {n} failed ({status}): {}", failed.join("; "))
            }
        }
        WaitState::Canceled => format!("run {n} was canceled"),
        WaitState::DeadlineExceeded => format!(
            "stopped waiting after {secs:.1} s (--wait-timeout): run {n} goes on ({status})"
        ),
        WaitState::WaitingForApproval => match &outcome.gate {
            Some(gate) => format!(
                "run {n} waits for approval at {}; approve or reject it with `run approve|reject --number {n} --job {}`",
                job(gate),
                gate.job_id.map_or("ID".to_owned(), |id| id.to_string())
            ),
            None => format!("run {n} waits for approval"),
        },
        WaitState::Aborted => match &outcome.cancel {
            Some(cancel) if cancel.already_finished => format!(
                "interrupted: run {n} had already finished ({}); nothing to cancel",
                cancel
                    .run_status
                    .as_ref()
                    .map_or("unknown", RunStatus::as_str)
            ),
            Some(_) => format!("interrupted: canceled run {n}"),
            None => format!(
                "interrupted: stopped waiting; run {n} goes on ({status}); `run wait --number {n}` waits again"
            ),
        },
        _ => format!("run {n}: the wait ended ({})", outcome.state.as_str()),
    }
}

/// `run wait`.
pub async fn run_wait(cx: &Context, args: RunWaitArgs) -> Exit {
    let output = cx.global.output;
    let abort = AbortHandle::new();
    let call = async {
        let client = cx.client()?;
        let run = cx.run(Some(&client), &args.run).await?;
        let options = options(&args.wait, output, &abort);
        let outcome = with_interrupts(&abort, client.wait_for_run(&run, &options)).await?;
        match output {
            Output::Json => print_json(&json!({"event": "outcome", "outcome": outcome})),
            Output::Text => {
                eprintln!("{}", summary(&outcome));
                print(outcome.status.as_ref().map_or("unknown", RunStatus::as_str));
            }
        }
        Ok(exit_for(&outcome))
    };
    finish(cx, call.await, CallKind::READ)
}

/// `run log --follow`: new lines as the log grows, each once, until the job ends (or Ctrl-C).
pub async fn follow_log(cx: &Context, args: LogArgs) -> Exit {
    let output = cx.global.output;
    let abort = AbortHandle::new();
    let call = async {
        let client = cx.client()?;
        let job = cx.job(Some(&client), &args.job).await?;
        let options = WaitOptions::new().abort_handle(abort.clone());
        let lines = with_interrupts(
            &abort,
            client.follow_job_log(&job, &options, move |line| match output {
                Output::Text => print(line),
                Output::Json => print_json(&json!({"line": line})),
            }),
        )
        .await?;
        if abort.is_aborted() {
            eprintln!("interrupted after {lines} lines");
            return Ok(Exit::Interrupted);
        }
        Ok(Exit::Success)
    };
    finish(cx, call.await, CallKind::READ)
}
