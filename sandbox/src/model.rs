//! The run model: what an executed release stage does over sandbox time.
//!
//! A run walks its stage's script job by job (groups in order, the jobs of a group in order).
//! A job runs for its duration, then ends with its outcome; a gate job waits until it is passed
//! or refused. Nothing runs in the background: [`Run::advance`] replays every transition that is
//! due at a given sandbox time, and every read or action calls it first, so a run's state is a
//! pure function of its start, its script, the actions taken on it and the clock.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::fixture::{JobOutcome, ScriptJob};

/// How many runs of one stage are kept; older ones are forgotten (their numbers answer 404).
/// Benchmarks execute a stage hundreds of thousands of times, and a run costs a few hundred
/// bytes, so without a cap the sandbox would grow without bound.
pub const MAX_RUNS_PER_STAGE: usize = 10_000;

/// The first job id handed out; ids are unique within one sandbox and never reused.
pub(crate) const FIRST_JOB_ID: u64 = 1001;

/// A script: groups run one after another, each a list of jobs.
pub(crate) type Script = Arc<Vec<Vec<ScriptJob>>>;

/// The status of a whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunStatus {
    Running,
    Success,
    Fail,
    Canceled,
}

impl RunStatus {
    /// The wire spelling (`FAIL`, `CANCELED` with one L, as the service spells them).
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Success => "SUCCESS",
            RunStatus::Fail => "FAIL",
            RunStatus::Canceled => "CANCELED",
        }
    }
}

/// The status of one job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobStatus {
    Init,
    Running,
    Waiting,
    Success,
    Fail,
    Canceled,
    Skipped,
}

impl JobStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Init => "INIT",
            JobStatus::Running => "RUNNING",
            JobStatus::Waiting => "WAITING",
            JobStatus::Success => "SUCCESS",
            JobStatus::Fail => "FAIL",
            JobStatus::Canceled => "CANCELED",
            JobStatus::Skipped => "SKIPPED",
        }
    }

    /// Whether the job has ended (one way or another).
    pub fn is_done(self) -> bool {
        matches!(
            self,
            JobStatus::Success | JobStatus::Fail | JobStatus::Canceled | JobStatus::Skipped
        )
    }
}

/// One job of a run.
#[derive(Clone, Debug)]
pub(crate) struct JobRun {
    /// The sandbox-wide job id (`jobs[].id`, the `jobId` query parameter).
    pub id: u64,
    /// Index of its group in the script.
    pub group: usize,
    /// Index within its group.
    pub index: usize,
    pub status: JobStatus,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
}

/// Why an action on a run was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ActionError {
    /// No job with this id in the run (404).
    UnknownJob(u64),
    /// The job is not in a state that allows the action (400), with the reason.
    NotAllowed(String),
}

/// One execution of a release stage.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    /// The execution number (`pipelineRunId` of execute, `executionNumber` of the run calls).
    pub number: u64,
    pub pipeline_id: u64,
    pub created_ms: u64,
    /// The time of the last transition or action.
    pub update_ms: u64,
    /// The `params` execute was sent.
    pub params: Map<String, Value>,
    pub status: RunStatus,
    pub end_ms: Option<u64>,
    pub jobs: Vec<JobRun>,
    script: Script,
    /// The job being run (or about to start); `jobs.len()` once past the last.
    current: usize,
    /// When the current job started (or starts).
    cursor_ms: u64,
}

impl Run {
    /// Starts run `number` at `now`; job ids are taken from `next_job_id`.
    pub fn start(
        number: u64,
        pipeline_id: u64,
        now: u64,
        params: Map<String, Value>,
        script: Script,
        next_job_id: &mut u64,
    ) -> Run {
        let mut jobs = Vec::new();
        for (group, group_jobs) in script.iter().enumerate() {
            for index in 0..group_jobs.len() {
                jobs.push(JobRun {
                    id: *next_job_id,
                    group,
                    index,
                    status: JobStatus::Init,
                    start_ms: None,
                    end_ms: None,
                });
                *next_job_id = next_job_id.saturating_add(1);
            }
        }
        let mut run = Run {
            number,
            pipeline_id,
            created_ms: now,
            update_ms: now,
            params,
            status: RunStatus::Running,
            end_ms: None,
            jobs,
            script,
            current: 0,
            cursor_ms: now,
        };
        run.advance(now);
        run
    }

