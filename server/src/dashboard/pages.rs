//! The dashboard's pages, one handler per page or form.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::multipart::{self, Part};
use super::{DashError, PageResult, Session, Templates, html, see_other, session_cookie};
use crate::auth::Role;
use crate::db::{
    self, accounts::Force, accounts::PolicingFunction, accounts::Team, reports::ReportSchedule,
    reports::RunSummary,
};
use crate::error::AppError;
use crate::routes::State;
use crate::routes::risk::{ProposedShift, WhatIf, compute_what_if, load_team_risk};
use crate::routes::rosters::{RosterOutcome, store_roster};
use mobile_core::period::Period;

/// Longest period the heat map shows, days.
const HEAT_MAP_DAYS: i64 = 28;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/dashboard")
            .route("", web::get().to(home))
            .route("/", web::get().to(home))
            .route("/sign-in", web::get().to(sign_in_page))
            .route("/sign-in", web::post().to(sign_in))
            .route("/sign-out", web::post().to(sign_out))
            .route("/teams", web::get().to(teams))
            .route("/teams/{team}", web::get().to(team))
            .route("/teams/{team}/what-if", web::post().to(what_if))
            .route("/reports", web::get().to(reports))
            .route("/reports/schedule", web::post().to(save_schedule))
            .route("/reports/generate", web::post().to(generate_report))
            .route("/reports/{run}/report.{format}", web::get().to(report_file))
            .route("/npws", web::get().to(npws))
            .route("/npws/overview.csv", web::get().to(npws_csv))
            .route("/admin", web::get().to(admin))
            .route("/admin/enrolment-code", web::post().to(enrolment_code))
            .route("/admin/teams", web::post().to(create_team))
            .route("/admin/members", web::post().to(team_members))
            .route("/admin/roster", web::post().to(upload_roster)),
    );
}

async fn session(state: &State, req: &HttpRequest) -> Result<Session, DashError> {
    Session::from_request(state, req).await
}

async fn home(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = session(&state, &req).await?;
    let force = match s.who.0.force {
        Some(f) => Some(
            db::with_platform(&state.pool, move |c| Force::by_id(c, f))
                .await?
                .name,
        ),
        None => None,
    };
    Ok(html(
        tpl.render("home.html", context! { nav => s.nav(), force })?,
    ))
}

async fn sign_in_page(tpl: web::Data<Templates>) -> PageResult {
    Ok(html(tpl.render("sign_in.html", context! {})?))
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    #[serde(default)]
    force: String,
    username: String,
    password: String,
}

