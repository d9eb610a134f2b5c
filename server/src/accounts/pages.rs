//! The dashboard's account pages: home, sign-in and sign-out, and the
//! force admin's page with its team forms.

use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde::Deserialize;
use uuid::Uuid;

use super::service::{self, SignIn};
use super::store::{PolicingFunction, Team};
use crate::app::{State, client_address};
use crate::auth::Role;
use crate::dashboard::{
    DashError, PageResult, Session, Templates, admin_page, html, see_other, session_cookie,
};
use crate::error::AppError;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(home))
        .route("/dashboard/", web::get().to(home))
        .route("/dashboard/sign-in", web::get().to(sign_in_page))
        .route("/dashboard/sign-in", web::post().to(sign_in))
        .route("/dashboard/sign-out", web::post().to(sign_out))
        .route("/dashboard/admin", web::get().to(admin))
        .route("/dashboard/admin/teams", web::post().to(create_team))
        .route("/dashboard/admin/members", web::post().to(team_members));
}

async fn home(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let force = match s.who.0.force {
        Some(_) => Some(service::own_force(&state, &s.who).await?.name),
        None => None,
    };
    Ok(html(
        tpl.render("home.html", context! { nav => s.nav(), force })?,
    ))
}

async fn sign_in_page(tpl: web::Data<Templates>) -> PageResult {
    Ok(html(tpl.render("sign_in.html", context! {})?))
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    #[serde(default)]
    force: String,
    username: String,
    password: String,
}

async fn sign_in(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<SignInForm>,
) -> PageResult {
    let form = form.into_inner();
    let force = form.force.trim().to_owned();
    let attempt = SignIn {
        force: (!force.is_empty()).then(|| force.clone()),
        username: form.username.trim().to_owned(),
        password: form.password,
        address: client_address(&req),
    };
    match service::password_sign_in(&state, attempt).await {
        Ok(token) => {
            let claims = state.keys.verify(&token)?;
            if claims.role == Role::Officer {
                return Err(DashError::App(AppError::Forbidden));
            }
            let mut resp = see_other("/dashboard");
            resp.headers_mut().insert(
                actix_web::http::header::SET_COOKIE,
                session_cookie(&token, state.keys.ttl_seconds()),
            );
            Ok(resp)
        }
        Err(e @ (AppError::InvalidCredentials | AppError::RateLimited)) => {
            let message = match e {
                AppError::RateLimited => "Too many attempts. Wait a minute and try again.",
                _ => "The force, username or password is not right.",
            };
            let page = tpl.render(
                "sign_in.html",
                context! { error => message, force, username => form.username },
            )?;
            Ok(HttpResponse::Unauthorized()
                .content_type("text/html; charset=utf-8")
                .body(page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn sign_out(state: State, req: HttpRequest, form: web::Form<CsrfForm>) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    service::sign_out(&state, &s.who).await?;
    let mut resp = see_other("/dashboard/sign-in");
    resp.headers_mut()
        .insert(actix_web::http::header::SET_COOKIE, session_cookie("", 0));
    Ok(resp)
}

async fn admin(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    admin_page(&state, &s, &tpl, context! {}).await
}

/// The admin page again with the outcome of a team form: a notice, or the
/// service's message for input the admin can fix (nothing was changed).
async fn team_outcome(
    state: &State,
    s: &Session,
    tpl: &Templates,
    outcome: Result<Team, AppError>,
) -> PageResult {
    let team_result = match outcome {
        Ok(team) => context! { saved => team.name },
        Err(AppError::NotFound) => context! { error => "That team is not in your force." },
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            context! { error => e.to_string() }
        }
        Err(e) => return Err(e.into()),
    };
    admin_page(state, s, tpl, context! { team_result }).await
}

#[derive(Debug, Deserialize)]
struct TeamForm {
    csrf: String,
    name: String,
    #[serde(default)]
    command: String,
    policing_function: PolicingFunction,
}

async fn create_team(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<TeamForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let form = form.into_inner();
    let command = form.command.trim().to_owned();
    let outcome = service::add_team(
        &state,
        &s.who,
        form.name.trim().to_owned(),
        (!command.is_empty()).then_some(command),
        Some(form.policing_function),
    )
    .await;
    team_outcome(&state, &s, &tpl, outcome).await
}

#[derive(Debug, Deserialize)]
struct MembersForm {
    csrf: String,
    team: Uuid,
    staff_numbers: String,
}

async fn team_members(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<MembersForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    // One staff number per line or separated by commas or spaces.
    let staff: Vec<String> = form
        .staff_numbers
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let outcome = service::replace_members(&state, &s.who, form.team, staff).await;
    team_outcome(&state, &s, &tpl, outcome).await
}
