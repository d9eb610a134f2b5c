//! The Three Process Model of alertness (TPM).
//!
//! Åkerstedt & Folkard's model with the coefficients of Ingre et al. (2014),
//! *Validating and extending the Three Process Model of Alertness in Airline
//! Operations*, PLoS ONE 9(10) e108679, as implemented in the FIPS package
//! (Wilson et al. 2020, JOSS 5(51) 2340). See `docs/science.md` §1.
//!
//! # Formula
//! With `t` the hours since the last transition and `tod` the local clock hour:
//! - awake: `S = la + (S_w - la) e^{d t}`, `W = Wc e^{Wd t}`;
//! - asleep: `tb = (bl - S_s) / (g (bl - ha))`; `S = S_s + t g (bl - ha)` for
//!   `t <= tb`, else `S = ha - (ha - bl) e^{g (t - tb)}`; `W = 0`;
//! - `C = Cm + Ca cos(2π/24 (tod - p))`, `U = Um + Ua cos(2π/12 (tod - p - 3))`;
//! - alertness `= S + C + U`; `KSS = 10.6 - 0.6 (S + C + U + W)`.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::{Model, Phase, finite, positive};
use crate::EngineError;
use crate::recurrence::{DayAngle, Decay, hour_angle};

/// TPM coefficients, defaulting to the published values (Ingre et al. 2014).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TpmParams {
    /// Low asymptote of S while awake (`la`).
    pub la: f64,
    /// High asymptote of S while asleep (`ha`).
    pub ha: f64,
    /// Decay rate of S while awake, per hour (`d`).
    pub d: f64,
    /// Recovery rate of S while asleep, per hour (`g`).
    pub g: f64,
    /// S level where sleep recovery turns exponential (`bl`).
    pub bl: f64,
    /// Circadian mesor (`Cm`).
    pub cm: f64,
    /// Circadian amplitude (`Ca`).
    pub ca: f64,
    /// Circadian acrophase, clock hours (`p`).
    pub p: f64,
    /// Ultradian mesor (`Um`).
    pub um: f64,
    /// Ultradian amplitude (`Ua`).
    pub ua: f64,
    /// Sleep inertia at waking (`Wc`).
    pub wc: f64,
    /// Sleep inertia decay rate, per hour (`Wd`).
    pub wd: f64,
    /// S at the start of a series (`S0`).
    pub s0: f64,
    /// KSS intercept of the alertness-to-KSS mapping.
    pub kss_intercept: f64,
    /// KSS slope of the alertness-to-KSS mapping.
    pub kss_slope: f64,
}

impl Default for TpmParams {
    fn default() -> Self {
        Self {
            la: 2.4,
            ha: 14.3,
            d: -0.0353,
            g: ((14.3_f64 - 14.0) / (14.3 - 7.96)).ln() / 8.0,
            bl: 12.2,
            cm: 0.0,
            ca: 2.5,
            p: 16.8,
            um: -0.5,
            ua: 0.5,
            wc: -5.72,
            wd: -1.51,
            s0: 7.96,
            kss_intercept: 10.6,
            kss_slope: -0.6,
        }
    }
}

impl TpmParams {
    /// Checks every coefficient is finite and the asymptotes are ordered
    /// (`la < bl < ha`), with `g < 0` so sleep recovers S.
    ///
    /// # Errors
    /// [`EngineError::InvalidParameter`] naming the first bad coefficient.
    pub fn validate(&self) -> Result<(), EngineError> {
        for (name, value) in [
            ("tpm.la", self.la),
            ("tpm.ha", self.ha),
            ("tpm.d", self.d),
            ("tpm.g", self.g),
            ("tpm.bl", self.bl),
            ("tpm.cm", self.cm),
            ("tpm.ca", self.ca),
            ("tpm.p", self.p),
            ("tpm.um", self.um),
            ("tpm.ua", self.ua),
            ("tpm.wc", self.wc),
            ("tpm.wd", self.wd),
            ("tpm.s0", self.s0),
            ("tpm.kss_intercept", self.kss_intercept),
            ("tpm.kss_slope", self.kss_slope),
        ] {
            finite(name, value)?;
        }
        positive("tpm.-g", -self.g).map_err(|_| EngineError::InvalidParameter {
            name: "tpm.g",
            value: self.g,
            reason: "must be negative (sleep recovers S)",
        })?;
        if !(self.la < self.bl && self.bl < self.ha) {
            return Err(EngineError::InvalidParameter {
                name: "tpm.bl",
                value: self.bl,
                reason: "must lie strictly between tpm.la and tpm.ha",
            });
        }
        Ok(())
    }
}

/// One epoch of TPM output, the columns of the reference vectors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TpmEpoch {
    /// Homeostatic process S.
    pub s: f64,
    /// Circadian process C.
    pub c: f64,
    /// Sleep inertia W (0 asleep).
    pub w: f64,
    /// Ultradian process U.
    pub u: f64,
    /// Predicted Karolinska Sleepiness Scale, including W.
    pub kss: f64,
    /// Alertness `S + C + U` (without W, as in FIPS).
    pub alertness: f64,
}

/// The Three Process Model.
#[derive(Debug, Clone, Copy)]
pub struct ThreeProcessModel;

