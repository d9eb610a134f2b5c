//! A sleep period: an interval of UTC time spent asleep.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ValidationError, period};

/// The longest single sleep period accepted, in hours. Longer recorded
/// "sleeps" are device artefacts (a watch left on a charger), not sleep.
pub const MAX_SLEEP_HOURS: u32 = 24;

/// A period of sleep, `[start, end)` in UTC.
///
/// An instant `t` is asleep when `start <= t < end` (the convention of the
/// published FIPS implementation, see `docs/science.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "period::RawPeriod", into = "period::RawPeriod")]
pub struct SleepPeriod {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl SleepPeriod {
    /// A validated sleep period.
    ///
    /// # Errors
    /// [`ValidationError::EndNotAfterStart`] when `end <= start`;
    /// [`ValidationError::TooLong`] when it lasts over [`MAX_SLEEP_HOURS`].
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, ValidationError> {
        period::check("sleep", MAX_SLEEP_HOURS, start, end)?;
        Ok(Self { start, end })
    }

    /// When sleep began (inclusive).
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// When sleep ended (exclusive).
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// Length in hours.
    pub fn duration_hours(&self) -> f64 {
        period::hours(self.start, self.end)
    }

    /// True when `t` falls inside `[start, end)`.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// True when the two periods share any instant.
    pub fn overlaps(&self, other: &SleepPeriod) -> bool {
        self.start < other.end && other.start < self.end
    }
}

period::period_serde!(SleepPeriod);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn reversed_and_empty_periods_are_refused() {
        assert!(matches!(
            SleepPeriod::new(t(7), t(1)),
            Err(ValidationError::EndNotAfterStart { .. })
        ));
        assert!(SleepPeriod::new(t(7), t(7)).is_err());
    }

    #[test]
    fn thirty_hour_sleep_is_refused() {
        let start = t(0);
        let end = start + Duration::hours(30);
        assert!(matches!(
            SleepPeriod::new(start, end),
            Err(ValidationError::TooLong { .. })
        ));
    }

    #[test]
    fn deserialising_validates() {
        let bad = r#"{"start":"2025-01-01T07:00:00Z","end":"2025-01-01T01:00:00Z"}"#;
        assert!(serde_json::from_str::<SleepPeriod>(bad).is_err());
        let good = r#"{"start":"2025-01-01T01:00:00Z","end":"2025-01-01T07:00:00Z"}"#;
        let p: SleepPeriod = serde_json::from_str(good).unwrap();
        assert!((p.duration_hours() - 6.0).abs() < 1e-12);
        assert!(p.contains(t(1)) && !p.contains(t(7)));
    }
}
