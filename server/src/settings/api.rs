//! A force's FRM settings through the API.

use actix_web::{HttpResponse, get, put, web};
use mobile_core::roster::limits::RosterLimits;

use super::service;
use crate::app::State;
use crate::auth::Identity;
use crate::error::{AppResult, Problem};

/// The force's FRM settings in effect (anyone of the force; the phone reads
/// them at enrolment and refresh).
#[utoipa::path(get, path = "/force/settings", responses(
    (status = 200, description = "ForceSettingsBody: limits, changed, updated_at", body = Object), (status = 403, body = Problem)))]
#[get("/force/settings")]
pub async fn get_settings(state: State, who: Identity) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, &who).await?))
}

/// Replaces the force's FRM settings (FRM lead or force admin). Fields left
/// out take the published defaults; a level past a legal limit is refused.
#[utoipa::path(put, path = "/force/settings", request_body(content = Object, description = "RosterLimits: docs/reports.md"), responses(
    (status = 200, description = "ForceSettingsBody", body = Object), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[put("/force/settings")]
pub async fn put_settings(
    state: State,
    who: Identity,
    body: web::Json<RosterLimits>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::put(&state, &who, body.into_inner()).await?))
}
