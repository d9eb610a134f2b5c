//! Enrolment handlers: codes for the force admin, enrolment and token
//! refresh for the phone.

use actix_web::{HttpRequest, HttpResponse, post, web};
use models::api::{EnrolRequest, RefreshRequest, SessionTokens};
use serde::Deserialize;
use serde_json::json;

use super::service;
use crate::app::{State, client_address};
use crate::auth::Identity;
use crate::error::{AppResult, Problem};

/// Whom an enrolment code is for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The member of staff's staff number.
    pub staff_number: String,
}

/// Issues a one-time enrolment code for a member of staff (force admin),
/// valid 72 hours. Only its hash is stored.
#[utoipa::path(post, path = "/force/enrolment-codes", request_body = CodeRequest, responses((status = 201, description = "the code")))]
#[post("/force/enrolment-codes")]
pub async fn enrolment_code(
    state: State,
    who: Identity,
    body: web::Json<CodeRequest>,
) -> AppResult<HttpResponse> {
    let (code, expires) = service::issue_code(&state, &who, body.into_inner().staff_number).await?;
    Ok(HttpResponse::Created().json(json!({ "code": code, "expires_at": expires })))
}

/// A phone redeems a one-time enrolment code: a pseudonymous person (new, or
/// the same one for a second phone), a device and tokens. Rate-limited per address.
#[utoipa::path(post, path = "/enrol", request_body = EnrolRequest, responses(
    (status = 200, description = "device tokens", body = SessionTokens),
    (status = 401, description = "invalid_credentials", body = Problem),
    (status = 429, description = "rate_limited", body = Problem)))]
#[post("/enrol")]
pub async fn enrol(
    state: State,
    req: HttpRequest,
    body: web::Json<EnrolRequest>,
) -> AppResult<HttpResponse> {
    let tokens = service::enrol(&state, body.into_inner(), &client_address(&req)).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Swaps a device's refresh token (single use) for new tokens. Reusing a
/// spent token revokes all of the device's refresh tokens.
#[utoipa::path(post, path = "/auth/refresh", request_body = RefreshRequest, responses(
    (status = 200, description = "device tokens", body = SessionTokens),
    (status = 401, description = "invalid_credentials", body = Problem)))]
#[post("/auth/refresh")]
pub async fn refresh(state: State, body: web::Json<RefreshRequest>) -> AppResult<HttpResponse> {
    let tokens = service::refresh(&state, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(tokens))
}
