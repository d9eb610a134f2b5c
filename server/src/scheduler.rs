//! Scheduled FRM reports: building a force's report from PostgreSQL, and the
//! in-server scheduler that runs each force's due report exactly once.
//!
//! Every minute (tokio-cron-scheduler, and once at start so a run missed
//! while the server was down happens straight away) [`run_due`] visits each
//! force. Per force, in one transaction: take the force's PostgreSQL
//! advisory lock (`pg_try_advisory_xact_lock`; an instance that cannot take
//! it skips the force this tick), read the last recorded slot, ask
//! `analytics::schedule` what is due at `now`, and if something is, build
//! the report and record the run before committing. Because the lock is
//! held until the run's row commits, and the last slot is read after taking
//! it, two instances never both run a slot; the unique index on
//! `(force_id, slot)` is a second wall. A run missed while down is one run
//! for the latest missed slot (`slots_due` says how many it stood for).
//!
//! "Now" is a parameter so tests drive the clock.

use chrono::{DateTime, Duration, Utc};
use diesel::{Connection, PgConnection};
use mobile_core::LocalClock;
use mobile_core::roster::assess::{AssessmentParams, assess_roster};
use uuid::Uuid;

use analytics::input::{
    Duty, Period, Person, PersonRecords, RosterChange, RosterChangeKind, ShiftRecord,
};
use analytics::report::{
    PeerSupportFigures, Report, ReportRequest, SupervisorTrainingFigures, build_report,
};
use models::sync::SyncRecord;

use crate::db::DbPool;
use crate::db::accounts::Force;
use crate::db::reports::{self, NewRun, ReportSchedule, RunSummary};
use crate::error::{AppError, AppResult};

/// Previous periods each report's trend shows.
pub const TREND_PERIODS: u32 = 4;
/// Rows for rostered staff in no team, under their own command row.
pub const NO_TEAM: &str = "No team";

/// Builds a force's report for a period from the database. The same data
/// gives the same figures (analytics sorts its input and reads no clock).
///
/// # Errors
/// Not found for an unknown force; `invalid_period`; database errors.
pub fn build_force_report(c: &mut PgConnection, force: Uuid, period: Period) -> AppResult<Report> {
    let f = Force::by_id(c, force)?;
    let zone = analytics::input::parse_zone(&f.time_zone).map_err(AppError::internal)?;
    let mut earliest = period;
    for _ in 0..TREND_PERIODS {
        earliest = earliest.previous();
    }
    let (from, _) = earliest.instants(zone);
    let (_, to) = period.instants(zone);
    let lookback = Duration::days(analytics::indicators::LOOKBACK_DAYS);
    // The 17-week reference period of the earliest period's Working Time
    // figures; shifts before the look-back are loaded as times only.
    let reference_from = analytics::input::local_instant(
        zone,
        earliest.to + Duration::days(1) - Duration::weeks(analytics::indicators::REFERENCE_WEEKS),
        0,
    );
    let changes_from = analytics::input::local_instant(
        zone,
        earliest.to + Duration::days(1)
            - Duration::days(analytics::indicators::REST_DAYS_WINDOW_DAYS),
        0,
    );
    let window = reports::LoadWindow {
        changes_from,
        duties_from: reference_from,
        from: from - lookback,
        to,
    };
    let staff = reports::load_staff(c, force, window)?;
    let clock = LocalClock::from_name(&f.time_zone).map_err(AppError::internal)?;
    let params = AssessmentParams::default();
    let mut people = Vec::with_capacity(staff.len());
    for (number, data) in staff {
        let shifts: Vec<models::Shift> = data
            .shifts
            .iter()
            .filter_map(|(s, e)| models::Shift::new(*s, *e).ok())
            .collect();
        let assessed = if shifts.is_empty() {
            Vec::new()
        } else {
            assess_roster(&shifts, &[], None, &clock, &params)
                .map_err(|e| AppError::invalid("assessment_failed", e.to_string()))?
                .shifts
        };
        let mut summaries = Vec::new();
        let mut checkins = Vec::new();
        let mut learning = Vec::new();
        for r in data.records {
            match r {
                SyncRecord::DailySummary(s) => summaries.push(s),
                SyncRecord::CheckIn(c) => checkins.push(c),
                SyncRecord::LearningProgress(l) => learning.push(l),
            }
        }
        let (team, command) = data
            .team
            .unwrap_or_else(|| (NO_TEAM.to_owned(), NO_TEAM.to_owned()));
        people.push(PersonRecords {
            person: Person {
                id: pseudonym(force, &number, data.person),
                force: f.slug.clone(),
                command,
                team,
                role: "unspecified".to_owned(),
            },
            shifts: assessed.iter().map(ShiftRecord::from).collect(),
            summaries,
            checkins,
            learning,
            reference_duties: data
                .earlier_duties
                .iter()
                .map(|&(start, end)| Duty { start, end })
                .collect(),
            roster_changes: data
                .roster_changes
                .iter()
                .filter_map(|(kind, duty_start, changed_at)| {
                    let kind = match kind.as_str() {
                        "rest_day_worked" => RosterChangeKind::RestDayWorked,
                        "start_advanced" => RosterChangeKind::StartAdvanced,
                        _ => return None,
                    };
                    Some(RosterChange {
                        kind,
                        duty_start: *duty_start,
                        changed_at: *changed_at,
                    })
                })
                .collect(),
        });
    }
    let request = ReportRequest {
        force: f.name,
        zone: f.time_zone,
        period,
        trend_periods: TREND_PERIODS,
    };
    let mut report = build_report(&request, people)
        .map_err(|e| AppError::invalid("report_failed", e.to_string()))?;
    let support = crate::db::peer_support::report(c, force, period.from, period.to)?;
    report.peer_support = Some(PeerSupportFigures::new(
        support.requests,
        support.acknowledged,
        support.contacted,
        support.median_response_minutes,
    ));
    let modules: Vec<String> = crate::db::learning::supervisor_course()?
        .modules
        .iter()
        .map(|m| m.id.clone())
        .collect();
    let training = crate::db::learning::training_counts(c, force, to, &modules)?;
    let rule = crate::db::peer_support::small_number_rule;
    report.supervisor_training = Some(SupervisorTrainingFigures::new(
        rule(training.accounts),
        rule(training.completed_some),
        rule(training.completed_all),
    ));
    Ok(report)
}

