//! The device side of the sync protocol (`POST /v1/sync`, DESIGN.md "Sync
//! protocol").
//!
//! A state machine over the [`Store`]; the network call goes through a
//! [`Transport`] that each app implements on its own HTTP stack (URLSession,
//! OkHttp), so this crate has no network code and the host tests plug in
//! fakes.
//!
//! # The protocol, as the device runs it
//! 1. If a batch is unacknowledged, resend it **byte for byte** with the same
//!    idempotency key, once its back-off has passed; the server answers a
//!    replay with the original acknowledgement, so a lost answer costs one
//!    retry and nothing is stored twice.
//! 2. Otherwise build a batch from the queue: only record kinds the
//!    officer's consent covers (the queue already holds nothing else), at
//!    most [`MAX_RECORDS_PER_BATCH`], a fresh UUID idempotency key and the
//!    next sequence number. The batch is saved before it is sent.
//! 3. On `200` with a valid [`SyncAck`] for that key, mark each record sent
//!    (stored or unchanged) or rejected, drop the batch and keep the cursor,
//!    all in one transaction: records are marked sent **only** on
//!    acknowledgement. The acknowledgement's `newer_devices` (how many of
//!    the officer's devices were paired after this one) is kept in the same
//!    transaction; a rise is the new-device notice
//!    ([`Store::device_notice`]).
//! 4. On a network failure, `429`, `5xx`, or an acknowledgement that does not
//!    match the batch: keep the batch and retry after an exponential
//!    back-off ([`Backoff`]). On `401`/`403` the same, and the report says
//!    the app must re-authenticate. On another `4xx` the server will never
//!    take the batch: its records are marked rejected (kept for the export)
//!    and the batch dropped, so one bad batch cannot block the queue.

use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};
use models::sync::{
    MAX_RECORDS_PER_BATCH, RecordOutcome, SYNC_SCHEMA_VERSION, SyncAck, SyncBatch, SyncRecord,
};

use crate::store::{InFlightBatch, Store, StoreError};

/// Most batches one [`sync`] call sends before returning, so a long backlog
/// cannot hold the app's background task for long.
pub const MAX_BATCHES_PER_CALL: u32 = 8;

/// The server's HTTP answer, as the app's HTTP stack received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// HTTP status code.
    pub status: u16,
    /// Response body (the [`SyncAck`] JSON on success).
    pub body: String,
}

/// Why the transport could not get an answer. Carries no message: the app
/// logs its own platform error, and nothing personal crosses back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No network, DNS failure, TLS failure, timeout.
    #[error("the server could not be reached")]
    Unreachable,
}

/// The app's HTTP stack: posts one batch body to `POST /v1/sync` with the
/// header `Idempotency-Key`, the content type `application/json` and the
/// officer's access token, and returns whatever the server answered.
pub trait Transport {
    /// Sends one batch.
    ///
    /// # Errors
    /// [`TransportError`] when no HTTP answer was received.
    fn post_batch(&self, idempotency_key: &str, body: &str) -> Result<HttpReply, TransportError>;
}

/// Exponential back-off between attempts at one batch.
///
/// # Formula
/// `delay(n) = min(base × 2^(n-1), max) × (0.8 + 0.4 j)` after the `n`-th
/// failed attempt, with `j ∈ [0, 1)` derived from the batch's idempotency
/// key and `n`: deterministic for a given batch, spread across devices so
/// a server outage does not end in every phone retrying at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure, seconds.
    pub base_seconds: i64,
    /// Longest delay, seconds.
    pub max_seconds: i64,
}

impl Default for Backoff {
    /// 30 s doubling up to 1 hour.
    fn default() -> Self {
        Self {
            base_seconds: 30,
            max_seconds: 3600,
        }
    }
}

impl Backoff {
    /// The wait after the `attempts`-th failed attempt at batch `key`.
    pub fn delay(&self, attempts: u32, key: &str) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let raw = self
            .base_seconds
            .saturating_mul(1_i64 << doublings)
            .min(self.max_seconds);
        let j = jitter_fraction(key, attempts);
        Duration::milliseconds((raw as f64 * 1000.0 * (0.8 + 0.4 * j)) as i64)
    }
}

/// FNV-1a of the key and attempt number, scaled to `[0, 1)`.
fn jitter_fraction(key: &str, attempts: u32) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes().chain(attempts.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 11) as f64 / (1_u64 << 53) as f64
}