    /// The script entry of a job.
    pub fn spec(&self, job: &JobRun) -> Option<&ScriptJob> {
        self.script.get(job.group)?.get(job.index)
    }

    /// The script of the run, by group.
    pub fn script(&self) -> &[Vec<ScriptJob>] {
        &self.script
    }

    /// The `FLOW_INST_RUNNING_COMMENT` param, if a string.
    #[cfg(test)]
    pub fn comment(&self) -> Option<&str> {
        self.params
            .get("FLOW_INST_RUNNING_COMMENT")
            .and_then(Value::as_str)
    }

    /// Applies every transition due at or before `now`.
    pub fn advance(&mut self, now: u64) {
        while self.status == RunStatus::Running {
            let current = self.current;
            let cursor = self.cursor_ms;
            let Some((duration_ms, outcome, gate)) = self
                .jobs
                .get(current)
                .and_then(|job| self.spec(job))
                .map(|spec| (spec.duration_ms(), spec.outcome, spec.gate))
            else {
                // Past the last job: the run ended when the last job did.
                self.status = RunStatus::Success;
                self.end_ms = Some(cursor);
                self.update_ms = self.update_ms.max(cursor);
                return;
            };
            let job = &mut self.jobs[current];
            if job.status == JobStatus::Init {
                job.status = if gate {
                    JobStatus::Waiting
                } else {
                    JobStatus::Running
                };
                job.start_ms = Some(cursor);
                self.update_ms = self.update_ms.max(cursor);
            }
            if job.status != JobStatus::Running {
                // A waiting gate: only pass, refuse, skip or cancel move it on.
                return;
            }
            let end = job.start_ms.unwrap_or(cursor).saturating_add(duration_ms);
            if now < end {
                return;
            }
            job.end_ms = Some(end);
            self.update_ms = self.update_ms.max(end);
            match outcome {
                JobOutcome::Success => {
                    job.status = JobStatus::Success;
                    self.current += 1;
                    self.cursor_ms = end;
                }
                JobOutcome::Fail => {
                    job.status = JobStatus::Fail;
                    self.status = RunStatus::Fail;
                    self.end_ms = Some(end);
                }
            }
        }
    }

    /// Where a job id is in this run.
    pub fn job_position(&self, job_id: u64) -> Option<usize> {
        self.jobs.iter().position(|job| job.id == job_id)
    }

    fn job_at(&self, job_id: u64) -> Result<usize, ActionError> {
        self.job_position(job_id)
            .ok_or(ActionError::UnknownJob(job_id))
    }

    /// Cancels a running run: it and its current job become `CANCELED`. Returns `false` (and
    /// changes nothing) when the run has already ended.
    pub fn cancel(&mut self, now: u64) -> bool {
        self.advance(now);
        if self.status != RunStatus::Running {
            return false;
        }
        if let Some(job) = self.jobs.get_mut(self.current) {
            if matches!(job.status, JobStatus::Running | JobStatus::Waiting) {
                job.status = JobStatus::Canceled;
                job.end_ms = Some(now);
            }
        }
        self.status = RunStatus::Canceled;
        self.end_ms = Some(now);
        self.update_ms = now;
        true
    }

    /// Checks that `job_id` is the waiting gate of this run.
    fn waiting_gate(&self, job_id: u64, action: &str) -> Result<usize, ActionError> {
        let position = self.job_at(job_id)?;
        let job = &self.jobs[position];
        let is_gate = self.spec(job).is_some_and(|spec| spec.gate);
        if !is_gate {
            return Err(ActionError::NotAllowed(format!(
                "cannot {action} job {job_id}: it is not a manual validation gate"
            )));
        }
        if job.status != JobStatus::Waiting {
            return Err(ActionError::NotAllowed(format!(
                "cannot {action} job {job_id}: the gate is not waiting (its status is {})",
                job.status.as_str()
            )));
        }
        Ok(position)
    }

