//! Liveness and readiness.

use actix_web::{HttpResponse, get};
use serde_json::json;

use crate::app::State;
use crate::error::AppResult;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "alive")))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers (503 `database_unavailable` otherwise).
#[utoipa::path(get, path = "/ready", responses(
    (status = 200, description = "ready"),
    (status = 503, description = "database unavailable", body = crate::error::Problem)))]
#[get("/ready")]
pub async fn ready(state: State) -> AppResult<HttpResponse> {
    crate::db::ping(&state.pool).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