/// The id analytics sees: the enrolled pseudonym, or for someone only on
/// the roster a hash of force and staff number (never the number itself).
fn pseudonym(force: Uuid, staff: &str, person: Option<Uuid>) -> String {
    match person {
        Some(p) => p.to_string(),
        None => format!(
            "r-{}",
            &crate::auth::secret_hash(&format!("{force}:{staff}"))[..16]
        ),
    }
}

/// The period a scheduled run covers: the `period_days` whole local days
/// before the slot's local date.
///
/// # Errors
/// `invalid_schedule` for a bad zone.
pub fn period_for_slot(schedule: &ReportSchedule, slot: DateTime<Utc>) -> AppResult<Period> {
    let zone = analytics::input::parse_zone(&schedule.time_zone)
        .map_err(|e| AppError::invalid("invalid_schedule", e.to_string()))?;
    let to = slot.with_timezone(&zone).date_naive() - Duration::days(1);
    let from = to - Duration::days(i64::from(schedule.period_days.max(1)) - 1);
    Period::new(from, to).map_err(|e| AppError::invalid("invalid_period", e.to_string()))
}

/// Runs `f` in a transaction scoped to `force` (RLS), on a connection the
/// caller holds: the synchronous twin of [`crate::db::with_force`] for the
/// scheduler's thread and the `report` command.
///
/// # Errors
/// Whatever `f` returns.
pub fn in_force<T>(
    c: &mut PgConnection,
    force: Uuid,
    f: impl FnOnce(&mut PgConnection) -> AppResult<T>,
) -> AppResult<T> {
    c.transaction(|c| {
        crate::db::set_force(c, force)?;
        f(c)
    })
}

/// What one force's visit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visit {
    /// Another instance holds the force's lock.
    Locked,
    /// Nothing due.
    NotDue,
    /// A run was recorded.
    Ran {
        /// Its id.
        run: Uuid,
        /// The slot.
        slot: DateTime<Utc>,
        /// Slots it stood for.
        slots_due: usize,
    },
}

/// Visits one force at `now`: runs its report if due (see the module doc).
///
/// # Errors
/// Database errors; an invalid stored schedule.
pub fn visit_force(c: &mut PgConnection, force: Uuid, now: DateTime<Utc>) -> AppResult<Visit> {
    in_force(c, force, |c| {
        if !reports::try_lock(c, force)? {
            return Ok(Visit::Locked);
        }
        let schedule = ReportSchedule::of(c, force)?;
        let last = RunSummary::last_slot(c, force)?;
        let Some(due) = schedule.validate()?.due(last, now) else {
            return Ok(Visit::NotDue);
        };
        let report = build_force_report(c, force, period_for_slot(&schedule, due.slot)?)?;
        let run = RunSummary::record(
            c,
            force,
            &NewRun {
                slot: Some(due.slot),
                slots_due: due.slots_due,
                report,
            },
        )?;
        Ok(Visit::Ran {
            run,
            slot: due.slot,
            slots_due: due.slots_due,
        })
    })
}

/// Visits every force at `now`. A force that fails is logged and skipped so
/// one bad schedule does not stop the others.
///
/// # Errors
/// When no connection can be had or the forces cannot be listed.
pub fn run_due(pool: &DbPool, now: DateTime<Utc>) -> AppResult<Vec<(Uuid, Visit)>> {
    let mut conn = pool.get()?;
    let forces = reports::force_ids(&mut conn)?;
    let mut out = Vec::with_capacity(forces.len());
    for force in forces {
        match visit_force(&mut conn, force, now) {
            Ok(v) => {
                if let Visit::Ran {
                    slot, slots_due, ..
                } = &v
                {
                    tracing::info!(%force, %slot, slots_due, "scheduled report recorded");
                }
                out.push((force, v));
            }
            Err(e) => tracing::warn!(%force, error = %e, "scheduled report failed"),
        }
    }
    Ok(out)
}

/// Starts the scheduler on the current tokio runtime: a tick now (catching
/// up on runs missed while down) and then at the start of every minute.
/// Each tick does its database work on the blocking pool.
///
/// # Errors
/// When tokio-cron-scheduler cannot start.
pub async fn start(
    pool: DbPool,
) -> Result<tokio_cron_scheduler::JobScheduler, tokio_cron_scheduler::JobSchedulerError> {
    tick(pool.clone());
    let scheduler = tokio_cron_scheduler::JobScheduler::new().await?;
    let job = tokio_cron_scheduler::Job::new("0 * * * * *", move |_id, _sched| tick(pool.clone()))?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    Ok(scheduler)
}

fn tick(pool: DbPool) {
    drop(tokio::task::spawn_blocking(move || {
        if let Err(e) = run_due(&pool, Utc::now()) {
            tracing::warn!(error = %e, "report scheduler tick failed");
        }
    }));
}
