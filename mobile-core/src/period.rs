//! A run of a force's local days: the period every report, cohort run and
//! risk view covers.
//!
//! A period is inclusive local dates `from..=to`; its instants are local
//! midnights in the force's IANA zone, so a day of a clock change is 23 or
//! 25 hours long and a period ending on the last Sunday of October in
//! Europe/London runs to 00:00 GMT on the Monday, not 00:00 UTC the
//! Sunday night before. Local dates are never read as UTC midnights.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The longest period any figure covers (a report, a cohort run), days.
pub const MAX_PERIOD_DAYS: i64 = 400;

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The last day is before the first.
    #[error("invalid period: {to} is before {from}")]
    Reversed {
        /// First day asked for.
        from: NaiveDate,
        /// Last day asked for.
        to: NaiveDate,
    },
    /// Over [`MAX_PERIOD_DAYS`] days.
    #[error("invalid period: {days} days is over the {MAX_PERIOD_DAYS} allowed")]
    TooLong {
        /// Days asked for.
        days: i64,
    },
}

/// A run of whole local days, `from..=to`; the zone is the force's, given
/// where instants are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

impl Period {
    /// The number of whole ISO weeks (Monday to Sunday) the period is, or
    /// `None` when it does not start on a Monday and end on a Sunday. The
    /// platform's published aggregates over its own data are on this grid,
    /// so no two allowed periods differ by a few days (docs/security.md).
    pub fn iso_weeks(&self) -> Option<i64> {
        let days = (self.to - self.from).num_days() + 1;
        (self.from.weekday() == Weekday::Mon && self.to.weekday() == Weekday::Sun && days > 0)
            .then_some(days / 7)
    }

    /// The reporting month of `year`-`month`: the whole ISO weeks whose
    /// Thursday falls in that calendar month (ISO 8601 gives a week to the
    /// year of its Thursday; the same rule for months). Four or five weeks,
    /// Monday to Sunday, and every ISO week is in exactly one reporting
    /// month, so months and weeks sit on one grid. `None` for a month that
    /// does not exist.
    pub fn reporting_month(year: i32, month: u32) -> Option<Self> {
        let first_thursday = |d: NaiveDate| {
            let ahead = (3 - i64::from(d.weekday().num_days_from_monday())).rem_euclid(7);
            d + Duration::days(ahead)
        };
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = first.checked_add_months(chrono::Months::new(1))?;
        Some(Self {
            from: first_thursday(first) - Duration::days(3),
            to: first_thursday(next) - Duration::days(4),
        })
    }

    /// True when the period is a reporting month ([`Period::reporting_month`]).
    pub fn is_reporting_month(&self) -> bool {
        let thursday = self.from + Duration::days(3);
        Self::reporting_month(thursday.year(), thursday.month()) == Some(*self)
    }

    /// True when the period is one of the grid's units: one ISO week, or one
    /// reporting month. Figures a person asks for by period (an FRM report
    /// on demand) take only these, so two allowed periods never differ by a
    /// few days (docs/security.md, "Differencing").
    pub fn is_grid_unit(&self) -> bool {
        self.iso_weeks() == Some(1) || self.is_reporting_month()
    }

    /// The `weeks` whole ISO weeks that end on the last Sunday before
    /// `date` (a scheduled report run on `date` covers them).
    pub fn iso_weeks_before(date: NaiveDate, weeks: u32) -> Self {
        let back = i64::from(date.weekday().num_days_from_monday()) + 1;
        let to = date - Duration::days(back);
        Self {
            from: to - Duration::days(7 * i64::from(weeks.max(1)) - 1),
            to,
        }
    }

