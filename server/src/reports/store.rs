//! FRM report schedules, report runs, and loading a force's data for the
//! `analytics` crate. SQL only.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use models::sync::SyncRecord;
use uuid::Uuid;

/// A force's stored report schedule.
#[derive(Debug, Clone, QueryableByName)]
pub struct ScheduleRow {
    /// 5-field cron expression.
    #[diesel(sql_type = Text)]
    pub cron: String,
    /// IANA zone the expression is read in.
    #[diesel(sql_type = Text)]
    pub time_zone: String,
    /// Days each report covers.
    #[diesel(sql_type = Integer)]
    pub period_days: i32,
}

/// The force's stored schedule, if it set one.
///
/// # Errors
/// Database errors.
pub fn schedule(c: &mut PgConnection, force: Uuid) -> QueryResult<Option<ScheduleRow>> {
    diesel::sql_query(
        "SELECT cron, time_zone, period_days FROM report_schedules WHERE force_id = $1",
    )
    .bind::<SqlUuid, _>(force)
    .get_result(c)
    .optional()
}

/// Stores the force's schedule.
///
/// # Errors
/// Database errors.
pub fn save_schedule(c: &mut PgConnection, force: Uuid, row: &ScheduleRow) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO report_schedules (force_id, cron, time_zone, period_days) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (force_id) DO UPDATE SET cron = EXCLUDED.cron, time_zone = EXCLUDED.time_zone, \
         period_days = EXCLUDED.period_days, updated_at = now()",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(&row.cron)
    .bind::<Text, _>(&row.time_zone)
    .bind::<Integer, _>(row.period_days)
    .execute(c)?;
    Ok(())
}

/// A recorded report run, without its figures.
#[derive(Debug, Clone, QueryableByName)]
pub struct RunSummary {
    /// Id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The scheduled slot it stands for (none for on-demand runs).
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub slot: Option<DateTime<Utc>>,
    /// Slots it stood for (more than 1: runs were missed while down).
    #[diesel(sql_type = Integer)]
    pub slots_due: i32,
    /// First day covered.
    #[diesel(sql_type = Date)]
    pub period_from: NaiveDate,
    /// Last day covered.
    #[diesel(sql_type = Date)]
    pub period_to: NaiveDate,
    /// `scheduled` or `manual`.
    #[diesel(sql_type = Text)]
    pub trigger: String,
    /// When it was made.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

const RUN_COLUMNS: &str = "id, slot, slots_due, period_from, period_to, trigger, created_at";

/// What to record.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Scheduled slot, or none for on demand.
    pub slot: Option<DateTime<Utc>>,
    /// Slots it stands for.
    pub slots_due: usize,
    /// The report.
    pub report: analytics::report::Report,
}

impl RunSummary {
    /// The force's runs, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub fn list(c: &mut PgConnection, force: Uuid, limit: i64) -> QueryResult<Vec<RunSummary>> {
        diesel::sql_query(format!(
            "SELECT {RUN_COLUMNS} FROM report_runs WHERE force_id = $1 ORDER BY created_at DESC, id LIMIT $2"
        ))
        .bind::<SqlUuid, _>(force)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load(c)
    }

    /// Records a run; returns its id.
    ///
    /// # Errors
    /// Conflict when the slot was already recorded; database errors.
    pub fn record(c: &mut PgConnection, force: Uuid, run: &NewRun) -> QueryResult<Uuid> {
        let id = Uuid::new_v4();
        let report = serde_json::to_value(&run.report)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        diesel::sql_query(
            "INSERT INTO report_runs (force_id, id, slot, slots_due, period_from, period_to, trigger, report) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(id)
        .bind::<Nullable<Timestamptz>, _>(run.slot)
        .bind::<Integer, _>(i32::try_from(run.slots_due).unwrap_or(i32::MAX))
        .bind::<Date, _>(run.report.meta.period.from)
        .bind::<Date, _>(run.report.meta.period.to)
        .bind::<Text, _>(if run.slot.is_some() { "scheduled" } else { "manual" })
        .bind::<Jsonb, _>(report)
        .execute(c)?;
        Ok(id)
    }

    /// One run's report.
    ///
    /// # Errors
    /// Not found (also for another force's run).
    pub fn report(
        c: &mut PgConnection,
        force: Uuid,
        id: Uuid,
    ) -> QueryResult<analytics::report::Report> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Jsonb)]
            report: serde_json::Value,
        }
        let row: Row =
            diesel::sql_query("SELECT report FROM report_runs WHERE force_id = $1 AND id = $2")
                .bind::<SqlUuid, _>(force)
                .bind::<SqlUuid, _>(id)
                .get_result(c)?;
        serde_json::from_value(row.report)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
    }

    /// The latest scheduled slot recorded, or when the force was created
    /// (so a new force's first run is its first slot after creation).
    ///
    /// # Errors
    /// Database errors.
    pub fn last_slot(c: &mut PgConnection, force: Uuid) -> QueryResult<DateTime<Utc>> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Timestamptz)]
            last: DateTime<Utc>,
        }
        let row: Row = diesel::sql_query(
            "SELECT coalesce((SELECT max(slot) FROM report_runs WHERE force_id = $1), \
             (SELECT created_at FROM forces WHERE id = $1)) AS last",
        )
        .bind::<SqlUuid, _>(force)
        .get_result(c)?;
        Ok(row.last)
    }
}

