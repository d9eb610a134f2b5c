//! Account rules: who may create which account, sign-in with its rate
//! limits, team structure, the officer's own record, and the audit log.
//! The API, the dashboard and the CLI all come through here.

use actix_web::web;
use uuid::Uuid;

use super::store::{self, Consent, Force, PolicingFunction, Team, TeamPlacement};
use crate::app::AppState;
use crate::audit::{self, AuditEntry};
use crate::auth::{Identity, Role, hash_password};
use crate::db;
use crate::error::{AppError, AppResult};

/// Zone a force gets when none is named.
pub const DEFAULT_TIME_ZONE: &str = "Europe/London";
/// Entries the audit log shows.
pub const AUDIT_SHOWN: i64 = 500;

/// A username and password for a new account.
#[derive(Debug, Clone)]
pub struct NewCredentials {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

impl NewCredentials {
    /// Checks a new username and password.
    ///
    /// # Errors
    /// `invalid_account` for a short password or an odd username.
    pub fn check(&self) -> AppResult<()> {
        let name_ok = (1..=64).contains(&self.username.len())
            && self
                .username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
        if !name_ok {
            return Err(AppError::invalid(
                "invalid_account",
                "username: 1 to 64 of a-z 0-9 . _ - @",
            ));
        }
        if self.password.chars().count() < 12 {
            return Err(AppError::invalid(
                "invalid_account",
                "password: at least 12 characters",
            ));
        }
        Ok(())
    }

    /// Checks, then hashes the password off the async workers (argon2 is
    /// deliberately slow).
    async fn hashed(self) -> AppResult<(String, String)> {
        self.check()?;
        let NewCredentials { username, password } = self;
        let hash = web::block(move || hash_password(&password)).await??;
        Ok((username, hash))
    }
}

/// Counts a hit on a rate-limit bucket.
///
/// # Errors
/// [`AppError::RateLimited`] past `limit` hits this minute.
pub fn hit_rate_limit(c: &mut diesel::PgConnection, bucket: &str, limit: u32) -> AppResult<()> {
    if super::rate_limit::hit(c, bucket)? > f64::from(limit) {
        return Err(AppError::RateLimited);
    }
    Ok(())
}

/// An unknown force reads as bad credentials, not "no such force".
pub fn unknown_as_credentials(e: AppError) -> AppError {
    match e {
        AppError::NotFound => AppError::InvalidCredentials,
        other => other,
    }
}

/// The force a sign-in or enrolment names, where an unknown slug reads as
/// bad credentials.
///
/// # Errors
/// [`AppError::InvalidCredentials`]; database errors.
pub async fn force_for_credentials(state: &AppState, slug: String) -> AppResult<Force> {
    let found = db::with_platform(&state.pool, move |c| Ok(Force::by_slug(c, &slug)?))
        .await
        .map_err(unknown_as_credentials);
    if matches!(found, Err(AppError::InvalidCredentials)) {
        // As long as a wrong password takes: an unknown force is not told
        // apart by timing.
        web::block(|| crate::auth::verify_credential::<()>(None, "")).await?;
    }
    found
}

impl crate::auth::HasPasswordHash for store::Credential {
    fn password_hash(&self) -> &str {
        &self.password_hash
    }
}

/// Signs a staff session out everywhere: its token stops working as the
/// dashboard's cookie and as an API bearer at once, not when it expires
/// (ASVS 3.3.1). Audited as `sign_out`. A device token has no session to
/// end (a phone's sign-out is its refresh tokens').
///
/// # Errors
/// Database errors.
pub async fn sign_out(state: &AppState, who: &Identity) -> AppResult<()> {
    let Some(sid) = who.0.sid else {
        return Ok(());
    };
    let expires = chrono::DateTime::from_timestamp(who.0.exp, 0).unwrap_or_else(chrono::Utc::now);
    let who = who.clone();
    let target = format!("account:{}", who.0.sub);
    let force = who.0.force;
    db::with_platform(&state.pool, move |c| {
        Ok(store::revoke_session(c, sid, expires)?)
    })
    .await?;
    match force {
        Some(f) => {
            db::with_force(&state.pool, f, move |c| {
                Ok(audit::record(c, Some(f), &who, "sign_out", &target)?)
            })
            .await
        }
        None => {
            db::with_platform(&state.pool, move |c| {
                Ok(audit::record(c, None, &who, "sign_out", &target)?)
            })
            .await
        }
    }
}

/// Refuses a staff token whose session was signed out.
///
/// # Errors
/// [`AppError::Unauthenticated`] for a signed-out session; database errors.
pub async fn check_not_signed_out(state: &AppState, claims: &crate::auth::Claims) -> AppResult<()> {
    let Some(sid) = claims.sid else {
        return Ok(());
    };
    let revoked =
        db::with_platform(&state.pool, move |c| Ok(store::session_revoked(c, sid)?)).await?;
    if revoked {
        Err(AppError::Unauthenticated)
    } else {
        Ok(())
    }
}

/// A password sign-in: the username, its force (none for national
/// accounts) and the caller's address for the per-address limit.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The force's slug; `None` for national accounts.
    pub force: Option<String>,
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// The caller's address (the socket's peer).
    pub address: String,
}

