//! FRM reports through the API: the force's schedule, its runs, on-demand
//! reports and their HTML/CSV/JSON renderings (FRM lead only).

use actix_web::{HttpResponse, get, post, put, web};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::State;
use crate::auth::{Identity, Role};
use crate::commands::report::{Format, render};
use crate::db::{self, reports::NewRun, reports::ReportSchedule, reports::RunSummary};
use crate::error::{AppError, AppResult};

fn frm_force(who: &Identity) -> AppResult<Uuid> {
    who.require(&[Role::FrmLead])?;
    who.force()
}

/// The force's report schedule (the default until one is set).
#[utoipa::path(get, path = "/v1/force/report-schedule", responses((status = 200, body = ReportSchedule)))]
#[get("/force/report-schedule")]
pub async fn get_schedule(state: State, who: Identity) -> AppResult<HttpResponse> {
    let force = frm_force(&who)?;
    let s = db::with_force(&state.pool, force, move |c| ReportSchedule::of(c, force)).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Sets the force's report schedule: a 5-field cron expression, an IANA
/// zone and the days each report covers (422 `invalid_schedule` otherwise).
#[utoipa::path(put, path = "/v1/force/report-schedule", request_body = ReportSchedule, responses(
    (status = 200, body = ReportSchedule), (status = 422, body = crate::error::Problem)))]
#[put("/force/report-schedule")]
pub async fn put_schedule(
    state: State,
    who: Identity,
    body: web::Json<ReportSchedule>,
) -> AppResult<HttpResponse> {
    let s = body.into_inner();
    save_schedule(&state, who, s.clone()).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// The force's report runs, newest first.
#[utoipa::path(get, path = "/v1/force/reports", responses((status = 200, body = Vec<RunSummary>)))]
#[get("/force/reports")]
pub async fn list(state: State, who: Identity) -> AppResult<HttpResponse> {
    let force = frm_force(&who)?;
    let runs = db::with_force(&state.pool, force, move |c| RunSummary::list(c, force, 200)).await?;
    Ok(HttpResponse::Ok().json(runs))
}

/// An on-demand report's period.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// First day (local to the force).
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
}

/// Makes and records a report for a period now.
#[utoipa::path(post, path = "/v1/force/reports", request_body = NewReport, responses(
    (status = 201, body = Object), (status = 422, body = crate::error::Problem)))]
#[post("/force/reports")]
pub async fn create(
    state: State,
    who: Identity,
    body: web::Json<NewReport>,
) -> AppResult<HttpResponse> {
    let id = make_report(&state, who, body.from, body.to).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}

/// Builds and records an on-demand report (the API's and the dashboard's).
///
/// # Errors
/// Forbidden but for FRM leads; `invalid_period`; database errors.
pub async fn make_report(
    state: &State,
    who: Identity,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Uuid> {
    let force = frm_force(&who)?;
    let period = analytics::input::Period::new(from, to)
        .map_err(|e| AppError::invalid("invalid_period", e.to_string()))?;
    db::with_force(&state.pool, force, move |c| {
        let report = crate::scheduler::build_force_report(c, force, period)?;
        let id = RunSummary::record(
            c,
            force,
            &NewRun {
                slot: None,
                slots_due: 1,
                report,
            },
        )?;
        db::audit::record(
            c,
            Some(force),
            &who,
            "generate_report",
            &format!("report:{id}"),
        )?;
        Ok(id)
    })
    .await
}

/// Stores the force's schedule, audited (the API's and the dashboard's).
///
/// # Errors
/// Forbidden but for FRM leads; `invalid_schedule`; database errors.
pub async fn save_schedule(
    state: &State,
    who: Identity,
    schedule: ReportSchedule,
) -> AppResult<()> {
    let force = frm_force(&who)?;
    db::with_force(&state.pool, force, move |c| {
        schedule.save(c, force)?;
        db::audit::record(c, Some(force), &who, "set_report_schedule", "force")
    })
    .await
}

/// Which rendering.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `html`, `csv` or `json` (default).
    pub format: Option<String>,
}

/// One recorded report, rendered from its stored figures.
#[utoipa::path(get, path = "/v1/force/reports/{id}", params(FormatQuery), responses((status = 200), (status = 404, body = crate::error::Problem)))]
#[get("/force/reports/{id}")]
pub async fn show(
    state: State,
    who: Identity,
    id: web::Path<Uuid>,
    q: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let force = frm_force(&who)?;
    let (format, content_type) = match q.format.as_deref().unwrap_or("json") {
        "html" => (Format::Html, "text/html; charset=utf-8"),
        "csv" => (Format::Csv, "text/csv; charset=utf-8"),
        "json" => (Format::Json, "application/json"),
        _ => {
            return Err(AppError::invalid(
                "invalid_format",
                "format: html, csv or json",
            ));
        }
    };
    let id = id.into_inner();
    let report = db::with_force(&state.pool, force, move |c| {
        RunSummary::report(c, force, id)
    })
    .await?;
    let body = render(&report, format).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok().content_type(content_type).body(body))
}
