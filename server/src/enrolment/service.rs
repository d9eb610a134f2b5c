//! Enrolment rules: who may issue a code, redeeming one on a phone, pairing
//! a second phone from an enrolled one, and the device tokens a phone holds
//! (issued at enrolment or pairing, rotated on refresh).
//!
//! A force admin's enrolment code only ever makes a new person. A person's
//! second phone is paired from a device they already hold: that device asks
//! for a pairing code ([`issue_pairing_code`]), the new phone redeems it at
//! the same endpoint as an enrolment code ([`enrol`]), and the person's
//! other devices learn of it from `newer_devices` in every sync
//! acknowledgement and from [`devices`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mobile_core::roster::RosterLineError;
use models::staff::EmploymentType;
use uuid::Uuid;

use super::hr_file::{self, HrChange};
use super::store;
use crate::accounts::service::{check_staff_number, force_for_credentials, hit_rate_limit};
use crate::app::AppState;
use crate::audit;
use crate::auth::{Claims, Identity, Role, random_secret, secret_hash};
use crate::db;
use crate::error::{AppError, AppResult};
use models::api::{
    DeviceList, EnrolRequest, PairedDevice, PairingCode, RefreshRequest, SessionTokens,
};

/// Characters of randomness in an enrolment code.
pub const CODE_BYTES: usize = 12;
/// Pairing codes one person may ask for in a minute (each replaces the
/// last, so this only bounds the writes).
pub const PAIRING_CODES_PER_MINUTE: u32 = 3;
/// Bytes of randomness in a refresh token.
pub const REFRESH_TOKEN_BYTES: usize = 32;

/// Issues a one-time enrolment code for a member of staff who has not
/// enrolled (force admin), audited with the staff number's hash; returns the
/// code and its expiry. Only the code's hash is stored. A code never
/// reaches an enrolled officer: it would let whoever holds it act as them
/// (DESIGN.md, "Identity").
///
/// # Errors
/// Forbidden but for force admins; `invalid_staff_number`; `already_enrolled`
/// (409) for a staff number with an enrolled person; database errors.
pub async fn issue_code(
    state: &AppState,
    who: &Identity,
    staff: String,
) -> AppResult<(String, DateTime<Utc>)> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    check_staff_number(&staff)?;
    let code = random_secret(CODE_BYTES);
    let hash = secret_hash(&code);
    let who = who.clone();
    let target = format!("staff:{}", secret_hash(&staff));
    let expires = db::with_force(&state.pool, force, move |c| {
        if store::is_enrolled(c, force, &staff)? {
            return Err(already_enrolled());
        }
        let expires = store::create_enrolment_code(c, force, &hash, &staff)?;
        audit::record(c, Some(force), &who, "issue_enrolment_code", &target)?;
        Ok(expires)
    })
    .await?;
    Ok((code, expires))
}

