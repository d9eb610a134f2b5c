//! The new-device notice: the phone learns from each sync acknowledgement's
//! `newer_devices` that another device was paired with the officer's account.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeZone, Utc};
use mobile_core::LocalClock;
use mobile_core::store::{CheckIn, ConsentLevel, Store};
use mobile_core::sync_client::{acknowledge, next_batch};
use models::sync::{CheckInContext, CheckInScale, SyncBatch};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 10, 8, 0, 0).unwrap()
}

/// Queues a check-in for 2025-03-`day`, builds its batch and answers it with
/// an acknowledgement carrying `newer` (none: a server from before pairing).
fn sync_once(store: &mut Store, day: u32, newer: Option<u32>) {
    let c = CheckIn {
        taken_at: Utc.with_ymd_and_hms(2025, 3, day, 6, 0, 0).unwrap(),
        scale: CheckInScale::Kss,
        value: 5,
        context: CheckInContext::BeforeShift,
    };
    store
        .record_check_in(&c, &LocalClock::utc(), now())
        .unwrap();
    let batch = next_batch(store, now()).unwrap().unwrap();
    let sent: SyncBatch = serde_json::from_str(&batch.body).unwrap();
    let mut ack = serde_json::json!({
        "idempotency_key": batch.idempotency_key,
        "results": [{"index": 0, "status": "stored"}],
        "cursor": sent.sequence, "replayed": false
    });
    if let Some(n) = newer {
        ack["newer_devices"] = n.into();
    }
    acknowledge(store, &ack.to_string()).unwrap();
}

#[test]
fn a_paired_device_raises_the_notice_until_dismissed_and_a_stale_answer_cannot_hide_it() {
    let mut store = Store::open_in_memory().unwrap();
    store.set_consent(ConsentLevel::CheckIns).unwrap();
    store.set_device_id("phone-a").unwrap();
    assert_eq!(store.device_notice().unwrap(), 0);
    // Alone on the account: nothing to tell.
    sync_once(&mut store, 1, Some(0));
    assert_eq!(store.device_notice().unwrap(), 0);
    // A second phone was paired: 1 - 0 seen = 1.
    sync_once(&mut store, 2, Some(1));
    assert_eq!(store.device_notice().unwrap(), 1);
    // A late answer from before the pairing (0) and one from a server
    // without the field leave it at 1: the count only rises.
    sync_once(&mut store, 3, Some(0));
    sync_once(&mut store, 4, None);
    assert_eq!(store.device_notice().unwrap(), 1);
    store.dismiss_device_notice().unwrap();
    assert_eq!(store.device_notice().unwrap(), 0);
    sync_once(&mut store, 5, Some(1));
    assert_eq!(store.device_notice().unwrap(), 0);
    // A third: 2 newer - 1 seen = 1.
    sync_once(&mut store, 6, Some(2));
    assert_eq!(store.device_notice().unwrap(), 1);
}

#[test]
fn a_new_device_id_starts_the_notice_again() {
    let mut store = Store::open_in_memory().unwrap();
    store.set_consent(ConsentLevel::CheckIns).unwrap();
    store.set_device_id("phone-a").unwrap();
    sync_once(&mut store, 1, Some(2));
    store.dismiss_device_notice().unwrap();
    // The phone is paired again under a new id: its counts are relative to
    // the new device, so a later pairing (1 newer) must show although the
    // old device had seen 2.
    store.set_device_id("phone-c").unwrap();
    assert_eq!(store.device_notice().unwrap(), 0);
    sync_once(&mut store, 2, Some(1));
    assert_eq!(store.device_notice().unwrap(), 1);
    // The same id again changes nothing.
    store.set_device_id("phone-c").unwrap();
    assert_eq!(store.device_notice().unwrap(), 1);
}
