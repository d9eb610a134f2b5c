//! Sync rules: what a batch must be, which records are accepted, and
//! applying batches once each, in order, with group commit (docs/api.md,
//! "Sync").
//!
//! A batch is applied in one transaction, shared with the other batches (of
//! any force) that were waiting at the same moment (group commit, see
//! [`process`]). The device row is locked first, so batches of one device
//! are applied one at a time; then the idempotency key is looked up (a
//! replay returns the stored acknowledgement, marked `replayed`). Each
//! record is validated and consent-checked on its own: a bad record is
//! reported back and the rest are stored. Records are upserted by natural key;
//! an older batch (lower sequence from the same device) never overwrites a
//! newer one, so out-of-order delivery converges. The device's clock is never
//! used for ordering: only its sequence numbers.

use std::collections::{HashMap, HashSet};
use std::time::Duration as Wait;

use chrono::{Duration, NaiveDate, Utc};
use diesel::PgConnection;
use models::sync::{
    MAX_RECORDS_PER_BATCH, RecordOutcome, RecordResult, SYNC_SCHEMA_VERSION, SyncAck, SyncBatch,
    SyncRecord,
};
use uuid::Uuid;

use super::group_commit::{GroupCommit, Limits, Unanswered};
use super::store::{self, AppliedBatch, BatchKey, LockedDevice, RecordRow};
use crate::accounts::store::Consent;
use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::db::{DbPool, Scope, transaction};
use crate::error::{AppError, AppResult};

/// Days after the server's "today" a record's local date may be (time zones
/// and a fast phone clock); later dates are refused as `future_date`.
pub const FUTURE_DAYS_ALLOWED: i64 = 2;

fn discriminator(r: &SyncRecord) -> String {
    match r {
        SyncRecord::DailySummary(_) => String::new(),
        SyncRecord::CheckIn(c) => c.context.as_str().to_owned(),
        SyncRecord::LearningProgress(l) => l.module_id.clone(),
    }
}

fn reject(code: &str, message: impl Into<String>) -> RecordOutcome {
    RecordOutcome::Rejected {
        code: code.to_owned(),
        message: message.into(),
    }
}

/// Checks one record before it touches the database.
pub fn check_record(r: &SyncRecord, consent: Consent, today: NaiveDate) -> Option<RecordOutcome> {
    if let Err(e) = r.validate() {
        let code = match e {
            models::ValidationError::NotRounded { .. } => "not_rounded",
            models::ValidationError::NotAnIdentifier { .. } => "invalid_identifier",
            _ => "out_of_range",
        };
        return Some(reject(code, e.to_string()));
    }
    if !consent.allows(r.kind()) {
        return Some(reject(
            "not_consented",
            format!("sharing {} is not part of the current consent", r.kind()),
        ));
    }
    if r.local_date() > today + Duration::days(FUTURE_DAYS_ALLOWED) {
        return Some(reject("future_date", "the record's date is in the future"));
    }
    None
}

