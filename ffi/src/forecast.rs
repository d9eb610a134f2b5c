//! The fatigue forecast for the coming shifts: the engine's Three Process
//! Model run over the officer's recorded sleep, and each shift's Fatigue
//! Index against its threshold (`mobile_core::fatigue_index`).

use std::time::SystemTime;

use chrono::{DateTime, Duration, Timelike, Utc};
use mobile_core::fatigue_index::{fatigue_index, is_night_shift, threshold_for};
use mobile_core::model::three_process::{ThreeProcessModel, TpmParams};
use mobile_core::simulation::simulate;
use mobile_core::store::Store;
use mobile_core::{EpochGrid, LocalClock};
use models::ShiftType as CoreShiftType;

use crate::CoachError;
use crate::types::{ShiftType, system_time};

/// Epoch of the forecast's simulation.
const EPOCH_MINUTES: i64 = 5;
/// History the model is run over before the first shift: a week is enough
/// for the homeostatic state to forget its starting value.
const HISTORY_DAYS: i64 = 7;

/// One upcoming (or current) shift's predicted fatigue.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ShiftForecast {
    /// Start of duty.
    pub start: SystemTime,
    /// End of duty.
    pub end: SystemTime,
    /// The type the roster shows, by local start time.
    pub shift_type: ShiftType,
    /// True when at least 3 hours fall between 23:00 and 06:00 local
    /// (Working Time Regulations 1998): the night threshold applies.
    pub night_shift: bool,
    /// Fatigue Index 0–100: the mean probability of a KSS of 8 or more over
    /// the shift, × 100 (HSE RR446 mapping of the TPM's predicted KSS).
    pub fatigue_index: f64,
    /// The guidance threshold that applies: 35 (day) or 45 (night).
    pub threshold: f64,
    /// True when the Fatigue Index is above its threshold.
    pub above_threshold: bool,
}

fn floor_to_epoch(t: DateTime<Utc>) -> DateTime<Utc> {
    let step = EPOCH_MINUTES * 60;
    let s = t.timestamp();
    DateTime::from_timestamp(s - s.rem_euclid(step), 0).unwrap_or(t)
}

/// Forecasts the shifts that end after `now` and start within
/// `horizon_hours` of it.
pub(crate) fn forecast(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    horizon_hours: u32,
) -> Result<Vec<ShiftForecast>, CoachError> {
    let horizon = now + Duration::hours(i64::from(horizon_hours));
    let shifts = store.shifts_between(now, horizon)?;
    let Some(last_end) = shifts.iter().map(|s| s.end()).max() else {
        return Ok(Vec::new());
    };
    let start = floor_to_epoch(now - Duration::days(HISTORY_DAYS));
    let epochs = (last_end - start).num_minutes().div_euclid(EPOCH_MINUTES) + 1;
    let end = start + Duration::minutes(epochs * EPOCH_MINUTES);
    let sleeps = store.sleeps_between(start, end)?;
    if !sleeps.iter().any(|s| s.end() > now - Duration::hours(48)) {
        return Err(CoachError::not_ready(
            "no sleep recorded in the last 48 hours",
        ));
    }
    // A sleep can only overlap the grid's end if it starts before it, and one
    // starting exactly at it is outside; keep the engine's precondition.
    let sleeps: Vec<_> = sleeps.into_iter().filter(|s| s.start() <= end).collect();
    let grid = EpochGrid::new(start, end, Duration::minutes(EPOCH_MINUTES))?;
    let run = simulate::<ThreeProcessModel>(&TpmParams::default(), &sleeps, &grid, clock)?;
    Ok(shifts
        .iter()
        .filter_map(|shift| {
            let kss = run
                .steps
                .iter()
                .filter(|s| s.at >= shift.start() && s.at < shift.end())
                .map(|s| s.out.kss);
            let fi = fatigue_index(kss)?;
            let threshold = threshold_for(shift, clock);
            let local_hour = shift.start().with_timezone(&clock.zone()).hour();
            Some(ShiftForecast {
                start: system_time(shift.start()),
                end: system_time(shift.end()),
                shift_type: CoreShiftType::from_start_hour(local_hour).into(),
                night_shift: is_night_shift(shift, clock),
                fatigue_index: fi,
                threshold,
                above_threshold: fi > threshold,
            })
        })
        .collect())
}
