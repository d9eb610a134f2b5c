//! SQL of the evaluation: the national reads `npws_person_outcomes`,
//! `npws_roster_months` and `npws_sickness` (SECURITY DEFINER, no ids;
//! migrations `2026-12-04-000400_evaluation` and
//! `2026-12-05-000100_evaluation_split`), each once for the whole window,
//! the roll-out plans NPWS sets, and a force's sickness upload. SQL only.

use analytics::evaluation::{PersonOutcomes, PersonRoster, RolloutPlan, TeamSickness};
use analytics::input::Period;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Integer, Text, Uuid as SqlUuid};
use uuid::Uuid;

#[derive(Debug, QueryableByName)]
struct OutcomeRow {
    #[diesel(sql_type = Date)]
    month_from: NaiveDate,
    #[diesel(sql_type = Text)]
    force_slug: String,
    #[diesel(sql_type = Text)]
    policing_function: String,
    #[diesel(sql_type = Text)]
    employment_type: String,
    #[diesel(sql_type = Text)]
    consent: String,
    #[diesel(sql_type = Bool)]
    active_7: bool,
    #[diesel(sql_type = Bool)]
    active_28: bool,
    #[diesel(sql_type = Integer)]
    sleep_nights: i32,
    #[diesel(sql_type = BigInt)]
    sleep_minutes: i64,
    #[diesel(sql_type = BigInt)]
    debt_minutes: i64,
    #[diesel(sql_type = Integer)]
    recovery_n: i32,
    #[diesel(sql_type = BigInt)]
    recovery_sum: i64,
    #[diesel(sql_type = Integer)]
    kss_n: i32,
    #[diesel(sql_type = BigInt)]
    kss_sum: i64,
    #[diesel(sql_type = Integer)]
    modules_completed: i32,
    #[diesel(sql_type = Integer)]
    peer_requests: i32,
}

fn count(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

impl From<OutcomeRow> for PersonOutcomes {
    fn from(r: OutcomeRow) -> Self {
        PersonOutcomes {
            force: r.force_slug,
            function: r.policing_function,
            employment_type: r.employment_type,
            consent: r.consent,
            active_7: r.active_7,
            active_28: r.active_28,
            sleep_nights: count(r.sleep_nights),
            sleep_minutes: r.sleep_minutes,
            debt_minutes: r.debt_minutes,
            recovery_n: count(r.recovery_n),
            recovery_sum: r.recovery_sum,
            kss_n: count(r.kss_n),
            kss_sum: r.kss_sum,
            modules_completed: count(r.modules_completed),
            peer_requests: count(r.peer_requests),
        }
    }
}

/// The months as the functions take them: their first and last days.
fn month_bounds(months: &[Period]) -> (Vec<NaiveDate>, Vec<NaiveDate>) {
    months.iter().map(|p| (p.from, p.to)).unzip()
}

/// Everyone enrolled by each month's end (each force's local days),
/// without ids, each with the first day of its month: one call for the
/// whole window. Call it in a platform transaction: the function refuses a
/// force scope.
///
/// # Errors
/// Database errors (including the function's refusal).
pub fn person_outcomes(
    c: &mut PgConnection,
    months: &[Period],
) -> QueryResult<Vec<(NaiveDate, PersonOutcomes)>> {
    let (from, to) = month_bounds(months);
    let rows: Vec<OutcomeRow> = diesel::sql_query("SELECT * FROM npws_person_outcomes($1, $2)")
        .bind::<Array<Date>, _>(from)
        .bind::<Array<Date>, _>(to)
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.month_from, PersonOutcomes::from(r)))
        .collect())
}

#[derive(Debug, QueryableByName)]
struct RosterRow {
    #[diesel(sql_type = Date)]
    month_from: NaiveDate,
    #[diesel(sql_type = Text)]
    force_slug: String,
    #[diesel(sql_type = Text)]
    policing_function: String,
    #[diesel(sql_type = Text)]
    employment_type: String,
    #[diesel(sql_type = Integer)]
    shifts: i32,
    #[diesel(sql_type = Integer)]
    night_shifts: i32,
    #[diesel(sql_type = Integer)]
    quick_returns: i32,
    #[diesel(sql_type = BigInt)]
    minutes_worked: i64,
}

/// Everyone with a shift in each month, without ids, each with the first
/// day of its month: one call for the whole window (platform transaction).
///
/// # Errors
/// Database errors (including the function's refusal).
pub fn roster_months(
    c: &mut PgConnection,
    months: &[Period],
) -> QueryResult<Vec<(NaiveDate, PersonRoster)>> {
    let (from, to) = month_bounds(months);
    let rows: Vec<RosterRow> = diesel::sql_query("SELECT * FROM npws_roster_months($1, $2)")
        .bind::<Array<Date>, _>(from)
        .bind::<Array<Date>, _>(to)
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.month_from,
                PersonRoster {
                    force: r.force_slug,
                    function: r.policing_function,
                    employment_type: r.employment_type,
                    shifts: count(r.shifts),
                    night_shifts: count(r.night_shifts),
                    quick_returns: count(r.quick_returns),
                    minutes_worked: r.minutes_worked,
                },
            )
        })
        .collect())
}

