//! Stored shifts, by staff number.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use mobile_core::roster::RosterEntry;
use uuid::Uuid;

use crate::error::AppResult;

/// Stores a parsed roster's duties (rest days and leave are not duties);
/// a shift with the same person and start is replaced. Returns how many.
///
/// # Errors
/// Database errors.
pub fn store(
    c: &mut PgConnection,
    force: Uuid,
    uploaded_by: Uuid,
    format: &str,
    entries: &[RosterEntry],
) -> AppResult<usize> {
    let upload = Uuid::new_v4();
    let duties: Vec<&RosterEntry> = entries
        .iter()
        .filter(|e| mobile_core::roster::is_duty(e.activity.as_deref()))
        .collect();
    // One statement for the whole file (unnest of column arrays); the last
    // row for a (person, start) wins, as a re-upload would.
    let mut latest: std::collections::BTreeMap<(&str, DateTime<Utc>), &RosterEntry> =
        Default::default();
    for e in &duties {
        latest.insert((e.staff_id.as_str(), e.shift.start()), e);
    }
    let rows: Vec<&RosterEntry> = latest.into_values().collect();
    diesel::sql_query(
        "INSERT INTO shifts (force_id, staff_number, start_at, end_at, activity, upload_id) \
         SELECT $1, s, b, e, a, $6 FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[]) AS r(s, b, e, a) \
         ON CONFLICT (force_id, staff_number, start_at) \
         DO UPDATE SET end_at = EXCLUDED.end_at, activity = EXCLUDED.activity, upload_id = EXCLUDED.upload_id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(rows.iter().map(|e| e.staff_id.clone()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|e| e.shift.start()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|e| e.shift.end()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|e| e.activity.clone()).collect::<Vec<_>>())
    .bind::<SqlUuid, _>(upload)
    .execute(c)?;
    diesel::sql_query(
        "INSERT INTO roster_uploads (force_id, id, uploaded_by, format, shifts_stored, lines_rejected) \
         VALUES ($1, $2, $3, $4, $5, 0)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(upload)
    .bind::<SqlUuid, _>(uploaded_by)
    .bind::<Text, _>(format)
    .bind::<Integer, _>(i32::try_from(rows.len()).unwrap_or(i32::MAX))
    .execute(c)?;
    Ok(rows.len())
}

/// One stored shift.
#[derive(Debug, Clone, QueryableByName)]
pub struct StoredShift {
    /// Staff number.
    #[diesel(sql_type = Text)]
    pub staff_number: String,
    /// Start.
    #[diesel(sql_type = Timestamptz)]
    pub start_at: DateTime<Utc>,
    /// End.
    #[diesel(sql_type = Timestamptz)]
    pub end_at: DateTime<Utc>,
}

/// Shifts of the given staff starting in `[from, to)`.
///
/// # Errors
/// Database errors.
pub fn between(
    c: &mut PgConnection,
    force: Uuid,
    staff: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<StoredShift>> {
    Ok(diesel::sql_query(
        "SELECT staff_number, start_at, end_at FROM shifts WHERE force_id = $1 \
         AND staff_number = ANY($2) AND start_at >= $3 AND start_at < $4 ORDER BY staff_number, start_at",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(staff)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(c)?)
}

/// The pseudonym behind a staff number, when that person has enrolled.
///
/// # Errors
/// Database errors.
pub fn person_of(c: &mut PgConnection, force: Uuid, staff: &str) -> AppResult<Option<Uuid>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        person_id: Uuid,
    }
    Ok(diesel::sql_query(
        "SELECT person_id FROM staff_links WHERE force_id = $1 AND staff_number = $2",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(staff)
    .get_result::<Row>(c)
    .optional()?
    .map(|r| r.person_id))
}

/// The staff number behind a pseudonym.
///
/// # Errors
/// Not found when not linked.
pub fn staff_of(c: &mut PgConnection, force: Uuid, person: Uuid) -> AppResult<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        staff_number: String,
    }
    let r: Row = diesel::sql_query(
        "SELECT staff_number FROM staff_links WHERE force_id = $1 AND person_id = $2",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(person)
    .get_result(c)?;
    Ok(r.staff_number)
}