    /// A validated period.
    ///
    /// # Errors
    /// [`PeriodError::Reversed`] when `to` is before `from`;
    /// [`PeriodError::TooLong`] over [`MAX_PERIOD_DAYS`].
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, PeriodError> {
        if to < from {
            return Err(PeriodError::Reversed { from, to });
        }
        let p = Self { from, to };
        if p.days() > MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong { days: p.days() });
        }
        Ok(p)
    }

    /// Number of days.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The days, first to last.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        let to = self.to;
        self.from.iter_days().take_while(move |d| *d <= to)
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Self {
        let len = Duration::days(self.days());
        Self {
            from: self.from - len,
            to: self.to - len,
        }
    }

    /// Contains a local date.
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// Contains an instant: `start(zone) <= t < end(zone)`.
    pub fn contains_instant(&self, t: DateTime<Utc>, zone: Tz) -> bool {
        let (a, b) = self.instants(zone);
        a <= t && t < b
    }

    /// Local midnight at the start of `from`, in UTC.
    pub fn start(&self, zone: Tz) -> DateTime<Utc> {
        local_instant(zone, self.from, 0)
    }

    /// Local midnight after `to`, in UTC (the first instant not in the period).
    pub fn end(&self, zone: Tz) -> DateTime<Utc> {
        local_instant(zone, self.to + Duration::days(1), 0)
    }

    /// `[start, end)` in UTC: [`Period::start`] and [`Period::end`].
    pub fn instants(&self, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.start(zone), self.end(zone))
    }
}

/// `hour`:00 local on `date` in `zone`, in UTC ([`local_time_instant`]'s
/// rule for clock changes).
pub fn local_instant(zone: Tz, date: NaiveDate, hour: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour.min(23), 0, 0).unwrap_or_default();
    local_time_instant(zone, date, time)
}

