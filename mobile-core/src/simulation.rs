//! Runs a fatigue model over a person's sleep on a regular epoch grid.
//!
//! # Epoch labelling at transitions
//! Derived from the published FIPS vectors (`tests/reference_vectors.rs`):
//! an epoch at instant `t` is asleep when `sleep_start <= t < sleep_end`; the
//! model switches phase at the sleep's own start or end instant, and the
//! homeostatic state carried across is the ending phase's equation evaluated
//! at that instant. So the first epoch of a sleep shows S at sleep onset and
//! `W = 0`, and the first awake epoch after it shows `W = Wc` when the sleep
//! ends on the grid. A series that starts inside a sleep starts asleep at the
//! initial values.
//!
//! # Incremental runs
//! Between transitions everything is closed-form, so a run's [`RunState`] is
//! just the phase, the instant of the last transition, the carried state and
//! the end of a sleep still in progress. [`resume`] continues from it and
//! gives the same figures as one long run (a property test checks this), which
//! is how the phone updates nightly without recomputing 90 days.

use chrono::{DateTime, Duration, Utc};
use models::SleepPeriod;
use serde::{Deserialize, Serialize};

use crate::clock::LocalClock;
use crate::model::three_process::{ThreeProcessModel, TpmEpoch, TpmWalker};
use crate::model::unified::{UnifiedEpoch, UnifiedModel, UnifiedState, UnifiedWalker};
use crate::model::{Model, ModelParams, Phase};
use crate::recurrence::{DayAngle, DayClock};
use crate::{EngineError, EpochGrid};

/// One epoch of a run.
#[derive(Debug, Clone, Copy)]
pub struct Step<E> {
    /// The epoch's instant (UTC).
    pub at: DateTime<Utc>,
    /// True when awake at this epoch.
    pub awake: bool,
    /// The model's outputs.
    pub out: E,
}

/// Where a run stopped: enough to resume it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunState<C> {
    /// The last epoch computed.
    pub last_epoch: DateTime<Utc>,
    /// The grid's epoch length in seconds.
    pub epoch_seconds: i64,
    /// Phase since the last transition.
    pub phase: Phase,
    /// Instant of the last transition (or of the series start).
    pub since: DateTime<Utc>,
    /// The homeostatic state carried across that transition.
    pub carry: C,
    /// End of the sleep in progress at `last_epoch`, if asleep.
    pub asleep_until: Option<DateTime<Utc>>,
}

/// A run's epochs and the state to resume from.
#[derive(Debug, Clone)]
pub struct Run<E, C> {
    /// One step per grid instant.
    pub steps: Vec<Step<E>>,
    /// State after the last step.
    pub state: RunState<C>,
}

/// The two published models run together, as in the FIPS reference vectors.
#[derive(Debug, Clone, Copy)]
pub struct FipsModels;

/// Both models' outputs at one epoch.
#[derive(Debug, Clone, Copy)]
pub struct FipsEpoch {
    /// Three Process Model outputs.
    pub tpm: TpmEpoch,
    /// Unified Model outputs.
    pub unified: UnifiedEpoch,
}

impl Model for FipsModels {
    type Params = ModelParams;
    type Carry = (f64, UnifiedState);
    type Epoch = FipsEpoch;
    type Walker = (TpmWalker, UnifiedWalker);

    fn walk(p: &ModelParams, c: Self::Carry, phase: Phase, hours: f64, step: f64) -> Self::Walker {
        (
            ThreeProcessModel::walk(&p.tpm, c.0, phase, hours, step),
            UnifiedModel::walk(&p.unified, c.1, phase, hours, step),
        )
    }

    fn step(p: &ModelParams, w: &mut Self::Walker, day: DayAngle) -> FipsEpoch {
        FipsEpoch {
            tpm: ThreeProcessModel::step(&p.tpm, &mut w.0, day),
            unified: UnifiedModel::step(&p.unified, &mut w.1, day),
        }
    }

    fn validate(params: &ModelParams) -> Result<(), EngineError> {
        params.validate()
    }

    fn initial(p: &ModelParams) -> Self::Carry {
        (
            ThreeProcessModel::initial(&p.tpm),
            UnifiedModel::initial(&p.unified),
        )
    }

    fn evolve(p: &ModelParams, c: Self::Carry, phase: Phase, hours: f64) -> Self::Carry {
        (
            ThreeProcessModel::evolve(&p.tpm, c.0, phase, hours),
            UnifiedModel::evolve(&p.unified, c.1, phase, hours),
        )
    }

