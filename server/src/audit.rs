//! The audit log: who read which team's or cohort's data, and other
//! sensitive actions (enrolment codes, roster uploads, key rotation).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::auth::Identity;

/// Appends an entry in the caller's force (or national when `force` is None).
///
/// # Errors
/// Database errors.
pub fn record(
    c: &mut PgConnection,
    force: Option<Uuid>,
    who: &Identity,
    action: &str,
    target: &str,
) -> QueryResult<()> {
    record_each(c, force, who, action, &[target.to_owned()])
}

/// Appends one entry per target, the same actor and action, in one
/// statement (a bulk action such as an HR upload's thousand codes).
///
/// # Errors
/// Database errors.
pub fn record_each(
    c: &mut PgConnection,
    force: Option<Uuid>,
    who: &Identity,
    action: &str,
    targets: &[String],
) -> QueryResult<()> {
    let role = serde_json::to_value(who.0.role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    diesel::sql_query(
        "INSERT INTO audit_log (force_id, actor_role, actor_id, action, target) \
         SELECT $1, $2, $3, $4, t FROM unnest($5::text[]) WITH ORDINALITY AS u (t, n) ORDER BY n",
    )
    .bind::<Nullable<SqlUuid>, _>(force)
    .bind::<Text, _>(role)
    .bind::<SqlUuid, _>(who.0.sub)
    .bind::<Text, _>(action)
    .bind::<diesel::sql_types::Array<Text>, _>(targets)
    .execute(c)?;
    Ok(())
}

/// One audit entry.
#[derive(Debug, Clone, QueryableByName)]
pub struct AuditEntry {
    /// Sequence id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// The actor's role.
    #[diesel(sql_type = Text)]
    pub actor_role: String,
    /// The actor's account id or pseudonym.
    #[diesel(sql_type = SqlUuid)]
    pub actor_id: Uuid,
    /// What was done (`read_team_risk`, ...).
    #[diesel(sql_type = Text)]
    pub action: String,
    /// On what (`team:<id>`, ...).
    #[diesel(sql_type = Text)]
    pub target: String,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

/// The force's latest entries, newest first.
///
/// # Errors
/// Database errors.
pub fn latest(c: &mut PgConnection, force: Uuid, limit: i64) -> QueryResult<Vec<AuditEntry>> {
    diesel::sql_query(
        "SELECT id, actor_role, actor_id, action, target, at FROM audit_log \
         WHERE force_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<BigInt, _>(limit)
    .load(c)
}
