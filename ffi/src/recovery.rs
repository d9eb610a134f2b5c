//! This morning's recovery score as uniffi records (scored and kept by
//! [`mobile_core::morning::score`]), the history behind a trend chart
//! ([`mobile_core::morning::history`]), and sleep regularity
//! ([`mobile_core::morning::regularity`]). Conversions only.

use chrono::{DateTime, NaiveDate, Utc};
use mobile_core::LocalClock;
use mobile_core::morning;
use mobile_core::recovery;
use mobile_core::recovery::hrv::HrvBand;
use mobile_core::recovery::trend;
use mobile_core::store::Store;
use mobile_core::wearables::HrvMetric;

use crate::CoachError;
use crate::types::{RecoveryBand, ShiftType};

/// How far a morning's score can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecoveryStatus {
    /// Every metric present with a baseline.
    Scored,
    /// Fewer than 7 nights recorded before today: no score yet.
    ColdStart,
    /// Last night's sleep, HRV or resting heart rate is missing (no score
    /// without sleep; scored without the others).
    MissingMetrics,
    /// HRV or resting heart rate come from a source with no baseline yet
    /// while another source has one (a new watch): scored without it.
    NewDevice,
    /// HRV's 60-day baseline has fewer than 14 nights yet: scored without
    /// HRV.
    BaselineBuilding,
}

/// A component of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecoveryMetric {
    /// Sleep obtained against need.
    Sleep,
    /// Seven-night sleep debt.
    SleepDebt,
    /// Heart-rate variability: its 7-night rolling mean against its 60-day
    /// baseline.
    Hrv,
    /// Resting heart rate against its baseline.
    RestingHeartRate,
    /// The next shift's predicted Fatigue Index.
    NextShift,
}

/// Which HRV statistic a reason is about (never mixed in one baseline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HrvStatistic {
    /// SDNN (Apple Watch).
    Sdnn,
    /// RMSSD (Health Connect, chest straps).
    Rmssd,
}

/// One reason behind a morning's score, for the app to put in words.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum RecoveryReason {
    /// Sleep obtained (episodes ending today) against need.
    SleepObtained {
        /// Minutes asleep.
        minutes: u32,
        /// Need, minutes.
        need_minutes: u32,
    },
    /// Sleep owed over the last 7 nights.
    SleepDebt {
        /// Minutes owed.
        minutes: u32,
    },
    /// HRV's 7-night rolling mean below the normal range (the 60-day
    /// baseline's mean ± 0.5 SD of nightly values, ln scale).
    HrvBelowNormal {
        /// Which statistic.
        statistic: HrvStatistic,
        /// The rolling mean's distance from the baseline mean, in baseline SDs.
        z: f64,
    },
    /// HRV's rolling mean within the normal range.
    HrvWithinNormal {
        /// Which statistic.
        statistic: HrvStatistic,
        /// The rolling mean's distance from the baseline mean, in baseline SDs.
        z: f64,
    },
    /// HRV's rolling mean above the normal range (not penalised).
    HrvAboveNormal {
        /// Which statistic.
        statistic: HrvStatistic,
        /// The rolling mean's distance from the baseline mean, in baseline SDs.
        z: f64,
    },
    /// HRV read last night but not judged: too few nights this week or in
    /// the baseline.
    HrvNotJudged {
        /// Nights with HRV among the rolling 7.
        rolling_nights: u32,
        /// Nights needed there (3).
        rolling_needed: u32,
        /// Nights with HRV in the 60-day baseline.
        baseline_nights: u32,
        /// Nights needed there (14).
        baseline_needed: u32,
    },
    /// Resting heart rate against its 7-day mean.
    RestingHeartRate {
        /// bpm above (positive) or below the baseline.
        delta_bpm: f64,
    },
    /// The next shift's predicted fatigue.
    NextShiftFatigue {
        /// Fatigue Index.
        fatigue_index: f64,
        /// The threshold that applies (35 day, 45 night).
        threshold: f64,
    },
    /// No shift in the next 48 hours: that component does not apply.
    NoShiftScheduled,
    /// Too few nights recorded to score.
    ColdStart {
        /// Nights recorded before today.
        nights: u32,
        /// Nights needed.
        needed: u32,
    },
    /// A metric whose source has too short a baseline.
    NewDevice {
        /// The metric.
        metric: RecoveryMetric,
        /// Baseline nights with a reading from this source.
        readings: u32,
        /// Nights needed.
        needed: u32,
    },
    /// A metric with no reading today.
    Missing {
        /// The metric.
        metric: RecoveryMetric,
    },
}

