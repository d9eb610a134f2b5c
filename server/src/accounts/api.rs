//! Account handlers: platform administration (forces, their first admin,
//! NPWS analysts, keys), staff sign-in and the JWKS, a force's staff
//! accounts, teams and audit log, and the officer's own record.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use models::api::{ConsentBody, SessionTokens};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::service::{self, NewCredentials, SignIn};
use super::store::{Force, PolicingFunction, Team};
use crate::app::{State, client_address};
use crate::audit::AuditEntry;
use crate::auth::{Identity, Role};
use crate::error::{AppResult, Problem};

/// A force as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ForceBody {
    /// Id.
    pub id: Uuid,
    /// URL-safe short name used at sign-in.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// IANA zone for rosters.
    pub time_zone: String,
}

impl From<Force> for ForceBody {
    fn from(f: Force) -> Self {
        Self {
            id: f.id,
            slug: f.slug,
            name: f.name,
            time_zone: f.time_zone,
        }
    }
}

/// A team as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TeamBody {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The command (BCU, division, directorate) the team belongs to.
    pub command: String,
    /// What the team does (`response`, `investigation`, `control_room`, ...).
    pub policing_function: String,
    /// Members by staff number.
    pub members: Vec<String>,
}

impl From<Team> for TeamBody {
    fn from(t: Team) -> Self {
        Self {
            id: t.id,
            name: t.name,
            command: t.command,
            policing_function: t.policing_function,
            members: t.members,
        }
    }
}

/// One audit entry as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntryBody {
    /// Sequence id.
    pub id: i64,
    /// The actor's role.
    pub actor_role: String,
    /// The actor's account id or pseudonym.
    pub actor_id: Uuid,
    /// What was done (`read_team_risk`, ...).
    pub action: String,
    /// On what (`team:<id>`, ...).
    pub target: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditEntryBody {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            actor_role: e.actor_role,
            actor_id: e.actor_id,
            action: e.action,
            target: e.target,
            at: e.at,
        }
    }
}

/// Staff sign-in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The force's slug; omit for national accounts (platform admin, NPWS).
    pub force: Option<String>,
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Signs a member of staff in with a password (argon2id). Rate-limited per
/// username and per address.
#[utoipa::path(post, path = "/auth/login", request_body = LoginRequest, responses(
    (status = 200, description = "access token", body = SessionTokens),
    (status = 401, description = "invalid_credentials", body = Problem),
    (status = 429, description = "rate_limited", body = Problem)))]
#[post("/auth/login")]
pub async fn login(
    state: State,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let LoginRequest {
        force,
        username,
        password,
    } = body.into_inner();
    let attempt = SignIn {
        force,
        username,
        password,
        address: client_address(&req),
    };
    let access = service::password_sign_in(&state, attempt).await?;
    Ok(HttpResponse::Ok().json(SessionTokens {
        access_token: access,
        token_type: "Bearer".to_owned(),
        expires_in: u64::try_from(state.keys.ttl_seconds()).unwrap_or(0),
        refresh_token: None,
        device_id: None,
    }))
}

/// Signs the caller's staff session out: its token stops working at once,
/// as a bearer and as the dashboard's cookie.
#[utoipa::path(post, path = "/auth/logout", responses((status = 204, description = "signed out"), (status = 401, body = Problem)))]
#[post("/auth/logout")]
pub async fn logout(state: State, who: Identity) -> AppResult<HttpResponse> {
    service::sign_out(&state, &who).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The public keys that verify access tokens (RFC 7517, OKP/Ed25519).
#[utoipa::path(get, path = "/.well-known/jwks.json", responses((status = 200, body = crate::auth::Jwks)))]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.keys.jwks())
}

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

impl From<NewAccount> for NewCredentials {
    fn from(a: NewAccount) -> Self {
        Self {
            username: a.username,
            password: a.password,
        }
    }
}

/// Creates a force (platform admin).
#[utoipa::path(post, path = "/admin/forces", request_body = NewForce, responses(
    (status = 201, body = ForceBody),
    (status = 409, description = "conflict", body = Problem)))]
#[post("/admin/forces")]
pub async fn create_force(
    state: State,
    who: Identity,
    body: web::Json<NewForce>,
) -> AppResult<HttpResponse> {
    let NewForce {
        slug,
        name,
        time_zone,
    } = body.into_inner();
    let force = service::create_force(&state, &who, slug, name, time_zone).await?;
    Ok(HttpResponse::Created().json(ForceBody::from(force)))
}

