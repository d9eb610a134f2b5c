//! Stored shifts, by staff number.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use mobile_core::roster::RosterEntry;
use uuid::Uuid;

use crate::error::AppResult;

/// Stores a parsed roster uploaded at `now`: its duties, and its rest days
/// for frm-indicators #10 and #11 (leave and sickness are neither). Returns
/// how many duties.
///
/// A file is the force's roster as now published for the people and days it
/// covers:
/// - a duty with the same person and start as a stored one replaces it;
/// - a stored duty of the person that overlaps a duty of the file without
///   sharing its start was moved, and is replaced by it; when the new start
///   is earlier, a `start_advanced` change is recorded, dated `now`;
/// - a duty on a local date that an earlier upload gave the person as a rest
///   day is a rest day worked: the rest day is removed and a
///   `rest_day_worked` change recorded, dated `now`;
/// - a rest day in the file removes the person's stored duties starting on
///   that local date (the duty was cancelled) and is kept, unless the file
///   also has a duty that day.
///
/// Local dates are in `zone`, the force's.
///
/// # Errors
/// Database errors.
pub fn store(
    c: &mut PgConnection,
    force: Uuid,
    uploaded_by: Uuid,
    format: &str,
    entries: &[RosterEntry],
    zone: Tz,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let upload = Uuid::new_v4();
    let local_date = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
    // The last row for a (person, start) wins, as a re-upload would.
    let mut latest: BTreeMap<(&str, DateTime<Utc>), &RosterEntry> = BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| mobile_core::roster::is_duty(e.activity.as_deref()))
    {
        latest.insert((e.staff_id.as_str(), e.shift.start()), e);
    }
    let rows: Vec<&RosterEntry> = latest.into_values().collect();
    // First duty start of each person's local date in the file.
    let mut duty_days: BTreeMap<(&str, NaiveDate), DateTime<Utc>> = BTreeMap::new();
    for e in &rows {
        duty_days
            .entry((e.staff_id.as_str(), local_date(e.shift.start())))
            .or_insert_with(|| e.shift.start());
    }
    let rest_days: BTreeSet<(&str, NaiveDate)> = entries
        .iter()
        .filter(|e| mobile_core::roster::is_rest_day(e.activity.as_deref()))
        .map(|e| (e.staff_id.as_str(), local_date(e.shift.start())))
        .filter(|day| !duty_days.contains_key(day))
        .collect();
    let mut changes: BTreeSet<(String, &'static str, DateTime<Utc>)> = BTreeSet::new();

    // Rest days of earlier uploads that now have a duty.
    #[derive(QueryableByName)]
    struct Day {
        #[diesel(sql_type = Text)]
        staff_number: String,
        #[diesel(sql_type = Date)]
        local_date: NaiveDate,
    }
    let worked: Vec<Day> = diesel::sql_query(
        "DELETE FROM rest_days d USING unnest($2::text[], $3::date[]) AS f(s, day) \
         WHERE d.force_id = $1 AND d.staff_number = f.s AND d.local_date = f.day \
         RETURNING d.staff_number, d.local_date",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(duty_days.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(duty_days.keys().map(|k| k.1).collect::<Vec<_>>())
    .load(c)?;
    for d in worked {
        let start = duty_days
            .get(&(d.staff_number.as_str(), d.local_date))
            .copied();
        if let Some(start) = start {
            changes.insert((d.staff_number, "rest_day_worked", start));
        }
    }

    // Stored duties the file's duties moved (overlapping, another start).
    #[derive(QueryableByName)]
    struct Moved {
        #[diesel(sql_type = Text)]
        staff_number: String,
        #[diesel(sql_type = Timestamptz)]
        old_start: DateTime<Utc>,
        #[diesel(sql_type = Timestamptz)]
        new_start: DateTime<Utc>,
    }
    let starts =
        |f: fn(&RosterEntry) -> DateTime<Utc>| rows.iter().map(|e| f(e)).collect::<Vec<_>>();
    let moved: Vec<Moved> = diesel::sql_query(
        "WITH f AS (SELECT * FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[]) AS f(s, b, e)) \
         DELETE FROM shifts x USING f \
         WHERE x.force_id = $1 AND x.staff_number = f.s AND x.start_at < f.e AND x.end_at > f.b \
           AND NOT EXISTS (SELECT 1 FROM f g WHERE g.s = x.staff_number AND g.b = x.start_at) \
         RETURNING x.staff_number, x.start_at AS old_start, f.b AS new_start",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(rows.iter().map(|e| e.staff_id.clone()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(starts(|e| e.shift.start()))
    .bind::<Array<Timestamptz>, _>(starts(|e| e.shift.end()))
    .load(c)?;
    for m in moved {
        if m.new_start < m.old_start {
            changes.insert((m.staff_number, "start_advanced", m.new_start));
        }
    }

    // Rest days in the file: the day's stored duties were cancelled.
    let rest_staff: Vec<&str> = rest_days.iter().map(|k| k.0).collect();
    let rest_dates: Vec<NaiveDate> = rest_days.iter().map(|k| k.1).collect();
    diesel::sql_query(
        "DELETE FROM shifts x USING unnest($2::text[], $3::date[]) AS f(s, day) \
         WHERE x.force_id = $1 AND x.staff_number = f.s AND (x.start_at AT TIME ZONE $4)::date = f.day",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(&rest_staff)
    .bind::<Array<Date>, _>(&rest_dates)
    .bind::<Text, _>(zone.name())
    .execute(c)?;
    diesel::sql_query(
        "INSERT INTO rest_days (force_id, staff_number, local_date, upload_id) \
         SELECT $1, s, day, $4 FROM unnest($2::text[], $3::date[]) AS f(s, day) \
         ON CONFLICT (force_id, staff_number, local_date) DO UPDATE SET upload_id = EXCLUDED.upload_id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(&rest_staff)
    .bind::<Array<Date>, _>(&rest_dates)
    .bind::<SqlUuid, _>(upload)
    .execute(c)?;

    diesel::sql_query(
        "INSERT INTO roster_changes (force_id, staff_number, kind, duty_start, changed_at, upload_id) \
         SELECT $1, s, k, d, $5, $6 FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS f(s, k, d) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(changes.iter().map(|c| c.0.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(changes.iter().map(|c| c.1).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(changes.iter().map(|c| c.2).collect::<Vec<_>>())
    .bind::<Timestamptz, _>(now)
    .bind::<SqlUuid, _>(upload)
    .execute(c)?;

    // One statement for all duties (unnest of column arrays).
    diesel::sql_query(
        "INSERT INTO shifts (force_id, staff_number, start_at, end_at, activity, upload_id) \
         SELECT $1, s, b, e, a, $6 FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[]) AS r(s, b, e, a) \
         ON CONFLICT (force_id, staff_number, start_at) \
         DO UPDATE SET end_at = EXCLUDED.end_at, activity = EXCLUDED.activity, upload_id = EXCLUDED.upload_id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Array<Text>, _>(rows.iter().map(|e| e.staff_id.clone()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(starts(|e| e.shift.start()))
    .bind::<Array<Timestamptz>, _>(starts(|e| e.shift.end()))
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
