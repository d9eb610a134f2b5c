//! Enrolment handlers: codes for the force admin, enrolment, pairing a
//! second phone and token refresh for the phone.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use models::api::{DeviceList, EnrolRequest, PairingCode, RefreshRequest, SessionTokens};
use serde::Deserialize;
use serde_json::json;

use super::service::{self, HrOutcome, HrSheet};
use crate::app::{State, client_address};
use crate::auth::Identity;
use crate::error::{AppError, AppResult, Problem};

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

/// Applies the force's HR file (force admin; docs/onboarding.md): the
/// dashboard upload's service, rules and audit. `Content-Type: text/csv`,
/// header `staff_number,employment_type,team,status[,function,email]`.
/// All or nothing: a file with any bad row applies nothing and the answer
/// lists every bad row (422 `invalid_hr_file`, with `errors: [{line,
/// column, message}]`). The answer is the printable sheet's content: the
/// codes issued, shown this once (`Cache-Control: no-store`).
#[utoipa::path(post, path = "/force/hr-file", request_body(content = String, content_type = "text/csv"), responses(
    (status = 200, description = "applied; the codes issued", body = HrSheet,
        headers(("Cache-Control" = String, description = "no-store"))),
    (status = 403, description = "forbidden: force admins only", body = Problem),
    (status = 422, description = "invalid_hr_file (per-line errors); nothing applied", body = Problem)))]
#[post("/force/hr-file")]
pub async fn hr_file(state: State, who: Identity, body: web::Bytes) -> AppResult<HttpResponse> {
    match service::upload_hr_file(&state, &who, body.to_vec()).await? {
        HrOutcome::Applied(sheet) => Ok(HttpResponse::Ok()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .json(sheet)),
        HrOutcome::Rejected(errors) => Err(AppError::InvalidHrFile(errors)),
    }
}

/// A phone redeems a one-time code: an enrolment code (a new pseudonymous
/// person and its device) or a pairing code from the person's enrolled
/// phone (a new device for the same pseudonym); tokens either way. Every
/// refused code, of either kind, is the same 401. Rate-limited per address.
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

/// An enrolled phone asks for a pairing code to show the officer, who types
/// it on their new phone (`POST /v1/enrol`): single use, 10 minutes, one
/// live per person; the officer's own device only.
#[utoipa::path(post, path = "/me/pairing-codes", responses(
    (status = 201, description = "the code", body = PairingCode),
    (status = 403, description = "forbidden: not an officer's device", body = Problem),
    (status = 429, description = "rate_limited", body = Problem)))]
#[post("/me/pairing-codes")]
pub async fn pairing_code(state: State, who: Identity) -> AppResult<HttpResponse> {
    let code = service::issue_pairing_code(&state, &who).await?;
    Ok(HttpResponse::Created().json(code))
}

/// The officer's devices, oldest first, the calling one marked.
#[utoipa::path(get, path = "/me/devices", responses(
    (status = 200, description = "the devices", body = DeviceList),
    (status = 403, description = "forbidden: not an officer's device", body = Problem)))]
#[get("/me/devices")]
pub async fn devices(state: State, who: Identity) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::devices(&state, &who).await?))
}
