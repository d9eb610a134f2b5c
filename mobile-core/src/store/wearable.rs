//! Wearable samples (as the [`crate::wearables`] parsers read them) and the
//! sleep episodes built from them.
//!
//! An import stores its sleep-stage, HRV and resting-HR samples (minute
//! heart rate is summarised by the parser and not kept), then rebuilds, in
//! the same transaction, the episodes of the nights the new sleep samples
//! touch, from every stored sample of those nights: a night synced in two
//! parts, or by a watch and a phone, ends as one episode. Episodes the app
//! gave itself ([`Store::import_sleeps`]) are never replaced; a built
//! episode overlapping one is left out and counted.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, params};

use super::{Store, StoreError, instant, secs};
use crate::LocalClock;
use crate::roster::predict::Covered;
use crate::wearables::episodes::{SleepEpisode, StageMinutes, build_episodes, mark_main};
use crate::wearables::{HrvMetric, Sample, SampleValue, Source};

/// Hours of stored samples loaded either side of an import's new sleep
/// samples when their episodes are rebuilt: an episode lasts at most 24 h and
/// merges stages up to an hour apart, so 36 h holds every stage of any
/// episode the new samples belong to.
const REBUILD_MARGIN_HOURS: i64 = 36;

/// The source name given to episodes and readings the app passed as plain
/// values ([`Store::import_sleeps`], [`Store::import_hrv`],
/// [`Store::import_resting_hr`]).
pub const APP_SOURCE: &str = "app";

/// What storing one wearable import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleImport {
    /// Samples stored.
    pub stored: usize,
    /// Samples already held (an earlier import of the same records).
    pub duplicates: usize,
    /// Sleep episodes built or rebuilt from the stored samples.
    pub episodes: usize,
    /// Built episodes left out because they overlap an episode the app gave.
    pub episodes_overlapping: usize,
}

fn kind(value: &SampleValue) -> Option<&'static str> {
    match value {
        SampleValue::Sleep { .. } => Some("sleep"),
        SampleValue::Hrv { .. } => Some("hrv"),
        SampleValue::RestingHeartRate { .. } => Some("resting_hr"),
        SampleValue::HeartRate { .. } => None,
    }
}

impl Store {
    /// Stores an import's samples and rebuilds the episodes they touch, in
    /// one transaction (all or nothing). Heart-rate samples are not kept.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure (nothing is kept).
    pub fn store_wearable_samples(
        &mut self,
        samples: &[Sample],
        now: DateTime<Utc>,
    ) -> Result<SampleImport, StoreError> {
        self.write(|tx| {
        tx.execute(
            "INSERT INTO imports (kind, at_s, accepted, duplicates, rejected) VALUES ('wearable', ?1, 0, 0, 0)",
            [secs(now)],
        )?;
        let import_id = tx.last_insert_rowid();
        let mut out = SampleImport::default();
        let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        for s in samples {
            let Some(kind) = kind(&s.value) else {
                continue;
            };
            let inserted = tx.execute(
                "INSERT INTO wearable_samples (kind, start_s, end_s, sample, import_id)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sample) DO NOTHING",
                params![
                    kind,
                    secs(s.start),
                    secs(s.end),
                    serde_json::to_string(s)?,
                    import_id
                ],
            )?;
            if inserted == 0 {
                out.duplicates += 1;
                continue;
            }
            out.stored += 1;
            if kind == "sleep" {
                span = Some(match span {
                    Some((a, b)) => (a.min(s.start), b.max(s.end)),
                    None => (s.start, s.end),
                });
            }
        }
        if let Some((from, to)) = span {
            rebuild_episodes(tx, from, to, import_id, &mut out)?;
        }
        tx.execute(
            "UPDATE imports SET accepted = ?2, duplicates = ?3, rejected = ?4 WHERE id = ?1",
            params![
                import_id,
                out.stored as i64,
                out.duplicates as i64,
                out.episodes_overlapping as i64
            ],
        )?;
        Ok(out)
        })
    }

