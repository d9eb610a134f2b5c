//! What the store holds about the officer: imports and records.
//!
//! Imports are batch calls (a HealthKit or Health Connect query returns many
//! samples): each call is one transaction, bad items are rejected and
//! counted with a reason, exact repeats are counted as duplicates, and the
//! rest is kept.

use chrono::{DateTime, Utc};
use models::sync::round_to_quarter_hour;
use models::sync::{CheckInContext, CheckInRecord, CheckInScale, LearningProgress, SyncRecord};
use models::{Shift, SleepPeriod, ValidationError};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::{Store, StoreError, instant, queue, secs};
use crate::LocalClock;

/// Plausible RMSSD range in milliseconds; readings outside it are sensor
/// artefacts (motion, a loose strap), not physiology.
pub const HRV_RMSSD_MS_RANGE: (f64, f64) = (1.0, 300.0);
/// Plausible resting heart rate range in beats per minute.
pub const RESTING_HR_BPM_RANGE: (f64, f64) = (25.0, 200.0);

/// An item an import refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// Position of the item in the call's input (0-based).
    pub index: usize,
    /// Stable snake_case reason (`end_not_after_start`, `too_long`,
    /// `out_of_range`, `overlaps_existing`, `overlaps_input`).
    pub reason: &'static str,
}

/// The outcome of one import call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Items stored.
    pub accepted: usize,
    /// Items already held exactly (ignored).
    pub duplicates: usize,
    /// Items refused, with reasons; the rest of the input was kept.
    pub rejected: Vec<Rejection>,
}

/// A check-in as the officer gave it (its synced form is rounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckIn {
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// Which scale.
    pub scale: CheckInScale,
    /// Score on that scale.
    pub value: u8,
    /// When in the day.
    pub context: CheckInContext,
}

/// What one item of an import did.
enum Outcome {
    Stored,
    Duplicate,
    Rejected(&'static str),
}

fn validation_reason(e: &ValidationError) -> &'static str {
    match e {
        ValidationError::EndNotAfterStart { .. } => "end_not_after_start",
        ValidationError::TooLong { .. } => "too_long",
        ValidationError::OutOfRange { .. } => "out_of_range",
        ValidationError::NotRounded { .. } => "not_rounded",
        ValidationError::NotAnIdentifier { .. } => "not_an_identifier",
        ValidationError::InvalidContact { .. } => "invalid_contact",
        ValidationError::InvalidWindow { .. } => "invalid_window",
        ValidationError::Required { .. } => "required",
    }
}

impl Store {
    /// Runs one import in one transaction: `each` decides per item, and the
    /// call's totals are written to `imports` in the same transaction.
    fn import<T>(
        &mut self,
        kind: &'static str,
        items: &[T],
        now: DateTime<Utc>,
        mut each: impl FnMut(&Connection, &T, i64) -> Result<Outcome, StoreError>,
    ) -> Result<ImportReport, StoreError> {
        self.write(|tx| {
        tx.execute(
            "INSERT INTO imports (kind, at_s, accepted, duplicates, rejected) VALUES (?1, ?2, 0, 0, 0)",
            params![kind, secs(now)],
        )?;
        let import_id = tx.last_insert_rowid();
        let mut report = ImportReport::default();
        for (index, item) in items.iter().enumerate() {
            match each(tx, item, import_id)? {
                Outcome::Stored => report.accepted += 1,
                Outcome::Duplicate => report.duplicates += 1,
                Outcome::Rejected(reason) => report.rejected.push(Rejection { index, reason }),
            }
        }
        tx.execute(
            "UPDATE imports SET accepted = ?2, duplicates = ?3, rejected = ?4 WHERE id = ?1",
            params![
                import_id,
                report.accepted as i64,
                report.duplicates as i64,
                report.rejected.len() as i64
            ],
        )?;
        Ok(report)
        })
    }

