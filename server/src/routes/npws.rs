//! National aggregates for the NPWS analyst: the overview of enrolment,
//! cohorts and comparisons across forces. Every route is for the NPWS
//! analyst only and audited; none returns an id or a cell under 5 people.

use actix_web::{HttpResponse, get, web};
use analytics::AnalyticsError;
use analytics::cohorts::{
    CohortRequest, CohortRun, PersonSums, cluster, feature_matrix, render_cohorts_csv,
};
use analytics::comparisons::{Comparisons, GroupBy, compare, render_csv};
use analytics::input::Period;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::{Deserialize, Serialize};

use super::State;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};

/// One force's counts (cells under 5 people are null).
#[derive(Debug, QueryableByName, serde::Serialize, utoipa::ToSchema)]
pub struct ForceCounts {
    /// Force slug.
    #[diesel(sql_type = Text)]
    pub force_slug: String,
    /// Enrolled people.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub enrolled: Option<i64>,
    /// Sharing sleep summaries.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub sharing_sleep: Option<i64>,
    /// Sharing check-ins too.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub sharing_check_ins: Option<i64>,
}

/// Enrolment and consent counts per force, each cell at least 5 people or
/// null. The only cross-force read (a SECURITY DEFINER function returning
/// counts only). Audited.
#[utoipa::path(get, path = "/v1/npws/overview", responses((status = 200, body = Vec<ForceCounts>)))]
#[get("/npws/overview")]
pub async fn overview(state: State, who: Identity) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(load_overview(&state, who).await?))
}

/// The national overview rows (the API's and the dashboard's), audited.
///
/// # Errors
/// Forbidden for any role but NPWS analyst; database errors.
pub async fn load_overview(state: &State, who: Identity) -> AppResult<Vec<ForceCounts>> {
    who.require(&[Role::NpwsAnalyst])?;
    db::with_platform(&state.pool, move |c| {
        db::audit::record(c, None, &who, "read_national_overview", "all_forces")?;
        Ok(diesel::sql_query("SELECT * FROM npws_force_overview()").load::<ForceCounts>(c)?)
    })
    .await
}

/// Seed of every NPWS cohort run (recorded in the output), so the same data
/// and period give the same cohorts.
pub const COHORT_SEED: u64 = 20_261_123;
/// The smallest cohort described (merged into its nearest neighbour below).
pub const MIN_COHORT_PEOPLE: usize = 20;
/// The largest k an analyst may ask for.
pub const MAX_K: usize = 8;

/// A period of local dates (each force's own days), inclusive, and an
/// optional fixed number of cohorts.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct CohortQuery {
    /// First day, YYYY-MM-DD.
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (at most 400 days after `from`).
    pub to: Option<String>,
    /// Number of cohorts to fit, 2 to 8; by default chosen by silhouette.
    pub k: Option<String>,
}

/// A period and the view of the comparison.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ComparisonQuery {
    /// First day, YYYY-MM-DD.
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (at most 400 days after `from`).
    pub to: Option<String>,
    /// `force` (default), `function` or `force_function`.
    pub by: Option<String>,
}

/// Parses and checks a period (422 `invalid_period`).
///
/// # Errors
/// [`AppError::Invalid`].
pub fn parse_period(from: Option<&str>, to: Option<&str>) -> AppResult<Period> {
    let date = |name: &str, v: Option<&str>| -> AppResult<NaiveDate> {
        let v = v.ok_or_else(|| {
            AppError::invalid("invalid_period", format!("{name} is required (YYYY-MM-DD)"))
        })?;
        NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
            AppError::invalid("invalid_period", format!("{name}: a date as YYYY-MM-DD"))
        })
    };
    Period::new(date("from", from)?, date("to", to)?)
        .map_err(|e| AppError::invalid("invalid_period", e.to_string()))
}

fn parse_k(k: Option<&str>) -> AppResult<Option<usize>> {
    k.map(|k| {
        k.parse::<usize>()
            .ok()
            .filter(|k| (2..=MAX_K).contains(k))
            .ok_or_else(|| {
                AppError::invalid("invalid_k", format!("k: a whole number from 2 to {MAX_K}"))
            })
    })
    .transpose()
}

