//! Pattern comparison through the API: JSON by default, CSV with
//! `?format=csv` (the columns of `analytics::patterns::CSV_COLUMNS`).

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::service::{self, CompareRequest, Comparison};
use crate::app::State;
use crate::auth::Identity;
use crate::error::{AppError, AppResult, Problem};

/// Which rendering.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// Compares rota patterns for a team over a horizon (FRM lead, supervisor):
/// per pattern the team's Risk Index, the share of shifts over the Fatigue
/// Index thresholds, runs of nights, quick returns, weekly rest, 17-week
/// averages and hours per officer. Nothing is stored.
#[utoipa::path(post, path = "/patterns/compare", params(FormatQuery), request_body = CompareRequest, responses(
    (status = 200, body = Comparison), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("/patterns/compare")]
pub async fn compare(
    state: State,
    who: Identity,
    q: web::Query<FormatQuery>,
    body: web::Json<CompareRequest>,
) -> AppResult<HttpResponse> {
    let csv = match q.format.as_deref().unwrap_or("json") {
        "json" => false,
        "csv" => true,
        _ => return Err(AppError::invalid("invalid_format", "format: json or csv")),
    };
    let comparison = service::compare(&state, &who, body.into_inner()).await?;
    if csv {
        let text =
            analytics::patterns::figures_csv(&comparison.patterns).map_err(AppError::internal)?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(text));
    }
    Ok(HttpResponse::Ok().json(comparison))
}
