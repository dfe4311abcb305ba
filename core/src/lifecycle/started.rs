//! "Did it start?": after an execute error that may have started a run, which runs of the
//! stage started since the request was sent.
//!
//! The limit, honestly: a run someone else started in the same seconds looks the same. A run
//! found is "probably this request's"; no run found means nothing was deployed by it (as far
//! as the listing shows), and retrying is safe.

use std::time::{Duration, SystemTime};

use crate::error::Error;
use crate::operation::StageRef;
use crate::ops::list_runs::{ListRunsOptions, RunOrder, SortDirection, StageRun};
use crate::{Client, blocking, policy};

/// How the check compares times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedSinceOptions {
    /// Runs that started up to this much before `since` still count (clocks disagree).
    pub clock_skew: Duration,
    /// The zone of start times sent without one, in minutes east of UTC.
    pub naive_offset_minutes: i32,
    /// When known, the stage's newest run number just before the execute was sent: runs with a
    /// higher number count, whatever their times say.
    pub after_number: Option<u64>,
    /// The most runs to read.
    pub max_runs: usize,
}

impl Default for StartedSinceOptions {
    fn default() -> Self {
        StartedSinceOptions {
            clock_skew: policy::DEFAULT_CLOCK_SKEW,
            naive_offset_minutes: policy::DEFAULT_NAIVE_TIME_OFFSET_MINUTES,
            after_number: None,
            max_runs: policy::STARTED_SINCE_MAX_RUNS,
        }
    }
}

fn epoch_millis(time: SystemTime) -> i64 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

impl Client {
    /// The runs of `stage` that started at or after `since` (less the clock skew), newest
    /// first — or, with `after_number`, those numbered above it. Reads the runs list newest
    /// first and stops at the first older run. A run whose start time is missing or unreadable
    /// counts (it may be queued).
    pub async fn find_runs_started_since(
        &self,
        stage: &StageRef,
        since: SystemTime,
        options: &StartedSinceOptions,
    ) -> Result<Vec<StageRun>, Error> {
        let threshold =
            epoch_millis(since) - i64::try_from(options.clock_skew.as_millis()).unwrap_or(i64::MAX);
        let listing = ListRunsOptions {
            per_page: Some(20),
            order_by: Some(RunOrder::GmtCreate),
            sort: Some(SortDirection::Desc),
            ..ListRunsOptions::default()
        };
        let mut runs = self.list_release_stage_runs_all(stage, listing, Some(options.max_runs));
        let mut found = Vec::new();
        while let Some(run) = runs.next().await {
            let run = run?;
            let counts = match (options.after_number, run.number) {
                (Some(after), Some(number)) => number > after,
                _ => run
                    .start_time
                    .as_ref()
                    .map(|t| t.with_offset_minutes(options.naive_offset_minutes))
                    .and_then(|t| t.epoch_millis)
                    .is_none_or(|start| start >= threshold),
            };
            if !counts {
                break;
            }
            found.push(run);
        }
        Ok(found)
    }

    /// The number of the stage's newest run, if it has any (to pass as
    /// [`StartedSinceOptions::after_number`] before an execute).
    pub async fn newest_run_number(&self, stage: &StageRef) -> Result<Option<u64>, Error> {
        let page = self
            .list_release_stage_runs(
                stage,
                ListRunsOptions {
                    per_page: Some(1),
                    order_by: Some(RunOrder::GmtCreate),
                    sort: Some(SortDirection::Desc),
                    ..ListRunsOptions::default()
                },
            )
            .await?;
        Ok(page.items.first().and_then(|run| run.number))
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::find_runs_started_since`].
    pub fn find_runs_started_since(
        &self,
        stage: &StageRef,
        since: SystemTime,
        options: &StartedSinceOptions,
    ) -> Result<Vec<StageRun>, Error> {
        let (stage, options) = (stage.clone(), options.clone());
        self.run(move |client| async move {
            client
                .find_runs_started_since(&stage, since, &options)
                .await
        })
    }

    /// Blocking twin of [`Client::newest_run_number`].
    pub fn newest_run_number(&self, stage: &StageRef) -> Result<Option<u64>, Error> {
        let stage = stage.clone();
        self.run(move |client| async move { client.newest_run_number(&stage).await })
    }
}
