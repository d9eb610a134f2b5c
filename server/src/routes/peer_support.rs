//! Peer support: the directory, confidential call-back requests and the
//! report figures (docs/peer-support.md).
//!
//! Who may do what: any signed-in member of a force reads its directory;
//! force admins edit it; an officer makes, lists and cancels their own
//! requests; a peer supporter sees and works the requests assigned to them;
//! the coordinator sees unassigned and escalated ones. Supervisors, FRM
//! leads and NPWS never see a request. Every read of a request by a member
//! of staff is audited.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::Utc;
use models::support::{self as wire, NewCallback, PeerSupporter, SupportDirectory, SupportService};
use serde::Deserialize;
use uuid::Uuid;

use super::State;
use crate::auth::{Identity, Role};
use crate::db::peer_support::{
    Actor, Callback, Service, ServiceDetails, SupportReport, Supporter, SupporterDetails,
    Transition,
};
use crate::db::{self, audit};
use crate::error::{AppError, AppResult};
use mobile_core::period::Period;

/// Longest report period, days.
pub const MAX_REPORT_DAYS: i64 = 366;

impl From<Supporter> for PeerSupporter {
    fn from(s: Supporter) -> Self {
        PeerSupporter {
            id: s.id,
            display_name: s.display_name,
            contact_hours: s.contact_hours,
            // The column's CHECK admits only the methods' names.
            channels: s
                .channels
                .iter()
                .filter_map(|c| wire::ContactMethod::parse(c))
                .collect(),
            active: s.active,
        }
    }
}

impl From<Service> for SupportService {
    fn from(s: Service) -> Self {
        SupportService {
            id: s.id,
            kind: s.kind,
            name: s.name,
            contact: s.contact,
            hours: s.hours,
            when_to_use: s.when_to_use,
            force_specific: s.force_specific,
        }
    }
}

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
#[utoipa::path(get, path = "/v1/support/directory", responses(
    (status = 200, body = SupportDirectory), (status = 403, body = crate::error::Problem)))]
#[get("/support/directory")]
pub async fn directory(state: State, who: Identity) -> AppResult<HttpResponse> {
    let force = who.force()?;
    let all = who.0.role == Role::ForceAdmin;
    let dir = db::with_force(&state.pool, force, move |c| {
        Ok(SupportDirectory {
            supporters: Supporter::list(c, force, all)?
                .into_iter()
                .map(Into::into)
                .collect(),
            services: Service::directory(c, force)?
                .into_iter()
                .map(Into::into)
                .collect(),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(dir))
}

fn force_admin(who: &Identity) -> AppResult<Uuid> {
    who.require(&[Role::ForceAdmin])?;
    who.force()
}

/// Lists or updates a peer supporter (force admin). The account must have
/// the `peer_supporter` or `peer_support_coordinator` role.
#[utoipa::path(put, path = "/v1/support/supporters/{account_id}", request_body = SupporterDetails, responses(
    (status = 200, body = PeerSupporter), (status = 404, body = crate::error::Problem),
    (status = 422, description = "invalid_supporter", body = crate::error::Problem)))]
#[put("/support/supporters/{account_id}")]
pub async fn put_supporter(
    state: State,
    who: Identity,
    account: web::Path<Uuid>,
    body: web::Json<SupporterDetails>,
) -> AppResult<HttpResponse> {
    let force = force_admin(&who)?;
    let details = body.into_inner();
    details.check()?;
    let account = account.into_inner();
    let s = db::with_force(&state.pool, force, move |c| {
        Supporter::put(c, force, account, &details)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PeerSupporter::from(s)))
}

/// Removes a peer supporter from the directory (force admin); their open
/// requests go to the coordinator.
#[utoipa::path(delete, path = "/v1/support/supporters/{account_id}", responses(
    (status = 204, description = "removed"), (status = 404, body = crate::error::Problem)))]
#[delete("/support/supporters/{account_id}")]
pub async fn delete_supporter(
    state: State,
    who: Identity,
    account: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let force = force_admin(&who)?;
    let account = account.into_inner();
    db::with_force(&state.pool, force, move |c| {
        Supporter::remove(c, force, account, Utc::now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Adds a support service (force admin).
#[utoipa::path(post, path = "/v1/support/services", request_body = ServiceDetails, responses(
    (status = 201, body = SupportService), (status = 422, description = "invalid_service", body = crate::error::Problem)))]
#[post("/support/services")]
pub async fn create_service(
    state: State,
    who: Identity,
    body: web::Json<ServiceDetails>,
) -> AppResult<HttpResponse> {
    let force = force_admin(&who)?;
    let details = body.into_inner();
    details.check()?;
    let s = db::with_force(&state.pool, force, move |c| {
        Service::create(c, force, &details)
    })
    .await?;
    Ok(HttpResponse::Created().json(SupportService::from(s)))
}

/// Replaces a support service's details (force admin).
#[utoipa::path(put, path = "/v1/support/services/{id}", request_body = ServiceDetails, responses(
    (status = 200, body = SupportService), (status = 404, body = crate::error::Problem)))]
