//! The sandbox clock: real time times a scale, plus an offset tests can advance, and the text
//! form of time run answers use.
//!
//! Runs are evaluated lazily against this clock whenever they are read, so a test that freezes
//! it (scale 0) and advances it explicitly sees fully deterministic runs.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Why a clock scale was refused.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error("the clock scale must be a finite number >= 0, got {0}")]
pub struct InvalidClockScale(pub f64);

/// Checks a clock scale: finite and not negative (0 freezes the clock).
pub(crate) fn check_scale(scale: f64) -> Result<f64, InvalidClockScale> {
    if scale.is_finite() && scale >= 0.0 {
        Ok(scale)
    } else {
        Err(InvalidClockScale(scale))
    }
}

/// Sandbox time in epoch milliseconds: `base_ms + (real time since anchor) × scale`.
///
/// Changing the scale re-anchors at the current sandbox time, so time never jumps when the
/// scale changes; advancing only adds to `base_ms`, so sandbox time never goes backwards.
#[derive(Debug)]
pub(crate) struct Clock {
    base_ms: f64,
    anchor: Instant,
    scale: f64,
}

impl Clock {
    /// A clock that starts at the real wall time, so times in answers look real.
    pub fn new(scale: f64) -> Clock {
        let wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64);
        Clock {
            base_ms: wall_ms,
            anchor: Instant::now(),
            scale: check_scale(scale).unwrap_or(1.0),
        }
    }

    /// The current sandbox time, in epoch milliseconds.
    pub fn now_ms(&self) -> u64 {
        let elapsed_ms = self.anchor.elapsed().as_secs_f64() * 1000.0;
        let now = self.base_ms + elapsed_ms * self.scale;
        // `as` saturates on overflow and maps NaN to 0: no panic whatever the scale did.
        now as u64
    }

    /// The current scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Moves sandbox time forward by `by`.
    pub fn advance(&mut self, by: Duration) {
        self.base_ms += by.as_secs_f64() * 1000.0;
    }

    /// Changes the scale from now on.
    pub fn set_scale(&mut self, scale: f64) -> Result<(), InvalidClockScale> {
        let scale = check_scale(scale)?;
        self.base_ms = self.now_ms() as f64;
        self.anchor = Instant::now();
        self.scale = scale;
        Ok(())
    }
}

/// Beijing time (UTC+8), in which the service writes its `"YYYY-MM-DD HH:MM:SS"` times.
const BEIJING_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// Days since 1970-01-01 to a (year, month, day) civil date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Splits epoch milliseconds shifted by `offset_ms` into date and time fields (to the second).
fn fields(epoch_ms: u64, offset_ms: i64) -> (i64, u32, u32, i64, i64, i64) {
    let ms = i64::try_from(epoch_ms).unwrap_or(i64::MAX / 2) + offset_ms;
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    (
        y,
        m,
        d,
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
    )
}

/// `"YYYY-MM-DD HH:MM:SS"` in Beijing time with no zone in the text, as the service writes
/// `createTime`, `updateTime`, `startTime` and `endTime` of runs.
pub(crate) fn beijing_text(epoch_ms: u64) -> String {
    let (y, mo, d, h, mi, s) = fields(epoch_ms, BEIJING_OFFSET_MS);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // 2025-12-16T08:14:56Z
        let ms = 1_765_872_896_000;
        assert_eq!(beijing_text(ms), "2025-12-16 16:14:56");
        assert_eq!(beijing_text(0), "1970-01-01 08:00:00");
        // Crossing a day and a leap day in Beijing time.
        assert_eq!(beijing_text(951_782_400_000 - 1), "2000-02-29 07:59:59");
        // No panic at the extremes.
        let _ = beijing_text(u64::MAX);
    }

    #[test]
    fn advance_and_scale() {
        let mut clock = Clock::new(0.0);
        let start = clock.now_ms();
        assert_eq!(clock.now_ms(), start, "scale 0 freezes the clock");
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now_ms(), start + 5000);
        assert!(clock.set_scale(-1.0).is_err());
        assert!(clock.set_scale(f64::NAN).is_err());
        assert!(clock.set_scale(f64::INFINITY).is_err());
        clock.set_scale(1000.0).expect("valid");
        std::thread::sleep(Duration::from_millis(5));
        assert!(clock.now_ms() >= start + 5000 + 4000);
        assert_eq!(clock.scale(), 1000.0);
    }
}
