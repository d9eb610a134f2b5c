//! The team risk view, the what-if, and the team's wellbeing aggregates.
//!
//! Every figure comes from `mobile_core::roster::assess::assess_roster`.
//! Privacy rule (docs/privacy.md): per named officer, a supervisor sees
//! roster-derived risk only (predicted sleep); anything from wearables is
//! shown only as a team aggregate of at least
//! [`analytics::suppression::MIN_PEOPLE`] consenting people. Periods are the
//! force's local days ([`mobile_core::period::Period`], in the force's zone). The officer's own view (`GET /v1/me/risk`) uses their recorded sleep.

use actix_web::{HttpResponse, get, post, web};
use analytics::suppression::publishable;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use mobile_core::LocalClock;
use mobile_core::period::Period;
use mobile_core::roster::assess::{AssessmentParams, RosterAssessment, assess_roster};
use models::{Shift, SleepPeriod};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::State;
use crate::auth::{Identity, Role};
use crate::db::{
    self,
    accounts::{Force, Team},
};
use crate::error::{AppError, AppResult};

/// Longest period one request may ask for, days.
pub const MAX_PERIOD_DAYS: i64 = 62;
/// Days of earlier shifts included so flags (quick returns, runs of nights)
/// and the model's warm-up see what came before the period.
pub const LOOKBACK_DAYS: i64 = 14;

/// The team if the caller may see it: force admins and FRM leads any team of
/// their force, supervisors their own. Another force's team is "not found".
///
/// # Errors
/// Forbidden or not found.
pub async fn team_access(state: &State, who: &Identity, team: Uuid) -> AppResult<Team> {
    who.require(&[Role::ForceAdmin, Role::FrmLead, Role::Supervisor])?;
    let force = who.force()?;
    let supervisor = (who.0.role == Role::Supervisor).then_some(who.0.sub);
    db::with_force(&state.pool, force, move |c| {
        let t = Team::find(c, force, team)?;
        if let Some(s) = supervisor
            && !Team::is_supervised_by(c, force, team, s)?
        {
            return Err(AppError::Forbidden);
        }
        Ok(t)
    })
    .await
}

/// Refuses a period whose `to` is before `from` or that is over
/// [`MAX_PERIOD_DAYS`] days.
fn check_period(period: &Period) -> AppResult<()> {
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

fn assess(
    shifts: &[Shift],
    recorded: &[SleepPeriod],
    zone: &str,
    from: DateTime<Utc>,
) -> AppResult<RosterAssessment> {
    let clock = LocalClock::from_name(zone).map_err(AppError::internal)?;
    let mut a = assess_roster(shifts, recorded, None, &clock, &AssessmentParams::default())
        .map_err(|e| AppError::invalid("assessment_failed", e.to_string()))?;
    // Earlier shifts were context only.
    a.shifts.retain(|s| s.start.with_timezone(&Utc) >= from);
    Ok(a)
}

/// What an assessment over a period needs from the database.
struct RosterContext {
    /// The force's IANA zone.
    zone: String,
    /// The period's first instant (local midnight in the force's zone).
    from: DateTime<Utc>,
    /// The staff's shifts starting from [`LOOKBACK_DAYS`] before `from` to
    /// the period's end (local midnight after its last day).
    rows: Vec<db::rosters::StoredShift>,
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
    let rows = db::rosters::between(c, force, staff, from - Duration::days(LOOKBACK_DAYS), to)?;
    Ok(RosterContext { zone, from, rows })
}

fn shifts_of(rows: &[db::rosters::StoredShift], staff: &str) -> Vec<Shift> {
    rows.iter()
        .filter(|r| r.staff_number == staff)
        .filter_map(|r| Shift::new(r.start_at, r.end_at).ok())
        .collect()
}

/// Per officer, per shift: Fatigue Index, hourly risk and flags for a period.
#[utoipa::path(get, path = "/v1/teams/{team}/risk", params(("from" = NaiveDate, Query, description = "First day (YYYY-MM-DD), local to the force."), ("to" = NaiveDate, Query, description = "Last day (YYYY-MM-DD), inclusive.")), responses(
    (status = 200, body = TeamRisk), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
#[get("/teams/{team}/risk")]
pub async fn team_risk(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
    period: web::Query<Period>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(load_team_risk(&state, &who, team.into_inner(), &period).await?))
}

