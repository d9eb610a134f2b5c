//! Risk rules: who sees which team's risk, the period a view may cover,
//! the engine's assessment of a team, a what-if and an officer's own
//! roster, and the team's wellbeing aggregates under the small-number rule.
//!
//! Every figure comes from `mobile_core::roster::assess::assess_roster`.
//! Privacy rule (docs/privacy.md): per named officer, a supervisor sees
//! roster-derived risk only (predicted sleep); anything from wearables is
//! shown only as a team aggregate of at least
//! [`analytics::suppression::MIN_PEOPLE`] consenting people. Periods are the
//! force's local days ([`mobile_core::period::Period`], in the force's zone). The officer's own view (`GET /v1/me/risk`) uses their recorded sleep
//! for the nights it covers, by the phone's rule
//! (`mobile_core::roster::predict::is_recorded`).

use actix_web::web;
use rayon::prelude::*;

use analytics::wellbeing::{
    GRACE_DAYS, WELLBEING_MAX_WEEKS, publish, week_cell, week_closed, weeks_of,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use mobile_core::LocalClock;
use mobile_core::period::Period;
use mobile_core::roster::assess::{AssessmentParams, RosterAssessment, assess_roster};
use mobile_core::roster::limits::RosterLimits;
use models::{Shift, SleepPeriod};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accounts::service::team_access;
use crate::accounts::store::Force;
use crate::app::AppState;
use crate::audit;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::risk::store;

/// Longest period one request may ask for, days.
pub const MAX_PERIOD_DAYS: i64 = 62;
/// Days of earlier shifts included so flags (quick returns, runs of nights)
/// and the model's warm-up see what came before the period: the report's.
pub use analytics::indicators::LOOKBACK_DAYS;

/// Refuses a period whose `to` is before `from` or that is over
/// [`MAX_PERIOD_DAYS`] days.
pub fn check_period(period: &Period) -> AppResult<()> {
    let days = (period.to - period.from).num_days();
    if !(0..MAX_PERIOD_DAYS).contains(&days) {
        return Err(AppError::invalid(
            "invalid_period",
            format!("to must be on or after from, at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    Ok(())
}

/// One officer's roster-derived risk.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OfficerRisk {
    /// Staff number.
    pub staff_number: String,
    /// `mobile_core`'s assessment (per shift: FI, HRI mean/peak, flags,
    /// sleep basis); see docs/rosters.md for the JSON.
    #[schema(value_type = Object)]
    pub assessment: RosterAssessment,
}

/// The team view.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TeamRisk {
    /// Team.
    pub team_id: Uuid,
    /// Period.
    pub from: NaiveDate,
    /// Period.
    pub to: NaiveDate,
    /// Per officer (roster-derived: predicted sleep).
    pub officers: Vec<OfficerRisk>,
}

/// The engine's assessment with the force's own limits
/// ([`crate::settings::service::limits_of`]).
fn assess(
    shifts: &[Shift],
    recorded: &[SleepPeriod],
    zone: &str,
    limits: &RosterLimits,
    from: DateTime<Utc>,
) -> AppResult<RosterAssessment> {
    let clock = LocalClock::from_name(zone).map_err(AppError::internal)?;
    let params = AssessmentParams {
        limits: *limits,
        ..AssessmentParams::default()
    };
    let mut a = assess_roster(shifts, recorded, &[], &clock, &params)
        .map_err(|e| AppError::invalid("assessment_failed", e.to_string()))?;
    // Earlier shifts were context only (each later shift's runs and rest
    // already carry them), so the period's figures are the period's shifts':
    // the Risk Index too, which the engine took over every shift given.
    a.shifts.retain(|s| s.start.with_timezone(&Utc) >= from);
    a.mean_hri = mobile_core::hourly_risk::hour_weighted_mean_hri(
        a.shifts.iter().map(|s| (s.hri_mean, s.hours)),
    );
    a.risk_index = mobile_core::roster::assess::team_risk_index(&a.shifts, &params.hourly);
    Ok(a)
}

/// The threads a team view assesses its officers on, one per core: the
/// officers in parallel (a 30-officer view is 30 runs of the engine), on a
/// pool of their own so a view never queues behind a scheduled report's
/// thousands of assessments on rayon's global pool. `None` if the threads
/// could not be made: the view then assesses on its own thread, as before.
fn interactive_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("team-view-{i}"))
            .build()
            .map_err(|e| tracing::warn!(error = %e, "no team-view threads: assessing serially"))
            .ok()
    })
    .as_ref()
}

