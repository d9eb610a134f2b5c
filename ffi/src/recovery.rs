//! This morning's recovery score as uniffi records (scored and kept by
//! [`mobile_core::morning::score`]), and sleep regularity
//! ([`mobile_core::regularity`]).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mobile_core::LocalClock;
use mobile_core::morning;
use mobile_core::recovery;
use mobile_core::regularity;
use mobile_core::store::Store;
use mobile_core::wearables::HrvMetric;

use crate::CoachError;
use crate::types::RecoveryBand;

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
    /// HRV or resting heart rate come from a source with no baseline yet (a
    /// new watch): scored without it.
    NewDevice,
}

/// A component of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecoveryMetric {
    /// Sleep obtained against need.
    Sleep,
    /// Seven-night sleep debt.
    SleepDebt,
    /// Heart-rate variability against its 7-night baseline.
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
    /// HRV below the normal range (mean ± 0.5 SD of the last 7 nights).
    HrvBelowNormal {
        /// Which statistic.
        statistic: HrvStatistic,
        /// Baseline SDs from the mean (ln scale).
        z: f64,
    },
    /// HRV within the normal range.
    HrvWithinNormal {
        /// Which statistic.
        statistic: HrvStatistic,
        /// Baseline SDs from the mean (ln scale).
        z: f64,
    },
    /// HRV above the normal range (not penalised).
    HrvAboveNormal {
        /// Which statistic.
        statistic: HrvStatistic,
        /// Baseline SDs from the mean (ln scale).
        z: f64,
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
    /// ln HRV deviation from its baseline, in baseline SDs.
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

/// How regular the officer's sleep has been.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SleepRegularity {
    /// Local days looked at (ending yesterday).
    pub days: u32,
    /// Sleep Regularity Index (Phillips et al. 2017): 100 is the same
    /// schedule every day, 0 random; absent without two consecutive days
    /// with sleep recorded.
    pub sleep_regularity_index: Option<f64>,
    /// Social jet lag (Wittmann et al. 2006), hours: the gap between mean
    /// mid-sleep before free days and before work days (a rostered shift
    /// starting that local day); absent without both kinds of day.
    pub social_jet_lag_hours: Option<f64>,
}

/// SRI and social jet lag over the `days` local days before today.
pub(crate) fn regularity(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    days: u32,
) -> Result<SleepRegularity, CoachError> {
    if !(2..=regularity::MAX_SRI_DAYS).contains(&days) {
        return Err(CoachError::invalid(format!(
            "days must be 2..={}",
            regularity::MAX_SRI_DAYS
        )));
    }
    let first = today(clock, now) - Duration::days(i64::from(days));
    let from = now - Duration::days(i64::from(days) + 2);
    let (episodes, _) = store.wearable_history(from, now, clock)?;
    let episodes: Vec<_> = episodes
        .into_iter()
        .filter(|e| e.local_date >= first && e.end <= now)
        .collect();
    let sri = regularity::sleep_regularity_index(&episodes, first, days, clock.zone()).ok();
    let work_days: std::collections::BTreeSet<NaiveDate> = store
        .shifts_between(from, now)?
        .iter()
        .map(|s| s.start().with_timezone(&clock.zone()).date_naive())
        .collect();
    let jet_lag = regularity::social_jet_lag(&episodes, |d| work_days.contains(&d));
    Ok(SleepRegularity {
        days,
        sleep_regularity_index: sri,
        social_jet_lag_hours: jet_lag.map(|j| j.jet_lag_hours),
    })
}
