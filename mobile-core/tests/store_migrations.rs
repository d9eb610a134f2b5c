//! A store written by an older release opens under this one with its data
//! intact; one written by a newer release is refused, not damaged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use mobile_core::store::{ConsentLevel, Store, StoreError, schema};

#[test]
fn a_version_1_file_is_migrated_in_place_without_losing_data() {
    let dir = std::env::temp_dir().join(format!("store-mig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("v1.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO settings VALUES ('consent', 'check_ins');
             INSERT INTO imports VALUES (1, 'sleep', 0, 1, 0, 0);
             INSERT INTO sleep_episodes VALUES (1735772400, 1735801200, 1);
             INSERT INTO shifts VALUES (1735804800, 1735833600);",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
    assert_eq!(store.consent().unwrap(), ConsentLevel::CheckIns);
    let t = |d, h| Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap();
    let sleeps = store.sleeps_between(t(1, 0), t(3, 0)).unwrap();
    assert_eq!(sleeps.len(), 1);
    assert_eq!(sleeps[0].start(), t(1, 23));
    assert_eq!(store.shifts_between(t(1, 0), t(3, 0)).unwrap().len(), 1);
    // The tables version 2 added work.
    store.put_calibration("tpm", "{}", t(2, 0)).unwrap();
    assert_eq!(store.calibration("tpm").unwrap().as_deref(), Some("{}"));
    drop(store);
    // Reopening is a no-op.
    assert_eq!(
        Store::open(&path).unwrap().schema_version().unwrap(),
        schema::latest_version()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_from_a_newer_release_is_refused_and_left_untouched() {
    let dir = std::env::temp_dir().join(format!("store-new-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("new.db");
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::SchemaTooNew {
            found: 99,
            supported: _
        })
    ));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 99);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_version_3_queue_keeps_its_check_in_under_the_new_key() {
    // Version 3 keyed a queued check-in by its date alone.
    let dir = std::env::temp_dir().join(format!("store-mig3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("v3.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in &schema::MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute_batch(
            r#"INSERT INTO settings VALUES ('consent', 'check_ins');
               INSERT INTO sync_queue (kind, local_date, payload, state, batch_key, updated_at_s)
               VALUES ('check_in', '2025-03-09',
                       '{"kind":"check_in","local_date":"2025-03-09","taken_at":"2025-03-09T06:00:00Z","scale":"kss","value":6,"context":"before_drive"}',
                       'pending', NULL, 0);"#,
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
    let date = chrono::NaiveDate::from_ymd_opt(2025, 3, 9).unwrap();
    assert_eq!(
        store
            .check_in_record_state(models::sync::CheckInContext::BeforeDrive, date)
            .unwrap(),
        Some(mobile_core::store::RecordState::Pending)
    );
    assert_eq!(
        store.queue_counts().unwrap().pending,
        1,
        "nothing lost or doubled"
    );
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}
