//! The engine's outlook for the next shift: its Fatigue Index, from the
//! Three Process Model run over the person's recorded sleep.

use chrono::Duration;
use models::{Shift, SleepPeriod};
use serde::{Deserialize, Serialize};

use crate::fatigue_index::{fatigue_index, threshold_for};
use crate::model::three_process::{ThreeProcessModel, TpmParams};
use crate::simulation::simulate;
use crate::{EngineError, EpochGrid, LocalClock};

/// Days of sleep before the shift the model is run over (it starts from its
/// published initial state, which a week of sleep washes out).
pub const WARM_UP_DAYS: i64 = 7;
/// The epoch of the run, minutes.
pub const EPOCH_MINUTES: i64 = 5;

/// The next shift's predicted fatigue, the input of the score's last component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NextShift {
    /// Fatigue Index of the shift (mean P(KSS ≥ 8) × 100, see [`crate::fatigue_index`]).
    pub fatigue_index: f64,
    /// The FI threshold that applies to it (35 day, 45 night).
    pub threshold: f64,
}

/// Runs the TPM from [`WARM_UP_DAYS`] before `shift` to its end over
/// `sleeps` and returns the shift's Fatigue Index and threshold.
///
/// # Errors
/// [`EngineError`] from the run (e.g. overlapping sleeps).
pub fn next_shift_outlook(
    params: &TpmParams,
    sleeps: &[SleepPeriod],
    shift: &Shift,
    clock: &LocalClock,
) -> Result<NextShift, EngineError> {
    let epoch = Duration::minutes(EPOCH_MINUTES);
    let start = shift.start() - Duration::days(WARM_UP_DAYS);
    let epochs_in_shift = (shift.end() - shift.start())
        .num_minutes()
        .div_euclid(EPOCH_MINUTES)
        + 1;
    let end = shift.start() + epoch * i32::try_from(epochs_in_shift).unwrap_or(i32::MAX);
    let grid = EpochGrid::new(start, end, epoch)?;
    let relevant: Vec<SleepPeriod> = sleeps
        .iter()
        .filter(|s| s.end() > start && s.start() <= end)
        .copied()
        .collect();
    let run = simulate::<ThreeProcessModel>(params, &relevant, &grid, clock)?;
    let fi = fatigue_index(
        run.steps
            .iter()
            .filter(|s| s.at >= shift.start() && s.at < shift.end())
            .map(|s| s.out.kss),
    )
    .unwrap_or(0.0);
    Ok(NextShift {
        fatigue_index: fi,
        threshold: threshold_for(shift, clock),
    })
}
