//! The personal plan over the on-device store: read the roster, the
//! recorded sleep, the sleep need and the plan preferences, make the plan
//! (`crate::plan`), keep its days (a day already lived keeps what was
//! planned for it), and give each coming shift its Fatigue Index with the
//! plan and without it, and the reminders to schedule.
//!
//! Calling it again after the roster, the recorded sleep or a preference
//! changed re-plans: nothing is cached but the planned days themselves.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{MorningError, assessment_params, recorded_sleep};
use crate::LocalClock;
use crate::plan::figures::{ShiftBenefit, with_and_without};
use crate::plan::reminders::{Reminder, reminders};
use crate::plan::{
    ChronotypeBasis, Plan, PlanDay, PlanInputs, PlanRules, chronotype_from_sleep, make_plan,
};
use crate::store::Store;

/// Days of recorded sleep read to estimate the chronotype.
const CHRONOTYPE_LOOKBACK_DAYS: i64 = 28;
/// Free-day main sleeps needed before the chronotype is estimated from
/// them rather than asked (ours: MCTQ asks about a typical free day; a
/// few nights stand in for it).
pub const CHRONOTYPE_MIN_FREE_DAYS: usize = 3;
/// Most days a plan covers.
pub const MAX_PLAN_DAYS: u32 = 28;

/// The plan for the coming days, what it buys and its reminders.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanUpdate {
    /// The plan from today (local) on.
    pub plan: Plan,
    /// Each shift ending after now, with and without the plan.
    pub benefits: Vec<ShiftBenefit>,
    /// The notifications to schedule.
    pub reminders: Vec<Reminder>,
}

/// The officer's inputs as the store holds them: their sleep need, their
/// commute (else the reference's), and their chronotype from recorded
/// free-day sleep when there is enough, else their answer, else
/// intermediate.
///
/// # Errors
/// [`MorningError::Store`] on a read failure.
pub fn plan_inputs(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
) -> Result<PlanInputs, MorningError> {
    let prefs = store.plan_preferences()?;
    let defaults = PlanInputs::default();
    let from = now - Duration::days(CHRONOTYPE_LOOKBACK_DAYS);
    let (episodes, _) = store.wearable_history(from, now, clock)?;
    let episodes: Vec<_> = episodes.into_iter().filter(|e| e.end <= now).collect();
    let shifts = store.shifts_between(from - Duration::days(1), now)?;
    let recorded = chronotype_from_sleep(&episodes, &shifts, clock, CHRONOTYPE_MIN_FREE_DAYS);
    let (chronotype, chronotype_basis) = match (recorded, prefs.chronotype) {
        (Some(c), _) => (c, ChronotypeBasis::Recorded),
        (None, Some(c)) => (c, ChronotypeBasis::Stated),
        (None, None) => (defaults.chronotype, ChronotypeBasis::Assumed),
    };
    Ok(PlanInputs {
        sleep_need_hours: store.sleep_need_hours()?,
        commute_hours: prefs.commute_hours.unwrap_or(defaults.commute_hours),
        chronotype,
        chronotype_basis,
        commitments: prefs.commitments,
    })
}

/// Plans `days` local days from today (1 to [`MAX_PLAN_DAYS`]), keeps
/// them ([`Store::keep_plan_days`]: today on replaced, lived days kept),
/// and gives the with/without figures and the reminders after `now`.
///
/// # Errors
/// [`MorningError::Store`] on a read or write failure;
/// [`MorningError::Engine`] when the engine refuses the roster or sleep.
pub fn plan(
    store: &mut Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    days: u32,
) -> Result<PlanUpdate, MorningError> {
    let days = days.clamp(1, MAX_PLAN_DAYS);
    let today = now.with_timezone(&clock.zone()).date_naive();
    let inputs = plan_inputs(store, clock, now)?;
    let params = assessment_params(store)?;
    let until = now + Duration::days(i64::from(days) + 2);
    let shifts = store.shifts_between(now - Duration::days(super::PAST_ROSTER_DAYS), until)?;
    let plan = make_plan(&shifts, &inputs, clock, today, days, &PlanRules::default());
    let benefits = match shifts.first() {
        None => Vec::new(),
        Some(first) => {
            let sleep_from = first.start() - Duration::days(params.warm_up_days + 1);
            let (recorded, covered) = recorded_sleep(store, sleep_from, now)?;
            with_and_without(
                &shifts,
                &plan.sleeps(),
                now,
                &recorded,
                &covered,
                clock,
                &params,
            )?
        }
    };
    let settings = store.plan_preferences()?.reminders;
    let reminders = reminders(&plan, &shifts, clock, now, &settings);
    store.keep_plan_days(&plan.days, today, now)?;
    Ok(PlanUpdate {
        plan,
        benefits,
        reminders,
    })
}

/// The days planned from `from` to `to` (local, inclusive) as kept: what
/// was planned for a lived day, beside what the wearable recorded.
///
/// # Errors
/// [`MorningError::Store`] on a read failure.
pub fn planned_days(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PlanDay>, MorningError> {
    Ok(store.planned_days(from, to)?)
}
