//! HTTP handlers, one file per resource; thin: check the caller, call `db`,
//! shape the answer.

pub mod admin;
pub mod auth;
pub mod force;
pub mod health;
pub mod me;
pub mod npws;
pub mod openapi;
pub mod peer_support;
pub mod reports;
pub mod risk;
pub mod rosters;
pub mod sync;

use actix_web::web::{self, ServiceConfig};

/// Registers every route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::health)
        .service(health::ready)
        .service(auth::jwks)
        .service(openapi::document)
        .service(
            web::scope("/v1")
                .service(auth::login)
                .service(auth::refresh)
                .service(auth::enrol)
                .service(admin::create_force)
                .service(admin::create_force_admin)
                .service(admin::create_analyst)
                .service(admin::rotate_keys)
                .service(force::create_account)
                .service(force::create_team)
                .service(force::list_teams)
                .service(force::set_members)
                .service(force::add_supervisor)
                .service(force::enrolment_code)
                .service(force::audit)
                .service(me::get_consent)
                .service(me::put_consent)
                .service(me::export)
                .service(me::withdraw)
                .service(sync::sync)
                .service(rosters::upload)
                .service(risk::team_risk)
                .service(risk::what_if)
                .service(risk::wellbeing)
                .service(risk::my_risk)
                .service(npws::overview)
                .service(npws::cohorts)
                .service(npws::cohorts_csv)
                .service(npws::comparisons)
                .service(npws::comparisons_csv)
                .configure(peer_support::configure)
                .service(reports::get_schedule)
                .service(reports::put_schedule)
                .service(reports::list)
                .service(reports::create)
                .service(reports::show),
        );
}

/// Shorthand for the state extractor.
pub type State = web::Data<crate::app::AppState>;