/// What an assessment over a period needs from the database.
struct RosterContext {
    /// The force's IANA zone.
    zone: String,
    /// The force's own limits.
    limits: RosterLimits,
    /// The period's first instant (local midnight in the force's zone).
    from: DateTime<Utc>,
    /// The staff's shifts starting from [`LOOKBACK_DAYS`] before `from` to
    /// the period's end (local midnight after its last day).
    rows: Vec<crate::rosters::store::StoredShift>,
}

/// The force's zone, the period's instants in it and the staff's shifts.
fn roster_context(
    c: &mut diesel::PgConnection,
    force: Uuid,
    staff: &[String],
    period: &Period,
) -> AppResult<RosterContext> {
    let zone = Force::by_id(c, force)?.time_zone;
    let tz: Tz = zone.parse().map_err(AppError::internal)?;
    let (from, to) = period.instants(tz);
    let rows =
        crate::rosters::store::between(c, force, staff, from - Duration::days(LOOKBACK_DAYS), to)?;
    let limits = crate::settings::service::limits_of(c, force)?;
    Ok(RosterContext {
        zone,
        limits,
        from,
        rows,
    })
}

fn shifts_of(rows: &[crate::rosters::store::StoredShift], staff: &str) -> Vec<Shift> {
    rows.iter()
        .filter(|r| r.staff_number == staff)
        .filter_map(|r| Shift::new(r.start_at, r.end_at).ok())
        .collect()
}

/// The team view's figures (also the dashboard's heat map): access check,
/// audit entry, then per member the roster-derived assessment.
///
/// # Errors
/// Forbidden, not found, `invalid_period`, database errors.
pub async fn team_risk(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    period: &Period,
) -> AppResult<TeamRisk> {
    let team = team_access(state, who, team).await?;
    check_period(period)?;
    let period_in = *period;
    let force = who.force()?;
    let members = team.members.clone();
    let audit_who = who.clone();
    let RosterContext {
        zone,
        limits,
        from,
        rows,
    } = db::with_force(&state.pool, force, move |c| {
        let context = roster_context(c, force, &members, &period_in)?;
        audit::record(
            c,
            Some(force),
            &audit_who,
            "read_team_risk",
            &format!("team:{}", team.id),
        )?;
        Ok(context)
    })
    .await?;
    let members = team.members;
    let officers = web::block(move || -> AppResult<Vec<OfficerRisk>> {
        let each = || {
            members
                .par_iter()
                .map(|staff| {
                    Ok(OfficerRisk {
                        staff_number: staff.clone(),
                        assessment: assess(&shifts_of(&rows, staff), &[], &zone, &limits, from)?,
                    })
                })
                .collect()
        };
        match interactive_pool() {
            Some(pool) => pool.install(each),
            None => each(),
        }
    })
    .await??;
    Ok(TeamRisk {
        team_id: team.id,
        from: period.from,
        to: period.to,
        officers,
    })
}

/// A proposed change to one officer's roster.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIf {
    /// Whose roster.
    pub staff_number: String,
    /// Period the answer covers.
    pub from: NaiveDate,
    /// Period the answer covers.
    pub to: NaiveDate,
    /// Starts of stored shifts to drop.
    #[serde(default)]
    pub remove: Vec<DateTime<Utc>>,
    /// Shifts to add.
    #[serde(default)]
    pub add: Vec<ProposedShift>,
}

/// A proposed shift.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposedShift {
    /// Start (RFC 3339).
    pub start: DateTime<Utc>,
    /// End (RFC 3339).
    pub end: DateTime<Utc>,
}

/// Risk before and after a change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhatIfAnswer {
    /// Current roster.
    #[schema(value_type = Object)]
    pub before: RosterAssessment,
    /// With the change.
    #[schema(value_type = Object)]
    pub after: RosterAssessment,
}