#[put("/support/services/{id}")]
pub async fn update_service(
    state: State,
    who: Identity,
    id: web::Path<Uuid>,
    body: web::Json<ServiceDetails>,
) -> AppResult<HttpResponse> {
    let force = force_admin(&who)?;
    let details = body.into_inner();
    details.check()?;
    let id = id.into_inner();
    let s = db::with_force(&state.pool, force, move |c| {
        Service::update(c, force, id, &details)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SupportService::from(s)))
}

/// Removes a support service (force admin).
#[utoipa::path(delete, path = "/v1/support/services/{id}", responses(
    (status = 204, description = "removed"), (status = 404, body = crate::error::Problem)))]
#[delete("/support/services/{id}")]
pub async fn delete_service(
    state: State,
    who: Identity,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let force = force_admin(&who)?;
    let id = id.into_inner();
    db::with_force(&state.pool, force, move |c| Service::delete(c, force, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller as an actor on requests, with their force.
fn actor(who: &Identity) -> AppResult<(Uuid, Actor)> {
    let force = who.force()?;
    let id = who.0.sub;
    match who.0.role {
        Role::Officer => Ok((force, Actor::Officer(id))),
        Role::PeerSupporter => Ok((force, Actor::Supporter(id))),
        Role::PeerSupportCoordinator => Ok((force, Actor::Coordinator(id))),
        _ => Err(AppError::Forbidden),
    }
}

/// Runs `f` for `who`, whose role must be one of `roles`, and audits every
/// request in its answer as read by a member of staff.
async fn with_requests<T, F>(state: &State, who: Identity, roles: &[Role], f: F) -> AppResult<T>
where
    T: Send + 'static + AsRef<[Callback]>,
    F: FnOnce(&mut diesel::PgConnection, Uuid, Actor, chrono::Duration) -> AppResult<T>
        + Send
        + 'static,
{
    who.require(roles)?;
    let (force, actor) = actor(&who)?;
    let escalate = state.config.peer_support.escalate_after();
    db::with_force(&state.pool, force, move |c| {
        let out = f(c, force, actor, escalate)?;
        // An officer reading their own requests is not audited: the force
        // admin reads the log, and an entry would tell them which
        // pseudonym asked for support.
        let staff_reads = if matches!(actor, Actor::Officer(_)) {
            &[][..]
        } else {
            out.as_ref()
        };
        for cb in staff_reads {
            audit::record(
                c,
                Some(force),
                &who,
                "read_callback",
                &format!("callback:{}", cb.id),
            )?;
        }
        Ok(out)
    })
    .await
}

/// Asks for a confidential call-back (officer). Without `supporter_id` the
/// request goes to the next available supporter (the coordinator's queue).
#[utoipa::path(post, path = "/v1/support/callbacks", request_body = NewCallback, responses(
    (status = 201, body = wire::Callback),
    (status = 409, description = "too many open requests", body = crate::error::Problem),
    (status = 422, description = "invalid_contact, invalid_window or unknown_supporter", body = crate::error::Problem)))]
#[post("/support/callbacks")]
pub async fn create_callback(
    state: State,
    who: Identity,
    body: web::Json<NewCallback>,
) -> AppResult<HttpResponse> {
    let new = body.into_inner();
    let now = Utc::now();
    new.check(now)?;
    let [cb] = with_requests(&state, who, &[Role::Officer], move |c, force, actor, _| {
        Ok([Callback::create(c, force, actor.id(), &new, now)?])
    })
    .await?;
    Ok(HttpResponse::Created().json(callback_body(cb)?))
}

/// The requests `who` (one of `roles`) may see: an officer's own, a
/// supporter's assigned ones, the coordinator's queue. Staff reads are
/// audited. The API's lists and the dashboard's support page both use it.
///
/// # Errors
/// Forbidden for other roles; database errors.
pub async fn visible_requests(
    state: &State,
    who: Identity,
    roles: &[Role],
) -> AppResult<Vec<Callback>> {
    let now = Utc::now();
    with_requests(state, who, roles, move |c, force, actor, escalate| {
        Callback::visible_to(c, force, actor, now, escalate)
    })
    .await
}

async fn list(state: State, who: Identity, roles: &[Role]) -> AppResult<HttpResponse> {
    let list = visible_requests(&state, who, roles).await?;
    let bodies: Vec<wire::Callback> = list
        .into_iter()
        .map(callback_body)
        .collect::<AppResult<_>>()?;
    Ok(HttpResponse::Ok().json(bodies))
}

/// The officer's own requests, with their status.
#[utoipa::path(get, path = "/v1/support/callbacks/mine", responses((status = 200, body = Vec<wire::Callback>)))]
#[get("/support/callbacks/mine")]
pub async fn mine(state: State, who: Identity) -> AppResult<HttpResponse> {
    list(state, who, &[Role::Officer]).await
}

