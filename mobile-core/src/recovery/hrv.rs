//! The one rule that judges HRV: the 7-night rolling mean of ln RMSSD
//! against the person's own longer baseline (`docs/recovery.md`).
//!
//! The recovery score, the morning update (through it), coaching (through
//! the bands the score gives) and the history an app draws all call
//! [`judge_hrv`]; nothing else compares HRV with a baseline.

use serde::{Deserialize, Serialize};

/// Nights in the rolling mean: the date's own night and the 6 before it.
pub const HRV_ROLLING_NIGHTS: i64 = 7;
/// Nights with a reading needed among the [`HRV_ROLLING_NIGHTS`] (Plews et
/// al. 2014, *IJSPP* 9:783: at least 3 valid values a week).
pub const HRV_MIN_ROLLING_NIGHTS: usize = 3;
/// Days of baseline, immediately before the rolling week.
pub const HRV_BASELINE_DAYS: i64 = 60;
/// Nights with a reading needed in the baseline; until then HRV is not
/// judged (cold start).
pub const HRV_MIN_BASELINE_NIGHTS: usize = 14;
/// Half-width of the normal range in baseline SDs of nightly values: the
/// smallest worthwhile change, 0.5 × the day-to-day SD (Plews et al. 2012,
/// *Eur J Appl Physiol* 112:3729; Buchheit 2014, *Front Physiol* 5:73).
pub const HRV_SWC_SD: f64 = 0.5;
/// Smallest baseline SD of nightly ln HRV used (ln units, about a 5 %
/// change), so a run of near-identical readings does not make every small
/// change look huge.
pub const HRV_SD_FLOOR: f64 = 0.05;

/// Where the rolling mean sits against the normal range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HrvBand {
    /// Below `μ − 0.5 σ`.
    Below,
    /// Inside `μ ± 0.5 σ`.
    Within,
    /// Above `μ + 0.5 σ` (never penalised).
    Above,
}

/// A judged HRV: the rolling mean, the baseline and where one sits against
/// the other. All in ln(ms).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HrvTrend {
    /// Mean ln HRV of the nights present among the rolling 7.
    pub rolling_mean_ln: f64,
    /// Nights present among the rolling 7.
    pub rolling_nights: usize,
    /// Mean ln HRV of the baseline's nights.
    pub baseline_mean_ln: f64,
    /// SD of the baseline's nightly ln HRV (sample SD, floored at
    /// [`HRV_SD_FLOOR`]).
    pub baseline_sd_ln: f64,
    /// Baseline nights present.
    pub baseline_nights: usize,
    /// `(rolling − baseline mean) / baseline SD`.
    pub z: f64,
    /// Against the normal range.
    pub band: HrvBand,
}

impl HrvTrend {
    /// The normal range `μ ± 0.5 σ`, ln(ms).
    pub fn normal_range_ln(&self) -> (f64, f64) {
        let half = HRV_SWC_SD * self.baseline_sd_ln;
        (self.baseline_mean_ln - half, self.baseline_mean_ln + half)
    }
}

/// Why HRV was not judged: too few nights in the rolling week or the
/// baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HrvNotJudged {
    /// Nights present among the rolling 7.
    pub rolling_nights: usize,
    /// Baseline nights present.
    pub baseline_nights: usize,
}

impl HrvNotJudged {
    /// True when the baseline is what is short (a cold start or a gap of
    /// weeks), rather than only this week.
    pub fn baseline_short(&self) -> bool {
        self.baseline_nights < HRV_MIN_BASELINE_NIGHTS
    }
}

