//! Personal calibration: a per-person correction of predicted KSS towards the
//! KSS the person reports.
//!
//! The models predict the sleepiness of an average person; people differ. Once
//! a person has given enough KSS check-ins, each paired with the model's
//! prediction at that instant, we fit a small linear correction and show how
//! much it moved the prediction.
//!
//! # Formula
//! With `p_i` the predicted and `k_i` the reported KSS of check-in `i`
//! (`i = 1..n`), `p̄` the mean prediction and `r_i = k_i − p_i` the residual:
//!
//! 1. Robustness: each residual is clipped to `median(r) ± residual_clip`
//!    (winsorising), so one odd night moves the fit by at most
//!    `residual_clip / n` rather than by its whole error.
//! 2. Ridge regression of the clipped residuals on `[1, p_i − p̄]` with no
//!    free intercept, fitted by `linfa-elasticnet` with `l1_ratio = 0`:
//!    minimise `1/(2n) Σ (r_i − a − c (p_i − p̄))² + ½ λ (a² + c²)`.
//!    Both coefficients shrink towards 0, i.e. the calibration shrinks
//!    towards the identity `k = p` (`a = 0`, slope `b = 1 + c = 1`).
//! 3. Bounds: `c` is clamped to `±max_slope_change` (with
//!    `max_slope_change < 1` the calibrated value never decreases as the
//!    prediction increases), and the correction `a + c (p − p̄)` to
//!    `±max_correction`. The calibrated value is kept on the KSS scale 1–9.
//!
//! Until `min_check_ins` pairs exist the calibration is the identity.
//! The thresholds are our design choices (`docs/coaching.md`); the structure
//! (individual differences in sleepiness under the same sleep–wake history)
//! follows Van Dongen et al. 2004, *Sleep* 27(3):423–433.

use chrono::{DateTime, Utc};
use linfa::prelude::*;
use linfa_elasticnet::ElasticNet;
use models::sync::CheckInScale;
use ndarray::{Array1, Array2};

use crate::checkin::CheckIn;

/// Lowest and highest KSS scores.
const KSS_MIN: f64 = 1.0;
const KSS_MAX: f64 = 9.0;

/// Why a calibration could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    /// A predicted or reported KSS is not a finite value on the 1–9 scale.
    #[error("sample {index}: KSS {value} is not on the 1–9 scale")]
    OutOfRange {
        /// Position of the sample.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The parameters are not usable (negative penalty, bounds out of range).
    #[error("calibration parameter {name} = {value} is out of range")]
    BadParameter {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// The regression failed (reported by linfa).
    #[error("the regression failed: {0}")]
    Fit(String),
}

/// One check-in paired with the model's prediction at the same instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KssPair {
    /// The model's KSS at the check-in's instant.
    pub predicted: f64,
    /// The KSS the person reported.
    pub reported: u8,
}

impl KssPair {
    /// Pairs each KSS check-in with the model's prediction at its instant;
    /// Samn-Perelli check-ins, and instants `predict` has no value for, are
    /// skipped.
    pub fn from_check_ins(
        check_ins: &[CheckIn],
        predict: impl Fn(DateTime<Utc>) -> Option<f64>,
    ) -> Vec<KssPair> {
        check_ins
            .iter()
            .filter(|c| c.scale() == CheckInScale::Kss)
            .filter_map(|c| {
                predict(c.taken_at()).map(|predicted| KssPair {
                    predicted,
                    reported: c.value(),
                })
            })
            .collect()
    }
}

/// The calibration's settings; the defaults are our documented choices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationParams {
    /// Check-ins needed before any correction is applied.
    pub min_check_ins: usize,
    /// Ridge penalty λ towards the identity.
    pub ridge_penalty: f64,
    /// Residuals are clipped to the median ± this many KSS points.
    pub residual_clip: f64,
    /// Largest correction applied, in KSS points.
    pub max_correction: f64,
    /// Largest change of slope away from 1 (below 1 keeps it monotone).
    pub max_slope_change: f64,
}

impl Default for CalibrationParams {
    fn default() -> Self {
        Self {
            min_check_ins: 10,
            ridge_penalty: 0.05,
            residual_clip: 1.5,
            max_correction: 1.5,
            max_slope_change: 0.5,
        }
    }
}