/// Open and acknowledged requests assigned to the calling supporter.
#[utoipa::path(get, path = "/v1/support/callbacks/assigned", responses((status = 200, body = Vec<wire::Callback>)))]
#[get("/support/callbacks/assigned")]
pub async fn assigned(state: State, who: Identity) -> AppResult<HttpResponse> {
    list(state, who, &[Role::PeerSupporter]).await
}

/// The coordinator's queue: requests for the next available supporter,
/// requests left open past the escalation time, and any assigned to the
/// coordinator.
#[utoipa::path(get, path = "/v1/support/callbacks/unassigned", responses((status = 200, body = Vec<wire::Callback>)))]
#[get("/support/callbacks/unassigned")]
pub async fn unassigned(state: State, who: Identity) -> AppResult<HttpResponse> {
    list(state, who, &[Role::PeerSupportCoordinator]).await
}

/// Applies `t` to request `id` as `who` (the officer may only cancel;
/// supporters and the coordinator do the rest). The API's actions and the
/// dashboard's support page both use it.
///
/// # Errors
/// Forbidden for other roles; not found when `who` may not see the request;
/// conflict when the request's state does not allow `t`.
pub async fn apply_transition(
    state: &State,
    who: Identity,
    id: Uuid,
    t: Transition,
) -> AppResult<Callback> {
    let now = Utc::now();
    let roles = match t {
        Transition::Cancel => &[Role::Officer][..],
        _ => &[Role::PeerSupporter, Role::PeerSupportCoordinator][..],
    };
    let [cb] = with_requests(state, who, roles, move |c, force, actor, escalate| {
        Ok([Callback::apply(c, force, id, actor, t, now, escalate)?])
    })
    .await?;
    Ok(cb)
}

async fn act(state: State, who: Identity, id: Uuid, t: Transition) -> AppResult<HttpResponse> {
    let cb = apply_transition(&state, who, id, t).await?;
    Ok(HttpResponse::Ok().json(callback_body(cb)?))
}

/// Acknowledges a request: "seen, I will call" (assigned supporter or coordinator).
#[utoipa::path(post, path = "/v1/support/callbacks/{id}/acknowledge", responses(
    (status = 200, body = wire::Callback), (status = 404, body = crate::error::Problem),
    (status = 409, body = crate::error::Problem)))]
#[post("/support/callbacks/{id}/acknowledge")]
pub async fn acknowledge(
    state: State,
    who: Identity,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    act(state, who, id.into_inner(), Transition::Acknowledge).await
}

/// Marks the officer contacted (assigned supporter or coordinator).
#[utoipa::path(post, path = "/v1/support/callbacks/{id}/contacted", responses(
    (status = 200, body = wire::Callback), (status = 404, body = crate::error::Problem),
    (status = 409, body = crate::error::Problem)))]
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
#[utoipa::path(post, path = "/v1/support/callbacks/{id}/handover", request_body = Handover, responses(
    (status = 200, body = wire::Callback), (status = 404, body = crate::error::Problem),
    (status = 422, description = "unknown_supporter", body = crate::error::Problem)))]
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
#[utoipa::path(post, path = "/v1/support/callbacks/{id}/cancel", responses(
    (status = 200, body = wire::Callback), (status = 404, body = crate::error::Problem),
    (status = 409, body = crate::error::Problem)))]
#[post("/support/callbacks/{id}/cancel")]
pub async fn cancel(state: State, who: Identity, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    act(state, who, id.into_inner(), Transition::Cancel).await
}

/// Call-back counts and median response time for a period (coordinator or
/// force admin), with cells under 5 withheld. Audited.
#[utoipa::path(get, path = "/v1/support/report", params(("from" = String, Query), ("to" = String, Query)), responses(
    (status = 200, body = SupportReport), (status = 422, description = "invalid_period", body = crate::error::Problem)))]
#[get("/support/report")]
pub async fn report(
    state: State,
    who: Identity,
    period: web::Query<Period>,
) -> AppResult<HttpResponse> {
    who.require(&[Role::PeerSupportCoordinator, Role::ForceAdmin])?;
    let force = who.force()?;
    let (from, to) = (period.from, period.to);
    if !(0..MAX_REPORT_DAYS).contains(&(to - from).num_days()) {
        return Err(AppError::invalid(
            "invalid_period",
            format!("to must be on or after from, at most {MAX_REPORT_DAYS} days"),
        ));
    }
    let r = db::with_force(&state.pool, force, move |c| {
        audit::record(
            c,
            Some(force),
            &who,
            "read_support_report",
            &format!("period:{from}/{to}"),
        )?;
        db::peer_support::report(c, force, from, to)
    })
    .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Registers this module's routes (inside `/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(directory)
        .service(put_supporter)
        .service(delete_supporter)
        .service(create_service)
        .service(update_service)
        .service(delete_service)
        .service(create_callback)
        .service(mine)
        .service(assigned)
        .service(unassigned)
        .service(acknowledge)
        .service(contacted)
        .service(handover)
        .service(cancel)
        .service(report);
}
