//! The web dashboard: server-rendered pages (minijinja templates, no
//! scripts, no front-end build) under `/dashboard` for supervisors, FRM
//! leads, NPWS analysts and force admins.
//!
//! Each domain's `pages.rs` holds its pages; this module is what they
//! share: templates, the session, errors, the force admin's page frame and
//! the multipart reader.
//!
//! Sign-in uses the API's accounts and check ([`crate::accounts::service::password_sign_in`]);
//! the session is the same short-lived access token the API issues, in a
//! `Secure; HttpOnly; SameSite=Strict` cookie, verified on every request
//! exactly as a bearer token is. When it expires the user signs in again.
//! Every POST form carries a CSRF token derived from the session token
//! (SHA-256 of `csrf:` + token): a page of another site can neither read
//! the cookie nor compute the token. Every page calls the same access
//! helpers as the API (`Identity::require`, `team_access`, the RLS-scoped
//! database wrappers), so there is one authorisation system.

pub mod multipart;
pub mod roster_view;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use minijinja::Environment;
use serde::Serialize;

use crate::accounts::store::{PolicingFunction, Team};
use crate::app::State;
use crate::auth::{Identity, Role};
use crate::error::AppError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "fatigue_session";

/// The dashboard's templates, compiled once per worker.
#[derive(Debug)]
pub struct Templates(Environment<'static>);

impl Templates {
    /// Loads the embedded templates.
    ///
    /// # Errors
    /// A template that does not parse (caught by the tests).
    pub fn new() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        for (name, source) in [
            ("base.html", include_str!("../../templates/base.html")),
            ("sign_in.html", include_str!("../../templates/sign_in.html")),
            (
                "oidc_choose.html",
                include_str!("../../templates/oidc_choose.html"),
            ),
            (
                "oidc_signed_in.html",
                include_str!("../../templates/oidc_signed_in.html"),
            ),
            (
                "identity_provider.html",
                include_str!("../../templates/identity_provider.html"),
            ),
            ("home.html", include_str!("../../templates/home.html")),
            ("teams.html", include_str!("../../templates/teams.html")),
            ("team.html", include_str!("../../templates/team.html")),
            ("draft.html", include_str!("../../templates/draft.html")),
            (
                "roster_risk.html",
                include_str!("../../templates/roster_risk.html"),
            ),
            ("reports.html", include_str!("../../templates/reports.html")),
            (
                "patterns.html",
                include_str!("../../templates/patterns.html"),
            ),
            ("npws.html", include_str!("../../templates/npws.html")),
            (
                "npws_cohorts.html",
                include_str!("../../templates/npws_cohorts.html"),
            ),
            (
                "npws_comparisons.html",
                include_str!("../../templates/npws_comparisons.html"),
            ),
            ("admin.html", include_str!("../../templates/admin.html")),
            (
                "npws_evaluation.html",
                include_str!("../../templates/npws_evaluation.html"),
            ),
            (
                "sickness.html",
                include_str!("../../templates/sickness.html"),
            ),
            (
                "hr_sheet.html",
                include_str!("../../templates/hr_sheet.html"),
            ),
            ("error.html", include_str!("../../templates/error.html")),
            ("support.html", include_str!("../../templates/support.html")),
            (
                "learning.html",
                include_str!("../../templates/learning.html"),
            ),
            (
                "learning_module.html",
                include_str!("../../templates/learning_module.html"),
            ),
        ] {
            env.add_template(name, source)?;
        }
        Ok(Templates(env))
    }

    /// Renders a template with a context.
    ///
    /// # Errors
    /// [`DashError`] when the template fails.
    pub fn render(&self, name: &str, ctx: impl Serialize) -> Result<String, DashError> {
        self.0
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| DashError::App(AppError::internal(e)))
    }
}

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum DashError {
    /// No or an expired session: back to the sign-in page.
    #[error("sign-in needed")]
    SignIn,
    /// The CSRF token is missing or wrong.
    #[error("the form expired; reload the page and try again")]
    Csrf,
    /// Anything the API would answer with an error.
    #[error(transparent)]
    App(#[from] AppError),
}

impl ResponseError for DashError {
    fn status_code(&self) -> StatusCode {
        match self {
            DashError::SignIn => StatusCode::SEE_OTHER,
            DashError::Csrf => StatusCode::FORBIDDEN,
            DashError::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let DashError::SignIn = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/dashboard/sign-in"))
                .finish();
        }
        let status = self.status_code();
        let message = match self {
            DashError::App(AppError::Internal(cause)) => {
                tracing::error!(%cause, "dashboard: internal error");
                "Something went wrong on our side.".to_owned()
            }
            DashError::App(AppError::Forbidden) => "Your role cannot see this page.".to_owned(),
            DashError::App(AppError::NotFound) => {
                "There is nothing here for your force.".to_owned()
            }
            other => other.to_string(),
        };
        let body = Templates::new()
            .map_err(|e| DashError::App(AppError::internal(e)))
            .and_then(|t| {
                t.render(
                    "error.html",
                    minijinja::context! { title => status.canonical_reason().unwrap_or("Error"), message, status => status.as_u16() },
                )
            })
            .unwrap_or_else(|_| "error".to_owned());
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

/// Page result.
pub type PageResult = Result<HttpResponse, DashError>;

/// A signed-in dashboard user.
#[derive(Debug, Clone)]
pub struct Session {
    /// The same identity an API call with this token has.
    pub who: Identity,
    /// The CSRF token for this session's forms.
    pub csrf: String,
}

/// The value of the request's cookie `name`.
pub fn cookie_value<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The CSRF token of a session token.
pub fn csrf_for(token: &str) -> String {
    crate::auth::secret_hash(&format!("csrf:{token}"))
}

impl Session {
    /// The session from the cookie, verified like a bearer token (a token
    /// signed by another instance's newer key triggers a key reload).
    ///
    /// # Errors
    /// [`DashError::SignIn`] when absent or invalid.
    pub async fn from_request(state: &State, req: &HttpRequest) -> Result<Session, DashError> {
        let token = cookie_value(req, SESSION_COOKIE)
            .ok_or(DashError::SignIn)?
            .to_owned();
        state.keys.learn_kid_of(&state.pool, &token).await?;
        let claims = state.keys.verify(&token).map_err(|_| DashError::SignIn)?;
        crate::accounts::service::check_not_signed_out(state, &claims)
            .await
            .map_err(|_| DashError::SignIn)?;
        if claims.role == Role::Officer {
            // Officers use the app; their device tokens never open pages.
            return Err(DashError::SignIn);
        }
        Ok(Session {
            who: Identity(claims),
            csrf: csrf_for(&token),
        })
    }

    /// The session of a form post, with the form's CSRF token checked.
    ///
    /// # Errors
    /// [`DashError::SignIn`], [`DashError::Csrf`].
    pub async fn from_form(
        state: &State,
        req: &HttpRequest,
        csrf: &str,
    ) -> Result<Session, DashError> {
        let s = Session::from_request(state, req).await?;
        s.check_csrf(csrf)?;
        Ok(s)
    }

    /// Checks a form's CSRF token (constant-time comparison).
    ///
    /// # Errors
    /// [`DashError::Csrf`].
    pub fn check_csrf(&self, sent: &str) -> Result<(), DashError> {
        let (a, b) = (self.csrf.as_bytes(), sent.as_bytes());
        let same =
            a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
        if same { Ok(()) } else { Err(DashError::Csrf) }
    }

    /// What every page's layout needs.
    pub fn nav(&self) -> Nav {
        let role = self.who.0.role;
        Nav {
            role: serde_json::to_value(role)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            teams: matches!(role, Role::Supervisor | Role::FrmLead | Role::ForceAdmin),
            reports: role == Role::FrmLead,
            patterns: crate::patterns::service::COMPARERS.contains(&role),
            npws: role == Role::NpwsAnalyst,
            admin: role == Role::ForceAdmin,
            support: matches!(role, Role::PeerSupporter | Role::PeerSupportCoordinator),
            learning: crate::learning::service::LEARNERS.contains(&role),
            csrf: self.csrf.clone(),
        }
    }
}

/// The navigation a role sees (only links its pages allow).
#[derive(Debug, Clone, Serialize)]
pub struct Nav {
    /// Role, snake_case.
    pub role: String,
    /// Team risk pages.
    pub teams: bool,
    /// Reports.
    pub reports: bool,
    /// Rota pattern comparison.
    pub patterns: bool,
    /// NPWS pages.
    pub npws: bool,
    /// Force admin pages.
    pub admin: bool,
    /// The peer supporter's / coordinator's call-back requests.
    pub support: bool,
    /// The supervisor learning track.
    pub learning: bool,
    /// CSRF token for the sign-out form.
    pub csrf: String,
}

/// A `Set-Cookie` value for the session (empty value and `Max-Age=0` clears it).
pub fn session_cookie(token: &str, max_age: i64) -> HeaderValue {
    let value = format!(
        "{SESSION_COOKIE}={token}; Path=/dashboard; Max-Age={max_age}; Secure; HttpOnly; SameSite=Strict"
    );
    HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("fatigue_session=; Max-Age=0"))
}

/// An HTML response.
pub fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"))
        .body(body)
}

/// A redirect after a successful POST.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Registers the dashboard's templates; each domain's `pages::configure`
/// registers its pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    match Templates::new() {
        Ok(t) => {
            cfg.app_data(web::Data::new(t));
        }
        Err(e) => tracing::error!(error = %e, "dashboard templates do not parse"),
    }
}

/// The force admin's page (teams, members, enrolment codes and progress,
/// the HR file, roster upload)
/// with `extra` (a form's outcome) merged in: the frame the accounts,
/// enrolment and rosters forms answer with.
///
/// # Errors
/// Forbidden but for force admins; template and database errors.
pub async fn admin_page(
    state: &State,
    s: &Session,
    tpl: &Templates,
    extra: minijinja::Value,
) -> PageResult {
    s.who.require(&[Role::ForceAdmin])?;
    let teams = crate::accounts::service::visible_teams(state, &s.who).await?;
    let functions: Vec<&str> = PolicingFunction::ALL.iter().map(|f| f.as_str()).collect();
    let progress = crate::enrolment::service::progress(state, &s.who).await?;
    Ok(html(tpl.render(
        "admin.html",
        minijinja::context! { nav => s.nav(), teams => team_views(&teams), functions, progress, ..extra },
    )?))
}

/// Teams as the templates read them.
pub fn team_views(teams: &[Team]) -> Vec<minijinja::Value> {
    teams
        .iter()
        .map(|t| {
            minijinja::context! {
                id => t.id, name => t.name, command => t.command,
                policing_function => t.policing_function, members => t.members,
            }
        })
        .collect()
}
