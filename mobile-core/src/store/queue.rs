//! The sync queue's persistence: queued records, the one unacknowledged
//! batch, the cursor. The protocol's decisions live in
//! [`crate::sync_client`]; this module only stores them, each step in one
//! transaction.

use chrono::{DateTime, Utc};
use models::sync::{RecordOutcome, SyncRecord};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    ConsentLevel, SETTING_CONSENT, Store, StoreError, get_setting, instant, put_setting, secs,
};

const SETTING_CURSOR: &str = "sync_cursor";
const SETTING_LAST_SEQUENCE: &str = "sync_last_sequence";
/// The highest `newer_devices` an acknowledgement carried.
const SETTING_NEWER_DEVICES: &str = "newer_devices";
/// The `newer_devices` the officer has seen the notice of.
const SETTING_NEWER_DEVICES_SEEN: &str = "newer_devices_seen";

/// A queued record's sync state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordState {
    /// Not yet acknowledged by the server.
    Pending,
    /// Acknowledged as stored (or unchanged).
    Sent,
    /// Refused by the server; kept for the export, not resent unless it changes.
    Rejected,
}

/// The batch sent but not yet acknowledged.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlightBatch {
    /// Its idempotency key.
    pub idempotency_key: String,
    /// Its sequence number.
    pub sequence: u64,
    /// The exact JSON body, resent unchanged on every retry.
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// Not to be retried before this instant.
    pub next_attempt_at: DateTime<Utc>,
}

/// How many queued records are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Waiting to be sent or acknowledged.
    pub pending: u64,
    /// Acknowledged.
    pub sent: u64,
    /// Refused by the server.
    pub rejected: u64,
}

/// The record's key in the queue's `local_date` column: its local date, and
/// for learning progress its module, for a check-in its context, as the
/// server's natural key (person, local date, kind, discriminator): two
/// modules, or a before-shift and a before-drive check-in, on one day are
/// two records; a second check-in of the same context replaces the first.
pub(super) fn queue_key(record: &SyncRecord) -> String {
    match record {
        SyncRecord::LearningProgress(l) => format!("{}/{}", l.local_date, l.module_id),
        SyncRecord::CheckIn(c) => format!("{}/{}", c.local_date, c.context.as_str()),
        SyncRecord::DailySummary(_) => record.local_date().to_string(),
    }
}

fn consent(conn: &Connection) -> Result<ConsentLevel, StoreError> {
    Ok(get_setting(conn, SETTING_CONSENT)?
        .as_deref()
        .and_then(ConsentLevel::parse)
        .unwrap_or(ConsentLevel::RosterOnly))
}

/// Queues `record` by its natural key (kind, local date) if consent covers
/// it. An identical record already queued or sent changes nothing; a changed
/// one becomes pending again and leaves any unacknowledged batch.
pub(super) fn enqueue(
    conn: &Connection,
    record: &SyncRecord,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if !consent(conn)?.allows(record.kind()) {
        return Ok(false);
    }
    conn.execute(
        "INSERT INTO sync_queue (kind, local_date, payload, state, batch_key, updated_at_s)
         VALUES (?1, ?2, ?3, 'pending', NULL, ?4)
         ON CONFLICT (kind, local_date) DO UPDATE SET
             payload = excluded.payload, state = 'pending', batch_key = NULL,
             updated_at_s = excluded.updated_at_s
         WHERE sync_queue.payload <> excluded.payload",
        params![
            record.kind(),
            queue_key(record),
            serde_json::to_string(record)?,
            secs(now)
        ],
    )?;
    Ok(true)
}

/// Abandons the unacknowledged batch, if any: its records go back to the
/// queue for a new batch (with a new key, sequence and device id).
pub(super) fn abandon_in_flight(conn: &Connection) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sync_queue SET batch_key = NULL WHERE batch_key IS NOT NULL",
        [],
    )?;
    conn.execute("DELETE FROM sync_batches", [])?;
    Ok(())
}

/// Forgets the new-device notice: its counts are relative to the device id
/// the server issued, so a new id (enrolment, pairing) starts from none.
pub(super) fn forget_device_notice(conn: &Connection) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM settings WHERE key IN (?1, ?2)",
        [SETTING_NEWER_DEVICES, SETTING_NEWER_DEVICES_SEEN],
    )?;
    Ok(())
}

