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
//! 2. Offset, shrunk by the evidence: `m = mean(clipped r)`, and
//!    `a = m · n / (n + n0)` with `n0 = prior_check_ins` (10). This is the
//!    posterior mean of a person's offset under a normal prior centred on 0
//!    (the model is right on average) with variance `τ²`, and residuals of
//!    SD `σ`: `n0 = σ² / τ²` (James & Stein 1961; Efron & Morris 1975).
//!    With 10 check-ins half the measured offset is carried, with 30 three
//!    quarters, with 90 nine tenths.
//! 3. Slope, only with the evidence for it: when `n ≥ min_check_ins_for_slope`
//!    (30) and the predictions' SD is at least `min_prediction_sd_for_slope`
//!    (1.0 KSS), a ridge regression of the clipped residuals on `p_i − p̄`
//!    (`linfa-elasticnet`, `l1_ratio = 0`, no intercept: the column is
//!    centred): `c = Σ (p_i − p̄) r_i / (Σ (p_i − p̄)² + n λ)`. Otherwise
//!    `c = 0` (slope 1). The standard error of a slope is
//!    `σ / (SD(p) √n)`, 0.18 at the thresholds with `σ = 1`.
//! 4. Bounds: `c` is clamped to `±max_slope_change` (with
//!    `max_slope_change < 1` the calibrated value never decreases as the
//!    prediction increases), and the correction `a + c (p − p̄)` to
//!    `±max_correction`. The calibrated value is kept on the KSS scale 1–9.
//!
//! Until `min_check_ins` pairs exist the calibration is the identity. The
//! thresholds are our design choices, with the standard errors behind them
//! in `docs/coaching.md`; the structure (trait-like individual differences
//! in sleepiness under the same sleep–wake history) follows Van Dongen et
//! al. 2004, *Sleep* 27(3):423–433.

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

/// The calibration's settings; the defaults are our documented choices
/// (`docs/coaching.md` gives the standard errors behind them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationParams {
    /// Check-ins needed before any correction is applied (SE of the mean
    /// offset `σ/√10` = 0.32 KSS with `σ` = 1).
    pub min_check_ins: usize,
    /// `n0` of the evidence weight `n / (n + n0)` on the offset: the number
    /// of check-ins whose evidence equals the prior's (`σ² / τ²`).
    pub prior_check_ins: f64,
    /// Check-ins needed before a slope is fitted.
    pub min_check_ins_for_slope: usize,
    /// Smallest SD of the paired predictions, KSS, for a slope to be fitted.
    pub min_prediction_sd_for_slope: f64,
    /// Ridge penalty λ of the slope towards 1.
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
            prior_check_ins: 10.0,
            min_check_ins_for_slope: 30,
            min_prediction_sd_for_slope: 1.0,
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
            "prior_check_ins",
            self.prior_check_ins,
            self.prior_check_ins >= 0.0,
        )?;
        bad(
            "min_prediction_sd_for_slope",
            self.min_prediction_sd_for_slope,
            self.min_prediction_sd_for_slope >= 0.0,
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
        /// Whether a slope was fitted (enough check-ins, spread widely
        /// enough over the predictions); else the slope is 1.
        slope_fitted: bool,
    },
}