/// Checks a password sign-in (rate limits, force, argon2id) and issues an
/// access token: the API's login and the dashboard's sign-in form.
///
/// # Errors
/// `invalid_credentials`, `rate_limited`, database errors.
pub async fn password_sign_in(state: &AppState, attempt: SignIn) -> AppResult<String> {
    let per_user = state.config.sign_in_per_minute;
    let user_bucket = format!(
        "sign-in:{}:{}",
        attempt.force.as_deref().unwrap_or("-"),
        attempt.username
    );
    let addr_bucket = format!("sign-in-addr:{}", attempt.address);
    // Counted in its own transaction so a failed attempt still counts.
    db::with_platform(&state.pool, move |c| {
        super::rate_limit::prune(c)?;
        hit_rate_limit(c, &addr_bucket, per_user.saturating_mul(6))?;
        hit_rate_limit(c, &user_bucket, per_user)
    })
    .await?;
    let username = attempt.username;
    let (force, cred) = match attempt.force {
        None => {
            let cred = db::with_platform(&state.pool, move |c| {
                Ok(store::platform_credential(c, &username)?)
            })
            .await?;
            (None, cred)
        }
        Some(slug) => {
            let id = force_for_credentials(state, slug).await?.id;
            let cred = db::with_force(&state.pool, id, move |c| {
                Ok(store::force_credential(c, id, &username)?)
            })
            .await?;
            (Some(id), cred)
        }
    };
    let password = attempt.password;
    // Verify off the async workers: argon2 is deliberately slow.
    let checked = web::block(move || crate::auth::verify_credential(cred, &password)).await?;
    let cred = checked.ok_or(AppError::InvalidCredentials)?;
    let role = role_of(&cred.role)?;
    let token = state.keys.issue(cred.id, role, force, None)?;
    // Recorded where the account's admins read the log: the force's, or the
    // national one.
    let who = Identity(state.keys.verify(&token)?);
    let target = format!("account:{}", cred.id);
    match force {
        Some(f) => {
            db::with_force(&state.pool, f, move |c| {
                Ok(audit::record(c, Some(f), &who, "sign_in", &target)?)
            })
            .await?
        }
        None => {
            db::with_platform(&state.pool, move |c| {
                Ok(audit::record(c, None, &who, "sign_in", &target)?)
            })
            .await?
        }
    }
    Ok(token)
}

fn role_of(stored: &str) -> AppResult<Role> {
    serde_json::from_value(serde_json::Value::String(stored.to_owned())).map_err(AppError::internal)
}

/// Creates the first platform admin when none exists (start-up bootstrap).
///
/// # Errors
/// Database errors.
pub async fn bootstrap_admin(state: &AppState, password: &str) -> AppResult<bool> {
    let hash = hash_password(password)?;
    db::with_platform(&state.pool, move |c| {
        if store::platform_admin_exists(c)? {
            return Ok(false);
        }
        store::create_platform_account(c, "admin", &hash, "platform_admin")?;
        Ok(true)
    })
    .await
}