    /// Imports sleep episodes `(start, end)` (e.g. HealthKit sleep analysis
    /// merged into episodes). An episode equal to a stored one is a
    /// duplicate; one overlapping a stored or earlier one is rejected.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure (nothing of the call is kept).
    pub fn import_sleeps(
        &mut self,
        episodes: &[(DateTime<Utc>, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        self.import("sleep", episodes, now, |tx, &(start, end), id| {
            let p = match SleepPeriod::new(start, end) {
                Ok(p) => p,
                Err(e) => return Ok(Outcome::Rejected(validation_reason(&e))),
            };
            // Stored episodes never overlap, so the latest one starting
            // before this one ends is the only one that can overlap it.
            let prev: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT start_s, end_s FROM sleep_episodes WHERE start_s < ?1
                     ORDER BY start_s DESC LIMIT 1",
                    [secs(p.end())],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match prev {
                Some((s, e)) if s == secs(p.start()) && e == secs(p.end()) => {
                    Ok(Outcome::Duplicate)
                }
                Some((_, e)) if e > secs(p.start()) => Ok(Outcome::Rejected("overlaps_existing")),
                _ => {
                    tx.execute(
                        "INSERT INTO sleep_episodes (start_s, end_s, import_id) VALUES (?1, ?2, ?3)",
                        params![secs(p.start()), secs(p.end()), id],
                    )?;
                    Ok(Outcome::Stored)
                }
            }
        })
    }

    /// Imports HRV readings `(at, rmssd_ms)`. A reading at an instant already
    /// held is a duplicate; values outside [`HRV_RMSSD_MS_RANGE`] are rejected.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure (nothing of the call is kept).
    pub fn import_hrv(
        &mut self,
        readings: &[(DateTime<Utc>, f64)],
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        self.import_readings(
            "hrv_readings",
            "rmssd_ms",
            HRV_RMSSD_MS_RANGE,
            readings,
            now,
        )
    }

    /// Imports resting heart rates `(at, bpm)`, as [`Store::import_hrv`]
    /// with [`RESTING_HR_BPM_RANGE`].
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure (nothing of the call is kept).
    pub fn import_resting_hr(
        &mut self,
        readings: &[(DateTime<Utc>, f64)],
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        self.import_readings("resting_hr", "bpm", RESTING_HR_BPM_RANGE, readings, now)
    }

    fn import_readings(
        &mut self,
        table: &'static str,
        column: &'static str,
        (min, max): (f64, f64),
        readings: &[(DateTime<Utc>, f64)],
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        let sql = format!(
            "INSERT INTO {table} (at_s, {column}, import_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (at_s) DO NOTHING"
        );
        self.import(table, readings, now, |tx, &(at, value), id| {
            if !(value.is_finite() && (min..=max).contains(&value)) {
                return Ok(Outcome::Rejected("out_of_range"));
            }
            let inserted = tx.execute(&sql, params![secs(at), value, id])?;
            Ok(if inserted == 1 {
                Outcome::Stored
            } else {
                Outcome::Duplicate
            })
        })
    }

    /// Replaces the roster over the span the new shifts cover: stored
    /// shifts overlapping `[first start, last end)` are removed and the new
    /// ones stored, in one transaction. Invalid shifts and shifts
    /// overlapping an earlier one in the input are rejected.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure (the old roster is kept).
    pub fn replace_roster(
        &mut self,
        shifts: &[(DateTime<Utc>, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        let mut valid: Vec<(usize, Shift)> = Vec::new();
        let mut refused: Vec<Rejection> = Vec::new();
        for (index, &(start, end)) in shifts.iter().enumerate() {
            match Shift::new(start, end) {
                Ok(s) => valid.push((index, s)),
                Err(e) => refused.push(Rejection {
                    index,
                    reason: validation_reason(&e),
                }),
            }
        }
        valid.sort_by_key(|(_, s)| *s);
        let mut kept: Vec<(usize, Shift)> = Vec::with_capacity(valid.len());
        for (index, s) in valid {
            match kept.last() {
                Some((_, prev)) if *prev == s => refused.push(Rejection {
                    index,
                    reason: "duplicate_in_input",
                }),
                Some((_, prev)) if prev.end() > s.start() => refused.push(Rejection {
                    index,
                    reason: "overlaps_input",
                }),
                _ => kept.push((index, s)),
            }
        }
        if let (Some((_, first)), Some(last_end)) =
            (kept.first(), kept.iter().map(|(_, s)| s.end()).max())
        {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM shifts WHERE start_s < ?2 AND end_s > ?1",
                params![secs(first.start()), secs(last_end)],
            )?;
            for (_, s) in &kept {
                tx.execute(
                    "INSERT INTO shifts (start_s, end_s) VALUES (?1, ?2)",
                    params![secs(s.start()), secs(s.end())],
                )?;
            }
            tx.execute(
                "INSERT INTO imports (kind, at_s, accepted, duplicates, rejected) VALUES ('roster', ?1, ?2, 0, ?3)",
                params![secs(now), kept.len() as i64, refused.len() as i64],
            )?;
            tx.commit()?;
        }
        refused.sort_by_key(|r| r.index);
        Ok(ImportReport {
            accepted: kept.len(),
            duplicates: 0,
            rejected: refused,
        })
    }

    /// Sleep episodes overlapping `[from, to)`, in order.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored period that no longer validates.
    pub fn sleeps_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SleepPeriod>, StoreError> {
        self.periods(
            "SELECT start_s, end_s FROM sleep_episodes WHERE start_s < ?2 AND end_s > ?1 ORDER BY start_s",
            from,
            to,
            |s, e| SleepPeriod::new(s, e).ok(),
        )
    }

    /// Shifts overlapping `[from, to)`, in order.
    ///
    /// # Errors
    /// As [`Store::sleeps_between`].
    pub fn shifts_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Shift>, StoreError> {
        self.periods(
            "SELECT start_s, end_s FROM shifts WHERE start_s < ?2 AND end_s > ?1 ORDER BY start_s",
            from,
            to,
            |s, e| Shift::new(s, e).ok(),
        )
    }

    fn periods<P>(
        &self,
        sql: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        make: impl Fn(DateTime<Utc>, DateTime<Utc>) -> Option<P>,
    ) -> Result<Vec<P>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![secs(from), secs(to)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (s, e) = row?;
            out.push(make(instant(s)?, instant(e)?).ok_or(StoreError::Corrupt { what: "period" })?);
        }
        Ok(out)
    }

    /// Readings `(at, value)` of `metric` taken in `[from, to)`, in order;
    /// `metric` is [`Metric::Hrv`] (RMSSD, ms) or [`Metric::RestingHr`] (bpm).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn readings_between(
        &self,
        metric: Metric,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, f64)>, StoreError> {
        let sql = match metric {
            Metric::Hrv => {
                "SELECT at_s, rmssd_ms FROM hrv_readings WHERE at_s >= ?1 AND at_s < ?2 ORDER BY at_s"
            }
            Metric::RestingHr => {
                "SELECT at_s, bpm FROM resting_hr WHERE at_s >= ?1 AND at_s < ?2 ORDER BY at_s"
            }
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![secs(from), secs(to)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, v) = row?;
            out.push((instant(at)?, v));
        }
        Ok(out)
    }

    /// Records a check-in and, if consent covers check-ins, queues its
    /// rounded form for sync: one per local day and context (before a shift,
    /// before the drive home, ...), the latest of a context winning, as the
    /// server keys them.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a value outside the scale;
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn record_check_in(
        &mut self,
        check_in: &CheckIn,
        clock: &LocalClock,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let record = SyncRecord::CheckIn(CheckInRecord {
            local_date: check_in.taken_at.with_timezone(&clock.zone()).date_naive(),
            taken_at: round_to_quarter_hour(check_in.taken_at),
            scale: check_in.scale,
            value: check_in.value,
            context: check_in.context,
        });
        record.validate()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO check_ins (taken_at_s, scale, value, context) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (taken_at_s, scale) DO UPDATE SET value = excluded.value, context = excluded.context",
            params![
                secs(check_in.taken_at),
                serde_json::to_string(&check_in.scale)?,
                i64::from(check_in.value),
                serde_json::to_string(&check_in.context)?,
            ],
        )?;
        queue::enqueue(&tx, &record, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Records progress through a learning module and queues it for sync.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a module id that is not an identifier;
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn record_learning_progress(
        &mut self,
        module_id: &str,
        completed: bool,
        at: DateTime<Utc>,
        clock: &LocalClock,
    ) -> Result<(), StoreError> {
        let record = SyncRecord::LearningProgress(LearningProgress {
            local_date: at.with_timezone(&clock.zone()).date_naive(),
            module_id: module_id.to_string(),
            completed,
        });
        record.validate()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        super::morning::put_learning_record(&tx, &record, at)?;
        tx.commit()?;
        Ok(())
    }

    /// Queues a record built elsewhere (a day's summary) for sync, if the
    /// officer's consent covers its kind. Returns false when it does not.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a record that fails validation;
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn enqueue(&mut self, record: &SyncRecord, now: DateTime<Utc>) -> Result<bool, StoreError> {
        record.validate()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let queued = queue::enqueue(&tx, record, now)?;
        tx.commit()?;
        Ok(queued)
    }

    /// Stores a calibration value (JSON) under `key`, replacing the old one.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn put_calibration(
        &mut self,
        key: &str,
        value_json: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO calibration (key, value, updated_at_s) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_s = excluded.updated_at_s",
            params![key, value_json, secs(now)],
        )?;
        Ok(())
    }

