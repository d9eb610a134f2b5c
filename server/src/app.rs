//! Shared state and the actix application: every route is registered here,
//! once, with its OpenAPI operation (utoipa-actix-web collects the document
//! from the same `.service(..)` calls that register the handlers, so the
//! two cannot drift), and every domain's dashboard pages.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::web::{self, ServiceConfig};
use actix_web::{App, HttpRequest, HttpResponse};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};

use crate::auth::KeySet;
use crate::config::Config;
use crate::db::DbPool;
use crate::error::AppError;

/// Largest JSON body accepted (after gzip decoding), bytes: a full sync batch
/// of 500 records is about 150 KiB.
pub const JSON_LIMIT: usize = 1024 * 1024;
/// Largest roster file accepted, bytes.
pub const ROSTER_LIMIT: usize = 4 * 1024 * 1024;

/// What every handler can reach, through `web::Data`.
#[derive(Debug)]
pub struct AppState {
    /// Runtime-role connections.
    pub pool: DbPool,
    /// Signing keys.
    pub keys: KeySet,
    /// Settings.
    pub config: Config,
    /// Where `POST /v1/sync` hands its batches (group commit).
    pub sync: crate::sync::service::SyncQueue,
}

/// Shorthand for the state extractor.
pub type State = web::Data<AppState>;

/// Adds every route, the dashboard, the body limits, the problem-details
/// handlers for malformed bodies and unknown paths, and the OpenAPI
/// document (served at `/v1/openapi.json`) to `app`.
pub fn build<T, B>(app: App<T>) -> App<T>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        >,
    B: MessageBody,
{
    let (app, document) = app
        .into_utoipa_app()
        .openapi(crate::openapi::ApiDoc::openapi())
        .configure(api_routes)
        .split_for_parts();
    app.app_data(web::Data::new(document))
        .configure(shared)
        .configure(pages)
        .default_service(web::to(not_found))
}

/// Every API route with its OpenAPI operation, by domain.
fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    use crate::{
        accounts, enrolment, npws, oidc, patterns, peer_support, reports, risk, rosters, settings,
        sync,
    };
    cfg.service(crate::health::health)
        .service(crate::health::ready)
        .service(crate::openapi::document)
        .service(accounts::api::jwks)
        .service(
            scope::scope("/v1")
                .service(accounts::api::login)
                .service(accounts::api::logout)
                .service(accounts::api::create_force)
                .service(accounts::api::create_force_admin)
                .service(accounts::api::create_analyst)
                .service(accounts::api::rotate_keys)
                .service(accounts::api::create_account)
                .service(accounts::api::put_account_email)
                .service(accounts::api::put_own_email)
                .service(accounts::api::create_team)
                .service(accounts::api::list_teams)
                .service(accounts::api::set_members)
                .service(accounts::api::add_supervisor)
                .service(accounts::api::audit)
                .service(accounts::api::get_consent)
                .service(accounts::api::put_consent)
                .service(accounts::api::export)
                .service(accounts::api::withdraw)
                .service(enrolment::api::enrol)
                .service(enrolment::api::refresh)
                .service(enrolment::api::enrolment_code)
                .service(enrolment::api::hr_file)
                .service(enrolment::api::pairing_code)
                .service(enrolment::api::devices)
                .service(sync::api::sync)
                .service(rosters::api::upload)
                .service(rosters::api::start_draft)
                .service(rosters::api::list_drafts)
                .service(rosters::api::show_draft)
                .service(rosters::api::change_draft)
                .service(rosters::api::undo_draft)
                .service(rosters::api::publish_draft)
                .service(risk::api::team_risk)
                .service(risk::api::what_if)
                .service(risk::api::wellbeing)
                .service(risk::api::my_risk)
                .service(npws::api::overview)
                .service(npws::api::cohorts)
                .service(npws::api::cohorts_csv)
                .service(npws::api::comparisons)
                .service(npws::api::comparisons_csv)
                .service(settings::api::get_settings)
                .service(settings::api::put_settings)
                .service(settings::api::get_retention)
                .service(settings::api::put_retention)
                .service(oidc::api::get_provider)
                .service(oidc::api::put_provider)
                .service(oidc::api::delete_provider)
                .service(reports::api::get_schedule)
                .service(reports::api::put_schedule)
                .service(reports::api::list)
                .service(reports::api::create)
                .service(reports::api::show)
                .service(patterns::api::compare)
                .service(peer_support::api::directory)
                .service(peer_support::api::put_supporter)
                .service(peer_support::api::delete_supporter)
                .service(peer_support::api::create_service)
                .service(peer_support::api::update_service)
                .service(peer_support::api::delete_service)
                .service(peer_support::api::create_callback)
                .service(peer_support::api::mine)
                .service(peer_support::api::assigned)
                .service(peer_support::api::unassigned)
                .service(peer_support::api::acknowledge)
                .service(peer_support::api::contacted)
                .service(peer_support::api::handover)
                .service(peer_support::api::cancel)
                .service(peer_support::api::report),
        );
}