/// Judges the HRV of a date from its nightly ln HRV values.
///
/// # Formula
/// `night(k)` is the night's mean ln HRV `k` nights before the date (`k = 0`
/// the date's own night), `None` without a reading; one metric from one
/// source throughout. With `R = {k ∈ 0..7 : present}` and
/// `B = {k ∈ 7..67 : present}` (the 60 days before the rolling week):
///
/// - rolling mean `r = mean_{k∈R} night(k)`, needs `|R| ≥ 3`;
/// - baseline `μ = mean_{k∈B} night(k)`, `σ = max(sd_{k∈B} night(k), 0.05)`
///   (sample SD), needs `|B| ≥ 14`;
/// - `z = (r − μ) / σ`; below normal when `z < −0.5`, above when `z > 0.5`.
///
/// Sources: the 7-day rolling mean of ln rMSSD against a baseline with a
/// smallest worthwhile change of 0.5 SD (Plews, Laursen, Kilding & Buchheit
/// 2012, *Eur J Appl Physiol* 112:3729; Plews et al. 2013, *Sports Med*
/// 43:773; Buchheit 2014, *Front Physiol* 5:73); at least 3 nights a week
/// (Plews et al. 2014, *IJSPP* 9:783). The 60-day window and 14-night
/// minimum are ours.
///
/// # Errors
/// [`HrvNotJudged`] with the counts when either minimum is not met.
///
/// # Example
/// ```
/// use mobile_core::recovery::hrv::{HrvBand, judge_hrv};
/// // Baseline alternating ln 4.0 / 4.2 for 60 nights, then a week at 3.9.
/// let night = |k: i64| Some(if k < 7 { 3.9 } else if k % 2 == 0 { 4.0 } else { 4.2 });
/// let t = judge_hrv(night).unwrap();
/// assert!((t.baseline_mean_ln - 4.1).abs() < 1e-9);
/// assert!((t.rolling_mean_ln - 3.9).abs() < 1e-9);
/// assert_eq!(t.band, HrvBand::Below);
/// ```
pub fn judge_hrv(night: impl Fn(i64) -> Option<f64>) -> Result<HrvTrend, HrvNotJudged> {
    let rolling: Vec<f64> = (0..HRV_ROLLING_NIGHTS).filter_map(&night).collect();
    let baseline: Vec<f64> = (HRV_ROLLING_NIGHTS..HRV_ROLLING_NIGHTS + HRV_BASELINE_DAYS)
        .filter_map(&night)
        .collect();
    if rolling.len() < HRV_MIN_ROLLING_NIGHTS || baseline.len() < HRV_MIN_BASELINE_NIGHTS {
        return Err(HrvNotJudged {
            rolling_nights: rolling.len(),
            baseline_nights: baseline.len(),
        });
    }
    let rolling_mean_ln = mean(&rolling);
    let baseline_mean_ln = mean(&baseline);
    let baseline_sd_ln = sample_sd(&baseline, baseline_mean_ln).max(HRV_SD_FLOOR);
    let z = (rolling_mean_ln - baseline_mean_ln) / baseline_sd_ln;
    let band = if z < -HRV_SWC_SD {
        HrvBand::Below
    } else if z > HRV_SWC_SD {
        HrvBand::Above
    } else {
        HrvBand::Within
    };
    Ok(HrvTrend {
        rolling_mean_ln,
        rolling_nights: rolling.len(),
        baseline_mean_ln,
        baseline_sd_ln,
        baseline_nights: baseline.len(),
        z,
        band,
    })
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn sample_sd(xs: &[f64], m: f64) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_decide_whether_hrv_is_judged() {
        // 13 baseline nights: cold start, whatever the week.
        let short = |k: i64| (k < 7 || (7..20).contains(&k)).then_some(4.0);
        assert_eq!(
            judge_hrv(short),
            Err(HrvNotJudged {
                rolling_nights: 7,
                baseline_nights: 13
            })
        );
        // 14 baseline nights but 2 of 7 this week: not judged either.
        let thin = |k: i64| (k < 2 || (7..21).contains(&k)).then_some(4.0);
        let e = judge_hrv(thin).unwrap_err();
        assert_eq!((e.rolling_nights, e.baseline_nights), (2, 14));
        assert!(!e.baseline_short());
        // 3 and 14: judged. Nights past the 60-day window never count.
        let enough = |k: i64| (k < 3 || (7..21).contains(&k) || k >= 67).then_some(4.0);
        let t = judge_hrv(enough).unwrap();
        assert_eq!((t.rolling_nights, t.baseline_nights), (3, 14));
    }

    #[test]
    fn the_normal_range_is_half_a_baseline_sd_each_side() {
        // Baseline alternating 4.0 / 4.2 over 60 nights (30 each): mean 4.1,
        // sample SD = sqrt(60 · 0.01 / 59) = 0.100844. Normal range
        // 4.1 ± 0.050422.
        let sd = (60.0_f64 * 0.01 / 59.0).sqrt();
        let base = |k: i64| if k % 2 == 0 { 4.0 } else { 4.2 };
        for (week, band) in [
            (4.1 - 0.5 * sd - 1e-6, HrvBand::Below),
            (4.1 - 0.5 * sd + 1e-6, HrvBand::Within),
            (4.1 + 0.5 * sd + 1e-6, HrvBand::Above),
        ] {
            let t = judge_hrv(|k| Some(if k < 7 { week } else { base(k) })).unwrap();
            assert!((t.baseline_sd_ln - sd).abs() < 1e-12);
            let (lo, hi) = t.normal_range_ln();
            assert!((lo - (4.1 - 0.5 * sd)).abs() < 1e-12 && (hi - (4.1 + 0.5 * sd)).abs() < 1e-12);
            assert_eq!(t.band, band, "week {week}");
        }
    }

    #[test]
    fn a_flat_baseline_uses_the_sd_floor() {
        // Baseline ln 100 every night, this week ln 95: z = ln 0.95 / 0.05 = -1.0259.
        let t = judge_hrv(|k| Some(if k < 7 { 95.0_f64.ln() } else { 100.0_f64.ln() })).unwrap();
        assert!((t.baseline_sd_ln - HRV_SD_FLOOR).abs() < 1e-12);
        assert!((t.z - 0.95_f64.ln() / 0.05).abs() < 1e-9);
        assert_eq!(t.band, HrvBand::Below);
    }
}
