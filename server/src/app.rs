//! Shared state and the actix application.

use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};

use crate::auth::KeySet;
use crate::config::Config;
use crate::db::DbPool;
use crate::error::AppError;

/// Largest JSON body accepted (after gzip decoding), bytes: a full sync batch
/// of 500 records is about 150 KiB.
pub const JSON_LIMIT: usize = 1024 * 1024;
/// Largest roster file accepted, bytes.
pub const ROSTER_LIMIT: usize = 4 * 1024 * 1024;

/// What every handler can reach, through `web::Data`.
#[derive(Debug)]
pub struct AppState {
    /// Runtime-role connections.
    pub pool: DbPool,
    /// Signing keys.
    pub keys: KeySet,
    /// Settings.
    pub config: Config,
    /// Where `POST /v1/sync` hands its batches (group commit).
    pub sync: crate::db::sync::SyncQueue,
}

/// Registers every route, the body limits and the problem-details handlers
/// for malformed bodies and unknown paths.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_LIMIT)
            .content_type_required(false)
            .error_handler(|err, _req| json_error(err).into()),
    )
    .app_data(web::PayloadConfig::default().limit(ROSTER_LIMIT))
    .configure(crate::routes::configure)
    .configure(crate::dashboard::configure)
    .default_service(web::to(not_found));
}

fn json_error(err: actix_web::error::JsonPayloadError) -> AppError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::Overflow { limit } | E::OverflowKnownLength { limit, .. } => {
            AppError::TooLarge(format!("the body is larger than {limit} bytes"))
        }
        E::ContentType => AppError::invalid("invalid_body", "expected application/json"),
        E::Deserialize(e) => AppError::invalid("invalid_body", e.to_string()),
        other => AppError::invalid("invalid_body", other.to_string()),
    }
}

async fn not_found(_req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
