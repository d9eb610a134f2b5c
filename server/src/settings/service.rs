//! Who may read and change a force's FRM settings, and reading them inside
//! another domain's transaction.

use diesel::PgConnection;
use mobile_core::roster::limits::{ForceSettingsBody, RosterLimits};
use uuid::Uuid;

use super::store;
use crate::app::AppState;
use crate::audit;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::lifecycle::service::Retention;

/// A force's settings as the API shows them and the phone reads them: the
/// one wire form, `mobile_core::roster::limits::ForceSettingsBody`.
pub type ForceSettings = ForceSettingsBody;

/// The force's settings in effect, inside the caller's force-scoped
/// transaction: stored ones (fields a stored row lacks read as the
/// defaults), else the defaults.
///
/// # Errors
/// Database errors; a stored row that no longer reads (internal).
pub fn limits_of(c: &mut PgConnection, force: Uuid) -> AppResult<RosterLimits> {
    Ok(settings_of(c, force)?.limits)
}

fn settings_of(c: &mut PgConnection, force: Uuid) -> AppResult<ForceSettings> {
    let Some(row) = store::get(c, force)? else {
        return Ok(ForceSettingsBody::new(RosterLimits::default(), None));
    };
    let limits: RosterLimits = serde_json::from_value(row.limits).map_err(AppError::internal)?;
    Ok(ForceSettingsBody::new(limits, Some(row.updated_at)))
}

/// The caller's force's settings: anyone of the force, officers' phones
/// included (the library applies them so an officer's flags agree with
/// their supervisor's).
///
/// # Errors
/// Forbidden for national roles; database errors.
pub async fn get(state: &AppState, who: &Identity) -> AppResult<ForceSettings> {
    let force = who.force()?;
    db::with_force(&state.pool, force, move |c| settings_of(c, force)).await
}

/// Replaces the force's settings (its FRM lead or force admin), validated
/// against the legal limits first, audited.
///
/// # Errors
/// Forbidden; `invalid_settings` naming every setting refused; database
/// errors.
pub async fn put(
    state: &AppState,
    who: &Identity,
    limits: RosterLimits,
) -> AppResult<ForceSettings> {
    who.require(&[Role::FrmLead, Role::ForceAdmin])?;
    let force = who.force()?;
    limits
        .validate()
        .map_err(|e| AppError::invalid("invalid_settings", e.problems.join("; ")))?;
    let json = serde_json::to_value(limits).map_err(AppError::internal)?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        store::save(c, force, &json, who.0.sub)?;
        audit::record(c, Some(force), &who, "set_frm_settings", "force")?;
        settings_of(c, force)
    })
    .await
}

/// The force's retention periods in effect, on a connection scoped to it
/// (the stored overrides, else the defaults): the one reading of them, for
/// the settings API and the lifecycle round.
///
/// # Errors
/// Database errors.
pub fn retention_of(c: &mut PgConnection, force: Uuid) -> AppResult<Retention> {
    Ok(
        store::retention(c, force)?.map_or_else(Retention::default, |r| {
            Retention::with_overrides(r.records_retention_days, r.audit_retention_days)
        }),
    )
}

/// The caller's force's retention periods in effect (anyone of the force:
/// an officer may see how long their figures are kept).
///
/// # Errors
/// Forbidden for national roles; database errors.
pub async fn retention(state: &AppState, who: &Identity) -> AppResult<Retention> {
    let force = who.force()?;
    db::with_force(&state.pool, force, move |c| retention_of(c, force)).await
}

/// Sets the force's retention periods (its force admin: the force is the
/// controller and decides how long it keeps what), within
/// `lifecycle::service`'s ranges, audited. The lifecycle job applies them
/// at its next round.
///
/// # Errors
/// Forbidden; `invalid_retention` naming every period refused; database
/// errors.
pub async fn put_retention(
    state: &AppState,
    who: &Identity,
    retention: Retention,
) -> AppResult<Retention> {
    who.require(&[Role::ForceAdmin])?;
    let force = who.force()?;
    retention
        .validate()
        .map_err(|p| AppError::invalid("invalid_retention", p.join("; ")))?;
    // validate() bounds both below MAX_RETENTION_DAYS, well inside i32.
    let records = i32::try_from(retention.records_days).map_err(AppError::internal)?;
    let audit = i32::try_from(retention.audit_days).map_err(AppError::internal)?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        store::save_retention(c, force, records, audit, who.0.sub)?;
        audit::record(c, Some(force), &who, "set_retention", "force")?;
        retention_of(c, force)
    })
    .await
}
