//! A force's own administration: staff accounts, teams, enrolment codes, audit.

use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::State;
use super::admin::{NewAccount, check_account};
use crate::auth::{Identity, Role, hash_password, random_secret, secret_hash};
use crate::db::{
    self,
    accounts::{PolicingFunction, Team, TeamPlacement},
};
use crate::error::{AppError, AppResult};

/// A new member of staff.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// Username and password.
    #[serde(flatten)]
    pub account: NewAccount,
    /// `supervisor`, `frm_lead`, `force_admin`, `peer_supporter` or `peer_support_coordinator`.
    pub role: Role,
}

/// Creates a staff account in the caller's force (force admin).
#[utoipa::path(post, path = "/v1/force/accounts", request_body = NewStaff, responses((status = 201, description = "created")))]
#[post("/force/accounts")]
pub async fn create_account(
    state: State,
    who: Identity,
    body: web::Json<NewStaff>,
) -> AppResult<HttpResponse> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    let NewStaff { account, role } = body.into_inner();
    check_account(&account)?;
    let role_name = match role {
        Role::Supervisor => "supervisor",
        Role::FrmLead => "frm_lead",
        Role::ForceAdmin => "force_admin",
        Role::PeerSupporter => "peer_supporter",
        Role::PeerSupportCoordinator => "peer_support_coordinator",
        _ => {
            return Err(AppError::invalid(
                "invalid_role",
                "role: a force staff role",
            ));
        }
    };
    let hash = web::block(move || hash_password(&account.password)).await??;
    let username = account.username;
    let id = db::with_force(&state.pool, force, move |c| {
        db::accounts::create_force_account(c, force, &username, &hash, role_name)
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({ "id": id, "role": role_name })))
}

/// A new team.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    /// Team name, unique in the force.
    pub name: String,
    /// Command (BCU, division, directorate), 1 to 200 characters;
    /// `Unassigned` when absent.
    #[serde(default)]
    pub command: Option<String>,
    /// What the team does; `other` when absent.
    #[serde(default)]
    pub policing_function: Option<PolicingFunction>,
}

/// Creates a team (force admin).
#[utoipa::path(post, path = "/v1/force/teams", request_body = NewTeam, responses((status = 201, body = crate::db::accounts::Team)))]
#[post("/force/teams")]
pub async fn create_team(
    state: State,
    who: Identity,
    body: web::Json<NewTeam>,
) -> AppResult<HttpResponse> {
    let team = add_team(&state, who, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(team))
}

/// Checks and stores a new team for a force admin (the API's and the
/// dashboard's team creation).
///
/// # Errors
/// Forbidden for other roles; `invalid_team` for a blank or over-long name
/// or command; conflict when the name is taken.
pub async fn add_team(state: &State, who: Identity, new: NewTeam) -> AppResult<Team> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    let NewTeam {
        name,
        command,
        policing_function,
    } = new;
    let command = command.unwrap_or_else(|| TeamPlacement::default().command);
    for (field, value) in [("name", &name), ("command", &command)] {
        if value.trim().is_empty() || value.len() > 200 {
            return Err(AppError::invalid(
                "invalid_team",
                format!("{field}: 1 to 200 characters"),
            ));
        }
    }
    let placement = TeamPlacement {
        command,
        function: policing_function.unwrap_or_default(),
    };
    db::with_force(&state.pool, force, move |c| {
        Team::create(c, force, &name, &placement)
    })
    .await
}

/// Teams the caller may see: all of the force's for force admins and FRM
/// leads, a supervisor's own teams for a supervisor.
#[utoipa::path(get, path = "/v1/teams", responses((status = 200, body = Vec<crate::db::accounts::Team>)))]
#[get("/teams")]
pub async fn list_teams(state: State, who: Identity) -> AppResult<HttpResponse> {
    who.require(&[Role::ForceAdmin, Role::FrmLead, Role::Supervisor])?;
    let force = who.force()?;
    let only = (who.0.role == Role::Supervisor).then_some(who.0.sub);
    let teams = db::with_force(&state.pool, force, move |c| Team::list(c, force, only)).await?;
    Ok(HttpResponse::Ok().json(teams))
}