/// One email notice of a run, as `report_notices` keeps it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Notice {
    /// The run.
    #[diesel(sql_type = SqlUuid)]
    pub run_id: Uuid,
    /// The FRM lead's account.
    #[diesel(sql_type = SqlUuid)]
    pub account_id: Uuid,
    /// `sent` or `failed`.
    #[diesel(sql_type = Text)]
    pub outcome: String,
    /// Why it failed.
    #[diesel(sql_type = Nullable<Text>)]
    pub detail: Option<String>,
    /// When it was tried.
    #[diesel(sql_type = Timestamptz)]
    pub attempted_at: DateTime<Utc>,
}

/// Records a notice's outcome (a second attempt for the same run and
/// account replaces the first).
///
/// # Errors
/// Database errors.
pub fn record_notice(
    c: &mut PgConnection,
    force: Uuid,
    run: Uuid,
    account: Uuid,
    failure: Option<&str>,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO report_notices (force_id, run_id, account_id, outcome, detail)          VALUES ($1, $2, $3, $4, $5)          ON CONFLICT (force_id, run_id, account_id) DO UPDATE SET outcome = EXCLUDED.outcome,          detail = EXCLUDED.detail, attempted_at = now()",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(run)
    .bind::<SqlUuid, _>(account)
    .bind::<Text, _>(if failure.is_some() { "failed" } else { "sent" })
    .bind::<Nullable<Text>, _>(failure)
    .execute(c)?;
    Ok(())
}

/// The notices of the given runs.
///
/// # Errors
/// Database errors.
pub fn notices(c: &mut PgConnection, force: Uuid, runs: &[Uuid]) -> QueryResult<Vec<Notice>> {
    diesel::sql_query(
        "SELECT run_id, account_id, outcome, detail, attempted_at FROM report_notices \
         WHERE force_id = $1 AND run_id = ANY($2) ORDER BY run_id, account_id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(runs)
    .load(c)
}

/// The end of the force's published roster: its latest duty's end.
///
/// # Errors
/// Database errors.
pub fn roster_horizon(c: &mut PgConnection, force: Uuid) -> QueryResult<Option<DateTime<Utc>>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Timestamptz>)]
        last: Option<DateTime<Utc>>,
    }
    let row: Row = diesel::sql_query("SELECT max(end_at) AS last FROM shifts WHERE force_id = $1")
        .bind::<SqlUuid, _>(force)
        .get_result(c)?;
    Ok(row.last)
}

/// Takes the force's report lock for the rest of the transaction; `false`
/// when another transaction (another server instance) holds it. The key
/// space `report:` keeps it apart from any other advisory lock.
///
/// # Errors
/// Database errors.
pub fn try_lock(c: &mut PgConnection, force: Uuid) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    let row: Row = diesel::sql_query(
        "SELECT pg_try_advisory_xact_lock(hashtextextended('report:' || $1, 0)) AS locked",
    )
    .bind::<Text, _>(force.to_string())
    .get_result(c)?;
    Ok(row.locked)
}

