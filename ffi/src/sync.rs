//! The sync surface: the app's HTTP stack as a callback interface, and the
//! records describing a sync.

use std::time::SystemTime;

use mobile_core::store::{InFlightBatch, Store};
use mobile_core::sync_client::{self, HttpReply, SyncStatus as CoreStatus};

use crate::CoachError;
use crate::types::system_time;

/// The app's HTTP stack, implemented in Swift (URLSession), Kotlin (OkHttp)
/// or Python. `post_batch` must `POST` `body` to the server's `/v1/sync`
/// with the headers `Content-Type: application/json`,
/// `Idempotency-Key: <idempotency_key>` and the officer's bearer token, and
/// return the status and body whatever the status. Throw
/// [`TransportError::Unreachable`] only when no HTTP answer came back.
/// It is called without the store locked, from the thread that called
/// [`crate::FatigueCoach::sync`].
#[uniffi::export(callback_interface)]
pub trait SyncTransport: Send + Sync {
    /// Sends one batch and returns the server's answer.
    fn post_batch(
        &self,
        idempotency_key: String,
        body: String,
    ) -> Result<HttpResponse, TransportError>;
}

/// The server's answer as the app's HTTP stack received it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response body.
    pub body: String,
}

/// Why the app's HTTP stack got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TransportError {
    /// Offline, DNS, TLS or timeout: the batch is retried after a back-off.
    #[error("the server could not be reached")]
    Unreachable,
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    /// An exception the app's transport did not declare counts as "no answer".
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::Unreachable
    }
}

/// Adapts the foreign transport to the engine's trait.
pub(crate) struct Foreign(pub(crate) Box<dyn SyncTransport>);

impl sync_client::Transport for Foreign {
    fn post_batch(
        &self,
        idempotency_key: &str,
        body: &str,
    ) -> Result<HttpReply, sync_client::TransportError> {
        self.0
            .post_batch(idempotency_key.to_string(), body.to_string())
            .map(|r| HttpReply {
                status: r.status,
                body: r.body,
            })
            .map_err(|TransportError::Unreachable| sync_client::TransportError::Unreachable)
    }
}

/// A batch to send, for apps that drive the protocol themselves (a
/// background task API that must own the request): send `body` as
/// [`SyncTransport::post_batch`] would, then pass the `200` answer to
/// [`crate::FatigueCoach::acknowledge_sync`].
#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncPayload {
    /// The `Idempotency-Key` header; the same on every retry of this batch.
    pub idempotency_key: String,
    /// The batch's sequence number.
    pub sequence: u64,
    /// The JSON body.
    pub body: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Do not retry before this instant (back-off).
    pub not_before: SystemTime,
}

/// How a sync ended.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncStatus {
    /// Nothing left to send.
    UpToDate,
    /// More is queued: call sync again.
    MoreToSend,
    /// The server could not be reached or failed: retry at this instant.
    RetryAfter {
        /// When to retry.
        at: SystemTime,
    },
    /// The server refused the credentials: refresh the token, then retry at
    /// this instant.
    NeedsAuthentication {
        /// When to retry.
        at: SystemTime,
    },
}

impl From<CoreStatus> for SyncStatus {
    fn from(s: CoreStatus) -> Self {
        match s {
            CoreStatus::UpToDate => SyncStatus::UpToDate,
            CoreStatus::MoreToSend => SyncStatus::MoreToSend,
            CoreStatus::RetryAfter(t) => SyncStatus::RetryAfter { at: system_time(t) },
            CoreStatus::NeedsAuthentication(t) => {
                SyncStatus::NeedsAuthentication { at: system_time(t) }
            }
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncReport {
    /// Batches the server acknowledged.
    pub batches_acknowledged: u32,
    /// Records the server stored.
    pub records_stored: u32,
    /// Records the server already held.
    pub records_unchanged: u32,
    /// Records the server refused (kept on the phone, not resent).
    pub records_rejected: u32,
    /// How it ended.
    pub status: SyncStatus,
}

impl From<sync_client::SyncReport> for SyncReport {
    fn from(r: sync_client::SyncReport) -> Self {
        let sync_client::AckCounts {
            stored,
            unchanged,
            rejected,
        } = r.records;
        Self {
            batches_acknowledged: r.batches_acknowledged,
            records_stored: stored,
            records_unchanged: unchanged,
            records_rejected: rejected,
            status: r.status.into(),
        }
    }
}

impl From<InFlightBatch> for SyncPayload {
    fn from(b: InFlightBatch) -> Self {
        Self {
            idempotency_key: b.idempotency_key,
            sequence: b.sequence,
            body: b.body,
            attempts: b.attempts,
            not_before: system_time(b.next_attempt_at),
        }
    }
}

impl QueueStatus {
    /// The store's queue counts and cursor.
    pub(crate) fn of(store: &Store) -> Result<Self, CoachError> {
        let c = store.queue_counts()?;
        Ok(Self {
            pending: c.pending,
            sent: c.sent,
            rejected: c.rejected,
            cursor: store.sync_cursor()?,
        })
    }
}

/// The sync queue's state.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueueStatus {
    /// Records waiting for an acknowledgement.
    pub pending: u64,
    /// Records acknowledged.
    pub sent: u64,
    /// Records the server refused.
    pub rejected: u64,
    /// The server's cursor (highest batch sequence it has stored).
    pub cursor: u64,
}
