//! The `force_settings` row. SQL only.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// A force's stored settings.
#[derive(Debug, Clone, QueryableByName)]
pub struct SettingsRow {
    /// `RosterLimits` as JSON.
    #[diesel(sql_type = Jsonb)]
    pub limits: serde_json::Value,
    /// When last changed.
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// The force's stored settings, if it set any.
///
/// # Errors
/// Database errors.
pub fn get(c: &mut PgConnection, force: Uuid) -> QueryResult<Option<SettingsRow>> {
    diesel::sql_query("SELECT limits, updated_at FROM force_settings WHERE force_id = $1")
        .bind::<SqlUuid, _>(force)
        .get_result(c)
        .optional()
}

/// Stores the force's settings.
///
/// # Errors
/// Database errors.
pub fn save(
    c: &mut PgConnection,
    force: Uuid,
    limits: &serde_json::Value,
    by: Uuid,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO force_settings (force_id, limits, updated_by) VALUES ($1, $2, $3) \
         ON CONFLICT (force_id) DO UPDATE SET limits = EXCLUDED.limits, \
         updated_by = EXCLUDED.updated_by, updated_at = now()",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Jsonb, _>(limits)
    .bind::<SqlUuid, _>(by)
    .execute(c)?;
    Ok(())
}
