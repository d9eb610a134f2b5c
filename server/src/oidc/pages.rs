//! The dashboard's single-sign-on pages: the start (a redirect to the
//! force's provider), the callback (a session, as the password sign-in
//! gives), and the force admin's form for the force's provider settings
//! (the API's service functions: the same checks and audit).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, web};
use minijinja::context;
use serde::Deserialize;

use super::provider::Refusal;
use super::service::{self, Callback, OidcError, ProviderConfig, RoleMapEntry};
use crate::app::{State, client_address};
use crate::auth::Role;
use crate::dashboard::{
    DashError, PageResult, Session, Templates, cookie_value, html, see_other, session_cookie,
};
use crate::error::AppError;

/// The cookie that ties a callback to the browser that started the
/// sign-in (its value is the state).
pub const STATE_COOKIE: &str = "fatigue_oidc_state";

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/sign-in/oidc", web::get().to(choose))
        .route("/dashboard/sign-in/oidc/{force}", web::get().to(start))
        .route(
            "/dashboard/sign-in/oidc/{force}/callback",
            web::get().to(callback),
        )
        .route(SETTINGS_PATH, web::get().to(settings))
        .route(SETTINGS_PATH, web::post().to(set_settings))
        .route(
            "/dashboard/admin/identity-provider/delete",
            web::post().to(delete_settings),
        );
}

/// The force admin's identity-provider page.
const SETTINGS_PATH: &str = "/dashboard/admin/identity-provider";

/// The settings form as posted: the role map one `claim value = role` per
/// line, the extra scopes separated by spaces.
#[derive(Debug, Deserialize)]
struct SettingsForm {
    csrf: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret_ref: String,
    #[serde(default)]
    extra_scopes: String,
    #[serde(default)]
    role_claim: String,
    #[serde(default)]
    role_map: String,
}

/// The form's text as the service's configuration; a bad role-map line is
/// named by its number (the service checks the rest, as for the API).
fn config_from(form: &SettingsForm) -> Result<ProviderConfig, AppError> {
    let invalid = |m: String| AppError::invalid("invalid_identity_provider", m);
    let mut role_map = Vec::new();
    for (i, line) in form.role_map.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // The last `=`: a claim value may hold one, a role name cannot.
        let Some((value, role)) = line.rsplit_once('=') else {
            return Err(invalid(format!(
                "role map line {}: write it as `claim value = role`",
                i + 1
            )));
        };
        let role: Role = serde_json::from_value(serde_json::Value::String(role.trim().to_owned()))
            .map_err(|_| invalid(format!("role map line {}: not a role", i + 1)))?;
        role_map.push(RoleMapEntry {
            value: value.trim().to_owned(),
            role,
        });
    }
    let secret = form.client_secret_ref.trim();
    Ok(ProviderConfig {
        issuer: form.issuer.trim().to_owned(),
        client_id: form.client_id.trim().to_owned(),
        client_secret_ref: (!secret.is_empty()).then(|| secret.to_owned()),
        extra_scopes: form
            .extra_scopes
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        role_claim: form.role_claim.trim().to_owned(),
        role_map,
        redirect_uri: String::new(),
    })
}

/// The role map as the form shows it.
fn role_map_text(map: &[RoleMapEntry]) -> String {
    map.iter()
        .map(|e| {
            let role = serde_json::to_value(e.role)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{} = {role}\n", e.value)
        })
        .collect()
}

