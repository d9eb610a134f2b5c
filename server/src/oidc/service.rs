//! Single-sign-on rules: who sets a force's provider and what is valid,
//! starting a sign-in, and finishing one: the checked ID token's subject
//! becomes a staff account of the force with the role its claim maps to,
//! and the same session a password sign-in starts.
//!
//! Decisions (docs/security.md, "Single sign-on"):
//! - The force admin sets the force's provider (audited in the force's
//!   log); the platform admin does not, as the force owns its staff
//!   directory. A force admin can already create any force staff role, so
//!   this gives them nothing more.
//! - Only force staff roles (supervisor, FRM lead, force admin, peer
//!   supporter and coordinator) come through a force's provider. NPWS
//!   analysts and platform admins are national accounts that no force's
//!   provider can vouch for: they sign in with a password.
//! - Accounts are created from the claim at first sign-in, linked by
//!   (issuer, subject), never by email; the role claim decides the role at
//!   every sign-in, so a change at the provider reaches the platform the
//!   next time the person signs in, and a person whose claim maps to no role
//!   is refused. Password accounts are not linked automatically.

use actix_web::web;
use serde::{Deserialize, Serialize};

use super::provider::{self, ClientSettings, Refusal};
use super::store::{self, ProviderRow};
use crate::accounts::service::staff_role_name;
use crate::accounts::store::Force;
use crate::app::AppState;
use crate::audit;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};

/// Most entries a role map may have.
pub const ROLE_MAP_MAX: usize = 50;
/// The prefix of the usernames of accounts made by single sign-on; a
/// password account's username cannot contain `:`, so they never collide.
pub const SSO_USERNAME_PREFIX: &str = "sso:";

/// One claim value and the role it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleMapEntry {
    /// A value of the role claim, e.g. `fatigue-supervisors`.
    pub value: String,
    /// The force staff role it gives.
    pub role: Role,
}

/// A force's identity provider, as its admin sets and reads it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProviderConfig {
    /// Issuer URL, exactly as the provider's discovery document states it;
    /// `https://`.
    pub issuer: String,
    /// The platform's client id at the provider.
    pub client_id: String,
    /// The name of the client secret in the server's settings
    /// (`FATIGUE_OIDC_SECRET_<name>`); absent for a public client.
    #[serde(default)]
    pub client_secret_ref: Option<String>,
    /// Scopes to ask for besides `openid` (for example `roles`, when the
    /// provider releases the role claim only with it).
    #[serde(default)]
    pub extra_scopes: Vec<String>,
    /// The ID-token claim that carries the person's roles or groups (a
    /// string or an array of strings).
    pub role_claim: String,
    /// Claim values and their roles, in order: the first entry whose value
    /// the claim carries decides the role.
    pub role_map: Vec<RoleMapEntry>,
    /// The redirect URI to register at the provider (read only).
    #[serde(default, skip_deserializing)]
    pub redirect_uri: String,
}

/// A single-sign-on failure: a refusal (shown with its code) or anything
/// else.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The sign-in was refused.
    #[error("sign-in refused: {}", .0.code())]
    Refused(Refusal),
    /// Any other error.
    #[error(transparent)]
    App(#[from] AppError),
}

/// The callback's query: a code and state, or the provider's error.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    /// The authorisation code.
    pub code: Option<String>,
    /// The state sent with the request.
    pub state: Option<String>,
    /// The provider's error code, when it refused.
    pub error: Option<String>,
}

/// Where the provider sends the browser back for `slug`.
pub fn redirect_uri(state: &AppState, slug: &str) -> String {
    format!(
        "{}/sign-in/oidc/{slug}/callback",
        state.config.mail.dashboard_url
    )
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::invalid("invalid_identity_provider", message)
}

fn is_loopback(host: &openidconnect::url::Host<&str>) -> bool {
    match host {
        openidconnect::url::Host::Domain(d) => *d == "localhost",
        openidconnect::url::Host::Ipv4(a) => a.is_loopback(),
        openidconnect::url::Host::Ipv6(a) => a.is_loopback(),
    }
}

