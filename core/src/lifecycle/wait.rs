//! Waiting for a run to end: polls on a growing schedule, progress events, manual gates, a
//! deadline, and an abort that stops the wait — never the run, unless asked.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};
use crate::lenient::RunStatus;
use crate::lifecycle::abort::{self, AbortHandle};
use crate::lifecycle::logs::{LogFollower, grow};
use crate::operation::RunRef;
use crate::ops::cancel::CancelOutcome;
use crate::ops::get_pipeline_run::{Job, PipelineRun, PipelineStage};
use crate::request::ExecuteReleaseStageRequest;
use crate::response::ExecuteReleaseStageResponse;
use crate::{Client, blocking, policy};

/// What a wait does when the run reaches a manual approval gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnApproval {
    /// Report it (a [`RunEvent::WaitingForApproval`]) and keep waiting for someone to decide.
    #[default]
    Wait,
    /// Stop, returning [`WaitState::WaitingForApproval`] with the gate's job.
    Stop,
}

/// A callback that receives every progress event of a wait.
pub type EventCallback = Arc<dyn Fn(&RunEvent) + Send + Sync>;

/// How to wait for a run.
#[derive(Clone)]
#[non_exhaustive]
pub struct WaitOptions {
    /// The longest the whole wait may take (default [`policy::DEFAULT_WAIT_DEADLINE`]).
    pub deadline: Duration,
    /// What to do at a manual gate.
    pub on_approval: OnApproval,
    /// Also fetch the logs of running jobs and emit [`RunEvent::LogLine`]s.
    pub follow_logs: bool,
    /// When the wait is aborted, send CancelExecutionReleaseStage (off: the run goes on).
    pub cancel_on_abort: bool,
    /// The first pause between polls ([`policy::WAIT_POLL_INITIAL`]).
    pub poll_initial: Duration,
    /// The longest pause between polls ([`policy::WAIT_POLL_MAX`]).
    pub poll_max: Duration,
    /// Stops the wait when aborted.
    pub abort: Option<AbortHandle>,
    /// Receives every progress event.
    pub on_event: Option<EventCallback>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            deadline: policy::DEFAULT_WAIT_DEADLINE,
            on_approval: OnApproval::Wait,
            follow_logs: false,
            cancel_on_abort: false,
            poll_initial: policy::WAIT_POLL_INITIAL,
            poll_max: policy::WAIT_POLL_MAX,
            abort: None,
            on_event: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("deadline", &self.deadline)
            .field("on_approval", &self.on_approval)
            .field("follow_logs", &self.follow_logs)
            .field("cancel_on_abort", &self.cancel_on_abort)
            .field("poll_initial", &self.poll_initial)
            .field("poll_max", &self.poll_max)
            .field("abort", &self.abort.is_some())
            .field("on_event", &self.on_event.is_some())
            .finish()
    }
}

impl WaitOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the deadline of the whole wait.
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets what to do at a manual gate.
    #[must_use]
    pub fn on_approval(mut self, on_approval: OnApproval) -> Self {
        self.on_approval = on_approval;
        self
    }

    /// Follows the logs of running jobs.
    #[must_use]
    pub fn follow_logs(mut self, follow: bool) -> Self {
        self.follow_logs = follow;
        self
    }

    /// Cancels the run when the wait is aborted.
    #[must_use]
    pub fn cancel_on_abort(mut self, cancel: bool) -> Self {
        self.cancel_on_abort = cancel;
        self
    }

    /// Sets the poll schedule: the first pause and the longest.
    #[must_use]
    pub fn poll_schedule(mut self, initial: Duration, max: Duration) -> Self {
        self.poll_initial = initial;
        self.poll_max = max.max(initial);
        self
    }

    /// Stops the wait when `abort` is aborted.
    #[must_use]
    pub fn abort_handle(mut self, abort: AbortHandle) -> Self {
        self.abort = Some(abort);
        self
    }

    /// Calls `on_event` with every progress event.
    #[must_use]
    pub fn on_event(mut self, on_event: impl Fn(&RunEvent) + Send + Sync + 'static) -> Self {
        self.on_event = Some(Arc::new(on_event));
        self
    }

    fn emit(&self, event: RunEvent) {
        if let Some(on_event) = &self.on_event {
            on_event(&event);
        }
    }
}

