//! Personal calibration on synthetic people with a known bias.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mobile_core::calibration::{
    Calibration, CalibrationError, CalibrationParams, CalibrationStatus, KssPair,
};
use proptest::prelude::*;

/// A deterministic stream in [0, 1) (SplitMix64), so each synthetic person
/// is the same on every run.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` check-ins of a person whose report is `bias + slope * (p - 5) + 5`
/// plus noise of ±0.5, rounded to the scale, with predictions spread over
/// 2.5–7.5.
fn person(n: usize, bias: f64, slope: f64, seed: u64) -> Vec<KssPair> {
    let mut s = Stream(seed);
    (0..n)
        .map(|_| {
            let predicted = 2.5 + 5.0 * s.next();
            let felt = 5.0 + slope * (predicted - 5.0) + bias + (s.next() - 0.5);
            KssPair {
                predicted,
                reported: felt.round().clamp(1.0, 9.0) as u8,
            }
        })
        .collect()
}

fn fit(pairs: &[KssPair]) -> Calibration {
    Calibration::fit(pairs, &CalibrationParams::default()).unwrap()
}

/// The share of the measured offset `n` check-ins carry: `n / (n + 10)`.
fn weight(n: usize) -> f64 {
    n as f64 / (n as f64 + 10.0)
}

#[test]
fn a_person_who_reports_one_point_higher_is_corrected_by_about_one_shrunk() {
    for seed in [1, 2, 3] {
        let pairs = person(60, 1.0, 1.0, seed);
        let cal = fit(&pairs);
        // Rounding the reports to the scale moves each by up to 0.5, so the
        // measured offset is 1.0 ± 0.15; 60 check-ins carry 60/70 of it.
        assert!((cal.mean_residual() - 1.0).abs() < 0.15, "seed {seed}");
        assert!((cal.offset() - weight(60) * cal.mean_residual()).abs() < 1e-9);
        for p in [3.0, 5.0, 7.0] {
            let out = cal.apply(p);
            assert!(
                (out.change - weight(60)).abs() < 0.2,
                "seed {seed} p {p}: {out:?}"
            );
            assert!((out.kss - (p + out.change)).abs() < 1e-12);
        }
        assert!((cal.slope() - 1.0).abs() < 0.15, "slope {}", cal.slope());
    }
}

#[test]
fn a_person_who_reports_1_5_higher_is_corrected_by_1_5_times_the_weight() {
    // The synthetic person: 1.5 KSS above the model. With 20
    // check-ins (no slope: under 30) the correction is 1.5 · 20/30 = 1.0.
    let cal = fit(&person(20, 1.5, 1.0, 5));
    assert!((cal.mean_residual() - 1.5).abs() < 0.2);
    assert!((cal.apply(5.0).change - 1.5 * weight(20)).abs() < 0.15);
    assert!((cal.slope() - 1.0).abs() < 1e-12);
}

#[test]
fn a_person_who_reports_lower_is_corrected_down_and_an_unbiased_one_barely() {
    let low = fit(&person(30, -1.0, 1.0, 7));
    // −1 carried at 30/40 = −0.75.
    assert!((low.apply(5.0).change + 0.75).abs() < 0.2);
    let fair = fit(&person(30, 0.0, 1.0, 8));
    assert!(fair.apply(5.0).change.abs() < 0.2);
}

#[test]
fn a_steeper_person_gets_a_slope_above_one() {
    // Reports swing 1.4 points for each predicted point.
    let cal = fit(&person(40, 0.0, 1.4, 9));
    assert!(cal.slope() > 1.2, "slope {}", cal.slope());
    assert!(cal.apply(7.0).change > 0.4);
    assert!(cal.apply(3.0).change < -0.4);
}

#[test]
fn one_odd_night_barely_moves_it() {
    let mut pairs = person(12, 0.0, 1.0, 11);
    let before = fit(&pairs).apply(5.0).change;
    // Predicted alert (3), reported fighting sleep (9): a six-point outlier.
    pairs.push(KssPair {
        predicted: 3.0,
        reported: 9,
    });
    let after = fit(&pairs).apply(5.0).change;
    // An unweighted mean of residuals would move by about 6/13 = 0.46.
    assert!((after - before).abs() < 0.2, "{before} -> {after}");
}

#[test]
fn under_the_minimum_nothing_changes() {
    let pairs = person(9, 2.0, 1.0, 13);
    let cal = fit(&pairs);
    assert_eq!(
        cal.status(),
        CalibrationStatus::TooFewCheckIns { have: 9, need: 10 }
    );
    for p in [1.0, 4.2, 9.0] {
        let out = cal.apply(p);
        assert_eq!(out.change, 0.0);
        assert_eq!(out.kss, p);
    }
    let more = person(10, 2.0, 1.0, 13);
    assert_eq!(
        fit(&more).status(),
        CalibrationStatus::Fitted {
            check_ins: 10,
            slope_fitted: false
        }
    );
}

#[test]
fn a_large_bias_is_held_to_the_bound() {
    let cal = fit(&person(30, 3.0, 1.0, 17));
    assert!(cal.mean_residual() > 2.5, "the fit itself sees the bias");
    // Shrunk to 30/40 of it, still over the 1.5 bound.
    assert!((cal.offset() - 0.75 * cal.mean_residual()).abs() < 1e-9);
    let out = cal.apply(4.0);
    assert!((out.change - 1.5).abs() < 1e-9, "{out:?}");
    // And the result stays on the scale.
    assert!((cal.apply(8.5).kss - 9.0).abs() < 1e-9);
}

#[test]
fn identical_predictions_still_fit_an_offset() {
    let pairs: Vec<KssPair> = (0..12)
        .map(|_| KssPair {
            predicted: 5.0,
            reported: 6,
        })
        .collect();
    let cal = fit(&pairs);
    // One point carried at 12/22.
    assert!((cal.apply(5.0).change - 12.0 / 22.0).abs() < 1e-9);
}

#[test]
fn values_off_the_scale_are_refused() {
    let mut pairs = person(12, 0.0, 1.0, 19);
    pairs[4].predicted = f64::NAN;
    assert!(matches!(
        Calibration::fit(&pairs, &CalibrationParams::default()),
        Err(CalibrationError::OutOfRange { index: 4, .. })
    ));
    pairs[4].predicted = 5.0;
    pairs[6].reported = 0;
    assert!(matches!(
        Calibration::fit(&pairs, &CalibrationParams::default()),
        Err(CalibrationError::OutOfRange { index: 6, .. })
    ));
}

fn any_pairs() -> impl Strategy<Value = Vec<KssPair>> {
    prop::collection::vec(
        (1.0f64..=9.0, 1u8..=9).prop_map(|(predicted, reported)| KssPair {
            predicted,
            reported,
        }),
        0..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_correction_is_bounded_and_stays_on_the_scale(
        pairs in any_pairs(),
        p in 1.0f64..=9.0,
    ) {
        let cal = fit(&pairs);
        let out = cal.apply(p);
        prop_assert!(out.change.abs() <= 1.5 + 1e-9);
        prop_assert!((1.0..=9.0).contains(&out.kss));
    }

    #[test]
    fn the_calibration_is_monotone_in_predicted_kss(
        pairs in any_pairs(),
        a in 1.0f64..=9.0,
        b in 1.0f64..=9.0,
    ) {
        let cal = fit(&pairs);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(cal.apply(lo).kss <= cal.apply(hi).kss + 1e-9);
    }
}