/// A duty's `(start, end)`.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// One rostered member of staff with what the report may use.
#[derive(Debug, Clone, Default)]
pub struct StaffData {
    /// Pseudonym, when enrolled.
    pub person: Option<Uuid>,
    /// Team name and its command (the first team by name when in
    /// several), or none.
    pub team: Option<(String, String)>,
    /// Employment type as `staff_records` stores it, when the HR file gave
    /// one.
    pub employment_type: Option<String>,
    /// Shifts starting between `duties_from` and the window (the Working
    /// Time Regulations' 17-week reference period reaches further back than
    /// the engine needs to assess): times only.
    pub earlier_duties: Vec<Span>,
    /// Published duties starting after the window, up to `later_to`: times
    /// only (the make-up days of WTR reg. 4(6)).
    pub later_duties: Vec<Span>,
    /// Days absent from `duties_from` to the window's end: (local date,
    /// category as stored).
    pub absences: Vec<(NaiveDate, String)>,
    /// Roster changes with the duty from `changes_from` to the window's end:
    /// (kind as stored, duty start, when made).
    pub roster_changes: Vec<(String, DateTime<Utc>, DateTime<Utc>)>,
    /// Consented sync records (summaries and check-ins) in the window, and
    /// learning progress up to its end (shared at every consent level).
    pub records: Vec<SyncRecord>,
}

/// How far back [`load_staff`] reads each kind of data.
#[derive(Debug, Clone, Copy)]
pub struct LoadWindow {
    /// Roster changes with the duty from here (rest days worked, 12 months).
    pub changes_from: DateTime<Utc>,
    /// Shifts as times only from here (the 17-week reference period).
    pub duties_from: DateTime<Utc>,
    /// Shifts to assess and records from here.
    pub from: DateTime<Utc>,
    /// Everything up to here.
    pub to: DateTime<Utc>,
    /// Published duties after `to` up to here, times only.
    pub later_to: DateTime<Utc>,
}

/// A force's duties by staff number, each person's list in time order.
pub type DutiesByStaff = BTreeMap<String, Vec<Span>>;