/// Every domain's dashboard pages (exact paths, so no page claims another's).
fn pages(cfg: &mut ServiceConfig) {
    use crate::{accounts, enrolment, learning, npws, peer_support, reports, risk, rosters};
    crate::metrics::configure(cfg);
    crate::dashboard::configure(cfg);
    accounts::pages::configure(cfg);
    enrolment::pages::configure(cfg);
    rosters::pages::configure(cfg);
    risk::pages::configure(cfg);
    reports::pages::configure(cfg);
    crate::patterns::pages::configure(cfg);
    npws::pages::configure(cfg);
    npws::evaluation_pages::configure(cfg);
    learning::pages::configure(cfg);
    peer_support::pages::configure(cfg);
    crate::oidc::pages::configure(cfg);
}

/// The body limits and the problem-details answer for a malformed body.
fn shared(cfg: &mut ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_LIMIT)
            .content_type_required(false)
            .error_handler(|err, _req| json_error(err).into()),
    )
    .app_data(web::PayloadConfig::default().limit(ROSTER_LIMIT));
}

fn json_error(err: actix_web::error::JsonPayloadError) -> AppError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::Overflow { limit } | E::OverflowKnownLength { limit, .. } => {
            AppError::TooLarge(format!("the body is larger than {limit} bytes"))
        }
        E::ContentType => AppError::invalid("invalid_body", "expected application/json"),
        E::Deserialize(e) => AppError::invalid("invalid_body", e.to_string()),
        other => AppError::invalid("invalid_body", other.to_string()),
    }
}

async fn not_found(_req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// A CSV download named `filename`.
pub fn csv_download(body: String, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

/// The caller's address, for rate limits and the audit log: the socket's
/// peer, or, when the peer is one of the configured trusted proxies
/// (`FATIGUE_TRUSTED_PROXIES`), the address that proxy saw ([`forwarded_client`]).
/// From anyone else `X-Forwarded-For` is ignored: it is the caller's to forge.
pub fn client_address(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".to_owned();
    };
    let trusted = req
        .app_data::<State>()
        .map(|s| s.config.trusted_proxies.as_slice())
        .unwrap_or_default();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    forwarded_client(peer, &forwarded.join(","), trusted).to_string()
}

/// The client behind a chain of proxies: walking `X-Forwarded-For` from the
/// right (the hop nearest us), the first address that is not a trusted
/// proxy. Only a trusted peer's header is read; an unparsable entry ends
/// the walk at the last trusted hop.
pub fn forwarded_client(
    peer: std::net::IpAddr,
    x_forwarded_for: &str,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    let mut client = peer;
    if !trusted.contains(&peer) {
        return client;
    }
    for hop in x_forwarded_for.rsplit(',').map(str::trim) {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod forwarded_tests {
    use super::forwarded_client;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxys_header_names_the_client() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy, ip("10.0.0.3")];
        // Not from a proxy: the header is the caller's to forge.
        assert_eq!(
            forwarded_client(ip("203.0.113.9"), "198.51.100.1", &trusted),
            ip("203.0.113.9")
        );
        // From the proxy: the hop it saw.
        assert_eq!(
            forwarded_client(proxy, "198.51.100.1", &trusted),
            ip("198.51.100.1")
        );
        // A forged left-most entry does not win over the hop the proxy added.
        assert_eq!(
            forwarded_client(proxy, "1.2.3.4, 198.51.100.1", &trusted),
            ip("198.51.100.1")
        );
        // Two trusted proxies in a row are skipped.
        assert_eq!(
            forwarded_client(proxy, "198.51.100.7, 10.0.0.3", &trusted),
            ip("198.51.100.7")
        );
        // No header, or rubbish: the proxy itself.
        assert_eq!(forwarded_client(proxy, "", &trusted), proxy);
        assert_eq!(forwarded_client(proxy, "not-an-ip", &trusted), proxy);
        // No trusted proxies configured: always the peer.
        assert_eq!(forwarded_client(proxy, "198.51.100.1", &[]), proxy);
    }
}
