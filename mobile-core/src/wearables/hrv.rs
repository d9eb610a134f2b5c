//! Time-domain HRV from NN (normal-to-normal RR) intervals, as chest straps export them.
//!
//! # Formula
//! For NN intervals `x_1..x_N` in ms (Task Force of the ESC and NASPE 1996,
//! "Heart rate variability: standards of measurement", Circulation 93:1043):
//! - `SDNN = sqrt( Σ (x_i − x̄)² / (N − 1) )` (sample standard deviation);
//! - `RMSSD = sqrt( Σ_{i=1}^{N−1} (x_{i+1} − x_i)² / (N − 1) )`.
//!
//! These are the definitions pyHRV uses (`pyhrv.time_domain.sdnn` with
//! `dof = 1`, `pyhrv.time_domain.rmssd`); `scripts/ci/20-hrv-crosscheck.sh`
//! compares this module with pyHRV on pyHRV's own sample NN series.

use serde::{Deserialize, Serialize};

/// Why a series of NN intervals gives no HRV.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum HrvError {
    /// Fewer than two intervals.
    #[error("need at least 2 NN intervals, got {count}")]
    TooFew {
        /// How many there were.
        count: usize,
    },
    /// An interval that is not a finite positive number of milliseconds.
    #[error("NN interval {index} is not a positive finite number of ms")]
    BadInterval {
        /// Its 0-based position.
        index: usize,
    },
}

fn check(nn_ms: &[f64]) -> Result<(), HrvError> {
    if nn_ms.len() < 2 {
        return Err(HrvError::TooFew { count: nn_ms.len() });
    }
    match nn_ms.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
        Some(index) => Err(HrvError::BadInterval { index }),
        None => Ok(()),
    }
}

/// SDNN of NN intervals in ms (see the module's formula).
///
/// # Errors
/// [`HrvError`] for fewer than two intervals or a non-positive one.
///
/// # Example
/// ```
/// let sdnn = mobile_core::wearables::hrv::sdnn(&[800.0, 810.0, 790.0]).unwrap();
/// assert!((sdnn - 10.0).abs() < 1e-12);
/// ```
pub fn sdnn(nn_ms: &[f64]) -> Result<f64, HrvError> {
    check(nn_ms)?;
    let n = nn_ms.len() as f64;
    let mean = nn_ms.iter().sum::<f64>() / n;
    let ss: f64 = nn_ms.iter().map(|x| (x - mean).powi(2)).sum();
    Ok((ss / (n - 1.0)).sqrt())
}

/// RMSSD of NN intervals in ms (see the module's formula).
///
/// # Errors
/// [`HrvError`] for fewer than two intervals or a non-positive one.
///
/// # Example
/// ```
/// let rmssd = mobile_core::wearables::hrv::rmssd(&[800.0, 810.0, 790.0]).unwrap();
/// // successive differences 10 and -20: sqrt((100 + 400) / 2)
/// assert!((rmssd - 250.0_f64.sqrt()).abs() < 1e-12);
/// ```
pub fn rmssd(nn_ms: &[f64]) -> Result<f64, HrvError> {
    check(nn_ms)?;
    let ss: f64 = nn_ms.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    Ok((ss / (nn_ms.len() - 1) as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bad_series_are_refused() {
        assert_eq!(sdnn(&[800.0]), Err(HrvError::TooFew { count: 1 }));
        assert_eq!(
            rmssd(&[800.0, 0.0, 790.0]),
            Err(HrvError::BadInterval { index: 1 })
        );
        assert!(rmssd(&[800.0, f64::NAN]).is_err());
    }

    proptest! {
        #[test]
        fn constant_series_have_no_variability(x in 300.0..2000.0_f64, n in 2..50_usize) {
            let nn = vec![x; n];
            prop_assert!(sdnn(&nn).unwrap().abs() < 1e-9);
            prop_assert!(rmssd(&nn).unwrap().abs() < 1e-9);
        }

        #[test]
        fn shifting_all_intervals_changes_neither(
            nn in prop::collection::vec(400.0..1500.0_f64, 2..100),
            shift in 0.0..200.0_f64,
        ) {
            let shifted: Vec<f64> = nn.iter().map(|x| x + shift).collect();
            prop_assert!((sdnn(&nn).unwrap() - sdnn(&shifted).unwrap()).abs() < 1e-6);
            prop_assert!((rmssd(&nn).unwrap() - rmssd(&shifted).unwrap()).abs() < 1e-6);
        }
    }
}
