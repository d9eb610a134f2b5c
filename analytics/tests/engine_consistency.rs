//! The report's person-level levels agree with the engine's per-shift flags
//! (`mobile_core::roster::assess`) on the same roster: one set of limits
//! (`mobile_core::roster::limits::RosterLimits`), so changing a limit moves both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use analytics::indicators::{Level, roster_figures, schedule_figures};
use analytics::input::{Duty, ShiftRecord};
use chrono::{DateTime, Duration, TimeZone, Utc};
use mobile_core::LocalClock;
use mobile_core::hourly_risk::{
    HourlyRiskParams, at_or_over_risk_threshold, reference_mean_hri, risk_index_of,
};
use mobile_core::roster::assess::{AssessmentParams, RosterAssessment, Severity, assess_roster};
use mobile_core::roster::limits::RosterLimits;
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

/// The engine's assessment under `limits` (UTC clock), the report's records
/// of it and every flag raised.
fn assess(
    shifts: &[Shift],
    limits: RosterLimits,
) -> (RosterAssessment, Vec<ShiftRecord>, Vec<(String, Severity)>) {
    let params = AssessmentParams {
        limits,
        ..AssessmentParams::default()
    };
    let assessment = assess_roster(shifts, &[], &[], &LocalClock::utc(), &params).unwrap();
    let records: Vec<ShiftRecord> = assessment.shifts.iter().map(ShiftRecord::from).collect();
    let flags: Vec<(String, Severity)> = assessment
        .shifts
        .iter()
        .flat_map(|s| s.flags.iter().map(|f| (f.code.clone(), f.severity)))
        .collect();
    (assessment, records, flags)
}

/// Five 10 h nights (long nights, run of 5), rest, then days with two 10 h
/// quick returns, a 13 h shift and a heavy week; and its first midnight.
fn mixed_roster() -> (DateTime<Utc>, Vec<Shift>) {
    let day0 = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    let at = |d: i64, h: i64, len: i64| {
        let start = day0 + Duration::days(d) + Duration::hours(h);
        Shift::new(start, start + Duration::hours(len)).unwrap()
    };
    let mut shifts: Vec<Shift> = (0..5).map(|d| at(d, 21, 10)).collect();
    shifts.push(at(7, 7, 13));
    shifts.push(at(8, 6, 12));
    shifts.push(at(9, 4, 12)); // 10 h after the previous end: red quick return
    shifts.push(at(10, 7, 12));
    shifts.push(at(11, 7, 12));
    shifts.push(at(12, 7, 12)); // 73 h in the 7 days to its end: red
    (day0, shifts)
}

/// `days` 9 h day shifts in a row from 2 March 2026 07:00 UTC.
fn day_run(days: i64) -> (DateTime<Utc>, Vec<Shift>) {
    let day0 = Utc.with_ymd_and_hms(2026, 3, 2, 7, 0, 0).unwrap();
    let shifts = (0..days)
        .map(|d| {
            let start = day0 + Duration::days(d);
            Shift::new(start, start + Duration::hours(9)).unwrap()
        })
        .collect();
    (day0, shifts)
}

/// The report's levels and the engine's worst flags (quick return, nights,
/// 7-day hours, long shift), in that order, for [`mixed_roster`] under `limits`.
fn levels_and_flags(limits: RosterLimits) -> ([Level; 4], [Level; 4]) {
    let (day0, shifts) = mixed_roster();
    let (_, records, flags) = assess(&shifts, limits);
    let f = roster_figures(
        &records,
        day0 - Duration::days(1),
        day0 + Duration::days(30),
        &limits,
    );
    (
        [
            f.quick_return_level,
            f.night_run_level,
            f.hours_7d_level,
            f.long_shift_level,
        ],
        [
            worst(&flags, &["quick_return", "short_rest"]),
            worst(&flags, &["consecutive_nights"]),
            worst(&flags, &["hours_in_7_days"]),
            worst(&flags, &["long_shift", "long_night_shift"]),
        ],
    )
}

