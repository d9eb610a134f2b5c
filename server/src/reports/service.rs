//! FRM report rules: who may see and schedule a force's reports, building
//! a report from the database (the engine's assessment of every rostered
//! person, their synced records, peer-support and training figures),
//! rendering it, and a force's scheduled run when one is due.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::PgConnection;
use mobile_core::LocalClock;
use mobile_core::roster::assess::{AssessmentParams, assess_roster};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use analytics::input::{
    Duty, Period, Person, PersonRecords, RosterChange, RosterChangeKind, ShiftRecord,
};
use analytics::report::{
    PeerSupportFigures, PublishedDraftFigures, Report, ReportRequest, SupervisorTrainingFigures,
    build_report,
};
use models::sync::SyncRecord;

use super::store::{self as reports, NewRun, RunSummary, ScheduleRow};
use crate::accounts::store::Force;
use crate::app::AppState;
use crate::audit;
use crate::auth::{Identity, Role};
use crate::db::{self, Scope};
use crate::error::{AppError, AppResult};
use crate::rosters::service::{REST_DAY_WORKED, START_ADVANCED};

/// Runs the report list shows.
pub const RUNS_LISTED: i64 = 200;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One self-contained HTML page with SVG charts (prints cleanly to PDF).
    Html,
    /// Long-format CSV of every published cell.
    Csv,
    /// The report's figures as JSON.
    Json,
}

impl Format {
    /// The format a name (`html`, `csv`, `json`) stands for.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "html" => Some(Format::Html),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// Its file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    /// Its media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

/// Renders a report in a format.
///
/// # Errors
/// Rendering failures (not expected).
pub fn render(report: &Report, format: Format) -> Result<String, analytics::AnalyticsError> {
    match format {
        Format::Html => analytics::render::render_html(report),
        Format::Csv => analytics::render::render_csv(report),
        Format::Json => analytics::render::render_json(report),
    }
}

/// A force's report schedule (the default when the force never set one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportSchedule {
    /// 5-field cron expression (minute hour day month weekday).
    pub cron: String,
    /// IANA zone the expression is read in.
    pub time_zone: String,
    /// Days each report covers: the whole local days before the run.
    pub period_days: i32,
}

impl Default for ReportSchedule {
    fn default() -> Self {
        ReportSchedule {
            cron: analytics::schedule::DEFAULT_CRON.to_owned(),
            time_zone: analytics::schedule::DEFAULT_ZONE.to_owned(),
            period_days: 7,
        }
    }
}

impl From<ScheduleRow> for ReportSchedule {
    fn from(r: ScheduleRow) -> Self {
        Self {
            cron: r.cron,
            time_zone: r.time_zone,
            period_days: r.period_days,
        }
    }
}

impl ReportSchedule {
    /// Checks the expression, zone and period.
    ///
    /// # Errors
    /// [`AppError::Invalid`] with code `invalid_schedule`.
    pub fn validate(&self) -> AppResult<analytics::schedule::Schedule> {
        if !(7..=91).contains(&self.period_days) || self.period_days % 7 != 0 {
            return Err(AppError::invalid(
                "invalid_schedule",
                "period_days: whole ISO weeks, 7 to 91 (each run covers the weeks to the Sunday before it)",
            ));
        }
        analytics::schedule::Schedule::new(&self.cron, &self.time_zone)
            .map_err(|e| AppError::invalid("invalid_schedule", e.to_string()))
    }

    /// The force's schedule, or the default.
    ///
    /// # Errors
    /// Database errors.
    pub fn of(c: &mut PgConnection, force: Uuid) -> AppResult<ReportSchedule> {
        Ok(reports::schedule(c, force)?
            .map(ReportSchedule::from)
            .unwrap_or_default())
    }

    /// Stores the force's schedule, validated first.
    ///
    /// # Errors
    /// `invalid_schedule`, database errors.
    pub fn save(&self, c: &mut PgConnection, force: Uuid) -> AppResult<()> {
        self.validate()?;
        let row = ScheduleRow {
            cron: self.cron.clone(),
            time_zone: self.time_zone.clone(),
            period_days: self.period_days,
        };
        Ok(reports::save_schedule(c, force, &row)?)
    }
}

/// The FRM lead's force.
///
/// # Errors
/// Forbidden for every other role.
pub fn frm_force(who: &Identity) -> AppResult<Uuid> {
    who.require(&[Role::FrmLead])?;
    who.force()
}

/// The force's report schedule (FRM lead).
///
/// # Errors
/// Forbidden; database errors.
pub async fn schedule(state: &AppState, who: &Identity) -> AppResult<ReportSchedule> {
    let force = frm_force(who)?;
    db::with_force(&state.pool, force, move |c| ReportSchedule::of(c, force)).await
}