    /// The calibration value stored under `key`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn calibration(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM calibration WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Notes that coaching message `message_id` was shown at `at`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn record_coaching_shown(
        &mut self,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO coaching_history (message_id, shown_at_s) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![message_id, secs(at)],
        )?;
        Ok(())
    }

    /// Coaching messages shown at or after `from`: `(message id, shown at)`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn coaching_shown_since(
        &self,
        from: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT message_id, shown_at_s FROM coaching_history WHERE shown_at_s >= ?1 ORDER BY shown_at_s",
        )?;
        let rows = stmt.query_map([secs(from)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at) = row?;
            out.push((id, instant(at)?));
        }
        Ok(out)
    }

    /// Check-ins taken in `[from, to)`, in order.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored scale or context that no longer parses.
    pub fn check_ins_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CheckIn>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT taken_at_s, scale, value, context FROM check_ins
             WHERE taken_at_s >= ?1 AND taken_at_s < ?2 ORDER BY taken_at_s",
        )?;
        let rows = stmt.query_map(params![secs(from), secs(to)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, scale, value, context) = row?;
            out.push(CheckIn {
                taken_at: instant(at)?,
                scale: serde_json::from_str(&scale)?,
                value: u8::try_from(value).map_err(|_| StoreError::Corrupt {
                    what: "check-in value",
                })?,
                context: serde_json::from_str(&context)?,
            });
        }
        Ok(out)
    }

    /// When coaching message `message_id` was last shown, if ever.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn coaching_last_shown(
        &self,
        message_id: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let s: Option<i64> = self.conn.query_row(
            "SELECT max(shown_at_s) FROM coaching_history WHERE message_id = ?1",
            [message_id],
            |r| r.get(0),
        )?;
        s.map(instant).transpose()
    }
}

/// A physiological reading kind the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Heart-rate variability, RMSSD in milliseconds.
    Hrv,
    /// Resting heart rate, beats per minute.
    RestingHr,
}