/// Parses the comparison view (422 `invalid_group`).
///
/// # Errors
/// [`AppError::Invalid`].
pub fn parse_by(by: Option<&str>) -> AppResult<GroupBy> {
    match by {
        None => Ok(GroupBy::Force),
        Some(s) => GroupBy::parse(s).ok_or_else(|| {
            AppError::invalid("invalid_group", "by: force, function or force_function")
        }),
    }
}

/// Loads everyone's feature sums for a period, audited under `action`.
async fn national_features(
    state: &State,
    who: Identity,
    period: Period,
    action: &'static str,
) -> AppResult<Vec<PersonSums>> {
    who.require(&[Role::NpwsAnalyst])?;
    db::with_platform(&state.pool, move |c| {
        let target = format!("all_forces:{}..{}", period.from, period.to);
        db::audit::record(c, None, &who, action, &target)?;
        db::npws::person_features(c, period.from, period.to)
    })
    .await
}

/// Cohorts over a period (the API's and the dashboard's): the NPWS analyst
/// only, audited; sizes and centres only.
///
/// # Errors
/// Forbidden for any other role; `invalid_period`, `invalid_k`,
/// `too_few_people`; database errors.
pub async fn load_cohorts(state: &State, who: Identity, q: &CohortQuery) -> AppResult<CohortRun> {
    who.require(&[Role::NpwsAnalyst])?;
    let period = parse_period(q.from.as_deref(), q.to.as_deref())?;
    let k = parse_k(q.k.as_deref())?;
    let people = national_features(state, who, period, "read_npws_cohorts").await?;
    web::block(move || {
        let mut request = CohortRequest::new(period, COHORT_SEED);
        request.min_cohort_people = MIN_COHORT_PEOPLE;
        if let Some(k) = k {
            (request.k_min, request.k_max) = (k, k);
        }
        let (raw, _) = feature_matrix(&people, period.days());
        match cluster(&request, &raw) {
            Ok(c) => Ok(CohortRun {
                meta: c.meta,
                cohorts: c.cohorts,
                tables: Vec::new(),
            }),
            // The count itself is not repeated: it may be small.
            Err(AnalyticsError::TooFewPeople { needed, .. }) => Err(AppError::invalid(
                "too_few_people",
                format!("too few people with shifts in this period for cohorts (at least {needed} are needed)"),
            )),
            Err(e) => Err(AppError::internal(e)),
        }
    })
    .await
    .map_err(AppError::internal)?
}

/// The comparisons over a period (all three views, one suppression
/// problem): the NPWS analyst only, audited.
///
/// # Errors
/// Forbidden for any other role; `invalid_period`; database errors.
pub async fn load_comparisons(
    state: &State,
    who: Identity,
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<Comparisons> {
    who.require(&[Role::NpwsAnalyst])?;
    let period = parse_period(from, to)?;
    let people = national_features(state, who, period, "read_npws_comparisons").await?;
    web::block(move || compare(period, &people))
        .await
        .map_err(AppError::internal)
}

/// NPWS cohorts over a period: people with similar shift and sleep
/// patterns across forces (k-means, k by silhouette unless `k` is given),
/// each described by its size and centre (feature means in their units).
/// Cohorts under 20 people are merged into their nearest neighbour; a
/// centre's mean over fewer than 5 people is withheld. No ids. NPWS
/// analyst only; audited.
#[utoipa::path(get, path = "/v1/npws/cohorts", params(CohortQuery), responses(
    (status = 200, description = "analytics::cohorts::CohortRun (meta, cohorts)", body = Object),
    (status = 403, body = crate::error::Problem),
    (status = 422, description = "invalid_period, invalid_k or too_few_people", body = crate::error::Problem)))]
#[get("/npws/cohorts")]
pub async fn cohorts(
    state: State,
    who: Identity,
    q: web::Query<CohortQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(load_cohorts(&state, who, &q).await?))
}

