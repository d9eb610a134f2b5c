//! The dashboard's roster pages: the upload on the force admin's page (a CSV
//! or iCalendar file, or pasted text) and the draft roster page.

use actix_web::{HttpRequest, web};
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::Deserialize;
use uuid::Uuid;

use super::service::{self, DraftChange, DraftSource, DraftStart, DraftView, RosterOutcome};
use crate::accounts::service::{own_force, team_access};
use crate::app::State;
use crate::auth::Role;
use crate::dashboard::multipart::{self, Part};
use crate::dashboard::roster_view::{officer_view, sort_by_risk};
use crate::dashboard::{DashError, PageResult, Session, Templates, admin_page, html, see_other};
use crate::error::AppError;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/admin/roster", web::post().to(upload_roster))
        .route(
            "/dashboard/teams/{team}/drafts",
            web::post().to(start_draft),
        )
        .route(
            "/dashboard/teams/{team}/drafts/{draft}",
            web::get().to(show_draft),
        )
        .route(
            "/dashboard/teams/{team}/drafts/{draft}/changes",
            web::post().to(change_draft),
        )
        .route(
            "/dashboard/teams/{team}/drafts/{draft}/undo",
            web::post().to(undo_draft),
        )
        .route(
            "/dashboard/teams/{team}/drafts/{draft}/publish",
            web::post().to(publish_draft),
        );
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
    let (s, form) = multipart::signed_form(&state, &req, body, &[Role::ForceAdmin]).await?;
    let field = |name: &str| form.text(name);
    let team: Uuid = field("team")
        .parse()
        .map_err(|_| invalid("choose a team".to_owned()))?;
    let sent = roster_from_form(&form.parts);
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

fn draft_path(team: Uuid, draft: Uuid) -> String {
    format!("/dashboard/teams/{team}/drafts/{draft}")
}