/// The page: the force's provider (or none) and the form. `sent` refills
/// the form after a refusal, with `error` saying why.
async fn settings_page(
    state: &State,
    s: &Session,
    tpl: &Templates,
    sent: Option<&SettingsForm>,
    error: Option<String>,
    saved: bool,
) -> PageResult {
    s.who.require(&[Role::ForceAdmin])?;
    let current = match service::get_provider(state, &s.who).await {
        Ok(cfg) => Some(cfg),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let slug = crate::accounts::service::own_force(state, &s.who)
        .await?
        .slug;
    let form = match (sent, &current) {
        (Some(f), _) => context! {
            issuer => f.issuer, client_id => f.client_id, client_secret_ref => f.client_secret_ref,
            extra_scopes => f.extra_scopes, role_claim => f.role_claim, role_map => f.role_map,
        },
        (None, Some(c)) => context! {
            issuer => c.issuer, client_id => c.client_id,
            client_secret_ref => c.client_secret_ref.clone().unwrap_or_default(),
            extra_scopes => c.extra_scopes.join(" "), role_claim => c.role_claim,
            role_map => role_map_text(&c.role_map),
        },
        (None, None) => context! {},
    };
    let page = tpl.render(
        "identity_provider.html",
        context! {
            nav => s.nav(), form, error, saved, configured => current.is_some(),
            redirect_uri => service::redirect_uri(state, &slug),
        },
    )?;
    let mut resp = html(page);
    if error.is_some() {
        *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

#[derive(Debug, Deserialize)]
struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn settings(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    q: web::Query<SavedQuery>,
) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    settings_page(&state, &s, &tpl, None, None, q.saved.is_some()).await
}

/// Sets the provider through [`service::set_provider`] (checked, the
/// issuer's discovery fetched, audited); a refusal shows the form again
/// with the reason and nothing changed.
async fn set_settings(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<SettingsForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    s.who.require(&[Role::ForceAdmin])?;
    let outcome = match config_from(&form) {
        Ok(cfg) => service::set_provider(&state, &s.who, cfg).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!("{SETTINGS_PATH}?saved=1"))),
        Err(e @ AppError::Invalid { .. }) => {
            settings_page(&state, &s, &tpl, Some(&form), Some(e.to_string()), false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// Removes the provider through [`service::delete_provider`] (audited);
/// the force's staff sign in with passwords again.
async fn delete_settings(state: State, req: HttpRequest, form: web::Form<CsrfForm>) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    match service::delete_provider(&state, &s.who).await {
        Ok(()) | Err(AppError::NotFound) => Ok(see_other(SETTINGS_PATH)),
        Err(e) => Err(e.into()),
    }
}

/// The state cookie, scoped to the force's sign-in paths. `SameSite=Lax`,
/// not `Strict`: the provider's redirect back is a cross-site navigation,
/// which a strict cookie would not go with.
fn state_cookie(slug: &str, value: &str, max_age: i64) -> HeaderValue {
    let v = format!(
        "{STATE_COOKIE}={value}; Path=/dashboard/sign-in/oidc/{slug}; Max-Age={max_age}; Secure; HttpOnly; SameSite=Lax"
    );
    HeaderValue::from_str(&v)
        .unwrap_or_else(|_| HeaderValue::from_static("fatigue_oidc_state=; Max-Age=0"))
}

#[derive(Debug, Deserialize)]
struct ChooseForm {
    #[serde(default)]
    force: String,
}

/// Asks for the force (the sign-in page links here), then starts its
/// sign-in.
async fn choose(tpl: web::Data<Templates>, form: web::Query<ChooseForm>) -> PageResult {
    let slug = form.force.trim();
    if slug.is_empty() {
        return Ok(html(tpl.render("oidc_choose.html", context! {})?));
    }
    if service::plausible_slug(slug) {
        return Ok(see_other(&format!("/dashboard/sign-in/oidc/{slug}")));
    }
    let page = tpl.render(
        "oidc_choose.html",
        context! { error => "That is not a force's short name.", force => slug },
    )?;
    let mut resp = html(page);
    *resp.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    Ok(resp)
}

fn refused_page(tpl: &Templates, message: &str, force: &str, status: u16) -> PageResult {
    let page = tpl.render("sign_in.html", context! { error => message, force })?;
    let mut resp = html(page);
    *resp.status_mut() =
        actix_web::http::StatusCode::from_u16(status).map_err(AppError::internal)?;
    Ok(resp)
}

fn refusal(tpl: &Templates, e: OidcError, slug: &str) -> PageResult {
    match e {
        OidcError::Refused(r) => {
            let (message, status) = match r {
                Refusal::Discovery => (
                    format!(
                        "Your force's identity provider cannot be reached ({}). Try again later, or sign in with a password.",
                        r.code()
                    ),
                    502,
                ),
                Refusal::NoRole => (
                    format!(
                        "Your force's identity provider does not give you a dashboard role ({}). Ask your force admin.",
                        r.code()
                    ),
                    403,
                ),
                _ => (
                    format!(
                        "Sign-in with your force's identity provider was refused ({}). Start again.",
                        r.code()
                    ),
                    401,
                ),
            };
            refused_page(tpl, &message, slug, status)
        }
        OidcError::App(AppError::NotFound) => refused_page(
            tpl,
            "This force does not sign in with an identity provider. Sign in with a password.",
            slug,
            404,
        ),
        OidcError::App(AppError::RateLimited) => refused_page(
            tpl,
            "Too many attempts. Wait a minute and try again.",
            slug,
            429,
        ),
        OidcError::App(e) => Err(DashError::App(e)),
    }
}

async fn start(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    force: web::Path<String>,
) -> PageResult {
    let slug = force.into_inner();
    if !service::plausible_slug(&slug) {
        return refusal(&tpl, OidcError::App(AppError::NotFound), "");
    }
    match service::begin(&state, &slug, &client_address(&req)).await {
        Ok(started) => {
            let mut resp = see_other(&started.url);
            let max_age = super::store::LOGIN_MINUTES * 60;
            resp.headers_mut().append(
                header::SET_COOKIE,
                state_cookie(&slug, &started.state, max_age),
            );
            Ok(resp)
        }
        Err(e) => refusal(&tpl, e, &slug),
    }
}

async fn callback(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    force: web::Path<String>,
    query: web::Query<Callback>,
) -> PageResult {
    let slug = force.into_inner();
    if !service::plausible_slug(&slug) {
        return refusal(&tpl, OidcError::App(AppError::NotFound), "");
    }
    let sent = cookie_value(&req, STATE_COOKIE).map(str::to_owned);
    let outcome = service::finish(
        &state,
        &slug,
        query.into_inner(),
        sent.as_deref(),
        &client_address(&req),
    )
    .await;
    let mut resp = match outcome {
        Ok(token) => {
            // A page, not a redirect: the session cookie is SameSite=Strict,
            // and a redirect at the end of the provider's cross-site chain
            // would not send it; this page's own link or refresh is a
            // same-site navigation that does.
            let mut resp = html(tpl.render("oidc_signed_in.html", context! {})?);
            resp.headers_mut().append(
                header::SET_COOKIE,
                session_cookie(&token, state.keys.ttl_seconds()),
            );
            resp
        }
        Err(e) => refusal(&tpl, e, &slug)?,
    };
    // The state is good once, whatever happened.
    resp.headers_mut()
        .append(header::SET_COOKIE, state_cookie(&slug, "", 0));
    Ok(resp)
}
