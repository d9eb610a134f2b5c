//! A force's roster settings: the limits that the engine's per-shift flags
//! ([`super::assess`]) and the report's person-level levels
//! (`analytics::indicators`) both apply, one set of numbers, so a shift the
//! engine flags is a breach in the report too, and an officer's flags agree
//! with their supervisor's.
//!
//! Sources: the indicator table of `frm-indicators.md` (shared reference),
//! numbers 1–6, 8 and 12; the reasoning in `fatigue-science.md` §4 and
//! `docs/science.md`. A force may choose its amber and red levels where the
//! regulations leave a choice, never past a legal limit
//! ([`RosterLimits::validate`]); the legal limits themselves are the
//! constants here, not settings.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::period::local_instant;

/// Daily rest between duties, hours (Working Time Regulations 1998 reg.
/// 10(1)): a force's red quick-return level may not be under it.
pub const DAILY_REST_HOURS: u32 = 11;
/// The 17-week average working week's legal limit, hours: red over it
/// (WTR reg. 4(1)); not a setting.
pub const AVERAGE_WEEK_RED_OVER_HOURS: u32 = 48;
/// A night worker's average daily hours' legal limit (WTR reg. 6(1)); not
/// a setting.
pub const NIGHT_WORKER_DAILY_HOURS: u32 = 8;
/// Weekly rest, hours (WTR reg. 11(1)): 24 uninterrupted in each 7 days.
pub const WEEKLY_REST_HOURS: u32 = 24;
/// Fortnightly rest, hours (WTR reg. 11(2)(b)): 48 uninterrupted in each
/// 14 days (or two of [`WEEKLY_REST_HOURS`], reg. 11(2)(a)).
pub const FORTNIGHTLY_REST_HOURS: u32 = 48;
/// The shortest uninterrupted rest that holds a weekly rest: 24 h plus the
/// 11 h of daily rest it may not include (reg. 11(7)): 35.
pub const WEEKLY_REST_WITH_DAILY_HOURS: u32 = WEEKLY_REST_HOURS + DAILY_REST_HOURS;
/// The shortest uninterrupted rest that holds a fortnightly 48 h rest: 48 h
/// plus 11 h of daily rest (reg. 11(2)(b), (7)): 59.
pub const FORTNIGHTLY_REST_WITH_DAILY_HOURS: u32 = FORTNIGHTLY_REST_HOURS + DAILY_REST_HOURS;
/// Longest run of consecutive work days a force may set as its red level:
/// more than 13 in 14 days leaves no day for reg. 11(2)'s fortnightly rest
/// (Network Rail's "more than 13 turns in 14 days").
pub const MAX_WORK_DAYS_RED_OVER: u32 = 13;

/// When the Working Time Regulations' fixed 7- and 14-day periods begin
/// (reg. 11(6)): a weekday and a local hour; Monday 00:00 unless the force
/// has agreed another start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeekStart {
    /// Day of the week (`"Mon"`, `"Tue"`, ... in JSON).
    pub weekday: Weekday,
    /// Local hour, 0–23.
    pub hour: u32,
}

impl Default for WeekStart {
    fn default() -> Self {
        Self {
            weekday: Weekday::Mon,
            hour: 0,
        }
    }
}

impl WeekStart {
    /// The start of the fixed 7-day period holding instant `t`, local in
    /// `zone` (a period with a clock change is 167 or 169 hours long).
    pub fn period_containing(&self, t: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        let local = t.with_timezone(&zone).date_naive();
        let back = i64::from(
            (7 + local.weekday().num_days_from_monday() - self.weekday.num_days_from_monday()) % 7,
        );
        let mut date: NaiveDate = local - Duration::days(back);
        // The period that starts on `local`'s weekday may start later that day.
        if local_instant(zone, date, self.hour) > t {
            date -= Duration::days(7);
        }
        local_instant(zone, date, self.hour)
    }

    /// The start of the fixed period after the one starting at `start`
    /// (from [`Self::period_containing`]).
    pub fn next_period(&self, start: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        let date = start.with_timezone(&zone).date_naive() + Duration::days(7);
        local_instant(zone, date, self.hour)
    }
}