/// One scored component.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RecoveryComponent {
    /// Which.
    pub metric: RecoveryMetric,
    /// Its sub-score, 0–100.
    pub score: f64,
    /// Its weight in the score.
    pub weight: f64,
}

/// This morning's recovery (`docs/recovery.md`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MorningRecovery {
    /// The local date scored, `YYYY-MM-DD` in the coach's zone (the date
    /// last night's sleep ended).
    pub local_date: String,
    /// 0–100; absent in cold start or without last night's sleep.
    pub score: Option<u8>,
    /// Green 67–100, amber 34–66, red 0–33; absent with the score.
    pub band: Option<RecoveryBand>,
    /// How far the score can be trusted.
    pub status: RecoveryStatus,
    /// The components that went into it.
    pub components: Vec<RecoveryComponent>,
    /// Why, in order.
    pub reasons: Vec<RecoveryReason>,
    /// Minutes asleep in episodes ending today.
    pub sleep_minutes: u32,
    /// Seven-night sleep debt, minutes.
    pub sleep_debt_minutes: u32,
    /// HRV's 7-night rolling mean (ln) minus its 60-day baseline mean, in
    /// baseline SDs.
    pub hrv_deviation_sd: Option<f64>,
    /// Resting heart rate minus its baseline, bpm.
    pub resting_hr_deviation_bpm: Option<f64>,
    /// True when today's daily summary was queued for sync (there was a
    /// main sleep and consent covers sleep summaries).
    pub summary_queued: bool,
}

fn metric(m: recovery::Metric) -> RecoveryMetric {
    match m {
        recovery::Metric::Sleep => RecoveryMetric::Sleep,
        recovery::Metric::SleepDebt => RecoveryMetric::SleepDebt,
        recovery::Metric::Hrv => RecoveryMetric::Hrv,
        recovery::Metric::RestingHeartRate => RecoveryMetric::RestingHeartRate,
        recovery::Metric::NextShift => RecoveryMetric::NextShift,
    }
}

fn statistic(m: HrvMetric) -> HrvStatistic {
    match m {
        HrvMetric::Sdnn => HrvStatistic::Sdnn,
        HrvMetric::Rmssd => HrvStatistic::Rmssd,
    }
}

fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<recovery::Reason> for RecoveryReason {
    fn from(r: recovery::Reason) -> Self {
        use recovery::Reason as R;
        match r {
            R::SleepObtained {
                minutes,
                need_minutes,
            } => Self::SleepObtained {
                minutes,
                need_minutes,
            },
            R::SleepDebt { minutes } => Self::SleepDebt { minutes },
            R::HrvBelowNormal { metric, z } => Self::HrvBelowNormal {
                statistic: statistic(metric),
                z,
            },
            R::HrvWithinNormal { metric, z } => Self::HrvWithinNormal {
                statistic: statistic(metric),
                z,
            },
            R::HrvAboveNormal { metric, z } => Self::HrvAboveNormal {
                statistic: statistic(metric),
                z,
            },
            R::HrvNotJudged {
                rolling_nights,
                rolling_needed,
                baseline_nights,
                baseline_needed,
            } => Self::HrvNotJudged {
                rolling_nights: small(rolling_nights),
                rolling_needed: small(rolling_needed),
                baseline_nights: small(baseline_nights),
                baseline_needed: small(baseline_needed),
            },
            R::RestingHeartRate { delta_bpm } => Self::RestingHeartRate { delta_bpm },
            R::NextShiftFatigue {
                fatigue_index,
                threshold,
            } => Self::NextShiftFatigue {
                fatigue_index,
                threshold,
            },
            R::NoShiftScheduled => Self::NoShiftScheduled,
            R::ColdStart { nights, needed } => Self::ColdStart {
                nights: small(nights),
                needed: small(needed),
            },
            R::NewDevice {
                metric: m,
                readings,
                needed,
            } => Self::NewDevice {
                metric: metric(m),
                readings: small(readings),
                needed: small(needed),
            },
            R::Missing { metric: m } => Self::Missing { metric: metric(m) },
        }
    }
}

