//! What following the plan buys: each shift's predicted Fatigue Index with
//! the plan's sleep and with the default predicted sleep.
//!
//! Both figures come from the same machinery as the forecast: the Three
//! Process Model over a list of sleep periods, the shift's FI the mean
//! probability of KSS ≥ 8 over its epochs (`docs/science.md` §4). Without
//! the plan the sleep is [`crate::roster::assess::assess_roster`]'s
//! (recorded where the wearable covered an opportunity, predicted by
//! `docs/science.md` §6 elsewhere), so that figure is the forecast's. With
//! it, the plan's sleep and naps replace the predicted sleep from the
//! plan's start; recorded sleep still wins where it exists.
//!
//! The models' circadian process is fixed to clock time (its acrophase does
//! not move), so advice about light cannot change these figures: the
//! benefit shown is that of sleep timing and naps only (`docs/plan.md`).

use chrono::{DateTime, Duration, Utc};
use models::{Shift, SleepPeriod};
use serde::{Deserialize, Serialize};

use crate::fatigue_index::{fatigue_index, is_night_shift};
use crate::roster::assess::{AssessmentParams, assess_roster, grid_start, kss_trace_over};
use crate::roster::predict::{Covered, combine, predict_sleep};
use crate::{EngineError, LocalClock};

/// One shift's Fatigue Index with and without the plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShiftBenefit {
    /// Start (UTC).
    pub start: DateTime<Utc>,
    /// End (UTC).
    pub end: DateTime<Utc>,
    /// Night shift by the Working Time Regulations rule.
    pub night: bool,
    /// FI over the default predicted sleep: the forecast's figure.
    pub fatigue_index_without_plan: f64,
    /// FI over the plan's sleep and naps.
    pub fatigue_index_with_plan: f64,
}

/// The sleep the with-plan run uses: predicted sleep that starts before
/// `plan_from`, then the plan's sleep after `plan_from` (a plan sleep under
/// way at `plan_from`, or overlapping an earlier sleep, counts from where
/// that ends: following the plan from now cannot change the past, but it
/// can mean sleeping on).
fn sleep_with_plan(
    predicted: &[SleepPeriod],
    plan_sleeps: &[SleepPeriod],
    plan_from: DateTime<Utc>,
) -> Vec<SleepPeriod> {
    let mut out: Vec<SleepPeriod> = predicted
        .iter()
        .filter(|s| s.start() < plan_from)
        .copied()
        .collect();
    let mut sorted: Vec<SleepPeriod> = plan_sleeps
        .iter()
        .filter(|s| s.end() > plan_from)
        .copied()
        .collect();
    sorted.sort();
    for s in sorted {
        let begin = out
            .last()
            .map_or(s.start(), |l| s.start().max(l.end()))
            .max(plan_from);
        match out.last_mut() {
            // Touching sleep is one sleep, not a waking of no length.
            Some(last) if last.end() == begin => {
                if let Ok(p) = SleepPeriod::new(last.start(), s.end()) {
                    *last = p;
                }
            }
            _ => {
                if let Ok(p) = SleepPeriod::new(begin, s.end()) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Each shift ending after `plan_from`, with its FI over the default sleep
/// and over the plan's sleep (`plan_sleeps`, [`super::Plan::sleeps`]).
///
/// # Errors
/// As [`assess_roster`].
pub fn with_and_without(
    shifts: &[Shift],
    plan_sleeps: &[SleepPeriod],
    plan_from: DateTime<Utc>,
    recorded: &[SleepPeriod],
    covered: &[Covered],
    clock: &LocalClock,
    params: &AssessmentParams,
) -> Result<Vec<ShiftBenefit>, EngineError> {
    let without = assess_roster(shifts, recorded, covered, clock, params)?;
    let mut shifts = shifts.to_vec();
    shifts.sort();
    shifts.dedup();
    let (Some(first), Some(last)) = (shifts.first(), shifts.iter().map(|s| s.end()).max()) else {
        return Ok(Vec::new());
    };
    let epoch = Duration::minutes(params.epoch_minutes.clamp(1, 60));
    let start = grid_start(first.start() - Duration::days(params.warm_up_days), params);
    let floor = grid_start(last, params);
    let end = if floor < last { floor + epoch } else { floor };
    let predicted = predict_sleep(&shifts, start, end, clock, &params.sleep);
    let planned = sleep_with_plan(&predicted, plan_sleeps, plan_from);
    let recorded = crate::simulation::sorted_sleeps(recorded)?;
    let sleeps: Vec<SleepPeriod> = combine(&recorded, covered, &planned)
        .into_iter()
        .map(|(s, _)| s)
        .filter(|s| s.end() > start && s.start() <= end)
        .collect();
    let trace = kss_trace_over(&sleeps, start, end, clock, params)?;
    Ok(shifts
        .iter()
        .zip(&without.shifts)
        .filter(|(s, _)| s.end() > plan_from)
        .map(|(s, a)| ShiftBenefit {
            start: s.start(),
            end: s.end(),
            night: is_night_shift(s, clock),
            fatigue_index_without_plan: a.fatigue_index,
            fatigue_index_with_plan: fatigue_index(
                trace.during(s.start(), s.end()).iter().copied(),
            )
            .unwrap_or(0.0),
        })
        .collect())
}