/// Checks a configuration (not the provider itself: see [`set_provider`]).
///
/// # Errors
/// `invalid_identity_provider` naming the field.
pub fn check(cfg: &ProviderConfig, settings: &super::settings::OidcSettings) -> AppResult<()> {
    let printable = |s: &str| !s.is_empty() && s.chars().all(|c| !c.is_control());
    if !printable(&cfg.issuer) {
        return Err(invalid("issuer: a URL"));
    }
    let url = openidconnect::url::Url::parse(&cfg.issuer).map_err(|_| invalid("issuer: a URL"))?;
    let loopback_http = url.scheme() == "http"
        && settings.allow_http_loopback
        && url.host().as_ref().is_some_and(is_loopback);
    if !(url.scheme() == "https" || loopback_http) {
        return Err(invalid("issuer: an https:// URL"));
    }
    if cfg.issuer.len() > 500 || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "issuer: at most 500 characters, no query or fragment",
        ));
    }
    let printable = |s: &str| !s.is_empty() && s.chars().all(|c| !c.is_control());
    if !printable(&cfg.client_id) || cfg.client_id.len() > 200 {
        return Err(invalid("client_id: 1 to 200 characters"));
    }
    if let Some(name) = &cfg.client_secret_ref {
        if !super::settings::valid_secret_name(name) {
            return Err(invalid("client_secret_ref: 1 to 64 of A-Z 0-9 _"));
        }
        if settings.secret(name).is_none() {
            return Err(invalid(format!(
                "client_secret_ref: this server has no {}{name}",
                super::settings::SECRET_PREFIX
            )));
        }
    }
    let scope_ok = |s: &String| {
        (1..=64).contains(&s.len())
            && s != "openid"
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    };
    // The stored, space-separated list is at most 200 characters.
    if cfg.extra_scopes.len() > 10
        || !cfg.extra_scopes.iter().all(scope_ok)
        || cfg.extra_scopes.join(" ").len() > 200
    {
        return Err(invalid(
            "extra_scopes: at most 10 scopes, each 1 to 64 printable characters, not openid, 200 in all",
        ));
    }
    if !printable(&cfg.role_claim) || cfg.role_claim.len() > 100 {
        return Err(invalid("role_claim: 1 to 100 characters"));
    }
    if cfg.role_map.is_empty() || cfg.role_map.len() > ROLE_MAP_MAX {
        return Err(invalid(format!("role_map: 1 to {ROLE_MAP_MAX} entries")));
    }
    for entry in &cfg.role_map {
        if !printable(&entry.value) || entry.value.len() > 200 {
            return Err(invalid("role_map: each value 1 to 200 characters"));
        }
        staff_role_name(entry.role).map_err(|_| {
            invalid("role_map: roles are force staff roles (not officer, NPWS analyst or platform admin)")
        })?;
    }
    Ok(())
}

/// The role the first entry of `map` whose value `claimed` carries gives.
pub fn mapped_role(map: &[RoleMapEntry], claimed: &[String]) -> Option<Role> {
    map.iter()
        .find(|e| claimed.contains(&e.value))
        .map(|e| e.role)
}

fn to_row(cfg: &ProviderConfig) -> AppResult<ProviderRow> {
    Ok(ProviderRow {
        issuer: cfg.issuer.clone(),
        client_id: cfg.client_id.clone(),
        client_secret_ref: cfg.client_secret_ref.clone(),
        extra_scopes: cfg.extra_scopes.join(" "),
        role_claim: cfg.role_claim.clone(),
        role_map: serde_json::to_value(&cfg.role_map).map_err(AppError::internal)?,
        updated_at: chrono::Utc::now(),
    })
}

fn from_row(row: ProviderRow, redirect_uri: String) -> AppResult<ProviderConfig> {
    Ok(ProviderConfig {
        issuer: row.issuer,
        client_id: row.client_id,
        client_secret_ref: row.client_secret_ref,
        extra_scopes: row
            .extra_scopes
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        role_claim: row.role_claim,
        role_map: serde_json::from_value(row.role_map).map_err(AppError::internal)?,
        redirect_uri,
    })
}

/// The caller's force's provider (force admin).
///
/// # Errors
/// Forbidden for other roles; not found when the force has none.
pub async fn get_provider(state: &AppState, who: &Identity) -> AppResult<ProviderConfig> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    let row = db::with_force(&state.pool, force, move |c| Ok(store::provider(c, force)?)).await?;
    let slug = crate::accounts::service::own_force(state, who).await?.slug;
    from_row(row, redirect_uri(state, &slug))
}

