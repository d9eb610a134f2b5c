//! Which scheduled report runs are due: the pure logic behind the server's
//! scheduler. Cron expressions are parsed by `croner` (the parser
//! tokio-cron-scheduler itself uses) and evaluated in the force's zone, so
//! "Monday 06:00 Europe/London" stays 06:00 local across DST changes.
//!
//! A run missed while the server was down runs once: [`due`] returns only
//! the latest slot in `(last_run, now]` and how many earlier slots it
//! stands for, never one run per missed slot.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;

use crate::AnalyticsError;
use crate::input::{Period, parse_zone};

/// The default schedule: weekly, Monday 06:00.
pub const DEFAULT_CRON: &str = "0 6 * * MON";
/// The default zone.
pub const DEFAULT_ZONE: &str = "Europe/London";
/// Most slots counted when catching up (a minutely schedule down for a year
/// still answers quickly; the count then says "at least").
pub const MAX_SLOTS_COUNTED: usize = 10_000;

/// A force's report schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    zone: Tz,
}

/// A run to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueRun {
    /// The slot the run stands for (the latest one due).
    pub slot: DateTime<Utc>,
    /// Slots due in `(last_run, now]`, this one included (capped at
    /// [`MAX_SLOTS_COUNTED`]); more than 1 means runs were missed.
    pub slots_due: usize,
}

impl Schedule {
    /// A schedule from a 5-field cron expression (minute hour day month
    /// weekday) in an IANA zone.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidSchedule`] or [`AnalyticsError::UnknownZone`].
    pub fn new(expression: &str, zone: &str) -> Result<Self, AnalyticsError> {
        let cron = Cron::new(expression)
            .parse()
            .map_err(|e| AnalyticsError::InvalidSchedule {
                expression: expression.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            cron,
            zone: parse_zone(zone)?,
        })
    }

    /// The default: Monday 06:00 Europe/London.
    ///
    /// # Errors
    /// None in practice (the defaults are valid); typed for uniformity.
    pub fn default_weekly() -> Result<Self, AnalyticsError> {
        Self::new(DEFAULT_CRON, DEFAULT_ZONE)
    }

    /// The period a weekly run at `slot` reports on: the seven local days
    /// before the slot's local date (a Monday 06:00 run covers Monday to
    /// Sunday of the week before).
    pub fn previous_week(&self, slot: DateTime<Utc>) -> Period {
        let day = slot.with_timezone(&self.zone).date_naive();
        Period {
            from: day - chrono::Duration::days(7),
            to: day - chrono::Duration::days(1),
        }
    }

    /// The first slot strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&t.with_timezone(&self.zone), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// What is due at `now`, given the last run's slot (or, for a new
    /// schedule, when it was created). `None` when nothing is due.
    pub fn due(&self, last_run: DateTime<Utc>, now: DateTime<Utc>) -> Option<DueRun> {
        let mut slot = self.next_after(last_run)?;
        if slot > now {
            return None;
        }
        let mut slots_due = 1;
        while let Some(next) = self.next_after(slot) {
            if next > now {
                break;
            }
            slot = next;
            slots_due += 1;
            if slots_due >= MAX_SLOTS_COUNTED {
                // Jump: the latest slot is the last one at or before now.
                return self
                    .latest_at_or_before(now)
                    .map(|slot| DueRun { slot, slots_due });
            }
        }
        Some(DueRun { slot, slots_due })
    }

    /// The latest slot at or before `now`, searching back in growing steps.
    fn latest_at_or_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut back = chrono::Duration::minutes(1);
        loop {
            let from = now - back;
            let mut slot = None;
            let mut t = from;
            while let Some(n) = self.next_after(t) {
                if n > now {
                    break;
                }
                slot = Some(n);
                t = n;
            }
            if slot.is_some() {
                return slot;
            }
            if back > chrono::Duration::days(366 * 5) {
                return None;
            }
            back = back * 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn monday_six_local_follows_british_summer_time() {
        let s = Schedule::default_weekly().unwrap();
        // Winter: 06:00 GMT is 06:00 UTC. 2026-01-05 is a Monday.
        assert_eq!(
            s.next_after(utc(2026, 1, 1, 0, 0)),
            Some(utc(2026, 1, 5, 6, 0))
        );
        // Summer: 06:00 BST is 05:00 UTC. 2026-06-01 is a Monday.
        assert_eq!(
            s.next_after(utc(2026, 5, 30, 0, 0)),
            Some(utc(2026, 6, 1, 5, 0))
        );
    }

    #[test]
    fn a_monday_run_reports_on_the_week_before() {
        let s = Schedule::default_weekly().unwrap();
        let p = s.previous_week(utc(2026, 6, 1, 5, 0));
        assert_eq!(p.from.to_string(), "2026-05-25");
        assert_eq!(p.to.to_string(), "2026-05-31");
    }

    #[test]
    fn nothing_due_before_the_slot_and_one_run_at_it() {
        let s = Schedule::default_weekly().unwrap();
        let last = utc(2026, 1, 5, 6, 0);
        assert_eq!(s.due(last, utc(2026, 1, 12, 5, 59)), None);
        assert_eq!(
            s.due(last, utc(2026, 1, 12, 6, 0)),
            Some(DueRun {
                slot: utc(2026, 1, 12, 6, 0),
                slots_due: 1
            })
        );
    }

    #[test]
    fn runs_missed_while_down_run_once() {
        let s = Schedule::default_weekly().unwrap();
        // Down from 5 Jan to Wednesday 4 Feb: slots 12, 19, 26 Jan and 2 Feb.
        let due = s.due(utc(2026, 1, 5, 6, 0), utc(2026, 2, 4, 9, 0)).unwrap();
        assert_eq!(due.slot, utc(2026, 2, 2, 6, 0));
        assert_eq!(due.slots_due, 4);
        // After that run, nothing is due until the next Monday.
        assert_eq!(s.due(due.slot, utc(2026, 2, 4, 9, 0)), None);
    }

    #[test]
    fn a_minutely_schedule_down_for_weeks_still_answers_with_the_latest_slot() {
        let s = Schedule::new("* * * * *", "UTC").unwrap();
        let now = utc(2026, 3, 1, 12, 30);
        let due = s.due(utc(2026, 1, 1, 0, 0), now).unwrap();
        assert_eq!(due.slot, now);
        assert_eq!(due.slots_due, MAX_SLOTS_COUNTED);
    }

    #[test]
    fn bad_expressions_and_zones_are_typed_errors() {
        assert!(matches!(
            Schedule::new("61 * * * *", "UTC"),
            Err(AnalyticsError::InvalidSchedule { .. })
        ));
        assert!(matches!(
            Schedule::new("not cron", "UTC"),
            Err(AnalyticsError::InvalidSchedule { .. })
        ));
        assert!(matches!(
            Schedule::new(DEFAULT_CRON, "Nowhere/Land"),
            Err(AnalyticsError::UnknownZone(_))
        ));
    }
}