/// A phone redeems a one-time code: an enrolment code makes a new
/// pseudonymous person and its first device; a pairing code
/// ([`issue_pairing_code`]) a new device for the person whose phone asked
/// for it (audited as that person's pseudonym). Either way the device's
/// tokens. Rate-limited per address: both kinds of code share the one
/// endpoint and the one budget of guesses, and every wrong, used, expired
/// or other force's code of either kind gets the same answer.
///
/// # Errors
/// `invalid_credentials` for an unknown force or an unknown, used or
/// expired code; `already_enrolled` when the staff number enrolled since
/// the code was issued; `rate_limited`; database errors.
pub async fn enrol(
    state: &AppState,
    request: EnrolRequest,
    address: &str,
) -> AppResult<SessionTokens> {
    let limit = state.config.enrol_per_minute;
    let bucket = format!("enrol-addr:{address}");
    db::with_platform(&state.pool, move |c| hit_rate_limit(c, &bucket, limit)).await?;
    // A blank force or code is as wrong as a wrong one.
    request.check().map_err(|_| AppError::InvalidCredentials)?;
    let EnrolRequest { force, code } = request;
    let id = force_for_credentials(state, force).await?.id;
    let hash = secret_hash(code.trim());
    let (person, device) = db::with_force(&state.pool, id, move |c| {
        match store::enrol(c, id, &hash) {
            Ok(Some(enrolled)) => Ok(enrolled),
            Ok(None) => {
                let (person, device) =
                    store::pair(c, id, &hash)?.ok_or(AppError::InvalidCredentials)?;
                let actor = device_actor(id, person, device);
                audit::record(
                    c,
                    Some(id),
                    &actor,
                    "pair_device",
                    &format!("device:{device}"),
                )?;
                Ok((person, device))
            }
            // The staff number enrolled after the code was issued: the code
            // stays unused (the transaction rolls back) and attaches nothing.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Err(already_enrolled()),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    device_tokens(state, id, person, device).await
}

fn already_enrolled() -> AppError {
    AppError::AlreadyEnrolled
}

/// The officer behind a device, as the audit log names an actor: their
/// pseudonym, never a staff number. (Used where no token was presented: a
/// phone redeeming a pairing code acts for the person who asked for it.)
fn device_actor(force: Uuid, person: Uuid, device: Uuid) -> Identity {
    Identity(Claims {
        iss: String::new(),
        aud: String::new(),
        sub: person,
        exp: 0,
        iat: 0,
        role: Role::Officer,
        force: Some(force),
        device: Some(device),
        sid: None,
    })
}

/// The caller as an officer on an enrolled device: (force, person, device).
fn officer_device(who: &Identity) -> AppResult<(Uuid, Uuid, Uuid)> {
    who.require(&[Role::Officer])?;
    let device = who.0.device.ok_or(AppError::Forbidden)?;
    Ok((who.force()?, who.0.sub, device))
}

/// An enrolled device asks for a pairing code for its person's new phone:
/// single use, valid [`store::PAIRING_CODE_MINUTES`] minutes, replacing any
/// earlier code of theirs; only its hash is stored. Only the person's own
/// device can ask (a force admin has no device, so cannot), at most
/// [`PAIRING_CODES_PER_MINUTE`] a minute; audited as the person's pseudonym
/// with the device that asked.
///
/// # Errors
/// Forbidden but for an officer's device token; `rate_limited`; not found
/// when the device is gone (withdrawn); database errors.
pub async fn issue_pairing_code(state: &AppState, who: &Identity) -> AppResult<PairingCode> {
    let (force, person, device) = officer_device(who)?;
    let bucket = format!("pair-person:{person}");
    db::with_platform(&state.pool, move |c| {
        hit_rate_limit(c, &bucket, PAIRING_CODES_PER_MINUTE)
    })
    .await?;
    let code = random_secret(CODE_BYTES);
    let hash = secret_hash(&code);
    let who = who.clone();
    let expires_at = db::with_force(&state.pool, force, move |c| {
        if !store::is_persons_device(c, force, person, device)? {
            return Err(AppError::NotFound);
        }
        let expires = store::create_pairing_code(c, force, person, device, &hash)?;
        audit::record(
            c,
            Some(force),
            &who,
            "issue_pairing_code",
            &format!("device:{device}"),
        )?;
        Ok(expires)
    })
    .await?;
    Ok(PairingCode { code, expires_at })
}

/// The caller's person's devices, oldest first, the caller's marked.
///
/// # Errors
/// Forbidden but for an officer's device token; not found when the device
/// is gone (withdrawn); database errors.
pub async fn devices(state: &AppState, who: &Identity) -> AppResult<DeviceList> {
    let (force, person, device) = officer_device(who)?;
    let rows = db::with_force(&state.pool, force, move |c| {
        Ok(store::devices_of(c, force, person)?)
    })
    .await?;
    if !rows.iter().any(|d| d.id == device) {
        return Err(AppError::NotFound);
    }
    Ok(DeviceList {
        devices: rows
            .into_iter()
            .map(|d| PairedDevice {
                id: d.id.to_string(),
                created_at: d.created_at,
                this_device: d.id == device,
            })
            .collect(),
    })
}

/// Swaps a device's refresh token (single use) for new tokens. Reusing a
/// spent token revokes all of the device's refresh tokens.
///
/// # Errors
/// `invalid_credentials`; database errors.
pub async fn refresh(state: &AppState, request: RefreshRequest) -> AppResult<SessionTokens> {
    request.check().map_err(|_| AppError::InvalidCredentials)?;
    let token = request.refresh_token.as_str();
    // The force id leads the token so the lookup can be scoped before it.
    let force = token
        .split_once('.')
        .and_then(|(f, _)| Uuid::parse_str(f).ok())
        .ok_or(AppError::InvalidCredentials)?;
    let hash = secret_hash(token);
    // The revocation on reuse commits: the refusal is an answer, not an error.
    let spent = db::with_force(&state.pool, force, move |c| {
        Ok(store::spend_refresh_token(c, force, &hash)?)
    })
    .await?;
    let (person, device) = spent.ok_or(AppError::InvalidCredentials)?;
    device_tokens(state, force, person, device).await
}

async fn device_tokens(
    state: &AppState,
    force: Uuid,
    person: Uuid,
    device: Uuid,
) -> AppResult<SessionTokens> {
    let refresh_token = format!("{force}.{}", random_secret(REFRESH_TOKEN_BYTES));
    let hash = secret_hash(&refresh_token);
    db::with_force(&state.pool, force, move |c| {
        Ok(store::store_refresh_token(c, force, &hash, device)?)
    })
    .await?;
    let access = state
        .keys
        .issue(person, Role::Officer, Some(force), Some(device))?;
    Ok(SessionTokens {
        access_token: access,
        token_type: "Bearer".to_owned(),
        expires_in: u64::try_from(state.keys.ttl_seconds()).unwrap_or(0),
        refresh_token: Some(refresh_token),
        device_id: Some(device.to_string()),
    })
}

/// A code issued by an HR upload, for the sheet (and the email): shown
/// once, then only its hash exists.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct IssuedCode {
    /// Whom it is for.
    pub staff_number: String,
    /// Their team's name.
    pub team: String,
    /// Their employment type.
    pub employment_type: EmploymentType,
    /// The code.
    pub code: String,
    /// Whether an email with the code is being sent (the file gave an
    /// address and a mail relay is configured).
    pub emailed: bool,
}

/// What an HR upload did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HrSheet {
    /// The force's slug (what the app asks for with the code).
    pub force_slug: String,
    /// The force's name.
    pub force_name: String,
    /// When every code on the sheet expires.
    pub expires_at: DateTime<Utc>,
    /// New codes, in file order.
    pub codes: Vec<IssuedCode>,
    /// Joiner rows recorded (codes or not).
    pub joiners: usize,
    /// Joiner rows whose staff number has enrolled: recorded, no code.
    pub already_enrolled: usize,
    /// Leaver rows whose account was closed.
    pub leavers_closed: usize,
    /// Leaver rows with no account (never enrolled): their record, team
    /// memberships and codes are gone all the same.
    pub leavers_without_account: usize,
    /// Emails being sent.
    pub emails_queued: usize,
    /// Rows with an address when no mail relay is configured: not sent.
    pub emails_not_sent: usize,
}

/// An HR upload's outcome.
#[derive(Debug, Clone)]
pub enum HrOutcome {
    /// Applied, in one transaction.
    Applied(HrSheet),
    /// Nothing applied: every bad row, in line order.
    Rejected(Vec<RosterLineError>),
}

/// Applies the force's HR file (force admin; docs/onboarding.md): checks
/// every row first (format, and each joiner's team exists in the force),
/// then in one transaction records joiners' employment type, own function
/// and team; issues a code to each joiner with no enrolled person (the
/// rule of [`issue_code`]: a code never reaches an enrolled officer), each
/// replacing any unused earlier code; and closes leavers' accounts
/// ([`store::close_leavers`]). Audited per code and per closed account by
/// the staff number's hash. After the commit, joiners with an address are
/// emailed their code in the background (when a mail relay is configured);
/// the addresses are not stored. The codes are returned once, for the
/// sheet: only their hashes are kept.
///
/// # Errors
/// Forbidden but for force admins; `invalid_hr_file` when the file is not
/// UTF-8; database errors.
pub async fn upload_hr_file(
    state: &AppState,
    who: &Identity,
    file: Vec<u8>,
) -> AppResult<HrOutcome> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    let text = String::from_utf8(file)
        .map_err(|_| AppError::invalid("invalid_hr_file", "the file is not UTF-8 text"))?;
    let actor = who.clone();
    let applied = db::with_force(&state.pool, force, move |c| {
        let rows = match hr_file::parse(&text) {
            Ok(rows) => rows,
            Err(errors) => return Ok(Err(errors)),
        };
        let teams: HashMap<String, Uuid> = crate::accounts::store::Team::list(c, force, None)?
            .into_iter()
            .map(|t| (t.name, t.id))
            .collect();
        let unknown: Vec<RosterLineError> = rows
            .iter()
            .filter_map(|r| match &r.change {
                HrChange::Joiner { team, .. } if !teams.contains_key(team) => {
                    Some(RosterLineError {
                        line: r.line,
                        column: "team".to_owned(),
                        message: format!(
                            "the force has no team named {team:?}; create it on the admin page first"
                        ),
                    })
                }
                _ => None,
            })
            .collect();
        if !unknown.is_empty() {
            return Ok(Err(unknown));
        }
        let f = crate::accounts::store::Force::by_id(c, force)?;
        let mut records = Vec::new();
        let mut leavers = Vec::new();
        let mut joiners = Vec::new();
        for r in rows {
            match r.change {
                HrChange::Joiner {
                    employment_type,
                    team,
                    function,
                    email,
                } => {
                    records.push(store::StaffRecord {
                        staff_number: r.staff_number.clone(),
                        employment_type: employment_type.as_str(),
                        policing_function: function.map(|f| f.as_str()),
                        team: teams.get(&team).copied().unwrap_or_default(),
                    });
                    joiners.push((r.staff_number, team, employment_type, email));
                }
                HrChange::Leaver => leavers.push(r.staff_number),
            }
        }
        let numbers: Vec<String> = joiners.iter().map(|j| j.0.clone()).collect();
        let enrolled = store::enrolled_among(c, force, &numbers)?;
        store::record_staff(c, force, &records)?;
        let mut issued = Vec::new();
        let mut emails = Vec::new();
        for (staff_number, team, employment_type, email) in joiners {
            if enrolled.contains(&staff_number) {
                continue;
            }
            let code = random_secret(CODE_BYTES);
            if let Some(address) = email {
                emails.push((address, code.clone()));
            }
            issued.push((
                secret_hash(&code),
                IssuedCode {
                    staff_number,
                    team,
                    employment_type,
                    code,
                    emailed: false,
                },
            ));
        }
        let staff: Vec<String> = issued.iter().map(|(_, i)| i.staff_number.clone()).collect();
        let hashes: Vec<String> = issued.iter().map(|(h, _)| h.clone()).collect();
        let expires_at = store::replace_enrolment_codes(c, force, &staff, &hashes)?;
        let targets = |numbers: &[String]| -> Vec<String> {
            numbers
                .iter()
                .map(|s| format!("staff:{}", secret_hash(s)))
                .collect()
        };
        audit::record_each(c, Some(force), &actor, "issue_enrolment_code", &targets(&staff))?;
        let closed = store::close_leavers(c, force, &leavers)?;
        audit::record_each(c, Some(force), &actor, "close_leaver", &targets(&closed))?;
        let sheet = HrSheet {
            force_slug: f.slug,
            force_name: f.name,
            expires_at,
            joiners: numbers.len(),
            already_enrolled: enrolled.len(),
            leavers_closed: closed.len(),
            leavers_without_account: leavers.len() - closed.len(),
            emails_queued: 0,
            emails_not_sent: 0,
            codes: issued.into_iter().map(|(_, i)| i).collect(),
        };
        Ok(Ok((sheet, emails)))
    })
    .await?;
    let (mut sheet, emails) = match applied {
        Ok(done) => done,
        Err(errors) => return Ok(HrOutcome::Rejected(errors)),
    };
    let mailer = state.config.mail.mailer().map_err(AppError::internal)?;
    match mailer {
        Some(mailer) if !emails.is_empty() => {
            let with_address: std::collections::HashSet<&str> =
                emails.iter().map(|(_, code)| code.as_str()).collect();
            for c in &mut sheet.codes {
                c.emailed = with_address.contains(c.code.as_str());
            }
            sheet.emails_queued = emails.len();
            send_codes(mailer, &sheet, emails);
        }
        _ => sheet.emails_not_sent = emails.len(),
    }
    Ok(HrOutcome::Applied(sheet))
}

