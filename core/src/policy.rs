//! Every policy number of the client in one place: defaults, limits and the retry schedule.
//!
//! Bindings and the CLI read these constants instead of restating them, so a change here is a
//! change everywhere.

use std::time::Duration;

/// Base URL of the centre edition (中心版) of the Yunxiao OpenAPI.
pub const DEFAULT_BASE_URL: &str = "https://openapi-rdc.aliyuncs.com";

/// Time allowed for one attempt, from the start of connecting to the last byte of the answer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Time allowed to open a connection (TCP and TLS handshake).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Retries after the first attempt, for failures where the server certainly did not act.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// Largest accepted value for `max_retries`; more would only hide an outage.
pub const MAX_RETRIES_LIMIT: u32 = 10;

/// Largest response body read before giving up with [`crate::Error::ResponseTooLarge`].
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The longest `Retry-After` the client waits for; a longer one is returned to the caller.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// First backoff ceiling when the server gives no `Retry-After`; it doubles per retry.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);

/// The highest backoff ceiling.
pub const BACKOFF_CAP: Duration = Duration::from_secs(8);

/// How much of an error body is kept on [`crate::ApiError::body`].
pub const ERROR_BODY_KEEP_BYTES: usize = 4 * 1024;

/// How much of a non-JSON error body is quoted in an error message.
pub const ERROR_EXCERPT_CHARS: usize = 200;

/// Longest request id, trace id or error code kept from an answer, in characters.
pub const ID_MAX_CHARS: usize = 128;

/// Longest error message kept from an answer, in characters.
pub const MESSAGE_MAX_CHARS: usize = 1000;

/// How long an idle pooled connection is kept. Shorter than common server and load-balancer
/// keep-alive limits, so a reused connection is rarely one the server is closing — which would
/// surface as a `ConnectionLost` after sending.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// Largest accepted request or connect timeout.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// How much sooner than the attempt's deadline the connect timeout fires when the two would
/// coincide, so that a connection that never opened is reported (and retried) as such.
pub const CONNECT_DEADLINE_MARGIN: Duration = Duration::from_millis(50);

/// Shortest accepted access token: real ones are about 40 characters, and a very short one could
/// not be told apart from ordinary text when it is scrubbed from messages.
pub const MIN_TOKEN_CHARS: usize = 8;

/// The first wait between polls of a run being waited for.
pub const WAIT_POLL_INITIAL: Duration = Duration::from_millis(1500);

/// Each wait between polls is this much longer than the one before, up to [`WAIT_POLL_MAX`].
pub const WAIT_POLL_GROWTH: f64 = 1.5;

/// The longest wait between polls of a run.
pub const WAIT_POLL_MAX: Duration = Duration::from_secs(12);

/// The longest wait between polls after the server answered 429.
pub const WAIT_POLL_THROTTLED_MAX: Duration = Duration::from_secs(60);

/// How far each poll interval is jittered (±), so that many waits do not poll in lockstep.
pub const WAIT_POLL_JITTER: f64 = 0.1;

/// How long after an execute a 404 for its new run counts as "not visible yet".
pub const WAIT_NOT_FOUND_GRACE: Duration = Duration::from_secs(10);

/// How long a wait lasts at most by default.
pub const DEFAULT_WAIT_DEADLINE: Duration = Duration::from_secs(60 * 60);

/// How much earlier than the call a run may have started and still count as "started by it",
/// for clocks that disagree (the "did it start?" check).
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(120);

/// The most runs the "did it start?" check reads before it stops.
pub const STARTED_SINCE_MAX_RUNS: usize = 200;

/// The highest accepted request-rate cap, in requests per second.
pub const MAX_RPS_LIMIT: f64 = 100_000.0;

/// The most pages a listing fetches before it stops, against a server that never says "last".
pub const MAX_PAGES: usize = 10_000;

/// The zone of times sent without one (`2024-01-01 00:00:00`): minutes east of UTC. UTC+8 is
/// the zone of the Yunxiao service (China Standard Time).
pub const DEFAULT_NAIVE_TIME_OFFSET_MINUTES: i32 = 8 * 60;

/// The ceiling of the backoff before retry number `retry` (0-based): `BACKOFF_BASE × 2^retry`,
/// capped at [`BACKOFF_CAP`]. The actual wait is drawn uniformly from `[0, ceiling]` (full jitter).
pub fn backoff_ceiling(retry: u32) -> Duration {
    let factor = 1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX);
    BACKOFF_BASE.saturating_mul(factor).min(BACKOFF_CAP)
}

/// A full-jitter backoff for retry number `retry` (0-based).
pub fn backoff_with_jitter(retry: u32) -> Duration {
    let ceiling = backoff_ceiling(retry);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff_ceiling(0), Duration::from_millis(500));
        assert_eq!(backoff_ceiling(1), Duration::from_secs(1));
        assert_eq!(backoff_ceiling(2), Duration::from_secs(2));
        assert_eq!(backoff_ceiling(4), Duration::from_secs(8));
        assert_eq!(backoff_ceiling(40), Duration::from_secs(8));
        for retry in 0..20 {
            assert!(backoff_with_jitter(retry) <= backoff_ceiling(retry));
        }
    }
}