impl CalibrationParams {
    fn check(&self) -> Result<(), CalibrationError> {
        let bad = |name, value: f64, ok: bool| {
            if ok && value.is_finite() {
                Ok(())
            } else {
                Err(CalibrationError::BadParameter { name, value })
            }
        };
        bad(
            "ridge_penalty",
            self.ridge_penalty,
            self.ridge_penalty >= 0.0,
        )?;
        bad(
            "residual_clip",
            self.residual_clip,
            self.residual_clip > 0.0,
        )?;
        bad(
            "max_correction",
            self.max_correction,
            (0.0..=8.0).contains(&self.max_correction),
        )?;
        bad(
            "max_slope_change",
            self.max_slope_change,
            (0.0..1.0).contains(&self.max_slope_change),
        )
    }
}

/// How a calibration came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalibrationStatus {
    /// Too few check-ins: the identity is used.
    TooFewCheckIns {
        /// Pairs given.
        have: usize,
        /// Pairs needed.
        need: usize,
    },
    /// Fitted from this many pairs.
    Fitted {
        /// Pairs used.
        check_ins: usize,
    },
}

/// A fitted per-person correction of predicted KSS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    offset: f64,
    slope_change: f64,
    centre: f64,
    max_correction: f64,
    status: CalibrationStatus,
}

/// The result of applying a calibration to one prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibrated {
    /// The calibrated KSS, on the 1–9 scale.
    pub kss: f64,
    /// How much the calibration changed the prediction (calibrated −
    /// predicted, the prediction first held to 1–9), KSS points.
    pub change: f64,
}

impl Calibration {
    /// The identity: no correction.
    pub fn identity(status: CalibrationStatus) -> Self {
        Self {
            offset: 0.0,
            slope_change: 0.0,
            centre: 5.0,
            max_correction: 0.0,
            status,
        }
    }

    /// Fits a calibration to `pairs` (see the module doc for the formula).
    ///
    /// # Errors
    /// [`CalibrationError::OutOfRange`] for a prediction or report off the
    /// 1–9 scale; [`CalibrationError::BadParameter`] for unusable settings;
    /// [`CalibrationError::Fit`] if the regression fails.
    ///
    /// # Example
    /// ```
    /// use mobile_core::calibration::{Calibration, CalibrationParams, KssPair};
    /// // Someone who always reports one point sleepier than predicted.
    /// let pairs: Vec<KssPair> = (0..20)
    ///     .map(|i| {
    ///         let p = 3.0 + f64::from(i % 5);
    ///         KssPair { predicted: p, reported: (p + 1.0) as u8 }
    ///     })
    ///     .collect();
    /// let cal = Calibration::fit(&pairs, &CalibrationParams::default()).unwrap();
    /// let out = cal.apply(5.0);
    /// assert!((out.change - 1.0).abs() < 0.1);
    /// ```
    pub fn fit(pairs: &[KssPair], params: &CalibrationParams) -> Result<Self, CalibrationError> {
        params.check()?;
        for (index, p) in pairs.iter().enumerate() {
            for value in [p.predicted, f64::from(p.reported)] {
                if !(value.is_finite() && (KSS_MIN..=KSS_MAX).contains(&value)) {
                    return Err(CalibrationError::OutOfRange { index, value });
                }
            }
        }
        let n = pairs.len();
        if n < params.min_check_ins.max(2) {
            return Ok(Self::identity(CalibrationStatus::TooFewCheckIns {
                have: n,
                need: params.min_check_ins.max(2),
            }));
        }
        let centre = pairs.iter().map(|p| p.predicted).sum::<f64>() / n as f64;
        let residuals: Vec<f64> = pairs
            .iter()
            .map(|p| f64::from(p.reported) - p.predicted)
            .collect();
        let mid = median(&residuals);
        let clipped: Array1<f64> = residuals
            .iter()
            .map(|r| r.clamp(mid - params.residual_clip, mid + params.residual_clip))
            .collect();
        let mut x = Array2::<f64>::ones((n, 2));
        for (i, p) in pairs.iter().enumerate() {
            x[[i, 1]] = p.predicted - centre;
        }
        let model = ElasticNet::params()
            .penalty(params.ridge_penalty)
            .l1_ratio(0.0)
            .with_intercept(false)
            // The two columns are orthogonal (the prediction is centred), so
            // one coordinate-descent sweep is already exact; the cap stops
            // linfa's duality-gap test from spinning to its default 1000.
            .max_iterations(50)
            .fit(&Dataset::new(x, clipped))
            .map_err(|e| CalibrationError::Fit(e.to_string()))?;
        let w = model.hyperplane();
        let (offset, slope_change) = (w[0], w[1]);
        if !(offset.is_finite() && slope_change.is_finite()) {
            return Err(CalibrationError::Fit("non-finite coefficients".into()));
        }
        Ok(Self {
            offset,
            slope_change: slope_change.clamp(-params.max_slope_change, params.max_slope_change),
            centre,
            max_correction: params.max_correction,
            status: CalibrationStatus::Fitted { check_ins: n },
        })
    }