/// Creates a force (platform admin): a checked slug and IANA zone.
///
/// # Errors
/// Forbidden for other roles; `invalid_time_zone`, `invalid_slug`; conflict
/// when the slug is taken.
pub async fn create_force(
    state: &AppState,
    who: &Identity,
    slug: String,
    name: String,
    time_zone: Option<String>,
) -> AppResult<Force> {
    who.require(&[Role::PlatformAdmin])?;
    let tz = time_zone.unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned());
    if tz.parse::<chrono_tz::Tz>().is_err() {
        return Err(AppError::invalid(
            "invalid_time_zone",
            "time_zone is not an IANA zone",
        ));
    }
    let valid_slug = (2..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if !valid_slug {
        return Err(AppError::invalid(
            "invalid_slug",
            "slug: 2 to 40 of a-z 0-9 -",
        ));
    }
    let who = who.clone();
    db::with_platform(&state.pool, move |c| {
        let force = Force::create(c, &slug, &name, &tz)?;
        audit::record(
            c,
            None,
            &who,
            "create_force",
            &format!("force:{}", force.id),
        )?;
        Ok(force)
    })
    .await
}

/// Creates a force's admin (platform admin); returns (account, force).
///
/// # Errors
/// Forbidden for other roles; `invalid_account`; not found for an unknown
/// force; conflict when the username is taken.
pub async fn create_force_admin(
    state: &AppState,
    who: &Identity,
    slug: String,
    account: NewCredentials,
) -> AppResult<(Uuid, Uuid)> {
    who.require(&[Role::PlatformAdmin])?;
    account.check()?;
    let force = db::with_platform(&state.pool, move |c| Ok(Force::by_slug(c, &slug)?)).await?;
    let (username, hash) = account.hashed().await?;
    let id = force.id;
    let who = who.clone();
    let account = db::with_force(&state.pool, id, move |c| {
        let account = store::create_force_account(c, id, &username, &hash, "force_admin")?;
        // In the force's own log, where its admins read it.
        audit::record(
            c,
            Some(id),
            &who,
            "create_account",
            &format!("account:{account}"),
        )?;
        Ok(account)
    })
    .await?;
    Ok((account, id))
}

/// Creates an NPWS analyst account (platform admin).
///
/// # Errors
/// Forbidden for other roles; `invalid_account`; conflict.
pub async fn create_analyst(
    state: &AppState,
    who: &Identity,
    account: NewCredentials,
) -> AppResult<Uuid> {
    who.require(&[Role::PlatformAdmin])?;
    let (username, hash) = account.hashed().await?;
    let who = who.clone();
    db::with_platform(&state.pool, move |c| {
        let account = store::create_platform_account(c, &username, &hash, "npws_analyst")?;
        audit::record(
            c,
            None,
            &who,
            "create_account",
            &format!("account:{account}"),
        )?;
        Ok(account)
    })
    .await
}

/// Makes a new signing key (platform admin), audited; returns its kid.
///
/// # Errors
/// Forbidden for other roles; database errors.
pub async fn rotate_keys(state: &AppState, who: &Identity) -> AppResult<String> {
    who.require(&[Role::PlatformAdmin])?;
    let kid = state.keys.rotate(&state.pool).await?;
    let audit_who = who.clone();
    let target = format!("key:{kid}");
    db::with_platform(&state.pool, move |c| {
        Ok(audit::record(
            c,
            None,
            &audit_who,
            "rotate_signing_key",
            &target,
        )?)
    })
    .await?;
    Ok(kid)
}

/// The stored name of a role a force admin may give a member of staff.
///
/// # Errors
/// `invalid_role` for officers and national roles.
pub fn staff_role_name(role: Role) -> AppResult<&'static str> {
    match role {
        Role::Supervisor => Ok("supervisor"),
        Role::FrmLead => Ok("frm_lead"),
        Role::ForceAdmin => Ok("force_admin"),
        Role::PeerSupporter => Ok("peer_supporter"),
        Role::PeerSupportCoordinator => Ok("peer_support_coordinator"),
        Role::Officer | Role::NpwsAnalyst | Role::PlatformAdmin => Err(AppError::invalid(
            "invalid_role",
            "role: a force staff role",
        )),
    }
}