#[derive(Debug, QueryableByName)]
struct SicknessRow {
    #[diesel(sql_type = Text)]
    force_slug: String,
    #[diesel(sql_type = Text)]
    policing_function: String,
    #[diesel(sql_type = Date)]
    month_from: NaiveDate,
    #[diesel(sql_type = BigInt)]
    headcount: i64,
    #[diesel(sql_type = BigInt)]
    sickness_days: i64,
}

/// Sickness counts by force, function and reporting month starting in
/// `from..=to` (platform transaction).
///
/// # Errors
/// Database errors.
pub fn sickness(
    c: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, TeamSickness)>> {
    let rows: Vec<SicknessRow> = diesel::sql_query("SELECT * FROM npws_sickness($1, $2)")
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.month_from,
                TeamSickness {
                    force: r.force_slug,
                    function: r.policing_function,
                    headcount: u32::try_from(r.headcount).unwrap_or(u32::MAX),
                    sickness_days: r.sickness_days,
                },
            )
        })
        .collect())
}

#[derive(Debug, QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Integer)]
    wave: i32,
    #[diesel(sql_type = Date)]
    go_live: NaiveDate,
    #[diesel(sql_type = Integer)]
    target_enrolled: i32,
}

/// Every force's roll-out plan, by wave then force (platform transaction:
/// the `national` policy).
///
/// # Errors
/// Database errors.
pub fn rollout_plans(c: &mut PgConnection) -> QueryResult<Vec<RolloutPlan>> {
    let rows: Vec<PlanRow> = diesel::sql_query(
        "SELECT f.slug, r.wave, r.go_live, r.target_enrolled FROM rollout_plans r \
         JOIN forces f ON f.id = r.force_id ORDER BY r.wave, f.slug",
    )
    .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| RolloutPlan {
            force: r.slug,
            wave: u32::try_from(r.wave).unwrap_or(0),
            go_live: r.go_live,
            target_enrolled: u32::try_from(r.target_enrolled).unwrap_or(0),
        })
        .collect())
}

/// Sets a force's plan (platform transaction).
///
/// # Errors
/// Database errors (a check constraint for out-of-range values).
pub fn set_rollout_plan(
    c: &mut PgConnection,
    force: Uuid,
    wave: i32,
    go_live: NaiveDate,
    target: i32,
    by: Uuid,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO rollout_plans (force_id, wave, go_live, target_enrolled, updated_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (force_id) DO UPDATE SET wave = EXCLUDED.wave, \
         go_live = EXCLUDED.go_live, target_enrolled = EXCLUDED.target_enrolled, \
         updated_by = EXCLUDED.updated_by, updated_at = now()",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Integer, _>(wave)
    .bind::<Date, _>(go_live)
    .bind::<Integer, _>(target)
    .bind::<SqlUuid, _>(by)
    .execute(c)?;
    Ok(())
}

/// One validated line of a sickness upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SicknessLine {
    /// The team.
    pub team: Uuid,
    /// The reporting month's first Monday.
    pub month_from: NaiveDate,
    /// People in the team that month.
    pub headcount: i32,
    /// Short-term sickness days.
    pub sickness_days: i32,
}

/// Stores an upload's lines, replacing the same team-months (force scope).
///
/// # Errors
/// Database errors.
pub fn store_sickness(
    c: &mut PgConnection,
    force: Uuid,
    lines: &[SicknessLine],
    upload: Uuid,
    by: Uuid,
) -> QueryResult<usize> {
    let mut n = 0;
    for l in lines {
        n += diesel::sql_query(
            "INSERT INTO sickness_absence (force_id, team_id, month_from, headcount, sickness_days, upload_id, uploaded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (force_id, team_id, month_from) DO UPDATE SET \
             headcount = EXCLUDED.headcount, sickness_days = EXCLUDED.sickness_days, \
             upload_id = EXCLUDED.upload_id, uploaded_by = EXCLUDED.uploaded_by, uploaded_at = now()",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(l.team)
        .bind::<Date, _>(l.month_from)
        .bind::<Integer, _>(l.headcount)
        .bind::<Integer, _>(l.sickness_days)
        .bind::<SqlUuid, _>(upload)
        .bind::<SqlUuid, _>(by)
        .execute(c)?;
    }
    Ok(n)
}

#[derive(Debug, QueryableByName)]
struct MonthCount {
    #[diesel(sql_type = Date)]
    month_from: NaiveDate,
    #[diesel(sql_type = BigInt)]
    teams: i64,
}

/// The months a force has uploaded, newest first, with the teams in each
/// (force scope: the force's own page).
///
/// # Errors
/// Database errors.
pub fn sickness_months(c: &mut PgConnection, force: Uuid) -> QueryResult<Vec<(NaiveDate, i64)>> {
    let rows: Vec<MonthCount> = diesel::sql_query(
        "SELECT month_from, count(*) AS teams FROM sickness_absence WHERE force_id = $1 \
         GROUP BY month_from ORDER BY month_from DESC LIMIT 24",
    )
    .bind::<SqlUuid, _>(force)
    .load(c)?;
    Ok(rows.into_iter().map(|r| (r.month_from, r.teams)).collect())
}