#[test]
fn levels_match_the_engine_flags() {
    let (day0, shifts) = mixed_roster();
    let (assessment, records, flags) = assess(&shifts, RosterLimits::default());
    let f = roster_figures(
        &records,
        day0 - Duration::days(1),
        day0 + Duration::days(30),
        &RosterLimits::default(),
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
fn changing_a_limit_moves_the_engine_flag_and_the_report_level_together() {
    let (report, engine) = levels_and_flags(RosterLimits::default());
    assert_eq!(report, [Level::Red; 4]);
    assert_eq!(engine, report);
    // Each limit one step looser: the 10 h rests, the run of 5 nights and
    // the 73 h week become amber; the 13 h day and 10 h nights are within.
    let looser = RosterLimits {
        quick_return_red_under_hours: 10,
        quick_return_amber_under_hours: 11,
        nights_amber_over: 4,
        nights_red_over: 5,
        week_amber_from_hours: 73,
        week_red_from_hours: 74,
        long_shift_over_hours: 13,
        long_night_shift_over_hours: 10,
        ..RosterLimits::default()
    };
    let (report, engine) = levels_and_flags(looser);
    assert_eq!(
        report,
        [Level::Amber, Level::Amber, Level::Amber, Level::Within]
    );
    assert_eq!(engine, report);
    // Looser still: neither finds a breach.
    let loosest = RosterLimits {
        quick_return_red_under_hours: 9,
        quick_return_amber_under_hours: 10,
        nights_amber_over: 5,
        nights_red_over: 6,
        week_amber_from_hours: 74,
        week_red_from_hours: 75,
        ..looser
    };
    let (report, engine) = levels_and_flags(loosest);
    assert_eq!(report, [Level::Within; 4]);
    assert_eq!(engine, report);
}

/// The report's schedule figures for the engine's records, from the day
/// before `day0` for 30 days.
fn schedule(
    records: &[ShiftRecord],
    day0: DateTime<Utc>,
    limits: &RosterLimits,
) -> analytics::indicators::ScheduleFigures {
    let duties: Vec<Duty> = records
        .iter()
        .map(|r| Duty {
            start: r.start,
            end: r.end,
        })
        .collect();
    let to = day0 + Duration::days(30);
    schedule_figures(
        records,
        &duties,
        day0 - Duration::days(1),
        to,
        chrono_tz::UTC,
        limits,
        to,
    )
}

#[test]
fn the_risk_index_bins_and_the_engine_compare_the_same_ratio_with_1_6() {
    // Five 12 h nights 21:00-09:00: the engine's per-shift Risk Index is
    // the shift's mean HRI over the reference roster's (1.10955), and the
    // report's top bin counts exactly the shifts at or over 1.6.
    let day0 = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    let shifts: Vec<Shift> = (0..5)
        .map(|d| {
            let start = day0 + Duration::days(d) + Duration::hours(21);
            Shift::new(start, start + Duration::hours(12)).unwrap()
        })
        .collect();
    let (assessment, records, _) = assess(&shifts, RosterLimits::default());
    let reference = reference_mean_hri(&HourlyRiskParams::default());
    assert!((reference - 1.109_546).abs() < 1e-5);
    let mut over = 0;
    for (a, r) in assessment.shifts.iter().zip(&records) {
        assert!((a.risk_index - risk_index_of(a.hri_mean, reference)).abs() < 1e-12);
        assert_eq!(r.risk_index, a.risk_index);
        over += u32::from(at_or_over_risk_threshold(a.risk_index));
    }
    let f = roster_figures(
        &records,
        day0 - Duration::days(1),
        day0 + Duration::days(30),
        &RosterLimits::default(),
    );
    assert_eq!(f.risk_index_bins[4], over);
    // By hand: the first night's mean HRI without the run's factor is
    // 1.48755; times 1.00/1.06/1.17/1.36/1.36x(1.36/1.17) and over 1.10955,
    // Risk Indices 1.341, 1.421, 1.569, 1.823, 2.119: the 4th and 5th.
    assert_eq!(over, 2);
    assert!((assessment.shifts[2].risk_index - 1.568_601).abs() < 1e-5);
    // The 3rd night's raw HRI (1.740) is over 1.6 though its Risk Index is
    // not: the old comparison of raw HRI would have counted it.
    assert!(assessment.shifts[2].hri_mean >= 1.6);
    assert_eq!(f.risk_index_bins[3], 2, "1.421 and 1.569");
}

#[test]
fn work_day_runs_match_the_engine_flag() {
    // 14 in a row is over 13: red in both (the engine's flag reached only
    // amber before).
    for (days, level) in [
        (6i64, Level::Within),
        (7, Level::Amber),
        (9, Level::Amber),
        (14, Level::Red),
    ] {
        let (day0, shifts) = day_run(days);
        let (_, records, flags) = assess(&shifts, RosterLimits::default());
        let f = schedule(&records, day0, &RosterLimits::default());
        assert_eq!(f.longest_work_day_run, days as u32);
        assert_eq!(f.work_days_level, level, "{days} days");
        assert_eq!(
            f.work_days_level,
            worst(&flags, &["consecutive_days"]),
            "{days} days"
        );
    }
}

#[test]
fn a_work_day_limit_moves_the_engine_flag_and_the_report_level_together() {
    let (day0, shifts) = day_run(7);
    for (over, expected) in [(6, Level::Amber), (7, Level::Within)] {
        let limits = RosterLimits {
            work_days_amber_over: over,
            ..RosterLimits::default()
        };
        let (_, records, flags) = assess(&shifts, limits);
        let f = schedule(&records, day0, &limits);
        assert_eq!(f.work_days_level, expected, "over {over}");
        assert_eq!(
            worst(&flags, &["consecutive_days"]),
            expected,
            "over {over}"
        );
    }
}
