//! The dashboard's enrolment forms on the force admin's page: one code for
//! one member of staff, and the HR file (codes in bulk, shown once on a
//! printable sheet with QR codes).

use actix_web::{HttpRequest, web};
use minijinja::context;
use serde::Deserialize;

use super::hr_file::{qr_payload, qr_svg};
use super::service::{self, HrOutcome};
use crate::app::State;
use crate::auth::Role;
use crate::dashboard::multipart;
use crate::dashboard::{DashError, PageResult, Session, Templates, admin_page, html};
use crate::error::AppError;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/dashboard/admin/enrolment-code",
        web::post().to(enrolment_code),
    );
    cfg.route("/dashboard/admin/hr-file", web::post().to(hr_file));
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

/// Pixels a printed QR code is drawn at (at least): about 3 cm.
const QR_PIXELS: u32 = 120;

/// The HR file from the admin form: a chosen file wins over pasted text.
/// Returns the bytes and where they came from, for the errors.
fn hr_from_form(parts: &[multipart::Part]) -> (Vec<u8>, String) {
    match parts
        .iter()
        .find(|p| p.name == "hr_file" && !p.data.is_empty())
    {
        Some(f) => (
            f.data.clone(),
            f.filename.clone().unwrap_or_else(|| "the file".to_owned()),
        ),
        None => (
            parts
                .iter()
                .find(|p| p.name == "hr")
                .map(|p| p.data.clone())
                .unwrap_or_default(),
            "the pasted HR file".to_owned(),
        ),
    }
}

/// Applies an HR file and answers with the printable sheet of the new
/// codes, each with its QR code. This response is the only place the codes
/// appear (`Cache-Control: no-store`); a bad file answers with the admin
/// page listing every bad line, and nothing changed.
async fn hr_file(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    body: web::Bytes,
) -> PageResult {
    let invalid = |m: String| DashError::App(AppError::invalid("invalid_form", m));
    let (s, form) = multipart::signed_form(&state, &req, body, &[Role::ForceAdmin]).await?;
    let (file, source) = hr_from_form(&form.parts);
    if file.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid("choose an HR file or paste it".to_owned()));
    }
    let sheet = match service::upload_hr_file(&state, &s.who, file).await? {
        HrOutcome::Applied(sheet) => sheet,
        HrOutcome::Rejected(errors) => {
            return admin_page(
                &state,
                &s,
                &tpl,
                context! { hr_upload => context! { errors, source } },
            )
            .await;
        }
    };
    // Drawing a thousand QR codes takes a moment: off the async workers.
    let (sheet, codes) = web::block(move || {
        let codes = sheet
            .codes
            .iter()
            .map(|c| {
                let qr = qr_svg(&qr_payload(&sheet.force_slug, &c.code), QR_PIXELS)
                    .map_err(AppError::internal)?;
                Ok(context! {
                    staff_number => c.staff_number, team => c.team,
                    employment_type => c.employment_type.as_str(), code => c.code,
                    emailed => c.emailed, qr,
                })
            })
            .collect::<Result<Vec<_>, AppError>>();
        codes.map(|codes| (sheet, codes))
    })
    .await
    .map_err(AppError::from)??;
    let expires_at = sheet.expires_at.format("%d %b %Y %H:%M UTC").to_string();
    Ok(html(tpl.render(
        "hr_sheet.html",
        context! { nav => s.nav(), sheet => context! { expires_at, ..minijinja::Value::from_serialize(&sheet) }, codes },
    )?))
}