/// The local date `now` falls on.
pub(crate) fn today(clock: &LocalClock, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&clock.zone()).date_naive()
}

impl From<morning::MorningScore> for MorningRecovery {
    fn from(m: morning::MorningScore) -> Self {
        let score = m.score;
        Self {
            local_date: score.date.to_string(),
            score: score.score,
            band: score.band.map(Into::into),
            status: match score.status {
                recovery::Status::Scored => RecoveryStatus::Scored,
                recovery::Status::ColdStart => RecoveryStatus::ColdStart,
                recovery::Status::MissingMetrics => RecoveryStatus::MissingMetrics,
                recovery::Status::NewDevice => RecoveryStatus::NewDevice,
                recovery::Status::BaselineBuilding => RecoveryStatus::BaselineBuilding,
            },
            components: score
                .components
                .iter()
                .map(|c| RecoveryComponent {
                    metric: metric(c.metric),
                    score: c.score,
                    weight: c.weight,
                })
                .collect(),
            reasons: score.reasons.into_iter().map(Into::into).collect(),
            sleep_minutes: score.sleep_minutes,
            sleep_debt_minutes: score.sleep_debt_minutes,
            hrv_deviation_sd: score.hrv_deviation_sd,
            resting_hr_deviation_bpm: score.resting_hr_deviation_bpm,
            summary_queued: m.summary_queued,
        }
    }
}

/// How far back a history looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HistoryPeriod {
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
    /// The last 90 days.
    Quarter,
}

impl From<HistoryPeriod> for trend::TrendPeriod {
    fn from(p: HistoryPeriod) -> Self {
        match p {
            HistoryPeriod::Week => trend::TrendPeriod::Week,
            HistoryPeriod::Month => trend::TrendPeriod::Month,
            HistoryPeriod::Quarter => trend::TrendPeriod::Quarter,
        }
    }
}

/// Where HRV's 7-night rolling mean sits against the normal range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HrvRange {
    /// Below the normal range.
    Below,
    /// Within it.
    Within,
    /// Above it (never penalised).
    Above,
}

/// One day of history. Every figure is absent when there is no data for it
/// (a night without the watch is a gap, not a missing day).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HistoryDay {
    /// The local date, `YYYY-MM-DD` (a night belongs to the date it ended).
    pub local_date: String,
    /// The recovery score kept that morning (absent if never scored).
    pub recovery_score: Option<u8>,
    /// Its band.
    pub recovery_band: Option<RecoveryBand>,
    /// Minutes asleep in episodes ending on the date (naps included).
    pub sleep_minutes: Option<u32>,
    /// The statistic of the night's HRV.
    pub hrv_statistic: Option<HrvStatistic>,
    /// The night's HRV, ms.
    pub hrv_ms: Option<f64>,
    /// HRV's 7-night rolling mean, ms (when judged).
    pub hrv_rolling_ms: Option<f64>,
    /// HRV's 60-day baseline mean, ms (when judged).
    pub hrv_baseline_ms: Option<f64>,
    /// Low end of HRV's normal range, ms.
    pub hrv_normal_low_ms: Option<f64>,
    /// High end of HRV's normal range, ms.
    pub hrv_normal_high_ms: Option<f64>,
    /// Where the rolling mean sits against the normal range.
    pub hrv_range: Option<HrvRange>,
    /// Resting heart rate, bpm.
    pub resting_hr_bpm: Option<f64>,
    /// Its baseline, the mean of the 7 days before, bpm.
    pub resting_hr_baseline_bpm: Option<f64>,
}

