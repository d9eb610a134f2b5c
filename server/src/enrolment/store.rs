//! Enrolment codes, enrolled people (pseudonyms), their devices, pairing
//! codes for a second device, and the devices' refresh tokens. SQL only.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

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
) -> QueryResult<DateTime<Utc>> {
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

/// Uses an enrolment code: creates the person behind the staff number and
/// their first device. Returns (person, device), or `None` for an unknown,
/// used or expired code.
///
/// # Errors
/// Database errors; a unique violation when the staff number already has a
/// person (a code never attaches a device to someone enrolled).
pub fn enrol(
    c: &mut PgConnection,
    force: Uuid,
    code_hash: &str,
) -> QueryResult<Option<(Uuid, Uuid)>> {
    #[derive(QueryableByName)]
    struct Code {
        #[diesel(sql_type = Text)]
        staff_number: String,
    }
    let code: Option<Code> = diesel::sql_query(
        "UPDATE enrolment_codes SET used_at = now() WHERE force_id = $1 AND code_hash = $2 \
         AND used_at IS NULL AND expires_at > now() RETURNING staff_number",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(code_hash)
    .get_result(c)
    .optional()?;
    let Some(code) = code else {
        return Ok(None);
    };
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
    Ok(Some((id, add_device(c, force, id)?)))
}

/// A new device for a person; returns its id (enrolment's first device and
/// a paired phone alike).
fn add_device(c: &mut PgConnection, force: Uuid, person: Uuid) -> QueryResult<Uuid> {
    let device = Uuid::new_v4();
    diesel::sql_query("INSERT INTO devices (force_id, id, person_id) VALUES ($1, $2, $3)")
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(device)
        .bind::<SqlUuid, _>(person)
        .execute(c)?;
    Ok(device)
}

/// Whether the staff number already has an enrolled person.
///
/// # Errors
/// Database errors.
pub fn is_enrolled(c: &mut PgConnection, force: Uuid, staff_number: &str) -> QueryResult<bool> {
    let found: crate::db::Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM staff_links WHERE force_id = $1 AND staff_number = $2) AS found",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(staff_number)
    .get_result(c)?;
    Ok(found.found)
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
) -> QueryResult<()> {
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

/// Spends a refresh token; returns (person, device), or `None` for an
/// unknown, spent or expired token. A token already spent revokes the
/// device's tokens (a stolen copy was probably used); the caller commits
/// that revocation even though the answer is a refusal.
///
/// # Errors
/// Database errors.
pub fn spend_refresh_token(
    c: &mut PgConnection,
    force: Uuid,
    hash: &str,
) -> QueryResult<Option<(Uuid, Uuid)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        device_id: Uuid,
        #[diesel(sql_type = SqlUuid)]
        person_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        usable: bool,
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT r.device_id, d.person_id, (r.used_at IS NULL AND r.expires_at > now()) AS usable \
         FROM refresh_tokens r JOIN devices d ON d.force_id = r.force_id AND d.id = r.device_id \
         WHERE r.force_id = $1 AND r.token_hash = $2 FOR UPDATE OF r",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(hash)
    .get_result(c)
    .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    if !row.usable {
        diesel::sql_query("DELETE FROM refresh_tokens WHERE force_id = $1 AND device_id = $2")
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(row.device_id)
            .execute(c)?;
        return Ok(None);
    }
    diesel::sql_query(
        "UPDATE refresh_tokens SET used_at = now() WHERE force_id = $1 AND token_hash = $2",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(hash)
    .execute(c)?;
    Ok(Some((row.person_id, row.device_id)))
}

/// Minutes a pairing code stays valid: long enough to pick up the new phone
/// and type it, short enough that a code seen over a shoulder soon dies.
pub const PAIRING_CODE_MINUTES: i64 = 10;

/// Whether `device` is one of `person`'s devices.
///
/// # Errors
/// Database errors.
pub fn is_persons_device(
    c: &mut PgConnection,
    force: Uuid,
    person: Uuid,
    device: Uuid,
) -> QueryResult<bool> {
    let found: crate::db::Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM devices WHERE force_id = $1 AND id = $2 AND person_id = $3) AS found",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(device)
    .bind::<SqlUuid, _>(person)
    .get_result(c)?;
    Ok(found.found)
}

/// Stores a hashed pairing code for `person`, asked for by `device`,
/// replacing any earlier one of theirs (used or not: a person has at most
/// one). Returns its expiry.
///
/// # Errors
/// Database errors.
pub fn create_pairing_code(
    c: &mut PgConnection,
    force: Uuid,
    person: Uuid,
    device: Uuid,
    code_hash: &str,
) -> QueryResult<DateTime<Utc>> {
    let expires = Utc::now() + Duration::minutes(PAIRING_CODE_MINUTES);
    diesel::sql_query(
        "INSERT INTO pairing_codes (force_id, code_hash, person_id, issued_by, expires_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (force_id, person_id) DO UPDATE SET code_hash = excluded.code_hash, \
             issued_by = excluded.issued_by, expires_at = excluded.expires_at, \
             used_at = NULL, created_at = now()",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(code_hash)
    .bind::<SqlUuid, _>(person)
    .bind::<SqlUuid, _>(device)
    .bind::<Timestamptz, _>(expires)
    .execute(c)?;
    Ok(expires)
}

/// Uses a pairing code: a new device for the person who asked for it.
/// Returns (person, device), or `None` for an unknown, used or expired code.
///
/// # Errors
/// Database errors.
pub fn pair(
    c: &mut PgConnection,
    force: Uuid,
    code_hash: &str,
) -> QueryResult<Option<(Uuid, Uuid)>> {
    #[derive(QueryableByName)]
    struct Code {
        #[diesel(sql_type = SqlUuid)]
        person_id: Uuid,
    }
    let code: Option<Code> = diesel::sql_query(
        "UPDATE pairing_codes SET used_at = now() WHERE force_id = $1 AND code_hash = $2 \
         AND used_at IS NULL AND expires_at > now() RETURNING person_id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(code_hash)
    .get_result(c)
    .optional()?;
    let Some(code) = code else {
        return Ok(None);
    };
    Ok(Some((
        code.person_id,
        add_device(c, force, code.person_id)?,
    )))
}

/// One of a person's devices.
#[derive(Debug, Clone, QueryableByName)]
pub struct DeviceRow {
    /// Device.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// When it was enrolled or paired.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// The person's devices, oldest first.
///
/// # Errors
/// Database errors.
pub fn devices_of(c: &mut PgConnection, force: Uuid, person: Uuid) -> QueryResult<Vec<DeviceRow>> {
    diesel::sql_query(
        "SELECT id, created_at FROM devices WHERE force_id = $1 AND person_id = $2 \
         ORDER BY created_at, id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(person)
    .load(c)
}