/// Creates a staff account in the caller's force (force admin); returns
/// its id and stored role name.
///
/// # Errors
/// Forbidden for other roles; `invalid_account`, `invalid_role`; conflict.
pub async fn create_staff_account(
    state: &AppState,
    who: &Identity,
    account: NewCredentials,
    role: Role,
) -> AppResult<(Uuid, &'static str)> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    account.check()?;
    let role_name = staff_role_name(role)?;
    let (username, hash) = account.hashed().await?;
    let who = who.clone();
    let id = db::with_force(&state.pool, force, move |c| {
        let id = store::create_force_account(c, force, &username, &hash, role_name)?;
        audit::record(
            c,
            Some(force),
            &who,
            "create_account",
            &format!("account:{id}"),
        )?;
        Ok(id)
    })
    .await?;
    Ok((id, role_name))
}

/// The force's accounts of `role` that gave an email address, inside the
/// caller's force-scoped transaction (report notices).
///
/// # Errors
/// `invalid_role` for a role that is not a force staff role; database errors.
pub fn addressees(
    c: &mut diesel::PgConnection,
    force: Uuid,
    role: Role,
) -> AppResult<Vec<store::Addressee>> {
    Ok(store::addressees(c, force, staff_role_name(role)?)?)
}

/// Sets or clears a force account's email address (for report notices):
/// a member of staff their own, a force admin any account of the force.
/// Audited as `set_email` on the account (the address itself is not in the
/// audit log).
///
/// # Errors
/// Forbidden (officers, national roles, another's account but for a force
/// admin); `invalid_email`; not found.
pub async fn set_email(
    state: &AppState,
    who: &Identity,
    account: Uuid,
    email: Option<String>,
) -> AppResult<()> {
    let force = who.force()?;
    staff_role_name(who.0.role).map_err(|_| AppError::Forbidden)?;
    if account != who.0.sub {
        who.require(&[Role::ForceAdmin])?;
    }
    let email = email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
    if let Some(e) = &email
        && !crate::mail::valid_address(e)
    {
        return Err(AppError::invalid(
            "invalid_email",
            "email: an address such as name@force.police.uk, at most 254 characters",
        ));
    }
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        if !store::set_email(c, force, account, email.as_deref())? {
            return Err(AppError::NotFound);
        }
        audit::record(
            c,
            Some(force),
            &who,
            "set_email",
            &format!("account:{account}"),
        )?;
        Ok(())
    })
    .await
}

/// Checks and stores a new team for a force admin (the API's and the
/// dashboard's team creation). A missing command is `Unassigned`, a
/// missing function `other`.
///
/// # Errors
/// Forbidden for other roles; `invalid_team` for a blank or over-long name
/// or command; conflict when the name is taken.
pub async fn add_team(
    state: &AppState,
    who: &Identity,
    name: String,
    command: Option<String>,
    function: Option<PolicingFunction>,
) -> AppResult<Team> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
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
        function: function.unwrap_or_default(),
    };
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        let team = Team::create(c, force, &name, &placement)?;
        audit::record(
            c,
            Some(force),
            &who,
            "create_team",
            &format!("team:{}", team.id),
        )?;
        Ok(team)
    })
    .await
}

/// Teams the caller may see: all of the force's for force admins and FRM
/// leads, a supervisor's own teams for a supervisor.
///
/// # Errors
/// Forbidden for other roles; database errors.
pub async fn visible_teams(state: &AppState, who: &Identity) -> AppResult<Vec<Team>> {
    who.require(&[Role::ForceAdmin, Role::FrmLead, Role::Supervisor])?;
    let force = who.force()?;
    let only = (who.0.role == Role::Supervisor).then_some(who.0.sub);
    db::with_force(&state.pool, force, move |c| Ok(Team::list(c, force, only)?)).await
}

/// Checks a staff number as rosters and enrolment codes carry it.
///
/// # Errors
/// `invalid_staff_number` for a blank or over-long one.
pub fn check_staff_number(staff: &str) -> AppResult<()> {
    if staff.trim().is_empty() || staff.len() > 64 {
        return Err(AppError::invalid(
            "invalid_staff_number",
            "staff number: 1 to 64 characters",
        ));
    }
    Ok(())
}

/// Replaces a team's members for a force admin (the API's and the
/// dashboard's).
///
/// # Errors
/// Forbidden for other roles; `invalid_staff_number` for a blank or
/// over-long staff number; not found for another force's team.
pub async fn replace_members(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    staff: Vec<String>,
) -> AppResult<Team> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    for s in &staff {
        check_staff_number(s)?;
    }
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        Team::find(c, force, team)?;
        Team::set_members(c, force, team, &staff)?;
        // Membership decides whose figures a team's aggregates describe.
        audit::record(
            c,
            Some(force),
            &who,
            "set_team_members",
            &format!("team:{team}"),
        )?;
        Ok(Team::find(c, force, team)?)
    })
    .await
}