/// The what-if's answer (also the dashboard's what-if editor). Nothing is stored.
///
/// # Errors
/// Forbidden, not found (team, or staff not in it), `invalid_shift`, database errors.
pub async fn what_if(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    body: WhatIf,
) -> AppResult<WhatIfAnswer> {
    let team = team_access(state, who, team).await?;
    if !team.members.contains(&body.staff_number) {
        return Err(AppError::NotFound);
    }
    let period = Period {
        from: body.from,
        to: body.to,
    };
    check_period(&period)?;
    if body.remove.len() > MAX_WHAT_IF_CHANGES || body.add.len() > MAX_WHAT_IF_CHANGES {
        return Err(AppError::invalid(
            "invalid_shift",
            format!(
                "at most {MAX_WHAT_IF_CHANGES} shifts to remove and {MAX_WHAT_IF_CHANGES} to add"
            ),
        ));
    }
    let added: Vec<Shift> = body
        .add
        .iter()
        .map(|p| Shift::new(p.start, p.end))
        .collect::<Result<_, _>>()
        .map_err(|e| AppError::invalid("invalid_shift", e.to_string()))?;
    let force = who.force()?;
    let staff = vec![body.staff_number.clone()];
    let audit_who = who.clone();
    let team_id = team.id;
    let RosterContext {
        zone,
        limits,
        from,
        rows,
    } = db::with_force(&state.pool, force, move |c| {
        audit::record(
            c,
            Some(force),
            &audit_who,
            "what_if",
            &format!("team:{team_id}"),
        )?;
        roster_context(c, force, &staff, &period)
    })
    .await?;
    web::block(move || -> AppResult<WhatIfAnswer> {
        let before_shifts = shifts_of(&rows, &body.staff_number);
        let mut after_shifts: Vec<Shift> = before_shifts
            .iter()
            .filter(|s| !body.remove.contains(&s.start()))
            .copied()
            .collect();
        after_shifts.extend(added);
        Ok(WhatIfAnswer {
            before: assess(&before_shifts, &[], &zone, &limits, from)?,
            after: assess(&after_shifts, &[], &zone, &limits, from)?,
        })
    })
    .await?
}

/// Team aggregates from wearable-derived summaries, or suppressed
/// (`analytics::wellbeing::publish`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Wellbeing {
    /// Team.
    pub team_id: Uuid,
    /// The fewest people who consented and sent summaries in any week of
    /// the period, counted down to a multiple of 5 (absent when suppressed).
    pub people: Option<u32>,
    /// True when some week has fewer than 5 people: nothing else is given.
    pub suppressed: bool,
    /// Mean nightly sleep, hours, to a quarter hour.
    pub mean_sleep_hours: Option<f64>,
    /// Mean 7-night sleep debt, hours, to a quarter hour.
    pub mean_sleep_debt_hours: Option<f64>,
    /// Share of scored mornings in the red recovery band, to a tenth;
    /// absent when some week has fewer than 5 people with a scored morning.
    pub red_recovery_share: Option<f64>,
}

