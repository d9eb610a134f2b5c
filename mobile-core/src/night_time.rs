//! Night time and night duties: the one definition the engine, the report
//! and the database's NPWS features use.
//!
//! # Rule
//! Night time is 23:00 to 06:00 local clock time (Working Time Regulations
//! 1998, reg. 2, the default when no agreement sets it), each night's edges
//! taken in the zone, so the night of a clock change is 6 hours (spring) or
//! 8 hours (autumn) long. A duty `[start, end)` is a night duty when at least
//! [`NIGHT_DUTY_MINUTES`] of it fall in night time (reg. 2: "not less than
//! three hours of his daily working time"; `fatigue-science.md` §4).
//!
//! The SQL function `npws_person_features` (migration
//! `2026-11-23-000600_npws_features`) cannot import this; the database test
//! `tests/tests/night_rule_sql.rs` checks it agrees on the same duties.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::period::local_instant;

/// Night time starts at this local hour (WTR reg. 2).
pub const NIGHT_START_HOUR: u32 = 23;
/// Night time ends at this local hour, the next day (WTR reg. 2).
pub const NIGHT_END_HOUR: u32 = 6;
/// A duty with at least this many minutes in night time is a night duty
/// (WTR reg. 2: three hours).
pub const NIGHT_DUTY_MINUTES: i64 = 3 * 60;

/// One night's time: 23:00 on `date` to 06:00 the next day, local in
/// `zone`, as instants.
fn night_window(zone: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        local_instant(zone, date, NIGHT_START_HOUR),
        local_instant(zone, date + Duration::days(1), NIGHT_END_HOUR),
    )
}

/// The local dates whose nights `[start, end)` can hold: from the day
/// before `start`'s date to `end`'s date.
fn night_dates(start: DateTime<Utc>, end: DateTime<Utc>, zone: Tz) -> (NaiveDate, NaiveDate) {
    (
        start.with_timezone(&zone).date_naive() - Duration::days(1),
        end.with_timezone(&zone).date_naive(),
    )
}

/// Seconds of `[start, end)` inside one night's `window`.
fn seconds_in(
    window: (DateTime<Utc>, DateTime<Utc>),
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> i64 {
    (window.1.min(end) - window.0.max(start))
        .num_seconds()
        .max(0)
}

/// True when a duty with `seconds` of night time is a night duty.
fn holds_night_duty(seconds: i64) -> bool {
    seconds / 60 >= NIGHT_DUTY_MINUTES
}

/// Seconds of `[start, end)` inside local night time (23:00–06:00 in `zone`).
///
/// # Formula
/// `Σ_d max(0, min(end, 06:00 on d+1) − max(start, 23:00 on d))` over the
/// local dates `d` from the day before `start`'s date to `end`'s date, each
/// edge a local clock time in `zone` turned into an instant.
pub fn night_seconds(start: DateTime<Utc>, end: DateTime<Utc>, zone: Tz) -> i64 {
    if end <= start {
        return 0;
    }
    let (first, last) = night_dates(start, end, zone);
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| seconds_in(night_window(zone, d), start, end))
        .sum()
}

/// Whole minutes of `[start, end)` inside local night time: exact for
/// duties on whole minutes, rounded down otherwise.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// // 22:00-07:00 GMT holds 7 hours of night time.
/// let start = Utc.with_ymd_and_hms(2026, 1, 5, 22, 0, 0).unwrap();
/// let end = Utc.with_ymd_and_hms(2026, 1, 6, 7, 0, 0).unwrap();
/// let zone = "Europe/London".parse().unwrap();
/// assert_eq!(mobile_core::night_time::night_minutes(start, end, zone), 7 * 60);
/// ```
pub fn night_minutes(start: DateTime<Utc>, end: DateTime<Utc>, zone: Tz) -> i64 {
    night_seconds(start, end, zone) / 60
}

/// True when `[start, end)` is a night duty: at least
/// [`NIGHT_DUTY_MINUTES`] in night time.
pub fn is_night_duty(start: DateTime<Utc>, end: DateTime<Utc>, zone: Tz) -> bool {
    holds_night_duty(night_seconds(start, end, zone))
}

/// The nights of one zone over a run of local dates, each night's edges
/// turned into instants once.
///
/// [`night_seconds`] turns two local clock times into instants for every
/// night a duty may touch; over a force's report (every person's duties in
/// five overlapping 17-week periods) those conversions were most of the
/// Working Time figures' time (docs/scaling.md). The same nights worked out
/// once give the same sums: [`NightWindows::seconds`] adds the same terms
/// over the same dates, and takes [`night_seconds`]'s way for a duty
/// reaching past the dates it holds.
#[derive(Debug, Clone)]
pub struct NightWindows {
    zone: Tz,
    /// The date of `windows[0]`'s night.
    first: NaiveDate,
    /// The night of each date from `first`, in order.
    windows: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl NightWindows {
    /// The nights any duty inside `[from, to]` can hold.
    pub fn covering(zone: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        let (first, last) = night_dates(from, to, zone);
        let windows = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| night_window(zone, d))
            .collect();
        NightWindows {
            zone,
            first,
            windows,
        }
    }

