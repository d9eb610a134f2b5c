//! FRM reports through the API: the force's schedule, its runs, on-demand
//! reports and their HTML/CSV/JSON renderings (FRM lead only).

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::service::{self, Format, RUNS_LISTED, ReportSchedule, render};
use super::store::RunSummary;
use crate::app::State;
use crate::auth::Identity;
use crate::error::{AppError, AppResult, Problem};

/// A recorded report run, without its figures.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunBody {
    /// Id.
    pub id: Uuid,
    /// The scheduled slot it stands for (none for on-demand runs).
    pub slot: Option<DateTime<Utc>>,
    /// Slots it stood for (more than 1: runs were missed while down).
    pub slots_due: i32,
    /// First day covered.
    pub period_from: NaiveDate,
    /// Last day covered.
    pub period_to: NaiveDate,
    /// `scheduled` or `manual`.
    pub trigger: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl From<RunSummary> for RunBody {
    fn from(r: RunSummary) -> Self {
        Self {
            id: r.id,
            slot: r.slot,
            slots_due: r.slots_due,
            period_from: r.period_from,
            period_to: r.period_to,
            trigger: r.trigger,
            created_at: r.created_at,
        }
    }
}

/// The force's report schedule (the default until one is set).
#[utoipa::path(get, path = "/force/report-schedule", responses((status = 200, body = ReportSchedule)))]
#[get("/force/report-schedule")]
pub async fn get_schedule(state: State, who: Identity) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::schedule(&state, &who).await?))
}

/// Sets the force's report schedule: a 5-field cron expression, an IANA
/// zone and the days each report covers (422 `invalid_schedule` otherwise).
#[utoipa::path(put, path = "/force/report-schedule", request_body = ReportSchedule, responses(
    (status = 200, body = ReportSchedule), (status = 422, body = Problem)))]
#[put("/force/report-schedule")]
pub async fn put_schedule(
    state: State,
    who: Identity,
    body: web::Json<ReportSchedule>,
) -> AppResult<HttpResponse> {
    let s = body.into_inner();
    service::save_schedule(&state, &who, s.clone()).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// The force's report runs, newest first.
#[utoipa::path(get, path = "/force/reports", responses((status = 200, body = Vec<RunBody>)))]
#[get("/force/reports")]
pub async fn list(state: State, who: Identity) -> AppResult<HttpResponse> {
    let runs = service::runs(&state, &who, RUNS_LISTED).await?;
    Ok(HttpResponse::Ok().json(runs.into_iter().map(RunBody::from).collect::<Vec<_>>()))
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
#[utoipa::path(post, path = "/force/reports", request_body = NewReport, responses(
    (status = 201, body = Object), (status = 422, body = Problem)))]
#[post("/force/reports")]
pub async fn create(
    state: State,
    who: Identity,
    body: web::Json<NewReport>,
) -> AppResult<HttpResponse> {
    let id = service::make_report(&state, &who, body.from, body.to).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}

/// Which rendering.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `html`, `csv` or `json` (default).
    pub format: Option<String>,
}

/// One recorded report, rendered from its stored figures.
#[utoipa::path(get, path = "/force/reports/{id}", params(FormatQuery), responses((status = 200), (status = 404, body = Problem)))]
#[get("/force/reports/{id}")]
pub async fn show(
    state: State,
    who: Identity,
    id: web::Path<Uuid>,
    q: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    service::frm_force(&who)?;
    let format = Format::from_name(q.format.as_deref().unwrap_or("json"))
        .ok_or_else(|| AppError::invalid("invalid_format", "format: html, csv or json"))?;
    let report = service::recorded(&state, &who, id.into_inner()).await?;
    let body = render(&report, format).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .body(body))
}