/// A force's roster settings, with the published defaults ([`Default`]).
///
/// "Over" limits are breached by a value above them, "under" limits by a
/// value below, "from" limits by a value at or above. Stored as JSON: a
/// field left out reads as its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RosterLimits {
    /// Red: a shift over this many hours (frm-indicators #1; HSG256,
    /// Network Rail): 12.
    pub long_shift_over_hours: u32,
    /// Amber: a night shift over this many hours (#1; HSG256): 8.
    pub long_night_shift_over_hours: u32,
    /// Red quick return: rest between duties under this many hours (#2;
    /// WTR reg. 10): 11, and never less ([`DAILY_REST_HOURS`]).
    pub quick_return_red_under_hours: u32,
    /// Amber quick return: rest under this many hours (#2; Network Rail): 12.
    pub quick_return_amber_under_hours: u32,
    /// Amber: more than this many consecutive nights (#3; HSG256): 3.
    pub nights_amber_over: u32,
    /// Red: more than this many consecutive nights (#3; Police Scotland): 4.
    pub nights_red_over: u32,
    /// Two night shifts are consecutive when the rest between them is under
    /// this many hours (no full rest day between; ours): 24.
    pub night_run_gap_under_hours: u32,
    /// Amber: more than this many consecutive work days (#4; HSG256: at
    /// most 5–7 in a row): 6.
    pub work_days_amber_over: u32,
    /// Red: more than this many consecutive work days, i.e. all 14 of a
    /// 14-day window (#4; Network Rail, "more than 13 turns in 14 days"): 13.
    pub work_days_red_over: u32,
    /// Amber: this many hours or more worked in 7 days (#5; Network Rail
    /// level 1): 60.
    pub week_amber_from_hours: u32,
    /// Red: this many hours or more worked in 7 days (#5; Network Rail
    /// level 2): 72.
    pub week_red_from_hours: u32,
    /// Amber: 17-week average weekly hours over this (#6; our early
    /// warning): 44. Red is over 48 by law ([`AVERAGE_WEEK_RED_OVER_HOURS`]).
    pub average_week_amber_over_hours: u32,
    /// Amber: a door-to-door day (shift plus commute both ways) of this
    /// many hours or more (#12; Network Rail): 14.
    pub door_to_door_from_hours: u32,
    /// Where the fixed weekly-rest periods begin (#8; WTR reg. 11(6)):
    /// Monday 00:00.
    pub week_start: WeekStart,
}

impl Default for RosterLimits {
    fn default() -> Self {
        Self {
            long_shift_over_hours: 12,
            long_night_shift_over_hours: 8,
            quick_return_red_under_hours: DAILY_REST_HOURS,
            quick_return_amber_under_hours: 12,
            nights_amber_over: 3,
            nights_red_over: 4,
            night_run_gap_under_hours: 24,
            work_days_amber_over: 6,
            work_days_red_over: MAX_WORK_DAYS_RED_OVER,
            week_amber_from_hours: 60,
            week_red_from_hours: 72,
            average_week_amber_over_hours: 44,
            door_to_door_from_hours: 14,
            week_start: WeekStart::default(),
        }
    }
}

/// A force's settings as the server publishes them (`GET
/// /v1/force/settings`) and the phone library reads them: the one wire form,
/// produced by the server and parsed here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForceSettingsBody {
    /// The levels in effect (the published defaults where the force set
    /// none).
    pub limits: RosterLimits,
    /// The settings that differ from the published defaults, by name.
    #[serde(default)]
    pub changed: Vec<String>,
    /// When the force last changed them (none: never).
    #[serde(default)]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ForceSettingsBody {
    /// The body for `limits` (`changed` worked out from the defaults).
    pub fn new(limits: RosterLimits, updated_at: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        Self {
            changed: limits
                .differences_from_default()
                .into_iter()
                .map(|(name, _)| name)
                .collect(),
            limits,
            updated_at,
        }
    }

    /// Reads a body the server sent and checks its limits as the server
    /// does, so a phone never applies settings the server would refuse.
    ///
    /// # Errors
    /// A sentence naming what is wrong: not the body's JSON, or a setting
    /// [`RosterLimits::validate`] refuses.
    pub fn parse(json: &str) -> Result<Self, String> {
        let body: Self =
            serde_json::from_str(json).map_err(|e| format!("not a force settings body: {e}"))?;
        body.limits.validate().map_err(|e| e.to_string())?;
        Ok(body)
    }
}