impl ThreeProcessModel {
    /// `C` and `U` at local clock hour `tod`.
    pub fn circadian(params: &TpmParams, tod: f64) -> (f64, f64) {
        let c = params.cm + params.ca * (2.0 * PI / 24.0 * (tod - params.p)).cos();
        let u = params.um + params.ua * (2.0 * PI / 12.0 * (tod - params.p - 3.0)).cos();
        (c, u)
    }
}

/// Steps the TPM through one phase (see [`crate::recurrence`]).
#[derive(Debug, Clone)]
pub struct TpmWalker {
    phase: Phase,
    s_at: f64,
    t0: f64,
    step: f64,
    n: u32,
    /// `e^{d t}` awake.
    wake_decay: Decay,
    /// `e^{Wd t}` awake.
    inertia: Decay,
    /// Asleep: `tb`, and `e^{g (t − tb)}` once past it.
    tb: f64,
    recovery: Option<Decay>,
    /// `(cos, sin)` of the acrophase angle `2π/24 · p`.
    acrophase: (f64, f64),
}

impl Model for ThreeProcessModel {
    type Params = TpmParams;
    /// S at the last transition.
    type Carry = f64;
    type Epoch = TpmEpoch;
    type Walker = TpmWalker;

    fn walk(p: &TpmParams, s_at: f64, phase: Phase, hours: f64, step: f64) -> TpmWalker {
        TpmWalker {
            phase,
            s_at,
            t0: hours,
            step,
            n: 0,
            wake_decay: Decay::new(p.d, hours, step),
            inertia: Decay::new(p.wd, hours, step),
            tb: (p.bl - s_at) / (p.g * (p.bl - p.ha)),
            recovery: None,
            acrophase: hour_angle(p.p),
        }
    }

    fn step(p: &TpmParams, w: &mut TpmWalker, day: DayAngle) -> TpmEpoch {
        let t = w.t0 + f64::from(w.n) * w.step;
        let (s, inertia) = match w.phase {
            Phase::Awake => (
                p.la + (w.s_at - p.la) * w.wake_decay.value(),
                p.wc * w.inertia.value(),
            ),
            Phase::Asleep if t <= w.tb => (w.s_at + t * p.g * (p.bl - p.ha), 0.0),
            Phase::Asleep => {
                let recovery = w
                    .recovery
                    .get_or_insert_with(|| Decay::new(p.g, t - w.tb, w.step));
                (p.ha - (p.ha - p.bl) * recovery.value(), 0.0)
            }
        };
        let b = day.minus(w.acrophase);
        let c = p.cm + p.ca * b.cos;
        // cos(2π/12 (tod − p − 3)) = cos(2B − π/2) = sin 2B.
        let u = p.um + p.ua * 2.0 * b.sin * b.cos;
        let alertness = s + c + u;
        w.n += 1;
        w.wake_decay.advance();
        w.inertia.advance();
        if let Some(r) = w.recovery.as_mut() {
            r.advance();
        }
        TpmEpoch {
            s,
            c,
            w: inertia,
            u,
            kss: p.kss_intercept + p.kss_slope * (alertness + inertia),
            alertness,
        }
    }

    fn validate(params: &TpmParams) -> Result<(), EngineError> {
        params.validate()
    }

    fn initial(params: &TpmParams) -> f64 {
        params.s0
    }

    fn evolve(p: &TpmParams, s_at: f64, phase: Phase, hours: f64) -> f64 {
        match phase {
            Phase::Awake => p.la + (s_at - p.la) * (p.d * hours).exp(),
            Phase::Asleep => {
                let slope = p.g * (p.bl - p.ha);
                let tb = (p.bl - s_at) / slope;
                if hours <= tb {
                    s_at + hours * slope
                } else {
                    p.ha - (p.ha - p.bl) * (p.g * (hours - tb)).exp()
                }
            }
        }
    }

    fn epoch(p: &TpmParams, s: f64, phase: Phase, hours: f64, tod: f64) -> TpmEpoch {
        let (c, u) = Self::circadian(p, tod);
        let w = match phase {
            Phase::Awake => p.wc * (p.wd * hours).exp(),
            Phase::Asleep => 0.0,
        };
        let alertness = s + c + u;
        TpmEpoch {
            s,
            c,
            w,
            u,
            kss: p.kss_intercept + p.kss_slope * (alertness + w),
            alertness,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_or_misordered_parameters_are_refused() {
        let nan = TpmParams {
            d: f64::NAN,
            ..TpmParams::default()
        };
        assert!(matches!(
            nan.validate(),
            Err(EngineError::InvalidParameter { name: "tpm.d", .. })
        ));
        let misordered = TpmParams {
            bl: 20.0,
            ..TpmParams::default()
        };
        assert!(misordered.validate().is_err());
        assert!(TpmParams::default().validate().is_ok());
    }

    #[test]
    fn sleep_onset_below_bl_is_linear_then_exponential() {
        let p = TpmParams::default();
        let slope = p.g * (p.bl - p.ha);
        let s = ThreeProcessModel::evolve(&p, 8.0, Phase::Asleep, 1.0);
        assert!((s - (8.0 + slope)).abs() < 1e-12);
        // Continuous at tb.
        let tb = (p.bl - 8.0) / slope;
        let before = ThreeProcessModel::evolve(&p, 8.0, Phase::Asleep, tb - 1e-9);
        let after = ThreeProcessModel::evolve(&p, 8.0, Phase::Asleep, tb + 1e-9);
        assert!((before - after).abs() < 1e-6);
    }
}
