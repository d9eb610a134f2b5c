//! The team risk view, the what-if, the team's wellbeing aggregates and
//! the officer's own risk, through the API.

use actix_web::{HttpResponse, get, post, web};
use mobile_core::period::Period;
use uuid::Uuid;

use super::service::{self, TeamRisk, Wellbeing, WhatIf, WhatIfAnswer};
use crate::app::State;
use crate::auth::Identity;
use crate::error::{AppResult, Problem};

/// Per officer, per shift: Fatigue Index, hourly risk and flags for a period.
#[utoipa::path(get, path = "/teams/{team}/risk", params(("from" = NaiveDate, Query, description = "First day (YYYY-MM-DD), local to the force."), ("to" = NaiveDate, Query, description = "Last day (YYYY-MM-DD), inclusive.")), responses(
    (status = 200, body = TeamRisk), (status = 403, body = Problem), (status = 404, body = Problem)))]
#[get("/teams/{team}/risk")]
pub async fn team_risk(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
    period: web::Query<Period>,
) -> AppResult<HttpResponse> {
    let risk = service::team_risk(&state, &who, team.into_inner(), &period).await?;
    Ok(HttpResponse::Ok().json(risk))
}

/// What-if: the officer's roster-derived risk before and after a proposed
/// change. Nothing is stored.
#[utoipa::path(post, path = "/teams/{team}/risk/what-if", request_body = WhatIf, responses((status = 200, body = WhatIfAnswer)))]
#[post("/teams/{team}/risk/what-if")]
pub async fn what_if(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
    body: web::Json<WhatIf>,
) -> AppResult<HttpResponse> {
    let answer = service::what_if(&state, &who, team.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// The team's sleep and recovery aggregates for a period: only from
/// consenting officers, only when at least 5 contribute.
#[utoipa::path(get, path = "/teams/{team}/wellbeing", params(("from" = NaiveDate, Query, description = "First day (YYYY-MM-DD), local to the force."), ("to" = NaiveDate, Query, description = "Last day (YYYY-MM-DD), inclusive.")), responses((status = 200, body = Wellbeing)))]
#[get("/teams/{team}/wellbeing")]
pub async fn wellbeing(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
    period: web::Query<Period>,
) -> AppResult<HttpResponse> {
    let body = service::wellbeing(&state, &who, team.into_inner(), &period).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// The officer's own roster risk, with their recorded sleep where they
/// share it (each shift says which basis).
#[utoipa::path(get, path = "/me/risk", params(("from" = NaiveDate, Query, description = "First day (YYYY-MM-DD), local to the force."), ("to" = NaiveDate, Query, description = "Last day (YYYY-MM-DD), inclusive.")), responses((status = 200, body = Object)))]
#[get("/me/risk")]
pub async fn my_risk(
    state: State,
    who: Identity,
    period: web::Query<Period>,
) -> AppResult<HttpResponse> {
    let assessment = service::my_risk(&state, &who, period.into_inner()).await?;
    Ok(HttpResponse::Ok().json(assessment))
}