/// Names a supervisor for a team (force admin).
///
/// # Errors
/// Forbidden for other roles; not found for another force's team or an
/// account that is not one of the force's supervisors.
pub async fn add_supervisor(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    account: Uuid,
) -> AppResult<()> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        Team::find(c, force, team)?;
        if !store::is_force_supervisor(c, force, account)? {
            return Err(AppError::NotFound);
        }
        Team::add_supervisor(c, force, team, account)?;
        Ok(audit::record(
            c,
            Some(force),
            &who,
            "add_supervisor",
            &format!("team:{team}/account:{account}"),
        )?)
    })
    .await
}

/// The team a supervisor (of that team), FRM lead or force admin may see.
///
/// # Errors
/// Forbidden for other roles and for a supervisor of other teams; not found
/// for another force's team.
pub async fn team_access(state: &AppState, who: &Identity, team: Uuid) -> AppResult<Team> {
    who.require(&[Role::Supervisor, Role::FrmLead, Role::ForceAdmin])?;
    let force = who.force()?;
    let account = who.0.sub;
    let supervisor = who.0.role == Role::Supervisor;
    db::with_force(&state.pool, force, move |c| {
        let t = Team::find(c, force, team)?;
        if supervisor && !Team::is_supervised_by(c, force, team, account)? {
            return Err(AppError::Forbidden);
        }
        Ok(t)
    })
    .await
}

/// The force's audit log, newest first (force admin).
///
/// # Errors
/// Forbidden for other roles; database errors.
pub async fn audit_log(state: &AppState, who: &Identity) -> AppResult<Vec<AuditEntry>> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    db::with_force(&state.pool, force, move |c| {
        Ok(audit::latest(c, force, AUDIT_SHOWN)?)
    })
    .await
}

/// The enrolled officer behind a phone's token: (force, person).
///
/// # Errors
/// Forbidden for every other role.
pub fn officer(who: &Identity) -> AppResult<(Uuid, Uuid)> {
    who.require(&[Role::Officer])?;
    Ok((who.force()?, who.0.sub))
}

/// The officer's consent.
///
/// # Errors
/// Forbidden but for officers; not found once withdrawn.
pub async fn consent(state: &AppState, who: &Identity) -> AppResult<Consent> {
    let (force, person) = officer(who)?;
    db::with_force(&state.pool, force, move |c| {
        Ok(store::consent(c, force, person)?)
    })
    .await
}

/// Changes the officer's consent; records no longer covered are deleted at
/// once. Returns how many were deleted.
///
/// # Errors
/// Forbidden but for officers; not found once withdrawn.
pub async fn set_consent(state: &AppState, who: &Identity, level: Consent) -> AppResult<usize> {
    let (force, person) = officer(who)?;
    db::with_force(&state.pool, force, move |c| {
        Ok(store::set_consent(c, force, person, level)?)
    })
    .await
}

/// Everything the server holds about the officer (subject access).
///
/// # Errors
/// Forbidden but for officers; not found once withdrawn.
pub async fn export(state: &AppState, who: &Identity) -> AppResult<serde_json::Value> {
    let (force, person) = officer(who)?;
    db::with_force(&state.pool, force, move |c| {
        Ok(store::export(c, force, person)?)
    })
    .await
}

/// Withdraws: deletes the person, their devices, tokens and records.
///
/// # Errors
/// Forbidden but for officers; not found once withdrawn.
pub async fn withdraw(state: &AppState, who: &Identity) -> AppResult<()> {
    let (force, person) = officer(who)?;
    db::with_force(&state.pool, force, move |c| {
        Ok(store::withdraw(c, force, person)?)
    })
    .await
}

/// The caller's own force.
///
/// # Errors
/// Forbidden for national roles; database errors.
pub async fn own_force(state: &AppState, who: &Identity) -> AppResult<Force> {
    let force = who.force()?;
    db::with_platform(&state.pool, move |c| Ok(Force::by_id(c, force)?)).await
}
