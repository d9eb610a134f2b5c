//! The NPWS analyst's evaluation page, its CSV, the partner dataset and
//! its dictionary, the roll-out plan form; and the force's sickness
//! upload page. They call `evaluation`'s service functions, so the role
//! checks, audit and suppression are there.

use actix_web::{HttpRequest, web};
use analytics::evaluation::{
    BY_EMPLOYMENT_TYPE, Comparison, Evaluation, MEASURES, Status, fmt2, measure, status_of,
    uptake_percent,
};
use minijinja::context;
use serde::Deserialize;

use super::evaluation::{self as service, SicknessOutcome};
use crate::app::{State, csv_download};
use crate::auth::Role;
use crate::dashboard::{DashError, PageResult, Session, Templates, html, see_other};
use crate::error::AppError;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/npws/evaluation", web::get().to(page))
        .route("/dashboard/npws/evaluation.csv", web::get().to(page_csv))
        .route("/dashboard/npws/partner.csv", web::get().to(partner_csv))
        .route(
            "/dashboard/npws/partner-dictionary.csv",
            web::get().to(dictionary_csv),
        )
        .route("/dashboard/npws/rollout", web::post().to(set_rollout))
        .route("/dashboard/sickness", web::get().to(sickness_page))
        .route("/dashboard/sickness", web::post().to(sickness_upload));
}

/// The months asked for.
#[derive(Debug, Deserialize)]
pub struct MonthsQuery {
    /// Last month, `YYYY-MM`.
    pub to: Option<String>,
    /// How many months.
    pub months: Option<String>,
}

impl MonthsQuery {
    fn query(&self) -> String {
        let keep = |s: &Option<String>| {
            s.as_deref()
                .unwrap_or("")
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '-')
                .collect::<String>()
        };
        format!("to={}&months={}", keep(&self.to), keep(&self.months))
    }
}

fn comparison_label(c: Comparison) -> &'static str {
    match c {
        Comparison::DifferenceInDifferences => {
            "Difference in differences (force and month effects)"
        }
        Comparison::BeforeAfter => "Before and after go-live (within forces)",
        Comparison::LiveVsNotYetLive => "Live against not-yet-live forces (same months)",
    }
}