/// A progress event of a wait.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunEvent {
    /// The run's status changed (the first poll reports the first status).
    RunStatusChanged {
        /// The new status.
        status: RunStatus,
        /// The one before, if any was seen.
        previous: Option<RunStatus>,
    },
    /// A stage of the run started.
    StageStarted {
        /// Its name.
        stage: String,
    },
    /// A stage of the run ended.
    StageFinished {
        /// Its name.
        stage: String,
        /// How it ended.
        status: RunStatus,
        /// How long it ran, when the answer had both times.
        duration_ms: Option<u64>,
    },
    /// A job started.
    JobStarted {
        /// Its stage's name.
        stage: String,
        /// Its id.
        job_id: Option<u64>,
        /// Its name.
        job: String,
    },
    /// A job ended.
    JobFinished {
        /// Its stage's name.
        stage: String,
        /// Its id.
        job_id: Option<u64>,
        /// Its name.
        job: String,
        /// How it ended.
        status: RunStatus,
        /// How long it ran, when the answer had both times.
        duration_ms: Option<u64>,
    },
    /// A job waits at a manual gate for PassPipelineValidate or RefusePipelineValidate.
    WaitingForApproval {
        /// Its stage's name.
        stage: String,
        /// The job id that pass/refuse take.
        job_id: Option<u64>,
        /// Its name.
        job: String,
    },
    /// A new line of a job's log.
    LogLine {
        /// The job's id.
        job_id: u64,
        /// Its name.
        job: String,
        /// The line, without its newline.
        line: String,
    },
    /// The server rate-limited the polls; the next one comes after this pause.
    Throttled {
        /// The pause before the next poll.
        delay_ms: u64,
    },
}

impl RunEvent {
    /// One line for people: `job Build (1001) finished: SUCCESS in 20.0 s`.
    pub fn describe(&self) -> String {
        let id = |id: &Option<u64>| id.map(|id| format!(" ({id})")).unwrap_or_default();
        let took = |ms: &Option<u64>| {
            ms.map(|ms| format!(" in {:.1} s", ms as f64 / 1000.0))
                .unwrap_or_default()
        };
        match self {
            RunEvent::RunStatusChanged { status, previous } => match previous {
                Some(previous) => format!("run {previous} → {status}"),
                None => format!("run {status}"),
            },
            RunEvent::StageStarted { stage } => format!("stage {stage} started"),
            RunEvent::StageFinished {
                stage,
                status,
                duration_ms,
            } => format!("stage {stage} finished: {status}{}", took(duration_ms)),
            RunEvent::JobStarted { stage, job_id, job } => {
                format!("job {job}{} of stage {stage} started", id(job_id))
            }
            RunEvent::JobFinished {
                stage,
                job_id,
                job,
                status,
                duration_ms,
            } => format!(
                "job {job}{} of stage {stage} finished: {status}{}",
                id(job_id),
                took(duration_ms)
            ),
            RunEvent::WaitingForApproval { stage, job_id, job } => format!(
                "job {job}{} of stage {stage} waits for approval (approve or reject it)",
                id(job_id)
            ),
            RunEvent::LogLine { job, line, .. } => format!("[{job}] {line}"),
            RunEvent::Throttled { delay_ms } => {
                format!(
                    "rate limited; next poll in {:.1} s",
                    *delay_ms as f64 / 1000.0
                )
            }
        }
    }
}

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WaitState {
    /// The run succeeded.
    Succeeded,
    /// The run failed (`FAIL`/`FAILED`): see [`RunOutcome::failed_jobs`].
    Failed,
    /// The run was canceled.
    Canceled,
    /// The run waits at a manual gate and the wait was told to stop there.
    WaitingForApproval,
    /// The wait's deadline passed; the run goes on.
    DeadlineExceeded,
    /// The wait was aborted; the run goes on unless [`RunOutcome::cancel`] says otherwise.
    Aborted,
}

