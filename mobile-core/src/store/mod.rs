//! The on-device store: the library's own SQLite file at a path the app owns.
//!
//! It holds what the phone knows about its officer: imported sleep episodes,
//! HRV and resting-heart-rate readings (the baselines are computed from
//! them), the roster, check-ins, calibration, coaching history (so a message
//! is not repeated), learning progress, consent, and the sync queue.
//!
//! # Durability
//! - Every write is one SQLite transaction: a crash or a kill part-way
//!   leaves the file as it was before the call (`tests/store_crash.rs` kills
//!   a writer with SIGKILL mid-import and checks it).
//! - WAL journal with `synchronous = FULL`: a committed call survives a
//!   power cut, not just a process kill.
//! - Versioned schema ([`schema`]): an app upgrade migrates the file in
//!   place and never drops data; a file from a newer build is refused.
//! - `secure_delete` is on, so [`Store::erase_all`] overwrites what it deletes.
//!
//! # Protection at rest
//! The file is not encrypted by the library: it relies on the operating
//! system's file protection (iOS Data Protection, e.g.
//! `NSFileProtectionCompleteUntilFirstUserAuthentication`; Android
//! file-based encryption of the app's private storage). `docs/mobile.md`
//! says what the apps must set.

mod bedtime;
mod data;
mod error;
mod export;
mod force_settings;
mod morning;
mod plan;
mod queue;
pub mod schema;
mod support;
mod wearable;

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

pub use data::{
    CheckIn, HRV_RMSSD_MS_RANGE, ImportReport, Metric, RESTING_HR_BPM_RANGE, Rejection,
};
pub use error::StoreError;
pub use morning::daily_summary;
pub use queue::{InFlightBatch, QueueCounts, RecordState};
pub use support::StoredCallback;
pub use wearable::{APP_SOURCE, SampleImport};

/// What the officer has agreed to share with their force. Each level
/// includes the ones before it; nothing outside the level is ever queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentLevel {
    /// Only the risk the server derives from the roster it already holds:
    /// nothing health-related leaves the phone. Learning progress (not
    /// health data) still syncs. The default before any choice.
    RosterOnly,
    /// Plus daily sleep and recovery summaries.
    SleepSummaries,
    /// Plus sleepiness/fatigue check-ins.
    CheckIns,
}

impl ConsentLevel {
    /// True when a sync record of `kind` (as [`models::sync::SyncRecord::kind`])
    /// may be queued at this level.
    pub fn allows(self, kind: &str) -> bool {
        match kind {
            "learning_progress" => true,
            "daily_summary" => self >= ConsentLevel::SleepSummaries,
            "check_in" => self >= ConsentLevel::CheckIns,
            _ => false,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ConsentLevel::RosterOnly => "roster_only",
            ConsentLevel::SleepSummaries => "sleep_summaries",
            ConsentLevel::CheckIns => "check_ins",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            ConsentLevel::RosterOnly,
            ConsentLevel::SleepSummaries,
            ConsentLevel::CheckIns,
        ]
        .into_iter()
        .find(|c| c.as_str() == text)
    }
}

/// The on-device store. Not `Sync`: share it behind a mutex.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// True while [`Store::batch`] holds a transaction its steps join.
    in_batch: bool,
}

const SETTING_CONSENT: &str = "consent";
const SETTING_DEVICE_ID: &str = "device_id";
const SETTING_SLEEP_NEED: &str = "sleep_need_hours";

