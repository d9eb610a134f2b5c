//! The dashboard's FRM report pages: the schedule, the runs with the
//! latest trend, on-demand reports and their downloads.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, Utc};
use minijinja::context;
use serde::Deserialize;
use uuid::Uuid;

use super::service::{self, Format, ReportSchedule, render};
use crate::app::State;
use crate::dashboard::{PageResult, Session, Templates, html, see_other};
use crate::error::AppError;

/// Runs the page lists.
const RUNS_SHOWN: i64 = 50;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/reports", web::get().to(reports))
        .route("/dashboard/reports/schedule", web::post().to(save_schedule))
        .route("/dashboard/reports/settings", web::post().to(save_settings))
        .route(
            "/dashboard/reports/generate",
            web::post().to(generate_report),
        )
        .route(
            "/dashboard/reports/{run}/report.{format}",
            web::get().to(report_file),
        );
}

/// The latest report's trend: a table (period x headline figure) and, for
/// the figures that are percentages, the analytics crate's line chart.
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
    // The same line chart as the report's own HTML (analytics::render).
    let charts = match analytics::render::trend_chart(r) {
        Ok(Some(c)) => vec![context! { svg => c.svg, title => c.alt }],
        Ok(None) => Vec::new(),
        Err(e) => {
            tracing::warn!(error = %e, "trend chart");
            Vec::new()
        }
    };
    (rows, charts)
}

async fn reports(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let service::Overview {
        schedule,
        runs,
        notices,
        latest,
    } = service::overview(&state, &s.who, RUNS_SHOWN).await?;
    let runs: Vec<minijinja::Value> = runs
        .iter()
        .map(|r| {
            let mine: Vec<_> = notices.iter().filter(|n| n.run_id == r.id).collect();
            let sent = mine.iter().filter(|n| n.outcome == "sent").count();
            let failures: Vec<String> = mine.iter().filter_map(|n| n.detail.clone()).collect();
            context! {
                id => r.id, slot => r.slot, slots_due => r.slots_due,
                period_from => r.period_from, period_to => r.period_to,
                trigger => r.trigger, created_at => r.created_at,
                emailed => sent, email_failures => failures,
            }
        })
        .collect();
    let next = schedule
        .validate()
        .ok()
        .and_then(|sc| sc.next_after(Utc::now()))
        .map(|t| t.to_rfc3339());
    let (trend_rows, trend_charts) = latest.as_ref().map(trend_view).unwrap_or_default();
    let last_week = mobile_core::period::Period::iso_weeks_before(Utc::now().date_naive(), 1);
    let settings = crate::settings::service::get(&state, &s.who).await?;
    let (settings_fields, week_start_weekday, week_start_hour) = settings_view(&settings.limits);
    Ok(html(tpl.render(
        "reports.html",
        context! {
            nav => s.nav(), schedule, runs, next, trend_rows, trend_charts,
            trend_heads => analytics::report::TREND_FIGURES.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
            default_from => last_week.from, default_to => last_week.to,
            settings_fields, settings_changed => settings.changed,
            week_start_weekday, week_start_hour, weekdays => WEEKDAYS,
        },
    )?))
}

/// Weekday names as `RosterLimits::week_start` reads them.
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The settings form's numeric fields (name, value) in the struct's order,
/// and the week start's day and hour.
fn settings_view(
    limits: &mobile_core::roster::limits::RosterLimits,
) -> (Vec<minijinja::Value>, String, u32) {
    let json = serde_json::to_value(limits).unwrap_or_default();
    let fields = json
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(name, v)| v.as_u64().map(|value| context! { name, value }))
                .collect()
        })
        .unwrap_or_default();
    let weekday = limits.week_start.weekday.to_string();
    (fields, weekday, limits.week_start.hour)
}

/// Saves the force's settings from the reports page's form (FRM lead), as
/// `PUT /v1/force/settings` does: the same checks, the same audit.
async fn save_settings(
    state: State,
    req: HttpRequest,
    form: web::Form<std::collections::BTreeMap<String, String>>,
) -> PageResult {
    let mut form = form.into_inner();
    let csrf = form.remove("csrf").unwrap_or_default();
    let s = Session::from_form(&state, &req, &csrf).await?;
    let bad = |detail: String| AppError::invalid("invalid_settings", detail);
    let mut body = serde_json::Map::new();
    let weekday = form.remove("week_start_weekday").unwrap_or_default();
    let hour = form.remove("week_start_hour").unwrap_or_default();
    let hour: u32 = hour
        .trim()
        .parse()
        .map_err(|_| bad("week_start_hour: a whole number 0 to 23".to_owned()))?;
    body.insert(
        "week_start".to_owned(),
        serde_json::json!({ "weekday": weekday, "hour": hour }),
    );
    for (name, value) in form {
        let n: u32 = value
            .trim()
            .parse()
            .map_err(|_| bad(format!("{name}: a whole number")))?;
        body.insert(name, n.into());
    }
    let limits =
        serde_json::from_value(serde_json::Value::Object(body)).map_err(|e| bad(e.to_string()))?;
    crate::settings::service::put(&state, &s.who, limits).await?;
    Ok(see_other("/dashboard/reports"))
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
    service::save_schedule(&state, &s.who, schedule).await?;
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
    let run = service::make_report(&state, &s.who, form.from, form.to).await?;
    Ok(see_other(&format!("/dashboard/reports/{run}/report.html")))
}

async fn report_file(
    state: State,
    req: HttpRequest,
    path: web::Path<(Uuid, String)>,
) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    service::frm_force(&s.who)?;
    let (run, format) = path.into_inner();
    let format = Format::from_name(&format).ok_or(AppError::NotFound)?;
    let report = service::recorded(&state, &s.who, run).await?;
    let body = render(&report, format).map_err(AppError::internal)?;
    let mut resp = HttpResponse::Ok();
    resp.content_type(format.content_type());
    if format != Format::Html {
        resp.insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"report-{}-{}.{}\"",
                report.meta.period.from,
                report.meta.period.to,
                format.extension()
            ),
        ));
    }
    Ok(resp.body(body))
}
