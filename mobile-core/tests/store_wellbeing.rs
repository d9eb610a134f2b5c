//! The store's schema-3 parts: wearable samples and the episodes rebuilt
//! from them, the morning's score and summary, learning state, call-backs,
//! the enrolment device id, and `Store::batch` (one transaction for a
//! morning).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use mobile_core::LocalClock;
use mobile_core::recovery::{History, score_morning};
use mobile_core::store::{
    ConsentLevel, RecordState, Store, StoreError, StoredCallback, daily_summary,
};
use mobile_core::sync_client::next_batch;
use mobile_core::wearables::{HrvMetric, Sample, SampleValue, SleepStage, Source};
use models::sync::SyncBatch;

fn t(day: u32, hour: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, hour, min, 0).unwrap()
}

fn watch() -> Source {
    Source {
        name: "com.apple.health".into(),
        device: Some("Watch".into()),
    }
}

fn sleep(start: DateTime<Utc>, end: DateTime<Utc>) -> Sample {
    Sample {
        start,
        end,
        zone: Tz::Europe__London,
        source: watch(),
        value: SampleValue::Sleep {
            stage: SleepStage::Light,
        },
    }
}

fn hrv(at: DateTime<Utc>, ms: f64) -> Sample {
    Sample {
        start: at,
        end: at,
        zone: Tz::Europe__London,
        source: watch(),
        value: SampleValue::Hrv {
            metric: HrvMetric::Sdnn,
            ms,
        },
    }
}

fn london() -> LocalClock {
    LocalClock::from_name("Europe/London").unwrap()
}

#[test]
fn samples_are_stored_once_and_a_night_in_two_parts_is_one_episode() {
    let mut store = Store::open_in_memory().unwrap();
    let first = store
        .store_wearable_samples(
            &[sleep(t(1, 23, 0), t(2, 3, 0)), hrv(t(2, 2, 0), 50.0)],
            t(2, 8, 0),
        )
        .unwrap();
    assert_eq!((first.stored, first.duplicates, first.episodes), (2, 0, 1));
    let again = store
        .store_wearable_samples(&[sleep(t(1, 23, 0), t(2, 3, 0))], t(2, 8, 0))
        .unwrap();
    assert_eq!((again.stored, again.duplicates, again.episodes), (0, 1, 0));
    let second = store
        .store_wearable_samples(&[sleep(t(2, 3, 30), t(2, 7, 0))], t(2, 8, 0))
        .unwrap();
    assert_eq!(second.episodes, 1);
    let (episodes, samples) = store
        .wearable_history(t(1, 0, 0), t(3, 0, 0), &london())
        .unwrap();
    assert_eq!(episodes.len(), 1, "merged across the 30-minute gap");
    assert_eq!(
        (episodes[0].start, episodes[0].end),
        (t(1, 23, 0), t(2, 7, 0))
    );
    assert_eq!(episodes[0].asleep_minutes, 450);
    assert!(episodes[0].is_main);
    assert_eq!(samples.len(), 1, "the HRV sample");
    assert_eq!(
        store.sleeps_between(t(1, 0, 0), t(3, 0, 0)).unwrap().len(),
        1
    );
}

#[test]
fn a_built_episode_never_replaces_sleep_the_app_entered() {
    let mut store = Store::open_in_memory().unwrap();
    store
        .import_sleeps(&[(t(1, 23, 30), t(2, 6, 0))], t(2, 8, 0))
        .unwrap();
    let r = store
        .store_wearable_samples(&[sleep(t(1, 23, 0), t(2, 7, 0))], t(2, 8, 0))
        .unwrap();
    assert_eq!((r.episodes, r.episodes_overlapping), (0, 1));
    let (episodes, _) = store
        .wearable_history(t(1, 0, 0), t(3, 0, 0), &london())
        .unwrap();
    assert_eq!(episodes.len(), 1);
    assert_eq!(episodes[0].source.name, mobile_core::store::APP_SOURCE);
    assert_eq!(episodes[0].asleep_minutes, 390);
}

#[test]
fn main_sleep_is_marked_across_imports() {
    let mut store = Store::open_in_memory().unwrap();
    store
        .store_wearable_samples(&[sleep(t(2, 1, 0), t(2, 3, 0))], t(2, 12, 0))
        .unwrap();
    store
        .store_wearable_samples(&[sleep(t(2, 4, 30), t(2, 10, 0))], t(2, 12, 0))
        .unwrap();
    let (episodes, _) = store
        .wearable_history(t(1, 0, 0), t(3, 0, 0), &london())
        .unwrap();
    let main: Vec<_> = episodes.iter().filter(|e| e.is_main).collect();
    assert_eq!(main.len(), 1);
    assert_eq!(main[0].start, t(2, 4, 30));
}