/// Checks a phone's batch against its token (officer, device) and its
/// shape (schema version, size, idempotency key), then hands it to the sync
/// queue and waits for its acknowledgement.
///
/// # Errors
/// Forbidden but for officers with a device; `unsupported_schema_version`,
/// `device_mismatch`, `invalid_body`; too large; `database_unavailable` when
/// the queue is full or the batch waited too long (the phone resends);
/// not found when the device is gone.
pub async fn submit(state: &AppState, who: &Identity, batch: SyncBatch) -> AppResult<SyncAck> {
    who.require(&[Role::Officer])?;
    let force = who.force()?;
    let person = who.0.sub;
    let device = who.0.device.ok_or(AppError::Forbidden)?;
    if batch.schema_version != SYNC_SCHEMA_VERSION {
        return Err(AppError::invalid(
            "unsupported_schema_version",
            format!("schema_version must be {SYNC_SCHEMA_VERSION}"),
        ));
    }
    if Uuid::parse_str(&batch.device_id).ok() != Some(device) {
        return Err(AppError::invalid(
            "device_mismatch",
            "device_id is not this token's device",
        ));
    }
    if batch.records.len() > MAX_RECORDS_PER_BATCH {
        return Err(AppError::TooLarge(format!(
            "at most {MAX_RECORDS_PER_BATCH} records per batch"
        )));
    }
    // No control characters: PostgreSQL refuses a NUL in text, and in a
    // group commit one batch's refusal would fail every batch with it.
    if batch.idempotency_key.is_empty()
        || batch.idempotency_key.len() > 64
        || batch.idempotency_key.chars().any(char::is_control)
    {
        return Err(AppError::invalid(
            "invalid_body",
            "idempotency_key: 1 to 64 printable characters",
        ));
    }
    let job = SyncJob {
        force,
        person,
        device,
        batch,
    };
    match state.sync.submit(job).await {
        Ok(answer) => answer,
        // Too many batches waiting, or this one waited longer than a
        // request waits for a connection: the phone resends it.
        Err(Unanswered::Overloaded) => {
            tracing::warn!("sync queue full or too slow: batch refused with 503");
            Err(AppError::DatabaseUnavailable)
        }
        Err(closed @ Unanswered::Closed) => Err(AppError::internal(closed)),
    }
}

/// One device's batch, queued for [`process`] by `POST /v1/sync`.
#[derive(Debug)]
pub struct SyncJob {
    /// The token's force.
    pub force: Uuid,
    /// The token's person.
    pub person: Uuid,
    /// The token's device.
    pub device: Uuid,
    /// The batch, already checked for shape (schema version, size, key).
    pub batch: SyncBatch,
}

impl SyncJob {
    fn submitted(&self) -> Submitted<'_> {
        Submitted {
            force: self.force,
            person: self.person,
            device: self.device,
            batch: &self.batch,
        }
    }
}

/// A batch as [`apply_group`] sees it: who sent it, from which device.
#[derive(Debug, Clone, Copy)]
pub struct Submitted<'a> {
    /// The token's force.
    pub force: Uuid,
    /// The token's person.
    pub person: Uuid,
    /// The token's device.
    pub device: Uuid,
    /// The batch.
    pub batch: &'a SyncBatch,
}

/// Most batches waiting for a sync worker; more are answered 503 at once.
/// At 1,024, a worst case of full 500-record batches holds about 150 MiB; at
/// the measured rate it is a quarter of a second of work.
pub const MAX_PENDING_BATCHES: usize = 1024;

/// Sync's queue: `workers` threads, each applying up to `max_group` waiting
/// batches at a time with [`process`] (docs/operations.md, "Load bench"). A
/// batch that waited longer than `max_wait` (the database timeout) is
/// answered 503 unprocessed, as a request that waited that long for a
/// connection would be.
pub fn queue(pool: DbPool, workers: usize, max_group: usize, max_wait: Wait) -> SyncQueue {
    let limits = Limits {
        workers,
        max_group,
        max_pending: MAX_PENDING_BATCHES,
        max_wait,
    };
    GroupCommit::start("sync", limits, move |jobs| process(&pool, jobs))
}

/// The queue `POST /v1/sync` submits to.
pub type SyncQueue = GroupCommit<SyncJob, AppResult<SyncAck>>;

