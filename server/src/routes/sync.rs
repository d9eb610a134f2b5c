//! `POST /v1/sync` (docs/api.md, "Sync").

use actix_web::{HttpResponse, post, web};
use models::sync::{MAX_RECORDS_PER_BATCH, SYNC_SCHEMA_VERSION, SyncAck, SyncBatch};
use uuid::Uuid;

use super::State;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::group_commit::Unanswered;

/// Stores a device's batch of daily summaries, check-ins and learning
/// progress: idempotent, ordered by the device's sequence, per-record results.
/// Accepts `Content-Encoding: gzip`.
#[utoipa::path(post, path = "/v1/sync", request_body = SyncBatch, responses(
    (status = 200, description = "Per-record results and the device's cursor (a replay gets the first answer, marked `replayed`)", body = SyncAck),
    (status = 413, description = "payload_too_large", body = crate::error::Problem),
    (status = 422, description = "invalid_body / unsupported_schema_version / device_mismatch", body = crate::error::Problem),
    (status = 503, description = "database_unavailable (or too many batches waiting): retry with the same batch", body = crate::error::Problem)))]
#[post("/sync")]
pub async fn sync(
    state: State,
    who: Identity,
    body: web::Json<SyncBatch>,
) -> AppResult<HttpResponse> {
    who.require(&[Role::Officer])?;
    let force = who.force()?;
    let person = who.0.sub;
    let device = who.0.device.ok_or(AppError::Forbidden)?;
    let batch = body.into_inner();
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
    if batch.idempotency_key.is_empty() || batch.idempotency_key.len() > 64 {
        return Err(AppError::invalid(
            "invalid_body",
            "idempotency_key: 1 to 64 characters",
        ));
    }
    let job = db::sync::SyncJob {
        force,
        person,
        device,
        batch,
    };
    let ack = match state.sync.submit(job).await {
        Ok(answer) => answer?,
        // Too many batches waiting, or this one waited longer than a
        // request waits for a connection: the phone resends it.
        Err(Unanswered::Overloaded) => {
            tracing::warn!("sync queue full or too slow: batch refused with 503");
            return Err(AppError::DatabaseUnavailable);
        }
        Err(closed @ Unanswered::Closed) => return Err(AppError::internal(closed)),
    };
    Ok(HttpResponse::Ok().json(ack))
}