/// The team's sleep and recovery aggregates for a period of whole ISO
/// weeks that have closed: each week's cell is frozen the first time it is
/// read (from the team's consenting members then) and never changes, and a
/// figure is given only when every week has it from at least
/// [`analytics::suppression::MIN_PEOPLE`] people (`analytics::wellbeing`,
/// docs/security.md "Differencing"). Audited.
///
/// # Errors
/// Forbidden, not found, `invalid_period`, `period_not_closed`, database
/// errors.
pub async fn wellbeing(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    period: &Period,
) -> AppResult<Wellbeing> {
    // Not force admins: they change team membership.
    who.require(&[Role::Supervisor, Role::FrmLead])?;
    let team = team_access(state, who, team).await?;
    let weeks = wellbeing_weeks(period)?;
    let force = who.force()?;
    let team_id = team.id;
    let members = team.members.clone();
    let audit_who = who.clone();
    let now = Utc::now();
    let cells = db::with_force(&state.pool, force, move |c| {
        let today = now
            .with_timezone(&Force::by_id(c, force)?.zone())
            .date_naive();
        if let Some(open) = weeks.iter().find(|w| !week_closed(**w, today)) {
            return Err(AppError::invalid(
                "period_not_closed",
                format!(
                    "the week of {open} can be read from {}, {GRACE_DAYS} days after it ends",
                    *open + Duration::days(7 + GRACE_DAYS)
                ),
            ));
        }
        audit::record(
            c,
            Some(force),
            &audit_who,
            "read_team_wellbeing",
            &format!("team:{team_id}"),
        )?;
        let frozen = store::frozen(c, force, team_id, &weeks)?;
        let missing: Vec<NaiveDate> = weeks
            .iter()
            .filter(|w| !frozen.iter().any(|f| f.week == **w))
            .copied()
            .collect();
        if let (Some(first), Some(last)) = (missing.first(), missing.last()) {
            let summaries = crate::sync::store::team_summaries(
                c,
                force,
                &members,
                *first,
                *last + Duration::days(6),
            )?;
            for week in &missing {
                store::freeze(c, force, team_id, &week_cell(*week, &summaries))?;
            }
            return Ok(store::frozen(c, force, team_id, &weeks)?);
        }
        Ok(frozen)
    })
    .await?;
    let p = publish(&cells);
    Ok(Wellbeing {
        team_id,
        people: p.people,
        suppressed: p.suppressed,
        mean_sleep_hours: p.mean_sleep_hours,
        mean_sleep_debt_hours: p.mean_sleep_debt_hours,
        red_recovery_share: p.red_recovery_share,
    })
}

/// Shifts a what-if may remove, and add, at most: more than a period's
/// worth of duties is not a what-if but a new roster.
pub const MAX_WHAT_IF_CHANGES: usize = 62;

/// The Mondays of a wellbeing period: whole ISO weeks (Monday to Sunday),
/// up to [`WELLBEING_MAX_WEEKS`], so no two allowed periods differ by a few
/// days.
///
/// # Errors
/// `invalid_period`.
pub fn wellbeing_weeks(period: &Period) -> AppResult<Vec<NaiveDate>> {
    weeks_of(period.from, period.to).ok_or_else(|| {
        AppError::invalid(
            "invalid_period",
            format!(
                "wellbeing periods are whole ISO weeks, Monday to Sunday, at most {WELLBEING_MAX_WEEKS}"
            ),
        )
    })
}

/// The officer's own roster risk, with their recorded sleep where they
/// share it (each shift says which basis): a night a synced daily summary
/// carries a main sleep for takes it, every other night keeps its predicted
/// sleep (`mobile_core::roster::predict::is_recorded`, the phone's rule), so
/// an officer who synced nothing sees the team view's figures.
///
/// # Errors
/// Forbidden but for officers; `invalid_period`; not found when the
/// officer's staff number is not linked; database errors.
pub async fn my_risk(
    state: &AppState,
    who: &Identity,
    period: Period,
) -> AppResult<RosterAssessment> {
    who.require(&[Role::Officer])?;
    let force = who.force()?;
    let person = who.0.sub;
    check_period(&period)?;
    let (pfrom, pto) = (period.from - Duration::days(LOOKBACK_DAYS), period.to);
    let (
        RosterContext {
            zone,
            limits,
            from,
            rows,
        },
        sleeps,
    ) = db::with_force(&state.pool, force, move |c| {
        let staff = crate::rosters::store::staff_of(c, force, person)?;
        let sleeps = crate::sync::store::recorded_sleeps(c, force, &staff, pfrom, pto)?;
        let context = roster_context(c, force, &[staff], &period)?;
        Ok((context, sleeps))
    })
    .await?;
    web::block(move || {
        let shifts: Vec<Shift> = rows
            .iter()
            .filter_map(|r| Shift::new(r.start_at, r.end_at).ok())
            .collect();
        assess(&shifts, &sleeps, &zone, &limits, from)
    })
    .await?
}