impl WaitState {
    /// `succeeded`, `failed`, …
    pub fn as_str(self) -> &'static str {
        match self {
            WaitState::Succeeded => "succeeded",
            WaitState::Failed => "failed",
            WaitState::Canceled => "canceled",
            WaitState::WaitingForApproval => "waiting_for_approval",
            WaitState::DeadlineExceeded => "deadline_exceeded",
            WaitState::Aborted => "aborted",
        }
    }
}

/// A job named in an outcome.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct JobSummary {
    /// Its stage's name.
    pub stage: Option<String>,
    /// Its id.
    pub job_id: Option<u64>,
    /// Its name.
    pub job: Option<String>,
    /// Its status.
    pub status: Option<RunStatus>,
}

impl JobSummary {
    fn of(stage: &PipelineStage, job: &Job) -> Self {
        JobSummary {
            stage: stage.name.clone(),
            job_id: job.id,
            job: job.name.clone(),
            status: job.status.clone(),
        }
    }
}

/// How a wait ended, and the run as last seen.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct RunOutcome {
    /// The run.
    pub run: RunRef,
    /// How the wait ended.
    pub state: WaitState,
    /// The run's last status seen.
    pub status: Option<RunStatus>,
    /// The failed jobs, with their ids (for a failed run).
    pub failed_jobs: Vec<JobSummary>,
    /// The job waiting at a manual gate (for [`WaitState::WaitingForApproval`]).
    pub gate: Option<JobSummary>,
    /// Polls sent.
    pub polls: u32,
    /// How long the wait took.
    pub elapsed_ms: u64,
    /// The cancel sent because the wait was aborted with `cancel_on_abort`.
    pub cancel: Option<CancelOutcome>,
    /// The run as last seen.
    pub last: Option<PipelineRun>,
}

impl RunOutcome {
    /// Whether the run succeeded.
    pub fn succeeded(&self) -> bool {
        self.state == WaitState::Succeeded
    }
}

/// What a wait has seen so far, to turn successive polls into events.
#[derive(Default)]
struct Tracker {
    run_status: Option<RunStatus>,
    stages: HashMap<String, RunStatus>,
    jobs: HashMap<String, RunStatus>,
    gates: HashSet<String>,
    logs: HashMap<u64, LogFollower>,
    logs_done: HashSet<u64>,
}

fn duration_ms(start: Option<&crate::Timestamp>, end: Option<&crate::Timestamp>) -> Option<u64> {
    let (start, end) = (start?.epoch_millis?, end?.epoch_millis?);
    u64::try_from(end.checked_sub(start)?).ok()
}

fn finished(status: &RunStatus) -> bool {
    status.is_terminal() || *status == RunStatus::Skipped
}

