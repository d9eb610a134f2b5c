//! Stored duties, rest days, roster changes and uploads, by staff number.
//! SQL only: what an upload changes is decided in [`super::service`].

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// A duty as stored: who, when, and its roster activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duty {
    /// Staff number.
    pub staff_number: String,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// The file's `activity`, if any.
    pub activity: Option<String>,
}

/// A person's local day.
pub type StaffDay = (String, NaiveDate);

/// Deletes the stored rest days among `days`; returns those deleted (the
/// rest days a new duty now falls on).
///
/// # Errors
/// Database errors.
pub fn take_rest_days(
    c: &mut PgConnection,
    force: Uuid,
    days: &[StaffDay],
) -> QueryResult<Vec<StaffDay>> {
    #[derive(QueryableByName)]
    struct Day {
        #[diesel(sql_type = Text)]
        staff_number: String,
        #[diesel(sql_type = Date)]
        local_date: NaiveDate,
    }
    let taken: Vec<Day> = diesel::sql_query(
        "DELETE FROM rest_days d USING unnest($2::text[], $3::date[]) AS f(s, day) \
         WHERE d.force_id = $1 AND d.staff_number = f.s AND d.local_date = f.day \
         RETURNING d.staff_number, d.local_date",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(days.iter().map(|d| d.0.as_str()).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(days.iter().map(|d| d.1).collect::<Vec<_>>())
    .load(c)?;
    Ok(taken
        .into_iter()
        .map(|d| (d.staff_number, d.local_date))
        .collect())
}

/// A stored duty that a new duty overlaps without sharing its start.
#[derive(Debug, Clone, QueryableByName)]
pub struct Moved {
    /// Staff number.
    #[diesel(sql_type = Text)]
    pub staff_number: String,
    /// The stored duty's start.
    #[diesel(sql_type = Timestamptz)]
    pub old_start: DateTime<Utc>,
    /// The overlapping new duty's start.
    #[diesel(sql_type = Timestamptz)]
    pub new_start: DateTime<Utc>,
}

/// Deletes the person's stored duties that one of `duties` overlaps
/// without sharing its start; returns them with the new start.
///
/// # Errors
/// Database errors.
pub fn take_moved_duties(
    c: &mut PgConnection,
    force: Uuid,
    duties: &[Duty],
) -> QueryResult<Vec<Moved>> {
    diesel::sql_query(
        "WITH f AS (SELECT * FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[]) AS f(s, b, e)) \
         DELETE FROM shifts x USING f \
         WHERE x.force_id = $1 AND x.staff_number = f.s AND x.start_at < f.e AND x.end_at > f.b \
           AND NOT EXISTS (SELECT 1 FROM f g WHERE g.s = x.staff_number AND g.b = x.start_at) \
         RETURNING x.staff_number, x.start_at AS old_start, f.b AS new_start",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(staff_numbers(duties))
    .bind::<Array<Timestamptz>, _>(duties.iter().map(|d| d.start).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(duties.iter().map(|d| d.end).collect::<Vec<_>>())
    .load(c)
}

fn staff_numbers(duties: &[Duty]) -> Vec<&str> {
    duties.iter().map(|d| d.staff_number.as_str()).collect()
}

/// Deletes the stored duties starting on each (person, local date in
/// `zone`) of `days`.
///
/// # Errors
/// Database errors.
pub fn cancel_duties_on(
    c: &mut PgConnection,
    force: Uuid,
    days: &[StaffDay],
    zone: Tz,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM shifts x USING unnest($2::text[], $3::date[]) AS f(s, day) \
         WHERE x.force_id = $1 AND x.staff_number = f.s AND (x.start_at AT TIME ZONE $4)::date = f.day",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(days.iter().map(|d| d.0.as_str()).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(days.iter().map(|d| d.1).collect::<Vec<_>>())
    .bind::<Text, _>(zone.name())
    .execute(c)
}

/// Stores rest days from an upload (a day stored before is re-dated to it).
///
/// # Errors
/// Database errors.
pub fn upsert_rest_days(
    c: &mut PgConnection,
    force: Uuid,
    days: &[StaffDay],
    upload: Uuid,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO rest_days (force_id, staff_number, local_date, upload_id) \
         SELECT $1, s, day, $4 FROM unnest($2::text[], $3::date[]) AS f(s, day) \
         ON CONFLICT (force_id, staff_number, local_date) DO UPDATE SET upload_id = EXCLUDED.upload_id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(days.iter().map(|d| d.0.as_str()).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(days.iter().map(|d| d.1).collect::<Vec<_>>())
    .bind::<SqlUuid, _>(upload)
    .execute(c)
}

/// Stores days of absence from an upload, category only (a day stored
/// before takes the new category and upload).
///
/// # Errors
/// Database errors.
pub fn upsert_absences(
    c: &mut PgConnection,
    force: Uuid,
    days: &[(StaffDay, &str)],
    upload: Uuid,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO absence_days (force_id, staff_number, local_date, category, upload_id) \
         SELECT $1, s, day, cat, $5 FROM unnest($2::text[], $3::date[], $4::text[]) AS f(s, day, cat) \
         ON CONFLICT (force_id, staff_number, local_date) \
         DO UPDATE SET category = EXCLUDED.category, upload_id = EXCLUDED.upload_id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(days.iter().map(|d| d.0.0.as_str()).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(days.iter().map(|d| d.0.1).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(days.iter().map(|d| d.1).collect::<Vec<_>>())
    .bind::<SqlUuid, _>(upload)
    .execute(c)
}

/// Removes stored absences on the given days (the file now has a duty or a
/// rest day there).
///
/// # Errors
/// Database errors.
pub fn clear_absences(c: &mut PgConnection, force: Uuid, days: &[StaffDay]) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM absence_days d USING unnest($2::text[], $3::date[]) AS f(s, day) \
         WHERE d.force_id = $1 AND d.staff_number = f.s AND d.local_date = f.day",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(days.iter().map(|d| d.0.as_str()).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(days.iter().map(|d| d.1).collect::<Vec<_>>())
    .execute(c)
}

/// A change to a published roster, as `roster_changes` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Staff number.
    pub staff_number: String,
    /// `rest_day_worked` or `start_advanced`.
    pub kind: &'static str,
    /// The duty's start.
    pub duty_start: DateTime<Utc>,
}

/// Records changes made by an upload at `at` (a change already recorded is
/// kept as it was).
///
/// # Errors
/// Database errors.
pub fn insert_changes(
    c: &mut PgConnection,
    force: Uuid,
    changes: &[Change],
    at: DateTime<Utc>,
    upload: Uuid,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO roster_changes (force_id, staff_number, kind, duty_start, changed_at, upload_id) \
         SELECT $1, s, k, d, $5, $6 FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS f(s, k, d) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(changes.iter().map(|c| c.staff_number.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(changes.iter().map(|c| c.kind).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(changes.iter().map(|c| c.duty_start).collect::<Vec<_>>())
    .bind::<Timestamptz, _>(at)
    .bind::<SqlUuid, _>(upload)
    .execute(c)
}

/// Stores duties in one statement (unnest of column arrays); a duty with a
/// stored one's person and start replaces it.
///
/// # Errors
/// Database errors.
pub fn upsert_duties(
    c: &mut PgConnection,
    force: Uuid,
    duties: &[Duty],
    upload: Uuid,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO shifts (force_id, staff_number, start_at, end_at, activity, upload_id) \
         SELECT $1, s, b, e, a, $6 FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[]) AS r(s, b, e, a) \
         ON CONFLICT (force_id, staff_number, start_at) \
         DO UPDATE SET end_at = EXCLUDED.end_at, activity = EXCLUDED.activity, upload_id = EXCLUDED.upload_id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(staff_numbers(duties))
    .bind::<Array<Timestamptz>, _>(duties.iter().map(|d| d.start).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(duties.iter().map(|d| d.end).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(duties.iter().map(|d| d.activity.clone()).collect::<Vec<_>>())
    .bind::<SqlUuid, _>(upload)
    .execute(c)
}

/// Records an upload.
///
/// # Errors
/// Database errors.
pub fn record_upload(
    c: &mut PgConnection,
    force: Uuid,
    upload: Uuid,
    uploaded_by: Uuid,
    format: &str,
    duties: usize,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO roster_uploads (force_id, id, uploaded_by, format, shifts_stored, lines_rejected) \
         VALUES ($1, $2, $3, $4, $5, 0)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(upload)
    .bind::<SqlUuid, _>(uploaded_by)
    .bind::<Text, _>(format)
    .bind::<Integer, _>(i32::try_from(duties).unwrap_or(i32::MAX))
    .execute(c)?;
    Ok(())
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
) -> QueryResult<Vec<StoredShift>> {
    diesel::sql_query(
        "SELECT staff_number, start_at, end_at FROM shifts WHERE force_id = $1 \
         AND staff_number = ANY($2) AND start_at >= $3 AND start_at < $4 ORDER BY staff_number, start_at",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(staff)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(c)
}

/// The pseudonym behind a staff number, when that person has enrolled.
///
/// # Errors
/// Database errors.
pub fn person_of(c: &mut PgConnection, force: Uuid, staff: &str) -> QueryResult<Option<Uuid>> {
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
pub fn staff_of(c: &mut PgConnection, force: Uuid, person: Uuid) -> QueryResult<String> {
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

/// Deletes the stored duties of `staff` starting in `[from, to)` that no
/// duty of `keep` shares a person and start with: a draft is the whole
/// roster of its team's people for its period, so a duty it does not have
/// was taken off.
///
/// # Errors
/// Database errors.
pub fn delete_duties_not_in(
    c: &mut PgConnection,
    force: Uuid,
    staff: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    keep: &[Duty],
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM shifts x WHERE x.force_id = $1 AND x.staff_number = ANY($2) \
           AND x.start_at >= $3 AND x.start_at < $4 \
           AND NOT EXISTS (SELECT 1 FROM unnest($5::text[], $6::timestamptz[]) AS k(s, b) \
                           WHERE k.s = x.staff_number AND k.b = x.start_at)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(staff)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Array<Text>, _>(staff_numbers(keep))
    .bind::<Array<Timestamptz>, _>(keep.iter().map(|d| d.start).collect::<Vec<_>>())
    .execute(c)
}

/// The stored rest days of `staff` on local dates `from..=to`.
///
/// # Errors
/// Database errors.
pub fn rest_days_between(
    c: &mut PgConnection,
    force: Uuid,
    staff: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<StaffDay>> {
    #[derive(QueryableByName)]
    struct Day {
        #[diesel(sql_type = Text)]
        staff_number: String,
        #[diesel(sql_type = Date)]
        local_date: NaiveDate,
    }
    let days: Vec<Day> = diesel::sql_query(
        "SELECT staff_number, local_date FROM rest_days WHERE force_id = $1 \
         AND staff_number = ANY($2) AND local_date BETWEEN $3 AND $4 ORDER BY 1, 2",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(staff)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(c)?;
    Ok(days
        .into_iter()
        .map(|d| (d.staff_number, d.local_date))
        .collect())
}

/// The stored absences of `staff` on local dates `from..=to`: (staff
/// number, date, category).
///
/// # Errors
/// Database errors.
pub fn absences_between(
    c: &mut PgConnection,
    force: Uuid,
    staff: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(String, NaiveDate, String)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        staff_number: String,
        #[diesel(sql_type = Date)]
        local_date: NaiveDate,
        #[diesel(sql_type = Text)]
        category: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT staff_number, local_date, category FROM absence_days WHERE force_id = $1 \
         AND staff_number = ANY($2) AND local_date BETWEEN $3 AND $4",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(staff)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.staff_number, r.local_date, r.category))
        .collect())
}

/// A draft roster as stored.
#[derive(Debug, Clone, QueryableByName)]
pub struct DraftRow {
    /// Id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its team.
    #[diesel(sql_type = SqlUuid)]
    pub team_id: Uuid,
    /// First local day.
    #[diesel(sql_type = Date)]
    pub period_from: NaiveDate,
    /// Last local day.
    #[diesel(sql_type = Date)]
    pub period_to: NaiveDate,
    /// Started.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Published, if it was.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub published_at: Option<DateTime<Utc>>,
    /// Red flags it had when published.
    #[diesel(sql_type = Nullable<Integer>)]
    pub published_red_flags: Option<i32>,
    /// Why it was published over red flags.
    #[diesel(sql_type = Nullable<Text>)]
    pub publish_reason: Option<String>,
}

const DRAFT_COLUMNS: &str = "id, team_id, period_from, period_to, created_at, published_at, \
     published_red_flags, publish_reason";

/// Stores a new draft.
///
/// # Errors
/// Database errors.
pub fn insert_draft(
    c: &mut PgConnection,
    force: Uuid,
    draft: Uuid,
    team: Uuid,
    period: (NaiveDate, NaiveDate),
    by: Uuid,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO roster_drafts (force_id, id, team_id, period_from, period_to, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(draft)
    .bind::<SqlUuid, _>(team)
    .bind::<Date, _>(period.0)
    .bind::<Date, _>(period.1)
    .bind::<SqlUuid, _>(by)
    .execute(c)?;
    Ok(())
}

/// A draft, locked for the rest of the transaction (edits and publishing
/// of one draft happen one at a time).
///
/// # Errors
/// Not found; database errors.
pub fn draft_for_update(c: &mut PgConnection, force: Uuid, draft: Uuid) -> QueryResult<DraftRow> {
    diesel::sql_query(format!(
        "SELECT {DRAFT_COLUMNS} FROM roster_drafts WHERE force_id = $1 AND id = $2 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(draft)
    .get_result(c)
}

/// A team's drafts, newest first.
///
/// # Errors
/// Database errors.
pub fn team_drafts(c: &mut PgConnection, force: Uuid, team: Uuid) -> QueryResult<Vec<DraftRow>> {
    diesel::sql_query(format!(
        "SELECT {DRAFT_COLUMNS} FROM roster_drafts WHERE force_id = $1 AND team_id = $2 \
         ORDER BY created_at DESC LIMIT 50"
    ))
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(team)
    .load(c)
}

/// One version of a draft's entries.
#[derive(Debug, Clone, QueryableByName)]
pub struct DraftVersion {
    /// 0 for the draft as started, then one per change.
    #[diesel(sql_type = Integer)]
    pub version: i32,
    /// The change, in words.
    #[diesel(sql_type = Text)]
    pub change: String,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub made_at: DateTime<Utc>,
    /// `RosterEntry` list as JSON.
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub entries: serde_json::Value,
}

/// Adds a version of a draft.
///
/// # Errors
/// Database errors (a version already there is a conflict).
pub fn insert_version(
    c: &mut PgConnection,
    force: Uuid,
    draft: Uuid,
    version: i32,
    entries: &serde_json::Value,
    change: &str,
    by: Uuid,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO roster_draft_versions (force_id, draft_id, version, entries, change, made_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(draft)
    .bind::<Integer, _>(version)
    .bind::<diesel::sql_types::Jsonb, _>(entries)
    .bind::<Text, _>(change)
    .bind::<SqlUuid, _>(by)
    .execute(c)?;
    Ok(())
}

/// A draft's history, oldest first; the last is the draft as it stands.
///
/// # Errors
/// Database errors.
pub fn versions(c: &mut PgConnection, force: Uuid, draft: Uuid) -> QueryResult<Vec<DraftVersion>> {
    diesel::sql_query(
        "SELECT version, change, made_at, entries FROM roster_draft_versions \
         WHERE force_id = $1 AND draft_id = $2 ORDER BY version",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(draft)
    .load(c)
}

/// Deletes one version of a draft (undo).
///
/// # Errors
/// Database errors.
pub fn delete_version(
    c: &mut PgConnection,
    force: Uuid,
    draft: Uuid,
    version: i32,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM roster_draft_versions WHERE force_id = $1 AND draft_id = $2 AND version = $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(draft)
    .bind::<Integer, _>(version)
    .execute(c)
}

/// Marks a draft published.
///
/// # Errors
/// Database errors.
pub fn mark_published(
    c: &mut PgConnection,
    force: Uuid,
    draft: Uuid,
    by: Uuid,
    red_flags: u32,
    reason: Option<&str>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE roster_drafts SET published_at = now(), published_by = $3, \
         published_red_flags = $4, publish_reason = $5 WHERE force_id = $1 AND id = $2",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(draft)
    .bind::<SqlUuid, _>(by)
    .bind::<Integer, _>(i32::try_from(red_flags).unwrap_or(i32::MAX))
    .bind::<Nullable<Text>, _>(reason)
    .execute(c)
}

/// Drafts published in `[from, to)`, and of those, published over red
/// flags (each with its reason): the FRM report's figures.
///
/// # Errors
/// Database errors.
pub fn published_draft_counts(
    c: &mut PgConnection,
    force: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        published: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        over_red: i64,
    }
    let r: Counts = diesel::sql_query(
        "SELECT count(*) AS published, count(*) FILTER (WHERE published_red_flags > 0) AS over_red \
         FROM roster_drafts WHERE force_id = $1 AND published_at >= $2 AND published_at < $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .get_result(c)?;
    Ok((r.published, r.over_red))
}
