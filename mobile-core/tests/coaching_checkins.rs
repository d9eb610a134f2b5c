//! Check-in imports with bad entries: each refused entry is typed, counted and
//! reported by position, and every good entry is kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeZone, Utc};
use mobile_core::checkin::{CheckIn, CheckInEntry, CheckInError, CheckInLog};
use models::sync::{CheckInContext, CheckInScale};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

#[test]
fn a_json_export_with_duplicates_and_bad_rows_keeps_the_good_ones() {
    let json = r#"[
        {"taken_at":"2025-03-01T07:00:00Z","scale":"kss","value":4,"context":"before_shift"},
        {"taken_at":"2025-03-01T07:00:00Z","scale":"kss","value":4,"context":"before_shift"},
        {"taken_at":"2025-03-01T07:00:00Z","scale":"samn_perelli","value":3,"context":"before_shift"},
        {"taken_at":"2025-03-01T07:00:00Z","scale":"kss","value":6,"context":"before_shift"},
        {"taken_at":"2025-03-01T08:00:00Z","scale":"kss","value":10,"context":"during_shift"},
        {"taken_at":"2025-03-02T08:00:00Z","scale":"kss","value":5,"context":"during_shift"},
        {"taken_at":"2025-03-01T09:00:00Z","scale":"epworth","value":5,"context":"other"},
        {"taken_at":"2025-03-01T10:00:00Z","scale":"kss","value":7,"context":"before_drive","note":"x"},
        {"taken_at":"2025-03-01T11:00:00Z","scale":"samn_perelli","value":7,"context":"other"}
    ]"#;
    let mut log = CheckInLog::new();
    let report = log.import_json(json, now()).unwrap();
    assert_eq!(report.accepted, 3);
    assert_eq!(report.duplicates(), 1);
    let reasons: Vec<(usize, &CheckInError)> = report
        .rejected
        .iter()
        .map(|r| (r.index, &r.error))
        .collect();
    assert_eq!(reasons.len(), 6);
    assert!(matches!(reasons[0], (1, CheckInError::Duplicate { .. })));
    assert!(matches!(
        reasons[1],
        (
            3,
            CheckInError::Conflicting {
                held: 4,
                offered: 6,
                ..
            }
        )
    ));
    assert!(matches!(
        reasons[2],
        (4, CheckInError::OutOfRange { value: 10, .. })
    ));
    assert!(matches!(reasons[3], (5, CheckInError::InTheFuture { .. })));
    assert!(matches!(reasons[4], (6, CheckInError::Malformed { .. })));
    assert!(matches!(reasons[5], (7, CheckInError::Malformed { .. })));
    // The first of the conflicting pair is kept; both scales at 07:00 are held.
    let kept: Vec<(CheckInScale, u8)> = log
        .entries()
        .iter()
        .map(|c| (c.scale(), c.value()))
        .collect();
    assert_eq!(
        kept,
        vec![
            (CheckInScale::Kss, 4),
            (CheckInScale::SamnPerelli, 3),
            (CheckInScale::SamnPerelli, 7)
        ]
    );
}

#[test]
fn importing_the_same_export_twice_adds_nothing_the_second_time() {
    let entries: Vec<CheckInEntry> = (0..5)
        .map(|h| CheckInEntry {
            taken_at: Utc.with_ymd_and_hms(2025, 3, 1, 6 + h, 0, 0).unwrap(),
            scale: CheckInScale::Kss,
            value: 3 + h as u8,
            context: CheckInContext::DuringShift,
        })
        .collect();
    let mut log = CheckInLog::new();
    assert_eq!(log.import(entries.clone(), now()).accepted, 5);
    let again = log.import(entries, now());
    assert_eq!((again.accepted, again.duplicates()), (0, 5));
    assert_eq!(log.entries().len(), 5);
}

#[test]
fn a_file_that_is_not_a_json_array_is_one_typed_error() {
    let mut log = CheckInLog::new();
    assert!(matches!(
        log.import_json("{\"taken_at\": 1}", now()),
        Err(CheckInError::Malformed { .. })
    ));
    assert!(log.entries().is_empty());
}

#[test]
fn adding_directly_refuses_the_same_instant_and_scale() {
    let mut log = CheckInLog::new();
    let at = Utc.with_ymd_and_hms(2025, 3, 1, 7, 0, 0).unwrap();
    let c = |v| CheckIn::new(at, CheckInScale::Kss, v, CheckInContext::Other, now()).unwrap();
    log.add(c(5)).unwrap();
    assert!(matches!(log.add(c(5)), Err(CheckInError::Duplicate { .. })));
    assert!(matches!(
        log.add(c(2)),
        Err(CheckInError::Conflicting { .. })
    ));
    assert_eq!(log.entries().len(), 1);
}
