//! The dashboard's roster upload on the force admin's page: a CSV or
//! iCalendar file, or pasted text.

use actix_web::{HttpRequest, web};
use minijinja::context;
use uuid::Uuid;

use super::service::{self, RosterOutcome};
use crate::app::State;
use crate::auth::Role;
use crate::dashboard::multipart::{self, Part};
use crate::dashboard::{DashError, PageResult, Session, Templates, admin_page};
use crate::error::AppError;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/admin/roster", web::post().to(upload_roster));
}

/// A roster as sent from the admin form.
struct SentRoster {
    /// `text/csv` or `text/calendar`.
    content_type: &'static str,
    /// The bytes.
    data: Vec<u8>,
    /// The pasted text, to show again with its errors (empty for a file).
    pasted: String,
    /// Where it came from, for the errors: the file's name or "the pasted roster".
    source: String,
}

/// The roster a force admin sent: a chosen file (CSV, or iCalendar by its
/// `.ics` name or `text/calendar` type) wins over the pasted text.
fn roster_from_form(parts: &[Part]) -> SentRoster {
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).into_owned())
            .unwrap_or_default()
    };
    match parts
        .iter()
        .find(|p| p.name == "roster_file" && !p.data.is_empty())
    {
        Some(f) => {
            let ics = f
                .filename
                .as_deref()
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(".ics"))
                || f.content_type
                    .as_deref()
                    .is_some_and(|c| c.starts_with("text/calendar"));
            SentRoster {
                content_type: if ics { "text/calendar" } else { "text/csv" },
                data: f.data.clone(),
                pasted: String::new(),
                source: f.filename.clone().unwrap_or_else(|| "the file".to_owned()),
            }
        }
        None => {
            let pasted = text("roster");
            SentRoster {
                content_type: "text/csv",
                data: pasted.clone().into_bytes(),
                pasted,
                source: "the pasted roster".to_owned(),
            }
        }
    }
}

async fn upload_roster(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    body: web::Bytes,
) -> PageResult {
    let invalid = |m: String| DashError::App(AppError::invalid("invalid_form", m));
    // Who is asking first: nobody without a session gets a 4 MiB body parsed.
    let s = Session::from_request(&state, &req).await?;
    s.who.require(&[Role::ForceAdmin])?;
    let boundary = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary)
        .ok_or_else(|| invalid(multipart::MultipartError::NoBoundary.to_string()))?;
    // Off the async workers: a large body takes a while to split.
    let parts = web::block(move || multipart::parse(&body, &boundary))
        .await
        .map_err(AppError::from)?
        .map_err(|e| invalid(e.to_string()))?;
    let field = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
            .unwrap_or_default()
    };
    s.check_csrf(&field("csrf"))?;
    let team: Uuid = field("team")
        .parse()
        .map_err(|_| invalid("choose a team".to_owned()))?;
    let sent = roster_from_form(&parts);
    if sent.data.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            "choose a roster file or paste the roster".to_owned(),
        ));
    }
    let outcome =
        service::store_roster(&state, &s.who, team, sent.content_type, &sent.data).await?;
    let result = match outcome {
        RosterOutcome::Stored {
            shifts_stored,
            format,
        } => {
            context! { stored => shifts_stored, format }
        }
        RosterOutcome::Rejected(errors) => {
            context! { errors, roster => sent.pasted, source => sent.source }
        }
    };
    admin_page(
        &state,
        &s,
        &tpl,
        context! { upload => result, upload_team => team },
    )
    .await
}
