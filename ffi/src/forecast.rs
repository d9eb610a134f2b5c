//! The fatigue forecast for the coming shifts as uniffi records: the
//! engine's per-shift roster assessment over the stored roster
//! ([`mobile_core::morning::assess`]), with the officer's recorded sleep
//! for every night the wearable covered and sleep predicted from the roster
//! for every other one, and the personalised figures beside the standard
//! ones once the officer's check-ins calibrate them
//! ([`mobile_core::morning::forecast`]).

use std::time::SystemTime;

use chrono::Utc;
use mobile_core::calibration::{Calibration, CalibrationParams, CalibrationStatus};
use mobile_core::morning::ForecastShift;
use mobile_core::roster::assess;

use crate::types::{ShiftType, system_time};

/// Where the sleep before a shift came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SleepBasis {
    /// Recorded by the officer's wearable.
    Recorded,
    /// Predicted from the roster.
    Predicted,
    /// Some of each.
    Mixed,
}

/// How serious a flag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Severity {
    /// Worth reviewing.
    Amber,
    /// Act on it.
    Red,
}

/// A fatigue-risk indicator a shift breaches (`docs/rosters.md`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ShiftFlag {
    /// Stable code: `long_shift`, `long_night_shift`, `quick_return`,
    /// `short_rest`, `consecutive_nights`, `consecutive_days`,
    /// `hours_in_7_days`, `door_to_door`, `fatigue_index`.
    pub code: String,
    /// Amber or red.
    pub severity: Severity,
    /// The figure behind it, in words.
    pub detail: String,
}

/// One upcoming (or current) shift's predicted fatigue and risk.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ShiftForecast {
    /// Start of duty.
    pub start: SystemTime,
    /// End of duty.
    pub end: SystemTime,
    /// The type the roster shows, by local start time.
    pub shift_type: ShiftType,
    /// True when at least 3 hours fall between 23:00 and 06:00 local
    /// (Working Time Regulations 1998): the night threshold applies.
    pub night_shift: bool,
    /// Fatigue Index 0–100: mean probability of a KSS of 8 or more over the
    /// shift × 100 (HSE RR446 mapping of the Three Process Model's KSS).
    pub fatigue_index: f64,
    /// The guidance threshold that applies: 35 (day) or 45 (night).
    pub threshold: f64,
    /// True when the Fatigue Index is above its threshold.
    pub above_threshold: bool,
    /// Predicted KSS (1–9) at the end of the shift: the drive home.
    pub kss_at_end: f64,
    /// Hourly roster risk, mean over the shift (1 = a first 8-hour morning).
    pub hourly_risk_mean: f64,
    /// Hourly roster risk, highest hour.
    pub hourly_risk_peak: f64,
    /// Sleep in the 24 hours before the shift, hours.
    pub sleep_before_hours: f64,
    /// Whether that sleep was recorded or predicted.
    pub sleep_basis: SleepBasis,
    /// Indicators breached.
    pub flags: Vec<ShiftFlag>,
    /// True when the officer's check-ins calibrate this forecast: the
    /// personal figures below are then given. The standard figures above
    /// stay the ones the thresholds, flags and the server use.
    pub personalised: bool,
    /// Fatigue Index of the model's KSS with the officer's calibration
    /// applied to every epoch (`docs/coaching.md`), when personalised.
    pub personal_fatigue_index: Option<f64>,
    /// Calibrated KSS at the end of the shift, when personalised.
    pub personal_kss_at_end: Option<f64>,
}

impl From<ForecastShift> for ShiftForecast {
    fn from(f: ForecastShift) -> Self {
        let personal = f.personal;
        Self {
            personalised: personal.is_some(),
            personal_fatigue_index: personal.map(|p| p.fatigue_index),
            personal_kss_at_end: personal.map(|p| p.kss_at_end),
            ..f.assessment.into()
        }
    }
}

/// The officer's personal calibration of predicted sleepiness, from their
/// KSS check-ins (`docs/coaching.md`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PersonalCalibration {
    /// True when fitted: forecasts carry personal figures.
    pub personalised: bool,
    /// KSS check-ins paired with a prediction (the last 90 days).
    pub check_ins: u32,
    /// Check-ins needed before the forecast is personalised.
    pub check_ins_needed: u32,
    /// Mean of reported − predicted KSS (winsorised), before shrinkage.
    pub mean_offset: f64,
    /// The offset applied: `mean_offset · n / (n + n0)`.
    pub offset: f64,
    /// The share of the measured offset carried, `n / (n + n0)`.
    pub evidence_weight: f64,
    /// Slope of reported on predicted KSS (1 unless fitted).
    pub slope: f64,
    /// True when a slope was fitted (enough check-ins, spread widely enough).
    pub slope_fitted: bool,
}

impl From<Calibration> for PersonalCalibration {
    fn from(c: Calibration) -> Self {
        let params = CalibrationParams::default();
        let (check_ins, slope_fitted) = match c.status() {
            CalibrationStatus::TooFewCheckIns { have, .. } => (have, false),
            CalibrationStatus::Fitted {
                check_ins,
                slope_fitted,
            } => (check_ins, slope_fitted),
        };
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            personalised: c.is_personalised(),
            check_ins: count(check_ins),
            check_ins_needed: count(params.min_check_ins),
            mean_offset: c.mean_residual(),
            offset: c.offset(),
            evidence_weight: if c.is_personalised() {
                mobile_core::calibration::evidence_weight(check_ins, params.prior_check_ins)
            } else {
                0.0
            },
            slope: c.slope(),
            slope_fitted,
        }
    }
}

impl From<assess::ShiftAssessment> for ShiftForecast {
    fn from(a: assess::ShiftAssessment) -> Self {
        let above_threshold = a.above_fatigue_threshold();
        Self {
            start: system_time(a.start.with_timezone(&Utc)),
            end: system_time(a.end.with_timezone(&Utc)),
            shift_type: a.shift_type.into(),
            night_shift: a.night,
            fatigue_index: a.fatigue_index,
            threshold: a.fatigue_index_threshold,
            above_threshold,
            kss_at_end: a.kss_at_end,
            hourly_risk_mean: a.hri_mean,
            hourly_risk_peak: a.hri_peak,
            sleep_before_hours: a.sleep_before_hours,
            sleep_basis: match a.sleep_basis {
                assess::SleepBasis::Recorded => SleepBasis::Recorded,
                assess::SleepBasis::Predicted => SleepBasis::Predicted,
                assess::SleepBasis::Mixed => SleepBasis::Mixed,
            },
            flags: a
                .flags
                .into_iter()
                .map(|f| ShiftFlag {
                    code: f.code,
                    severity: match f.severity {
                        assess::Severity::Amber => Severity::Amber,
                        assess::Severity::Red => Severity::Red,
                    },
                    detail: f.detail,
                })
                .collect(),
            personalised: false,
            personal_fatigue_index: None,
            personal_kss_at_end: None,
        }
    }
}
