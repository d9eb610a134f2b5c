//! Peer support through the API: the directory, confidential call-back
//! requests and the report figures (docs/peer-support.md). Who may do what
//! is the service's: any signed-in member of a force reads its directory;
//! force admins edit it; an officer makes, lists and cancels their own
//! requests; a peer supporter works the requests assigned to them; the
//! coordinator the unassigned and escalated ones.

use actix_web::{HttpResponse, delete, get, post, put, web};
use mobile_core::period::Period;
use models::support::{self as wire, NewCallback, PeerSupporter, SupportDirectory, SupportService};
use serde::Deserialize;
use uuid::Uuid;

use super::service::{self, ServiceDetails, SupportReport, SupporterDetails};
use super::store::{Callback, Transition};
use crate::app::State;
use crate::auth::{Identity, Role};
use crate::error::{AppError, AppResult, Problem};

/// The API's view of a stored request.
fn callback_body(cb: Callback) -> AppResult<wire::Callback> {
    let contact_method = wire::ContactMethod::parse(&cb.contact_method)
        .ok_or_else(|| AppError::internal("a stored call-back has an unknown contact method"))?;
    Ok(wire::Callback {
        id: cb.id,
        supporter_id: cb.supporter_id,
        contact_method,
        contact_detail: cb.contact_detail,
        window_start: cb.window_start,
        window_end: cb.window_end,
        status: cb.status,
        created_at: cb.created_at,
        acknowledged_at: cb.acknowledged_at,
        contacted_at: cb.contacted_at,
        escalated: cb.escalated,
    })
}

/// The directory: supporters and services (any signed-in member of the force).
#[utoipa::path(get, path = "/support/directory", responses(
    (status = 200, body = SupportDirectory), (status = 403, body = Problem)))]
#[get("/support/directory")]
pub async fn directory(state: State, who: Identity) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::directory(&state, &who).await?))
}

/// Lists or updates a peer supporter (force admin). The account must have
/// the `peer_supporter` or `peer_support_coordinator` role.
#[utoipa::path(put, path = "/support/supporters/{account_id}", request_body = SupporterDetails, responses(
    (status = 200, body = PeerSupporter), (status = 404, body = Problem),
    (status = 422, description = "invalid_supporter", body = Problem)))]
#[put("/support/supporters/{account_id}")]
pub async fn put_supporter(
    state: State,
    who: Identity,
    account: web::Path<Uuid>,
    body: web::Json<SupporterDetails>,
) -> AppResult<HttpResponse> {
    let s = service::put_supporter(&state, &who, account.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PeerSupporter::from(s)))
}

/// Removes a peer supporter from the directory (force admin); their open
/// requests go to the coordinator.
#[utoipa::path(delete, path = "/support/supporters/{account_id}", responses(
    (status = 204, description = "removed"), (status = 404, body = Problem)))]
#[delete("/support/supporters/{account_id}")]
pub async fn delete_supporter(
    state: State,
    who: Identity,
    account: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    service::remove_supporter(&state, &who, account.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Adds a support service (force admin).
#[utoipa::path(post, path = "/support/services", request_body = ServiceDetails, responses(
    (status = 201, body = SupportService), (status = 422, description = "invalid_service", body = Problem)))]
#[post("/support/services")]
pub async fn create_service(
    state: State,
    who: Identity,
    body: web::Json<ServiceDetails>,
) -> AppResult<HttpResponse> {
    let s = service::create_service(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(SupportService::from(s)))
}

/// Replaces a support service's details (force admin).
#[utoipa::path(put, path = "/support/services/{id}", request_body = ServiceDetails, responses(
    (status = 200, body = SupportService), (status = 404, body = Problem)))]
#[put("/support/services/{id}")]
pub async fn update_service(
    state: State,
    who: Identity,
    id: web::Path<Uuid>,
    body: web::Json<ServiceDetails>,
) -> AppResult<HttpResponse> {
    let s = service::update_service(&state, &who, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(SupportService::from(s)))
}

/// Removes a support service (force admin).
#[utoipa::path(delete, path = "/support/services/{id}", responses(
    (status = 204, description = "removed"), (status = 404, body = Problem)))]
#[delete("/support/services/{id}")]
pub async fn delete_service(
    state: State,
    who: Identity,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    service::delete_service(&state, &who, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Asks for a confidential call-back (officer). Without `supporter_id` the
/// request goes to the next available supporter (the coordinator's queue).
#[utoipa::path(post, path = "/support/callbacks", request_body = NewCallback, responses(
    (status = 201, body = wire::Callback),
    (status = 409, description = "too many open requests", body = Problem),
    (status = 422, description = "invalid_contact, invalid_window or unknown_supporter", body = Problem)))]