/// Stores the force's schedule, audited (the API's and the dashboard's).
///
/// # Errors
/// Forbidden but for FRM leads; `invalid_schedule`; database errors.
pub async fn save_schedule(
    state: &AppState,
    who: &Identity,
    schedule: ReportSchedule,
) -> AppResult<()> {
    let force = frm_force(who)?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        schedule.save(c, force)?;
        Ok(audit::record(
            c,
            Some(force),
            &who,
            "set_report_schedule",
            "force",
        )?)
    })
    .await
}

/// The force's report runs, newest first (FRM lead).
///
/// # Errors
/// Forbidden; database errors.
pub async fn runs(state: &AppState, who: &Identity, limit: i64) -> AppResult<Vec<RunSummary>> {
    let force = frm_force(who)?;
    db::with_force(&state.pool, force, move |c| {
        Ok(RunSummary::list(c, force, limit)?)
    })
    .await
}

/// The reports page's data (FRM lead).
#[derive(Debug)]
pub struct Overview {
    /// The force's schedule.
    pub schedule: ReportSchedule,
    /// The latest runs, newest first.
    pub runs: Vec<RunSummary>,
    /// The email notices of those runs.
    pub notices: Vec<reports::Notice>,
    /// The newest run's report.
    pub latest: Option<Report>,
}

/// The reports page's data: the schedule, the latest runs with their email
/// notices, and the newest run's report (FRM lead).
///
/// # Errors
/// Forbidden; database errors.
pub async fn overview(state: &AppState, who: &Identity, limit: i64) -> AppResult<Overview> {
    let force = frm_force(who)?;
    db::with_force(&state.pool, force, move |c| {
        let runs = RunSummary::list(c, force, limit)?;
        let latest = match runs.first() {
            Some(r) => Some(RunSummary::report(c, force, r.id)?),
            None => None,
        };
        let ids: Vec<Uuid> = runs.iter().map(|r| r.id).collect();
        Ok(Overview {
            schedule: ReportSchedule::of(c, force)?,
            notices: reports::notices(c, force, &ids)?,
            runs,
            latest,
        })
    })
    .await
}

/// One recorded report (FRM lead).
///
/// # Errors
/// Forbidden; not found (also another force's run); database errors.
pub async fn recorded(state: &AppState, who: &Identity, run: Uuid) -> AppResult<Report> {
    let force = frm_force(who)?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        let report = RunSummary::report(c, force, run)?;
        audit::record(
            c,
            Some(force),
            &who,
            "read_report",
            &format!("report:{run}"),
        )?;
        Ok(report)
    })
    .await
}

/// Builds and records an on-demand report (the API's and the dashboard's).
///
/// # Errors
/// Forbidden but for FRM leads; `invalid_period`; database errors.
pub async fn make_report(
    state: &AppState,
    who: &Identity,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Uuid> {
    let force = frm_force(who)?;
    let period =
        Period::new(from, to).map_err(|e| AppError::invalid("invalid_period", e.to_string()))?;
    if !period.is_grid_unit() {
        return Err(AppError::invalid(
            "invalid_period",
            "a report covers one ISO week (Monday to Sunday) or one reporting month (the ISO weeks whose Thursday is in the month), so no two reports differ by a few days",
        ));
    }
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        let report = build_force_report(c, force, period)?;
        let id = RunSummary::record(
            c,
            force,
            &NewRun {
                slot: None,
                slots_due: 1,
                report,
            },
        )?;
        audit::record(
            c,
            Some(force),
            &who,
            "generate_report",
            &format!("report:{id}"),
        )?;
        Ok(id)
    })
    .await
}