/// A team's draft beside its published roster for the draft's period
/// (`analytics::drafts::compare`: the engine's assessment with the force's
/// limits and the report's indicators, both sides). `draft` holds the
/// draft's duties as `(staff number, shift)`; the published roster and the
/// absences are read here, from the 17-week reference period on.
/// The caller checked access (drafts are read through
/// `crate::rosters::service`).
///
/// # Errors
/// Database errors; `assessment_failed` for limits the engine refuses.
pub async fn compare_draft(
    state: &AppState,
    force: Uuid,
    members: Vec<String>,
    period: Period,
    draft: Vec<(String, Shift)>,
) -> AppResult<analytics::drafts::DraftComparison> {
    use analytics::drafts::{OfficerRosters, compare, history_start};
    let (zone, limits, rows, absences) = db::with_force(&state.pool, force, move |c| {
        let zone = Force::by_id(c, force)?.time_zone;
        let tz: Tz = zone.parse().map_err(AppError::internal)?;
        let first = history_start(&period);
        let (from, _) = Period {
            from: first,
            to: period.to,
        }
        .instants(tz);
        let (_, to) = period.instants(tz);
        let rows = crate::rosters::store::between(c, force, &members, from, to)?;
        let absences =
            crate::rosters::store::absences_between(c, force, &members, first, period.to)?;
        let limits = crate::settings::service::limits_of(c, force)?;
        Ok((zone, limits, rows, (members, absences)))
    })
    .await?;
    let (members, absences) = absences;
    web::block(move || {
        let officers: Vec<OfficerRosters> = members
            .iter()
            .map(|staff| OfficerRosters {
                staff_number: staff.clone(),
                published: shifts_of(&rows, staff),
                draft: draft
                    .iter()
                    .filter(|(s, _)| s == staff)
                    .map(|(_, sh)| *sh)
                    .collect(),
                absences: absences
                    .iter()
                    .filter(|(s, _, _)| s == staff)
                    .filter_map(|(_, d, cat)| {
                        mobile_core::roster::AbsenceCategory::parse(cat).map(|c| (*d, c))
                    })
                    .collect(),
            })
            .collect();
        compare(&zone, &limits, &period, &officers)
            .map_err(|e| AppError::invalid("assessment_failed", e.to_string()))
    })
    .await?
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_periods_risk_index_is_its_own_shifts_not_the_look_back() {
        use chrono::TimeZone;
        let at = |d: u32, h: u32, hours: i64| {
            let s = Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap();
            Shift::new(s, s + Duration::hours(hours)).unwrap()
        };
        // Three 10 h nights in the look-back (Mon 6 - Wed 8 January), then
        // five 09:00-17:00 days in the period from Monday 13 January.
        let mut shifts: Vec<Shift> = (6..=8).map(|d| at(d, 22, 10)).collect();
        shifts.extend((13..=17).map(|d| at(d, 9, 8)));
        let limits = RosterLimits::default();
        let from = Utc.with_ymd_and_hms(2025, 1, 13, 0, 0, 0).unwrap();
        let period = assess(&shifts, &[], "UTC", &limits, from).unwrap();
        let whole = assess(&shifts, &[], "UTC", &limits, shifts[0].start()).unwrap();
        assert_eq!(period.shifts.len(), 5);
        assert_eq!(whole.shifts.len(), 8);
        // The period's index is the hour-weighted mean over its five days
        // alone (over the reference roster's), and the riskier nights
        // before it no longer raise it.
        let hourly = AssessmentParams::default().hourly;
        let own = mobile_core::roster::assess::team_risk_index(&period.shifts, &hourly).unwrap();
        let p = period.risk_index.unwrap();
        assert!((p - own).abs() < 1e-12, "{p} {own}");
        assert!(
            p < whole.risk_index.unwrap() - 0.01,
            "{p} {:?}",
            whole.risk_index
        );
        let hours: f64 = period.shifts.iter().map(|s| s.hours).sum();
        assert!((hours - 40.0).abs() < 1e-9);
    }

    #[test]
    fn wellbeing_periods_are_whole_iso_weeks() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let ok = |from, to| wellbeing_weeks(&Period { from, to }).is_ok();
        // 1 June 2026 is a Monday.
        assert!(ok(d(6, 1), d(6, 7)));
        assert!(ok(d(6, 1), d(7, 26)));
        assert!(!ok(d(6, 1), d(8, 2)), "nine weeks");
        assert!(!ok(d(6, 2), d(6, 7)), "starts on a Tuesday");
        assert!(!ok(d(6, 1), d(6, 6)), "ends on a Saturday");
        assert!(!ok(d(6, 8), d(6, 7)), "backwards");
    }
}