/// The force's duties starting in `[from, to)`: the ones the report
/// assesses, read first and alone (through `shifts_by_start`) so the engine
/// starts on them while the rest is read ([`load_context_duties`]).
///
/// # Errors
/// Database errors.
pub fn load_window_duties(
    c: &mut PgConnection,
    force: Uuid,
    window: LoadWindow,
) -> QueryResult<DutiesByStaff> {
    let rows: Vec<ShiftRow> = diesel::sql_query(
        "SELECT staff_number, start_at, end_at FROM shifts \
         WHERE force_id = $1 AND start_at >= $2 AND start_at < $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Timestamptz, _>(window.from)
    .bind::<Timestamptz, _>(window.to)
    .load(c)?;
    let mut out = DutiesByStaff::new();
    for r in rows {
        out.entry(r.staff_number)
            .or_default()
            .push((r.start_at, r.end_at));
    }
    Ok(in_time_order(out))
}

/// The force's duties before and after the window, times only:
/// `(earlier, later)`, from `duties_from` (or `from`, when earlier) to
/// `from`, and from `to` to `later_to` (the 17-week reference period
/// reaches further back than the engine needs to assess; the make-up days
/// of WTR reg. 4(6) come after it).
///
/// # Errors
/// Database errors.
pub fn load_context_duties(
    c: &mut PgConnection,
    force: Uuid,
    window: LoadWindow,
) -> QueryResult<(DutiesByStaff, DutiesByStaff)> {
    let LoadWindow {
        duties_from,
        from,
        to,
        later_to,
        ..
    } = window;
    let rows: Vec<ShiftRow> = diesel::sql_query(
        "SELECT staff_number, start_at, end_at FROM shifts \
         WHERE force_id = $1 AND ((start_at >= $2 AND start_at < $3) OR (start_at >= $4 AND start_at < $5))",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Timestamptz, _>(duties_from.min(from))
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Timestamptz, _>(later_to.max(to))
    .load(c)?;
    let (mut earlier, mut later) = (DutiesByStaff::new(), DutiesByStaff::new());
    for r in rows {
        let map = if r.start_at < from {
            &mut earlier
        } else {
            &mut later
        };
        map.entry(r.staff_number)
            .or_default()
            .push((r.start_at, r.end_at));
    }
    Ok((in_time_order(earlier), in_time_order(later)))
}

/// A row of a duties read. Reads run without `ORDER BY`: a large force's
/// quarter of `shifts` sorted on disk in the database cost more than
/// sorting each person's few hundred duties here ([`in_time_order`],
/// `docs/scaling.md`).
#[derive(QueryableByName)]
struct ShiftRow {
    #[diesel(sql_type = Text)]
    staff_number: String,
    #[diesel(sql_type = Timestamptz)]
    start_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    end_at: DateTime<Utc>,
}

/// Each person's duties sorted by start: the order the database's
/// `ORDER BY start_at` would give (a person's duty starts are unique,
/// `shifts`' key). On this thread, not rayon's pool: the reads run beside
/// the report's assessment, which holds the pool, and waiting for it put
/// the rest of the reads after the engine ([`load_staff`]).
fn in_time_order(mut duties: DutiesByStaff) -> DutiesByStaff {
    for list in duties.values_mut() {
        list.sort_unstable();
    }
    duties
}

/// Everyone in the force with a shift in `in_window` (the report's window,
/// [`load_window_duties`]) or a consented record between `from` and `to`
/// (the window's dates; any learning progress dated up to `to`), by staff
/// number, with their duties before and after the window (taken from
/// `earlier` and `later`, [`load_context_duties`]), their roster changes from
/// `changes_from` and absences from `duties_from`.
///
/// # Errors
/// Database errors.
pub fn load_staff(
    c: &mut PgConnection,
    force: Uuid,
    window: LoadWindow,
    in_window: &DutiesByStaff,
    mut earlier: DutiesByStaff,
    mut later: DutiesByStaff,
) -> QueryResult<BTreeMap<String, StaffData>> {
    let LoadWindow {
        changes_from,
        duties_from,
        from,
        to,
        ..
    } = window;
    #[derive(QueryableByName)]
    struct TeamRow {
        #[diesel(sql_type = Text)]
        staff_number: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        command: String,
    }
    #[derive(QueryableByName)]
    struct LinkRow {
        #[diesel(sql_type = Text)]
        staff_number: String,
        #[diesel(sql_type = SqlUuid)]
        person_id: Uuid,
    }
    #[derive(QueryableByName)]
    struct RecordRow {
        #[diesel(sql_type = Text)]
        staff_number: String,
        /// The payload as JSON text, parsed straight into a record below.
        #[diesel(sql_type = Text)]
        payload: String,
        #[diesel(sql_type = Date)]
        local_date: NaiveDate,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Text)]
        discriminator: String,
    }
    let mut out: BTreeMap<String, StaffData> = in_window
        .keys()
        .map(|staff| (staff.clone(), StaffData::default()))
        .collect();
    // Consent is re-checked here: a summary synced before a withdrawal of
    // sleep consent is not used. Two branches, not one OR: the window's
    // dates then prune `sync_records` to the window's monthly partitions,
    // and only learning progress (kept from any date) reads the others.
    // No `ORDER BY`: each person's records are sorted below by the same
    // key, unique within a force, in bytes as the cluster's C collation
    // orders it (a million rows sorted on disk in the database cost more).
    let records: Vec<RecordRow> = diesel::sql_query(
        "SELECT l.staff_number, r.payload::text AS payload, r.local_date, r.kind, r.discriminator FROM sync_records r \
         JOIN persons p ON p.force_id = r.force_id AND p.id = r.person_id \
         JOIN staff_links l ON l.force_id = r.force_id AND l.person_id = r.person_id \
         WHERE r.force_id = $1 AND r.local_date BETWEEN $2 AND $3 AND p.consent <> 'roster_only' \
           AND (r.kind = 'daily_summary' OR (r.kind = 'check_in' AND p.consent = 'sleep_and_check_ins')) \
         UNION ALL \
         SELECT l.staff_number, r.payload::text AS payload, r.local_date, r.kind, r.discriminator FROM sync_records r \
         JOIN staff_links l ON l.force_id = r.force_id AND l.person_id = r.person_id \
         JOIN persons p ON p.force_id = r.force_id AND p.id = r.person_id \
         WHERE r.force_id = $1 AND r.kind = 'learning_progress' AND r.local_date <= $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Date, _>(from.date_naive())
    .bind::<Date, _>(to.date_naive())
    .load(c)?;
    // Parsed on this thread, not rayon's pool: this runs beside the
    // report's assessment, which holds the pool, and waiting for it put
    // the parse and every read after it behind the engine (2.7 s of a
    // 21 s report, docs/scaling.md); beside it, it costs no time.
    type Key = (NaiveDate, String, String);
    let parsed: Vec<(String, Key, SyncRecord)> = records
        .into_iter()
        .filter_map(|r| {
            serde_json::from_str::<SyncRecord>(&r.payload)
                .ok()
                .map(|rec| (r.staff_number, (r.local_date, r.kind, r.discriminator), rec))
        })
        .collect();
    let mut by_staff: BTreeMap<String, Vec<(Key, SyncRecord)>> = BTreeMap::new();
    for (staff, key, rec) in parsed {
        by_staff.entry(staff).or_default().push((key, rec));
    }
    for list in by_staff.values_mut() {
        list.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    }
    for (staff, list) in by_staff {
        out.entry(staff).or_default().records = list.into_iter().map(|(_, rec)| rec).collect();
    }
    let links: Vec<LinkRow> =
        diesel::sql_query("SELECT staff_number, person_id FROM staff_links WHERE force_id = $1")
            .bind::<SqlUuid, _>(force)
            .load(c)?;
    for l in links {
        if let Some(d) = out.get_mut(&l.staff_number) {
            d.person = Some(l.person_id);
        }
    }
    let teams: Vec<TeamRow> = diesel::sql_query(
        "SELECT m.staff_number, t.name, t.command FROM team_members m JOIN teams t ON t.force_id = m.force_id AND t.id = m.team_id \
         WHERE m.force_id = $1 ORDER BY m.staff_number, t.name",
    )
    .bind::<SqlUuid, _>(force)
    .load(c)?;
    for t in teams {
        if let Some(d) = out.get_mut(&t.staff_number)
            && d.team.is_none()
        {
            d.team = Some((t.name, t.command));
        }
    }
    #[derive(QueryableByName)]
    struct EmploymentRow {
        #[diesel(sql_type = Text)]
        staff_number: String,
        #[diesel(sql_type = Text)]
        employment_type: String,
    }
    let employment: Vec<EmploymentRow> = diesel::sql_query(
        "SELECT staff_number, employment_type FROM staff_records WHERE force_id = $1",
    )
    .bind::<SqlUuid, _>(force)
    .load(c)?;
    for e in employment {
        if let Some(d) = out.get_mut(&e.staff_number) {
            d.employment_type = Some(e.employment_type);
        }
    }
    // Only for people in the window: duties alone do not add anyone.
    for (staff, d) in &mut out {
        d.earlier_duties = earlier.remove(staff).unwrap_or_default();
        d.later_duties = later.remove(staff).unwrap_or_default();
    }
    #[derive(QueryableByName)]
    struct AbsenceRow {
        #[diesel(sql_type = Text)]
        staff_number: String,
        #[diesel(sql_type = Date)]
        local_date: NaiveDate,
        #[diesel(sql_type = Text)]
        category: String,
    }
    let absences: Vec<AbsenceRow> = diesel::sql_query(
        "SELECT staff_number, local_date, category FROM absence_days \
         WHERE force_id = $1 AND local_date >= $2 AND local_date <= $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Date, _>(duties_from.min(from).date_naive())
    .bind::<Date, _>(to.date_naive())
    .load(c)?;
    for a in absences {
        if let Some(d) = out.get_mut(&a.staff_number) {
            d.absences.push((a.local_date, a.category));
        }
    }
    #[derive(QueryableByName)]
    struct ChangeRow {
        #[diesel(sql_type = Text)]
        staff_number: String,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Timestamptz)]
        duty_start: DateTime<Utc>,
        #[diesel(sql_type = Timestamptz)]
        changed_at: DateTime<Utc>,
    }
    let changes: Vec<ChangeRow> = diesel::sql_query(
        "SELECT staff_number, kind, duty_start, changed_at FROM roster_changes \
         WHERE force_id = $1 AND duty_start >= $2 AND duty_start < $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Timestamptz, _>(changes_from)
    .bind::<Timestamptz, _>(to)
    .load(c)?;
    for ch in changes {
        if let Some(d) = out.get_mut(&ch.staff_number) {
            d.roster_changes
                .push((ch.kind, ch.duty_start, ch.changed_at));
        }
    }
    Ok(out)
}