/// Builds a force's report for a period on a connection the caller holds,
/// in its own force-scoped transaction (the `report` command).
///
/// # Errors
/// As [`build_force_report`].
pub fn report_now(c: &mut PgConnection, force: Uuid, period: Period) -> AppResult<Report> {
    db::transaction(c, Scope::Force(force), |c| {
        build_force_report(c, force, period)
    })
}

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
    crate::db::without_jit(c)?;
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
    // The make-up days of reg. 4(6) come after the period: at most as many
    // worked days as the 17 weeks hold, so the next 17 weeks of duties (or
    // less, where the published roster ends sooner) are enough.
    let window = reports::LoadWindow {
        changes_from,
        duties_from: reference_from,
        from: from - lookback,
        to,
        later_to: to + Duration::weeks(analytics::indicators::REFERENCE_WEEKS),
    };
    // Each stage's time is logged: a large force's report is the first
    // thing one PostgreSQL and its server run out of (docs/scaling.md).
    let started = std::time::Instant::now();
    let limits = crate::settings::service::limits_of(c, force)?;
    let roster_horizon = reports::roster_horizon(c, force)?;
    let to_assess = reports::load_window_duties(c, force, window)?;
    let duties_read = started.elapsed();
    let clock = LocalClock::from_name(&f.time_zone).map_err(AppError::internal)?;
    let params = AssessmentParams {
        limits,
        ..AssessmentParams::default()
    };
    // Each person's roster is assessed on its own (the engine over weeks of
    // shifts: most of a large force's report time, docs/scaling.md), so
    // people are assessed in parallel on rayon's pool, one thread per core,
    // and while this thread reads the rest of the force's data (the duties
    // before and after the window, the records): the database's backend
    // works beside the assessment instead of before it. Only the window's
    // duties are read first (through `shifts_by_start`, under a second for
    // the largest force), so the engine starts early. One connection, one
    // transaction, as before (READ COMMITTED: each read sees what was
    // committed when it began).
    let (assessed, staff) = std::thread::scope(|scope| {
        let assessing = scope.spawn(|| {
            let assessed = assess_all(&to_assess, &clock, &params);
            (assessed, started.elapsed())
        });
        let staff = reports::load_context_duties(c, force, window).and_then(|(earlier, later)| {
            reports::load_staff(c, force, window, &to_assess, earlier, later)
        });
        let staff_read = started.elapsed();
        let (assessed, assessed_at) = assessing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let ms = |d: std::time::Duration| (d - duties_read).as_millis();
        tracing::info!(
            %force,
            duties_ms = duties_read.as_millis(),
            assess_ms = ms(assessed_at),
            rest_read_ms = ms(staff_read),
            "report stages beside each other"
        );
        (assessed, staff)
    });
    let (mut assessed, staff) = (assessed?, staff?);
    let loaded = started.elapsed();
    let slug = f.slug.clone();
    let people = staff
        .into_iter()
        .map(|(number, data)| {
            let shifts = assessed.remove(&number).unwrap_or_default();
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
            PersonRecords {
                person: Person {
                    id: pseudonym(force, &number, data.person),
                    force: slug.clone(),
                    command,
                    team,
                    role: "unspecified".to_owned(),
                    employment_type: data
                        .employment_type
                        .as_deref()
                        .and_then(models::staff::EmploymentType::parse),
                },
                shifts,
                summaries,
                checkins,
                learning,
                reference_duties: data
                    .earlier_duties
                    .iter()
                    .chain(&data.later_duties)
                    .map(|&(start, end)| Duty { start, end })
                    .collect(),
                absences: data
                    .absences
                    .iter()
                    .filter_map(|(date, category)| {
                        mobile_core::roster::AbsenceCategory::parse(category).map(|c| (*date, c))
                    })
                    .collect(),
                roster_changes: data
                    .roster_changes
                    .iter()
                    .filter_map(|(kind, duty_start, changed_at)| {
                        let kind = match kind.as_str() {
                            REST_DAY_WORKED => RosterChangeKind::RestDayWorked,
                            START_ADVANCED => RosterChangeKind::StartAdvanced,
                            _ => return None,
                        };
                        Some(RosterChange {
                            kind,
                            duty_start: *duty_start,
                            changed_at: *changed_at,
                        })
                    })
                    .collect(),
            }
        })
        .collect::<Vec<_>>();
    let request = ReportRequest {
        force: f.name,
        zone: f.time_zone,
        period,
        trend_periods: TREND_PERIODS,
        limits,
        roster_horizon,
    };
    let people_count = people.len();
    let mut report = build_report(&request, people)
        .map_err(|e| AppError::invalid("report_failed", e.to_string()))?;
    let built = started.elapsed();
    let support = crate::peer_support::service::report_figures(c, force, period.from, period.to)?;
    report.peer_support = Some(PeerSupportFigures::new(
        support.requests,
        support.acknowledged,
        support.contacted,
        support.median_response_minutes,
    ));
    let training = crate::learning::service::training_counts(c, force, to)?;
    let rule = crate::peer_support::service::small_number_rule;
    report.supervisor_training = Some(SupervisorTrainingFigures::new(
        rule(training.accounts),
        rule(training.completed_some),
        rule(training.completed_all),
    ));
    let (published, over_red) =
        crate::rosters::service::published_draft_counts(c, force, &period, zone)?;
    report.published_drafts = Some(PublishedDraftFigures::new(published, over_red));
    let ms = |d: std::time::Duration| d.as_millis();
    tracing::info!(
        %force,
        people = people_count,
        load_and_assess_ms = ms(loaded),
        build_ms = ms(built - loaded),
        force_figures_ms = ms(started.elapsed() - built),
        "report built"
    );
    Ok(report)
}

