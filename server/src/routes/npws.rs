//! National aggregates for the NPWS analyst.

use actix_web::{HttpResponse, get};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::State;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::AppResult;

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
