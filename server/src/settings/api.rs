//! A force's FRM settings through the API.

use actix_web::{HttpResponse, get, put, web};
use mobile_core::roster::limits::RosterLimits;

use super::service;
use crate::app::State;
use crate::auth::Identity;
use crate::error::{AppResult, Problem};
use crate::lifecycle::service::Retention;

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

/// How long the force keeps synced figures and audit entries, in days
/// (anyone of the force).
#[utoipa::path(get, path = "/force/settings/retention", responses(
    (status = 200, description = "Retention: records_days, audit_days", body = Object), (status = 403, body = Problem)))]
#[get("/force/settings/retention")]
pub async fn get_retention(state: State, who: Identity) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::retention(&state, &who).await?))
}

/// Sets how long the force keeps synced figures and audit entries (force
/// admin; docs/privacy.md, "Retention", gives the ranges).
#[utoipa::path(put, path = "/force/settings/retention", request_body(content = Object, description = "Retention: records_days, audit_days"), responses(
    (status = 200, description = "Retention", body = Object), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[put("/force/settings/retention")]
pub async fn put_retention(
    state: State,
    who: Identity,
    body: web::Json<Retention>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::put_retention(&state, &who, body.into_inner()).await?))
}