    fn epoch(p: &ModelParams, now: Self::Carry, phase: Phase, hours: f64, tod: f64) -> FipsEpoch {
        FipsEpoch {
            tpm: ThreeProcessModel::epoch(&p.tpm, now.0, phase, hours, tod),
            unified: UnifiedModel::epoch(&p.unified, now.1, phase, hours, tod),
        }
    }
}

/// Sorts sleeps by start and refuses overlaps.
///
/// # Errors
/// [`EngineError::SleepsOverlap`] when two periods share an instant.
pub fn sorted_sleeps(sleeps: &[SleepPeriod]) -> Result<Vec<SleepPeriod>, EngineError> {
    let mut sorted = sleeps.to_vec();
    sorted.sort();
    for pair in sorted.windows(2) {
        if pair[1].start() < pair[0].end() {
            return Err(EngineError::SleepsOverlap {
                first_end: pair[0].end(),
                second_start: pair[1].start(),
            });
        }
    }
    Ok(sorted)
}

/// Runs model `M` over `sleeps` on `grid`, with time of day from `clock`.
///
/// # Errors
/// [`EngineError::InvalidParameter`] for NaN or inconsistent coefficients,
/// [`EngineError::SleepsOverlap`] for overlapping sleeps and
/// [`EngineError::SleepOutsideSeries`] for a sleep wholly before the start or
/// after the end of the grid.
pub fn simulate<M: Model>(
    params: &M::Params,
    sleeps: &[SleepPeriod],
    grid: &EpochGrid,
    clock: &LocalClock,
) -> Result<Run<M::Epoch, M::Carry>, EngineError> {
    let mut steps = Steps::new(grid);
    let state = simulate_each::<M>(params, sleeps, grid, clock, |awake, out| {
        steps.push(awake, out);
    })?;
    Ok(Run {
        steps: steps.steps,
        state,
    })
}

/// [`simulate`], handing each epoch's phase and outputs to `each` in the
/// grid's order instead of keeping them: for a caller that keeps one
/// figure of each epoch (the roster's KSS trace: a large force's report
/// runs the model over a million person-days, docs/scaling.md).
///
/// # Errors
/// As [`simulate`].
pub fn simulate_each<M: Model>(
    params: &M::Params,
    sleeps: &[SleepPeriod],
    grid: &EpochGrid,
    clock: &LocalClock,
    each: impl FnMut(bool, M::Epoch),
) -> Result<RunState<M::Carry>, EngineError> {
    M::validate(params)?;
    let sleeps = sorted_sleeps(sleeps)?;
    for s in &sleeps {
        if s.end() <= grid.start() || s.start() > grid.end() {
            return Err(EngineError::SleepOutsideSeries {
                start: s.start(),
                end: s.end(),
                series_start: grid.start(),
                series_end: grid.end(),
            });
        }
    }
    let (phase, asleep_until, rest) = match sleeps.first() {
        Some(first) if first.contains(grid.start()) => {
            (Phase::Asleep, Some(first.end()), &sleeps[1..])
        }
        _ => (Phase::Awake, None, &sleeps[..]),
    };
    let cursor = RunState {
        last_epoch: grid.start(),
        epoch_seconds: grid.epoch().num_seconds(),
        phase,
        since: grid.start(),
        carry: M::initial(params),
        asleep_until,
    };
    Ok(drive::<M>(params, cursor, rest, grid, clock, each))
}

/// Continues a run from `state` up to `end` (inclusive) on the same grid,
/// with the sleeps that start after the state.
///
/// # Errors
/// [`EngineError::ResumeMismatch`] when `end` is not a whole number of epochs
/// after the state's last epoch; [`EngineError::SleepBeforeState`] for a sleep
/// starting at or before the state's last epoch or before the sleep in
/// progress ends; [`EngineError::SleepOutsideSeries`] for one starting after
/// `end`; [`EngineError::SleepsOverlap`] for overlaps.
pub fn resume<M: Model>(
    params: &M::Params,
    state: &RunState<M::Carry>,
    sleeps: &[SleepPeriod],
    end: DateTime<Utc>,
    clock: &LocalClock,
) -> Result<Run<M::Epoch, M::Carry>, EngineError> {
    M::validate(params)?;
    let epoch = Duration::seconds(state.epoch_seconds);
    let first = state.last_epoch + epoch;
    let grid = EpochGrid::new(first, end, epoch).map_err(|_| EngineError::ResumeMismatch)?;
    let sleeps = sorted_sleeps(sleeps)?;
    let busy_until = state.asleep_until.unwrap_or(state.last_epoch);
    for s in &sleeps {
        if s.start() <= state.last_epoch || s.start() < busy_until {
            return Err(EngineError::SleepBeforeState {
                start: s.start(),
                state_at: busy_until,
            });
        }
        if s.start() > end {
            return Err(EngineError::SleepOutsideSeries {
                start: s.start(),
                end: s.end(),
                series_start: first,
                series_end: end,
            });
        }
    }
    let mut steps = Steps::new(&grid);
    let state = drive::<M>(params, *state, &sleeps, &grid, clock, |awake, out| {
        steps.push(awake, out);
    });
    Ok(Run {
        steps: steps.steps,
        state,
    })
}

