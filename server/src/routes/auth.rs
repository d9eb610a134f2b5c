//! Sign-in, enrolment, token refresh and the JWKS.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use models::api::{EnrolRequest, RefreshRequest, SessionTokens};
use serde::Deserialize;
use uuid::Uuid;

use super::State;
use crate::auth::{Role, hash_password, random_secret, secret_hash, verify_password};
use crate::db::{self, accounts::Force, people};
use crate::error::{AppError, AppResult};

/// Staff sign-in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The force's slug; omit for national accounts (platform admin, NPWS).
    pub force: Option<String>,
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

fn client_address(req: &HttpRequest) -> String {
    // The socket's peer, not X-Forwarded-For: a header is the caller's to forge.
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn tokens(
    access: String,
    ttl: i64,
    refresh_token: Option<String>,
    device: Option<Uuid>,
) -> SessionTokens {
    SessionTokens {
        access_token: access,
        token_type: "Bearer".to_owned(),
        expires_in: u64::try_from(ttl).unwrap_or(0),
        refresh_token,
        device_id: device.map(|d| d.to_string()),
    }
}

fn role_of(stored: &str) -> AppResult<Role> {
    serde_json::from_value(serde_json::Value::String(stored.to_owned())).map_err(AppError::internal)
}

/// An unknown force reads as bad credentials, not "no such force".
fn unknown_as_credentials(e: AppError) -> AppError {
    match e {
        AppError::NotFound => AppError::InvalidCredentials,
        other => other,
    }
}

/// Signs a member of staff in with a password (argon2id). Rate-limited per
/// username and per address.
#[utoipa::path(post, path = "/v1/auth/login", request_body = LoginRequest, responses(
    (status = 200, description = "access token", body = SessionTokens),
    (status = 401, description = "invalid_credentials", body = crate::error::Problem),
    (status = 429, description = "rate_limited", body = crate::error::Problem)))]
#[post("/auth/login")]
pub async fn login(
    state: State,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let access = password_sign_in(&state, &req, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(tokens(access, state.keys.ttl_seconds(), None, None)))
}

/// Checks a password sign-in (rate limits, force, argon2id) and issues an
/// access token: the API's login and the dashboard's sign-in form.
///
/// # Errors
/// `invalid_credentials`, `rate_limited`, database errors.
pub async fn password_sign_in(
    state: &State,
    req: &HttpRequest,
    body: LoginRequest,
) -> AppResult<String> {
    let per_user = state.config.sign_in_per_minute;
    let user_bucket = format!(
        "sign-in:{}:{}",
        body.force.as_deref().unwrap_or("-"),
        body.username
    );
    let addr_bucket = format!("sign-in-addr:{}", client_address(req));
    // Counted in its own transaction so a failed attempt still counts.
    db::with_platform(&state.pool, move |c| {
        db::rate_limit::prune(c)?;
        db::rate_limit::hit(c, &addr_bucket, per_user.saturating_mul(6))?;
        db::rate_limit::hit(c, &user_bucket, per_user)
    })
    .await?;
    let username = body.username.clone();
    let (force, cred) = match body.force.clone() {
        None => {
            let cred = db::with_platform(&state.pool, move |c| {
                db::accounts::platform_credential(c, &username)
            })
            .await?;
            (None, cred)
        }
        Some(slug) => {
            let force = db::with_platform(&state.pool, move |c| Force::by_slug(c, &slug))
                .await
                .map_err(unknown_as_credentials)?;
            let id = force.id;
            let cred = db::with_force(&state.pool, id, move |c| {
                db::accounts::force_credential(c, id, &username)
            })
            .await?;
            (Some(id), cred)
        }
    };
    let password = body.password;
    // Verify off the async workers: argon2 is deliberately slow.
    let checked =
        web::block(move || cred.filter(|c| verify_password(&password, &c.password_hash))).await?;
    let cred = checked.ok_or(AppError::InvalidCredentials)?;
    let role = role_of(&cred.role)?;
    state.keys.issue(cred.id, role, force, None)
}

