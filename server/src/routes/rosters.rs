//! Roster upload: CSV (`staff_id,start,end[,team,role,activity]`) or
//! iCalendar, read in the force's zone by `mobile_core::roster`.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde_json::json;
use uuid::Uuid;

use super::State;
use super::risk::team_access;
use crate::auth::Identity;
use crate::db::{self, accounts::Force};
use crate::error::{AppError, AppResult};

/// Uploads a roster for a team's members (force admin, FRM lead, or the
/// team's supervisor). `Content-Type: text/csv` or `text/calendar`. A file
/// with any bad line stores nothing and the answer lists every bad line
/// (422 `invalid_roster`, with `errors: [{line, column, message}]`). Every
/// `staff_id` must be a member of the team.
#[utoipa::path(post, path = "/v1/teams/{team}/roster", request_body(content = String, content_type = "text/csv"), responses(
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
    match store_roster(&state, &who, team.into_inner(), &content_type, &body).await? {
        RosterOutcome::Stored {
            shifts_stored,
            format,
        } => Ok(HttpResponse::Created()
            .json(json!({ "shifts_stored": shifts_stored, "format": format }))),
        RosterOutcome::Rejected(errors) => Ok(HttpResponse::UnprocessableEntity()
            .content_type("application/problem+json")
            .json(json!({
                "type": "https://fatigue.invalid/problems/invalid_roster",
                "title": "Unprocessable Entity",
                "status": 422,
                "code": "invalid_roster",
                "detail": format!("{} problem(s) in the roster; nothing was stored", errors.len()),
                "errors": errors,
            }))),
    }
}

/// What an upload did.
#[derive(Debug)]
pub enum RosterOutcome {
    /// Stored.
    Stored {
        /// Duties stored.
        shifts_stored: usize,
        /// `csv` or `ical`.
        format: &'static str,
    },
    /// Nothing stored: every bad line, in line order.
    Rejected(Vec<mobile_core::roster::RosterLineError>),
}

/// Parses and stores a roster for a team (the API's and the dashboard's
/// upload): access check, parse in the force's zone, membership check.
///
/// # Errors
/// Forbidden, not found, `unsupported_media_type`, database errors.
pub async fn store_roster(
    state: &State,
    who: &Identity,
    team: Uuid,
    content_type: &str,
    body: &[u8],
) -> AppResult<RosterOutcome> {
    let force_id = who.force()?;
    let members = team_access(state, who, team).await?.members;
    let force = db::with_platform(&state.pool, move |c| Force::by_id(c, force_id)).await?;
    let zone: chrono_tz::Tz = force
        .time_zone
        .parse()
        .map_err(|_| AppError::internal("force zone"))?;
    let (format, parsed) = if content_type.starts_with("text/calendar") {
        let text = std::str::from_utf8(body)
            .map_err(|_| AppError::invalid("invalid_roster", "not UTF-8"))?;
        (
            "ical",
            mobile_core::roster::icalendar_format::parse(text, zone),
        )
    } else if content_type.starts_with("text/csv") {
        ("csv", mobile_core::roster::csv_format::parse(body, zone))
    } else {
        return Err(AppError::invalid(
            "unsupported_media_type",
            "send text/csv or text/calendar",
        ));
    };
    let mut errors = match &parsed {
        Ok(_) => Vec::new(),
        Err(e) => e.errors.clone(),
    };
    let entries = parsed.unwrap_or_default();
    for e in &entries {
        if !members.contains(&e.staff_id) {
            errors.push(mobile_core::roster::RosterLineError {
                line: e.line,
                column: "staff_id".to_owned(),
                message: "not a member of this team".to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Ok(RosterOutcome::Rejected(errors));
    }
    let audit_who = who.clone();
    let stored = db::with_force(&state.pool, force_id, move |c| {
        let n = db::rosters::store(
            c,
            force_id,
            audit_who.0.sub,
            format,
            &entries,
            zone,
            chrono::Utc::now(),
        )?;
        db::audit::record(
            c,
            Some(force_id),
            &audit_who,
            "upload_roster",
            &format!("team:{team}"),
        )?;
        Ok(n)
    })
    .await?;
    Ok(RosterOutcome::Stored {
        shifts_stored: stored,
        format,
    })
}
