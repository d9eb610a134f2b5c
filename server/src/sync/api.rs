//! `POST /v1/sync` (docs/api.md, "Sync").

use actix_web::{HttpResponse, post, web};
use models::sync::{SyncAck, SyncBatch};

use super::service;
use crate::app::State;
use crate::auth::Identity;
use crate::error::{AppResult, Problem};

/// Stores a device's batch of daily summaries, check-ins and learning
/// progress: idempotent, ordered by the device's sequence, per-record results.
/// Accepts `Content-Encoding: gzip`.
#[utoipa::path(post, path = "/sync", request_body = SyncBatch, responses(
    (status = 200, description = "Per-record results and the device's cursor (a replay gets the first answer, marked `replayed`)", body = SyncAck),
    (status = 413, description = "payload_too_large", body = Problem),
    (status = 422, description = "invalid_body / unsupported_schema_version / device_mismatch", body = Problem),
    (status = 503, description = "database_unavailable (or too many batches waiting): retry with the same batch", body = Problem)))]
#[post("/sync")]
pub async fn sync(
    state: State,
    who: Identity,
    body: web::Json<SyncBatch>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::submit(&state, &who, body.into_inner()).await?))
}
