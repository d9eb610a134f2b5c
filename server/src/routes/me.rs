//! The officer's own data: consent, export, withdrawal.

use actix_web::{HttpResponse, delete, get, put, web};
use models::api::ConsentBody;
use serde_json::json;
use uuid::Uuid;

use super::State;
use crate::auth::{Identity, Role};
use crate::db::{self, people};
use crate::error::AppResult;

fn officer(who: &Identity) -> AppResult<(Uuid, Uuid)> {
    who.require(&[Role::Officer])?;
    Ok((who.force()?, who.0.sub))
}

/// The officer's consent.
#[utoipa::path(get, path = "/v1/me/consent", responses((status = 200, body = ConsentBody)))]
#[get("/me/consent")]
pub async fn get_consent(state: State, who: Identity) -> AppResult<HttpResponse> {
    let (force, person) = officer(&who)?;
    let level = db::with_force(&state.pool, force, move |c| {
        people::consent(c, force, person)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ConsentBody { level }))
}

/// Changes consent; records no longer covered are deleted at once.
#[utoipa::path(put, path = "/v1/me/consent", request_body = ConsentBody, responses((status = 200, description = "`level` and `records_deleted`", body = Object)))]
#[put("/me/consent")]
pub async fn put_consent(
    state: State,
    who: Identity,
    body: web::Json<ConsentBody>,
) -> AppResult<HttpResponse> {
    let (force, person) = officer(&who)?;
    let level = body.into_inner().level;
    let deleted = db::with_force(&state.pool, force, move |c| {
        people::set_consent(c, force, person, level)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "level": level, "records_deleted": deleted })))
}

/// Everything the server holds about the officer (subject access).
#[utoipa::path(get, path = "/v1/me/export", responses((status = 200, body = Object)))]
#[get("/me/export")]
pub async fn export(state: State, who: Identity) -> AppResult<HttpResponse> {
    let (force, person) = officer(&who)?;
    let doc = db::with_force(&state.pool, force, move |c| {
        people::export(c, force, person)
    })
    .await?;
    Ok(HttpResponse::Ok().json(doc))
}

/// Withdraws: deletes the person, their devices, tokens and records.
#[utoipa::path(delete, path = "/v1/me", responses((status = 204, description = "deleted")))]
#[delete("/me")]
pub async fn withdraw(state: State, who: Identity) -> AppResult<HttpResponse> {
    let (force, person) = officer(&who)?;
    db::with_force(&state.pool, force, move |c| {
        people::withdraw(c, force, person)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