/// Sets the caller's force's provider (force admin): checks the fields,
/// then that the issuer's discovery document and keys can be fetched and
/// name the same issuer. Audited as `set_identity_provider`.
///
/// # Errors
/// Forbidden for other roles; `invalid_identity_provider`.
pub async fn set_provider(
    state: &AppState,
    who: &Identity,
    cfg: ProviderConfig,
) -> AppResult<ProviderConfig> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    check(&cfg, &state.config.oidc)?;
    let issuer = cfg.issuer.clone();
    web::block(move || provider::discover(&issuer))
        .await?
        .map_err(invalid)?;
    let row = to_row(&cfg)?;
    let who_audit = who.clone();
    let stored = db::with_force(&state.pool, force, move |c| {
        let stored = store::put_provider(c, force, &row)?;
        audit::record(
            c,
            Some(force),
            &who_audit,
            "set_identity_provider",
            &format!("force:{force}"),
        )?;
        Ok(stored)
    })
    .await?;
    let slug = crate::accounts::service::own_force(state, who).await?.slug;
    from_row(stored, redirect_uri(state, &slug))
}

/// Removes the caller's force's provider (force admin): its staff sign in
/// with passwords again. Accounts made by single sign-on stay (their
/// teams and history), but cannot sign in. Audited.
///
/// # Errors
/// Forbidden for other roles; not found when there is none.
pub async fn delete_provider(state: &AppState, who: &Identity) -> AppResult<()> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        if !store::delete_provider(c, force)? {
            return Err(AppError::NotFound);
        }
        Ok(audit::record(
            c,
            Some(force),
            &who,
            "delete_identity_provider",
            &format!("force:{force}"),
        )?)
    })
    .await
}

/// The force by slug and its provider's client settings.
async fn force_provider(
    state: &AppState,
    slug: &str,
) -> AppResult<(Force, ProviderRow, ClientSettings)> {
    let lookup = slug.to_owned();
    let force = db::with_platform(&state.pool, move |c| Ok(Force::by_slug(c, &lookup)?)).await?;
    let id = force.id;
    let row = db::with_force(&state.pool, id, move |c| Ok(store::provider(c, id)?)).await?;
    let client_secret = match &row.client_secret_ref {
        Some(name) => Some(
            state
                .config
                .oidc
                .secret(name)
                .ok_or_else(|| {
                    AppError::internal(format!("no client secret {name} on this server"))
                })?
                .to_owned(),
        ),
        None => None,
    };
    let settings = ClientSettings {
        issuer: row.issuer.clone(),
        client_id: row.client_id.clone(),
        client_secret,
        redirect_uri: redirect_uri(state, &force.slug),
        extra_scopes: row
            .extra_scopes
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    };
    Ok((force, row, settings))
}

async fn rate_limit(state: &AppState, address: &str) -> AppResult<()> {
    // The password sign-in's per-address allowance: each start writes a
    // row, so an address cannot fill the table.
    let limit = state.config.sign_in_per_minute.saturating_mul(6);
    let bucket = format!("oidc-addr:{address}");
    db::with_platform(&state.pool, move |c| {
        crate::accounts::rate_limit::prune(c)?;
        crate::accounts::service::hit_rate_limit(c, &bucket, limit)
    })
    .await
}

/// A sign-in started: the provider's URL and the state the browser keeps
/// in a cookie until the callback.
#[derive(Debug)]
pub struct Started {
    /// Where to send the browser.
    pub url: String,
    /// The state.
    pub state: String,
}

