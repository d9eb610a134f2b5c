//! Roster upload: CSV (`staff_id,start,end[,team,role,activity]`) or
//! iCalendar, read in the force's zone by `mobile_core::roster`.

use actix_web::{HttpRequest, HttpResponse, post, web};
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
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    match service::store_roster(&state, &who, team.into_inner(), &content_type, &body).await? {
        RosterOutcome::Stored {
            shifts_stored,
            format,
        } => Ok(HttpResponse::Created()
            .json(json!({ "shifts_stored": shifts_stored, "format": format }))),
        RosterOutcome::Rejected(errors) => Err(AppError::InvalidRoster(errors)),
    }
}