    /// Passes a waiting gate: the gate succeeds and the run goes on.
    pub fn pass(&mut self, job_id: u64, now: u64) -> Result<(), ActionError> {
        self.advance(now);
        let position = self.waiting_gate(job_id, "pass")?;
        let job = &mut self.jobs[position];
        job.status = JobStatus::Success;
        job.end_ms = Some(now);
        self.current = position + 1;
        self.cursor_ms = now;
        self.update_ms = now;
        self.advance(now);
        Ok(())
    }

    /// Refuses a waiting gate: the gate and the run fail.
    pub fn refuse(&mut self, job_id: u64, now: u64) -> Result<(), ActionError> {
        self.advance(now);
        let position = self.waiting_gate(job_id, "refuse")?;
        let job = &mut self.jobs[position];
        job.status = JobStatus::Fail;
        job.end_ms = Some(now);
        self.status = RunStatus::Fail;
        self.end_ms = Some(now);
        self.update_ms = now;
        Ok(())
    }

    /// Runs the failed job of a failed run again from `now`; the run is `RUNNING` again.
    pub fn retry(&mut self, job_id: u64, now: u64) -> Result<(), ActionError> {
        self.advance(now);
        let position = self.job_at(job_id)?;
        let job = &self.jobs[position];
        if self.status != RunStatus::Fail || job.status != JobStatus::Fail {
            return Err(ActionError::NotAllowed(format!(
                "cannot retry job {job_id}: only the failed job of a failed run can be retried (the job is {}, the run {})",
                job.status.as_str(),
                self.status.as_str()
            )));
        }
        let job = &mut self.jobs[position];
        job.status = JobStatus::Init;
        job.start_ms = None;
        job.end_ms = None;
        self.current = position;
        self.cursor_ms = now;
        self.status = RunStatus::Running;
        self.end_ms = None;
        self.update_ms = now;
        self.advance(now);
        Ok(())
    }

    /// Skips the failed job of a failed run, or the running (or waiting) job of a running run:
    /// the job becomes `SKIPPED` and the run goes on with the next job.
    pub fn skip(&mut self, job_id: u64, now: u64) -> Result<(), ActionError> {
        self.advance(now);
        let position = self.job_at(job_id)?;
        let job = &self.jobs[position];
        let allowed = match self.status {
            RunStatus::Fail => job.status == JobStatus::Fail,
            RunStatus::Running => matches!(job.status, JobStatus::Running | JobStatus::Waiting),
            RunStatus::Success | RunStatus::Canceled => false,
        };
        if !allowed {
            return Err(ActionError::NotAllowed(format!(
                "cannot skip job {job_id}: only a failed job of a failed run or the running job of a running run can be skipped (the job is {}, the run {})",
                job.status.as_str(),
                self.status.as_str()
            )));
        }
        let job = &mut self.jobs[position];
        job.status = JobStatus::Skipped;
        job.end_ms = Some(now);
        self.current = position + 1;
        self.cursor_ms = now;
        self.status = RunStatus::Running;
        self.end_ms = None;
        self.update_ms = now;
        self.advance(now);
        Ok(())
    }

    /// The log of a job so far: the lines due by `now` and whether more may come.
    ///
    /// A job's lines are spread evenly over its duration: line `k` of `n` appears `k/n` of the
    /// way through (the first at the start); a gate's lines all appear when it is reached. A job
    /// that ended shows the lines due by its end (all of them if it ran to its outcome).
    pub fn log(&mut self, job_id: u64, now: u64) -> Result<(String, bool), ActionError> {
        self.advance(now);
        let position = self.job_at(job_id)?;
        let job = &self.jobs[position];
        let Some(spec) = self.spec(job) else {
            return Ok((String::new(), !job.status.is_done()));
        };
        let more = !job.status.is_done();
        let Some(start) = job.start_ms else {
            return Ok((String::new(), more));
        };
        let until = match job.status {
            JobStatus::Success | JobStatus::Fail => u64::MAX,
            _ => job.end_ms.unwrap_or(now).min(now),
        };
        let lines = spec.log.len() as u64;
        let duration = spec.duration_ms();
        let shown: Vec<&str> = spec
            .log
            .iter()
            .enumerate()
            .filter(|(k, _)| {
                let offset = if spec.gate || lines == 0 {
                    0
                } else {
                    // u128 so that long durations times many lines cannot overflow.
                    (u128::from(duration) * (*k as u128) / u128::from(lines)) as u64
                };
                start.saturating_add(offset) <= until
            })
            .map(|(_, line)| line.as_str())
            .collect();
        Ok((shown.join("\n"), more))
    }
}