fn scored_morning(store: &Store) -> mobile_core::recovery::RecoveryScore {
    let (episodes, samples) = store
        .wearable_history(t(1, 0, 0), t(10, 8, 0), &london())
        .unwrap();
    let history = History::new(episodes, &samples, 8.0).unwrap();
    score_morning(
        &history,
        NaiveDate::from_ymd_opt(2025, 3, 10).unwrap(),
        None,
    )
}

fn week(store: &mut Store) {
    let nights: Vec<Sample> = (1..10)
        .map(|d| sleep(t(d, 23, 0), t(d + 1, 6, 30)))
        .collect();
    store.store_wearable_samples(&nights, t(10, 8, 0)).unwrap();
}

#[test]
fn the_daily_summary_comes_from_the_score_and_consent_decides_the_queue() {
    let mut store = Store::open_in_memory().unwrap();
    week(&mut store);
    let score = scored_morning(&store);
    assert!(score.score.is_some());
    let (episodes, _) = store
        .wearable_history(t(9, 0, 0), t(10, 8, 0), &london())
        .unwrap();
    let main = episodes
        .iter()
        .find(|e| e.is_main && e.local_date == score.date);
    let summary = daily_summary(&score, main);
    assert_eq!(summary.recovery_score, score.score);
    assert_eq!(summary.recovery_band, score.band);
    assert_eq!(summary.sleep_minutes, score.sleep_minutes);
    assert_eq!(summary.main_sleep_end, Some(t(10, 6, 30)));
    assert!(
        !store
            .record_morning(&score, Some(&summary), t(10, 8, 0))
            .unwrap()
    );
    assert_eq!(store.queue_counts().unwrap().pending, 0);
    assert_eq!(
        store.recovery_score(score.date).unwrap(),
        Some(score.clone())
    );
    store.set_consent(ConsentLevel::SleepSummaries).unwrap();
    assert!(
        store
            .record_morning(&score, Some(&summary), t(10, 8, 0))
            .unwrap()
    );
    assert_eq!(
        store.record_state("daily_summary", score.date).unwrap(),
        Some(RecordState::Pending)
    );
    assert_eq!(
        store
            .recovery_bands_since(NaiveDate::from_ymd_opt(2025, 3, 1).unwrap())
            .unwrap(),
        vec![score.band.unwrap()]
    );
}

#[test]
fn an_invalid_summary_writes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    week(&mut store);
    let score = scored_morning(&store);
    let mut summary = daily_summary(&score, None);
    summary.recovery_band = None; // a score without its band
    let r = store.record_morning(&score, Some(&summary), t(10, 8, 0));
    assert!(matches!(r, Err(StoreError::Invalid(_))));
    assert_eq!(store.recovery_score(score.date).unwrap(), None);
}

#[test]
fn a_batch_commits_together_or_not_at_all() {
    let mut store = Store::open_in_memory().unwrap();
    store.set_consent(ConsentLevel::SleepSummaries).unwrap();
    let failed: Result<(), StoreError> = store.batch(|s| {
        s.store_wearable_samples(&[sleep(t(1, 23, 0), t(2, 7, 0))], t(2, 8, 0))?;
        Err(StoreError::Corrupt { what: "test" })
    });
    assert!(failed.is_err());
    assert!(
        store
            .sleeps_between(t(1, 0, 0), t(3, 0, 0))
            .unwrap()
            .is_empty()
    );
    store
        .batch(|s| {
            s.store_wearable_samples(&[sleep(t(1, 23, 0), t(2, 7, 0))], t(2, 8, 0))?;
            s.import_hrv(&[(t(2, 7, 0), 50.0)], t(2, 8, 0))
        })
        .unwrap();
    assert_eq!(
        store.sleeps_between(t(1, 0, 0), t(3, 0, 0)).unwrap().len(),
        1
    );
    // Writes after a batch commit on their own again.
    store.import_hrv(&[(t(3, 7, 0), 51.0)], t(3, 8, 0)).unwrap();
    assert!(store.integrity_ok().unwrap());
}