/// A fitted per-person correction of predicted KSS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    mean_residual: f64,
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
            mean_residual: 0.0,
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
    /// // Someone who always reports one point sleepier than predicted: 20
    /// // check-ins carry 20 / (20 + 10) of that point, and too few for a slope.
    /// let pairs: Vec<KssPair> = (0..20)
    ///     .map(|i| {
    ///         let p = 3.0 + f64::from(i % 5);
    ///         KssPair { predicted: p, reported: (p + 1.0) as u8 }
    ///     })
    ///     .collect();
    /// let cal = Calibration::fit(&pairs, &CalibrationParams::default()).unwrap();
    /// let out = cal.apply(5.0);
    /// assert!((out.change - 2.0 / 3.0).abs() < 1e-9);
    /// assert!((cal.slope() - 1.0).abs() < 1e-12);
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
        let mean_residual = clipped.sum() / n as f64;
        let offset = mean_residual * evidence_weight(n, params.prior_check_ins);
        let spread = (pairs
            .iter()
            .map(|p| (p.predicted - centre).powi(2))
            .sum::<f64>()
            / n as f64)
            .sqrt();
        let slope_fitted =
            n >= params.min_check_ins_for_slope && spread >= params.min_prediction_sd_for_slope;
        let slope_change = if slope_fitted {
            let mut x = Array2::<f64>::zeros((n, 1));
            for (i, p) in pairs.iter().enumerate() {
                x[[i, 0]] = p.predicted - centre;
            }
            let model = ElasticNet::params()
                .penalty(params.ridge_penalty)
                .l1_ratio(0.0)
                .with_intercept(false)
                // One column: one coordinate-descent sweep is already
                // exact; the cap stops linfa's duality-gap test from
                // spinning to its default 1000.
                .max_iterations(50)
                .fit(&Dataset::new(x, clipped))
                .map_err(|e| CalibrationError::Fit(e.to_string()))?;
            model.hyperplane()[0]
        } else {
            0.0
        };
        if !(offset.is_finite() && slope_change.is_finite()) {
            return Err(CalibrationError::Fit("non-finite coefficients".into()));
        }
        Ok(Self {
            mean_residual,
            offset,
            slope_change: slope_change.clamp(-params.max_slope_change, params.max_slope_change),
            centre,
            max_correction: params.max_correction,
            status: CalibrationStatus::Fitted {
                check_ins: n,
                slope_fitted,
            },
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

    /// The offset applied at the mean prediction, KSS points: the mean
    /// (winsorised) residual shrunk by the evidence, `m · n / (n + n0)`
    /// (before the correction bound).
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// The mean winsorised residual `m` (reported − predicted), before
    /// shrinkage; 0 for the identity.
    pub fn mean_residual(&self) -> f64 {
        self.mean_residual
    }

    /// True when fitted from enough check-ins: the personalised figures
    /// differ from the standard ones only then.
    pub fn is_personalised(&self) -> bool {
        matches!(self.status, CalibrationStatus::Fitted { .. })
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

/// The share `n / (n + n0)` of the measured offset a calibration carries
/// (the module doc gives the reasoning); 0 without check-ins.
pub fn evidence_weight(n: usize, prior_check_ins: f64) -> f64 {
    let n = n as f64;
    if n + prior_check_ins > 0.0 {
        n / (n + prior_check_ins)
    } else {
        0.0
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
    fn the_fit_matches_the_closed_form_solution() {
        // Residuals small enough that none is clipped; the slope thresholds
        // lowered so 5 pairs fit one.
        let pairs: Vec<KssPair> = [(3.0, 4), (4.5, 5), (6.0, 7), (7.5, 8), (5.0, 6)]
            .iter()
            .map(|&(predicted, reported)| KssPair {
                predicted,
                reported,
            })
            .collect();
        let params = CalibrationParams {
            min_check_ins: 5,
            min_check_ins_for_slope: 5,
            ..CalibrationParams::default()
        };
        let cal = Calibration::fit(&pairs, &params).unwrap();
        let n = pairs.len() as f64;
        let mean_p = pairs.iter().map(|p| p.predicted).sum::<f64>() / n;
        let r: Vec<f64> = pairs
            .iter()
            .map(|p| f64::from(p.reported) - p.predicted)
            .collect();
        // Residuals 1, 0.5, 1, 0.5, 1: mean 0.8, carried 5/(5+10) = 1/3.
        let m = r.iter().sum::<f64>() / n;
        assert!((m - 0.8).abs() < 1e-12);
        assert!((cal.mean_residual() - 0.8).abs() < 1e-9);
        assert!((cal.offset() - 0.8 / 3.0).abs() < 1e-9, "{}", cal.offset());
        let sxr: f64 = pairs
            .iter()
            .zip(&r)
            .map(|(p, r)| (p.predicted - mean_p) * r)
            .sum();
        let sxx: f64 = pairs.iter().map(|p| (p.predicted - mean_p).powi(2)).sum();
        let c = sxr / (sxx + n * params.ridge_penalty);
        assert!(
            (cal.slope() - (1.0 + c)).abs() < 1e-6,
            "{} vs {}",
            cal.slope(),
            1.0 + c
        );
        assert_eq!(
            cal.status(),
            CalibrationStatus::Fitted {
                check_ins: 5,
                slope_fitted: true
            }
        );
    }

    #[test]
    fn no_slope_without_enough_check_ins_or_spread() {
        // 40 pairs at only two predictions 0.5 apart (SD 0.25 < 1.0): an
        // offset, no slope, though reports swing 2 points between them.
        let spread_out = |gap: f64| -> Vec<KssPair> {
            (0..40)
                .map(|i| {
                    let hi = i % 2 == 0;
                    KssPair {
                        predicted: if hi { 5.0 + gap } else { 5.0 - gap },
                        reported: if hi { 7 } else { 5 },
                    }
                })
                .collect()
        };
        let narrow = Calibration::fit(&spread_out(0.25), &CalibrationParams::default()).unwrap();
        assert!((narrow.slope() - 1.0).abs() < 1e-12);
        assert_eq!(
            narrow.status(),
            CalibrationStatus::Fitted {
                check_ins: 40,
                slope_fitted: false
            }
        );
        // The same at ±1.0 (SD 1.0): slope fitted. Residuals +1 at 6 and
        // +1 at 4: no slope change is needed, and none is fitted.
        let wide = Calibration::fit(&spread_out(1.0), &CalibrationParams::default()).unwrap();
        assert!(matches!(
            wide.status(),
            CalibrationStatus::Fitted {
                slope_fitted: true,
                ..
            }
        ));
        assert!((wide.slope() - 1.0).abs() < 1e-6);
        // Mean residual 1.0 carried at 40/50.
        assert!((wide.offset() - 0.8).abs() < 1e-9);
    }

    #[test]
    fn the_evidence_weight_is_n_over_n_plus_n0() {
        assert!((evidence_weight(10, 10.0) - 0.5).abs() < 1e-12);
        assert!((evidence_weight(30, 10.0) - 0.75).abs() < 1e-12);
        assert!((evidence_weight(90, 10.0) - 0.9).abs() < 1e-12);
        assert_eq!(evidence_weight(0, 0.0), 0.0);
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