/// How a [`sync`] call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    /// Nothing left to send.
    UpToDate,
    /// More remains: the call stopped after [`MAX_BATCHES_PER_CALL`] batches.
    MoreToSend,
    /// An unacknowledged batch is waiting out its back-off until this instant.
    RetryAfter(DateTime<Utc>),
    /// The server refused the credentials: the app must refresh its token
    /// (or re-enrol) before the retry at this instant.
    NeedsAuthentication(DateTime<Utc>),
}

/// What a [`sync`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    /// Batches the server acknowledged.
    pub batches_acknowledged: u32,
    /// The records' outcomes over those batches (and batches refused whole).
    pub records: AckCounts,
    /// How the call ended.
    pub status: SyncStatus,
}

/// Why a sync step failed locally (the network's failures are not errors:
/// they are retried).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A reply to acknowledge did not parse as a [`SyncAck`] for the batch.
    #[error("the acknowledgement does not match the batch")]
    AckMismatch,
}

/// The batch to send now: the unacknowledged one if any (even if its
/// back-off has not passed: callers that send it themselves decide when),
/// else a new one built from the queue, saved before it is returned.
/// `None` when nothing is queued.
///
/// # Errors
/// [`SyncError::Store`] on a storage failure.
pub fn next_batch(
    store: &mut Store,
    now: DateTime<Utc>,
) -> Result<Option<InFlightBatch>, SyncError> {
    if let Some(b) = store.in_flight_batch()? {
        return Ok(Some(b));
    }
    let records = store.pending_records(MAX_RECORDS_PER_BATCH)?;
    if records.is_empty() {
        return Ok(None);
    }
    let batch = SyncBatch {
        device_id: store.device_id()?,
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        schema_version: SYNC_SCHEMA_VERSION,
        sequence: store.next_sequence()?,
        created_at: now,
        records,
    };
    let body = serde_json::to_string(&batch).map_err(StoreError::from)?;
    let saved = InFlightBatch {
        idempotency_key: batch.idempotency_key.clone(),
        sequence: batch.sequence,
        body,
        attempts: 0,
        next_attempt_at: now,
    };
    store.save_batch(&saved, &batch.records)?;
    Ok(Some(saved))
}

/// Counts of records by the server's outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AckCounts {
    /// Stored (new or changed) on the server.
    pub stored: u32,
    /// Already held unchanged.
    pub unchanged: u32,
    /// Refused (by the server, per record or as a whole batch).
    pub rejected: u32,
}

impl std::ops::AddAssign for AckCounts {
    fn add_assign(&mut self, other: Self) {
        self.stored += other.stored;
        self.unchanged += other.unchanged;
        self.rejected += other.rejected;
    }
}

/// Applies the server's acknowledgement (the `200` body) of the
/// unacknowledged batch: marks its records, drops it, keeps the cursor.
///
/// # Errors
/// [`SyncError::AckMismatch`] when `ack_json` is not a [`SyncAck`] for the
/// unacknowledged batch (other key, a result index outside the batch, a
/// record answered twice); nothing is marked then.
pub fn acknowledge(store: &mut Store, ack_json: &str) -> Result<AckCounts, SyncError> {
    let batch = store.in_flight_batch()?.ok_or(SyncError::AckMismatch)?;
    let ack: SyncAck = serde_json::from_str(ack_json).map_err(|_| SyncError::AckMismatch)?;
    let sent: SyncBatch = serde_json::from_str(&batch.body).map_err(StoreError::from)?;
    if ack.idempotency_key != batch.idempotency_key {
        return Err(SyncError::AckMismatch);
    }
    let mut seen = vec![false; sent.records.len()];
    let mut outcomes: Vec<(&SyncRecord, &RecordOutcome)> = Vec::with_capacity(ack.results.len());
    let mut counts = AckCounts::default();
    for r in &ack.results {
        let slot = seen.get_mut(r.index).ok_or(SyncError::AckMismatch)?;
        if *slot {
            return Err(SyncError::AckMismatch);
        }
        *slot = true;
        match r.outcome {
            RecordOutcome::Stored => counts.stored += 1,
            RecordOutcome::Unchanged => counts.unchanged += 1,
            RecordOutcome::Rejected { .. } => counts.rejected += 1,
        }
        outcomes.push((&sent.records[r.index], &r.outcome));
    }
    store.settle_batch(
        &batch.idempotency_key,
        &outcomes,
        ack.cursor,
        Some(ack.newer_devices),
    )?;
    Ok(counts)
}

