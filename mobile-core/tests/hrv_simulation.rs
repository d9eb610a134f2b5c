//! Seeded simulation of the HRV rule (`recovery::hrv::judge_hrv`, the one
//! rule the score, the morning update and coaching use): how often an
//! ordinary morning is flagged "below normal", and how fast a real drop is.
//!
//! Nightly ln RMSSD is simulated as i.i.d. normal around a person's level
//! with a within-person SD of 0.15 (the figure; Plews et al. 2012
//! report day-to-day CVs of ln rMSSD of this order). With complete data the
//! expected stationary rate is `P(r − μ̂ < −0.5 σ̂)` where `r − μ̂` has SD
//! `0.15 · sqrt(1/7 + 1/60) = 0.0599`: `Φ(−0.075 / 0.0599) = Φ(−1.25) ≈ 0.105`,
//! about one morning in nine or ten. The old rule (one night against the
//! previous 7 nights' mean ± 0.5 SD) gives `Φ(−0.5 / sqrt(1 + 1/7)) ≈ 0.32`
//! before the small-sample SD's spread, about one in three.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mobile_core::recovery::hrv::{
    HRV_BASELINE_DAYS, HRV_ROLLING_NIGHTS, HRV_SD_FLOOR, HrvBand, judge_hrv,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

/// Within-person nightly SD of ln RMSSD.
const SD: f64 = 0.15;
/// A person's level: ln 50 ms.
const LEVEL: f64 = 3.912_023_005_428_146;
/// Nights of history before the first judged morning.
const WARM_UP: usize = (HRV_ROLLING_NIGHTS + HRV_BASELINE_DAYS) as usize;

fn nights(rng: &mut StdRng, n: usize, level: f64) -> Vec<f64> {
    let noise = Normal::new(0.0, SD).unwrap();
    (0..n).map(|_| level + noise.sample(rng)).collect()
}

/// The rule under test on morning `i` of `series`.
fn below(series: &[f64], i: usize) -> bool {
    let t = judge_hrv(|k| {
        usize::try_from(k)
            .ok()
            .and_then(|k| i.checked_sub(k))
            .map(|j| series[j])
    })
    .unwrap();
    t.band == HrvBand::Below
}

/// The rule it replaced: night `i` against the 7 nights before it,
/// mean ± 0.5 SD (floored at 0.05).
fn below_old_rule(series: &[f64], i: usize) -> bool {
    let base = &series[i - 7..i];
    let m = base.iter().sum::<f64>() / 7.0;
    let sd = (base.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 6.0)
        .sqrt()
        .max(HRV_SD_FLOOR);
    (series[i] - m) / sd < -0.5
}

#[test]
fn stationary_hrv_flags_about_one_morning_in_nine() {
    let mut rng = StdRng::seed_from_u64(20_240_513);
    let (runs, mornings) = (300, 60);
    let (mut flagged, mut flagged_old, mut total) = (0usize, 0usize, 0usize);
    for _ in 0..runs {
        let series = nights(&mut rng, WARM_UP + mornings, LEVEL);
        for i in WARM_UP..WARM_UP + mornings {
            total += 1;
            flagged += usize::from(below(&series, i));
            flagged_old += usize::from(below_old_rule(&series, i));
        }
    }
    let rate = flagged as f64 / total as f64;
    let old = flagged_old as f64 / total as f64;
    eprintln!("stationary: {total} mornings, new rule {rate:.4}, old rule {old:.4}");
    assert!((0.06..=0.17).contains(&rate), "new rule flags {rate}");
    assert!(!(0.06..=0.17).contains(&old), "old rule flags {old}");
    assert!(old > 0.25, "old rule flags {old}, about a third expected");
}

#[test]
fn a_sustained_15_percent_drop_is_flagged_within_a_week() {
    let mut rng = StdRng::seed_from_u64(7_345);
    let runs = 500;
    let drop = 0.85_f64.ln();
    let mut caught = 0usize;
    let mut nights_to_flag = Vec::new();
    for _ in 0..runs {
        let mut series = nights(&mut rng, WARM_UP, LEVEL);
        series.extend(nights(&mut rng, 7, LEVEL + drop));
        if let Some(k) = (0..7).find(|k| below(&series, WARM_UP + k)) {
            caught += 1;
            nights_to_flag.push(k + 1);
        }
    }
    let share = caught as f64 / f64::from(runs);
    let mean_nights = nights_to_flag.iter().sum::<usize>() as f64 / nights_to_flag.len() as f64;
    eprintln!(
        "15% drop: flagged within 7 nights in {share:.4} of runs, after {mean_nights:.2} nights on average"
    );
    assert!(share >= 0.9, "flagged in {share}");
}
