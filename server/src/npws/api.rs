//! National aggregates for the NPWS analyst: the overview of enrolment,
//! cohorts and comparisons across forces. Every route is for the NPWS
//! analyst only and audited; none returns an id or a cell under 5 people.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use super::service;
use super::store::ForceCounts;
use crate::app::{State, csv_download};
use crate::auth::Identity;
use crate::error::{AppResult, Problem};

/// One force's counts (cells under 5 people are null).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ForceCountsBody {
    /// Force slug.
    pub force_slug: String,
    /// Enrolled people.
    pub enrolled: Option<i64>,
    /// Sharing sleep summaries.
    pub sharing_sleep: Option<i64>,
    /// Sharing check-ins too.
    pub sharing_check_ins: Option<i64>,
}

impl From<ForceCounts> for ForceCountsBody {
    fn from(r: ForceCounts) -> Self {
        Self {
            force_slug: r.force_slug,
            enrolled: r.enrolled,
            sharing_sleep: r.sharing_sleep,
            sharing_check_ins: r.sharing_check_ins,
        }
    }
}

/// Enrolment and consent counts per force, each cell at least 5 people or
/// null. The only cross-force read (a SECURITY DEFINER function returning
/// counts only). Audited.
#[utoipa::path(get, path = "/npws/overview", responses((status = 200, body = Vec<ForceCountsBody>)))]
#[get("/npws/overview")]
pub async fn overview(state: State, who: Identity) -> AppResult<HttpResponse> {
    let rows = service::overview(&state, &who).await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(ForceCountsBody::from)
            .collect::<Vec<_>>(),
    ))
}

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
    /// What the `function` views group by: `function` (default: policing
    /// function, the person's own from the HR file or else their team's)
    /// or `employment_type`.
    pub split: Option<String>,
}

async fn cohort_run(
    state: &State,
    who: &Identity,
    q: &CohortQuery,
) -> AppResult<analytics::cohorts::CohortRun> {
    service::cohorts(
        state,
        who,
        q.from.as_deref(),
        q.to.as_deref(),
        q.k.as_deref(),
    )
    .await
}

async fn comparison(
    state: &State,
    who: &Identity,
    q: &ComparisonQuery,
) -> AppResult<(
    analytics::comparisons::Comparisons,
    analytics::comparisons::GroupBy,
)> {
    service::comparison_view(
        state,
        who,
        q.from.as_deref(),
        q.to.as_deref(),
        q.by.as_deref(),
        q.split.as_deref(),
    )
    .await
}

/// NPWS cohorts over a period: people with similar shift and sleep
/// patterns across forces (k-means, k by silhouette unless `k` is given),
/// each described by its size and centre (feature means in their units).
/// Cohorts under 20 people are merged into their nearest neighbour; a
/// centre's mean over fewer than 5 people is withheld. No ids. NPWS
/// analyst only; audited.
#[utoipa::path(get, path = "/npws/cohorts", params(CohortQuery), responses(
    (status = 200, description = "analytics::cohorts::CohortRun (meta, cohorts)", body = Object),
    (status = 403, body = Problem),
    (status = 422, description = "invalid_period, invalid_k or too_few_people", body = Problem)))]
#[get("/npws/cohorts")]
pub async fn cohorts(
    state: State,
    who: Identity,
    q: web::Query<CohortQuery>,
) -> AppResult<HttpResponse> {
    let run = cohort_run(&state, &who, &q).await?;
    Ok(HttpResponse::Ok().json(run))
}

/// The same cohorts as CSV (one line per cohort size and centre feature;
/// every line carries the seed and the k chosen).
#[utoipa::path(get, path = "/npws/cohorts.csv", params(CohortQuery), responses(
    (status = 200, content_type = "text/csv", body = String),
    (status = 403, body = Problem),
    (status = 422, body = Problem)))]
#[get("/npws/cohorts.csv")]
pub async fn cohorts_csv(
    state: State,
    who: Identity,
    q: web::Query<CohortQuery>,
) -> AppResult<HttpResponse> {
    let run = cohort_run(&state, &who, &q).await?;
    Ok(csv_download(
        service::cohorts_csv(&run)?,
        "npws-cohorts.csv",
    ))
}

/// Comparisons across forces and policing functions over a period: per
/// group, people, night shifts, quick returns, hours, and from those who
/// consented mean sleep, red recovery mornings and mean KSS. No cell
/// describes fewer than 5 people, and secondary suppression over all three
/// views stops totals revealing a withheld cell. NPWS analyst only; audited.
#[utoipa::path(get, path = "/npws/comparisons", params(ComparisonQuery), responses(
    (status = 200, description = "period, by, rounding, min_people and the table", body = Object),
    (status = 403, body = Problem),
    (status = 422, description = "invalid_period or invalid_group", body = Problem)))]
#[get("/npws/comparisons")]
pub async fn comparisons(
    state: State,
    who: Identity,
    q: web::Query<ComparisonQuery>,
) -> AppResult<HttpResponse> {
    let (c, by) = comparison(&state, &who, &q).await?;
    Ok(HttpResponse::Ok().json(service::view(&c, by)?))
}

/// The same view as CSV: `table,level,row,column,value,suppressed`.
#[utoipa::path(get, path = "/npws/comparisons.csv", params(ComparisonQuery), responses(
    (status = 200, content_type = "text/csv", body = String),
    (status = 403, body = Problem),
    (status = 422, body = Problem)))]
#[get("/npws/comparisons.csv")]
pub async fn comparisons_csv(
    state: State,
    who: Identity,
    q: web::Query<ComparisonQuery>,
) -> AppResult<HttpResponse> {
    let (c, by) = comparison(&state, &who, &q).await?;
    let (body, name) = service::comparisons_csv(&c, by)?;
    Ok(csv_download(body, &name))
}
