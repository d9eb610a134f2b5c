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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Chronotype, WindowKind};
    use chrono::TimeZone;

    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, d, h, m, 0).unwrap()
    }

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, d).unwrap()
    }

    fn night(d: u32) -> (DateTime<Utc>, DateTime<Utc>) {
        (utc(d, 22, 0), utc(d + 1, 7, 0))
    }

    #[test]
    fn the_store_plan_shows_what_it_buys_and_a_lived_day_keeps_its_plan() {
        let clock = LocalClock::utc();
        let mut store = Store::open_in_memory().unwrap();
        let now = utc(10, 8, 0);
        store
            .replace_roster(&[night(13), night(14), night(15), night(16)], now)
            .unwrap();
        let first = plan(&mut store, &clock, now, 14).unwrap();
        assert_eq!(first.plan.days.len(), 14);
        assert_eq!(first.plan.days[0].date, date(10));
        // The figures of the pure plan's test (`plan::tests`), through the
        // store: without → with on each night.
        let want = [
            (27.27, 24.15),
            (39.84, 22.60),
            (47.25, 22.27),
            (51.22, 22.19),
        ];
        assert_eq!(first.benefits.len(), 4);
        for (b, (w0, w1)) in first.benefits.iter().zip(want) {
            assert!((b.fatigue_index_without_plan - w0).abs() < 0.01, "{b:?}");
            assert!((b.fatigue_index_with_plan - w1).abs() < 0.01, "{b:?}");
        }
        assert!(!first.reminders.is_empty());
        let recovery = |days: &[PlanDay], d: u32| {
            days.iter().find(|p| p.date == date(d)).is_some_and(|p| {
                p.windows
                    .iter()
                    .any(|w| w.kind == WindowKind::RecoverySleep)
            })
        };
        assert!(recovery(&first.plan.days, 17));

        // On the 15th a fifth night is added on the 17th: re-planned, the
        // 17th's morning is a full day sleep, not the recovery sleep; the
        // lived days 10th–14th keep what was planned on the 10th.
        let later = utc(15, 12, 0);
        store.replace_roster(&[night(17)], later).unwrap();
        let second = plan(&mut store, &clock, later, 14).unwrap();
        assert_eq!(second.plan.days[0].date, date(15));
        assert!(!recovery(&second.plan.days, 17));
        let kept = planned_days(&store, date(10), date(17)).unwrap();
        assert_eq!(kept.len(), 8);
        assert_eq!(kept[..5], first.plan.days[..5]);
        assert!(!recovery(&kept, 17));
        // Re-planned at 12:00 on the 15th, mid day-sleep: the predicted
        // 08:00–13:00 sleep is past or under way, and following the plan
        // means sleeping on to 15:15. Without → with, nights 3 to 5:
        let want = [(47.25, 25.48), (51.22, 22.93), (53.28, 22.34)];
        assert_eq!(second.benefits.len(), 3);
        for (b, (w0, w1)) in second.benefits.iter().zip(want) {
            assert!((b.fatigue_index_without_plan - w0).abs() < 0.01, "{b:?}");
            assert!((b.fatigue_index_with_plan - w1).abs() < 0.01, "{b:?}");
        }
    }

    #[test]
    fn recorded_free_days_set_the_chronotype_before_the_answer_does() {
        let clock = LocalClock::utc();
        let mut store = Store::open_in_memory().unwrap();
        let now = utc(10, 12, 0);
        let stated = crate::plan::PlanPreferences {
            chronotype: Some(Chronotype::Early),
            ..Default::default()
        };
        store.set_plan_preferences(&stated).unwrap();
        let inputs = plan_inputs(&store, &clock, now).unwrap();
        assert_eq!(
            (inputs.chronotype, inputs.chronotype_basis),
            (Chronotype::Early, ChronotypeBasis::Stated)
        );
        // Three free nights 01:30–09:30: mid-sleep 05:30, a late type.
        let sleeps: Vec<_> = (5..8).map(|d| (utc(d, 1, 30), utc(d, 9, 30))).collect();
        store.import_sleeps(&sleeps, now).unwrap();
        let inputs = plan_inputs(&store, &clock, now).unwrap();
        assert_eq!(
            (inputs.chronotype, inputs.chronotype_basis),
            (Chronotype::Late, ChronotypeBasis::Recorded)
        );
        assert_eq!(inputs.sleep_need_hours, 7.0);
        assert_eq!(inputs.commute_hours, 1.0);
    }
}
