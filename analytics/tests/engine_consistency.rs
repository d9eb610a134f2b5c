//! The report's person-level levels agree with the engine's per-shift flags
//! (`mobile_core::roster::assess`) on the same roster: one set of limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use analytics::indicators::{Level, roster_figures, schedule_figures};
use analytics::input::ShiftRecord;
use chrono::{Duration, TimeZone, Utc};
use mobile_core::LocalClock;
use mobile_core::roster::assess::{AssessmentParams, Severity, assess_roster};
use models::Shift;

fn worst(flags: &[(String, Severity)], codes: &[&str]) -> Level {
    flags
        .iter()
        .filter(|(c, _)| codes.contains(&c.as_str()))
        .map(|(_, s)| match s {
            Severity::Amber => Level::Amber,
            Severity::Red => Level::Red,
        })
        .max()
        .unwrap_or(Level::Within)
}

#[test]
fn levels_match_the_engine_flags() {
    let day0 = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    let at = |d: i64, h: i64, len: i64| {
        let start = day0 + Duration::days(d) + Duration::hours(h);
        Shift::new(start, start + Duration::hours(len)).unwrap()
    };
    // Five 10 h nights (long nights, run of 5), rest, then days with a
    // 10.5 h quick return and a 13 h shift, and a heavy week.
    let mut shifts: Vec<Shift> = (0..5).map(|d| at(d, 21, 10)).collect();
    shifts.push(at(7, 7, 13));
    shifts.push(at(8, 6, 12));
    shifts.push(at(9, 4, 12)); // 10 h after the previous end: red quick return
    shifts.push(at(10, 7, 12));
    shifts.push(at(11, 7, 12));
    shifts.push(at(12, 7, 12)); // 73 h in the 7 days to its end: red
    let clock = LocalClock::utc();
    let assessment =
        assess_roster(&shifts, &[], None, &clock, &AssessmentParams::default()).unwrap();
    let records: Vec<ShiftRecord> = assessment.shifts.iter().map(ShiftRecord::from).collect();
    let flags: Vec<(String, Severity)> = assessment
        .shifts
        .iter()
        .flat_map(|s| s.flags.iter().map(|f| (f.code.clone(), f.severity)))
        .collect();
    let f = roster_figures(
        &records,
        day0 - Duration::days(1),
        day0 + Duration::days(30),
    );
    assert_eq!(f.shifts as usize, shifts.len());
    assert_eq!(
        f.quick_return_level,
        worst(&flags, &["quick_return", "short_rest"])
    );
    assert_eq!(f.night_run_level, worst(&flags, &["consecutive_nights"]));
    assert_eq!(f.hours_7d_level, worst(&flags, &["hours_in_7_days"]));
    assert_eq!(
        f.long_shift_level,
        worst(&flags, &["long_shift", "long_night_shift"])
    );
    // The roster was built to reach red on each, so the comparison is not vacuous.
    assert_eq!(f.quick_return_level, Level::Red);
    assert_eq!(f.night_run_level, Level::Red);
    assert_eq!(f.hours_7d_level, Level::Red);
    assert_eq!(f.long_shift_level, Level::Red);
    // FI and HRI are the engine's own values, passed through.
    assert_eq!(records[0].fatigue_index, assessment.shifts[0].fatigue_index);
}

#[test]
fn work_day_runs_match_the_engine_flag() {
    let day0 = Utc.with_ymd_and_hms(2026, 3, 2, 7, 0, 0).unwrap();
    let clock = LocalClock::utc();
    for days in [6i64, 7, 9] {
        let shifts: Vec<Shift> = (0..days)
            .map(|d| {
                let start = day0 + Duration::days(d);
                Shift::new(start, start + Duration::hours(9)).unwrap()
            })
            .collect();
        let assessment =
            assess_roster(&shifts, &[], None, &clock, &AssessmentParams::default()).unwrap();
        let flags: Vec<(String, Severity)> = assessment
            .shifts
            .iter()
            .flat_map(|s| s.flags.iter().map(|f| (f.code.clone(), f.severity)))
            .collect();
        let records: Vec<ShiftRecord> = assessment.shifts.iter().map(ShiftRecord::from).collect();
        let f = schedule_figures(
            &records,
            day0 - Duration::days(1),
            day0 + Duration::days(30),
            chrono_tz::UTC,
        );
        assert_eq!(f.longest_work_day_run, days as u32);
        assert_eq!(
            f.work_days_level,
            worst(&flags, &["consecutive_days"]),
            "{days} days"
        );
    }
}
