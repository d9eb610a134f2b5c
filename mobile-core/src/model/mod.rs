//! The published fatigue models, each in its own module, behind one trait.
//!
//! Both models are closed-form between sleep/wake transitions: everything at an
//! instant follows from the phase (awake or asleep), the hours since the last
//! transition, the homeostatic state carried across that transition, and the
//! local clock time of day. [`Model`] captures exactly that, so one driver
//! ([`crate::simulation`]) runs either model, and a saved state is just the
//! carried values at the last transition.

pub mod three_process;
pub mod unified;

use serde::{Deserialize, Serialize};

use crate::EngineError;
use crate::recurrence::DayAngle;

/// Whether the person is awake or asleep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Awake since the last transition.
    Awake,
    /// Asleep since the last transition.
    Asleep,
}

/// A fatigue model that is closed-form between transitions.
pub trait Model {
    /// The model's coefficients.
    type Params;
    /// The homeostatic state carried across a transition.
    type Carry: Copy + std::fmt::Debug + PartialEq;
    /// Everything the model outputs at one epoch.
    type Epoch: Copy + std::fmt::Debug;

    /// Checks the coefficients before a run.
    ///
    /// # Errors
    /// [`EngineError::InvalidParameter`] naming the first bad coefficient.
    fn validate(params: &Self::Params) -> Result<(), EngineError>;

    /// The state at the start of a series.
    fn initial(params: &Self::Params) -> Self::Carry;

    /// The homeostatic state `hours` after a transition into `phase` that
    /// left the model at `carry`. Evaluated at the next transition instant, it
    /// gives the state carried across it.
    fn evolve(params: &Self::Params, carry: Self::Carry, phase: Phase, hours: f64) -> Self::Carry;

    /// The outputs at an epoch whose homeostatic state is `now`, `hours` after
    /// the last transition into `phase`, at local clock time `tod_hours`.
    /// This closed form is the specification; [`Model::step`] must agree with it.
    fn epoch(
        params: &Self::Params,
        now: Self::Carry,
        phase: Phase,
        hours: f64,
        tod_hours: f64,
    ) -> Self::Epoch;

    /// Recurrence state for stepping through one phase on a regular grid.
    type Walker;

    /// Starts stepping through a phase entered with `carry`, at `hours` after
    /// the transition, one grid step being `step_hours`.
    fn walk(
        params: &Self::Params,
        carry: Self::Carry,
        phase: Phase,
        hours: f64,
        step_hours: f64,
    ) -> Self::Walker;

    /// The outputs at the walker's epoch (equal to [`Model::epoch`] within
    /// 1e-9), then one step on. `day` is the circadian angle at that epoch.
    fn step(params: &Self::Params, walker: &mut Self::Walker, day: DayAngle) -> Self::Epoch;
}

/// Both models' parameters, as read from a `--params` JSON file: each field
/// is optional and falls back to the published default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelParams {
    /// Three Process Model coefficients.
    pub tpm: three_process::TpmParams,
    /// Unified Model coefficients.
    pub unified: unified::UnifiedParams,
}

impl ModelParams {
    /// Checks both parameter sets.
    ///
    /// # Errors
    /// [`EngineError::InvalidParameter`] naming the first bad coefficient.
    pub fn validate(&self) -> Result<(), EngineError> {
        self.tpm.validate()?;
        self.unified.validate()
    }
}

/// Refuses NaN and infinite coefficients.
pub(crate) fn finite(name: &'static str, value: f64) -> Result<(), EngineError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(EngineError::InvalidParameter {
            name,
            value,
            reason: "must be a finite number",
        })
    }
}

/// Refuses coefficients that are not strictly positive (and finite).
pub(crate) fn positive(name: &'static str, value: f64) -> Result<(), EngineError> {
    finite(name, value)?;
    if value > 0.0 {
        Ok(())
    } else {
        Err(EngineError::InvalidParameter {
            name,
            value,
            reason: "must be greater than zero",
        })
    }
}
