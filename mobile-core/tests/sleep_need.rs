//! The officer's sleep need (`docs/recovery.md`): 7 h asleep by default, a
//! setting of 6.5–10 h kept in the store, and the morning's score and
//! 7-night debt counted against it, while forecasts do not move.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mobile_core::morning::synthetic::SyntheticMorning;
use mobile_core::recovery::{DEFAULT_SLEEP_NEED_HOURS, Reason};
use mobile_core::store::{Store, StoreError};

fn need_minutes(reasons: &[Reason]) -> Option<u32> {
    reasons.iter().find_map(|r| match r {
        Reason::SleepObtained { need_minutes, .. } => Some(*need_minutes),
        _ => None,
    })
}

#[test]
fn the_store_gives_7_hours_until_the_officer_sets_their_own() {
    let mut store = Store::open_in_memory().unwrap();
    assert!((store.sleep_need_hours().unwrap() - 7.0).abs() < 1e-12);
    assert!((DEFAULT_SLEEP_NEED_HOURS - 7.0).abs() < 1e-12);
    store.set_sleep_need_hours(8.5).unwrap();
    assert!((store.sleep_need_hours().unwrap() - 8.5).abs() < 1e-12);
    for edge in [6.5, 10.0] {
        store.set_sleep_need_hours(edge).unwrap();
        assert!((store.sleep_need_hours().unwrap() - edge).abs() < 1e-12);
    }
}

#[test]
fn a_need_out_of_range_is_refused_and_the_old_one_kept() {
    let mut store = Store::open_in_memory().unwrap();
    store.set_sleep_need_hours(9.0).unwrap();
    for bad in [6.4, 10.1, 0.0, -7.0, 24.0, f64::NAN, f64::INFINITY] {
        let e = store.set_sleep_need_hours(bad).unwrap_err();
        assert!(matches!(e, StoreError::Recovery(_)), "{bad}: {e:?}");
        assert!((store.sleep_need_hours().unwrap() - 9.0).abs() < 1e-12);
    }
}

#[test]
fn the_setting_survives_reopening_the_store() {
    let dir = std::env::temp_dir().join(format!("sleep-need-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("coach.db");
    Store::open(&path)
        .unwrap()
        .set_sleep_need_hours(7.5)
        .unwrap();
    let again = Store::open(&path).unwrap();
    assert!((again.sleep_need_hours().unwrap() - 7.5).abs() < 1e-12);
    drop(again);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_morning_counts_sleep_and_debt_against_the_setting_not_the_forecast() {
    let m = SyntheticMorning::new().unwrap();
    let mut usual = Store::open_in_memory().unwrap();
    m.fill(&mut usual).unwrap();
    let mut long = Store::open_in_memory().unwrap();
    m.fill(&mut long).unwrap();
    long.set_sleep_need_hours(10.0).unwrap();

    let a = m.update(&mut usual).unwrap();
    let b = m.update(&mut long).unwrap();
    assert_eq!(need_minutes(&a.recovery.score.reasons), Some(7 * 60));
    assert_eq!(need_minutes(&b.recovery.score.reasons), Some(10 * 60));
    // A night of under 10 h is short against a 10-hour need: more debt.
    assert!(
        b.recovery.score.sleep_debt_minutes > a.recovery.score.sleep_debt_minutes,
        "{} vs {}",
        b.recovery.score.sleep_debt_minutes,
        a.recovery.score.sleep_debt_minutes
    );
    // Predicted sleep keeps the roster rules: the forecast is the same.
    assert_eq!(a.forecast.len(), b.forecast.len());
    for (x, y) in a.forecast.iter().zip(&b.forecast) {
        assert!((x.assessment.fatigue_index - y.assessment.fatigue_index).abs() < 1e-12);
    }
}
