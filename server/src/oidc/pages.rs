//! The dashboard's single-sign-on pages: the start (a redirect to the
//! force's provider) and the callback (a session, as the password sign-in
//! gives).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, web};
use minijinja::context;
use serde::Deserialize;

use super::provider::Refusal;
use super::service::{self, Callback, OidcError};
use crate::app::{State, client_address};
use crate::dashboard::{
    DashError, PageResult, Templates, cookie_value, html, see_other, session_cookie,
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
        );
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
