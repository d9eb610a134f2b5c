//! History for a trend chart: each day of the last 7, 30 or 90 with its
//! recovery score, sleep, HRV and resting heart rate beside the baselines
//! the score compared them with. A day without data is kept, its figures
//! `None`, so a chart shows the gap.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use models::sync::RecoveryBand;
use serde::{Deserialize, Serialize};

use super::hrv::HrvBand;
use super::{History, NightHrv, NightlyHrv};
use crate::wearables::HrvMetric;

/// How far back a trend looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendPeriod {
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
    /// The last 90 days.
    Quarter,
}

impl TrendPeriod {
    /// Days in the period, today included.
    pub fn days(self) -> u32 {
        match self {
            TrendPeriod::Week => 7,
            TrendPeriod::Month => 30,
            TrendPeriod::Quarter => 90,
        }
    }
}

/// A day's stored recovery score, as the officer saw it that morning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayScore {
    /// 0–100, `None` when the morning was not scored (cold start, no sleep).
    pub score: Option<u8>,
    /// Its band.
    pub band: Option<RecoveryBand>,
}

/// One day of a trend. Every figure is `None` when there is no data for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendDay {
    /// The local date (a night belongs to the date its sleep ended).
    pub date: NaiveDate,
    /// The recovery score kept that morning.
    pub recovery_score: Option<u8>,
    /// Its band.
    pub recovery_band: Option<RecoveryBand>,
    /// Minutes asleep in episodes ending on the date (naps included).
    pub sleep_minutes: Option<u32>,
    /// The statistic of the night's HRV (RMSSD if any, else SDNN).
    pub hrv_metric: Option<HrvMetric>,
    /// The night's HRV, ms (the geometric mean of its readings).
    pub hrv_ms: Option<f64>,
    /// The 7-night rolling mean, ms (`exp` of the mean ln), when judged.
    pub hrv_rolling_ms: Option<f64>,
    /// The 60-day baseline mean, ms (`exp` of the mean ln), when judged.
    pub hrv_baseline_ms: Option<f64>,
    /// Low end of the normal range, ms.
    pub hrv_normal_low_ms: Option<f64>,
    /// High end of the normal range, ms.
    pub hrv_normal_high_ms: Option<f64>,
    /// Where the rolling mean sits against the normal range.
    pub hrv_band: Option<HrvBand>,
    /// The day's resting heart rate, bpm.
    pub resting_hr_bpm: Option<f64>,
    /// Its baseline, the mean of the 7 days before (at least 3), bpm.
    pub resting_hr_baseline_bpm: Option<f64>,
}

/// A trend: the days, oldest first, and the sleep need sleep is drawn
/// against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The days, oldest first, one per date, gaps included.
    pub days: Vec<TrendDay>,
    /// The sleep need the score counts against, minutes.
    pub sleep_need_minutes: u32,
}

/// Nights of history a trend of `period` needs before its first day: the
/// HRV baseline's reach.
pub fn lookback_days(period: TrendPeriod) -> i64 {
    i64::from(period.days()) + super::hrv::HRV_ROLLING_NIGHTS + super::hrv::HRV_BASELINE_DAYS
}

/// The `period`'s days ending on `last`, from `history` (which should reach
/// [`lookback_days`] before `last`) and the stored `scores`.
///
/// HRV and resting HR come from the same rules as the score
/// ([`super::hrv::judge_hrv`], the 7-day resting-HR mean), so the chart's
/// baseline is the one the score used.
pub fn trend(
    history: &History,
    scores: &BTreeMap<NaiveDate, DayScore>,
    last: NaiveDate,
    period: TrendPeriod,
) -> Trend {
    let mut nightly = NightlyHrv::default();
    let days = (0..i64::from(period.days()))
        .rev()
        .map(|k| {
            let date = last - Duration::days(k);
            let score = scores.get(&date);
            let mut day = TrendDay {
                date,
                recovery_score: score.and_then(|s| s.score),
                recovery_band: score.and_then(|s| s.band),
                sleep_minutes: history.asleep_minutes_on(date),
                hrv_metric: None,
                hrv_ms: None,
                hrv_rolling_ms: None,
                hrv_baseline_ms: None,
                hrv_normal_low_ms: None,
                hrv_normal_high_ms: None,
                hrv_band: None,
                resting_hr_bpm: None,
                resting_hr_baseline_bpm: None,
            };
            if let NightHrv::Read {
                metric,
                night_ln,
                judged,
                ..
            } = history.night_hrv(date, &mut nightly)
            {
                day.hrv_metric = Some(metric);
                day.hrv_ms = Some(night_ln.exp());
                if let Ok(t) = judged {
                    let (lo, hi) = t.normal_range_ln();
                    day.hrv_rolling_ms = Some(t.rolling_mean_ln.exp());
                    day.hrv_baseline_ms = Some(t.baseline_mean_ln.exp());
                    day.hrv_normal_low_ms = Some(lo.exp());
                    day.hrv_normal_high_ms = Some(hi.exp());
                    day.hrv_band = Some(t.band);
                }
            }
            if let Some((bpm, baseline, _)) = history.resting_hr_baseline(date) {
                day.resting_hr_bpm = Some(bpm);
                day.resting_hr_baseline_bpm = baseline;
            }
            day
        })
        .collect();
    Trend {
        days,
        sleep_need_minutes: (history.sleep_need_hours * 60.0).round() as u32,
    }
}
