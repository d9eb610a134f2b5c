//! The dashboard's enrolment form on the force admin's page.

use actix_web::{HttpRequest, web};
use minijinja::context;
use serde::Deserialize;

use super::service;
use crate::app::State;
use crate::dashboard::{PageResult, Session, Templates, admin_page};
use crate::error::AppError;

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
    let extra = match service::issue_code(&state, &s.who, staff.clone()).await {
        Ok((code, expires)) => {
            let issued = context! {
                staff, code, expires => expires.format("%d %b %Y %H:%M UTC").to_string()
            };
            context! { issued }
        }
        // Input the admin can act on; nothing was issued.
        Err(e @ (AppError::AlreadyEnrolled | AppError::Invalid { .. })) => {
            context! { code_refused => context! { staff, reason => e.to_string() } }
        }
        Err(e) => return Err(e.into()),
    };
    admin_page(&state, &s, &tpl, extra).await
}
