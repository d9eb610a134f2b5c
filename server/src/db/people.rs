//! Enrolled people (pseudonyms), their devices and refresh tokens, consent,
//! export and withdrawal.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub use models::api::ConsentLevel as Consent;

/// Kinds that must be deleted when moving to `level`.
fn disallowed_kinds(level: Consent) -> Vec<String> {
    ["daily_summary", "check_in", "learning_progress"]
        .into_iter()
        .filter(|k| !level.allows(k))
        .map(str::to_owned)
        .collect()
}

/// Hours an enrolment code stays valid.
pub const ENROLMENT_CODE_HOURS: i64 = 72;
/// Days a refresh token stays valid (each use rotates it).
pub const REFRESH_TOKEN_DAYS: i64 = 90;

/// Stores a hashed enrolment code for a staff number.
///
/// # Errors
/// Database errors.
pub fn create_enrolment_code(
    c: &mut PgConnection,
    force: Uuid,
    code_hash: &str,
    staff_number: &str,
) -> AppResult<DateTime<Utc>> {
    let expires = Utc::now() + Duration::hours(ENROLMENT_CODE_HOURS);
    diesel::sql_query(
        "INSERT INTO enrolment_codes (force_id, code_hash, staff_number, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(code_hash)
    .bind::<Text, _>(staff_number)
    .bind::<Timestamptz, _>(expires)
    .execute(c)?;
    Ok(expires)
}

/// Uses an enrolment code: creates (or reuses) the person behind the staff
/// number and a new device. Returns (person, device).
///
/// # Errors
/// [`AppError::InvalidCredentials`] for an unknown, used or expired code.
pub fn enrol(c: &mut PgConnection, force: Uuid, code_hash: &str) -> AppResult<(Uuid, Uuid)> {
    #[derive(QueryableByName)]
    struct Code {
        #[diesel(sql_type = Text)]
        staff_number: String,
    }
    let code: Code = diesel::sql_query(
        "UPDATE enrolment_codes SET used_at = now() WHERE force_id = $1 AND code_hash = $2 \
         AND used_at IS NULL AND expires_at > now() RETURNING staff_number",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(code_hash)
    .get_result(c)
    .optional()?
    .ok_or(AppError::InvalidCredentials)?;
    #[derive(QueryableByName)]
    struct Person {
        #[diesel(sql_type = SqlUuid)]
        person_id: Uuid,
    }
    let existing: Option<Person> = diesel::sql_query(
        "SELECT person_id FROM staff_links WHERE force_id = $1 AND staff_number = $2",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(&code.staff_number)
    .get_result(c)
    .optional()?;
    let person = match existing {
        Some(p) => p.person_id,
        None => {
            let id = Uuid::new_v4();
            diesel::sql_query("INSERT INTO persons (force_id, id) VALUES ($1, $2)")
                .bind::<SqlUuid, _>(force)
                .bind::<SqlUuid, _>(id)
                .execute(c)?;
            diesel::sql_query(
                "INSERT INTO staff_links (force_id, staff_number, person_id) VALUES ($1, $2, $3)",
            )
            .bind::<SqlUuid, _>(force)
            .bind::<Text, _>(&code.staff_number)
            .bind::<SqlUuid, _>(id)
            .execute(c)?;
            id
        }
    };
    let device = Uuid::new_v4();
    diesel::sql_query("INSERT INTO devices (force_id, id, person_id) VALUES ($1, $2, $3)")
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(device)
        .bind::<SqlUuid, _>(person)
        .execute(c)?;
    Ok((person, device))
}

/// Stores a new refresh token for a device.
///
/// # Errors
/// Database errors.
pub fn store_refresh_token(
    c: &mut PgConnection,
    force: Uuid,
    hash: &str,
    device: Uuid,
) -> AppResult<()> {
    diesel::sql_query(
        "INSERT INTO refresh_tokens (force_id, token_hash, device_id, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(hash)
    .bind::<SqlUuid, _>(device)
    .bind::<Timestamptz, _>(Utc::now() + Duration::days(REFRESH_TOKEN_DAYS))
    .execute(c)?;
    Ok(())
}

/// Spends a refresh token; returns (person, device). A token already spent
/// revokes the device's tokens (a stolen copy was probably used).
///
/// # Errors
/// [`AppError::InvalidCredentials`].
pub fn spend_refresh_token(
    c: &mut PgConnection,
    force: Uuid,
    hash: &str,
) -> AppResult<(Uuid, Uuid)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        device_id: Uuid,
        #[diesel(sql_type = SqlUuid)]
        person_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        usable: bool,
    }
    let row: Row = diesel::sql_query(
        "SELECT r.device_id, d.person_id, (r.used_at IS NULL AND r.expires_at > now()) AS usable \
         FROM refresh_tokens r JOIN devices d ON d.force_id = r.force_id AND d.id = r.device_id \
         WHERE r.force_id = $1 AND r.token_hash = $2 FOR UPDATE OF r",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(hash)
    .get_result(c)
    .optional()?
    .ok_or(AppError::InvalidCredentials)?;
    if !row.usable {
        diesel::sql_query("DELETE FROM refresh_tokens WHERE force_id = $1 AND device_id = $2")
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(row.device_id)
            .execute(c)?;
        return Err(AppError::InvalidCredentials);
    }
    diesel::sql_query(
        "UPDATE refresh_tokens SET used_at = now() WHERE force_id = $1 AND token_hash = $2",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(hash)
    .execute(c)?;
    Ok((row.person_id, row.device_id))
}

/// The person's consent.
///
/// # Errors
/// Not found when the person no longer exists (withdrawn).
pub fn consent(c: &mut PgConnection, force: Uuid, person: Uuid) -> AppResult<Consent> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        consent: String,
    }
    let row: Row = diesel::sql_query("SELECT consent FROM persons WHERE force_id = $1 AND id = $2")
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(person)
        .get_result(c)?;
    Ok(Consent::from_stored(&row.consent))
}

/// Changes consent; records no longer covered are deleted. Returns how many.
///
/// # Errors
/// Not found when the person no longer exists.
pub fn set_consent(
    c: &mut PgConnection,
    force: Uuid,
    person: Uuid,
    level: Consent,
) -> AppResult<usize> {
    let n = diesel::sql_query(
        "UPDATE persons SET consent = $3, consent_updated_at = now() WHERE force_id = $1 AND id = $2",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(person)
    .bind::<Text, _>(level.as_str())
    .execute(c)?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(diesel::sql_query(
        "DELETE FROM sync_records WHERE force_id = $1 AND person_id = $2 AND kind = ANY($3)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(person)
    .bind::<diesel::sql_types::Array<Text>, _>(disallowed_kinds(level))
    .execute(c)?)
}

/// Everything held about a person, as JSON (built in SQL so nothing is missed
/// by a forgotten struct field).
///
/// # Errors
/// Not found when the person no longer exists.
pub fn export(c: &mut PgConnection, force: Uuid, person: Uuid) -> AppResult<serde_json::Value> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Jsonb)]
        doc: serde_json::Value,
    }
    let row: Row = diesel::sql_query(
        "SELECT jsonb_build_object( \
           'person', (SELECT to_jsonb(p) - 'force_id' FROM persons p WHERE p.force_id = $1 AND p.id = $2), \
           'staff_number', (SELECT staff_number FROM staff_links WHERE force_id = $1 AND person_id = $2), \
           'devices', coalesce((SELECT jsonb_agg(jsonb_build_object('id', d.id, 'sync_cursor', d.sync_cursor, 'created_at', d.created_at) ORDER BY d.created_at) \
                FROM devices d WHERE d.force_id = $1 AND d.person_id = $2), '[]'), \
           'records', coalesce((SELECT jsonb_agg(r.payload ORDER BY r.local_date, r.kind, r.discriminator) \
                FROM sync_records r WHERE r.force_id = $1 AND r.person_id = $2), '[]'), \
           'shifts', coalesce((SELECT jsonb_agg(jsonb_build_object('start', s.start_at, 'end', s.end_at, 'activity', s.activity) ORDER BY s.start_at) \
                FROM shifts s JOIN staff_links l ON l.force_id = s.force_id AND l.staff_number = s.staff_number \
                WHERE s.force_id = $1 AND l.person_id = $2), '[]'), \
           'rest_days', coalesce((SELECT jsonb_agg(d.local_date ORDER BY d.local_date) \
                FROM rest_days d JOIN staff_links l ON l.force_id = d.force_id AND l.staff_number = d.staff_number \
                WHERE d.force_id = $1 AND l.person_id = $2), '[]'), \
           'roster_changes', coalesce((SELECT jsonb_agg(jsonb_build_object('kind', x.kind, 'duty_start', x.duty_start, 'changed_at', x.changed_at) ORDER BY x.duty_start) \
                FROM roster_changes x JOIN staff_links l ON l.force_id = x.force_id AND l.staff_number = x.staff_number \
                WHERE x.force_id = $1 AND l.person_id = $2), '[]') \
         ) AS doc \
         WHERE EXISTS (SELECT 1 FROM persons WHERE force_id = $1 AND id = $2)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(person)
    .get_result(c)?;
    Ok(row.doc)
}

/// Withdrawal: deletes the person, and by cascade the staff link, devices,
/// refresh tokens, batches and records. Roster shifts stay: they are the
/// force's own duty records, no longer linked to the pseudonym.
///
/// # Errors
/// Not found when already withdrawn.
pub fn withdraw(c: &mut PgConnection, force: Uuid, person: Uuid) -> AppResult<()> {
    let n = diesel::sql_query("DELETE FROM persons WHERE force_id = $1 AND id = $2")
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(person)
        .execute(c)?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}
