//! Who may read and change a force's FRM settings, and reading them inside
//! another domain's transaction.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use mobile_core::roster::limits::RosterLimits;
use serde::Serialize;
use uuid::Uuid;

use super::store;
use crate::app::AppState;
use crate::audit;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};

/// A force's settings as the API and the dashboard show them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForceSettings {
    /// The levels in effect (the published defaults where the force set
    /// none); field by field in docs/reports.md.
    #[schema(value_type = Object)]
    pub limits: RosterLimits,
    /// The settings that differ from the published defaults, by name.
    pub changed: Vec<String>,
    /// When the force last changed them (none: never, the defaults apply).
    pub updated_at: Option<DateTime<Utc>>,
}

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
        return Ok(ForceSettings {
            limits: RosterLimits::default(),
            changed: Vec::new(),
            updated_at: None,
        });
    };
    let limits: RosterLimits = serde_json::from_value(row.limits).map_err(AppError::internal)?;
    Ok(ForceSettings {
        changed: limits
            .differences_from_default()
            .into_iter()
            .map(|(k, _)| k)
            .collect(),
        limits,
        updated_at: Some(row.updated_at),
    })
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