/// Starts a sign-in with the force's provider: fresh state, nonce and PKCE
/// verifier, stored (the state as its SHA-256) until the callback.
///
/// # Errors
/// Not found for an unknown force or one without a provider;
/// `rate_limited`; [`Refusal::Discovery`] when the provider cannot be read.
pub async fn begin(state: &AppState, slug: &str, address: &str) -> Result<Started, OidcError> {
    rate_limit(state, address).await?;
    let (force, _, settings) = force_provider(state, slug).await?;
    let auth = web::block(move || provider::authorise(&settings))
        .await
        .map_err(AppError::from)?
        .map_err(|detail| {
            tracing::warn!(force = %force.slug, %detail, "oidc: discovery failed");
            OidcError::Refused(Refusal::Discovery)
        })?;
    let (id, state_hash) = (force.id, crate::auth::secret_hash(&auth.state));
    let (nonce, verifier) = (auth.nonce, auth.pkce_verifier);
    db::with_force(&state.pool, id, move |c| {
        Ok(store::start_login(c, id, &state_hash, &nonce, &verifier)?)
    })
    .await?;
    Ok(Started {
        url: auth.url,
        state: auth.state,
    })
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Finishes a sign-in: the callback's state must be this browser's (its
/// cookie) and a sign-in under way (taken, so never twice); the code is
/// exchanged and the ID token checked ([`provider::redeem`]); the role
/// claim must map to a role. Then the subject's account (made at the first
/// sign-in) gets the mapped role and a session token, as a password
/// sign-in does. Audited: `create_account_oidc`, `set_role_oidc` and
/// `sign_in_oidc`; refusals are logged with their code.
///
/// # Errors
/// [`OidcError::Refused`]; not found for an unknown force or one without a
/// provider; `rate_limited`; database errors.
pub async fn finish(
    state: &web::Data<AppState>,
    slug: &str,
    callback: Callback,
    cookie_state: Option<&str>,
    address: &str,
) -> Result<String, OidcError> {
    rate_limit(state, address).await?;
    let (force, row, settings) = force_provider(state, slug).await?;
    let refuse = |r: Refusal, detail: &str| {
        tracing::warn!(force = %force.slug, code = r.code(), %detail, "oidc: sign-in refused");
        OidcError::Refused(r)
    };
    if callback.error.is_some() {
        return Err(refuse(Refusal::ProviderError, ""));
    }
    let (Some(code), Some(sent_state)) = (callback.code, callback.state) else {
        return Err(refuse(Refusal::StateUnknown, "no code or state"));
    };
    if !cookie_state.is_some_and(|c| same(c, &sent_state)) {
        return Err(refuse(Refusal::StateMismatch, ""));
    }
    let (id, state_hash) = (force.id, crate::auth::secret_hash(&sent_state));
    let pending = db::with_force(&state.pool, id, move |c| {
        Ok(store::take_login(c, id, &state_hash)?)
    })
    .await?
    .ok_or_else(|| refuse(Refusal::StateUnknown, ""))?;
    if pending.expired {
        return Err(refuse(Refusal::StateExpired, ""));
    }
    let role_claim = row.role_claim.clone();
    let verified = web::block(move || {
        provider::redeem(
            &settings,
            &code,
            &pending.pkce_verifier,
            &pending.nonce,
            &role_claim,
        )
    })
    .await
    .map_err(AppError::from)?
    .map_err(|(r, detail)| refuse(r, &detail))?;
    // OpenID Connect Core 1.0 §2: a subject is at most 255 ASCII characters.
    if verified.subject.len() > 255 {
        return Err(refuse(Refusal::InvalidToken, "sub longer than 255"));
    }
    let map: Vec<RoleMapEntry> =
        serde_json::from_value(row.role_map).map_err(AppError::internal)?;
    let role = mapped_role(&map, &verified.roles).ok_or_else(|| refuse(Refusal::NoRole, ""))?;
    let role_name = staff_role_name(role)?;
    let st = state.clone();
    let token = db::with_force(&state.pool, id, move |c| {
        let (account, created, changed) =
            match store::linked_account(c, id, &verified.issuer, &verified.subject)? {
                Some(linked) => (linked.account_id, false, linked.role != role_name),
                None => {
                    // Nobody knows this password: the account signs in only
                    // through the provider, and a password attempt on it costs
                    // what any other does (a real argon2id hash).
                    let unusable = crate::auth::hash_password(&crate::auth::random_secret(32))?;
                    let username = sso_username(&verified.subject);
                    let account = crate::accounts::store::create_force_account(
                        c, id, &username, &unusable, role_name,
                    )?;
                    store::link(c, id, &verified.issuer, &verified.subject, account)?;
                    (account, true, false)
                }
            };
        store::signed_in(
            c,
            id,
            &verified.issuer,
            &verified.subject,
            account,
            role_name,
        )?;
        let token = st.keys.issue(account, role, Some(id), None)?;
        let who = Identity(st.keys.verify(&token)?);
        let target = format!("account:{account}");
        if created {
            audit::record(c, Some(id), &who, "create_account_oidc", &target)?;
        }
        if changed {
            audit::record(
                c,
                Some(id),
                &who,
                "set_role_oidc",
                &format!("{target}/role:{role_name}"),
            )?;
        }
        audit::record(c, Some(id), &who, "sign_in_oidc", &target)?;
        Ok(token)
    })
    .await?;
    Ok(token)
}

/// A sign-in start's force slug, when it is one (the sign-in page's form).
pub fn plausible_slug(slug: &str) -> bool {
    (2..=40).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Accounts made by single sign-on are named by the provider's subject.
pub fn sso_username(subject: &str) -> String {
    format!("{SSO_USERNAME_PREFIX}{subject}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::settings::OidcSettings;

    fn cfg() -> ProviderConfig {
        ProviderConfig {
            issuer: "https://login.example.police.uk/realms/force".into(),
            client_id: "fatigue".into(),
            client_secret_ref: None,
            extra_scopes: vec![],
            role_claim: "groups".into(),
            role_map: vec![RoleMapEntry {
                value: "frm".into(),
                role: Role::FrmLead,
            }],
            redirect_uri: String::new(),
        }
    }

    #[test]
    fn the_first_mapped_value_the_claim_carries_decides_the_role() {
        let map = vec![
            RoleMapEntry {
                value: "admins".into(),
                role: Role::ForceAdmin,
            },
            RoleMapEntry {
                value: "frm".into(),
                role: Role::FrmLead,
            },
            RoleMapEntry {
                value: "sergeants".into(),
                role: Role::Supervisor,
            },
        ];
        let has = |vs: &[&str]| vs.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>();
        // Map order, not claim order: "frm" is before "sergeants" in the map.
        assert_eq!(
            mapped_role(&map, &has(&["sergeants", "frm"])),
            Some(Role::FrmLead)
        );
        assert_eq!(
            mapped_role(&map, &has(&["sergeants"])),
            Some(Role::Supervisor)
        );
        // Exact match only: no case folding, no prefix.
        assert_eq!(
            mapped_role(&map, &has(&["FRM", "frm-team", "everyone"])),
            None
        );
        assert_eq!(mapped_role(&map, &[]), None);
    }

    #[test]
    fn a_configuration_is_checked_field_by_field() {
        let settings = OidcSettings::default();
        assert!(check(&cfg(), &settings).is_ok());
        let refused = |c: ProviderConfig, s: &OidcSettings| check(&c, s).unwrap_err().to_string();
        // Plain HTTP only on loopback and only when the operator allows it.
        let mut c = cfg();
        c.issuer = "http://127.0.0.1:4000".into();
        assert!(refused(c.clone(), &settings).contains("issuer"));
        let loopback = OidcSettings {
            allow_http_loopback: true,
            ..OidcSettings::default()
        };
        assert!(check(&c, &loopback).is_ok());
        c.issuer = "http://login.example.police.uk".into();
        assert!(refused(c, &loopback).contains("issuer"));
        // National roles and officers cannot be mapped.
        for role in [Role::NpwsAnalyst, Role::PlatformAdmin, Role::Officer] {
            let mut c = cfg();
            c.role_map[0].role = role;
            assert!(refused(c, &settings).contains("role_map"), "{role:?}");
        }
        let mut c = cfg();
        c.role_map.clear();
        assert!(refused(c, &settings).contains("role_map"));
        // A secret is named, and must exist on this server.
        let mut c = cfg();
        c.client_secret_ref = Some("NORTH".into());
        assert!(refused(c.clone(), &settings).contains("FATIGUE_OIDC_SECRET_NORTH"));
        let mut with_secret = OidcSettings::default();
        with_secret.read_secrets([("FATIGUE_OIDC_SECRET_NORTH".into(), "s".into())]);
        assert!(check(&c, &with_secret).is_ok());
        c.client_secret_ref = Some("north".into());
        assert!(refused(c, &with_secret).contains("client_secret_ref"));
        let mut c = cfg();
        c.extra_scopes = vec!["openid".into()];
        assert!(refused(c, &settings).contains("extra_scopes"));
        // Ten scopes of 64 characters pass one by one but not together
        // (10 x 64 + 9 spaces = 649 > 200).
        let mut c = cfg();
        c.extra_scopes = vec!["s".repeat(64); 10];
        assert!(refused(c, &settings).contains("extra_scopes"));
        let mut c = cfg();
        c.issuer = "https://login.example.police.uk/".into();
        c.issuer.push('\u{0}');
        assert!(refused(c, &settings).contains("issuer"));
    }
}