/// The runs of one stage, oldest first, and the counter that numbers them.
#[derive(Debug, Default)]
pub(crate) struct StageRuns {
    /// The number of the last run started (0 before the first).
    last: u64,
    runs: VecDeque<Run>,
}

impl StageRuns {
    /// The number the next run gets.
    pub fn next_number(&self) -> u64 {
        self.last.saturating_add(1)
    }

    /// Keeps a new run (numbered [`StageRuns::next_number`]); drops the oldest over the cap.
    pub fn push(&mut self, run: Run) {
        self.last = run.number;
        self.runs.push_back(run);
        while self.runs.len() > MAX_RUNS_PER_STAGE {
            self.runs.pop_front();
        }
    }

    /// Run `number`, if kept.
    pub fn get_mut(&mut self, number: u64) -> Option<&mut Run> {
        let first = self.runs.front()?.number;
        let index = usize::try_from(number.checked_sub(first)?).ok()?;
        self.runs.get_mut(index)
    }

    /// The newest run, if any.
    pub fn latest_mut(&mut self) -> Option<&mut Run> {
        self.runs.back_mut()
    }

    /// Every kept run, oldest first.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Run> {
        self.runs.iter_mut()
    }

    /// Forgets every run; numbering restarts at 1.
    pub fn clear(&mut self) {
        self.last = 0;
        self.runs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn job(name: &str, secs: u64, outcome: JobOutcome, gate: bool, log: &[&str]) -> ScriptJob {
        ScriptJob {
            name: name.into(),
            duration: Duration::from_secs(secs),
            outcome,
            gate,
            log: log.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn run(script: Vec<Vec<ScriptJob>>) -> Run {
        let mut ids = FIRST_JOB_ID;
        let mut params = Map::new();
        params.insert("FLOW_INST_RUNNING_COMMENT".into(), "hi".into());
        Run::start(1, 100_001, 0, params, Arc::new(script), &mut ids)
    }

    fn statuses(run: &Run) -> Vec<&'static str> {
        run.jobs.iter().map(|j| j.status.as_str()).collect()
    }

    #[test]
    fn runs_to_success_with_a_growing_log() {
        let mut r = run(vec![
            vec![job(
                "Build",
                20,
                JobOutcome::Success,
                false,
                &["a", "b", "c", "d"],
            )],
            vec![job("Deploy", 10, JobOutcome::Success, false, &[])],
        ]);
        assert_eq!(r.comment(), Some("hi"));
        assert_eq!(statuses(&r), ["RUNNING", "INIT"]);
        assert_eq!(r.log(1001, 0).expect("job"), ("a".into(), true));
        assert_eq!(r.log(1001, 10_000).expect("job"), ("a\nb\nc".into(), true));
        r.advance(25_000);
        assert_eq!(statuses(&r), ["SUCCESS", "RUNNING"]);
        assert_eq!(r.jobs[1].start_ms, Some(20_000));
        assert_eq!(
            r.log(1001, 25_000).expect("job"),
            ("a\nb\nc\nd".into(), false)
        );
        r.advance(30_000);
        assert_eq!(r.status, RunStatus::Success);
        assert_eq!(r.end_ms, Some(30_000));
        assert!(!r.cancel(31_000), "cannot cancel a finished run");
        assert_eq!(r.log(9, 0), Err(ActionError::UnknownJob(9)));
    }

    #[test]
    fn failure_retry_and_skip() {
        let mut r = run(vec![
            vec![job("Build", 5, JobOutcome::Fail, false, &[])],
            vec![job("Deploy", 5, JobOutcome::Success, false, &[])],
        ]);
        assert!(matches!(
            r.retry(1001, 1000),
            Err(ActionError::NotAllowed(_))
        ));
        r.advance(5000);
        assert_eq!(
            (r.status, statuses(&r)),
            (RunStatus::Fail, vec!["FAIL", "INIT"])
        );
        assert!(matches!(
            r.retry(1002, 6000),
            Err(ActionError::NotAllowed(_))
        ));
        r.retry(1001, 6000).expect("retry the failed job");
        assert_eq!(
            (r.status, statuses(&r)),
            (RunStatus::Running, vec!["RUNNING", "INIT"])
        );
        assert_eq!(r.jobs[0].start_ms, Some(6000));
        r.advance(11_000);
        assert_eq!(r.status, RunStatus::Fail, "it fails again");
        r.skip(1001, 12_000).expect("skip the failed job");
        assert_eq!(statuses(&r), ["SKIPPED", "RUNNING"]);
        r.advance(17_000);
        assert_eq!(r.status, RunStatus::Success);
    }

    #[test]
    fn gates_wait_until_passed_or_refused() {
        let script = vec![
            vec![job("Build", 1, JobOutcome::Success, false, &[])],
            vec![job("Approve", 0, JobOutcome::Success, true, &["waiting"])],
            vec![job("Deploy", 1, JobOutcome::Success, false, &[])],
        ];
        let mut r = run(script.clone());
        assert!(
            matches!(r.pass(1002, 0), Err(ActionError::NotAllowed(_))),
            "not reached yet"
        );
        r.advance(1_000_000);
        assert_eq!(
            (r.status, statuses(&r)),
            (RunStatus::Running, vec!["SUCCESS", "WAITING", "INIT"])
        );
        assert!(
            matches!(r.pass(1001, 0), Err(ActionError::NotAllowed(_))),
            "not a gate"
        );
        r.pass(1002, 2_000_000).expect("passes");
        assert_eq!(statuses(&r), ["SUCCESS", "SUCCESS", "RUNNING"]);
        r.advance(2_001_000);
        assert_eq!(r.status, RunStatus::Success);

        let mut refused = run(script.clone());
        refused.advance(2000);
        // Each helper run numbers its jobs from FIRST_JOB_ID again.
        refused.refuse(1002, 3000).expect("the gate");
        assert_eq!(
            (refused.status, statuses(&refused)),
            (RunStatus::Fail, vec!["SUCCESS", "FAIL", "INIT"])
        );
        assert!(matches!(
            refused.refuse(1002, 4000),
            Err(ActionError::NotAllowed(_))
        ));

        let mut canceled = run(script);
        canceled.advance(2000);
        assert!(canceled.cancel(3000));
        assert_eq!(
            (canceled.status, statuses(&canceled)),
            (RunStatus::Canceled, vec!["SUCCESS", "CANCELED", "INIT"])
        );
    }

    #[test]
    fn stage_runs_are_capped_and_numbered() {
        let mut runs = StageRuns::default();
        let mut ids = FIRST_JOB_ID;
        for _ in 0..MAX_RUNS_PER_STAGE + 5 {
            let n = runs.next_number();
            runs.push(Run::start(
                n,
                1,
                0,
                Map::new(),
                Arc::new(Vec::new()),
                &mut ids,
            ));
        }
        assert!(runs.get_mut(1).is_none());
        assert!(runs.get_mut(6).is_some());
        assert!(runs.get_mut(0).is_none());
        assert!(runs.get_mut(u64::MAX).is_none());
        assert_eq!(
            runs.latest_mut().map(|r| r.number),
            Some((MAX_RUNS_PER_STAGE + 5) as u64)
        );
        assert_eq!(
            runs.get_mut(6).map(|r| r.status),
            Some(RunStatus::Success),
            "an empty script succeeds at once"
        );
        runs.clear();
        assert_eq!(runs.next_number(), 1);
    }
}