#[test]
fn a_panic_inside_a_batch_leaves_nothing_and_the_store_usable() {
    let store = std::sync::Mutex::new(Store::open_in_memory().unwrap());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut s = store.lock().unwrap();
        let _: Result<(), StoreError> = s.batch(|s| {
            s.store_wearable_samples(&[sleep(t(1, 23, 0), t(2, 7, 0))], t(2, 8, 0))?;
            panic!("a step failed badly");
        });
    }));
    assert!(result.is_err());
    let mut s = mobile_core::sync_client::lock(&store);
    assert!(s.sleeps_between(t(1, 0, 0), t(3, 0, 0)).unwrap().is_empty());
    s.import_hrv(&[(t(3, 7, 0), 51.0)], t(3, 8, 0)).unwrap();
    drop(s);
    let s = mobile_core::sync_client::lock(&store);
    assert_eq!(
        s.readings_between(mobile_core::store::Metric::Hrv, t(1, 0, 0), t(4, 0, 0))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn the_enrolment_device_id_rebuilds_an_in_flight_batch() {
    let mut store = Store::open_in_memory().unwrap();
    let clock = LocalClock::utc();
    store
        .record_learning_progress("officer.naps", false, t(10, 8, 0), &clock)
        .unwrap();
    store
        .record_learning_progress("officer.light", true, t(10, 8, 0), &clock)
        .unwrap();
    let old = next_batch(&mut store, t(10, 8, 0)).unwrap().unwrap();
    let sent: SyncBatch = serde_json::from_str(&old.body).unwrap();
    assert_eq!(
        sent.records.len(),
        2,
        "two modules on one day are two records"
    );
    store
        .set_device_id("5f0c7c1e-0000-4000-8000-00000000abcd")
        .unwrap();
    let new = next_batch(&mut store, t(10, 8, 0)).unwrap().unwrap();
    let rebuilt: SyncBatch = serde_json::from_str(&new.body).unwrap();
    assert_ne!(new.idempotency_key, old.idempotency_key);
    assert_eq!(rebuilt.device_id, "5f0c7c1e-0000-4000-8000-00000000abcd");
    assert_eq!(rebuilt.records, sent.records);
    // The same id again changes nothing.
    store
        .set_device_id("5f0c7c1e-0000-4000-8000-00000000abcd")
        .unwrap();
    assert_eq!(
        store.in_flight_batch().unwrap().unwrap().idempotency_key,
        new.idempotency_key
    );
    for bad in ["", "has space", &"x".repeat(65)] {
        assert!(matches!(
            store.set_device_id(bad),
            Err(StoreError::Invalid(_))
        ));
    }
    let date = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
    assert_eq!(
        store.learning_record_state("officer.naps", date).unwrap(),
        Some(RecordState::Pending)
    );
}

#[test]
fn call_backs_are_kept_as_typed_and_erased_with_everything() {
    let mut store = Store::open_in_memory().unwrap();
    let c = StoredCallback {
        id: "0f0e".into(),
        supporter_id: None,
        contact_method: "phone".into(),
        contact_detail: Some("07700 900123".into()),
        window_start: t(10, 18, 0),
        window_end: t(10, 20, 0),
        status: "open".into(),
        created_at: t(10, 8, 0),
    };
    store.put_callback(&c).unwrap();
    store
        .put_callback(&StoredCallback {
            status: "acknowledged".into(),
            ..c.clone()
        })
        .unwrap();
    let kept = store.callbacks().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].status, "acknowledged");
    assert!(store.export_json().unwrap().contains("07700 900123"));
    store.erase_all().unwrap();
    assert!(store.callbacks().unwrap().is_empty());
    assert!(!store.export_json().unwrap().contains("07700"));
}

#[test]
fn history_reads_plain_readings_as_the_app_source() {
    let mut store = Store::open_in_memory().unwrap();
    store.import_hrv(&[(t(2, 7, 0), 48.0)], t(2, 8, 0)).unwrap();
    store
        .import_resting_hr(&[(t(2, 7, 0), 55.0)], t(2, 8, 0))
        .unwrap();
    let (_, samples) = store
        .wearable_history(t(2, 0, 0), t(2, 0, 0) + Duration::days(1), &london())
        .unwrap();
    assert_eq!(samples.len(), 2);
    assert!(samples.iter().all(|s| s.source.name == "app"));
    assert!(samples.iter().any(|s| matches!(
        s.value,
        SampleValue::Hrv {
            metric: HrvMetric::Rmssd,
            ..
        }
    )));
}