impl Tracker {
    /// The events between the last poll and `run`.
    fn observe(&mut self, run: &PipelineRun, options: &WaitOptions) {
        for (index, stage) in run.stages.iter().enumerate() {
            let name = stage.name.clone().unwrap_or_else(|| format!("#{index}"));
            let key = stage
                .index
                .clone()
                .unwrap_or_else(|| format!("{index}:{name}"));
            if let Some(status) = &stage.status {
                let before = self.stages.insert(key.clone(), status.clone());
                let was_started = before.as_ref().is_some_and(|s| *s != RunStatus::Init);
                if *status != RunStatus::Init && !was_started && !finished(status) {
                    options.emit(RunEvent::StageStarted {
                        stage: name.clone(),
                    });
                }
                if finished(status) && !before.as_ref().is_some_and(finished) {
                    options.emit(RunEvent::StageFinished {
                        stage: name.clone(),
                        status: status.clone(),
                        duration_ms: duration_ms(
                            stage.start_time.as_ref(),
                            stage.end_time.as_ref(),
                        ),
                    });
                }
            }
            for (job_index, job) in stage.jobs.iter().enumerate() {
                let job_name = job.name.clone().unwrap_or_else(|| format!("#{job_index}"));
                let job_key = job
                    .id
                    .map(|id| id.to_string())
                    .unwrap_or_else(|| format!("{key}/{job_index}"));
                if let Some(status) = &job.status {
                    let before = self.jobs.insert(job_key.clone(), status.clone());
                    let was_started = before.as_ref().is_some_and(|s| *s != RunStatus::Init);
                    if *status != RunStatus::Init && !was_started && !finished(status) {
                        options.emit(RunEvent::JobStarted {
                            stage: name.clone(),
                            job_id: job.id,
                            job: job_name.clone(),
                        });
                    }
                    if finished(status) && !before.as_ref().is_some_and(finished) {
                        options.emit(RunEvent::JobFinished {
                            stage: name.clone(),
                            job_id: job.id,
                            job: job_name.clone(),
                            status: status.clone(),
                            duration_ms: duration_ms(
                                job.start_time.as_ref(),
                                job.end_time.as_ref(),
                            ),
                        });
                    }
                }
                if job.is_waiting_for_approval() {
                    if self.gates.insert(job_key.clone()) {
                        options.emit(RunEvent::WaitingForApproval {
                            stage: name.clone(),
                            job_id: job.id,
                            job: job_name.clone(),
                        });
                    }
                } else {
                    // A gate that is decided and reached again (after a retry) is news again.
                    self.gates.remove(&job_key);
                }
            }
        }
    }

    /// The run's own status, reported after its stages and jobs so that a final status comes
    /// last.
    fn observe_status(&mut self, run: &PipelineRun, options: &WaitOptions) {
        if let Some(status) = &run.status {
            if self.run_status.as_ref() != Some(status) {
                options.emit(RunEvent::RunStatusChanged {
                    status: status.clone(),
                    previous: self.run_status.replace(status.clone()),
                });
            }
        }
    }

    /// The jobs whose logs to fetch now: started, and not finished before the last fetch.
    fn jobs_to_follow(&self, run: &PipelineRun) -> Vec<(u64, String)> {
        run.jobs()
            .filter_map(|(_, job)| {
                let id = job.id?;
                let status = job.status.as_ref()?;
                let started = *status != RunStatus::Init && job.start_time.is_some()
                    || *status == RunStatus::Running
                    || finished(status);
                (started && !self.logs_done.contains(&id))
                    .then(|| (id, job.name.clone().unwrap_or_default()))
            })
            .collect()
    }
}

impl Client {
    /// Waits for a run to end (polling GetReleaseStagePipelineRun), reporting progress to
    /// `options.on_event`.
    ///
    /// A run that ends — succeeded, failed, canceled — is an `Ok` [`RunOutcome`]; so are a
    /// stop at a manual gate ([`OnApproval::Stop`]), the deadline and an abort (the run goes on
    /// in all three). Polls are reads: transient failures are retried inside each poll, and a
    /// 429 that outlasts the retries slows the schedule instead of ending the wait. Any other
    /// error that outlasts the retries ends the wait with that error; the run goes on.
    ///
    /// Dropping the future stops polling and never cancels the run; to cancel on abort, pass an
    /// [`AbortHandle`] and set `cancel_on_abort`.
    pub async fn wait_for_run(
        &self,
        run: &RunRef,
        options: &WaitOptions,
    ) -> Result<RunOutcome, Error> {
        self.wait_inner(run, options, None).await
    }

