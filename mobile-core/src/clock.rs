//! Clock time of day in a person's IANA time zone.
//!
//! The models take instants in UTC but their circadian terms need the local
//! clock time of day (`docs/science.md`, section 1: "local to the person's body
//! clock: use the roster's time zone"). Across a DST change the local clock
//! jumps by an hour and so does the circadian phase the models see; this is the
//! published models' convention (they have no re-entrainment), kept as is.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use crate::EngineError;

/// Converts UTC instants to local decimal clock hours in one IANA zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalClock {
    zone: Tz,
}

impl LocalClock {
    /// A clock in the given zone.
    pub fn new(zone: Tz) -> Self {
        Self { zone }
    }

    /// A clock in UTC (how the reference vectors were produced).
    pub fn utc() -> Self {
        Self { zone: Tz::UTC }
    }

    /// A clock in the zone named `name` (e.g. `Europe/London`).
    ///
    /// # Errors
    /// [`EngineError::UnknownTimeZone`] for a name not in the IANA database.
    pub fn from_name(name: &str) -> Result<Self, EngineError> {
        name.parse::<Tz>()
            .map(Self::new)
            .map_err(|_| EngineError::UnknownTimeZone(name.to_string()))
    }

    /// The zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The UTC offset in seconds in force at `t`.
    pub fn offset_seconds(&self, t: DateTime<Utc>) -> i64 {
        i64::from(
            self.zone
                .offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    }

    /// Local clock time of day at `t`, in decimal hours `[0, 24)`.
    pub fn time_of_day_hours(&self, t: DateTime<Utc>) -> f64 {
        time_of_day_with_offset(t, self.offset_seconds(t))
    }
}

/// Local clock time of day at `t` given the zone's offset at `t`, in `[0, 24)`.
fn time_of_day_with_offset(t: DateTime<Utc>, offset_seconds: i64) -> f64 {
    let local_seconds = (t.timestamp() + offset_seconds).rem_euclid(86_400);
    (local_seconds as f64 + f64::from(t.timestamp_subsec_nanos()) * 1e-9) / 3600.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn london_is_utc_in_winter_and_bst_in_summer() {
        let london = LocalClock::from_name("Europe/London").unwrap();
        let winter = Utc.with_ymd_and_hms(2025, 1, 15, 23, 30, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2025, 7, 15, 23, 30, 0).unwrap();
        assert!((london.time_of_day_hours(winter) - 23.5).abs() < 1e-12);
        assert!((london.time_of_day_hours(summer) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn clocks_go_forward_at_one_utc_on_the_last_sunday_of_march() {
        let london = LocalClock::from_name("Europe/London").unwrap();
        let before = Utc.with_ymd_and_hms(2025, 3, 30, 0, 55, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2025, 3, 30, 1, 0, 0).unwrap();
        assert!((london.time_of_day_hours(before) - (55.0 / 60.0)).abs() < 1e-12);
        assert!((london.time_of_day_hours(after) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn unknown_zone_is_a_typed_error() {
        assert_eq!(
            LocalClock::from_name("Europe/Atlantis"),
            Err(EngineError::UnknownTimeZone("Europe/Atlantis".into()))
        );
    }
}
