//! Which failures are retried, and after how long.
//!
//! Executing a stage is not idempotent, so a retry is only safe when the server certainly did
//! not act on the attempt: the connection never opened, or the server answered 429, or 503 with
//! `Retry-After`. Everything else is returned to the caller on the first occurrence.

use std::time::Duration;

use crate::error::{Error, TimeoutPhase};
use crate::policy;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryDecision {
    /// Wait this long, then send again.
    RetryAfter(Duration),
    /// Return the error.
    GiveUp,
}

/// Decides whether to retry after `error` on retry number `retry` (0 for the first retry).
pub(crate) fn decide(error: &Error, retry: u32) -> RetryDecision {
    let retry_safe = match error {
        Error::Connect { .. } => true,
        Error::Timeout { phase, .. } => *phase == TimeoutPhase::Connect,
        Error::Api(api) => api.status == 429 || (api.status == 503 && api.retry_after.is_some()),
        _ => false,
    };
    if !retry_safe {
        return RetryDecision::GiveUp;
    }
    match error.retry_after() {
        // The server named a wait longer than we are willing to block for: hand it to the
        // caller, who can schedule the retry.
        Some(wait) if wait > policy::MAX_RETRY_AFTER => RetryDecision::GiveUp,
        Some(wait) => RetryDecision::RetryAfter(wait),
        None => RetryDecision::RetryAfter(policy::backoff_with_jitter(retry)),
    }
}

/// A short name for the reason of a retry, for logs.
pub(crate) fn reason(error: &Error) -> &'static str {
    match error {
        Error::Connect { .. } => "connect failed",
        Error::Timeout { .. } => "connect timed out",
        Error::Api(api) if api.status == 429 => "rate limited",
        Error::Api(_) => "service unavailable with Retry-After",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn api(status: u16, retry_after: Option<u64>) -> Error {
        Error::Api(Box::new(ApiError {
            status,
            error_code: None,
            error_message: None,
            request_id: None,
            trace_id: None,
            retry_after: retry_after.map(Duration::from_secs),
            body: String::new(),
        }))
    }

    #[test]
    fn only_failures_where_nothing_ran_are_retried() {
        assert_eq!(
            decide(&api(429, Some(3)), 0),
            RetryDecision::RetryAfter(Duration::from_secs(3))
        );
        assert_eq!(
            decide(&api(503, Some(0)), 0),
            RetryDecision::RetryAfter(Duration::ZERO)
        );
        assert!(
            matches!(decide(&api(429, None), 0), RetryDecision::RetryAfter(d) if d <= Duration::from_millis(500))
        );
        assert_eq!(decide(&api(429, Some(61)), 0), RetryDecision::GiveUp);
        assert_eq!(decide(&api(503, None), 0), RetryDecision::GiveUp);
        assert_eq!(decide(&api(500, Some(1)), 0), RetryDecision::GiveUp);
        assert_eq!(decide(&api(502, None), 0), RetryDecision::GiveUp);
        assert_eq!(decide(&api(400, None), 0), RetryDecision::GiveUp);
        let timeout = |phase| Error::Timeout {
            phase,
            after: Duration::from_secs(1),
        };
        assert!(matches!(
            decide(&timeout(TimeoutPhase::Connect), 1),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(
            decide(&timeout(TimeoutPhase::Response), 0),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide(&timeout(TimeoutPhase::Body), 0),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide(
                &Error::ConnectionLost {
                    message: String::new()
                },
                0
            ),
            RetryDecision::GiveUp
        );
        assert!(matches!(
            decide(
                &Error::Connect {
                    message: String::new()
                },
                0
            ),
            RetryDecision::RetryAfter(_)
        ));
    }
}