/// Every person's shifts in the report's window through the engine, in
/// parallel, by staff number. A duty the engine cannot take as a shift
/// (`models::Shift::new` refuses it) is left out, as the report's input
/// cleaning would reject it.
fn assess_all(
    window: &std::collections::BTreeMap<String, Vec<reports::Span>>,
    clock: &LocalClock,
    params: &AssessmentParams,
) -> AppResult<std::collections::BTreeMap<String, Vec<ShiftRecord>>> {
    window
        .par_iter()
        .map(|(number, spans)| {
            let shifts: Vec<models::Shift> = spans
                .iter()
                .filter_map(|(s, e)| models::Shift::new(*s, *e).ok())
                .collect();
            let assessed = if shifts.is_empty() {
                Vec::new()
            } else {
                assess_roster(&shifts, &[], &[], clock, params)
                    .map_err(|e| AppError::invalid("assessment_failed", e.to_string()))?
                    .shifts
            };
            Ok((
                number.clone(),
                assessed.iter().map(ShiftRecord::from).collect(),
            ))
        })
        .collect()
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

/// The period a scheduled run covers: the `period_days / 7` whole ISO
/// weeks ending on the last Sunday before the slot's local date, so every
/// scheduled report is on the calendar grid whatever the cron says.
///
/// # Errors
/// `invalid_schedule` for a bad zone.
pub fn period_for_slot(schedule: &ReportSchedule, slot: DateTime<Utc>) -> AppResult<Period> {
    let zone = analytics::input::parse_zone(&schedule.time_zone)
        .map_err(|e| AppError::invalid("invalid_schedule", e.to_string()))?;
    let weeks = u32::try_from(schedule.period_days / 7).unwrap_or(1);
    Ok(Period::iso_weeks_before(
        slot.with_timezone(&zone).date_naive(),
        weeks,
    ))
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
        /// The days it covers.
        period: Period,
    },
}

/// Visits one force at `now` in its own force-scoped transaction: runs its
/// report if due (see [`super::scheduler`]).
///
/// # Errors
/// Database errors; an invalid stored schedule.
pub fn visit_force(c: &mut PgConnection, force: Uuid, now: DateTime<Utc>) -> AppResult<Visit> {
    db::transaction(c, Scope::Force(force), |c| {
        if !reports::try_lock(c, force)? {
            return Ok(Visit::Locked);
        }
        let schedule = ReportSchedule::of(c, force)?;
        let last = RunSummary::last_slot(c, force)?;
        let Some(due) = schedule.validate()?.due(last, now) else {
            return Ok(Visit::NotDue);
        };
        let period = period_for_slot(&schedule, due.slot)?;
        let report = build_force_report(c, force, period)?;
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
            period,
        })
    })
}

/// What telling a force's FRM leads about a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Notified {
    /// Notices the mail server took.
    pub sent: usize,
    /// Notices that failed (recorded, shown on the reports page).
    pub failed: usize,
}

/// Emails each of the force's FRM leads who gave an address that the
/// report for `period` is ready, with a link to it on the dashboard and no
/// figures (health aggregates do not travel by email). Each outcome is
/// recorded in `report_notices`; a refused or unreachable relay is a
/// failed notice, never a failed run (the report is already stored).
/// Nothing is sent inside a transaction: the addresses are read in one, the
/// outcomes recorded in another.
///
/// # Errors
/// Database errors only.
pub fn notify_frm_leads(
    c: &mut PgConnection,
    mailer: &crate::mail::Mailer,
    force: Uuid,
    run: Uuid,
    period: Period,
) -> AppResult<Notified> {
    let (force_name, addressees) = db::transaction(c, Scope::Force(force), |c| {
        let f = Force::by_id(c, force)?;
        Ok::<_, AppError>((
            f.name,
            crate::accounts::service::addressees(c, force, Role::FrmLead)?,
        ))
    })?;
    let subject = format!(
        "FRM report ready: {force_name}, {} to {}",
        period.from, period.to
    );
    let body = format!(
        "The fatigue risk management report for {force_name}, {} to {}, is ready.\n\n\
         Open it on the dashboard (sign in first):\n{}/reports/{run}/report.html\n\n\
         This message carries no figures: health aggregates stay on the platform.\n",
        period.from, period.to, mailer.dashboard_url
    );
    let outcomes: Vec<(Uuid, Option<String>)> = addressees
        .iter()
        .map(|a| (a.id, mailer.send(&a.email, &subject, body.clone()).err()))
        .collect();
    db::transaction(c, Scope::Force(force), |c| {
        for (account, failure) in &outcomes {
            reports::record_notice(c, force, run, *account, failure.as_deref())?;
        }
        Ok::<_, AppError>(())
    })?;
    let failed = outcomes.iter().filter(|(_, f)| f.is_some()).count();
    for (account, failure) in &outcomes {
        if let Some(f) = failure {
            tracing::warn!(%force, %run, %account, error = %f, "report notice not sent");
        }
    }
    Ok(Notified {
        sent: outcomes.len() - failed,
        failed,
    })
}