    /// Starts a run (ExecuteChangeRequestReleaseStage) and waits for it with `options`.
    ///
    /// The execute follows its own rules (never sent twice unless the server certainly did not
    /// act); the wait starts after [`WaitOptions::poll_initial`], and a 404 for the new run in
    /// the first seconds is taken as "not visible yet".
    pub async fn execute_and_wait(
        &self,
        request: &ExecuteReleaseStageRequest,
        options: &WaitOptions,
    ) -> Result<(ExecuteReleaseStageResponse, RunOutcome), Error> {
        let response = self.execute_release_stage(request).await?;
        let Some(run) = response.run(request.stage()) else {
            return Err(Error::Decode {
                status: response.http_status,
                message: "the answer names no run to wait for (no pipelineRunId or object)"
                    .to_owned(),
                request_id: response.request_id.clone(),
                call: crate::CallInfo::of::<ExecuteReleaseStageRequest>(format!(
                    "starting a run of {}",
                    request.stage()
                )),
            });
        };
        let started = Instant::now();
        if abort::sleep(options.abort.as_ref(), options.poll_initial).await {
            let outcome = self.aborted(&run, options, None, 0, started).await?;
            return Ok((response, outcome));
        }
        let grace = Instant::now() + policy::WAIT_NOT_FOUND_GRACE;
        let outcome = self.wait_inner(&run, options, Some(grace)).await?;
        Ok((response, outcome))
    }

