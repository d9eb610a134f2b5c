//! The personal calibration in use, on synthetic people, through the path
//! the phone takes: check-ins kept in the store, [`morning::calibration`]
//! pairing them with the model's KSS, and [`morning::forecast`] giving the
//! personalised figures beside the standard ones (`docs/coaching.md`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use mobile_core::LocalClock;
use mobile_core::calibration::CalibrationStatus;
use mobile_core::morning;
use mobile_core::roster::assess::{AssessmentParams, grid_start, kss_trace};
use mobile_core::store::{CheckIn, Store};
use models::Shift;
use models::sync::{CheckInContext, CheckInScale};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, day, hour, 0, 0).unwrap()
}

/// 06:00 on 31 January: the morning the officer looks.
fn now() -> DateTime<Utc> {
    at(31, 6)
}

/// Day shifts 09:00–17:00 every day from 1 January to 3 February.
fn roster() -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    (1..=34)
        .map(|d| {
            let start = at(1, 9) + Duration::days(d - 1);
            (start, start + Duration::hours(8))
        })
        .collect()
}

/// Check-in `i`: from 2 January, one a day, at 10:00, 13:00, 16:00 or
/// 21:00 in turn (so the predictions spread over the day).
fn check_in_time(i: usize) -> DateTime<Utc> {
    let hour = [10, 13, 16, 21][i % 4];
    at(2, hour) + Duration::days(i as i64)
}

/// The model's KSS at each instant, over the same run the calibration
/// makes (from 3 days before the first check-in, recorded sleep none, so
/// predicted from the roster).
fn model_kss(times: &[DateTime<Utc>]) -> Vec<f64> {
    let params = AssessmentParams::default();
    let shifts: Vec<Shift> = roster()
        .iter()
        .map(|&(s, e)| Shift::new(s, e).unwrap())
        .filter(|s| s.end() > times[0] - Duration::days(3))
        .collect();
    let start = grid_start(times[0] - Duration::days(params.warm_up_days), &params);
    let end = grid_start(now(), &params) + Duration::minutes(5);
    let (trace, _) = kss_trace(&shifts, &[], &[], start, end, &LocalClock::utc(), &params).unwrap();
    times.iter().map(|t| trace.at(*t).unwrap()).collect()
}

/// A person with `n` KSS check-ins, each the model's KSS plus `bias`,
/// rounded to the scale; returns the store and the mean of reported −
/// predicted.
fn person(n: usize, bias: f64) -> (Store, f64) {
    let mut store = Store::open_in_memory().unwrap();
    store.replace_roster(&roster(), now()).unwrap();
    let times: Vec<_> = (0..n).map(check_in_time).collect();
    let kss = model_kss(&times);
    let mut residuals = 0.0;
    for (t, k) in times.iter().zip(&kss) {
        let value = (k + bias).round().clamp(1.0, 9.0) as u8;
        residuals += f64::from(value) - k;
        let c = CheckIn {
            taken_at: *t,
            scale: CheckInScale::Kss,
            value,
            context: CheckInContext::Other,
        };
        store
            .record_check_in(&c, &LocalClock::utc(), now())
            .unwrap();
    }
    (store, residuals / n as f64)
}

#[test]
fn a_person_1_5_above_the_model_gets_figures_about_that_much_higher_shrunk() {
    let (store, mean) = person(20, 1.5);
    // Rounding moves each report by at most 0.5, so the mean is 1.5 ± 0.5;
    // over 20 check-ins spread across the day it is within 0.2.
    assert!((mean - 1.5).abs() < 0.2, "{mean}");
    let cal = morning::calibration(&store, &LocalClock::utc(), now()).unwrap();
    assert_eq!(
        cal.status(),
        CalibrationStatus::Fitted {
            check_ins: 20,
            slope_fitted: false
        }
    );
    // Every residual lies within ±0.5 of the bias, so none is clipped: the
    // fitted mean is the hand-computed one, carried at 20 / (20 + 10).
    assert!((cal.mean_residual() - mean).abs() < 1e-9);
    assert!((cal.offset() - mean * 2.0 / 3.0).abs() < 1e-9);

    let forecast = morning::forecast(&store, &LocalClock::utc(), now(), 72).unwrap();
    assert_eq!(forecast.shifts.len(), 3, "31 Jan, 1 and 2 Feb");
    for f in &forecast.shifts {
        let p = f.personal.expect("personalised");
        let a = &f.assessment;
        // Slope 1: every epoch moves by the offset (about 1.0 = 1.5 · 2/3).
        assert!((p.kss_at_end - a.kss_at_end - cal.offset()).abs() < 1e-9);
        assert!((p.kss_at_end - a.kss_at_end - 1.0).abs() < 0.15);
        assert!(p.fatigue_index > a.fatigue_index, "{p:?} vs {a:?}");
    }
    // The standard figures are the ones without check-ins.
    let mut plain = Store::open_in_memory().unwrap();
    plain.replace_roster(&roster(), now()).unwrap();
    let standard = morning::forecast(&plain, &LocalClock::utc(), now(), 72).unwrap();
    for (a, b) in forecast.shifts.iter().zip(&standard.shifts) {
        assert_eq!(a.assessment, b.assessment);
        assert_eq!(b.personal, None);
    }
}

#[test]
fn nine_check_ins_do_not_personalise() {
    let (store, _) = person(9, 1.5);
    let cal = morning::calibration(&store, &LocalClock::utc(), now()).unwrap();
    assert_eq!(
        cal.status(),
        CalibrationStatus::TooFewCheckIns { have: 9, need: 10 }
    );
    let forecast = morning::forecast(&store, &LocalClock::utc(), now(), 72).unwrap();
    assert!(forecast.shifts.iter().all(|f| f.personal.is_none()));
}

#[test]
fn a_person_matching_the_model_has_an_offset_near_zero() {
    // 29 check-ins (the most before a slope is considered), reports the
    // model's KSS rounded: residuals within ±0.5, mean near 0.
    let (store, mean) = person(29, 0.0);
    let cal = morning::calibration(&store, &LocalClock::utc(), now()).unwrap();
    assert!((cal.mean_residual() - mean).abs() < 1e-9);
    assert!(cal.offset().abs() < 0.1, "{}", cal.offset());
    let forecast = morning::forecast(&store, &LocalClock::utc(), now(), 72).unwrap();
    for f in &forecast.shifts {
        let p = f.personal.unwrap();
        assert!((p.kss_at_end - f.assessment.kss_at_end).abs() < 0.1);
        assert!((p.fatigue_index - f.assessment.fatigue_index).abs() < 2.0);
    }
}

#[test]
fn check_ins_older_than_90_days_are_not_used() {
    let (store, _) = person(12, 1.5);
    // 12 check-ins from 2 to 13 January; 100 days later none is in the window.
    let later = now() + Duration::days(100);
    let cal = morning::calibration(&store, &LocalClock::utc(), later).unwrap();
    assert_eq!(
        cal.status(),
        CalibrationStatus::TooFewCheckIns { have: 0, need: 10 }
    );
}