/// Locks the shared store. A thread that panicked while holding the lock
/// cannot have left it inconsistent (every write is one transaction, rolled
/// back when the guard's transaction drops, or by [`Store::recover`] for a
/// batch), so a poisoned lock is taken over.
pub fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|poisoned| {
        let mut guard = PoisonError::into_inner(poisoned);
        // A panic inside `Store::batch` can leave its transaction open; a
        // failed rollback surfaces on the next write as a storage error.
        let _ = guard.recover();
        guard
    })
}

/// Runs the protocol until the queue is empty, a failure defers it, or
/// [`MAX_BATCHES_PER_CALL`] batches went. The store is locked for each
/// step, never across the network call, so the app keeps using it while a
/// sync waits on the server.
///
/// # Errors
/// [`SyncError::Store`] on a storage failure. Network and server failures
/// are not errors: they defer the batch and show in [`SyncReport::status`].
pub fn sync(
    store: &Mutex<Store>,
    transport: &dyn Transport,
    now: DateTime<Utc>,
    backoff: Backoff,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport {
        batches_acknowledged: 0,
        records: AckCounts::default(),
        status: SyncStatus::UpToDate,
    };
    for _ in 0..MAX_BATCHES_PER_CALL {
        let Some(batch) = next_batch(&mut lock(store), now)? else {
            return Ok(report);
        };
        if batch.next_attempt_at > now {
            report.status = SyncStatus::RetryAfter(batch.next_attempt_at);
            return Ok(report);
        }
        let reply = transport.post_batch(&batch.idempotency_key, &batch.body);
        let mut store = lock(store);
        let needs_auth = match reply {
            Ok(HttpReply { status: 200, body }) => match acknowledge(&mut store, &body) {
                Ok(c) => {
                    report.batches_acknowledged += 1;
                    report.records += c;
                    continue;
                }
                Err(SyncError::AckMismatch) => false,
                Err(e) => return Err(e),
            },
            Ok(HttpReply { status, .. }) if status == 401 || status == 403 => true,
            Ok(HttpReply { status, .. })
                if (400..500).contains(&status) && status != 408 && status != 429 =>
            {
                report.records.rejected += refuse_batch(&mut store, &batch)?;
                continue;
            }
            Ok(_) | Err(TransportError::Unreachable) => false,
        };
        let attempts = batch.attempts.saturating_add(1);
        let until = now + backoff.delay(attempts, &batch.idempotency_key);
        store.defer_batch(&batch.idempotency_key, attempts, until)?;
        report.status = if needs_auth {
            SyncStatus::NeedsAuthentication(until)
        } else {
            SyncStatus::RetryAfter(until)
        };
        return Ok(report);
    }
    let store = lock(store);
    if store.in_flight_batch()?.is_some() || !store.pending_records(1)?.is_empty() {
        report.status = SyncStatus::MoreToSend;
    }
    Ok(report)
}

/// The server refused the batch as a whole: mark every record rejected.
fn refuse_batch(store: &mut Store, batch: &InFlightBatch) -> Result<u32, SyncError> {
    let sent: SyncBatch = serde_json::from_str(&batch.body).map_err(StoreError::from)?;
    let refused = RecordOutcome::Rejected {
        code: "batch_refused".into(),
        message: "the server refused the batch".into(),
    };
    let outcomes: Vec<(&SyncRecord, &RecordOutcome)> =
        sent.records.iter().map(|r| (r, &refused)).collect();
    let cursor = store.sync_cursor()?;
    store.settle_batch(&batch.idempotency_key, &outcomes, cursor, None)?;
    Ok(outcomes.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_within_the_jitter_band() {
        let b = Backoff::default();
        for (attempts, nominal) in [(1, 30), (2, 60), (3, 120), (8, 3600), (40, 3600)] {
            let d = b.delay(attempts, "key").num_milliseconds() as f64 / 1000.0;
            assert!(
                d >= 0.8 * nominal as f64 && d < 1.2 * nominal as f64,
                "attempt {attempts}: {d}"
            );
        }
        assert_eq!(b.delay(3, "a"), b.delay(3, "a"));
        assert_ne!(b.delay(3, "a"), b.delay(3, "b"));
    }
}