/// `time` local on `date` in `zone`, in UTC. A time a clock change
/// repeats is taken at its first occurrence; one it skips at the first
/// instant that exists after it (an hour later), as PostgreSQL's
/// `AT TIME ZONE` does for the same time.
pub fn local_time_instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => zone
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
            .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reporting_months_are_the_iso_weeks_whose_thursday_is_in_the_month() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        // December 2026: 1 Dec is a Tuesday, so the first Thursday is 3 Dec,
        // its week Mon 30 Nov; 1 Jan 2027 is a Friday, first Thursday 7 Jan,
        // so December's last week ends Sun 3 Jan 2027. Five weeks.
        let dec = Period::reporting_month(2026, 12).unwrap();
        assert_eq!((dec.from, dec.to), (d(2026, 11, 30), d(2027, 1, 3)));
        assert_eq!(dec.iso_weeks(), Some(5));
        // November 2026: 1 Nov a Sunday, first Thursday 5 Nov (week from
        // Mon 2 Nov) to the Sunday before 30 Nov: four weeks.
        let nov = Period::reporting_month(2026, 11).unwrap();
        assert_eq!((nov.from, nov.to), (d(2026, 11, 2), d(2026, 11, 29)));
        assert_eq!(nov.iso_weeks(), Some(4));
        // Months tile the weeks: each starts the day after the last ends.
        let mut prev = Period::reporting_month(2025, 12).unwrap();
        for m in 1..=12 {
            let p = Period::reporting_month(2026, m).unwrap();
            assert_eq!(p.from, prev.to + Duration::days(1), "month {m}");
            assert!(matches!(p.iso_weeks(), Some(4 | 5)));
            assert!(p.is_reporting_month() && p.is_grid_unit());
            prev = p;
        }
        assert_eq!(Period::reporting_month(2026, 13), None);
        // Not units: a calendar month, two weeks, a week shifted a day.
        let p = |a, b| Period::new(a, b).unwrap();
        assert!(!p(d(2026, 11, 1), d(2026, 11, 30)).is_grid_unit());
        assert!(!p(d(2026, 11, 2), d(2026, 11, 15)).is_grid_unit());
        assert!(!p(d(2026, 11, 3), d(2026, 11, 9)).is_grid_unit());
        assert!(p(d(2026, 11, 2), d(2026, 11, 8)).is_grid_unit());
    }

    #[test]
    fn scheduled_periods_end_on_the_sunday_before_the_run() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // Run on Monday 7 Dec: the week 30 Nov - 6 Dec.
        let p = Period::iso_weeks_before(d(12, 7), 1);
        assert_eq!((p.from, p.to), (d(11, 30), d(12, 6)));
        // Run on Sunday 6 Dec: that Sunday is not over, so the week before.
        let p = Period::iso_weeks_before(d(12, 6), 2);
        assert_eq!((p.from, p.to), (d(11, 16), d(11, 29)));
        assert_eq!(p.iso_weeks(), Some(2));
    }

    #[test]
    fn whole_iso_weeks_start_on_a_monday_and_end_on_a_sunday() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let weeks = |from, to| Period { from, to }.iso_weeks();
        // 1 June 2026 is a Monday.
        assert_eq!(weeks(d(6, 1), d(6, 7)), Some(1));
        assert_eq!(weeks(d(6, 1), d(7, 26)), Some(8));
        assert_eq!(weeks(d(6, 2), d(6, 7)), None);
        assert_eq!(weeks(d(6, 1), d(6, 6)), None);
        assert_eq!(weeks(d(6, 8), d(6, 7)), None);
    }

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn london() -> Tz {
        chrono_tz::Europe::London
    }

    #[test]
    fn periods_are_local_days_across_a_clock_change() {
        // 29 March 2026: clocks go forward, so the day lasts 23 hours.
        let p = Period::new(d(2026, 3, 29), d(2026, 3, 29)).unwrap();
        let (a, b) = p.instants(london());
        assert_eq!(a, Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap());
        assert_eq!(b - a, Duration::hours(23));
        assert_eq!(p.previous().to, d(2026, 3, 28));
        assert_eq!(
            Period::new(d(2026, 3, 29), d(2026, 3, 28)),
            Err(PeriodError::Reversed {
                from: d(2026, 3, 29),
                to: d(2026, 3, 28)
            })
        );
        assert!(
            Period::new(
                d(2026, 1, 1),
                d(2026, 1, 1) + Duration::days(MAX_PERIOD_DAYS)
            )
            .is_err()
        );
        assert!(
            Period::new(
                d(2026, 1, 1),
                d(2026, 1, 1) + Duration::days(MAX_PERIOD_DAYS - 1)
            )
            .is_ok()
        );
    }

    #[test]
    fn a_period_ending_on_the_last_sunday_of_october_runs_to_local_midnight() {
        // Sunday 25 October 2026: BST ends at 02:00 BST (01:00 UTC); the
        // day is 25 hours and ends at 00:00 GMT on Monday 26 October.
        let p = Period::new(d(2026, 10, 19), d(2026, 10, 25)).unwrap();
        let zone = london();
        assert_eq!(
            p.start(zone),
            Utc.with_ymd_and_hms(2026, 10, 18, 23, 0, 0).unwrap()
        );
        assert_eq!(
            p.end(zone),
            Utc.with_ymd_and_hms(2026, 10, 26, 0, 0, 0).unwrap()
        );
        let sunday = Period::new(d(2026, 10, 25), d(2026, 10, 25)).unwrap();
        assert_eq!(sunday.end(zone) - sunday.start(zone), Duration::hours(25));
        // A duty at 23:30 GMT on the Sunday is in the period; 00:00 Monday is not.
        let late = Utc.with_ymd_and_hms(2026, 10, 25, 23, 30, 0).unwrap();
        assert!(p.contains_instant(late, zone));
        assert!(!p.contains_instant(p.end(zone), zone));
        // 23:30 BST on Sunday 18 October is the Sunday before: not in it.
        let before = Utc.with_ymd_and_hms(2026, 10, 18, 22, 30, 0).unwrap();
        assert!(!p.contains_instant(before, zone));
        assert_eq!(p.dates().count() as i64, p.days());
        assert_eq!(p.dates().last(), Some(d(2026, 10, 25)));
        assert!(p.contains(d(2026, 10, 25)) && !p.contains(d(2026, 10, 26)));
    }
}