/// The same cohorts as CSV (one line per cohort size and centre feature;
/// every line carries the seed and the k chosen).
#[utoipa::path(get, path = "/v1/npws/cohorts.csv", params(CohortQuery), responses(
    (status = 200, content_type = "text/csv", body = String),
    (status = 403, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
#[get("/npws/cohorts.csv")]
pub async fn cohorts_csv(
    state: State,
    who: Identity,
    q: web::Query<CohortQuery>,
) -> AppResult<HttpResponse> {
    cohorts_csv_response(&load_cohorts(&state, who, &q).await?)
}

/// A cohort run as a CSV download (the API's and the dashboard's).
///
/// # Errors
/// Internal when CSV writing fails.
pub fn cohorts_csv_response(run: &CohortRun) -> AppResult<HttpResponse> {
    let body = render_cohorts_csv(run).map_err(AppError::internal)?;
    Ok(csv_response(body, "npws-cohorts.csv"))
}

/// One view of the comparisons as a CSV download (the API's and the dashboard's).
///
/// # Errors
/// Internal when CSV writing fails.
pub fn comparisons_csv_response(c: &Comparisons, by: GroupBy) -> AppResult<HttpResponse> {
    let body = render_csv(view(c, by)?.table).map_err(AppError::internal)?;
    Ok(csv_response(
        body,
        &format!("npws-comparisons-{}.csv", by.as_str()),
    ))
}

/// One view of the comparisons, as the API serves it.
#[derive(Debug, Serialize)]
pub struct ComparisonView<'a> {
    /// The period.
    pub period: Period,
    /// The view.
    pub by: GroupBy,
    /// The rounding rule of every mean.
    pub rounding: &'a str,
    /// The fewest people a published cell describes.
    pub min_people: u32,
    /// The table (withheld cells have `suppressed: true` and no value).
    pub table: &'a analytics::table::Table,
}

fn view(c: &Comparisons, by: GroupBy) -> AppResult<ComparisonView<'_>> {
    Ok(ComparisonView {
        period: c.period,
        by,
        rounding: &c.rounding,
        min_people: c.min_people,
        table: c.view(by).ok_or(AppError::NotFound)?,
    })
}

/// Comparisons across forces and policing functions over a period: per
/// group, people, night shifts, quick returns, hours, and from those who
/// consented mean sleep, red recovery mornings and mean KSS. No cell
/// describes fewer than 5 people, and secondary suppression over all three
/// views stops totals revealing a withheld cell. NPWS analyst only; audited.
#[utoipa::path(get, path = "/v1/npws/comparisons", params(ComparisonQuery), responses(
    (status = 200, description = "period, by, rounding, min_people and the table", body = Object),
    (status = 403, body = crate::error::Problem),
    (status = 422, description = "invalid_period or invalid_group", body = crate::error::Problem)))]
#[get("/npws/comparisons")]
pub async fn comparisons(
    state: State,
    who: Identity,
    q: web::Query<ComparisonQuery>,
) -> AppResult<HttpResponse> {
    let (c, by) = load_comparison_query(&state, who, &q).await?;
    Ok(HttpResponse::Ok().json(view(&c, by)?))
}

/// The comparisons and the view a query asks for (the API's and the
/// dashboard's downloads): the role is checked before anything is parsed.
///
/// # Errors
/// As [`load_comparisons`], and `invalid_group`.
pub async fn load_comparison_query(
    state: &State,
    who: Identity,
    q: &ComparisonQuery,
) -> AppResult<(Comparisons, GroupBy)> {
    who.require(&[Role::NpwsAnalyst])?;
    let by = parse_by(q.by.as_deref())?;
    let c = load_comparisons(state, who, q.from.as_deref(), q.to.as_deref()).await?;
    Ok((c, by))
}

/// The same view as CSV: `table,level,row,column,value,suppressed`.
#[utoipa::path(get, path = "/v1/npws/comparisons.csv", params(ComparisonQuery), responses(
    (status = 200, content_type = "text/csv", body = String),
    (status = 403, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
#[get("/npws/comparisons.csv")]
pub async fn comparisons_csv(
    state: State,
    who: Identity,
    q: web::Query<ComparisonQuery>,
) -> AppResult<HttpResponse> {
    let (c, by) = load_comparison_query(&state, who, &q).await?;
    comparisons_csv_response(&c, by)
}

/// A CSV download.
pub fn csv_response(body: String, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}