    /// The spans of stored sleep-stage samples (any stage: in bed, awake,
    /// asleep) overlapping `[from, to)`, in order: what the wearable covered
    /// (`crate::roster::predict::is_recorded`), whether or not it saw sleep.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored instant out of range.
    pub fn sleep_coverage_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Covered>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT start_s, end_s FROM wearable_samples
             WHERE kind = 'sleep' AND start_s < ?2 AND end_s > ?1 ORDER BY start_s",
        )?;
        let rows = stmt.query_map(params![secs(from), secs(to)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (s, e) = row?;
            out.push((instant(s)?, instant(e)?));
        }
        Ok(out)
    }

    /// The sleep episodes overlapping `[from, to)` (built ones as built, the
    /// app's own as episodes of source [`APP_SOURCE`] in `clock`'s zone, main
    /// sleeps marked again across both) and the HRV and resting-HR samples
    /// taken in it (the app's plain readings as RMSSD / resting HR of source
    /// [`APP_SOURCE`]).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored JSON that no longer parses.
    pub fn wearable_history(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        clock: &LocalClock,
    ) -> Result<(Vec<SleepEpisode>, Vec<Sample>), StoreError> {
        let app = Source {
            name: APP_SOURCE.into(),
            device: None,
        };
        let zone = clock.zone();
        let mut episodes = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT start_s, end_s, episode FROM sleep_episodes
             WHERE start_s < ?2 AND end_s > ?1 ORDER BY start_s",
        )?;
        let rows = stmt.query_map(params![secs(from), secs(to)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        for row in rows {
            let (s, e, json) = row?;
            episodes.push(match json {
                Some(j) => serde_json::from_str(&j)?,
                None => {
                    let (start, end) = (instant(s)?, instant(e)?);
                    SleepEpisode {
                        start,
                        end,
                        zone,
                        local_date: end.with_timezone(&zone).date_naive(),
                        asleep_minutes: u32::try_from((end - start).num_minutes().max(0))
                            .unwrap_or(u32::MAX),
                        awake_minutes: 0,
                        stages: StageMinutes::default(),
                        source: app.clone(),
                        is_main: false,
                    }
                }
            });
        }
        let mut samples = load_samples(&self.conn, &["hrv", "resting_hr"], from, to)?;
        for (metric, rows) in [
            (
                super::Metric::Hrv,
                self.readings_between(super::Metric::Hrv, from, to)?,
            ),
            (
                super::Metric::RestingHr,
                self.readings_between(super::Metric::RestingHr, from, to)?,
            ),
        ] {
            samples.extend(rows.into_iter().map(|(at, v)| Sample {
                start: at,
                end: at,
                zone,
                source: app.clone(),
                value: match metric {
                    super::Metric::Hrv => SampleValue::Hrv {
                        metric: HrvMetric::Rmssd,
                        ms: v,
                    },
                    super::Metric::RestingHr => SampleValue::RestingHeartRate { bpm: v },
                },
            }));
        }
        Ok((mark_main(episodes), samples))
    }
}

/// Stored samples of `kinds` overlapping `[from, to)`.
fn load_samples(
    conn: &Connection,
    kinds: &[&str],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Sample>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT sample FROM wearable_samples
         WHERE kind = ?1 AND start_s < ?3 AND end_s >= ?2 ORDER BY start_s",
    )?;
    let mut out = Vec::new();
    for kind in kinds {
        let rows = stmt.query_map(params![kind, secs(from), secs(to)], |r| {
            r.get::<_, String>(0)
        })?;
        for row in rows {
            out.push(serde_json::from_str(&row?)?);
        }
    }
    Ok(out)
}

/// Rebuilds the episodes holding the sleep samples in `[from, to]`.
fn rebuild_episodes(
    tx: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    import_id: i64,
    out: &mut SampleImport,
) -> Result<(), StoreError> {
    let margin = Duration::hours(REBUILD_MARGIN_HOURS);
    let samples = load_samples(tx, &["sleep"], from - margin, to + margin)?;
    let touched: Vec<SleepEpisode> = build_episodes(&samples)
        .episodes
        .into_iter()
        .filter(|e| e.end >= from && e.start <= to)
        .collect();
    let (Some(lo), Some(hi)) = (
        touched.iter().map(|e| e.start).min(),
        touched.iter().map(|e| e.end).max(),
    ) else {
        return Ok(());
    };
    tx.execute(
        "DELETE FROM sleep_episodes WHERE episode IS NOT NULL AND start_s < ?2 AND end_s > ?1",
        params![secs(lo), secs(hi)],
    )?;
    for e in &touched {
        let overlaps: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sleep_episodes WHERE start_s < ?2 AND end_s > ?1)",
            params![secs(e.start), secs(e.end)],
            |r| r.get(0),
        )?;
        if overlaps {
            out.episodes_overlapping += 1;
            continue;
        }
        tx.execute(
            "INSERT INTO sleep_episodes (start_s, end_s, import_id, episode) VALUES (?1, ?2, ?3, ?4)",
            params![
                secs(e.start),
                secs(e.end),
                import_id,
                serde_json::to_string(e)?
            ],
        )?;
        out.episodes += 1;
    }
    Ok(())
}
