//! NPWS cohort runs on small synthetic forces.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use analytics::cohorts::{CohortRequest, render_cohorts_csv, run_cohorts};
use analytics::input::{Period, PersonRecords};
use analytics::synthetic::{SyntheticForce, generate};
use chrono::NaiveDate;

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 2, d).unwrap()
}

fn forces() -> Vec<PersonRecords> {
    ["Northshire", "Southshire", "Westshire"]
        .iter()
        .enumerate()
        .flat_map(|(i, f)| generate(&SyntheticForce::new(f, 100, date(1), 28, i as u64)))
        .collect()
}

fn request() -> CohortRequest {
    let mut r = CohortRequest::new(Period::new(date(8), date(28)).unwrap(), 42);
    r.zone = "UTC".into();
    r.sample_size = 150;
    r.k_max = 4;
    r.min_cohort_people = 20;
    r
}

#[test]
fn cohorts_are_big_enough_cover_everyone_and_repeat_with_the_seed() {
    let run = run_cohorts(&request(), forces()).unwrap();
    assert_eq!(run.meta.people_clustered, 300);
    assert!(!run.cohorts.is_empty() && run.cohorts.len() <= run.meta.chosen_k);
    assert!(run.cohorts.iter().all(|c| c.size >= 20));
    assert_eq!(run.cohorts.iter().map(|c| c.size).sum::<u64>(), 300);
    assert!(run.cohorts.windows(2).all(|w| w[0].size >= w[1].size));
    let best = run
        .meta
        .silhouettes
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .unwrap();
    assert_eq!(best.0, run.meta.chosen_k);
    let again = run_cohorts(&request(), forces()).unwrap();
    assert_eq!(
        serde_json::to_string(&run).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
}

#[test]
fn comparisons_suppress_small_groups() {
    let mut people = forces();
    // A force with 3 people: its rows must be withheld.
    people.extend(generate(&SyntheticForce::new(
        "Tinyshire",
        3,
        date(1),
        28,
        9,
    )));
    let run = run_cohorts(&request(), people).unwrap();
    let t = run
        .tables
        .iter()
        .find(|t| t.id == "cohort_by_force")
        .unwrap();
    let tiny = t.rows.iter().find(|r| r.label == "Tinyshire").unwrap();
    assert!(tiny.cells.iter().all(|c| c.suppressed));
    let features = run
        .tables
        .iter()
        .find(|t| t.id == "features_by_force_and_role")
        .unwrap();
    for r in features
        .rows
        .iter()
        .filter(|r| r.path.first().is_some_and(|f| f == "Tinyshire"))
    {
        assert!(r.cells.iter().all(|c| c.value.is_none()));
    }
    let csv = render_cohorts_csv(&run).unwrap();
    assert!(
        csv.lines().nth(1).unwrap().contains(",42,"),
        "every line records the seed"
    );
}

#[test]
fn settings_and_tiny_inputs_are_typed_errors() {
    let mut r = request();
    r.k_min = 1;
    assert!(run_cohorts(&r, forces()).is_err());
    let mut r = request();
    r.min_cohort_people = 3;
    assert!(run_cohorts(&r, forces()).is_err());
    let few = generate(&SyntheticForce::new("Few", 10, date(1), 28, 1));
    assert!(run_cohorts(&request(), few).is_err());
}

/// The hand-made roster of `tests/tests/npws.rs` (the SQL function's test):
/// the Rust definitions give the same sums as `npws_person_features`.
#[test]
fn person_sums_follow_the_definitions_the_sql_function_shares() {
    use analytics::cohorts::PersonSums;
    use analytics::input::{Person, ShiftRecord};
    use chrono::{DateTime, Utc};
    use models::sync::{DailySummary, RecoveryBand};

    let t = |s: &str| -> DateTime<Utc> { format!("{s}:00Z").parse().unwrap() };
    let clock = mobile_core::LocalClock::from_name("Europe/London").unwrap();
    let shifts = [
        ("2026-01-04T20:00", "2026-01-05T02:00"),
        ("2026-01-05T04:30", "2026-01-05T12:30"),
        ("2026-01-05T21:00", "2026-01-06T01:00"),
        ("2026-01-07T14:00", "2026-01-07T22:00"),
        ("2026-01-08T02:00", "2026-01-08T10:00"),
        ("2026-01-10T20:00", "2026-01-11T08:00"),
        ("2026-01-12T20:00", "2026-01-13T04:00"),
    ]
    .iter()
    .map(|&(a, b)| {
        let shift = models::Shift::new(t(a), t(b)).unwrap();
        ShiftRecord {
            start: t(a),
            end: t(b),
            shift_type: models::ShiftType::from_start_hour(chrono::Timelike::hour(&t(a))),
            fatigue_index: 20.0,
            night: mobile_core::fatigue_index::is_night_shift(&shift, &clock),
            hri_mean: 1.0,
            hri_peak: 1.0,
            risk_index: 0.9,
        }
    })
    .collect();
    let summaries = [
        ("2026-01-06", "2026-01-05T19:00", "2026-01-06T03:00", 60),
        ("2026-01-07", "2026-01-06T21:00", "2026-01-07T05:00", 67),
        ("2026-01-08", "2026-01-07T23:00", "2026-01-08T07:00", 74),
    ]
    .iter()
    .map(|&(d, a, b, score)| DailySummary {
        local_date: d.parse().unwrap(),
        main_sleep_start: Some(t(a)),
        main_sleep_end: Some(t(b)),
        sleep_minutes: 480,
        sleep_debt_minutes: 0,
        recovery_score: Some(score),
        recovery_band: Some(RecoveryBand::Amber),
        hrv_deviation_sd: None,
        resting_hr_deviation_bpm: None,
    })
    .collect();
    let p = PersonRecords {
        person: Person {
            id: "p".into(),
            force: "dyfed".into(),
            command: "c".into(),
            team: "t".into(),
            role: "response".into(),
            employment_type: None,
        },
        shifts,
        summaries,
        checkins: Vec::new(),
        learning: Vec::new(),
        reference_duties: Vec::new(),
        roster_changes: Vec::new(),
        absences: Vec::new(),
    };
    let period = Period::new("2026-01-05".parse().unwrap(), "2026-01-11".parse().unwrap()).unwrap();
    let s = PersonSums::from_records(&p, &period, chrono_tz::Europe::London);
    assert_eq!(s.shifts, 5);
    assert_eq!((s.early_shifts, s.late_shifts, s.night_shifts), (1, 1, 2));
    assert_eq!(s.quick_returns, 3);
    assert_eq!(s.minutes_worked, (8 + 4 + 8 + 8 + 12 + 2) * 60);
    assert_eq!((s.sleep_nights, s.sleep_minutes), (3, 3 * 480));
    let r: f64 = (1.0 + 2.0 * (std::f64::consts::PI / 6.0).cos()) / 3.0;
    let sd = (-2.0 * r.ln()).sqrt() * 24.0 / std::f64::consts::TAU;
    assert!((s.regularity_hours.unwrap() - sd).abs() < 1e-9);
    assert!((s.recovery_slope_per_week.unwrap() - 49.0).abs() < 1e-9);
    assert_eq!((s.recovery_mornings, s.red_mornings), (3, 0));
    // And the features made of them.
    let f = s.features(period.days()).unwrap();
    assert!((f[2] - 0.4).abs() < 1e-12, "2 nights of 5 shifts");
    assert!(
        (f[3] - 6.0).abs() < 1e-12,
        "3 quick returns per 5 shifts = 6 per 10"
    );
    assert!((f[4] - 42.0).abs() < 1e-12, "42 h in 7 days");
    assert!((f[5] - 8.0).abs() < 1e-12);
    assert!(f[8].is_nan(), "no KSS: missing");
}
