//! The sync client's state machine over a real store, with a fake transport.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::sync::Mutex;

use chrono::{DateTime, Duration, TimeZone, Utc};
use mobile_core::LocalClock;
use mobile_core::store::{CheckIn, ConsentLevel, RecordState, Store};
use mobile_core::sync_client::{
    self, Backoff, HttpReply, SyncStatus, Transport, TransportError, acknowledge, next_batch,
};
use models::sync::{CheckInContext, CheckInScale, SyncBatch};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 10, 8, 0, 0).unwrap()
}

fn check_in(store: &mut Store, day: u32, value: u8) {
    let c = CheckIn {
        taken_at: Utc.with_ymd_and_hms(2025, 3, day, 6, 0, 0).unwrap(),
        scale: CheckInScale::Kss,
        value,
        context: CheckInContext::BeforeShift,
    };
    store
        .record_check_in(&c, &LocalClock::utc(), now())
        .unwrap();
}

fn ack_all(key: &str, batch: &SyncBatch) -> String {
    let results: Vec<_> = (0..batch.records.len())
        .map(|i| serde_json::json!({"index": i, "status": "stored"}))
        .collect();
    serde_json::json!({"idempotency_key": key, "results": results, "cursor": batch.sequence, "replayed": false})
        .to_string()
}

#[test]
fn a_record_changed_while_its_batch_is_in_flight_stays_pending() {
    let mut store = Store::open_in_memory().unwrap();
    store.set_consent(ConsentLevel::CheckIns).unwrap();
    check_in(&mut store, 9, 5);
    let batch = next_batch(&mut store, now()).unwrap().unwrap();
    let sent: SyncBatch = serde_json::from_str(&batch.body).unwrap();
    check_in(&mut store, 9, 7); // same natural key, new content
    acknowledge(&mut store, &ack_all(&batch.idempotency_key, &sent)).unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2025, 3, 9).unwrap();
    assert_eq!(
        store
            .check_in_record_state(CheckInContext::BeforeShift, date)
            .unwrap(),
        Some(RecordState::Pending)
    );
    let next = next_batch(&mut store, now()).unwrap().unwrap();
    assert_ne!(next.idempotency_key, batch.idempotency_key);
    assert!(next.sequence > batch.sequence);
    assert!(next.body.contains("\"value\":7"));
}

#[test]
fn withdrawing_consent_abandons_the_batch_carrying_it() {
    let mut store = Store::open_in_memory().unwrap();
    store.set_consent(ConsentLevel::CheckIns).unwrap();
    check_in(&mut store, 9, 5);
    store
        .record_learning_progress("intro", true, now(), &LocalClock::utc())
        .unwrap();
    let batch = next_batch(&mut store, now()).unwrap().unwrap();
    assert!(batch.body.contains("check_in"));
    store.set_consent(ConsentLevel::RosterOnly).unwrap();
    assert!(store.in_flight_batch().unwrap().is_none());
    let again = next_batch(&mut store, now()).unwrap().unwrap();
    assert!(!again.body.contains("check_in"));
    assert!(again.body.contains("learning_progress"));
}

struct Scripted {
    replies: RefCell<Vec<Result<HttpReply, TransportError>>>,
}

// The tests drive it from one thread; the trait object is used behind a shared ref.
impl Transport for Scripted {
    fn post_batch(&self, _key: &str, _body: &str) -> Result<HttpReply, TransportError> {
        self.replies.borrow_mut().remove(0)
    }
}

#[test]
fn a_mismatched_acknowledgement_is_retried_not_trusted() {
    let store = Mutex::new(Store::open_in_memory().unwrap());
    store
        .lock()
        .unwrap()
        .record_learning_progress("intro", true, now(), &LocalClock::utc())
        .unwrap();
    let bad = r#"{"idempotency_key":"someone-else","results":[],"cursor":9,"replayed":false}"#;
    let t = Scripted {
        replies: RefCell::new(vec![Ok(HttpReply {
            status: 200,
            body: bad.into(),
        })]),
    };
    let r = sync_client::sync(&store, &t, now(), Backoff::default()).unwrap();
    assert!(
        matches!(r.status, SyncStatus::RetryAfter(at) if at > now() && at < now() + Duration::seconds(40))
    );
    let s = store.lock().unwrap();
    assert_eq!(s.queue_counts().unwrap().pending, 1);
    assert_eq!(s.sync_cursor().unwrap(), 0);
    assert_eq!(s.in_flight_batch().unwrap().unwrap().attempts, 1);
}

#[test]
fn check_ins_of_different_contexts_on_one_day_are_two_records() {
    let mut store = Store::open_in_memory().unwrap();
    store.set_consent(ConsentLevel::CheckIns).unwrap();
    let at = |h, value, context| CheckIn {
        taken_at: Utc.with_ymd_and_hms(2025, 3, 9, h, 0, 0).unwrap(),
        scale: CheckInScale::Kss,
        value,
        context,
    };
    let clock = LocalClock::utc();
    for c in [
        at(6, 4, CheckInContext::BeforeShift),
        at(19, 8, CheckInContext::BeforeDrive),
        // A second before-shift check-in that day replaces the first.
        at(7, 5, CheckInContext::BeforeShift),
    ] {
        store.record_check_in(&c, &clock, now()).unwrap();
    }
    let batch = next_batch(&mut store, now()).unwrap().unwrap();
    let sent: SyncBatch = serde_json::from_str(&batch.body).unwrap();
    let mut values: Vec<(String, u8)> = sent
        .records
        .iter()
        .filter_map(|r| match r {
            models::sync::SyncRecord::CheckIn(c) => Some((c.context.as_str().to_owned(), c.value)),
            _ => None,
        })
        .collect();
    values.sort();
    assert_eq!(
        values,
        [
            ("before_drive".to_owned(), 8),
            ("before_shift".to_owned(), 5)
        ]
    );
    acknowledge(&mut store, &ack_all(&batch.idempotency_key, &sent)).unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2025, 3, 9).unwrap();
    for context in [CheckInContext::BeforeShift, CheckInContext::BeforeDrive] {
        assert_eq!(
            store.check_in_record_state(context, date).unwrap(),
            Some(RecordState::Sent)
        );
    }
    assert_eq!(
        store
            .check_in_record_state(CheckInContext::Other, date)
            .unwrap(),
        None
    );
}
