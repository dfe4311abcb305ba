//! Which failures are retried, and after how long — by the operation's [`Effect`].
//!
//! A mutating call (execute, pass, refuse, retry, skip) is not idempotent, so a retry is only
//! safe when the server certainly did not act on the attempt: the connection never opened, or
//! the server answered 429, or 503 with `Retry-After`. Everything else is returned to the caller
//! on the first occurrence. A read (and cancel, which does no harm twice) is also retried after
//! a 5xx, a timeout after sending and a connection cut after sending.

use std::time::Duration;

use crate::error::{Error, TimeoutPhase};
use crate::operation::Effect;
use crate::policy;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryDecision {
    /// Wait this long, then send again.
    RetryAfter(Duration),
    /// Return the error.
    GiveUp,
}

/// Decides whether to retry after `error` of a call with `effect`, on retry number `retry` (0
/// for the first retry).
pub(crate) fn decide(error: &Error, effect: Effect, retry: u32) -> RetryDecision {
    let after_sending = effect.retries_after_sending();
    let retry_safe = match error {
        Error::Connect { .. } => true,
        Error::Timeout { phase, .. } => *phase == TimeoutPhase::Connect || after_sending,
        Error::ConnectionLost { .. } => after_sending,
        Error::Api(api) => {
            api.status == 429
                || (api.status == 503 && api.retry_after.is_some())
                || (after_sending && api.status >= 500)
        }
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
        Error::Timeout {
            phase: TimeoutPhase::Connect,
            ..
        } => "connect timed out",
        Error::Timeout { .. } => "timed out after sending (safe to repeat)",
        Error::ConnectionLost { .. } => "connection lost after sending (safe to repeat)",
        Error::Api(api) if api.status == 429 => "rate limited",
        Error::Api(api) if api.status == 503 && api.retry_after.is_some() => {
            "service unavailable with Retry-After"
        }
        Error::Api(_) => "server error (safe to repeat)",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::operation::CallInfo;

    fn api(status: u16, retry_after: Option<u64>) -> Error {
        Error::Api(Box::new(ApiError {
            status,
            error_code: None,
            error_message: None,
            request_id: None,
            trace_id: None,
            retry_after: retry_after.map(Duration::from_secs),
            body: String::new(),
            call: CallInfo::unknown(),
        }))
    }

    #[test]
    fn reads_are_also_retried_after_sending() {
        let read = Effect::ReadOnly;
        for error in [
            api(500, None),
            api(502, None),
            api(503, None),
            Error::ConnectionLost {
                message: String::new(),
                call: CallInfo::unknown(),
            },
            Error::Timeout {
                phase: TimeoutPhase::Response,
                after: Duration::from_secs(1),
                deadline: false,
                call: CallInfo::unknown(),
            },
        ] {
            assert!(
                matches!(decide(&error, read, 0), RetryDecision::RetryAfter(_)),
                "{error:?}"
            );
            assert!(
                matches!(
                    decide(&error, Effect::Idempotent, 0),
                    RetryDecision::RetryAfter(_)
                ),
                "{error:?}"
            );
            assert_eq!(decide(&error, Effect::Mutating, 0), RetryDecision::GiveUp);
        }
        for status in [400, 401, 403, 404, 409] {
            assert_eq!(decide(&api(status, None), read, 0), RetryDecision::GiveUp);
        }
        assert_eq!(decide(&api(500, Some(61)), read, 0), RetryDecision::GiveUp);
    }

    #[test]
    fn only_failures_where_nothing_ran_are_retried() {
        assert_eq!(
            decide(&api(429, Some(3)), Effect::Mutating, 0),
            RetryDecision::RetryAfter(Duration::from_secs(3))
        );
        assert_eq!(
            decide(&api(503, Some(0)), Effect::Mutating, 0),
            RetryDecision::RetryAfter(Duration::ZERO)
        );
        assert!(
            matches!(decide(&api(429, None), Effect::Mutating, 0), RetryDecision::RetryAfter(d) if d <= Duration::from_millis(500))
        );
        assert_eq!(
            decide(&api(429, Some(61)), Effect::Mutating, 0),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide(&api(503, None), Effect::Mutating, 0),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide(&api(500, Some(1)), Effect::Mutating, 0),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide(&api(502, None), Effect::Mutating, 0),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide(&api(400, None), Effect::Mutating, 0),
            RetryDecision::GiveUp
        );
        let timeout = |phase| Error::Timeout {
            phase,
            after: Duration::from_secs(1),
            deadline: false,
            call: CallInfo::unknown(),
        };
        assert!(matches!(
            decide(&timeout(TimeoutPhase::Connect), Effect::Mutating, 1),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(
            decide(&timeout(TimeoutPhase::Response), Effect::Mutating, 0),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide(&timeout(TimeoutPhase::Body), Effect::Mutating, 0),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide(
                &Error::ConnectionLost {
                    message: String::new(),
                    call: CallInfo::unknown(),
                },
                Effect::Mutating,
                0
            ),
            RetryDecision::GiveUp
        );
        assert!(matches!(
            decide(
                &Error::Connect {
                    message: String::new(),
                    call: CallInfo::unknown(),
                },
                Effect::Mutating,
                0
            ),
            RetryDecision::RetryAfter(_)
        ));
    }
}