/// The page's view of an evaluation.
fn view(e: &Evaluation) -> Result<minijinja::Value, DashError> {
    let last = e.months.last();
    let cell = |v: Option<f64>, withheld: bool| match (v, withheld) {
        (_, true) => "[c]".to_owned(),
        (Some(v), _) => format!("{v:.1}"),
        (None, _) => "–".to_owned(),
    };
    let plans: Vec<minijinja::Value> = e
        .plans
        .iter()
        .map(|p| {
            let path = [p.force.clone()];
            let fig = |id: &str| {
                let (Some(m), Some(month)) = (measure(id), last) else {
                    return "–".to_owned();
                };
                cell(month.value(m, &path), month.withheld(m, &path))
            };
            let status = last.map_or("", |m| match p.status(&m.period) {
                Status::Live => "live",
                Status::NotYetLive => "not yet live",
                Status::Transition => "went live this month",
            });
            context! {
                force => p.force, wave => p.wave, go_live => p.go_live.to_string(),
                target => p.target_enrolled, enrolled => fig("enrolled"),
                percent => last.and_then(|m| uptake_percent(m, &e.plans, &p.force)).map(|v| format!("{v:.1}")),
                active_7 => fig("active_7"), active_28 => fig("active_28"), status,
            }
        })
        .collect();
    let estimates: Vec<minijinja::Value> = e
        .estimates
        .iter()
        .map(|x| {
            let m = measure(x.measure);
            context! {
                measure => m.map_or(x.measure, |m| m.column), unit => m.map_or("", |m| m.unit),
                comparison => comparison_label(x.comparison), id => x.comparison.as_str(),
                estimate => fmt2(x.estimate), low => fmt2(x.low), high => fmt2(x.high),
                forces => x.forces, cells => x.cells, note => x.note,
            }
        })
        .collect();
    let labels: Vec<String> = e.months.iter().map(|m| m.month.clone()).collect();
    let forces = e.forces();
    let mut charts = Vec::new();
    for m in MEASURES
        .iter()
        .filter(|m| m.before_live || ["sleep_hours", "recovery_score", "kss"].contains(&m.id))
    {
        let chart = e.trend_chart(m).map_err(AppError::internal)?;
        let rows: Vec<minijinja::Value> = forces
            .iter()
            .map(|f| {
                let path = [f.clone()];
                let cells: Vec<String> = e
                    .months
                    .iter()
                    .map(|month| {
                        let mark = match status_of(&e.plans, f, &month.period) {
                            Status::Live => "",
                            Status::NotYetLive => "",
                            Status::Transition => "*",
                        };
                        format!(
                            "{}{mark}",
                            cell(month.value(m, &path), month.withheld(m, &path))
                        )
                    })
                    .collect();
                context! { force => f, cells }
            })
            .collect();
        charts.push(context! { id => m.id, title => m.column, unit => m.unit, chart, rows });
    }
    let uptake = e.uptake_chart().map_err(AppError::internal)?;
    // The last month's tables by employment type, as published.
    let by_type: Vec<minijinja::Value> = last
        .map(|month| {
            month
                .tables
                .iter()
                .filter(|t| BY_EMPLOYMENT_TYPE.contains(&t.id.as_str()))
                .map(|t| {
                    let rows: Vec<minijinja::Value> = t
                        .rows
                        .iter()
                        .map(|r| {
                            let cells: Vec<String> = r
                                .cells
                                .iter()
                                .map(|c| match (c.suppressed, c.value) {
                                    (true, _) => "[c]".to_owned(),
                                    (false, Some(v)) => v.to_string(),
                                    (false, None) => "–".to_owned(),
                                })
                                .collect();
                            context! { label => r.label, cells }
                        })
                        .collect();
                    context! { id => t.id, title => t.title, columns => t.columns, rows }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(context! {
        plans, estimates, charts, uptake, labels, by_type,
        seed => e.seed, draws => e.draws,
        first => e.months.first().map(|m| m.month.clone()),
        last => last.map(|m| m.month.clone()),
    })
}

async fn page(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    q: web::Query<MonthsQuery>,
) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    s.who.require(&[Role::NpwsAnalyst])?;
    let loaded = service::evaluation(&state, &s.who, q.to.as_deref(), q.months.as_deref()).await;
    let (evaluation, error) = match loaded {
        Ok(e) => (Some(view(&e)?), None),
        Err(AppError::Invalid { message, .. }) => (None, Some(message)),
        Err(e) => return Err(e.into()),
    };
    let force_slugs: Vec<String> = super::service::overview(&state, &s.who)
        .await?
        .into_iter()
        .map(|r| r.force_slug)
        .collect();
    Ok(html(tpl.render(
        "npws_evaluation.html",
        context! {
            nav => s.nav(), evaluation, error, query => q.query(), forces => force_slugs,
            to => q.to.clone().unwrap_or_default(), months => q.months.clone().unwrap_or_default(),
        },
    )?))
}

async fn page_csv(state: State, req: HttpRequest, q: web::Query<MonthsQuery>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let e = service::evaluation(&state, &s.who, q.to.as_deref(), q.months.as_deref()).await?;
    Ok(csv_download(
        service::evaluation_csv(&e)?,
        "npws-evaluation.csv",
    ))
}

async fn partner_csv(state: State, req: HttpRequest, q: web::Query<MonthsQuery>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let body =
        service::partner_dataset(&state, &s.who, q.to.as_deref(), q.months.as_deref()).await?;
    Ok(csv_download(body, "partner-dataset.csv"))
}

async fn dictionary_csv(state: State, req: HttpRequest) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    Ok(csv_download(
        service::partner_dictionary(&s.who)?,
        "partner-dataset-dictionary.csv",
    ))
}

/// The roll-out plan form.
#[derive(Debug, Deserialize)]
struct RolloutForm {
    csrf: String,
    force: String,
    wave: String,
    go_live: String,
    target: String,
}

async fn set_rollout(state: State, req: HttpRequest, form: web::Form<RolloutForm>) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    service::set_rollout(
        &state,
        &s.who,
        &form.force,
        &form.wave,
        &form.go_live,
        &form.target,
    )
    .await?;
    Ok(see_other("/dashboard/npws/evaluation"))
}

async fn sickness_render(
    state: &State,
    s: &Session,
    tpl: &Templates,
    outcome: Option<SicknessOutcome>,
    sent: &str,
) -> PageResult {
    let months = service::sickness_months(state, &s.who).await?;
    let (stored, errors) = match outcome {
        Some(SicknessOutcome::Stored(n)) => (Some(n), Vec::new()),
        Some(SicknessOutcome::Rejected(e)) => (None, e),
        None => (None, Vec::new()),
    };
    Ok(html(tpl.render(
        "sickness.html",
        context! { nav => s.nav(), months, stored, errors, sent },
    )?))
}

async fn sickness_page(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    sickness_render(&state, &s, &tpl, None, "").await
}

/// The sickness upload form.
#[derive(Debug, Deserialize)]
struct SicknessForm {
    csrf: String,
    csv: String,
}

async fn sickness_upload(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<SicknessForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let outcome = service::upload_sickness(&state, &s.who, form.csv.clone()).await?;
    let sent = match outcome {
        SicknessOutcome::Rejected(_) => form.csv.as_str(),
        SicknessOutcome::Stored(_) => "",
    };
    sickness_render(&state, &s, &tpl, Some(outcome.clone()), sent).await
}
