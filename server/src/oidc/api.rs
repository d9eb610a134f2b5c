//! A force's identity provider through the API (force admin).

use actix_web::{HttpResponse, delete, get, put, web};

use super::service::{self, ProviderConfig};
use crate::app::State;
use crate::auth::Identity;
use crate::error::{AppResult, Problem};

/// The force's identity provider for dashboard sign-in, with the redirect
/// URI to register at the provider (force admin).
#[utoipa::path(get, path = "/force/identity-provider", responses(
    (status = 200, body = ProviderConfig), (status = 403, body = Problem), (status = 404, body = Problem)))]
#[get("/force/identity-provider")]
pub async fn get_provider(state: State, who: Identity) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get_provider(&state, &who).await?))
}

/// Sets the force's identity provider (force admin): the issuer's
/// discovery document must be reachable and name the same issuer. Audited.
#[utoipa::path(put, path = "/force/identity-provider", request_body = ProviderConfig, responses(
    (status = 200, body = ProviderConfig), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[put("/force/identity-provider")]
pub async fn put_provider(
    state: State,
    who: Identity,
    body: web::Json<ProviderConfig>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::set_provider(&state, &who, body.into_inner()).await?))
}

/// Removes the force's identity provider (force admin); its staff sign in
/// with passwords. Audited.
#[utoipa::path(delete, path = "/force/identity-provider", responses(
    (status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
#[delete("/force/identity-provider")]
pub async fn delete_provider(state: State, who: Identity) -> AppResult<HttpResponse> {
    service::delete_provider(&state, &who).await?;
    Ok(HttpResponse::NoContent().finish())
}