/// The team view's figures (also the dashboard's heat map): access check,
/// audit entry, then per member the roster-derived assessment.
///
/// # Errors
/// Forbidden, not found, `invalid_period`, database errors.
pub async fn load_team_risk(
    state: &State,
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
    let RosterContext { zone, from, rows } = db::with_force(&state.pool, force, move |c| {
        let context = roster_context(c, force, &members, &period_in)?;
        db::audit::record(
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
        members
            .iter()
            .map(|staff| {
                Ok(OfficerRisk {
                    staff_number: staff.clone(),
                    assessment: assess(&shifts_of(&rows, staff), &[], &zone, from)?,
                })
            })
            .collect()
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

/// What-if: the officer's roster-derived risk before and after a proposed
/// change. Nothing is stored.
#[utoipa::path(post, path = "/v1/teams/{team}/risk/what-if", request_body = WhatIf, responses((status = 200, body = WhatIfAnswer)))]
#[post("/teams/{team}/risk/what-if")]
pub async fn what_if(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
    body: web::Json<WhatIf>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(compute_what_if(&state, &who, team.into_inner(), body.into_inner()).await?))
}

/// The what-if's answer (also the dashboard's what-if editor). Nothing is stored.
///
/// # Errors
/// Forbidden, not found (team, or staff not in it), `invalid_shift`, database errors.
pub async fn compute_what_if(
    state: &State,
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
    let RosterContext { zone, from, rows } = db::with_force(&state.pool, force, move |c| {
        db::audit::record(
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
            before: assess(&before_shifts, &[], &zone, from)?,
            after: assess(&after_shifts, &[], &zone, from)?,
        })
    })
    .await?
}

/// Team aggregates from wearable-derived summaries, or suppressed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Wellbeing {
    /// Team.
    pub team_id: Uuid,
    /// People who consented and sent summaries in the period (absent when under 5).
    pub people: Option<usize>,
    /// True when fewer than 5 people contribute: nothing else is given.
    pub suppressed: bool,
    /// Mean nightly sleep, hours.
    pub mean_sleep_hours: Option<f64>,
    /// Mean 7-night sleep debt, hours.
    pub mean_sleep_debt_hours: Option<f64>,
    /// Share of summaries in the red recovery band.
    pub red_recovery_share: Option<f64>,
}

/// The team's sleep and recovery aggregates for a period: only from
/// consenting officers, only when at least 5 contribute.
#[utoipa::path(get, path = "/v1/teams/{team}/wellbeing", params(("from" = NaiveDate, Query, description = "First day (YYYY-MM-DD), local to the force."), ("to" = NaiveDate, Query, description = "Last day (YYYY-MM-DD), inclusive.")), responses((status = 200, body = Wellbeing)))]
#[get("/teams/{team}/wellbeing")]
pub async fn wellbeing(
    state: State,
    who: Identity,
    team: web::Path<Uuid>,
    period: web::Query<Period>,
) -> AppResult<HttpResponse> {
    let team = team_access(&state, &who, team.into_inner()).await?;
    check_period(&period)?;
    let force = who.force()?;
    let (from, to) = (period.from, period.to);
    let members = team.members.clone();
    let audit_who = who.clone();
    let summaries = db::with_force(&state.pool, force, move |c| {
        db::audit::record(
            c,
            Some(force),
            &audit_who,
            "read_team_wellbeing",
            &format!("team:{}", team.id),
        )?;
        db::sync::team_summaries(c, force, &members, from, to)
    })
    .await?;
    let people: std::collections::BTreeSet<Uuid> = summaries.iter().map(|(p, _)| *p).collect();
    let body = if !publishable(people.len()) {
        Wellbeing {
            team_id: team.id,
            people: None,
            suppressed: true,
            mean_sleep_hours: None,
            mean_sleep_debt_hours: None,
            red_recovery_share: None,
        }
    } else {
        let n = summaries.len() as f64;
        let sleep = summaries
            .iter()
            .map(|(_, s)| f64::from(s.sleep_minutes))
            .sum::<f64>()
            / n
            / 60.0;
        let debt = summaries
            .iter()
            .map(|(_, s)| f64::from(s.sleep_debt_minutes))
            .sum::<f64>()
            / n
            / 60.0;
        let banded: Vec<_> = summaries
            .iter()
            .filter_map(|(_, s)| s.recovery_band)
            .collect();
        let red = (!banded.is_empty()).then(|| {
            banded
                .iter()
                .filter(|b| **b == models::sync::RecoveryBand::Red)
                .count() as f64
                / banded.len() as f64
        });
        Wellbeing {
            team_id: team.id,
            people: Some(people.len()),
            suppressed: false,
            mean_sleep_hours: Some(sleep),
            mean_sleep_debt_hours: Some(debt),
            red_recovery_share: red,
        }
    };
    Ok(HttpResponse::Ok().json(body))
}

/// The officer's own roster risk, with their recorded sleep where they
/// share it (each shift says which basis).
#[utoipa::path(get, path = "/v1/me/risk", params(("from" = NaiveDate, Query, description = "First day (YYYY-MM-DD), local to the force."), ("to" = NaiveDate, Query, description = "Last day (YYYY-MM-DD), inclusive.")), responses((status = 200, body = Object)))]
#[get("/me/risk")]
pub async fn my_risk(
    state: State,
    who: Identity,
    period: web::Query<Period>,
) -> AppResult<HttpResponse> {
    who.require(&[Role::Officer])?;
    let force = who.force()?;
    let person = who.0.sub;
    check_period(&period)?;
    let period = period.into_inner();
    let (pfrom, pto) = (period.from - Duration::days(LOOKBACK_DAYS), period.to);
    let (RosterContext { zone, from, rows }, sleeps) =
        db::with_force(&state.pool, force, move |c| {
            let staff = db::rosters::staff_of(c, force, person)?;
            let sleeps = db::sync::recorded_sleeps(c, force, &staff, pfrom, pto)?;
            let context = roster_context(c, force, &[staff], &period)?;
            Ok((context, sleeps))
        })
        .await?;
    let assessment = web::block(move || {
        let shifts: Vec<Shift> = rows
            .iter()
            .filter_map(|r| Shift::new(r.start_at, r.end_at).ok())
            .collect();
        assess(&shifts, &sleeps, &zone, from)
    })
    .await??;
    Ok(HttpResponse::Ok().json(assessment))
}
