//! The client-wide request-rate cap: requests are spaced evenly, delayed and never dropped.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Spaces requests at least `1 / rate` apart, across every call and clone of one client.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter of `requests_per_second` (checked to be finite and above 0).
    pub(crate) fn new(requests_per_second: f64) -> Self {
        RateLimiter {
            interval: Duration::from_secs_f64(1.0 / requests_per_second),
            next: Mutex::new(None),
        }
    }

    /// Waits for this request's slot; false (without waiting) when the slot comes after
    /// `deadline`, so the caller can fail in time instead of sleeping past it.
    pub(crate) async fn acquire(&self, deadline: Option<Instant>) -> bool {
        let slot = {
            // A poisoned lock only means another caller panicked mid-update: the instant inside
            // is still a valid schedule.
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            if deadline.is_some_and(|d| slot > d) {
                return false;
            }
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
        true
    }
}