/// Team members by staff number.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Members {
    /// Staff numbers (the roster's `staff_id`).
    pub staff_numbers: Vec<String>,
}

/// Replaces a team's members (force admin).
#[utoipa::path(put, path = "/v1/teams/{team}/members", request_body = Members, responses((status = 200, body = crate::db::accounts::Team)))]
#[put("/teams/{team}/members")]
pub async fn set_members(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
    body: web::Json<Members>,
) -> AppResult<HttpResponse> {
    let updated = replace_members(
        &state,
        who,
        team.into_inner(),
        body.into_inner().staff_numbers,
    )
    .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// Replaces a team's members for a force admin (the API's and the
/// dashboard's).
///
/// # Errors
/// Forbidden for other roles; `invalid_staff_number` for a blank or
/// over-long staff number; not found for another force's team.
pub async fn replace_members(
    state: &State,
    who: Identity,
    team: Uuid,
    staff: Vec<String>,
) -> AppResult<Team> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    if staff.iter().any(|s| s.trim().is_empty() || s.len() > 64) {
        return Err(AppError::invalid(
            "invalid_staff_number",
            "staff numbers: 1 to 64 characters",
        ));
    }
    db::with_force(&state.pool, force, move |c| {
        Team::find(c, force, team)?;
        Team::set_members(c, force, team, &staff)?;
        Team::find(c, force, team)
    })
    .await
}

/// A supervisor to name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupervisorRef {
    /// The supervisor's account id.
    pub account_id: Uuid,
}

/// Names a supervisor for a team (force admin).
#[utoipa::path(post, path = "/v1/teams/{team}/supervisors", request_body = SupervisorRef, responses((status = 204, description = "named")))]
#[post("/teams/{team}/supervisors")]
pub async fn add_supervisor(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
    body: web::Json<SupervisorRef>,
) -> AppResult<HttpResponse> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    let team = team.into_inner();
    let account = body.into_inner().account_id;
    db::with_force(&state.pool, force, move |c| {
        Team::find(c, force, team)?;
        Team::add_supervisor(c, force, team, account)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Whom an enrolment code is for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The member of staff's staff number.
    pub staff_number: String,
}

/// Issues a one-time enrolment code for a member of staff (force admin),
/// valid 72 hours. Only its hash is stored.
#[utoipa::path(post, path = "/v1/force/enrolment-codes", request_body = CodeRequest, responses((status = 201, description = "the code")))]
#[post("/force/enrolment-codes")]
pub async fn enrolment_code(
    state: State,
    who: Identity,
    body: web::Json<CodeRequest>,
) -> AppResult<HttpResponse> {
    let (code, expires) = issue_enrolment_code(&state, who, body.into_inner().staff_number).await?;
    Ok(HttpResponse::Created().json(json!({ "code": code, "expires_at": expires })))
}

/// Issues a code (the API's and the dashboard's): returns it and its expiry.
///
/// # Errors
/// Forbidden but for force admins; `invalid_staff_number`; database errors.
pub async fn issue_enrolment_code(
    state: &State,
    who: Identity,
    staff: String,
) -> AppResult<(String, chrono::DateTime<chrono::Utc>)> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    if staff.trim().is_empty() || staff.len() > 64 {
        return Err(AppError::invalid(
            "invalid_staff_number",
            "staff number: 1 to 64 characters",
        ));
    }
    let code = random_secret(12);
    let hash = secret_hash(&code);
    let expires = db::with_force(&state.pool, force, move |c| {
        let expires = db::people::create_enrolment_code(c, force, &hash, &staff)?;
        db::audit::record(c, Some(force), &who, "issue_enrolment_code", "staff")?;
        Ok(expires)
    })
    .await?;
    Ok((code, expires))
}

/// The force's audit log, newest first (force admin).
#[utoipa::path(get, path = "/v1/force/audit", responses((status = 200, body = Vec<crate::db::audit::AuditEntry>)))]
#[get("/force/audit")]
pub async fn audit(state: State, who: Identity) -> AppResult<HttpResponse> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    let entries = db::with_force(&state.pool, force, move |c| {
        db::audit::latest(c, force, 500)
    })
    .await?;
    Ok(HttpResponse::Ok().json(entries))
}
