//! The OpenAPI document's frame: title, version and shared components. Its
//! paths are collected from the handlers as [`crate::app::build`] registers
//! them, and served here.

use actix_web::{HttpResponse, get, web};
use utoipa::OpenApi;

/// The API description's frame.
#[derive(OpenApi)]
#[openapi(
    info(title = "Fatigue platform API", version = "1"),
    components(schemas(crate::error::Problem))
)]
pub struct ApiDoc;

/// This document, as JSON.
#[utoipa::path(get, path = "/v1/openapi.json", responses((status = 200, description = "OpenAPI 3.1")))]
#[get("/v1/openapi.json")]
pub async fn document(doc: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(doc.get_ref())
}