/// Settings refused by [`RosterLimits::validate`]: every problem, each
/// naming the setting and the limit it passes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LimitsError {
    /// One line per problem, `setting: reason`.
    pub problems: Vec<String>,
}

impl fmt::Display for LimitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "roster settings refused: {}", self.problems.join("; "))
    }
}

impl RosterLimits {
    /// Checks the settings against the legal limits and sane ranges.
    ///
    /// Legal: the red quick return may not be under 11 h (WTR reg. 10); the
    /// 17-week average's amber must be under its fixed red of 48 h (reg.
    /// 4); more than 13 consecutive work days cannot be the red level (reg.
    /// 11(2)). The night worker's 8 h (reg. 6) and weekly rest (reg. 11)
    /// are not settings. Sane: every amber level comes before its red one,
    /// and each number is within the range a roster can reach.
    ///
    /// # Errors
    /// [`LimitsError`] listing every problem found.
    pub fn validate(&self) -> Result<(), LimitsError> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, setting: &str, reason: String| {
            if !ok {
                problems.push(format!("{setting}: {reason}"));
            }
        };
        let l = self;
        let max_shift = models::roster::MAX_SHIFT_HOURS;
        check(
            (1..=max_shift).contains(&l.long_shift_over_hours),
            "long_shift_over_hours",
            format!("must be 1 to {max_shift} h"),
        );
        check(
            (1..=l.long_shift_over_hours).contains(&l.long_night_shift_over_hours),
            "long_night_shift_over_hours",
            "must be 1 h to long_shift_over_hours".into(),
        );
        check(
            l.quick_return_red_under_hours >= DAILY_REST_HOURS,
            "quick_return_red_under_hours",
            format!("may not be under the legal daily rest of {DAILY_REST_HOURS} h (WTR reg. 10)"),
        );
        check(
            l.quick_return_amber_under_hours > l.quick_return_red_under_hours
                && l.quick_return_amber_under_hours <= 24,
            "quick_return_amber_under_hours",
            "must be over quick_return_red_under_hours and at most 24 h".into(),
        );
        check(
            l.nights_amber_over >= 1 && l.nights_amber_over < l.nights_red_over,
            "nights_amber_over",
            "must be at least 1 and under nights_red_over".into(),
        );
        check(
            l.nights_red_over <= 14,
            "nights_red_over",
            "must be at most 14".into(),
        );
        check(
            (1..=48).contains(&l.night_run_gap_under_hours),
            "night_run_gap_under_hours",
            "must be 1 to 48 h".into(),
        );
        check(
            l.work_days_amber_over >= 1 && l.work_days_amber_over < l.work_days_red_over,
            "work_days_amber_over",
            "must be at least 1 and under work_days_red_over".into(),
        );
        check(
            l.work_days_red_over <= MAX_WORK_DAYS_RED_OVER,
            "work_days_red_over",
            format!(
                "may not be over {MAX_WORK_DAYS_RED_OVER}: more leaves no fortnightly rest (WTR reg. 11(2))"
            ),
        );
        check(
            l.week_amber_from_hours >= 1 && l.week_amber_from_hours < l.week_red_from_hours,
            "week_amber_from_hours",
            "must be at least 1 h and under week_red_from_hours".into(),
        );
        check(
            l.week_red_from_hours <= 7 * 24,
            "week_red_from_hours",
            "must be at most 168 h".into(),
        );
        check(
            (1..AVERAGE_WEEK_RED_OVER_HOURS).contains(&l.average_week_amber_over_hours),
            "average_week_amber_over_hours",
            format!(
                "must be 1 h to under the legal {AVERAGE_WEEK_RED_OVER_HOURS} h, which stays red (WTR reg. 4)"
            ),
        );
        check(
            (1..=24).contains(&l.door_to_door_from_hours),
            "door_to_door_from_hours",
            "must be 1 to 24 h".into(),
        );
        check(
            l.week_start.hour <= 23,
            "week_start.hour",
            "must be 0 to 23".into(),
        );
        if problems.is_empty() {
            Ok(())
        } else {
            Err(LimitsError { problems })
        }
    }

    /// The settings that differ from the defaults, as `(name, value)` in
    /// JSON form (for a report's header).
    pub fn differences_from_default(&self) -> Vec<(String, String)> {
        let (Ok(serde_json::Value::Object(mine)), Ok(serde_json::Value::Object(default))) = (
            serde_json::to_value(self),
            serde_json::to_value(Self::default()),
        ) else {
            return Vec::new();
        };
        mine.into_iter()
            .filter(|(k, v)| default.get(k) != Some(v))
            .map(|(k, v)| (k, v.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn defaults_are_valid_and_missing_fields_read_as_defaults() {
        assert_eq!(RosterLimits::default().validate(), Ok(()));
        let partial: RosterLimits =
            serde_json::from_str(r#"{"average_week_amber_over_hours": 40}"#).unwrap();
        assert_eq!(
            partial,
            RosterLimits {
                average_week_amber_over_hours: 40,
                ..RosterLimits::default()
            }
        );
        let start: RosterLimits =
            serde_json::from_str(r#"{"week_start": {"weekday": "Sun", "hour": 6}}"#).unwrap();
        assert_eq!(start.week_start.weekday, Weekday::Sun);
        assert_eq!(start.week_start.hour, 6);
        let diff = start.differences_from_default();
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].0, "week_start");
        let value: serde_json::Value = serde_json::from_str(&diff[0].1).unwrap();
        assert_eq!(value, serde_json::json!({"weekday": "Sun", "hour": 6}));
        assert!(serde_json::from_str::<RosterLimits>(r#"{"no_such": 1}"#).is_err());
    }

    #[test]
    fn validation_lists_every_setting_past_a_legal_limit_or_out_of_range() {
        let bad = RosterLimits {
            quick_return_red_under_hours: 10,
            quick_return_amber_under_hours: 10,
            average_week_amber_over_hours: 48,
            work_days_red_over: 14,
            nights_amber_over: 4,
            week_start: WeekStart {
                weekday: Weekday::Mon,
                hour: 24,
            },
            ..RosterLimits::default()
        };
        let err = bad.validate().unwrap_err();
        let names: Vec<&str> = err
            .problems
            .iter()
            .map(|p| p.split(':').next().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "quick_return_red_under_hours",
                "quick_return_amber_under_hours",
                "nights_amber_over",
                "work_days_red_over",
                "average_week_amber_over_hours",
                "week_start.hour",
            ]
        );
        assert!(err.to_string().contains("WTR reg. 10"));
        assert!(err.to_string().contains("WTR reg. 4"));
        // At the legal limits exactly: accepted.
        let edge = RosterLimits {
            quick_return_red_under_hours: 11,
            average_week_amber_over_hours: 47,
            ..RosterLimits::default()
        };
        assert_eq!(edge.validate(), Ok(()));
    }

    #[test]
    fn fixed_weeks_start_at_the_forces_week_start_in_local_time() {
        let london: Tz = "Europe/London".parse().unwrap();
        // Wednesday 4 March 2026 12:00 UTC: the Monday 00:00 week began on
        // 2 March 00:00 GMT.
        let t = Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap();
        let monday = WeekStart::default();
        assert_eq!(
            monday.period_containing(t, london),
            Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
        );
        // Exactly at a start: that period.
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
        assert_eq!(monday.period_containing(at, london), at);
        // Wednesday 07:00 start: 4 March 06:59 is still in the week from
        // 25 February 07:00.
        let wed7 = WeekStart {
            weekday: Weekday::Wed,
            hour: 7,
        };
        let before = Utc.with_ymd_and_hms(2026, 3, 4, 6, 59, 0).unwrap();
        assert_eq!(
            wed7.period_containing(before, london),
            Utc.with_ymd_and_hms(2026, 2, 25, 7, 0, 0).unwrap()
        );
        // In summer the local Monday 00:00 is Sunday 23:00 UTC.
        let june = Utc.with_ymd_and_hms(2026, 6, 3, 12, 0, 0).unwrap();
        assert_eq!(
            monday.period_containing(june, london),
            Utc.with_ymd_and_hms(2026, 5, 31, 23, 0, 0).unwrap()
        );
    }
}
