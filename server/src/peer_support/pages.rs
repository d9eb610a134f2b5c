//! The peer supporter's and coordinator's page: the call-back requests they
//! have to answer, with the actions the API offers (acknowledge, mark
//! contacted, hand over). Nobody else opens it: the same role checks and
//! RLS-scoped queries as `/v1/support/callbacks/*` decide what is listed, and
//! every listing is audited as those are.

use actix_web::{HttpRequest, web};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::context;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::service::{self, STAFF, apply_transition, visible_requests};
use super::store::{Callback, Transition};
use crate::accounts::service::own_force;
use crate::app::State;
use crate::auth::Role;
use crate::dashboard::{DashError, PageResult, Session, Templates, html, see_other};
use crate::error::AppError;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/support", web::get().to(page))
        .route("/dashboard/support/{id}", web::post().to(act));
}

/// One request as the page shows it, times in the force's zone.
#[derive(Debug, Serialize)]
struct Row {
    id: Uuid,
    status: String,
    escalated: bool,
    assigned_to_me: bool,
    contact_method: String,
    contact_detail: Option<String>,
    window: String,
    requested: String,
}

fn local(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%a %d %b %H:%M").to_string()
}

async fn page(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    s.who.require(&STAFF)?;
    let me = s.who.0.sub;
    let coordinator = s.who.0.role == Role::PeerSupportCoordinator;
    let requests = visible_requests(&state, &s.who, &STAFF).await?;
    let zone = own_force(&state, &s.who).await?.zone();
    // The coordinator hands requests over to anyone listed.
    let supporters: Vec<minijinja::Value> = if coordinator {
        service::directory(&state, &s.who)
            .await?
            .supporters
            .iter()
            .map(|p| context! { id => p.id, display_name => p.display_name })
            .collect()
    } else {
        Vec::new()
    };
    let rows: Vec<Row> = requests
        .into_iter()
        .map(|cb: Callback| Row {
            id: cb.id,
            assigned_to_me: cb.supporter_id == Some(me),
            status: cb.status,
            escalated: cb.escalated,
            contact_method: cb.contact_method,
            contact_detail: cb.contact_detail,
            window: format!(
                "{} to {}",
                local(cb.window_start, zone),
                local(cb.window_end, zone)
            ),
            requested: local(cb.created_at, zone),
        })
        .collect();
    Ok(html(tpl.render(
        "support.html",
        context! { nav => s.nav(), rows, coordinator, supporters, zone => zone.name() },
    )?))
}

#[derive(Debug, Deserialize)]
struct ActionForm {
    csrf: String,
    action: String,
    #[serde(default)]
    supporter: Option<String>,
}

async fn act(
    state: State,
    req: HttpRequest,
    id: web::Path<Uuid>,
    form: web::Form<ActionForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    s.who.require(&STAFF)?;
    let transition = match form.action.as_str() {
        "acknowledge" => Transition::Acknowledge,
        "contacted" => Transition::Contacted,
        "handover" => {
            let to = match form.supporter.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(id) => Some(Uuid::parse_str(id).map_err(|_| {
                    DashError::App(AppError::invalid(
                        "unknown_supporter",
                        "supporter: not in the directory",
                    ))
                })?),
            };
            Transition::Handover(to)
        }
        _ => {
            return Err(DashError::App(AppError::invalid(
                "invalid_action",
                "action: acknowledge, contacted or handover",
            )));
        }
    };
    apply_transition(&state, &s.who, id.into_inner(), transition).await?;
    Ok(see_other("/dashboard/support"))
}