/// Applies a group of waiting batches and returns one result per job, in
/// order.
///
/// All of them are applied together, in one transaction scoped to their
/// forces ([`Scope::SyncForces`], [`apply_group`]): one `BEGIN`,
/// one statement per step for all of them, one `COMMIT` and WAL flush,
/// whichever forces they come from. A batch is still all-or-nothing, and
/// nothing is acknowledged before the commit is durable. If the shared
/// transaction fails (a database error, a deadlock), nothing of it was
/// stored, and each job is applied again in a transaction of its own, so one
/// job's failure never becomes another's: every job gets the answer it would
/// have had alone. When the database is unreachable every job gets
/// `database_unavailable`, and the phone resends the same batch later.
pub fn process(pool: &DbPool, jobs: Vec<SyncJob>) -> Vec<AppResult<SyncAck>> {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, jobs = jobs.len(), "database pool: no connection for sync");
            return jobs
                .iter()
                .map(|_| Err(AppError::DatabaseUnavailable))
                .collect();
        }
    };
    let group: Vec<Submitted<'_>> = jobs.iter().map(SyncJob::submitted).collect();
    let mut forces: Vec<Uuid> = group.iter().map(|j| j.force).collect();
    forces.sort_unstable();
    forces.dedup();
    match transaction(&mut conn, Scope::SyncForces(&forces), |c| {
        apply_group(c, &group)
    }) {
        Ok(answers) => answers,
        Err(AppError::DatabaseUnavailable) => group
            .iter()
            .map(|_| Err(AppError::DatabaseUnavailable))
            .collect(),
        Err(e) if group.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::warn!(error = %e, jobs = group.len(), "a sync group failed; applying its batches one by one");
            group
                .iter()
                .map(|job| {
                    transaction(&mut conn, Scope::SyncForces(&[job.force]), |c| {
                        apply_group(c, std::slice::from_ref(job))
                    })
                    .and_then(only_answer)
                })
                .collect()
        }
    }
}

fn only_answer(answers: Vec<AppResult<SyncAck>>) -> AppResult<SyncAck> {
    answers
        .into_iter()
        .next()
        .unwrap_or_else(|| Err(AppError::internal("a sync job was left unanswered")))
}

/// Applies one batch for `person` from `device`, in the caller's transaction
/// (the demo's seeding; the API goes through [`process`]).
///
/// # Errors
/// As [`apply_group`]'s per-job answers.
pub fn apply(
    c: &mut PgConnection,
    force: Uuid,
    person: Uuid,
    device: Uuid,
    batch: &SyncBatch,
) -> AppResult<SyncAck> {
    only_answer(apply_group(
        c,
        &[Submitted {
            force,
            person,
            device,
            batch,
        }],
    )?)
}

/// Applies the batches `jobs` (of one force or several) in the caller's
/// transaction and returns one answer per job: its acknowledgement, or not
/// found when its device is gone (withdrawn) or is not the person's in the
/// token's force, or invalid when its sequence is out of range. Every
/// statement names each row's own force, so the transaction may admit
/// several ([`Scope::SyncForces`]) or one (`app.force_id`).
///
/// The jobs are taken in rounds in which no person and no device appears
/// twice (the n-th batch of a device goes to round n, so a device's batches
/// are applied in the order they came). A round is four statements, each
/// for all of its batches at once and each prepared once per connection
/// ([`crate::db::Prepared`]): lock the devices and read their consent; look up the
/// idempotency keys; upsert every accepted record; move the cursors and store
/// the acknowledgements.
///
/// # Errors
/// Database errors: the caller's transaction must then be rolled back, and
/// nothing of any job was stored.
pub fn apply_group(
    c: &mut PgConnection,
    jobs: &[Submitted<'_>],
) -> AppResult<Vec<AppResult<SyncAck>>> {
    let mut answers: Vec<Option<AppResult<SyncAck>>> = jobs.iter().map(|_| None).collect();
    let keys = jobs.iter().enumerate().map(|(i, job)| {
        (
            i,
            vec![JobKey::Person(job.person), JobKey::Device(job.device)],
        )
    });
    for round in rounds_without_repeats(keys) {
        let round: Vec<(usize, Submitted<'_>)> = round
            .into_iter()
            .filter_map(|i| jobs.get(i).map(|job| (i, *job)))
            .collect();
        for (i, answer) in apply_round(c, &round)? {
            if let Some(slot) = answers.get_mut(i) {
                *slot = Some(answer);
            }
        }
    }
    Ok(answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Err(AppError::internal("a sync job was left unanswered"))))
        .collect())
}