/// Creates a force admin for a force (platform admin).
#[utoipa::path(post, path = "/admin/forces/{slug}/admins", request_body = NewAccount, responses(
    (status = 201, description = "created"), (status = 404, body = Problem)))]
#[post("/admin/forces/{slug}/admins")]
pub async fn create_force_admin(
    state: State,
    who: Identity,
    slug: web::Path<String>,
    body: web::Json<NewAccount>,
) -> AppResult<HttpResponse> {
    let (account, force) =
        service::create_force_admin(&state, &who, slug.into_inner(), body.into_inner().into())
            .await?;
    Ok(HttpResponse::Created()
        .json(json!({ "id": account, "force_id": force, "role": "force_admin" })))
}

/// Creates an NPWS analyst account (platform admin).
#[utoipa::path(post, path = "/admin/analysts", request_body = NewAccount, responses((status = 201, description = "created")))]
#[post("/admin/analysts")]
pub async fn create_analyst(
    state: State,
    who: Identity,
    body: web::Json<NewAccount>,
) -> AppResult<HttpResponse> {
    let id = service::create_analyst(&state, &who, body.into_inner().into()).await?;
    Ok(HttpResponse::Created().json(json!({ "id": id, "role": "npws_analyst" })))
}

/// Makes a new signing key (platform admin); older keys stay valid for
/// tokens already issued.
#[utoipa::path(post, path = "/admin/keys/rotate", responses((status = 200, description = "new kid")))]
#[post("/admin/keys/rotate")]
pub async fn rotate_keys(state: State, who: Identity) -> AppResult<HttpResponse> {
    let kid = service::rotate_keys(&state, &who).await?;
    Ok(HttpResponse::Ok().json(json!({ "kid": kid })))
}

/// A new member of staff.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// Username.
    pub username: String,
    /// Password, at least 12 characters.
    pub password: String,
    /// `supervisor`, `frm_lead`, `force_admin`, `peer_supporter` or `peer_support_coordinator`.
    pub role: Role,
}

/// Creates a staff account in the caller's force (force admin).
#[utoipa::path(post, path = "/force/accounts", request_body = NewStaff, responses((status = 201, description = "created")))]
#[post("/force/accounts")]
pub async fn create_account(
    state: State,
    who: Identity,
    body: web::Json<NewStaff>,
) -> AppResult<HttpResponse> {
    // Named fields, not a flattened NewAccount: serde ignores
    // `deny_unknown_fields` under `flatten`, and the schema it gave (two
    // closed objects in an allOf) admitted no body at all (the API fuzzer
    // could not make one).
    let NewStaff {
        username,
        password,
        role,
    } = body.into_inner();
    let account = NewCredentials { username, password };
    let (id, role) = service::create_staff_account(&state, &who, account, role).await?;
    Ok(HttpResponse::Created().json(json!({ "id": id, "role": role })))
}

/// An account's email address; `null` or empty clears it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    /// The address, or null.
    pub email: Option<String>,
}