async fn sign_in(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<SignInForm>,
) -> PageResult {
    let form = form.into_inner();
    let force = form.force.trim().to_owned();
    let body = crate::routes::auth::LoginRequest {
        force: (!force.is_empty()).then(|| force.clone()),
        username: form.username.trim().to_owned(),
        password: form.password,
    };
    match crate::routes::auth::password_sign_in(&state, &req, body).await {
        Ok(token) => {
            let claims = state.keys.verify(&token)?;
            if claims.role == Role::Officer {
                return Err(DashError::App(AppError::Forbidden));
            }
            let mut resp = see_other("/dashboard");
            resp.headers_mut().insert(
                actix_web::http::header::SET_COOKIE,
                session_cookie(&token, state.keys.ttl_seconds()),
            );
            Ok(resp)
        }
        Err(e @ (AppError::InvalidCredentials | AppError::RateLimited)) => {
            let message = match e {
                AppError::RateLimited => "Too many attempts. Wait a minute and try again.",
                _ => "The force, username or password is not right.",
            };
            let page = tpl.render(
                "sign_in.html",
                context! { error => message, force, username => form.username },
            )?;
            Ok(HttpResponse::Unauthorized()
                .content_type("text/html; charset=utf-8")
                .body(page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn sign_out(state: State, req: HttpRequest, form: web::Form<CsrfForm>) -> PageResult {
    Session::from_form(&state, &req, &form.csrf).await?;
    let mut resp = see_other("/dashboard/sign-in");
    resp.headers_mut()
        .insert(actix_web::http::header::SET_COOKIE, session_cookie("", 0));
    Ok(resp)
}

async fn teams(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = session(&state, &req).await?;
    s.who
        .require(&[Role::Supervisor, Role::FrmLead, Role::ForceAdmin])?;
    let force = s.who.force()?;
    let supervisor = (s.who.0.role == Role::Supervisor).then_some(s.who.0.sub);
    let list = db::with_force(&state.pool, force, move |c| {
        Team::list(c, force, supervisor)
    })
    .await?;
    Ok(html(tpl.render(
        "teams.html",
        context! { nav => s.nav(), teams => list },
    )?))
}

#[derive(Debug, Deserialize)]
struct PeriodQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// One heat-map cell: the day's highest Fatigue Index among the officer's
/// shifts starting that day, against its threshold.
#[derive(Debug, Serialize)]
struct Cell {
    fi: Option<String>,
    level: &'static str,
    label: String,
}

#[derive(Debug, Serialize)]
struct FlagRow {
    staff: String,
    start: String,
    code: String,
    severity: String,
    detail: String,
}

#[derive(Debug, Serialize)]
struct ShiftOption {
    value: String,
    label: String,
}

fn local(t: DateTime<chrono::FixedOffset>) -> String {
    t.format("%a %d %b %H:%M").to_string()
}

async fn team(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<Uuid>,
    q: web::Query<PeriodQuery>,
) -> PageResult {
    let s = session(&state, &req).await?;
    let team_id = path.into_inner();
    let today = Utc::now().date_naive();
    let from = q.from.unwrap_or(today);
    let to =
        q.to.unwrap_or(from + Duration::days(13))
            .min(from + Duration::days(HEAT_MAP_DAYS - 1));
    let period = Period { from, to };
    let risk = load_team_risk(&state, &s.who, team_id, &period).await?;
    let force = s.who.force()?;
    let name = db::with_force(&state.pool, force, move |c| Team::find(c, force, team_id))
        .await?
        .name;
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let mut rows = Vec::new();
    let mut flags = Vec::new();
    let mut shift_options = Vec::new();
    for officer in &risk.officers {
        let mut by_day: BTreeMap<NaiveDate, (f64, f64)> = BTreeMap::new();
        for sh in &officer.assessment.shifts {
            let day = sh.start.date_naive();
            let e = by_day
                .entry(day)
                .or_insert((sh.fatigue_index, sh.fatigue_index_threshold));
            if sh.fatigue_index > e.0 {
                *e = (sh.fatigue_index, sh.fatigue_index_threshold);
            }
            for f in &sh.flags {
                flags.push(FlagRow {
                    staff: officer.staff_number.clone(),
                    start: local(sh.start),
                    code: f.code.clone(),
                    severity: serde_json::to_value(f.severity)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    detail: f.detail.clone(),
                });
            }
            shift_options.push(ShiftOption {
                value: format!(
                    "{}|{}",
                    officer.staff_number,
                    sh.start.with_timezone(&Utc).to_rfc3339()
                ),
                label: format!("{}: {}", officer.staff_number, local(sh.start)),
            });
        }
        let cells: Vec<Cell> = days
            .iter()
            .map(|d| match by_day.get(d) {
                None => Cell {
                    fi: None,
                    level: "rest",
                    label: "no shift".to_owned(),
                },
                Some((fi, threshold)) => {
                    let level = if fi > threshold {
                        "high"
                    } else if *fi > threshold * 0.75 {
                        "raised"
                    } else {
                        "low"
                    };
                    Cell {
                        fi: Some(format!("{fi:.0}")),
                        level,
                        label: format!("Fatigue Index {fi:.0}, threshold {threshold:.0}: {level}"),
                    }
                }
            })
            .collect();
        rows.push(context! {
            staff => officer.staff_number,
            cells,
            risk_index => officer.assessment.risk_index.map(|r| format!("{r:.2}")),
        });
    }
    let day_labels: Vec<String> = days.iter().map(|d| d.format("%a %d").to_string()).collect();
    Ok(html(tpl.render(
        "team.html",
        context! {
            nav => s.nav(), team_id, name, from, to, days => day_labels, rows, flags,
            shift_options, members => risk.officers.iter().map(|o| o.staff_number.clone()).collect::<Vec<_>>(),
        },
    )?))
}

#[derive(Debug, Deserialize)]
struct WhatIfForm {
    csrf: String,
    staff_number: String,
    from: NaiveDate,
    to: NaiveDate,
    #[serde(default)]
    remove: String,
    #[serde(default)]
    add_start: String,
    #[serde(default)]
    add_end: String,
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`) in the force's zone.
fn local_input(value: &str, zone: chrono_tz::Tz) -> Result<DateTime<Utc>, DashError> {
    NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M")
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

async fn what_if(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<Uuid>,
    form: web::Form<WhatIfForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let form = form.into_inner();
    let force = s.who.force()?;
    let zone_name = db::with_platform(&state.pool, move |c| Force::by_id(c, force))
        .await?
        .time_zone;
    let zone: chrono_tz::Tz = zone_name
        .parse()
        .map_err(|_| AppError::internal("force zone"))?;
    let mut remove = Vec::new();
    if let Some((staff, start)) = form.remove.split_once('|')
        && staff == form.staff_number
    {
        remove.push(
            DateTime::parse_from_rfc3339(start)
                .map_err(|_| AppError::invalid("invalid_shift", "unknown shift"))?
                .with_timezone(&Utc),
        );
    }
    let mut add = Vec::new();
    if !form.add_start.trim().is_empty() {
        add.push(ProposedShift {
            start: local_input(&form.add_start, zone)?,
            end: local_input(&form.add_end, zone)?,
        });
    }
    let team_id = path.into_inner();
    let answer = compute_what_if(
        &state,
        &s.who,
        team_id,
        WhatIf {
            staff_number: form.staff_number.clone(),
            from: form.from,
            to: form.to,
            remove,
            add,
        },
    )
    .await?;
    let side = |a: &mobile_core::roster::assess::RosterAssessment| {
        a.shifts
            .iter()
            .map(|sh| {
                context! {
                    start => local(sh.start), end => local(sh.end),
                    fi => format!("{:.0}", sh.fatigue_index),
                    threshold => format!("{:.0}", sh.fatigue_index_threshold),
                    over => sh.fatigue_index > sh.fatigue_index_threshold,
                    flags => sh.flags.iter().map(|f| f.code.clone()).collect::<Vec<_>>().join(", "),
                }
            })
            .collect::<Vec<_>>()
    };
    Ok(html(tpl.render(
        "team.html",
        context! {
            nav => s.nav(), team_id, name => "What-if", from => form.from, to => form.to,
            what_if => context! {
                staff => form.staff_number,
                before => side(&answer.before), after => side(&answer.after),
                before_ri => answer.before.risk_index.map(|r| format!("{r:.2}")),
                after_ri => answer.after.risk_index.map(|r| format!("{r:.2}")),
            },
        },
    )?))
}

/// The latest report's trend: a table (period x headline figure) and, for
/// the figures that are percentages, the analytics crate's SVG bar charts.
fn trend_view(r: &analytics::report::Report) -> (Vec<minijinja::Value>, Vec<minijinja::Value>) {
    let cell_of = |p: &analytics::report::TrendPoint, table: &str, column: &str| {
        p.figures
            .iter()
            .find(|f| f.table == table && f.column == column)
            .map(|f| f.cell.clone())
    };
    let rows = r
        .trend
        .iter()
        .map(|p| {
            let cells: Vec<String> = analytics::report::TREND_FIGURES
                .iter()
                .map(|(table, column)| match cell_of(p, table, column) {
                    Some(c) if c.suppressed => "[c]".to_owned(),
                    Some(c) => match (c.value, c.percent) {
                        (Some(v), Some(pc)) => format!("{v} ({}%)", pc.value),
                        (Some(v), None) => v.to_string(),
                        _ => "–".to_owned(),
                    },
                    None => "–".to_owned(),
                })
                .collect();
            context! { period => format!("{} to {}", p.period.from, p.period.to), cells }
        })
        .collect();
    let charts = analytics::report::TREND_FIGURES
        .iter()
        .filter_map(|(table, column)| {
            let bars: Vec<(String, Option<rust_decimal::Decimal>)> = r
                .trend
                .iter()
                .map(|p| {
                    let pc = cell_of(p, table, column)
                        .and_then(|c| c.percent)
                        .map(|pc| pc.value);
                    (format!("{} to {}", p.period.from, p.period.to), pc)
                })
                .collect();
            let title = format!("{column}: percentage by period");
            bars.iter().any(|(_, v)| v.is_some()).then(|| {
                let svg = analytics::render::bar_chart(&title, &bars);
                context! { svg, title }
            })
        })
        .collect();
    (rows, charts)
}

fn require_frm(s: &Session) -> Result<Uuid, DashError> {
    s.who.require(&[Role::FrmLead])?;
    Ok(s.who.force()?)
}

async fn reports(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = session(&state, &req).await?;
    let force = require_frm(&s)?;
    let (schedule, runs, latest) = db::with_force(&state.pool, force, move |c| {
        let runs = RunSummary::list(c, force, 50)?;
        let latest = match runs.first() {
            Some(r) => Some(RunSummary::report(c, force, r.id)?),
            None => None,
        };
        Ok((ReportSchedule::of(c, force)?, runs, latest))
    })
    .await?;
    let next = schedule
        .validate()
        .ok()
        .and_then(|sc| sc.next_after(Utc::now()))
        .map(|t| t.to_rfc3339());
    let (trend_rows, trend_charts) = latest.as_ref().map(trend_view).unwrap_or_default();
    let today = Utc::now().date_naive();
    Ok(html(tpl.render(
        "reports.html",
        context! {
            nav => s.nav(), schedule, runs, next, trend_rows, trend_charts,
            trend_heads => analytics::report::TREND_FIGURES.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
            default_from => today - Duration::days(7), default_to => today - Duration::days(1),
        },
    )?))
}

#[derive(Debug, Deserialize)]
struct ScheduleForm {
    csrf: String,
    cron: String,
    time_zone: String,
    period_days: i32,
}

async fn save_schedule(
    state: State,
    req: HttpRequest,
    form: web::Form<ScheduleForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let form = form.into_inner();
    let schedule = ReportSchedule {
        cron: form.cron.trim().to_owned(),
        time_zone: form.time_zone.trim().to_owned(),
        period_days: form.period_days,
    };
    crate::routes::reports::save_schedule(&state, s.who.clone(), schedule).await?;
    Ok(see_other("/dashboard/reports"))
}

#[derive(Debug, Deserialize)]
struct GenerateForm {
    csrf: String,
    from: NaiveDate,
    to: NaiveDate,
}

async fn generate_report(
    state: State,
    req: HttpRequest,
    form: web::Form<GenerateForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let run =
        crate::routes::reports::make_report(&state, s.who.clone(), form.from, form.to).await?;
    Ok(see_other(&format!("/dashboard/reports/{run}/report.html")))
}

async fn report_file(
    state: State,
    req: HttpRequest,
    path: web::Path<(Uuid, String)>,
) -> PageResult {
    let s = session(&state, &req).await?;
    let force = require_frm(&s)?;
    let (run, format) = path.into_inner();
    let (format, content_type) = match format.as_str() {
        "html" => (
            crate::commands::report::Format::Html,
            "text/html; charset=utf-8",
        ),
        "csv" => (
            crate::commands::report::Format::Csv,
            "text/csv; charset=utf-8",
        ),
        "json" => (crate::commands::report::Format::Json, "application/json"),
        _ => return Err(AppError::NotFound.into()),
    };
    let report = db::with_force(&state.pool, force, move |c| {
        RunSummary::report(c, force, run)
    })
    .await?;
    let body = crate::commands::report::render(&report, format).map_err(AppError::internal)?;
    let mut resp = HttpResponse::Ok();
    resp.content_type(content_type);
    if content_type != "text/html; charset=utf-8" {
        resp.insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"report-{}-{}.{}\"",
                report.meta.period.from,
                report.meta.period.to,
                path_ext(format)
            ),
        ));
    }
    Ok(resp.body(body))
}

fn path_ext(f: crate::commands::report::Format) -> &'static str {
    match f {
        crate::commands::report::Format::Html => "html",
        crate::commands::report::Format::Csv => "csv",
        crate::commands::report::Format::Json => "json",
    }
}

async fn npws(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = session(&state, &req).await?;
    let rows = crate::routes::npws::load_overview(&state, s.who.clone()).await?;
    Ok(html(
        tpl.render("npws.html", context! { nav => s.nav(), rows })?,
    ))
}

async fn npws_csv(state: State, req: HttpRequest) -> PageResult {
    let s = session(&state, &req).await?;
    let rows = crate::routes::npws::load_overview(&state, s.who.clone()).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let cell = |v: Option<i64>| v.map_or_else(|| "suppressed".to_owned(), |n| n.to_string());
    let mut write = || -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        w.write_record(["force", "enrolled", "sharing_sleep", "sharing_check_ins"])?;
        for r in &rows {
            w.write_record([
                r.force_slug.clone(),
                cell(r.enrolled),
                cell(r.sharing_sleep),
                cell(r.sharing_check_ins),
            ])?;
        }
        w.flush()?;
        Ok(w.get_ref().clone())
    };
    let body = write().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"npws-overview.csv\"",
        ))
        .body(body))
}

async fn admin_page(
    state: &State,
    s: &Session,
    tpl: &Templates,
    extra: minijinja::Value,
) -> PageResult {
    s.who.require(&[Role::ForceAdmin])?;
    let force = s.who.force()?;
    let list = db::with_force(&state.pool, force, move |c| Team::list(c, force, None)).await?;
    let functions: Vec<&str> = PolicingFunction::ALL.iter().map(|f| f.as_str()).collect();
    Ok(html(tpl.render(
        "admin.html",
        context! { nav => s.nav(), teams => list, functions, ..extra },
    )?))
}

/// The admin page again with the outcome of a team form: a notice, or the
/// API's message for input the admin can fix (nothing was changed).
async fn team_outcome(
    state: &State,
    s: &Session,
    tpl: &Templates,
    outcome: Result<Team, AppError>,
) -> PageResult {
    let team_result = match outcome {
        Ok(team) => context! { saved => team.name },
        Err(AppError::NotFound) => context! { error => "That team is not in your force." },
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            context! { error => e.to_string() }
        }
        Err(e) => return Err(e.into()),
    };
    admin_page(state, s, tpl, context! { team_result }).await
}

#[derive(Debug, Deserialize)]
struct TeamForm {
    csrf: String,
    name: String,
    #[serde(default)]
    command: String,
    policing_function: PolicingFunction,
}

async fn create_team(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<TeamForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let form = form.into_inner();
    let command = form.command.trim().to_owned();
    let new = crate::routes::force::NewTeam {
        name: form.name.trim().to_owned(),
        command: (!command.is_empty()).then_some(command),
        policing_function: Some(form.policing_function),
    };
    let outcome = crate::routes::force::add_team(&state, s.who.clone(), new).await;
    team_outcome(&state, &s, &tpl, outcome).await
}

#[derive(Debug, Deserialize)]
struct MembersForm {
    csrf: String,
    team: Uuid,
    staff_numbers: String,
}

async fn team_members(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<MembersForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    // One staff number per line or separated by commas or spaces.
    let staff: Vec<String> = form
        .staff_numbers
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let outcome =
        crate::routes::force::replace_members(&state, s.who.clone(), form.team, staff).await;
    team_outcome(&state, &s, &tpl, outcome).await
}

async fn admin(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = session(&state, &req).await?;
    admin_page(&state, &s, &tpl, context! {}).await
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    csrf: String,
    staff_number: String,
}

async fn enrolment_code(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<CodeForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let staff = form.staff_number.trim().to_owned();
    let (code, expires) =
        crate::routes::force::issue_enrolment_code(&state, s.who.clone(), staff.clone()).await?;
    let issued =
        context! { staff, code, expires => expires.format("%d %b %Y %H:%M UTC").to_string() };
    admin_page(&state, &s, &tpl, context! { issued }).await
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
    let boundary = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary)
        .ok_or_else(|| invalid(multipart::MultipartError::NoBoundary.to_string()))?;
    let parts = multipart::parse(&body, &boundary).map_err(|e| invalid(e.to_string()))?;
    let field = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
            .unwrap_or_default()
    };
    let s = Session::from_form(&state, &req, &field("csrf")).await?;
    s.who.require(&[Role::ForceAdmin])?;
    let team: Uuid = field("team")
        .parse()
        .map_err(|_| invalid("choose a team".to_owned()))?;
    let sent = roster_from_form(&parts);
    if sent.data.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            "choose a roster file or paste the roster".to_owned(),
        ));
    }
    let outcome = store_roster(&state, &s.who, team, sent.content_type, &sent.data).await?;
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