/// What may appear only once in a round of [`apply_group`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum JobKey {
    Person(Uuid),
    Device(Uuid),
}

/// Splits items into rounds in which no key repeats; an item goes to the
/// first round after every earlier item that shares one of its keys, so
/// items sharing a key are in rounds in their original order (the n-th item
/// with a key is in round n or later), and running the rounds in order is
/// the same as running the items one by one. Items without shared keys are
/// all in round 0.
fn rounds_without_repeats<K: Eq + std::hash::Hash>(
    items: impl IntoIterator<Item = (usize, Vec<K>)>,
) -> Vec<Vec<usize>> {
    let mut next_free: HashMap<K, usize> = HashMap::new();
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (item, keys) in items {
        let round = keys
            .iter()
            .filter_map(|k| next_free.get(k).copied())
            .max()
            .unwrap_or(0);
        while rounds.len() <= round {
            rounds.push(Vec::new());
        }
        if let Some(r) = rounds.get_mut(round) {
            r.push(item);
        }
        for k in keys {
            next_free.insert(k, round + 1);
        }
    }
    rounds
}

/// A batch of a round that is neither refused nor a replay.
struct Fresh<'a> {
    index: usize,
    job: Submitted<'a>,
    sequence: i64,
    cursor: i64,
    newer_devices: i64,
    outcomes: Vec<Option<RecordOutcome>>,
}

