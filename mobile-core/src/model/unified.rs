//! The Unified Model of performance (UM).
//!
//! Ramakrishnan et al. (2016), *A unified model of performance for predicting
//! the effects of sleep and caffeine*, Sleep 39(10); defaults as published with
//! the FIPS package (Wilson et al. 2020). Output is predicted PVT lapses
//! ("fatigue"): higher is worse. See `docs/science.md` §2.
//!
//! # Formula
//! With `t` the hours since the last transition:
//! - awake: `S = U0 - (U0 - S_w) e^{-t/τw}`,
//!   `L = L_w e^{-t/τla} + U0 (1 - e^{-t/τla})`, `W = wc e^{wd t}`;
//! - asleep: `S = S_s e^{-t/τs} - 2U0 (1 - e^{-t/τs}) + ((L_s + 2U0) τla / (τla - τs)) (e^{-t/τla} - e^{-t/τs})`,
//!   `L = L_s e^{-t/τla} - 2U0 (1 - e^{-t/τla})`, `W = 0`;
//! - `C = Σ_{k=1..5} a_k sin(k ω (tod + φ))`, `ω = 2π/24`;
//! - fatigue `= S + κ C`.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::{Model, Phase, finite, positive};
use crate::EngineError;
use crate::recurrence::{DayAngle, Decay, hour_angle};

/// UM coefficients, defaulting to the values published with FIPS.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UnifiedParams {
    /// Upper asymptote of S (`U0`).
    pub u0: f64,
    /// L at the start of a series (`L0`).
    pub l0: f64,
    /// S at the start of a series (`S0`).
    pub s0: f64,
    /// Circadian phase, hours (`phi`).
    pub phi: f64,
    /// Circadian amplitude scaling (`kappa`).
    pub kappa: f64,
    /// Time constant of S while asleep, hours (`tau_s`).
    pub tau_s: f64,
    /// Time constant of S while awake, hours (`tau_w`).
    pub tau_w: f64,
    /// Time constant of the long-term process L, hours (`tau_la`).
    pub tau_la: f64,
    /// Sleep inertia at waking (`wc`).
    pub wc: f64,
    /// Sleep inertia decay rate, per hour (`wd`).
    pub wd: f64,
    /// Circadian harmonic amplitudes `a_1..a_5`.
    pub harmonics: [f64; 5],
}

impl Default for UnifiedParams {
    fn default() -> Self {
        Self {
            u0: 24.12,
            l0: 0.0,
            s0: 0.0,
            phi: 2.02,
            kappa: 4.13,
            tau_s: 1.0,
            tau_w: 40.0,
            tau_la: 4.06 * 24.0,
            wc: 1.14,
            wd: -0.46,
            harmonics: [0.97, 0.22, 0.07, 0.03, 0.0001],
        }
    }
}

impl UnifiedParams {
    /// Checks every coefficient is finite, the time constants positive and
    /// `tau_la != tau_s` (the asleep S formula divides by their difference).
    ///
    /// # Errors
    /// [`EngineError::InvalidParameter`] naming the first bad coefficient.
    pub fn validate(&self) -> Result<(), EngineError> {
        for (name, value) in [
            ("unified.u0", self.u0),
            ("unified.l0", self.l0),
            ("unified.s0", self.s0),
            ("unified.phi", self.phi),
            ("unified.kappa", self.kappa),
            ("unified.wc", self.wc),
            ("unified.wd", self.wd),
        ] {
            finite(name, value)?;
        }
        for (i, a) in self.harmonics.iter().enumerate() {
            finite(HARMONIC_NAMES[i], *a)?;
        }
        positive("unified.tau_s", self.tau_s)?;
        positive("unified.tau_w", self.tau_w)?;
        positive("unified.tau_la", self.tau_la)?;
        if (self.tau_la - self.tau_s).abs() < 1e-9 {
            return Err(EngineError::InvalidParameter {
                name: "unified.tau_la",
                value: self.tau_la,
                reason: "must differ from unified.tau_s",
            });
        }
        Ok(())
    }
}

const HARMONIC_NAMES: [&str; 5] = [
    "unified.harmonics[0]",
    "unified.harmonics[1]",
    "unified.harmonics[2]",
    "unified.harmonics[3]",
    "unified.harmonics[4]",
];

/// The homeostatic state of the UM: the short-term S and long-term L.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UnifiedState {
    /// Short-term homeostatic process S.
    pub s: f64,
    /// Long-term (chronic) process L.
    pub l: f64,
}

/// One epoch of UM output, the columns of the reference vectors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnifiedEpoch {
    /// Short-term homeostatic process S.
    pub s: f64,
    /// Long-term process L.
    pub l: f64,
    /// Circadian process C.
    pub c: f64,
    /// Sleep inertia W (0 asleep; reported, not added to fatigue, as in FIPS).
    pub w: f64,
    /// Predicted fatigue (PVT lapses) `S + κ C`.
    pub fatigue: f64,
}

/// The Unified Model.
#[derive(Debug, Clone, Copy)]
pub struct UnifiedModel;