    /// Applies the correction to a predicted KSS.
    ///
    /// # Formula
    /// `p' = clamp(p, 1, 9)`, `δ = clamp(a + c (p' − p̄), −m, m)`,
    /// `kss = clamp(p' + δ, 1, 9)`, `change = kss − p'`.
    /// A non-finite prediction is returned unchanged with `change = 0`.
    pub fn apply(&self, predicted: f64) -> Calibrated {
        if !predicted.is_finite() {
            return Calibrated {
                kss: predicted,
                change: 0.0,
            };
        }
        let p = predicted.clamp(KSS_MIN, KSS_MAX);
        let delta = (self.offset + self.slope_change * (p - self.centre))
            .clamp(-self.max_correction, self.max_correction);
        let kss = (p + delta).clamp(KSS_MIN, KSS_MAX);
        Calibrated {
            kss,
            change: kss - p,
        }
    }

    /// The fitted offset `a` at the mean prediction, KSS points (before the
    /// correction bound).
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// The fitted slope `b = 1 + c` of reported on predicted KSS.
    pub fn slope(&self) -> f64 {
        1.0 + self.slope_change
    }

    /// Whether it was fitted, and from how many check-ins.
    pub fn status(&self) -> CalibrationStatus {
        self.status
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_handles_odd_and_even_lengths() {
        assert!((median(&[3.0, 1.0, 2.0]) - 2.0).abs() < 1e-12);
        assert!((median(&[4.0, 1.0, 2.0, 3.0]) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn only_kss_check_ins_with_a_prediction_are_paired() {
        use chrono::TimeZone;
        use models::sync::CheckInContext;
        let at = |h| Utc.with_ymd_and_hms(2025, 3, 1, h, 0, 0).unwrap();
        let now = at(12);
        let c = |h, scale, v| CheckIn::new(at(h), scale, v, CheckInContext::Other, now).unwrap();
        let check_ins = [
            c(6, CheckInScale::Kss, 3),
            c(7, CheckInScale::SamnPerelli, 4),
            c(8, CheckInScale::Kss, 6),
            c(9, CheckInScale::Kss, 7),
        ];
        // No prediction at 09:00 (say, outside the simulated span).
        let pairs = KssPair::from_check_ins(&check_ins, |t| {
            (t < at(9)).then(|| 2.0 + f64::from(chrono::Timelike::hour(&t)) / 4.0)
        });
        assert_eq!(
            pairs,
            vec![
                KssPair {
                    predicted: 3.5,
                    reported: 3
                },
                KssPair {
                    predicted: 4.0,
                    reported: 6
                },
            ]
        );
    }

    #[test]
    fn the_fit_matches_the_closed_form_ridge_solution() {
        // Residuals small enough that none is clipped.
        let pairs: Vec<KssPair> = [(3.0, 4), (4.5, 5), (6.0, 7), (7.5, 8), (5.0, 6)]
            .iter()
            .map(|&(predicted, reported)| KssPair {
                predicted,
                reported,
            })
            .collect();
        let params = CalibrationParams {
            min_check_ins: 5,
            ..CalibrationParams::default()
        };
        let cal = Calibration::fit(&pairs, &params).unwrap();
        let n = pairs.len() as f64;
        let mean_p = pairs.iter().map(|p| p.predicted).sum::<f64>() / n;
        let r: Vec<f64> = pairs
            .iter()
            .map(|p| f64::from(p.reported) - p.predicted)
            .collect();
        let a = r.iter().sum::<f64>() / n / (1.0 + params.ridge_penalty);
        let sxr: f64 = pairs
            .iter()
            .zip(&r)
            .map(|(p, r)| (p.predicted - mean_p) * r)
            .sum();
        let sxx: f64 = pairs.iter().map(|p| (p.predicted - mean_p).powi(2)).sum();
        let c = sxr / (sxx + n * params.ridge_penalty);
        assert!((cal.offset() - a).abs() < 1e-6, "{} vs {a}", cal.offset());
        assert!(
            (cal.slope() - (1.0 + c)).abs() < 1e-6,
            "{} vs {}",
            cal.slope(),
            1.0 + c
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        let p = CalibrationParams {
            max_slope_change: 1.0,
            ..CalibrationParams::default()
        };
        assert!(matches!(
            Calibration::fit(&[], &p),
            Err(CalibrationError::BadParameter {
                name: "max_slope_change",
                ..
            })
        ));
    }
}