/// One round of [`apply_group`]: distinct persons and devices.
fn apply_round<'a>(
    c: &mut PgConnection,
    jobs: &[(usize, Submitted<'a>)],
) -> AppResult<Vec<(usize, AppResult<SyncAck>)>> {
    // Batches of one device wait here for each other, and the consent is
    // read under the lock.
    let mut keys: Vec<(Uuid, Uuid)> = jobs.iter().map(|(_, j)| (j.force, j.device)).collect();
    keys.sort_unstable();
    keys.dedup();
    let locked = store::lock_devices(c, &keys)?;
    let locked: HashMap<Uuid, LockedDevice> = locked.into_iter().map(|d| (d.id, d)).collect();

    let mut answers = Vec::new();
    let mut live: Vec<(usize, Submitted<'a>, &LockedDevice)> = Vec::new();
    for &(i, job) in jobs {
        match locked.get(&job.device) {
            Some(device) if device.person_id == job.person && device.force_id == job.force => {
                live.push((i, job, device));
            }
            _ => answers.push((i, Err(AppError::NotFound))),
        }
    }
    if live.is_empty() {
        return Ok(answers);
    }

    let batch_keys: Vec<BatchKey<'_>> = live
        .iter()
        .map(|(_, job, _)| (job.force, job.device, job.batch.idempotency_key.as_str()))
        .collect();
    // Devices are distinct in a round, so the device names the batch.
    let mut stored: HashMap<Uuid, Option<serde_json::Value>> = store::stored_acks(c, &batch_keys)?
        .into_iter()
        .map(|s| (s.device_id, s.ack))
        .collect();

    let today = Utc::now().date_naive();
    let mut fresh: Vec<Fresh<'a>> = Vec::new();
    for (i, job, device) in live {
        if let Some(previous) = stored.remove(&job.device) {
            let mut ack: SyncAck = match previous {
                Some(previous) => serde_json::from_value(previous).map_err(AppError::internal)?,
                // Applied long ago: the key is kept for ever (it is what
                // stops a second application), but retention dropped the
                // month holding the per-record results. The answer says
                // "already applied" with no results: nothing is stored
                // again, and the phone drops the batch.
                None => SyncAck {
                    idempotency_key: job.batch.idempotency_key.clone(),
                    results: Vec::new(),
                    cursor: 0,
                    replayed: true,
                    newer_devices: 0,
                },
            };
            ack.replayed = true;
            ack.cursor = u64::try_from(device.sync_cursor).unwrap_or(0);
            ack.newer_devices = u32::try_from(device.newer_devices).unwrap_or(0);
            answers.push((i, Ok(ack)));
            continue;
        }
        let Ok(sequence) = i64::try_from(job.batch.sequence) else {
            answers.push((
                i,
                Err(AppError::invalid("out_of_range", "sequence is too large")),
            ));
            continue;
        };
        let consent = Consent::from_stored(&device.consent);
        fresh.push(Fresh {
            index: i,
            job,
            sequence,
            cursor: device.sync_cursor,
            newer_devices: device.newer_devices,
            outcomes: job
                .batch
                .records
                .iter()
                .map(|r| check_record(r, consent, today))
                .collect(),
        });
    }
    if fresh.is_empty() {
        return Ok(answers);
    }

    upsert_accepted(c, &mut fresh)?;

    let acks: Vec<SyncAck> = fresh
        .iter_mut()
        .map(|f| SyncAck {
            idempotency_key: f.job.batch.idempotency_key.clone(),
            results: std::mem::take(&mut f.outcomes)
                .into_iter()
                .enumerate()
                .map(|(index, outcome)| RecordResult {
                    index,
                    outcome: outcome.unwrap_or(RecordOutcome::Unchanged),
                })
                .collect(),
            cursor: u64::try_from(f.cursor.max(f.sequence)).unwrap_or(0),
            replayed: false,
            newer_devices: u32::try_from(f.newer_devices).unwrap_or(0),
        })
        .collect();
    let applied = fresh
        .iter()
        .zip(&acks)
        .map(|(f, ack)| {
            Ok(AppliedBatch {
                key: (
                    f.job.force,
                    f.job.device,
                    f.job.batch.idempotency_key.as_str(),
                ),
                sequence: f.sequence,
                ack: serde_json::to_value(ack)?,
            })
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()
        .map_err(AppError::internal)?;
    store::record_batches(c, &applied)?;
    answers.extend(fresh.iter().map(|f| f.index).zip(acks.into_iter().map(Ok)));
    Ok(answers)
}

/// A record's natural key within one person: (local date, kind, discriminator).
type NaturalKey = (NaiveDate, &'static str, String);

fn natural_key(r: &SyncRecord) -> NaturalKey {
    (r.local_date(), r.kind(), discriminator(r))
}

/// Upserts the accepted records (those without an outcome yet) of the
/// round's batches and sets their outcomes: stored, or unchanged (same
/// content, or older than what the same device already sent).
///
/// All of them go in one `INSERT ... ON CONFLICT` unless a batch repeats a
/// natural key: one statement may not touch a row twice, so the n-th record
/// with a key goes in the n-th statement ([`rounds_without_repeats`]), which
/// gives the same result as one statement per record in batch order. Every
/// well-behaved phone's batch takes one statement. Persons are distinct in a
/// round, so only a batch's own records can share a key.
fn upsert_accepted(c: &mut PgConnection, fresh: &mut [Fresh<'_>]) -> AppResult<()> {
    // (batch in `fresh`, record in batch)
    let accepted: Vec<(usize, usize)> = fresh
        .iter()
        .enumerate()
        .flat_map(|(b, f)| {
            f.outcomes
                .iter()
                .enumerate()
                .filter(|(_, o)| o.is_none())
                .map(move |(r, _)| (b, r))
        })
        .collect();
    let keyed = accepted.iter().enumerate().filter_map(|(n, &(b, r))| {
        let f = fresh.get(b)?;
        let record = f.job.batch.records.get(r)?;
        Some((n, vec![(f.job.person, natural_key(record))]))
    });
    for round in rounds_without_repeats(keyed) {
        let rows: Vec<(usize, usize)> = round
            .iter()
            .filter_map(|&n| accepted.get(n).copied())
            .collect();
        let written = upsert(c, fresh, &rows)?;
        for ((b, r), stored) in rows.into_iter().zip(written) {
            if let Some(slot) = fresh.get_mut(b).and_then(|f| f.outcomes.get_mut(r)) {
                *slot = Some(if stored {
                    RecordOutcome::Stored
                } else {
                    RecordOutcome::Unchanged
                });
            }
        }
    }
    Ok(())
}

/// Upserts the records `rows` ((batch in `fresh`, record in batch), distinct
/// natural keys) in one statement; returns, per row, whether it was written
/// (new key, or new content not older than what the same device already
/// sent).
fn upsert(
    c: &mut PgConnection,
    fresh: &[Fresh<'_>],
    rows: &[(usize, usize)],
) -> AppResult<Vec<bool>> {
    let chosen: Vec<(&Fresh<'_>, &SyncRecord)> = rows
        .iter()
        .filter_map(|&(b, r)| {
            let f = fresh.get(b)?;
            Some((f, f.job.batch.records.get(r)?))
        })
        .collect();
    let keys: Vec<(Uuid, NaturalKey)> = chosen
        .iter()
        .map(|(f, r)| (f.job.person, natural_key(r)))
        .collect();
    let records = chosen
        .iter()
        .zip(&keys)
        .map(|((f, r), (person, key))| {
            Ok(RecordRow {
                force: f.job.force,
                person: *person,
                local_date: key.0,
                kind: key.1,
                discriminator: key.2.as_str(),
                payload: serde_json::to_value(r)?,
                device: f.job.device,
                sequence: f.sequence,
            })
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()
        .map_err(AppError::internal)?;
    let written = store::upsert_records(c, records)?;
    let written: HashSet<(Uuid, NaiveDate, &str, &str)> = written
        .iter()
        .map(|w| {
            (
                w.person_id,
                w.local_date,
                w.kind.as_str(),
                w.discriminator.as_str(),
            )
        })
        .collect();
    Ok(keys
        .iter()
        .map(|(person, k)| written.contains(&(*person, k.0, k.1, k.2.as_str())))
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounds_keep_items_that_share_a_key_apart_and_in_order() {
        // Items 0 and 2 share "a", 2 and 3 share "b"; 1 shares nothing.
        let items = vec![
            (0, vec!["a"]),
            (1, vec!["c"]),
            (2, vec!["a", "b"]),
            (3, vec!["b"]),
            (4, vec!["d"]),
        ];
        assert_eq!(
            rounds_without_repeats(items),
            vec![vec![0, 1, 4], vec![2], vec![3]]
        );
        assert!(rounds_without_repeats(Vec::<(usize, Vec<u8>)>::new()).is_empty());
    }

    proptest! {
        /// Every item is in exactly one round; no round repeats a key; items
        /// sharing a key are in strictly increasing rounds in their order.
        #[test]
        fn rounds_are_a_valid_serial_order(keys in prop::collection::vec(prop::collection::vec(0u8..6, 1..3), 0..40)) {
            let rounds = rounds_without_repeats(keys.iter().cloned().enumerate());
            let mut round_of = vec![None; keys.len()];
            for (r, items) in rounds.iter().enumerate() {
                prop_assert!(!items.is_empty());
                for &i in items {
                    prop_assert!(round_of[i].is_none());
                    round_of[i] = Some(r);
                }
                let mut owner: HashMap<u8, usize> = HashMap::new();
                for &i in items {
                    for k in &keys[i] {
                        let first = *owner.entry(*k).or_insert(i);
                        prop_assert_eq!(first, i, "key {} twice in round {}", k, r);
                    }
                }
            }
            prop_assert!(round_of.iter().all(Option::is_some));
            for i in 0..keys.len() {
                for j in i + 1..keys.len() {
                    if keys[i].iter().any(|k| keys[j].contains(k)) {
                        prop_assert!(round_of[i] < round_of[j]);
                    }
                }
            }
        }
    }
}