/// Drops unsent records `level` no longer covers and abandons an
/// unacknowledged batch that carried any.
pub(super) fn withdraw_unconsented(
    conn: &Connection,
    level: ConsentLevel,
) -> Result<(), StoreError> {
    let kinds = ["daily_summary", "check_in", "learning_progress"];
    for kind in kinds.into_iter().filter(|k| !level.allows(k)) {
        let batches: Vec<String> = conn
            .prepare("SELECT DISTINCT batch_key FROM sync_queue WHERE kind = ?1 AND state = 'pending' AND batch_key IS NOT NULL")?
            .query_map([kind], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for key in batches {
            conn.execute(
                "UPDATE sync_queue SET batch_key = NULL WHERE batch_key = ?1",
                [&key],
            )?;
            conn.execute(
                "DELETE FROM sync_batches WHERE idempotency_key = ?1",
                [&key],
            )?;
        }
        conn.execute(
            "DELETE FROM sync_queue WHERE kind = ?1 AND state = 'pending'",
            [kind],
        )?;
    }
    Ok(())
}

impl Store {
    /// The unacknowledged batch, if any.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn in_flight_batch(&self) -> Result<Option<InFlightBatch>, StoreError> {
        let row: Option<(String, i64, String, i64, i64)> = self
            .conn
            .query_row(
                "SELECT idempotency_key, sequence, body, attempts, next_attempt_s
                 FROM sync_batches ORDER BY sequence LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        row.map(|(idempotency_key, sequence, body, attempts, next)| {
            Ok(InFlightBatch {
                idempotency_key,
                sequence: u64::try_from(sequence).map_err(|_| StoreError::Corrupt {
                    what: "batch sequence",
                })?,
                body,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                next_attempt_at: instant(next)?,
            })
        })
        .transpose()
    }

    /// Up to `limit` pending records not in a batch whose kind consent still
    /// covers, oldest first, with their natural keys.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a payload that no longer parses.
    pub fn pending_records(&self, limit: usize) -> Result<Vec<SyncRecord>, StoreError> {
        let level = consent(&self.conn)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, payload FROM sync_queue WHERE state = 'pending' AND batch_key IS NULL
             ORDER BY updated_at_s, kind, local_date",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, payload) = row?;
            if level.allows(&kind) {
                out.push(serde_json::from_str(&payload)?);
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The next batch sequence number: one past the highest this device has
    /// used or the server has acknowledged.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn next_sequence(&self) -> Result<u64, StoreError> {
        let last = self.sequence_setting(SETTING_LAST_SEQUENCE)?;
        let cursor = self.sync_cursor()?;
        Ok(last.max(cursor) + 1)
    }

    /// How many devices were paired with the officer's account since they
    /// last dismissed the notice ([`Store::dismiss_device_notice`]): the
    /// rise in the acknowledgements' `newer_devices`
    /// ([`models::sync::SyncAck::newer_devices`]) since then.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn device_notice(&self) -> Result<u32, StoreError> {
        let newer = self.sequence_setting(SETTING_NEWER_DEVICES)?;
        let seen = self.sequence_setting(SETTING_NEWER_DEVICES_SEEN)?;
        Ok(u32::try_from(newer.saturating_sub(seen)).unwrap_or(u32::MAX))
    }

    /// The officer has seen the new-device notice: it reads 0 until another
    /// device is paired.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn dismiss_device_notice(&mut self) -> Result<(), StoreError> {
        let newer = self.sequence_setting(SETTING_NEWER_DEVICES)?;
        self.write(|tx| put_setting(tx, SETTING_NEWER_DEVICES_SEEN, &newer.to_string()))
    }

    /// The server's cursor as last acknowledged (0 before any).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn sync_cursor(&self) -> Result<u64, StoreError> {
        self.sequence_setting(SETTING_CURSOR)
    }

    fn sequence_setting(&self, key: &str) -> Result<u64, StoreError> {
        Ok(get_setting(&self.conn, key)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Saves a built batch as the unacknowledged one and ties its records to
    /// it, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn save_batch(
        &mut self,
        batch: &InFlightBatch,
        records: &[SyncRecord],
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO sync_batches (idempotency_key, sequence, body, attempts, next_attempt_s)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                batch.idempotency_key,
                batch.sequence as i64,
                batch.body,
                i64::from(batch.attempts),
                secs(batch.next_attempt_at)
            ],
        )?;
        for r in records {
            tx.execute(
                "UPDATE sync_queue SET batch_key = ?1 WHERE kind = ?2 AND local_date = ?3 AND state = 'pending'",
                params![batch.idempotency_key, r.kind(), queue_key(r)],
            )?;
        }
        put_setting(&tx, SETTING_LAST_SEQUENCE, &batch.sequence.to_string())?;
        tx.commit()?;
        Ok(())
    }

    /// Records a failed attempt: the batch waits until `next_attempt_at`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn defer_batch(
        &mut self,
        idempotency_key: &str,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE sync_batches SET attempts = ?2, next_attempt_s = ?3 WHERE idempotency_key = ?1",
            params![idempotency_key, i64::from(attempts), secs(next_attempt_at)],
        )?;
        Ok(())
    }

    /// Applies an acknowledgement in one transaction: each record still tied
    /// to the batch is marked sent or rejected by its outcome, the batch is
    /// dropped and the cursor stored, with the acknowledgement's count of
    /// newer devices when it came from the server ([`Store::device_notice`]).
    /// Records changed since the batch was built are no longer tied to it
    /// and stay pending.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure (nothing is marked).
    pub fn settle_batch(
        &mut self,
        idempotency_key: &str,
        outcomes: &[(&SyncRecord, &RecordOutcome)],
        cursor: u64,
        newer_devices: Option<u32>,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (record, outcome) in outcomes {
            let state = match outcome {
                RecordOutcome::Stored | RecordOutcome::Unchanged => "sent",
                RecordOutcome::Rejected { .. } => "rejected",
            };
            tx.execute(
                "UPDATE sync_queue SET state = ?1, batch_key = NULL
                 WHERE kind = ?2 AND local_date = ?3 AND batch_key = ?4",
                params![state, record.kind(), queue_key(record), idempotency_key],
            )?;
        }
        // Records the ack did not mention go back to the queue for a new batch.
        tx.execute(
            "UPDATE sync_queue SET batch_key = NULL WHERE batch_key = ?1",
            [idempotency_key],
        )?;
        tx.execute(
            "DELETE FROM sync_batches WHERE idempotency_key = ?1",
            [idempotency_key],
        )?;
        let old: u64 = get_setting(&tx, SETTING_CURSOR)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        put_setting(&tx, SETTING_CURSOR, &old.max(cursor).to_string())?;
        if let Some(newer) = newer_devices {
            // Only rises: a replayed or late answer cannot hide a pairing.
            let old: u64 = get_setting(&tx, SETTING_NEWER_DEVICES)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            put_setting(
                &tx,
                SETTING_NEWER_DEVICES,
                &old.max(u64::from(newer)).to_string(),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// How many queued records are in each state.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn queue_counts(&self) -> Result<QueueCounts, StoreError> {
        let mut counts = QueueCounts::default();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, count(*) FROM sync_queue GROUP BY state")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            let n = u64::try_from(n).unwrap_or(0);
            match state.as_str() {
                "pending" => counts.pending = n,
                "sent" => counts.sent = n,
                _ => counts.rejected = n,
            }
        }
        Ok(counts)
    }

    /// The state of the queued record with natural key (`kind`, `local_date`)
    /// (for learning progress the date alone does not name a record: see
    /// [`Store::learning_record_state`]).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn record_state(
        &self,
        kind: &str,
        local_date: chrono::NaiveDate,
    ) -> Result<Option<RecordState>, StoreError> {
        self.record_state_by_key(kind, &local_date.to_string())
    }

    fn record_state_by_key(
        &self,
        kind: &str,
        key: &str,
    ) -> Result<Option<RecordState>, StoreError> {
        let state: Option<String> = self
            .conn
            .query_row(
                "SELECT state FROM sync_queue WHERE kind = ?1 AND local_date = ?2",
                params![kind, key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(state.map(|s| match s.as_str() {
            "pending" => RecordState::Pending,
            "sent" => RecordState::Sent,
            _ => RecordState::Rejected,
        }))
    }

    /// The state of the queued learning-progress record of `module_id` on
    /// `local_date`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn learning_record_state(
        &self,
        module_id: &str,
        local_date: chrono::NaiveDate,
    ) -> Result<Option<RecordState>, StoreError> {
        self.record_state_by_key("learning_progress", &format!("{local_date}/{module_id}"))
    }

    /// The state of the queued check-in of `context` on `local_date`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn check_in_record_state(
        &self,
        context: models::sync::CheckInContext,
        local_date: chrono::NaiveDate,
    ) -> Result<Option<RecordState>, StoreError> {
        self.record_state_by_key("check_in", &format!("{local_date}/{}", context.as_str()))
    }
}
