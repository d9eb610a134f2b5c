//! Platform administration: forces, their first admin, NPWS analysts, keys.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use serde_json::json;

use super::State;
use crate::auth::{Identity, Role, hash_password};
use crate::db::{self, accounts::Force};
use crate::error::{AppError, AppResult};

/// A new force.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewForce {
    /// Short name, `[a-z0-9-]`, 2 to 40 characters.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// IANA zone for rosters; default `Europe/London`.
    pub time_zone: Option<String>,
}

/// A new account with a password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Username.
    pub username: String,
    /// Password, at least 12 characters.
    pub password: String,
}

/// Checks a new username and password.
///
/// # Errors
/// `invalid_account` for a short password or an odd username.
pub fn check_account(a: &NewAccount) -> AppResult<()> {
    let name_ok = (1..=64).contains(&a.username.len())
        && a.username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if !name_ok {
        return Err(AppError::invalid(
            "invalid_account",
            "username: 1 to 64 of a-z 0-9 . _ - @",
        ));
    }
    if a.password.chars().count() < 12 {
        return Err(AppError::invalid(
            "invalid_account",
            "password: at least 12 characters",
        ));
    }
    Ok(())
}

/// Creates a force (platform admin).
#[utoipa::path(post, path = "/v1/admin/forces", request_body = NewForce, responses(
    (status = 201, body = crate::db::accounts::Force),
    (status = 409, description = "conflict", body = crate::error::Problem)))]
#[post("/admin/forces")]
pub async fn create_force(
    state: State,
    who: Identity,
    body: web::Json<NewForce>,
) -> AppResult<HttpResponse> {
    who.require(&[Role::PlatformAdmin])?;
    let NewForce {
        slug,
        name,
        time_zone,
    } = body.into_inner();
    let tz = time_zone.unwrap_or_else(|| "Europe/London".to_owned());
    if tz.parse::<chrono_tz::Tz>().is_err() {
        return Err(AppError::invalid(
            "invalid_time_zone",
            "time_zone is not an IANA zone",
        ));
    }
    let valid_slug = (2..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if !valid_slug {
        return Err(AppError::invalid(
            "invalid_slug",
            "slug: 2 to 40 of a-z 0-9 -",
        ));
    }
    let force =
        db::with_platform(&state.pool, move |c| Force::create(c, &slug, &name, &tz)).await?;
    Ok(HttpResponse::Created().json(force))
}

/// Creates a force admin for a force (platform admin).
#[utoipa::path(post, path = "/v1/admin/forces/{slug}/admins", request_body = NewAccount, responses(
    (status = 201, description = "created"), (status = 404, body = crate::error::Problem)))]
#[post("/admin/forces/{slug}/admins")]
pub async fn create_force_admin(
    state: State,
    who: Identity,
    slug: web::Path<String>,
    body: web::Json<NewAccount>,
) -> AppResult<HttpResponse> {
    who.require(&[Role::PlatformAdmin])?;
    let body = body.into_inner();
    check_account(&body)?;
    let slug = slug.into_inner();
    let force = db::with_platform(&state.pool, move |c| Force::by_slug(c, &slug)).await?;
    let hash = web::block(move || hash_password(&body.password)).await??;
    let id = force.id;
    let username = body.username;
    let account = db::with_force(&state.pool, id, move |c| {
        db::accounts::create_force_account(c, id, &username, &hash, "force_admin")
    })
    .await?;
    Ok(HttpResponse::Created()
        .json(json!({ "id": account, "force_id": id, "role": "force_admin" })))
}

/// Creates an NPWS analyst account (platform admin).
#[utoipa::path(post, path = "/v1/admin/analysts", request_body = NewAccount, responses((status = 201, description = "created")))]
#[post("/admin/analysts")]
pub async fn create_analyst(
    state: State,
    who: Identity,
    body: web::Json<NewAccount>,
) -> AppResult<HttpResponse> {
    who.require(&[Role::PlatformAdmin])?;
    let body = body.into_inner();
    check_account(&body)?;
    let hash = web::block(move || hash_password(&body.password)).await??;
    let username = body.username;
    let id = db::with_platform(&state.pool, move |c| {
        db::accounts::create_platform_account(c, &username, &hash, "npws_analyst")
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({ "id": id, "role": "npws_analyst" })))
}

/// Makes a new signing key (platform admin); older keys stay valid for
/// tokens already issued.
#[utoipa::path(post, path = "/v1/admin/keys/rotate", responses((status = 200, description = "new kid")))]
#[post("/admin/keys/rotate")]
pub async fn rotate_keys(state: State, who: Identity) -> AppResult<HttpResponse> {
    who.require(&[Role::PlatformAdmin])?;
    let kid = state.keys.rotate(&state.pool).await?;
    let audit_who = who.clone();
    let target = format!("key:{kid}");
    db::with_platform(&state.pool, move |c| {
        db::audit::record(c, None, &audit_who, "rotate_signing_key", &target)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "kid": kid })))
}