/// A run's steps as [`drive`] hands them out, each with its instant.
struct Steps<E> {
    steps: Vec<Step<E>>,
    /// The next step's instant, carried along by adding the epoch: the
    /// same instant as from the milliseconds, without a calendar
    /// conversion per epoch (that conversion was a tenth of a large FRM
    /// report's CPU time, docs/scaling.md).
    at: DateTime<Utc>,
    step: Duration,
}

impl<E> Steps<E> {
    fn new(grid: &EpochGrid) -> Self {
        let first_ms = grid.start().timestamp_millis();
        Steps {
            steps: Vec::with_capacity(grid.len()),
            at: DateTime::from_timestamp_millis(first_ms).unwrap_or(grid.start()),
            step: Duration::milliseconds(grid.epoch().num_milliseconds()),
        }
    }

    fn push(&mut self, awake: bool, out: E) {
        self.steps.push(Step {
            at: self.at,
            awake,
            out,
        });
        self.at = self.at.checked_add_signed(self.step).unwrap_or(self.at);
    }
}

/// The shared loop: applies every transition up to each instant, then steps
/// the model there and hands the epoch to `each`. Time runs in integer
/// milliseconds; between transitions the model steps by recurrences
/// ([`crate::recurrence`]).
fn drive<M: Model>(
    params: &M::Params,
    mut state: RunState<M::Carry>,
    sleeps: &[SleepPeriod],
    grid: &EpochGrid,
    clock: &LocalClock,
    mut each: impl FnMut(bool, M::Epoch),
) -> RunState<M::Carry> {
    let step_ms = grid.epoch().num_milliseconds();
    let step_hours = step_ms as f64 / 3_600_000.0;
    let first_ms = grid.start().timestamp_millis();
    let mut day = DayClock::new(clock, step_ms);
    let mut next_sleep = sleeps.iter().peekable();
    let mut walker: Option<M::Walker> = None;
    // The next transition's instant in milliseconds, kept as an integer so
    // the loop compares integers.
    let next_transition_ms = |state: &RunState<M::Carry>, next: Option<&&SleepPeriod>| match (
        state.asleep_until,
        next,
    ) {
        (Some(wake), _) => wake.timestamp_millis(),
        (None, Some(s)) => s.start().timestamp_millis(),
        (None, None) => i64::MAX,
    };
    let mut transition_ms = next_transition_ms(&state, next_sleep.peek());
    for i in 0..grid.len() as i64 {
        let t_ms = first_ms + i * step_ms;
        while transition_ms <= t_ms {
            let (at, phase, asleep_until) = match (
                state.asleep_until,
                next_sleep.next_if(|_| state.asleep_until.is_none()),
            ) {
                (Some(wake), _) => (wake, Phase::Awake, None),
                (None, Some(s)) => (s.start(), Phase::Asleep, Some(s.end())),
                (None, None) => break,
            };
            state.carry = M::evolve(params, state.carry, state.phase, hours(at - state.since));
            state.phase = phase;
            state.since = at;
            state.asleep_until = asleep_until;
            walker = None;
            transition_ms = next_transition_ms(&state, next_sleep.peek());
        }
        let w = walker.get_or_insert_with(|| {
            let since_hours = (t_ms - state.since.timestamp_millis()) as f64 / 3_600_000.0;
            M::walk(params, state.carry, state.phase, since_hours, step_hours)
        });
        let out = M::step(params, w, day.angle_at(t_ms));
        each(state.phase == Phase::Awake, out);
    }
    state.last_epoch = grid.end();
    state
}

fn hours(d: Duration) -> f64 {
    d.num_milliseconds() as f64 / 3_600_000.0
}
