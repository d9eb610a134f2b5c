//! Enrolment codes, enrolled people (pseudonyms), their devices, pairing
//! codes for a second device, and the devices' refresh tokens. SQL only.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
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

/// The staff numbers among `staff` that have an enrolled person.
///
/// # Errors
/// Database errors.
pub fn enrolled_among(
    c: &mut PgConnection,
    force: Uuid,
    staff: &[String],
) -> QueryResult<std::collections::HashSet<String>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        staff_number: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT staff_number FROM staff_links WHERE force_id = $1 AND staff_number = ANY($2)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(staff)
    .load(c)?;
    Ok(rows.into_iter().map(|r| r.staff_number).collect())
}

/// One member of staff as the HR file describes them (the columns of
/// `staff_records`, stored names).
#[derive(Debug, Clone)]
pub struct StaffRecord {
    /// Staff number.
    pub staff_number: String,
    /// `models::staff::EmploymentType` stored name.
    pub employment_type: &'static str,
    /// `models::staff::PolicingFunction` stored name, when the file gives one.
    pub policing_function: Option<&'static str>,
    /// Their team.
    pub team: Uuid,
}

/// Records (or updates) each member of staff's employment type and own
/// function, and adds them to their team (other memberships stay), in two
/// statements whatever the number of rows.
///
/// # Errors
/// Database errors.
pub fn record_staff(c: &mut PgConnection, force: Uuid, rows: &[StaffRecord]) -> QueryResult<()> {
    let staff: Vec<&str> = rows.iter().map(|r| r.staff_number.as_str()).collect();
    let types: Vec<&str> = rows.iter().map(|r| r.employment_type).collect();
    let functions: Vec<Option<&str>> = rows.iter().map(|r| r.policing_function).collect();
    let teams: Vec<Uuid> = rows.iter().map(|r| r.team).collect();
    diesel::sql_query(
        "INSERT INTO staff_records (force_id, staff_number, employment_type, policing_function) \
         SELECT $1, s, t, f FROM unnest($2::text[], $3::text[], $4::text[]) AS u (s, t, f) \
         ON CONFLICT (force_id, staff_number) DO UPDATE SET employment_type = excluded.employment_type, \
             policing_function = excluded.policing_function, updated_at = now()",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(&staff)
    .bind::<Array<Text>, _>(&types)
    .bind::<Array<Nullable<Text>>, _>(&functions)
    .execute(c)?;
    diesel::sql_query(
        "INSERT INTO team_members (force_id, team_id, staff_number) \
         SELECT $1, t, s FROM unnest($2::uuid[], $3::text[]) AS u (t, s) ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<SqlUuid>, _>(&teams)
    .bind::<Array<Text>, _>(&staff)
    .execute(c)?;
    Ok(())
}

/// Stores hashed enrolment codes, `staff[i]`'s being `hashes[i]`, each
/// replacing any unused earlier code of that staff number (the newest sheet
/// or email is the one that works). Returns their common expiry.
///
/// # Errors
/// Database errors.
pub fn replace_enrolment_codes(
    c: &mut PgConnection,
    force: Uuid,
    staff: &[String],
    hashes: &[String],
) -> QueryResult<DateTime<Utc>> {
    let expires = Utc::now() + Duration::hours(ENROLMENT_CODE_HOURS);
    diesel::sql_query(
        "DELETE FROM enrolment_codes WHERE force_id = $1 AND staff_number = ANY($2) AND used_at IS NULL",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(staff)
    .execute(c)?;
    diesel::sql_query(
        "INSERT INTO enrolment_codes (force_id, code_hash, staff_number, expires_at) \
         SELECT $1, h, s, $4 FROM unnest($2::text[], $3::text[]) AS u (h, s)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(hashes)
    .bind::<Array<Text>, _>(staff)
    .bind::<Timestamptz, _>(expires)
    .execute(c)?;
    Ok(expires)
}

/// Closes leavers' accounts: erases each enrolled person as a withdrawal
/// does (the database cascades to the staff link, devices, refresh tokens,
/// pairing codes, batch acknowledgements and records), and forgets their HR
/// record, team memberships and unused codes. Rostered shifts stay with the
/// force, linked to no pseudonym. Returns the staff numbers that had an
/// enrolled person.
///
/// # Errors
/// Database errors.
pub fn close_leavers(
    c: &mut PgConnection,
    force: Uuid,
    staff: &[String],
) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        staff_number: String,
    }
    let closed: Vec<Row> = diesel::sql_query(
        "WITH gone AS (SELECT person_id, staff_number FROM staff_links \
             WHERE force_id = $1 AND staff_number = ANY($2)), \
         erased AS (DELETE FROM persons p USING gone g WHERE p.force_id = $1 AND p.id = g.person_id) \
         SELECT staff_number FROM gone ORDER BY staff_number",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(staff)
    .load(c)?;
    for table in ["staff_records", "team_members", "enrolment_codes"] {
        diesel::sql_query(format!(
            "DELETE FROM {table} WHERE force_id = $1 AND staff_number = ANY($2)"
        ))
        .bind::<SqlUuid, _>(force)
        .bind::<Array<Text>, _>(staff)
        .execute(c)?;
    }
    Ok(closed.into_iter().map(|r| r.staff_number).collect())
}

/// One team's enrolment progress.
#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct TeamProgress {
    /// Team name.
    #[diesel(sql_type = Text)]
    pub team: String,
    /// Members (staff numbers).
    #[diesel(sql_type = BigInt)]
    pub members: i64,
    /// Members with an enrolled person.
    #[diesel(sql_type = BigInt)]
    pub enrolled: i64,
    /// Members not enrolled who hold a live, unused code.
    #[diesel(sql_type = BigInt)]
    pub codes_outstanding: i64,
    /// Members with an HR record (an employment type).
    #[diesel(sql_type = BigInt)]
    pub with_hr_record: i64,
}

/// Enrolment progress of every team of the force, by name.
///
/// # Errors
/// Database errors.
pub fn progress(c: &mut PgConnection, force: Uuid) -> QueryResult<Vec<TeamProgress>> {
    diesel::sql_query(
        "SELECT t.name AS team, count(m.staff_number) AS members, count(l.person_id) AS enrolled, \
             count(*) FILTER (WHERE m.staff_number IS NOT NULL AND l.person_id IS NULL AND EXISTS ( \
                 SELECT 1 FROM enrolment_codes e WHERE e.force_id = m.force_id \
                 AND e.staff_number = m.staff_number AND e.used_at IS NULL AND e.expires_at > now())) \
                 AS codes_outstanding, \
             count(r.staff_number) AS with_hr_record \
         FROM teams t \
         LEFT JOIN team_members m ON m.force_id = t.force_id AND m.team_id = t.id \
         LEFT JOIN staff_links l ON l.force_id = m.force_id AND l.staff_number = m.staff_number \
         LEFT JOIN staff_records r ON r.force_id = m.force_id AND r.staff_number = m.staff_number \
         WHERE t.force_id = $1 GROUP BY t.id, t.name ORDER BY t.name",
    )
    .bind::<SqlUuid, _>(force)
    .load(c)
}