    async fn wait_inner(
        &self,
        run: &RunRef,
        options: &WaitOptions,
        not_found_grace_until: Option<Instant>,
    ) -> Result<RunOutcome, Error> {
        let started = Instant::now();
        let deadline = started + options.deadline;
        let mut interval = options.poll_initial;
        let mut polls: u32 = 0;
        let mut tracker = Tracker::default();
        let mut last: Option<PipelineRun> = None;
        let outcome = |state, last: Option<PipelineRun>, polls, gate| RunOutcome {
            run: run.clone(),
            state,
            status: last.as_ref().and_then(|r: &PipelineRun| r.status.clone()),
            failed_jobs: last
                .as_ref()
                .map(|r| {
                    r.failed_jobs()
                        .into_iter()
                        .map(|(s, j)| JobSummary::of(s, j))
                        .collect()
                })
                .unwrap_or_default(),
            gate,
            polls,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            cancel: None,
            last,
        };
        loop {
            if options.abort.as_ref().is_some_and(AbortHandle::is_aborted) {
                return self.aborted(run, options, last, polls, started).await;
            }
            polls += 1;
            let mut pause = interval;
            match self.get_release_stage_pipeline_run(run).await {
                Ok(current) => {
                    tracker.observe(&current, options);
                    if options.follow_logs {
                        self.follow_logs(run, &current, &mut tracker, options).await;
                    }
                    tracker.observe_status(&current, options);
                    if let Some(status) = current.status.clone().filter(RunStatus::is_terminal) {
                        let state = match status {
                            RunStatus::Success => WaitState::Succeeded,
                            RunStatus::Canceled => WaitState::Canceled,
                            _ => WaitState::Failed,
                        };
                        return Ok(outcome(state, Some(current), polls, None));
                    }
                    let gate = current
                        .waiting_gates()
                        .first()
                        .map(|(s, j)| JobSummary::of(s, j));
                    if options.on_approval == OnApproval::Stop && gate.is_some() {
                        return Ok(outcome(
                            WaitState::WaitingForApproval,
                            Some(current),
                            polls,
                            gate,
                        ));
                    }
                    last = Some(current);
                }
                Err(error) if error.kind() == ErrorKind::RateLimited => {
                    pause = error
                        .retry_after()
                        .unwrap_or(interval)
                        .max(interval.saturating_mul(2))
                        .min(policy::WAIT_POLL_THROTTLED_MAX);
                    interval = pause;
                    options.emit(RunEvent::Throttled {
                        delay_ms: u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                    });
                }
                Err(error)
                    if error.kind() == ErrorKind::NotFound
                        && not_found_grace_until.is_some_and(|t| Instant::now() < t) => {}
                Err(error) => {
                    return Err(error.with_action(format!(
                        "waiting for {run} (the wait stopped; the run goes on)"
                    )));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(outcome(WaitState::DeadlineExceeded, last, polls, None));
            }
            let pause = jitter(pause).min(deadline - now);
            if abort::sleep(options.abort.as_ref(), pause).await {
                return self.aborted(run, options, last, polls, started).await;
            }
            if Instant::now() >= deadline {
                return Ok(outcome(WaitState::DeadlineExceeded, last, polls, None));
            }
            interval = grow(interval, options.poll_max.max(interval));
        }
    }

    /// The outcome of an aborted wait, after cancelling the run when asked to.
    async fn aborted(
        &self,
        run: &RunRef,
        options: &WaitOptions,
        last: Option<PipelineRun>,
        polls: u32,
        started: Instant,
    ) -> Result<RunOutcome, Error> {
        let cancel = if options.cancel_on_abort {
            Some(self.cancel_release_stage_execution(run).await?)
        } else {
            None
        };
        Ok(RunOutcome {
            run: run.clone(),
            state: WaitState::Aborted,
            status: last.as_ref().and_then(|r| r.status.clone()),
            failed_jobs: Vec::new(),
            gate: None,
            polls,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            cancel,
            last,
        })
    }

    /// Fetches the logs of the jobs that ran since the last poll and emits their new lines.
    /// A log that cannot be read is skipped: following logs must not end the wait.
    async fn follow_logs(
        &self,
        run: &RunRef,
        current: &PipelineRun,
        tracker: &mut Tracker,
        options: &WaitOptions,
    ) {
        for (job_id, name) in tracker.jobs_to_follow(current) {
            let job_finished = current
                .jobs()
                .any(|(_, j)| j.id == Some(job_id) && j.status.as_ref().is_some_and(finished));
            match self.get_pipeline_job_log(&run.job(job_id)).await {
                Ok(log) => {
                    let more = log.more && !job_finished;
                    let follower = tracker.logs.entry(job_id).or_default();
                    for line in follower.feed(&log.content, more) {
                        options.emit(RunEvent::LogLine {
                            job_id,
                            job: name.clone(),
                            line,
                        });
                    }
                    if !more {
                        tracker.logs_done.insert(job_id);
                    }
                }
                Err(error) => tracing::debug!(
                    target: "yunxiao_appstack",
                    job_id,
                    error = %error,
                    "could not read a job's log while waiting"
                ),
            }
        }
    }
}

/// `pause` moved by up to ±[`policy::WAIT_POLL_JITTER`], so concurrent waits spread out.
fn jitter(pause: Duration) -> Duration {
    let factor = 1.0 + policy::WAIT_POLL_JITTER * (fastrand::f64() * 2.0 - 1.0);
    pause.mul_f64(factor.max(0.0))
}

impl blocking::Client {
    /// Blocking twin of [`Client::wait_for_run`]. Abort it from another thread (or a signal
    /// handler) through [`WaitOptions::abort`]. [`WaitOptions::on_event`] runs on the calling
    /// thread while it drives the client's I/O: keep it short, or other threads' calls on this
    /// client wait for it ([`blocking::Client::call_bridge`] runs its event hook between polls
    /// instead).
    pub fn wait_for_run(&self, run: &RunRef, options: &WaitOptions) -> Result<RunOutcome, Error> {
        let (run, options) = (run.clone(), options.clone());
        self.run(move |client| async move { client.wait_for_run(&run, &options).await })
    }

    /// Blocking twin of [`Client::execute_and_wait`].
    pub fn execute_and_wait(
        &self,
        request: &ExecuteReleaseStageRequest,
        options: &WaitOptions,
    ) -> Result<(ExecuteReleaseStageResponse, RunOutcome), Error> {
        let (request, options) = (request.clone(), options.clone());
        self.run(move |client| async move { client.execute_and_wait(&request, &options).await })
    }
}