#[post("/support/callbacks")]
pub async fn create_callback(
    state: State,
    who: Identity,
    body: web::Json<NewCallback>,
) -> AppResult<HttpResponse> {
    let cb = service::request_callback(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(callback_body(cb)?))
}

async fn list(state: State, who: Identity, roles: &[Role]) -> AppResult<HttpResponse> {
    let list = service::visible_requests(&state, &who, roles).await?;
    let bodies: Vec<wire::Callback> = list
        .into_iter()
        .map(callback_body)
        .collect::<AppResult<_>>()?;
    Ok(HttpResponse::Ok().json(bodies))
}

/// The officer's own requests, with their status.
#[utoipa::path(get, path = "/support/callbacks/mine", responses((status = 200, body = Vec<wire::Callback>)))]
#[get("/support/callbacks/mine")]
pub async fn mine(state: State, who: Identity) -> AppResult<HttpResponse> {
    list(state, who, &[Role::Officer]).await
}

/// Open and acknowledged requests assigned to the calling supporter.
#[utoipa::path(get, path = "/support/callbacks/assigned", responses((status = 200, body = Vec<wire::Callback>)))]
#[get("/support/callbacks/assigned")]
pub async fn assigned(state: State, who: Identity) -> AppResult<HttpResponse> {
    list(state, who, &[Role::PeerSupporter]).await
}

/// The coordinator's queue: requests for the next available supporter,
/// requests left open past the escalation time, and any assigned to the
/// coordinator.
#[utoipa::path(get, path = "/support/callbacks/unassigned", responses((status = 200, body = Vec<wire::Callback>)))]
#[get("/support/callbacks/unassigned")]
pub async fn unassigned(state: State, who: Identity) -> AppResult<HttpResponse> {
    list(state, who, &[Role::PeerSupportCoordinator]).await
}

async fn act(state: State, who: Identity, id: Uuid, t: Transition) -> AppResult<HttpResponse> {
    let cb = service::apply_transition(&state, &who, id, t).await?;
    Ok(HttpResponse::Ok().json(callback_body(cb)?))
}

/// Acknowledges a request: "seen, I will call" (assigned supporter or coordinator).
#[utoipa::path(post, path = "/support/callbacks/{id}/acknowledge", responses(
    (status = 200, body = wire::Callback), (status = 404, body = Problem),
    (status = 409, body = Problem)))]
#[post("/support/callbacks/{id}/acknowledge")]
pub async fn acknowledge(
    state: State,
    who: Identity,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    act(state, who, id.into_inner(), Transition::Acknowledge).await
}

/// Marks the officer contacted (assigned supporter or coordinator).
#[utoipa::path(post, path = "/support/callbacks/{id}/contacted", responses(
    (status = 200, body = wire::Callback), (status = 404, body = Problem),
    (status = 409, body = Problem)))]
#[post("/support/callbacks/{id}/contacted")]
pub async fn contacted(
    state: State,
    who: Identity,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    act(state, who, id.into_inner(), Transition::Contacted).await
}

/// Whom to hand a request to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Handover {
    /// Another supporter from the directory; absent to return the request
    /// to the coordinator's queue (supporters only).
    #[serde(default)]
    pub supporter_id: Option<Uuid>,
}

/// Hands a request over to another supporter, or back to the coordinator.
#[utoipa::path(post, path = "/support/callbacks/{id}/handover", request_body = Handover, responses(
    (status = 200, body = wire::Callback), (status = 404, body = Problem),
    (status = 422, description = "unknown_supporter", body = Problem)))]
#[post("/support/callbacks/{id}/handover")]
pub async fn handover(
    state: State,
    who: Identity,
    id: web::Path<Uuid>,
    body: web::Json<Handover>,
) -> AppResult<HttpResponse> {
    act(
        state,
        who,
        id.into_inner(),
        Transition::Handover(body.into_inner().supporter_id),
    )
    .await
}

/// Cancels the officer's own request; its contact detail is erased at once.
#[utoipa::path(post, path = "/support/callbacks/{id}/cancel", responses(
    (status = 200, body = wire::Callback), (status = 404, body = Problem),
    (status = 409, body = Problem)))]
#[post("/support/callbacks/{id}/cancel")]
pub async fn cancel(state: State, who: Identity, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    act(state, who, id.into_inner(), Transition::Cancel).await
}

/// Call-back counts and median response time for a period (coordinator or
/// force admin), with cells under 5 withheld. Audited.
#[utoipa::path(get, path = "/support/report", params(("from" = String, Query), ("to" = String, Query)), responses(
    (status = 200, body = SupportReport), (status = 422, description = "invalid_period", body = Problem)))]
#[get("/support/report")]
pub async fn report(
    state: State,
    who: Identity,
    period: web::Query<Period>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::report(&state, &who, period.into_inner()).await?))
}
