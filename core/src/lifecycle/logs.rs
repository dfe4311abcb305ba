//! Following a job's log as it grows, each line emitted once.
//!
//! Whether an answer's `content` is the whole log so far or the next chunk is not documented.
//! [`LogFollower`] tells them apart: content that starts with everything seen so far is the
//! whole log (only its new tail is emitted); anything else is a chunk (emitted whole), and once
//! a chunk is seen the follower stays in chunk mode. The sandbox models "the whole log so far".

use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;
use crate::lifecycle::abort;
use crate::lifecycle::wait::WaitOptions;
use crate::operation::JobRef;
use crate::{Client, blocking, policy};

/// Turns successive log answers into new complete lines.
#[derive(Debug, Default, Clone)]
pub struct LogFollower {
    seen: String,
    chunked: bool,
    pending: String,
}

impl LogFollower {
    /// A follower that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one answer (`content`, and `more`: whether the log may still grow); returns the
    /// lines not emitted before. When `more` is false, a last line without a newline is
    /// emitted too.
    pub fn feed(&mut self, content: &str, more: bool) -> Vec<String> {
        let delta = if !self.chunked && content.starts_with(self.seen.as_str()) {
            let delta = content[self.seen.len()..].to_owned();
            self.seen = content.to_owned();
            delta
        } else {
            if !self.chunked && !self.seen.is_empty() {
                self.chunked = true;
            }
            content.to_owned()
        };
        self.pending.push_str(&delta);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.find('\n') {
            let line: String = self.pending[..end].trim_end_matches('\r').to_owned();
            self.pending.drain(..=end);
            lines.push(line);
        }
        if !more && !self.pending.is_empty() {
            lines.push(
                std::mem::take(&mut self.pending)
                    .trim_end_matches('\r')
                    .to_owned(),
            );
        }
        lines
    }
}

impl Client {
    /// Follows a job's log until the job's log is complete (`more` false), calling `on_line`
    /// once per line, polling on `options`' schedule within its deadline; stops early (Ok)
    /// when `options.abort` is aborted. Returns how many lines were emitted.
    pub async fn follow_job_log(
        &self,
        job: &JobRef,
        options: &WaitOptions,
        mut on_line: impl FnMut(&str) + Send,
    ) -> Result<usize, Error> {
        let deadline = Instant::now() + options.deadline;
        let mut follower = LogFollower::new();
        let mut interval = options.poll_initial;
        let mut emitted = 0;
        loop {
            let log = self.get_pipeline_job_log(job).await?;
            for line in follower.feed(&log.content, log.more) {
                on_line(&line);
                emitted += 1;
            }
            if !log.more {
                return Ok(emitted);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(emitted);
            }
            let pause = interval.min(deadline - now);
            if abort::sleep(options.abort.as_ref(), pause).await {
                return Ok(emitted);
            }
            interval = grow(interval, options.poll_max);
        }
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::follow_job_log`].
    pub fn follow_job_log(
        &self,
        job: &JobRef,
        options: &WaitOptions,
        on_line: impl FnMut(&str) + Send + 'static,
    ) -> Result<usize, Error> {
        let (job, options) = (job.clone(), options.clone());
        self.run(move |client| async move { client.follow_job_log(&job, &options, on_line).await })
    }
}

/// The next poll interval: longer by [`policy::WAIT_POLL_GROWTH`], at most `max`.
pub(crate) fn grow(interval: Duration, max: Duration) -> Duration {
    interval
        .mul_f64(policy::WAIT_POLL_GROWTH)
        .min(max)
        .max(interval.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_log_so_far_emits_each_line_once() {
        let mut f = LogFollower::new();
        assert_eq!(f.feed("a\nb", true), vec!["a"]);
        assert_eq!(f.feed("a\nb\nc\n", true), vec!["b", "c"]);
        assert!(f.feed("a\nb\nc\n", true).is_empty());
        assert_eq!(f.feed("a\nb\nc\nd", false), vec!["d"]);
    }

    #[test]
    fn chunks_are_emitted_whole() {
        let mut f = LogFollower::new();
        assert_eq!(f.feed("one\ntw", true), vec!["one"]);
        assert_eq!(f.feed("o\nthree\r\n", true), vec!["two", "three"]);
        assert_eq!(f.feed("four", false), vec!["four"]);
    }
}
