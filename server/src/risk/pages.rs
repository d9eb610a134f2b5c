//! The dashboard's team pages: the supervisor's team list, the heat map of
//! a team's roster risk with its flags, and the what-if editor.

use actix_web::{HttpRequest, web};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use minijinja::context;
use mobile_core::period::Period;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::service::{self, ProposedShift, WhatIf};
use crate::accounts::service::{own_force, team_access, visible_teams};
use crate::app::State;
use crate::auth::Role;
use crate::dashboard::roster_view::{officer_view, sort_by_risk};
use crate::dashboard::{DashError, PageResult, Session, Templates, html, team_views};
use crate::error::AppError;

/// Longest period the heat map shows, days.
const HEAT_MAP_DAYS: i64 = 28;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/teams", web::get().to(teams))
        .route("/dashboard/teams/{team}", web::get().to(team))
        .route("/dashboard/teams/{team}/what-if", web::post().to(what_if));
}

async fn teams(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    s.who
        .require(&[Role::Supervisor, Role::FrmLead, Role::ForceAdmin])?;
    let list = visible_teams(&state, &s.who).await?;
    Ok(html(tpl.render(
        "teams.html",
        context! { nav => s.nav(), teams => team_views(&list) },
    )?))
}

#[derive(Debug, Deserialize)]
struct PeriodQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
struct ShiftOption {
    value: String,
    label: String,
}

fn local(t: DateTime<chrono::FixedOffset>) -> String {
    t.format("%a %d %b %H:%M").to_string()
}

async fn team(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<Uuid>,
    q: web::Query<PeriodQuery>,
) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let team_id = path.into_inner();
    let today = Utc::now().date_naive();
    let from = q.from.unwrap_or(today);
    let to =
        q.to.unwrap_or(from + Duration::days(13))
            .min(from + Duration::days(HEAT_MAP_DAYS - 1));
    let period = Period { from, to };
    let risk = service::team_risk(&state, &s.who, team_id, &period).await?;
    let name = team_access(&state, &s.who, team_id).await?.name;
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let mut officers = Vec::new();
    let mut shift_options = Vec::new();
    for officer in &risk.officers {
        for sh in &officer.assessment.shifts {
            shift_options.push(ShiftOption {
                value: format!(
                    "{}|{}",
                    officer.staff_number,
                    sh.start.with_timezone(&Utc).to_rfc3339()
                ),
                label: format!("{}: {}", officer.staff_number, local(sh.start)),
            });
        }
        officers.push(officer_view(
            "shift",
            &officer.staff_number,
            &officer.assessment,
            &days,
            &[],
        ));
    }
    sort_by_risk(&mut officers);
    // Drafts are the supervisor's and the FRM lead's (a force admin uploads).
    let can_draft = matches!(s.who.0.role, Role::Supervisor | Role::FrmLead);
    let drafts = if can_draft {
        crate::rosters::service::team_drafts(&state, &s.who, team_id).await?
    } else {
        Vec::new()
    };
    let flag_count: usize = officers.iter().map(|o| o.flags.len()).sum();
    let day_labels: Vec<String> = days.iter().map(|d| d.format("%a %d").to_string()).collect();
    Ok(html(tpl.render(
        "team.html",
        context! {
            nav => s.nav(), team_id, name, from, to, days => day_labels, officers, flag_count,
            can_draft, drafts,
            shift_options, members => risk.officers.iter().map(|o| o.staff_number.clone()).collect::<Vec<_>>(),
        },
    )?))
}

#[derive(Debug, Deserialize)]
struct WhatIfForm {
    csrf: String,
    staff_number: String,
    from: NaiveDate,
    to: NaiveDate,
    #[serde(default)]
    remove: String,
    #[serde(default)]
    add_start: String,
    #[serde(default)]
    add_end: String,
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`) in the force's zone.
fn local_input(value: &str, zone: chrono_tz::Tz) -> Result<DateTime<Utc>, DashError> {
    NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|n| zone.from_local_datetime(&n).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            DashError::App(AppError::invalid(
                "invalid_shift",
                format!("`{value}` is not a date and time"),
            ))
        })
}

async fn what_if(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<Uuid>,
    form: web::Form<WhatIfForm>,
) -> PageResult {
    let s = Session::from_form(&state, &req, &form.csrf).await?;
    let form = form.into_inner();
    let zone = own_force(&state, &s.who).await?.zone();
    let mut remove = Vec::new();
    if let Some((staff, start)) = form.remove.split_once('|')
        && staff == form.staff_number
    {
        remove.push(
            DateTime::parse_from_rfc3339(start)
                .map_err(|_| AppError::invalid("invalid_shift", "unknown shift"))?
                .with_timezone(&Utc),
        );
    }
    let mut add = Vec::new();
    if !form.add_start.trim().is_empty() {
        add.push(ProposedShift {
            start: local_input(&form.add_start, zone)?,
            end: local_input(&form.add_end, zone)?,
        });
    }
    let team_id = path.into_inner();
    let answer = service::what_if(
        &state,
        &s.who,
        team_id,
        WhatIf {
            staff_number: form.staff_number.clone(),
            from: form.from,
            to: form.to,
            remove,
            add,
        },
    )
    .await?;
    let side = |a: &mobile_core::roster::assess::RosterAssessment| {
        a.shifts
            .iter()
            .map(|sh| {
                context! {
                    start => local(sh.start), end => local(sh.end),
                    fi => format!("{:.0}", sh.fatigue_index),
                    threshold => format!("{:.0}", sh.fatigue_index_threshold),
                    over => sh.fatigue_index > sh.fatigue_index_threshold,
                    flags => sh.flags.iter().map(|f| f.code.clone()).collect::<Vec<_>>().join(", "),
                }
            })
            .collect::<Vec<_>>()
    };
    Ok(html(tpl.render(
        "team.html",
        context! {
            nav => s.nav(), team_id, name => "What-if", from => form.from, to => form.to,
            what_if => context! {
                staff => form.staff_number,
                before => side(&answer.before), after => side(&answer.after),
                before_ri => answer.before.risk_index.map(|r| format!("{r:.2}")),
                after_ri => answer.after.risk_index.map(|r| format!("{r:.2}")),
            },
        },
    )?))
}
