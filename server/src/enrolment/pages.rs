//! The dashboard's enrolment form on the force admin's page.

use actix_web::{HttpRequest, web};
use minijinja::context;
use serde::Deserialize;

use super::service;
use crate::app::State;
use crate::dashboard::{PageResult, Session, Templates, admin_page};

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/dashboard/admin/enrolment-code",
        web::post().to(enrolment_code),
    );
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    csrf: String,
    staff_number: String,
}

async fn enrolment_code(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<CodeForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let staff = form.staff_number.trim().to_owned();
    let (code, expires) = service::issue_code(&state, &s.who, staff.clone()).await?;
    let issued =
        context! { staff, code, expires => expires.format("%d %b %Y %H:%M UTC").to_string() };
    admin_page(&state, &s, &tpl, context! { issued }).await
}
