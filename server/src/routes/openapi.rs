//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::{HttpResponse, get};
use utoipa::OpenApi;

use crate::routes;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Fatigue platform API", version = "1"),
    paths(
        routes::health::health,
        routes::health::ready,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::enrol,
        routes::auth::jwks,
        routes::admin::create_force,
        routes::admin::create_force_admin,
        routes::admin::create_analyst,
        routes::admin::rotate_keys,
        routes::force::create_account,
        routes::force::create_team,
        routes::force::list_teams,
        routes::force::set_members,
        routes::force::add_supervisor,
        routes::force::enrolment_code,
        routes::force::audit,
        routes::me::get_consent,
        routes::me::put_consent,
        routes::me::export,
        routes::me::withdraw,
        routes::sync::sync,
        routes::rosters::upload,
        routes::risk::team_risk,
        routes::risk::what_if,
        routes::risk::wellbeing,
        routes::risk::my_risk,
        routes::npws::overview,
        routes::reports::get_schedule,
        routes::reports::put_schedule,
        routes::reports::list,
        routes::reports::create,
        routes::reports::show,
        routes::peer_support::directory,
        routes::peer_support::put_supporter,
        routes::peer_support::delete_supporter,
        routes::peer_support::create_service,
        routes::peer_support::update_service,
        routes::peer_support::delete_service,
        routes::peer_support::create_callback,
        routes::peer_support::mine,
        routes::peer_support::assigned,
        routes::peer_support::unassigned,
        routes::peer_support::acknowledge,
        routes::peer_support::contacted,
        routes::peer_support::handover,
        routes::peer_support::cancel,
        routes::peer_support::report,
        document,
    ),
    components(schemas(crate::error::Problem))
)]
pub struct ApiDoc;

/// This document, as JSON.
#[utoipa::path(get, path = "/v1/openapi.json", responses((status = 200, description = "OpenAPI 3.1")))]
#[get("/v1/openapi.json")]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
