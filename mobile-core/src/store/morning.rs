//! The morning's recovery score and the daily summary built from it, and
//! the officer's learning state.

use chrono::{DateTime, NaiveDate, Utc};
use models::sync::{
    DailySummary, LearningProgress, RecoveryBand, SyncRecord, round_to_quarter_hour,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Store, StoreError, queue, secs};
use crate::education::Progress;
use crate::recovery::RecoveryScore;
use crate::wearables::episodes::SleepEpisode;

/// The sync record of a morning: the score's figures and the main sleep's
/// timing rounded to 15 minutes (dropped if rounding leaves no span), every
/// figure clamped to the ranges the sync schema accepts. `sleep_minutes` is
/// all sleep in episodes ending on the date (naps included), as the score
/// counts it.
pub fn daily_summary(score: &RecoveryScore, main_sleep: Option<&SleepEpisode>) -> DailySummary {
    let timing = main_sleep
        .map(|m| (round_to_quarter_hour(m.start), round_to_quarter_hour(m.end)))
        .filter(|(s, e)| e > s);
    DailySummary {
        local_date: score.date,
        main_sleep_start: timing.map(|t| t.0),
        main_sleep_end: timing.map(|t| t.1),
        sleep_minutes: score.sleep_minutes.min(24 * 60),
        sleep_debt_minutes: score.sleep_debt_minutes.min(7 * 24 * 60),
        recovery_score: score.score,
        recovery_band: score.band,
        hrv_deviation_sd: score.hrv_deviation_sd.map(|z| z.clamp(-10.0, 10.0)),
        resting_hr_deviation_bpm: score.resting_hr_deviation_bpm.map(|d| d.clamp(-60.0, 60.0)),
    }
}

fn band_text(band: Option<RecoveryBand>) -> Result<Option<String>, StoreError> {
    band.map(|b| serde_json::to_value(b).map(|v| v.as_str().unwrap_or_default().to_string()))
        .transpose()
        .map_err(StoreError::from)
}

impl Store {
    /// Saves a morning's score (replacing an earlier one for its date) and
    /// queues `summary` if consent covers daily summaries, in one
    /// transaction. Returns whether the summary was queued.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a summary that fails validation (nothing
    /// is written); [`StoreError::Sqlite`] on a write failure.
    pub fn record_morning(
        &mut self,
        score: &RecoveryScore,
        summary: Option<&DailySummary>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let record = summary.map(|s| SyncRecord::DailySummary(s.clone()));
        if let Some(r) = &record {
            r.validate()?;
        }
        self.write(|tx| {
        tx.execute(
            "INSERT INTO recovery_scores (local_date, band, score, updated_at_s) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (local_date) DO UPDATE SET band = excluded.band, score = excluded.score,
                 updated_at_s = excluded.updated_at_s",
            params![
                score.date.to_string(),
                band_text(score.band)?,
                serde_json::to_string(score)?,
                secs(now)
            ],
        )?;
        match &record {
            Some(r) => queue::enqueue(tx, r, now),
            None => Ok(false),
        }
        })
    }

    /// The stored score of `date`, if one was computed.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored score that no longer parses.
    pub fn recovery_score(&self, date: NaiveDate) -> Result<Option<RecoveryScore>, StoreError> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT score FROM recovery_scores WHERE local_date = ?1",
                [date.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
    }

    /// The stored scores of the dates in `[from, to]`, oldest first (a date
    /// never scored is absent).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored score that no longer parses.
    pub fn recovery_scores_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RecoveryScore>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT score FROM recovery_scores WHERE local_date >= ?1 AND local_date <= ?2
             ORDER BY local_date",
        )?;
        let rows = stmt.query_map([from.to_string(), to.to_string()], |r| {
            r.get::<_, String>(0)
        })?;
        let mut out = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row?)?);
        }
        Ok(out)
    }

    /// The bands of the scored mornings on or after `from`, oldest first
    /// (unscored mornings are left out).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored band that no longer parses.
    pub fn recovery_bands_since(&self, from: NaiveDate) -> Result<Vec<RecoveryBand>, StoreError> {
        Ok(self
            .dated_recovery_bands_since(from)?
            .into_iter()
            .map(|(_, band)| band)
            .collect())
    }

    /// The bands of the scored mornings on or after `from` with their local
    /// dates, oldest first (what coaching's "several red mornings" reads).
    ///
    /// # Errors
    /// As [`Store::recovery_bands_since`].
    pub fn dated_recovery_bands_since(
        &self,
        from: NaiveDate,
    ) -> Result<Vec<(NaiveDate, RecoveryBand)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT local_date, band FROM recovery_scores WHERE local_date >= ?1 AND band IS NOT NULL
             ORDER BY local_date",
        )?;
        let rows = stmt.query_map([from.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (date, band) = row?;
            let date =
                NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| StoreError::Corrupt {
                    what: "recovery score date",
                })?;
            out.push((
                date,
                serde_json::from_value(serde_json::Value::String(band))?,
            ));
        }
        Ok(out)
    }

    /// The officer's learning progress (empty before the first module).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored state that no longer parses.
    pub fn learning_state(&self) -> Result<Progress, StoreError> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT progress FROM learning_state WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(json
            .map(|j| serde_json::from_str(&j))
            .transpose()?
            .unwrap_or_default())
    }

    /// Saves the learning progress after a step and queues that step's
    /// record, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a record that fails validation;
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn save_learning_state(
        &mut self,
        progress: &Progress,
        record: &LearningProgress,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let record = SyncRecord::LearningProgress(record.clone());
        record.validate()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO learning_state (id, progress) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET progress = excluded.progress",
            [serde_json::to_string(progress)?],
        )?;
        put_learning_record(&tx, &record, at)?;
        tx.commit()?;
        Ok(())
    }
}

/// Upserts the per-module row and queues the record.
pub(super) fn put_learning_record(
    conn: &Connection,
    record: &SyncRecord,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let SyncRecord::LearningProgress(l) = record {
        conn.execute(
            "INSERT INTO learning_progress (module_id, completed, updated_at_s) VALUES (?1, ?2, ?3)
             ON CONFLICT (module_id) DO UPDATE SET completed = excluded.completed, updated_at_s = excluded.updated_at_s",
            params![l.module_id, l.completed, secs(at)],
        )?;
    }
    queue::enqueue(conn, record, at)?;
    Ok(())
}