/// Emails each joiner their code, off the request (a relay may take a
/// second a message; a thousand would outlast any request timeout). The
/// addresses live only in this task; failures are logged as a count, never
/// with an address.
fn send_codes(mailer: crate::mail::Mailer, sheet: &HrSheet, emails: Vec<(String, String)>) {
    let (slug, name) = (sheet.force_slug.clone(), sheet.force_name.clone());
    let expires = sheet.expires_at.format("%d %b %Y %H:%M UTC").to_string();
    actix_web::rt::task::spawn_blocking(move || {
        let subject = format!("Your enrolment code for the fatigue app ({name})");
        let failed = emails
            .iter()
            .filter(|(address, code)| {
                let body = code_email(&name, &slug, code, &expires);
                mailer.send(address, &subject, body).is_err()
            })
            .count();
        if failed > 0 {
            tracing::warn!(
                failed,
                sent = emails.len() - failed,
                "enrolment code emails"
            );
        } else {
            tracing::info!(sent = emails.len(), "enrolment code emails");
        }
    });
}

/// The text of a code's email: the force, the code, its expiry and what
/// enrolling means; nothing else about the person.
fn code_email(force_name: &str, force_slug: &str, code: &str, expires: &str) -> String {
    format!(
        "{force_name} has given you a one-time code to enrol the fatigue and sleep app on your phone.\n\n\
         Force: {force_slug}\n\
         Code: {code}\n\n\
         It works once, until {expires}. In the app, choose Enrol and type the force and the code.\n\
         Enrolling makes a pseudonymous account: your force sees figures about groups of at least \
         5 people, never your sleep data.\n\n\
         If you did not expect this email, tell your force's admin and do not use the code.\n"
    )
}

/// Enrolment progress by team for the force admin's page.
///
/// # Errors
/// Forbidden but for force admins; database errors.
pub async fn progress(state: &AppState, who: &Identity) -> AppResult<Vec<store::TeamProgress>> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    db::with_force(&state.pool, force, move |c| Ok(store::progress(c, force)?)).await
}