/// The last 7, 30 or 90 days for a trend chart (`docs/recovery.md`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RecoveryHistory {
    /// One entry per day, oldest first, today last.
    pub days: Vec<HistoryDay>,
    /// The sleep need the score counts against, minutes (sleep's baseline).
    pub sleep_need_minutes: u32,
}

impl From<trend::Trend> for RecoveryHistory {
    fn from(t: trend::Trend) -> Self {
        Self {
            days: t
                .days
                .into_iter()
                .map(|d| HistoryDay {
                    local_date: d.date.to_string(),
                    recovery_score: d.recovery_score,
                    recovery_band: d.recovery_band.map(Into::into),
                    sleep_minutes: d.sleep_minutes,
                    hrv_statistic: d.hrv_metric.map(statistic),
                    hrv_ms: d.hrv_ms,
                    hrv_rolling_ms: d.hrv_rolling_ms,
                    hrv_baseline_ms: d.hrv_baseline_ms,
                    hrv_normal_low_ms: d.hrv_normal_low_ms,
                    hrv_normal_high_ms: d.hrv_normal_high_ms,
                    hrv_range: d.hrv_band.map(|b| match b {
                        HrvBand::Below => HrvRange::Below,
                        HrvBand::Within => HrvRange::Within,
                        HrvBand::Above => HrvRange::Above,
                    }),
                    resting_hr_bpm: d.resting_hr_bpm,
                    resting_hr_baseline_bpm: d.resting_hr_baseline_bpm,
                })
                .collect(),
            sleep_need_minutes: t.sleep_need_minutes,
        }
    }
}

/// Social jet lag of one shift type (MCTQ-Shift).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ShiftTypeJetLag {
    /// The shift type.
    pub shift_type: ShiftType,
    /// Mean local mid-sleep on its work days, clock hours in [0, 24).
    pub mid_sleep_work_hours: f64,
    /// Mean local mid-sleep on the free days after a block of it.
    pub mid_sleep_free_hours: f64,
    /// The gap between them, hours.
    pub jet_lag_hours: f64,
    /// Main sleeps on its work days.
    pub work_sleeps: u32,
    /// Main sleeps on the free days after it.
    pub free_sleeps: u32,
}

/// How regular the officer's sleep has been.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SleepRegularity {
    /// Local days looked at (ending yesterday).
    pub days: u32,
    /// Sleep Regularity Index (Phillips et al. 2017): 100 is the same
    /// schedule every day, 0 random; absent without two consecutive days
    /// with sleep recorded.
    pub sleep_regularity_index: Option<f64>,
    /// Social jet lag per shift type (Juda et al. 2013, MCTQ-Shift): for
    /// each shift type with both, the gap between mean mid-sleep on its work
    /// days and on the free days after a block of it. Empty without a
    /// roster.
    pub social_jet_lag: Vec<ShiftTypeJetLag>,
}

/// SRI and social jet lag over the `days` local days before today.
pub(crate) fn regularity(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    days: u32,
) -> Result<SleepRegularity, CoachError> {
    let r = morning::regularity(store, clock, now, days)?;
    Ok(SleepRegularity {
        days: r.days,
        sleep_regularity_index: r.sleep_regularity_index,
        social_jet_lag: r
            .social_jet_lag
            .into_iter()
            .map(|j| ShiftTypeJetLag {
                shift_type: j.shift_type.into(),
                mid_sleep_work_hours: j.jet_lag.mid_sleep_work_hours,
                mid_sleep_free_hours: j.jet_lag.mid_sleep_free_hours,
                jet_lag_hours: j.jet_lag.jet_lag_hours,
                work_sleeps: small(j.work_sleeps),
                free_sleeps: small(j.free_sleeps),
            })
            .collect(),
    })
}