impl Store {
    /// Opens (creating if needed) the store at `path` and migrates it to
    /// the current schema.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when the file cannot be opened or is not a
    /// database; [`StoreError::SchemaTooNew`] for a file from a newer build.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::setup(Connection::open(path)?)
    }

    /// A store in memory, for tests and previews.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when SQLite cannot start.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Self, StoreError> {
        // Another thread or process holding the write lock (a sync finishing
        // while the app imports) is waited for briefly rather than failing.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        schema::migrate(&mut conn)?;
        Ok(Self {
            conn,
            in_batch: false,
        })
    }

    /// Runs `steps` as one transaction: the writes that support it
    /// ([`Store::store_wearable_samples`], [`Store::record_morning`] and the
    /// plain imports) join it instead of committing on their own, so a
    /// morning's import, score and queued summary cost one commit and land
    /// together or not at all. An error from `steps` rolls everything back.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when the transaction cannot start or commit,
    /// or whatever `steps` returns.
    pub fn batch<T, E: From<StoreError>>(
        &mut self,
        steps: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        self.recover().map_err(E::from)?;
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| E::from(e.into()))?;
        self.in_batch = true;
        let out = steps(self);
        self.in_batch = false;
        match out {
            Ok(v) => match self.conn.execute_batch("COMMIT") {
                Ok(()) => Ok(v),
                Err(e) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    Err(E::from(e.into()))
                }
            },
            Err(e) => {
                self.conn
                    .execute_batch("ROLLBACK")
                    .map_err(|e| E::from(e.into()))?;
                Err(e)
            }
        }
    }

    /// Rolls back a transaction left open by a step that panicked inside
    /// [`Store::batch`], so the next call starts clean. Called by
    /// [`crate::sync_client::lock`] when it takes over a poisoned lock.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when the rollback fails.
    pub fn recover(&mut self) -> Result<(), StoreError> {
        self.in_batch = false;
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    /// Runs one write: in its own immediate transaction, or inside the
    /// caller's [`Store::batch`].
    fn write<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.in_batch {
            return f(&self.conn);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// The file's schema version.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when it cannot be read.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        schema::version(&self.conn)
    }

    /// SQLite's own consistency check: `Ok(true)` when `integrity_check`
    /// reports `ok`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when the check cannot run.
    pub fn integrity_ok(&self) -> Result<bool, StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(result == "ok")
    }

    /// The officer's current consent ([`ConsentLevel::RosterOnly`] until set).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn consent(&self) -> Result<ConsentLevel, StoreError> {
        Ok(self
            .setting(SETTING_CONSENT)?
            .as_deref()
            .and_then(ConsentLevel::parse)
            .unwrap_or(ConsentLevel::RosterOnly))
    }

    /// Records a consent choice. Lowering it withdraws, in the same
    /// transaction, every unsent record it no longer covers, and abandons an
    /// unacknowledged batch that carried any (its other records are queued
    /// again for a new batch).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn set_consent(&mut self, level: ConsentLevel) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        put_setting(&tx, SETTING_CONSENT, level.as_str())?;
        queue::withdraw_unconsented(&tx, level)?;
        tx.commit()?;
        Ok(())
    }

    /// This install's random device id, created on first use. Erasing the
    /// store gives the install a new one.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read or write failure.
    pub fn device_id(&mut self) -> Result<String, StoreError> {
        if let Some(id) = self.setting(SETTING_DEVICE_ID)? {
            return Ok(id);
        }
        let id = uuid::Uuid::new_v4().to_string();
        put_setting(&self.conn, SETTING_DEVICE_ID, &id)?;
        Ok(id)
    }

    /// Takes the device id the server issued at enrolment (the server
    /// refuses batches from any other id). An unacknowledged batch built
    /// under the old id is abandoned, in the same transaction, and its
    /// records queued again; the new-device notice starts again from none
    /// ([`Store::device_notice`] counts devices paired after this one).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an id that is not 1–64 letters, digits,
    /// `-`, `_` or `.`; [`StoreError::Sqlite`] on a write failure.
    pub fn set_device_id(&mut self, device_id: &str) -> Result<(), StoreError> {
        models::sync::check_identifier("device_id", device_id)?;
        self.write(|tx| {
            if get_setting(tx, SETTING_DEVICE_ID)?.as_deref() != Some(device_id) {
                put_setting(tx, SETTING_DEVICE_ID, device_id)?;
                queue::abandon_in_flight(tx)?;
                queue::forget_device_notice(tx)?;
            }
            Ok(())
        })
    }

    /// The officer's sleep need, hours asleep: their own setting, else
    /// [`crate::recovery::DEFAULT_SLEEP_NEED_HOURS`] (7 h). The recovery
    /// score, its 7-night debt and coaching count against it; predicted
    /// sleep does not (the roster rules keep their 8-hour opportunity).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored value that is not a need [`crate::recovery::check_sleep_need`]
    /// accepts.
    pub fn sleep_need_hours(&self) -> Result<f64, StoreError> {
        match self.setting(SETTING_SLEEP_NEED)? {
            None => Ok(crate::recovery::DEFAULT_SLEEP_NEED_HOURS),
            Some(text) => text
                .parse::<f64>()
                .ok()
                .and_then(|h| crate::recovery::check_sleep_need(h).ok())
                .ok_or(StoreError::Corrupt {
                    what: "sleep need setting",
                }),
        }
    }

    /// Keeps the officer's own sleep need, hours asleep (6.5–10 h).
    ///
    /// # Errors
    /// [`StoreError::Recovery`] for a need outside the range (nothing is
    /// kept); [`StoreError::Sqlite`] on a write failure.
    pub fn set_sleep_need_hours(&mut self, hours: f64) -> Result<(), StoreError> {
        let hours = crate::recovery::check_sleep_need(hours)?;
        self.write(|tx| put_setting(tx, SETTING_SLEEP_NEED, &hours.to_string()))
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        get_setting(&self.conn, key)
    }
}

fn put_setting(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn get_setting(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Seconds since the Unix epoch, as stored.
fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// The instant stored as `s` seconds since the Unix epoch.
fn instant(s: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(s, 0).ok_or(StoreError::Corrupt { what: "timestamp" })
}