impl UnifiedModel {
    /// `C` at local clock hour `tod`.
    pub fn circadian(p: &UnifiedParams, tod: f64) -> f64 {
        let x = 2.0 * PI / 24.0 * (tod + p.phi);
        p.harmonics
            .iter()
            .enumerate()
            .map(|(i, a)| a * ((i + 1) as f64 * x).sin())
            .sum()
    }
}

/// Steps the UM through one phase (see [`crate::recurrence`]).
#[derive(Debug, Clone)]
pub struct UnifiedWalker {
    phase: Phase,
    at: UnifiedState,
    /// `e^{−t/τw}`, `e^{−t/τla}`, `e^{−t/τs}`, `e^{wd t}`.
    decay_w: Decay,
    decay_la: Decay,
    decay_s: Decay,
    inertia: Decay,
    /// `(cos, sin)` of `2π/24 · φ`.
    phase_shift: (f64, f64),
}

impl Model for UnifiedModel {
    type Params = UnifiedParams;
    type Carry = UnifiedState;
    type Epoch = UnifiedEpoch;
    type Walker = UnifiedWalker;

    fn walk(
        p: &UnifiedParams,
        at: UnifiedState,
        phase: Phase,
        hours: f64,
        step: f64,
    ) -> UnifiedWalker {
        UnifiedWalker {
            phase,
            at,
            decay_w: Decay::new(-1.0 / p.tau_w, hours, step),
            decay_la: Decay::new(-1.0 / p.tau_la, hours, step),
            decay_s: Decay::new(-1.0 / p.tau_s, hours, step),
            inertia: Decay::new(p.wd, hours, step),
            phase_shift: hour_angle(p.phi),
        }
    }

    fn step(p: &UnifiedParams, w: &mut UnifiedWalker, day: DayAngle) -> UnifiedEpoch {
        let (dla, at) = (w.decay_la.value(), w.at);
        let (s, l, inertia) = match w.phase {
            Phase::Awake => (
                p.u0 - (p.u0 - at.s) * w.decay_w.value(),
                at.l * dla + p.u0 * (1.0 - dla),
                p.wc * w.inertia.value(),
            ),
            Phase::Asleep => {
                let ds = w.decay_s.value();
                (
                    at.s * ds - 2.0 * p.u0 * (1.0 - ds)
                        + ((at.l + 2.0 * p.u0) * p.tau_la / (p.tau_la - p.tau_s)) * (dla - ds),
                    at.l * dla - 2.0 * p.u0 * (1.0 - dla),
                    0.0,
                )
            }
        };
        // sin(k x) for k = 1..5 by the Chebyshev recurrence from x = A + 2π/24 φ.
        let x = day.plus(w.phase_shift);
        let (mut previous, mut current, mut c) = (0.0, x.sin, 0.0);
        for a in p.harmonics {
            c += a * current;
            let next = 2.0 * x.cos * current - previous;
            previous = current;
            current = next;
        }
        w.decay_w.advance();
        w.decay_la.advance();
        w.decay_s.advance();
        w.inertia.advance();
        UnifiedEpoch {
            s,
            l,
            c,
            w: inertia,
            fatigue: s + p.kappa * c,
        }
    }

    fn validate(params: &UnifiedParams) -> Result<(), EngineError> {
        params.validate()
    }

    fn initial(p: &UnifiedParams) -> UnifiedState {
        UnifiedState { s: p.s0, l: p.l0 }
    }

    fn evolve(p: &UnifiedParams, at: UnifiedState, phase: Phase, t: f64) -> UnifiedState {
        let decay_la = (-t / p.tau_la).exp();
        match phase {
            Phase::Awake => UnifiedState {
                s: p.u0 - (p.u0 - at.s) * (-t / p.tau_w).exp(),
                l: at.l * decay_la + p.u0 * (1.0 - decay_la),
            },
            Phase::Asleep => {
                let decay_s = (-t / p.tau_s).exp();
                UnifiedState {
                    s: at.s * decay_s - 2.0 * p.u0 * (1.0 - decay_s)
                        + ((at.l + 2.0 * p.u0) * p.tau_la / (p.tau_la - p.tau_s))
                            * (decay_la - decay_s),
                    l: at.l * decay_la - 2.0 * p.u0 * (1.0 - decay_la),
                }
            }
        }
    }

    fn epoch(p: &UnifiedParams, now: UnifiedState, phase: Phase, t: f64, tod: f64) -> UnifiedEpoch {
        let c = Self::circadian(p, tod);
        let w = match phase {
            Phase::Awake => p.wc * (p.wd * t).exp(),
            Phase::Asleep => 0.0,
        };
        UnifiedEpoch {
            s: now.s,
            l: now.l,
            c,
            w,
            fatigue: now.s + p.kappa * c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_time_constants_are_refused() {
        let p = UnifiedParams {
            tau_la: 1.0,
            ..UnifiedParams::default()
        };
        assert!(p.validate().is_err());
        let nan = UnifiedParams {
            harmonics: [0.97, f64::NAN, 0.0, 0.0, 0.0],
            ..UnifiedParams::default()
        };
        assert!(matches!(
            nan.validate(),
            Err(EngineError::InvalidParameter {
                name: "unified.harmonics[1]",
                ..
            })
        ));
    }
}
