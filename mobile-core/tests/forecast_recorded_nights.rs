//! Which nights the phone's forecast counts as recorded (`docs/science.md`
//! §6, "wherever it exists"): an opportunity the wearable covered takes the
//! recorded sleep, every other one keeps its predicted sleep, before and
//! after now. Through the path the phone uses ([`morning::assess`] over the
//! store), compared with the roster-only figures of `server roster-risk`
//! ([`assess_roster`] with no recorded sleep).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use mobile_core::LocalClock;
use mobile_core::morning;
use mobile_core::roster::assess::{AssessmentParams, SleepBasis, assess_roster};
use mobile_core::store::Store;
use mobile_core::wearables::{Sample, SampleValue, SleepStage, Source};
use models::Shift;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, hour, 0, 0).unwrap()
}

fn london() -> LocalClock {
    LocalClock::from_name("Europe/London").unwrap()
}

/// The morning the officer looks: 08:00 on 10 March 2025 (GMT, so UTC
/// hours are local hours).
fn now() -> DateTime<Utc> {
    at(10, 8)
}

fn store_with(roster: &[(DateTime<Utc>, DateTime<Utc>)]) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let r = store.replace_roster(roster, now()).unwrap();
    assert_eq!(r.accepted, roster.len());
    store
}

fn roster_only(roster: &[(DateTime<Utc>, DateTime<Utc>)]) -> Vec<f64> {
    let shifts: Vec<Shift> = roster
        .iter()
        .map(|&(s, e)| Shift::new(s, e).unwrap())
        .collect();
    assess_roster(&shifts, &[], &[], &london(), &AssessmentParams::default())
        .unwrap()
        .shifts
        .iter()
        .map(|a| a.fatigue_index)
        .collect()
}

/// Earlies, a late, rest days, then a block of three nights from tonight.
fn mixed_roster() -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    vec![
        (at(4, 7), at(4, 15)),
        (at(5, 7), at(5, 15)),
        (at(6, 14), at(6, 22)),
        (at(10, 22), at(11, 7)),
        (at(11, 22), at(12, 7)),
        (at(12, 22), at(13, 7)),
    ]
}

#[test]
fn no_wearable_forecasts_every_shift_as_the_roster_only_assessment() {
    let roster = mixed_roster();
    let store = store_with(&roster);
    let phone = morning::assess(&store, &london(), now(), 24 * 4).unwrap();
    let server = roster_only(&roster);
    assert_eq!(phone.len(), roster.len());
    for (p, s) in phone.iter().zip(&server) {
        assert!(
            (p.fatigue_index - s).abs() < 1e-6,
            "shift at {}: phone {} server {s}",
            p.start,
            p.fatigue_index
        );
        assert_eq!(p.sleep_basis, SleepBasis::Predicted, "{}", p.start);
        assert!(p.sleep_before_hours > 0.0, "{}", p.start);
    }
    // The first night after rest days is well under its threshold (the
    // fault this guards against put it near 99: no sleep before now).
    let first_night = &phone[3];
    assert!(first_night.night);
    assert!(
        first_night.fatigue_index < first_night.fatigue_index_threshold,
        "{}",
        first_night.fatigue_index
    );
}

/// Day shifts 09:00-17:00 on 5 to 9 March and a night's sleep 23:00-07:00
/// before each (what the rules predict too); `skip` leaves one night out.
fn day_roster_and_nights(skip: Option<u32>) -> Store {
    let roster: Vec<_> = (5..=9).map(|d| (at(d, 9), at(d, 17))).collect();
    let mut store = store_with(&roster);
    let nights: Vec<_> = (1..=9)
        .filter(|d| Some(*d) != skip)
        .map(|d| (at(d, 23) - Duration::days(1), at(d, 7)))
        .collect();
    let r = store.import_sleeps(&nights, now()).unwrap();
    assert_eq!(r.accepted, nights.len());
    store
}

#[test]
fn a_night_with_the_watch_off_keeps_its_predicted_sleep() {
    let worn = day_roster_and_nights(None);
    let off = day_roster_and_nights(Some(7));
    let worn = morning::assess(&worn, &london(), now(), 48).unwrap();
    let off = morning::assess(&off, &london(), now(), 48).unwrap();
    assert_eq!(worn.len(), 5);
    // The missing night is predicted 23:00-07:00, exactly what was recorded
    // on the others, so every figure is the same as with the watch on.
    for (w, o) in worn.iter().zip(&off) {
        assert!(
            (w.fatigue_index - o.fatigue_index).abs() < 1e-6,
            "shift at {}: watch on {} off {}",
            w.start,
            w.fatigue_index,
            o.fatigue_index
        );
    }
    let day7 = &off[2];
    assert_eq!(day7.start.with_timezone(&Utc), at(7, 9));
    assert!((day7.sleep_before_hours - 8.0).abs() < 1e-9);
    assert_eq!(day7.sleep_basis, SleepBasis::Predicted);
    assert_eq!(worn[2].sleep_basis, SleepBasis::Recorded);
    assert_eq!(off[3].sleep_basis, SleepBasis::Recorded);
}

#[test]
fn a_night_awake_in_bed_counts_as_recorded_and_keeps_no_predicted_sleep() {
    let mut store = day_roster_and_nights(Some(7));
    let in_bed = Sample {
        start: at(6, 23),
        end: at(7, 7),
        zone: london().zone(),
        source: Source {
            name: "watch".into(),
            device: None,
        },
        value: SampleValue::Sleep {
            stage: SleepStage::InBed,
        },
    };
    store.store_wearable_samples(&[in_bed], now()).unwrap();
    let a = morning::assess(&store, &london(), now(), 48).unwrap();
    let day7 = &a[2];
    assert_eq!(day7.start.with_timezone(&Utc), at(7, 9));
    assert_eq!(day7.sleep_basis, SleepBasis::Recorded);
    assert!(
        day7.sleep_before_hours < 1e-9,
        "{}",
        day7.sleep_before_hours
    );
}

/// The roster of `ffi/tests/python/test_coach.py`'s
/// `test_forecast_without_a_wearable_equals_the_server_figures`, and the
/// Fatigue Index `server roster-risk --tz Europe/London` gives its two
/// nights: the binding test asserts the phone shows the same literals.
const BINDING_ROSTER: &str = "staff_id,start,end
,2025-03-06T07:00,2025-03-06T15:00
,2025-03-07T07:00,2025-03-07T15:00
,2025-03-10T22:00,2025-03-11T07:00
,2025-03-11T22:00,2025-03-12T07:00
";
const BINDING_NIGHTS_FI: [f64; 2] = [27.234872126515437, 39.82489497915798];

#[test]
fn the_figures_the_binding_test_expects_are_the_roster_only_ones() {
    let clock = london();
    let entries =
        mobile_core::roster::csv_format::parse(BINDING_ROSTER.as_bytes(), clock.zone()).unwrap();
    let people = mobile_core::roster::shifts_by_person(&entries);
    let server =
        assess_roster(&people[0].1, &[], &[], &clock, &AssessmentParams::default()).unwrap();
    let nights: Vec<f64> = server.shifts[2..].iter().map(|a| a.fatigue_index).collect();
    for (got, want) in nights.iter().zip(BINDING_NIGHTS_FI) {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
}
