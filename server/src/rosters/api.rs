//! Roster upload: CSV (`staff_id,start,end[,team,role,activity]`) or
//! iCalendar, read in the force's zone by `mobile_core::roster`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde_json::json;
use uuid::Uuid;

use super::service::{self, RosterOutcome};
use crate::app::State;
use crate::auth::Identity;
use crate::error::{AppError, AppResult};

/// Uploads a roster for a team's members (force admin, FRM lead, or the
/// team's supervisor). `Content-Type: text/csv` or `text/calendar`. A file
/// with any bad line stores nothing and the answer lists every bad line
/// (422 `invalid_roster`, with `errors: [{line, column, message}]`). Every
/// `staff_id` must be a member of the team.
#[utoipa::path(post, path = "/teams/{team}/roster", request_body(content = String, content_type = "text/csv"), responses(
    (status = 201, description = "stored"),
    (status = 422, description = "invalid_roster, with per-line errors")))]
#[post("/teams/{team}/roster")]
pub async fn upload(
    state: State,
    who: Identity,
    req: HttpRequest,
    team: web::Path<Uuid>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let content_type = content_type(&req);
    match service::store_roster(&state, &who, team.into_inner(), &content_type, &body).await? {
        RosterOutcome::Stored {
            shifts_stored,
            format,
        } => Ok(HttpResponse::Created()
            .json(json!({ "shifts_stored": shifts_stored, "format": format }))),
        RosterOutcome::Rejected(errors) => Err(AppError::InvalidRoster(errors)),
    }
}

/// How a draft starts from a copy of the published roster.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyPublished {
    /// First local day.
    pub from: chrono::NaiveDate,
    /// Last local day (at most 62 days).
    pub to: chrono::NaiveDate,
}

/// Starts a draft roster for a team and period (the team's supervisor or
/// the FRM lead): `application/json` `{from, to}` copies the published
/// roster; `text/csv` or `text/calendar` with `?from=&to=` reads a roster
/// file (every entry must start in the period). Nothing is published.
#[utoipa::path(post, path = "/teams/{team}/drafts", request_body(content = String, content_type = "text/csv"), responses(
    (status = 201, body = service::DraftView),
    (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
    (status = 422, description = "invalid_roster (per-line errors) or invalid_period")))]
#[post("/teams/{team}/drafts")]
pub async fn start_draft(
    state: State,
    who: Identity,
    req: HttpRequest,
    team: web::Path<Uuid>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let content_type = content_type(&req);
    let (period, source) = if content_type.starts_with("application/json") {
        let copy: CopyPublished = serde_json::from_slice(&body)
            .map_err(|e| AppError::invalid("invalid_body", e.to_string()))?;
        (
            mobile_core::period::Period {
                from: copy.from,
                to: copy.to,
            },
            service::DraftSource::Published,
        )
    } else {
        let period = web::Query::<mobile_core::period::Period>::from_query(req.query_string())
            .map_err(|_| {
                AppError::invalid("invalid_period", "give ?from=YYYY-MM-DD&to=YYYY-MM-DD")
            })?
            .into_inner();
        (
            period,
            service::DraftSource::File {
                content_type: &content_type,
                body: &body,
            },
        )
    };
    match service::start_draft(&state, &who, team.into_inner(), period, source).await? {
        service::DraftStart::Started(view) => Ok(HttpResponse::Created().json(view)),
        service::DraftStart::Rejected(errors) => Err(AppError::InvalidRoster(errors)),
    }
}

/// A team's drafts, newest first.
#[utoipa::path(get, path = "/teams/{team}/drafts", responses((status = 200, body = [service::DraftSummary])))]
#[get("/teams/{team}/drafts")]
pub async fn list_drafts(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let list = service::team_drafts(&state, &who, team.into_inner()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A draft beside the published roster: per officer both sides' Fatigue
/// Index, hourly risk, flags and report indicators, the team's Risk Index,
/// and the draft's history.
#[utoipa::path(get, path = "/teams/{team}/drafts/{draft}", responses((status = 200, body = service::DraftView), (status = 404, body = crate::error::Problem)))]
#[get("/teams/{team}/drafts/{draft}")]
pub async fn show_draft(
    state: State,
    who: Identity,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (team, draft) = path.into_inner();
    let view = service::draft(&state, &who, team, draft).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Changes a draft (`op`: `move`, `swap`, `add`, `remove`, `rest_day`),
/// re-assessed at once and kept in its history.
#[utoipa::path(post, path = "/teams/{team}/drafts/{draft}/changes", request_body = service::DraftChange, responses((status = 200, body = service::DraftView), (status = 422, description = "invalid_shift")))]
#[post("/teams/{team}/drafts/{draft}/changes")]
pub async fn change_draft(
    state: State,
    who: Identity,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<service::DraftChange>,
) -> AppResult<HttpResponse> {
    let (team, draft) = path.into_inner();
    let view = service::change_draft(&state, &who, team, draft, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Undoes a draft's last change.
#[utoipa::path(post, path = "/teams/{team}/drafts/{draft}/undo", responses((status = 200, body = service::DraftView), (status = 422, description = "nothing_to_undo")))]
#[post("/teams/{team}/drafts/{draft}/undo")]
pub async fn undo_draft(
    state: State,
    who: Identity,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (team, draft) = path.into_inner();
    let view = service::undo_draft(&state, &who, team, draft).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A reason for publishing over red flags.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// Required when the draft has red flags; kept in the audit log.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Publishes a draft as the team's roster for its period, in one
/// transaction, recording changes as an upload does.
#[utoipa::path(post, path = "/teams/{team}/drafts/{draft}/publish", request_body = PublishBody, responses((status = 200, body = service::Published), (status = 409, description = "conflict: already published"), (status = 422, description = "reason_required")))]
#[post("/teams/{team}/drafts/{draft}/publish")]
pub async fn publish_draft(
    state: State,
    who: Identity,
    path: web::Path<(Uuid, Uuid)>,
    body: Option<web::Json<PublishBody>>,
) -> AppResult<HttpResponse> {
    let (team, draft) = path.into_inner();
    let reason = body.and_then(|b| b.into_inner().reason);
    let published = service::publish_draft(&state, &who, team, draft, reason).await?;
    Ok(HttpResponse::Ok().json(published))
}

/// The request's `Content-Type`, lower-cased (empty when absent): what
/// decides how a roster body is read.
fn content_type(req: &HttpRequest) -> String {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}