/// Starts a draft from the team page: a roster file, or (none chosen) a
/// copy of the published roster.
async fn start_draft(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> PageResult {
    let invalid = |m: String| DashError::App(AppError::invalid("invalid_form", m));
    let (s, form) =
        multipart::signed_form(&state, &req, body, &[Role::Supervisor, Role::FrmLead]).await?;
    let field = |name: &str| form.text(name);
    let date = |name: &str| {
        field(name)
            .parse::<chrono::NaiveDate>()
            .map_err(|_| invalid(format!("choose the {name} day")))
    };
    let period = mobile_core::period::Period {
        from: date("from")?,
        to: date("to")?,
    };
    let team = path.into_inner();
    let sent = roster_from_form(&form.parts);
    let source = if sent.data.iter().all(u8::is_ascii_whitespace) {
        DraftSource::Published
    } else {
        DraftSource::File {
            content_type: sent.content_type,
            body: &sent.data,
        }
    };
    match service::start_draft(&state, &s.who, team, period, source).await? {
        DraftStart::Started(view) => Ok(see_other(&draft_path(team, view.id))),
        DraftStart::Rejected(errors) => Ok(html(tpl.render(
            "draft.html",
            context! { nav => s.nav(), team_id => team, errors, source => sent.source },
        )?)),
    }
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`) in the force's zone.
fn local_input(value: &str, zone: chrono_tz::Tz) -> Result<DateTime<Utc>, DashError> {
    use chrono::TimeZone;
    chrono::NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|n| zone.from_local_datetime(&n).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            DashError::App(AppError::invalid(
                "invalid_shift",
                format!("`{value}` is not a date and time"),
            ))
        })
}

/// A duty chosen from the page's list: `staff|start (RFC 3339)`.
fn chosen(value: &str) -> Result<(String, DateTime<Utc>), DashError> {
    value
        .split_once('|')
        .and_then(|(staff, start)| {
            DateTime::parse_from_rfc3339(start)
                .ok()
                .map(|t| (staff.to_owned(), t.with_timezone(&Utc)))
        })
        .ok_or_else(|| DashError::App(AppError::invalid("invalid_shift", "choose a duty")))
}

/// The page's change forms, one `op` each.
#[derive(Debug, Deserialize)]
struct ChangeForm {
    csrf: String,
    op: String,
    #[serde(default)]
    shift: String,
    #[serde(default)]
    with_shift: String,
    #[serde(default)]
    staff: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    date: String,
}

async fn change_draft(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<(Uuid, Uuid)>,
    form: web::Form<ChangeForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let (team, draft) = path.into_inner();
    let zone = own_force(&state, &s.who).await?.zone();
    let f = form.into_inner();
    let change = match f.op.as_str() {
        "swap" => {
            let (staff_number, start) = chosen(&f.shift)?;
            let (with_staff_number, with_start) = chosen(&f.with_shift)?;
            DraftChange::Swap {
                staff_number,
                start,
                with_staff_number,
                with_start,
            }
        }
        "move" => {
            let (staff_number, start) = chosen(&f.shift)?;
            DraftChange::Move {
                staff_number,
                start,
                new_start: local_input(&f.start, zone)?,
                new_end: local_input(&f.end, zone)?,
                to_staff_number: (!f.staff.is_empty()).then_some(f.staff),
            }
        }
        "add" => DraftChange::Add {
            staff_number: f.staff,
            start: local_input(&f.start, zone)?,
            end: local_input(&f.end, zone)?,
        },
        "remove" => {
            let (staff_number, start) = chosen(&f.shift)?;
            DraftChange::Remove {
                staff_number,
                start,
            }
        }
        "rest_day" => DraftChange::RestDay {
            staff_number: f.staff,
            date: f
                .date
                .parse()
                .map_err(|_| DashError::App(AppError::invalid("invalid_shift", "choose a day")))?,
        },
        _ => {
            return Err(DashError::App(AppError::invalid(
                "invalid_form",
                "unknown change",
            )));
        }
    };
    match service::change_draft(&state, &s.who, team, draft, change).await {
        Ok(_) => Ok(see_other(&draft_path(team, draft))),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            draft_page(&state, &s, &tpl, team, draft, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn undo_draft(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<(Uuid, Uuid)>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let (team, draft) = path.into_inner();
    match service::undo_draft(&state, &s.who, team, draft).await {
        Ok(_) => Ok(see_other(&draft_path(team, draft))),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            draft_page(&state, &s, &tpl, team, draft, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct PublishForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn publish_draft(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<(Uuid, Uuid)>,
    form: web::Form<PublishForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let (team, draft) = path.into_inner();
    let reason = Some(form.into_inner().reason);
    match service::publish_draft(&state, &s.who, team, draft, reason).await {
        Ok(_) => Ok(see_other(&draft_path(team, draft))),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            draft_page(&state, &s, &tpl, team, draft, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn show_draft(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<(Uuid, Uuid)>,
) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let (team, draft) = path.into_inner();
    draft_page(&state, &s, &tpl, team, draft, None).await
}

/// One indicator, published and drafted.
#[derive(Debug, serde::Serialize)]
struct Figure {
    published: String,
    draft: String,
    changed: bool,
}

fn figure(published: String, draft: String) -> Figure {
    Figure {
        changed: published != draft,
        published,
        draft,
    }
}

fn level_word(l: analytics::indicators::Level) -> &'static str {
    match l {
        analytics::indicators::Level::Within => "",
        analytics::indicators::Level::Amber => " (amber)",
        analytics::indicators::Level::Red => " (red)",
    }
}

/// The draft page: both sides' figures, the heat maps, the changes and
/// publishing. `error`: why the last form was refused.
async fn draft_page(
    state: &State,
    s: &Session,
    tpl: &Templates,
    team: Uuid,
    draft: Uuid,
    error: Option<String>,
) -> PageResult {
    let view: DraftView = service::draft(state, &s.who, team, draft).await?;
    let name = team_access(state, &s.who, team).await?.name;
    let c = &view.comparison;
    let days: Vec<chrono::NaiveDate> = c
        .period
        .from
        .iter_days()
        .take_while(|d| *d <= c.period.to)
        .collect();
    let mut draft_rows = Vec::new();
    let mut published_rows = Vec::new();
    let mut indicators = Vec::new();
    let mut duties = Vec::new();
    for o in &c.officers {
        draft_rows.push(officer_view(
            "draft",
            &o.staff_number,
            &o.draft.assessment,
            &days,
            &o.added,
        ));
        published_rows.push(officer_view(
            "published",
            &o.staff_number,
            &o.published.assessment,
            &days,
            &[],
        ));
        let (p, d) = (&o.published, &o.draft);
        let ratio = |x: Option<f64>| x.map_or("–".to_owned(), |r| format!("{:.0}%", r * 100.0));
        indicators.push(context! {
            staff => o.staff_number, changed => o.changed(),
            highest => figure(ratio(p.highest_fi_ratio), ratio(d.highest_fi_ratio)),
            red => figure(p.red_flags.to_string(), d.red_flags.to_string()),
            quick => figure(
                format!("{} ({} red){}", p.quick_returns, p.quick_returns_red, level_word(p.quick_return_level)),
                format!("{} ({} red){}", d.quick_returns, d.quick_returns_red, level_word(d.quick_return_level))),
            nights => figure(
                format!("{}{}", p.longest_night_run, level_word(p.night_run_level)),
                format!("{}{}", d.longest_night_run, level_word(d.night_run_level))),
            rest => figure(
                format!("{}{}", p.weeks_without_weekly_rest, level_word(p.weekly_rest_level)),
                format!("{}{}", d.weeks_without_weekly_rest, level_word(d.weekly_rest_level))),
            average => figure(
                format!("{:.1} h{}", p.average_week_hours, level_word(p.average_week_level)),
                format!("{:.1} h{}", d.average_week_hours, level_word(d.average_week_level))),
        });
        for sh in &d.assessment.shifts {
            duties.push(context! {
                value => format!("{}|{}", o.staff_number, sh.start.with_timezone(&Utc).to_rfc3339()),
                label => format!("{}: {}", o.staff_number, sh.start.format("%a %d %b %H:%M")),
            });
        }
    }
    sort_by_risk(&mut draft_rows);
    sort_by_risk(&mut published_rows);
    let ri = |r: Option<f64>| r.map_or("–".to_owned(), |r| format!("{r:.2}"));
    let day_labels: Vec<String> = days.iter().map(|d| d.format("%a %d").to_string()).collect();
    let members: Vec<String> = c.officers.iter().map(|o| o.staff_number.clone()).collect();
    Ok(html(tpl.render(
        "draft.html",
        context! {
            nav => s.nav(), team_id => team, name, draft => view.id,
            from => c.period.from, to => c.period.to,
            published_at => view.published_at.map(|t| t.to_rfc3339()),
            publish_reason => view.publish_reason,
            team_ri => figure(ri(c.published_risk_index), ri(c.draft_risk_index)),
            red_flags => figure(c.published_red_flags.to_string(), c.draft_red_flags.to_string()),
            draft_red => c.draft_red_flags,
            days => day_labels, draft_rows, published_rows, indicators, duties, members,
            history => view.history.iter().map(|h| context! {
                version => h.version, change => h.change.clone(),
                at => h.made_at.format("%d %b %H:%M UTC").to_string(),
            }).collect::<Vec<_>>(),
            error,
        },
    )?))
}