async fn device_tokens(
    state: &State,
    force: Uuid,
    person: Uuid,
    device: Uuid,
) -> AppResult<SessionTokens> {
    // The force id leads the token so the lookup can be scoped before it.
    let refresh_token = format!("{force}.{}", random_secret(32));
    let hash = secret_hash(&refresh_token);
    db::with_force(&state.pool, force, move |c| {
        people::store_refresh_token(c, force, &hash, device)
    })
    .await?;
    let access = state
        .keys
        .issue(person, Role::Officer, Some(force), Some(device))?;
    Ok(tokens(
        access,
        state.keys.ttl_seconds(),
        Some(refresh_token),
        Some(device),
    ))
}

/// A phone redeems a one-time enrolment code: a pseudonymous person (new, or
/// the same one for a second phone), a device and tokens. Rate-limited per address.
#[utoipa::path(post, path = "/v1/enrol", request_body = EnrolRequest, responses(
    (status = 200, description = "device tokens", body = SessionTokens),
    (status = 401, description = "invalid_credentials", body = crate::error::Problem),
    (status = 429, description = "rate_limited", body = crate::error::Problem)))]
#[post("/enrol")]
pub async fn enrol(
    state: State,
    req: HttpRequest,
    body: web::Json<EnrolRequest>,
) -> AppResult<HttpResponse> {
    let limit = state.config.enrol_per_minute;
    let bucket = format!("enrol-addr:{}", client_address(&req));
    db::with_platform(&state.pool, move |c| db::rate_limit::hit(c, &bucket, limit)).await?;
    let request = body.into_inner();
    // A blank force or code is as wrong as a wrong one.
    request.check().map_err(|_| AppError::InvalidCredentials)?;
    let EnrolRequest { force, code } = request;
    let force = db::with_platform(&state.pool, move |c| Force::by_slug(c, &force))
        .await
        .map_err(unknown_as_credentials)?;
    let id = force.id;
    let hash = secret_hash(code.trim());
    let (person, device) =
        db::with_force(&state.pool, id, move |c| people::enrol(c, id, &hash)).await?;
    Ok(HttpResponse::Ok().json(device_tokens(&state, id, person, device).await?))
}

/// Swaps a device's refresh token (single use) for new tokens. Reusing a
/// spent token revokes all of the device's refresh tokens.
#[utoipa::path(post, path = "/v1/auth/refresh", request_body = RefreshRequest, responses(
    (status = 200, description = "device tokens", body = SessionTokens),
    (status = 401, description = "invalid_credentials", body = crate::error::Problem)))]
#[post("/auth/refresh")]
pub async fn refresh(state: State, body: web::Json<RefreshRequest>) -> AppResult<HttpResponse> {
    let request = body.into_inner();
    request.check().map_err(|_| AppError::InvalidCredentials)?;
    let token = request.refresh_token;
    let force = token
        .split_once('.')
        .and_then(|(f, _)| Uuid::parse_str(f).ok())
        .ok_or(AppError::InvalidCredentials)?;
    let hash = secret_hash(&token);
    // A revocation on reuse must commit even though the answer is an error.
    let spent = db::with_force(&state.pool, force, move |c| {
        Ok(people::spend_refresh_token(c, force, &hash))
    })
    .await?;
    let (person, device) = spent?;
    Ok(HttpResponse::Ok().json(device_tokens(&state, force, person, device).await?))
}

/// The public keys that verify access tokens (RFC 7517, OKP/Ed25519).
#[utoipa::path(get, path = "/.well-known/jwks.json", responses((status = 200, body = crate::auth::Jwks)))]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.keys.jwks())
}

/// Creates the first platform admin when none exists (start-up bootstrap).
///
/// # Errors
/// Database errors.
pub async fn bootstrap_admin(state: &crate::app::AppState, password: &str) -> AppResult<bool> {
    let hash = hash_password(password)?;
    db::with_platform(&state.pool, move |c| {
        if db::accounts::platform_admin_exists(c)? {
            return Ok(false);
        }
        db::accounts::create_platform_account(c, "admin", &hash, "platform_admin")?;
        Ok(true)
    })
    .await
}
