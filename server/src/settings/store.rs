//! The `force_settings` row. SQL only.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Jsonb, Nullable, Timestamptz, Uuid as SqlUuid};
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

/// A force's stored retention overrides (`None`: the default).
#[derive(Debug, Clone, QueryableByName)]
pub struct RetentionRow {
    /// Days synced figures are kept.
    #[diesel(sql_type = Nullable<Integer>)]
    pub records_retention_days: Option<i32>,
    /// Days audit entries are kept.
    #[diesel(sql_type = Nullable<Integer>)]
    pub audit_retention_days: Option<i32>,
}

/// The force's retention overrides, if it has a settings row.
///
/// # Errors
/// Database errors.
pub fn retention(c: &mut PgConnection, force: Uuid) -> QueryResult<Option<RetentionRow>> {
    diesel::sql_query(
        "SELECT records_retention_days, audit_retention_days FROM force_settings WHERE force_id = $1",
    )
    .bind::<SqlUuid, _>(force)
    .get_result(c)
    .optional()
}

/// Stores the force's retention periods (a force without a settings row
/// gets one whose FRM levels are all the defaults: `{}`).
///
/// # Errors
/// Database errors.
pub fn save_retention(
    c: &mut PgConnection,
    force: Uuid,
    records_days: i32,
    audit_days: i32,
    by: Uuid,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO force_settings (force_id, limits, updated_by, records_retention_days, audit_retention_days) \
         VALUES ($1, '{}', $2, $3, $4) \
         ON CONFLICT (force_id) DO UPDATE SET records_retention_days = EXCLUDED.records_retention_days, \
         audit_retention_days = EXCLUDED.audit_retention_days, updated_by = EXCLUDED.updated_by, \
         updated_at = now()",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(by)
    .bind::<Integer, _>(records_days)
    .bind::<Integer, _>(audit_days)
    .execute(c)?;
    Ok(())
}