    /// The zone whose nights these are.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// [`night_seconds`] of `[start, end)` in this zone.
    pub fn seconds(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
        if end <= start {
            return 0;
        }
        let (first, last) = night_dates(start, end, self.zone);
        let index = |d: NaiveDate| usize::try_from((d - self.first).num_days()).ok();
        match (index(first), index(last)) {
            (Some(i), Some(j)) if j < self.windows.len() => self.windows[i..=j]
                .iter()
                .map(|w| seconds_in(*w, start, end))
                .sum(),
            _ => night_seconds(start, end, self.zone),
        }
    }

    /// [`is_night_duty`] of `[start, end)` in this zone.
    pub fn is_night_duty(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        holds_night_duty(self.seconds(start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Timelike};

    fn london() -> Tz {
        chrono_tz::Europe::London
    }

    /// The rule as the engine first wrote it: walk the minutes and count
    /// those whose local hour is outside 06–22.
    fn walked(start: DateTime<Utc>, end: DateTime<Utc>, zone: Tz) -> i64 {
        let minutes = (end - start).num_minutes();
        (0..minutes)
            .filter(|m| {
                let hour = (start + Duration::minutes(*m)).with_timezone(&zone).hour();
                !(NIGHT_END_HOUR..NIGHT_START_HOUR).contains(&hour)
            })
            .count() as i64
    }

    #[test]
    fn night_time_follows_the_clock_change() {
        // 29 March 2026 01:00 GMT the clocks go forward: that night's
        // 23:00–06:00 is 6 hours; on 25 October it is 8.
        let spring = Utc.with_ymd_and_hms(2026, 3, 28, 20, 0, 0).unwrap();
        assert_eq!(
            night_minutes(spring, spring + Duration::hours(12), london()),
            6 * 60
        );
        let autumn = Utc.with_ymd_and_hms(2026, 10, 24, 20, 0, 0).unwrap();
        assert_eq!(
            night_minutes(autumn, autumn + Duration::hours(12), london()),
            8 * 60
        );
    }

    #[test]
    fn three_hours_make_a_night_duty_and_one_minute_less_does_not() {
        let t = |d, h, m| Utc.with_ymd_and_hms(2026, 1, d, h, m, 0).unwrap();
        assert!(is_night_duty(t(5, 16, 0), t(6, 2, 0), london()));
        assert!(!is_night_duty(t(5, 16, 0), t(6, 1, 59), london()));
        // Starting exactly at 06:00 holds none; ending at 23:00 holds none.
        assert_eq!(night_minutes(t(6, 6, 0), t(6, 23, 0), london()), 0);
        assert_eq!(night_minutes(t(6, 23, 0), t(7, 6, 0), london()), 7 * 60);
        assert_eq!(night_minutes(t(6, 7, 0), t(6, 6, 0), london()), 0);
    }

    proptest::proptest! {
        /// The window sum equals the minute walk for any duty of up to 24 h
        /// on whole minutes in 2026, clock changes included.
        #[test]
        fn the_window_sum_equals_the_minute_walk(minute in 0i64..(365 * 24 * 60), length in 1i64..(24 * 60)) {
            let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(minute);
            let end = start + Duration::minutes(length);
            proptest::prop_assert_eq!(night_minutes(start, end, london()), walked(start, end, london()));
        }
    }

    proptest::proptest! {
        /// The nights worked out once give what the per-duty conversions
        /// give, to the second, for duties inside the dates held and
        /// reaching past them, across both clock changes, in London and in
        /// a zone whose clock moves by half an hour.
        #[test]
        fn the_windows_give_the_same_seconds(second in -(30i64 * 86_400)..(400 * 86_400), length in 0i64..(30 * 3_600), howe in proptest::bool::ANY) {
            let zone = if howe { chrono_tz::Australia::Lord_Howe } else { london() };
            let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
            let nights = NightWindows::covering(zone, from, from + Duration::days(365));
            let start = from + Duration::seconds(second);
            let end = start + Duration::seconds(length);
            proptest::prop_assert_eq!(nights.seconds(start, end), night_seconds(start, end, zone));
            proptest::prop_assert_eq!(nights.is_night_duty(start, end), is_night_duty(start, end, zone));
        }
    }
}
