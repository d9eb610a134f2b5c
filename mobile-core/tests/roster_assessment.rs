//! Roster assessment end to end: files in, per-shift FI, HRI and flags out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use mobile_core::LocalClock;
use mobile_core::roster::assess::{AssessmentParams, SleepBasis, assess_roster};
use mobile_core::roster::{csv_format, shifts_by_person};
use models::{Shift, ShiftType, SleepPeriod};

fn utc(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, d, h, 0, 0).unwrap()
}

fn shift(m: u32, d: u32, h: u32, len: i64) -> Shift {
    Shift::new(utc(m, d, h), utc(m, d, h) + Duration::hours(len)).unwrap()
}

fn codes(a: &mobile_core::roster::assess::ShiftAssessment) -> Vec<&str> {
    a.flags.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn a_block_of_nights_is_riskier_than_days_and_flags_the_run() {
    let clock = LocalClock::utc();
    let p = AssessmentParams::default();
    let days: Vec<Shift> = (6..=10).map(|d| shift(1, d, 9, 8)).collect();
    let nights: Vec<Shift> = (6..=10).map(|d| shift(1, d, 22, 10)).collect();
    let day_run = assess_roster(&days, &[], &[], &clock, &p).unwrap();
    let night_run = assess_roster(&nights, &[], &[], &clock, &p).unwrap();

    let mean_fi = |r: &mobile_core::roster::assess::RosterAssessment| {
        r.shifts.iter().map(|s| s.fatigue_index).sum::<f64>() / r.shifts.len() as f64
    };
    assert!(
        mean_fi(&night_run) > 2.0 * mean_fi(&day_run),
        "nights {} days {}",
        mean_fi(&night_run),
        mean_fi(&day_run)
    );
    assert!(night_run.risk_index.unwrap() > day_run.risk_index.unwrap());
    assert!(
        (day_run.risk_index.unwrap() - 1.0).abs() < 1e-9,
        "the reference roster is 1.0"
    );
    assert!(
        night_run
            .shifts
            .iter()
            .all(|s| s.night && s.shift_type == ShiftType::Night)
    );
    assert!(
        night_run
            .shifts
            .iter()
            .all(|s| s.fatigue_index_threshold == 45.0)
    );
    assert!(
        day_run
            .shifts
            .iter()
            .all(|s| s.fatigue_index_threshold == 35.0)
    );
    // Night 4 is amber, night 5 red; 10 h nights are long night shifts.
    assert!(!codes(&night_run.shifts[2]).contains(&"consecutive_nights"));
    let fourth = night_run.shifts[3]
        .flags
        .iter()
        .find(|f| f.code == "consecutive_nights")
        .unwrap();
    let fifth = night_run.shifts[4]
        .flags
        .iter()
        .find(|f| f.code == "consecutive_nights")
        .unwrap();
    assert!(fourth.severity < fifth.severity);
    assert!(codes(&night_run.shifts[0]).contains(&"long_night_shift"));
    // Without a wearable every shift runs on predicted sleep, and says so.
    assert!(
        night_run
            .shifts
            .iter()
            .all(|s| s.sleep_basis == SleepBasis::Predicted)
    );
    // FI within 0..100 and the drive home after a night is sleepier than after a day.
    assert!(
        night_run
            .shifts
            .iter()
            .all(|s| (0.0..=100.0).contains(&s.fatigue_index))
    );
    assert!(night_run.shifts[2].kss_at_end > day_run.shifts[2].kss_at_end);
}

#[test]
fn quick_returns_long_weeks_and_long_shifts_are_flagged() {
    let clock = LocalClock::utc();
    let p = AssessmentParams::default();
    // Late 14:00-23:00 then early 07:00: 8 h rest.
    let quick = assess_roster(
        &[shift(1, 6, 14, 9), shift(1, 7, 7, 8)],
        &[],
        &[],
        &clock,
        &p,
    )
    .unwrap();
    assert!(codes(&quick.shifts[1]).contains(&"quick_return"));
    assert!((quick.shifts[1].rest_before_hours.unwrap() - 8.0).abs() < 1e-9);
    // Six 13 h days: over 12 h each, 65 h by the fifth, 78 h by the sixth.
    let long: Vec<Shift> = (6..=11).map(|d| shift(1, d, 7, 13)).collect();
    let week = assess_roster(&long, &[], &[], &clock, &p).unwrap();
    assert!(codes(&week.shifts[0]).contains(&"long_shift"));
    assert!(codes(&week.shifts[0]).contains(&"door_to_door"));
    assert!(!codes(&week.shifts[3]).contains(&"hours_in_7_days"));
    let fifth = week.shifts[4]
        .flags
        .iter()
        .find(|f| f.code == "hours_in_7_days")
        .unwrap();
    let sixth = week.shifts[5]
        .flags
        .iter()
        .find(|f| f.code == "hours_in_7_days")
        .unwrap();
    assert!(fifth.severity < sixth.severity);
}

#[test]
fn recorded_sleep_replaces_predicted_and_short_sleep_raises_the_index() {
    let clock = LocalClock::utc();
    let p = AssessmentParams::default();
    let early = [shift(1, 10, 6, 8)];
    let predicted = assess_roster(&early, &[], &[], &clock, &p).unwrap();
    // Recorded: a 3-hour night before the early shift, full nights before that.
    let mut recorded: Vec<SleepPeriod> = (6..=8)
        .map(|d| SleepPeriod::new(utc(1, d, 23), utc(1, d + 1, 7)).unwrap())
        .collect();
    recorded.push(SleepPeriod::new(utc(1, 10, 1), utc(1, 10, 4)).unwrap());
    let with_recorded = assess_roster(&early, &recorded, &[], &clock, &p).unwrap();
    assert_eq!(with_recorded.shifts[0].sleep_basis, SleepBasis::Recorded);
    // 06:00-07:00 of the night before last, plus the 3-hour night.
    assert!((with_recorded.shifts[0].sleep_before_hours - 4.0).abs() < 1e-9);
    assert!(with_recorded.shifts[0].fatigue_index > predicted.shifts[0].fatigue_index);
}

#[test]
fn clocks_changing_mid_roster_keep_local_shift_types() {
    // Nights 22:00 local across the spring change in London (30 March 2025).
    let text = "staff_id,start,end\n\
                A1,2025-03-28T22:00,2025-03-29T07:00\n\
                A1,2025-03-29T22:00,2025-03-30T07:00\n\
                A1,2025-03-30T22:00,2025-03-31T07:00\n";
    let london = LocalClock::from_name("Europe/London").unwrap();
    let entries = csv_format::parse(text.as_bytes(), london.zone()).unwrap();
    let people = shifts_by_person(&entries);
    let a = assess_roster(
        &people[0].1,
        &[],
        &[],
        &london,
        &AssessmentParams::default(),
    )
    .unwrap();
    // The night of the change is an hour shorter; all are still night shifts.
    assert!((a.shifts[1].hours - 8.0).abs() < 1e-9);
    assert!((a.shifts[2].hours - 9.0).abs() < 1e-9);
    assert!(
        a.shifts
            .iter()
            .all(|s| s.shift_type == ShiftType::Night && s.night)
    );
    assert_eq!(a.shifts[2].start.to_rfc3339(), "2025-03-30T22:00:00+01:00");
}

#[test]
fn empty_roster_and_overlapping_recorded_sleep() {
    let clock = LocalClock::utc();
    let p = AssessmentParams::default();
    let empty = assess_roster(&[], &[], &[], &clock, &p).unwrap();
    assert!(empty.shifts.is_empty() && empty.risk_index.is_none());
    let overlapping = [
        SleepPeriod::new(utc(1, 5, 23), utc(1, 6, 7)).unwrap(),
        SleepPeriod::new(utc(1, 6, 6), utc(1, 6, 8)).unwrap(),
    ];
    assert!(assess_roster(&[shift(1, 6, 9, 8)], &overlapping, &[], &clock, &p).is_err());
}

#[test]
fn the_second_early_of_a_run_gets_the_early_bedtime_too() {
    // 07:00-15:00 twice: both nights 22:00-05:45, 7.75 h (the second was
    // 23:00-05:45 while the rule applied after rest days only).
    let a = assess_roster(
        &[shift(1, 6, 7, 8), shift(1, 7, 7, 8)],
        &[],
        &[],
        &LocalClock::utc(),
        &AssessmentParams::default(),
    )
    .unwrap();
    for s in &a.shifts {
        assert!((s.sleep_before_hours - 7.75).abs() < 1e-9, "{s:?}");
    }
}

#[test]
fn a_teams_risk_index_pools_every_hour_worked() {
    use mobile_core::hourly_risk::HourlyRiskParams;
    use mobile_core::roster::assess::team_risk_index;
    let clock = LocalClock::utc();
    let p = AssessmentParams::default();
    // The reference roster (five 09:00-17:00 days from Monday 6 January
    // 2025) has a Risk Index of exactly 1; five 10 h nights are riskier.
    let days: Vec<Shift> = (6..=10).map(|d| shift(1, d, 9, 8)).collect();
    let nights: Vec<Shift> = (6..=10).map(|d| shift(1, d, 22, 10)).collect();
    let a = assess_roster(&days, &[], &[], &clock, &p).unwrap();
    let b = assess_roster(&nights, &[], &[], &clock, &p).unwrap();
    let hourly = HourlyRiskParams::default();
    // A team of one: its own Risk Index.
    let alone = team_risk_index(&b.shifts, &hourly).unwrap();
    assert!((alone - b.risk_index.unwrap()).abs() < 1e-12);
    // Two: the hours pool, so 40 h of days (RI 1) and 50 h of nights (RI
    // r) give (40 × 1 + 50 × r) / 90, not the plain mean (1 + r) / 2.
    let r = b.risk_index.unwrap();
    let team = team_risk_index(a.shifts.iter().chain(&b.shifts), &hourly).unwrap();
    assert!((team - (40.0 + 50.0 * r) / 90.0).abs() < 1e-9, "{team}");
    assert!((team - (1.0 + r) / 2.0).abs() > 1e-3);
    assert_eq!(team_risk_index(&[], &hourly), None);
}

#[test]
fn each_night_knows_its_place_in_the_run_and_the_team_risk_index_weights_hours() {
    use mobile_core::hourly_risk::{HourlyRiskParams, reference_mean_hri, risk_index_of};
    use mobile_core::roster::assess::team_risk_index;
    let clock = LocalClock::utc();
    let p = AssessmentParams::default();
    // Nights 6-9 Jan 22:00-08:00, then a day shift on 12 Jan.
    let mut shifts: Vec<Shift> = (6..=9).map(|d| shift(1, d, 22, 10)).collect();
    shifts.push(shift(1, 12, 9, 8));
    let a = assess_roster(&shifts, &[], &[], &clock, &p).unwrap();
    let places: Vec<u32> = a.shifts.iter().map(|s| s.nights_in_run).collect();
    assert_eq!(places, vec![1, 2, 3, 4, 0]);
    // The 4th night is over the amber limit of 3: the flag says the same count.
    assert!(
        a.shifts[3]
            .flags
            .iter()
            .any(|f| f.code == "consecutive_nights" && f.detail.starts_with("night 4 in a row"))
    );
    // Team RI by hand: (Σ hri_mean × hours / Σ hours) / reference.
    let (w, h) = a.shifts.iter().fold((0.0, 0.0), |(w, h), s| {
        (w + s.hri_mean * s.hours, h + s.hours)
    });
    let hourly = HourlyRiskParams::default();
    let expected = risk_index_of(w / h, reference_mean_hri(&hourly));
    let got = team_risk_index(&a.shifts, &hourly).unwrap();
    assert!((got - expected).abs() < 1e-12, "{got} {expected}");
    // 4 nights of 10 h and a day of 8 h: 48 h in all, the nights weighing
    // five times the day.
    assert!((h - 48.0).abs() < 1e-9);
    assert!(team_risk_index(&[], &hourly).is_none());
}