/// Sets the caller's own email address (staff accounts), for report notices.
#[utoipa::path(put, path = "/me/email", request_body = EmailBody, responses((status = 204, description = "set")))]
#[put("/me/email")]
pub async fn put_own_email(
    state: State,
    who: Identity,
    body: web::Json<EmailBody>,
) -> AppResult<HttpResponse> {
    let account = who.0.sub;
    service::set_email(&state, &who, account, body.into_inner().email).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets a force account's email address (force admin).
#[utoipa::path(put, path = "/force/accounts/{account}/email", request_body = EmailBody, responses((status = 204, description = "set")))]
#[put("/force/accounts/{account}/email")]
pub async fn put_account_email(
    state: State,
    who: Identity,
    account: web::Path<Uuid>,
    body: web::Json<EmailBody>,
) -> AppResult<HttpResponse> {
    service::set_email(&state, &who, account.into_inner(), body.into_inner().email).await?;
    Ok(HttpResponse::NoContent().finish())
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
#[utoipa::path(post, path = "/force/teams", request_body = NewTeam, responses((status = 201, body = TeamBody)))]
#[post("/force/teams")]
pub async fn create_team(
    state: State,
    who: Identity,
    body: web::Json<NewTeam>,
) -> AppResult<HttpResponse> {
    let NewTeam {
        name,
        command,
        policing_function,
    } = body.into_inner();
    let team = service::add_team(&state, &who, name, command, policing_function).await?;
    Ok(HttpResponse::Created().json(TeamBody::from(team)))
}

/// Teams the caller may see: all of the force's for force admins and FRM
/// leads, a supervisor's own teams for a supervisor.
#[utoipa::path(get, path = "/teams", responses((status = 200, body = Vec<TeamBody>)))]
#[get("/teams")]
pub async fn list_teams(state: State, who: Identity) -> AppResult<HttpResponse> {
    let teams = service::visible_teams(&state, &who).await?;
    Ok(HttpResponse::Ok().json(teams.into_iter().map(TeamBody::from).collect::<Vec<_>>()))
}

/// Team members by staff number.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Members {
    /// Staff numbers (the roster's `staff_id`).
    pub staff_numbers: Vec<String>,
}

/// Replaces a team's members (force admin).
#[utoipa::path(put, path = "/teams/{team}/members", request_body = Members, responses((status = 200, body = TeamBody)))]
#[put("/teams/{team}/members")]
pub async fn set_members(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
    body: web::Json<Members>,
) -> AppResult<HttpResponse> {
    let updated = service::replace_members(
        &state,
        &who,
        team.into_inner(),
        body.into_inner().staff_numbers,
    )
    .await?;
    Ok(HttpResponse::Ok().json(TeamBody::from(updated)))
}

/// A supervisor to name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupervisorRef {
    /// The supervisor's account id.
    pub account_id: Uuid,
}

/// Names a supervisor for a team (force admin).
#[utoipa::path(post, path = "/teams/{team}/supervisors", request_body = SupervisorRef, responses((status = 204, description = "named")))]
#[post("/teams/{team}/supervisors")]
pub async fn add_supervisor(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
    body: web::Json<SupervisorRef>,
) -> AppResult<HttpResponse> {
    service::add_supervisor(
        &state,
        &who,
        team.into_inner(),
        body.into_inner().account_id,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The force's audit log, newest first (force admin).
#[utoipa::path(get, path = "/force/audit", responses((status = 200, body = Vec<AuditEntryBody>)))]
#[get("/force/audit")]
pub async fn audit(state: State, who: Identity) -> AppResult<HttpResponse> {
    let entries = service::audit_log(&state, &who).await?;
    Ok(HttpResponse::Ok().json(
        entries
            .into_iter()
            .map(AuditEntryBody::from)
            .collect::<Vec<_>>(),
    ))
}

/// The officer's consent.
#[utoipa::path(get, path = "/me/consent", responses((status = 200, body = ConsentBody)))]
#[get("/me/consent")]
pub async fn get_consent(state: State, who: Identity) -> AppResult<HttpResponse> {
    let level = service::consent(&state, &who).await?;
    Ok(HttpResponse::Ok().json(ConsentBody { level }))
}

/// Changes consent; records no longer covered are deleted at once.
#[utoipa::path(put, path = "/me/consent", request_body = ConsentBody, responses((status = 200, description = "`level` and `records_deleted`", body = Object)))]
#[put("/me/consent")]
pub async fn put_consent(
    state: State,
    who: Identity,
    body: web::Json<ConsentBody>,
) -> AppResult<HttpResponse> {
    let level = body.into_inner().level;
    let deleted = service::set_consent(&state, &who, level).await?;
    Ok(HttpResponse::Ok().json(json!({ "level": level, "records_deleted": deleted })))
}

/// Everything the server holds about the officer (subject access).
#[utoipa::path(get, path = "/me/export", responses((status = 200, body = Object)))]
#[get("/me/export")]
pub async fn export(state: State, who: Identity) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::export(&state, &who).await?))
}

/// Withdraws: deletes the person, their devices, tokens and records.
#[utoipa::path(delete, path = "/me", responses((status = 204, description = "deleted")))]
#[delete("/me")]
pub async fn withdraw(state: State, who: Identity) -> AppResult<HttpResponse> {
    service::withdraw(&state, &who).await?;
    Ok(HttpResponse::NoContent().finish())
}
