//! Hourly roster risk (HRI): relative risk of an incident for each hour worked.
//!
//! # Formula
//! `HRI = R_ToD × R_HoS × R_C` for each hour worked (`docs/science.md` §5),
//! from Folkard's analyses of injury and accident data (Folkard & Tucker 2003,
//! *Occupational Medicine* 53:95–101; Folkard & Lombardi 2006, *Am J Ind Med*
//! 49:953–963):
//! - time of day, local clock time `h` at the start of the hour:
//!   `R_ToD = 1.1629 + 0.2138 cos(2π (h + 0.5 − 23.55) / 24)`, evaluated
//!   mid-hour; the one cosine whose 8-hour means reproduce the published
//!   1.00 / 1.18 / 1.30 for shifts 06–14, 14–22, 22–06;
//! - hours on duty, hour `k` of the shift (1-based): 0.76, 0.91, 1.00, 1.03,
//!   1.04, 1.04, 1.07, 1.15 for `k = 1..8`, then `1.15 + (k − 8) × 0.2125`;
//! - cumulative, per shift in a run: `R_C = 1` for the first shift of a
//!   roster and after a gap of 48 h or more; otherwise first recover over the
//!   gap, `R_C = 1 + (R_C − 1) e^{−0.7888 max(0, gap − 2 commute) / 24}`, then
//!   multiply by `e^k` with `k` = 0.0487 (early), 0.0250 (day or late),
//!   0.1215 (night), and add `0.06 (9 − gap)` for a quick return (gap < 9 h).
//!
//! A shift's HRI is the mean over its hours (a last partial hour counts for
//! its fraction, evaluated at its own mid-point), with the peak hour reported
//! too. The Risk Index of a roster is its hour-weighted mean HRI divided by
//! that of a reference roster of five 8-hour day shifts 09:00–17:00, Monday to
//! Friday; 1.6 is the guidance threshold (FRI, Network Rail NR/L2/OHS/003).

use std::f64::consts::PI;

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone};
use models::{Shift, ShiftType};
use serde::{Deserialize, Serialize};

use crate::LocalClock;

/// The Risk Index guidance threshold (FRI risk index, Network Rail).
pub const RISK_INDEX_THRESHOLD: f64 = 1.6;

/// Coefficients of the hourly risk model, defaulting to `docs/science.md` §5.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HourlyRiskParams {
    /// Mesor of the time-of-day cosine.
    pub tod_mesor: f64,
    /// Amplitude of the time-of-day cosine.
    pub tod_amplitude: f64,
    /// Clock hour of the time-of-day peak.
    pub tod_peak_hour: f64,
    /// Risk for hours 1..8 of a shift.
    pub hours_on_duty: [f64; 8],
    /// Increase per hour beyond the 8th.
    pub hours_on_duty_slope: f64,
    /// Recovery rate of the cumulative component, per day of rest.
    pub recovery_rate_per_day: f64,
    /// Commute each way, hours (subtracted twice from a gap before recovery).
    pub commute_hours: f64,
    /// Gap that resets the cumulative component, hours.
    pub reset_gap_hours: f64,
    /// Log-increase per early shift in a run.
    pub k_early: f64,
    /// Log-increase per day or late shift in a run.
    pub k_day_or_late: f64,
    /// Log-increase per night shift in a run.
    pub k_night: f64,
    /// Gap under which a quick return adds risk, hours.
    pub quick_return_hours: f64,
    /// Added risk per hour of a quick return's shortfall.
    pub quick_return_per_hour: f64,
}

impl Default for HourlyRiskParams {
    fn default() -> Self {
        Self {
            tod_mesor: 1.1629,
            tod_amplitude: 0.2138,
            tod_peak_hour: 23.55,
            hours_on_duty: [0.76, 0.91, 1.00, 1.03, 1.04, 1.04, 1.07, 1.15],
            hours_on_duty_slope: 0.2125,
            recovery_rate_per_day: 0.7888,
            commute_hours: 1.0,
            reset_gap_hours: 48.0,
            k_early: 0.0487,
            k_day_or_late: 0.0250,
            k_night: 0.1215,
            quick_return_hours: 9.0,
            quick_return_per_hour: 0.06,
        }
    }
}

impl HourlyRiskParams {
    /// Time-of-day risk for an hour whose mid-point is at local clock time `mid_hour`.
    pub fn time_of_day(&self, mid_hour: f64) -> f64 {
        self.tod_mesor
            + self.tod_amplitude * (2.0 * PI * (mid_hour - self.tod_peak_hour) / 24.0).cos()
    }

    /// Hours-on-duty risk for hour `k` (1-based) of a shift.
    pub fn hours_on_duty(&self, k: usize) -> f64 {
        match k {
            0 => self.hours_on_duty[0],
            1..=8 => self.hours_on_duty[k - 1],
            _ => self.hours_on_duty[7] + (k - 8) as f64 * self.hours_on_duty_slope,
        }
    }

    fn k_for(&self, shift_type: ShiftType) -> f64 {
        match shift_type {
            ShiftType::Early => self.k_early,
            ShiftType::Day | ShiftType::Late => self.k_day_or_late,
            ShiftType::Night => self.k_night,
        }
    }
}

/// The HRI of one shift.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShiftRisk {
    /// Hour-weighted mean HRI over the shift.
    pub mean: f64,
    /// Highest hourly HRI in the shift.
    pub peak: f64,
    /// The cumulative component for this shift.
    pub cumulative: f64,
    /// Hours worked.
    pub hours: f64,
}

/// The shift type a roster shows, from the local start hour.
pub fn shift_type(shift: &Shift, clock: &LocalClock) -> ShiftType {
    let tod = clock.time_of_day_hours(shift.start());
    ShiftType::from_start_hour(tod.floor() as u32)
}

/// HRI for each shift of one person's roster (sorted by start; overlapping
/// shifts are the caller's error and are treated as a zero gap).
pub fn shift_risks(shifts: &[Shift], clock: &LocalClock, p: &HourlyRiskParams) -> Vec<ShiftRisk> {
    let mut cumulative = 1.0;
    let mut previous_end: Option<chrono::DateTime<chrono::Utc>> = None;
    shifts
        .iter()
        .map(|shift| {
            cumulative = match previous_end {
                None => 1.0,
                Some(end) => {
                    let gap = ((shift.start() - end).num_seconds() as f64 / 3600.0).max(0.0);
                    if gap >= p.reset_gap_hours {
                        1.0
                    } else {
                        let rest = (gap - 2.0 * p.commute_hours).max(0.0);
                        let recovered = 1.0
                            + (cumulative - 1.0) * (-p.recovery_rate_per_day * rest / 24.0).exp();
                        let mut next = recovered * p.k_for(shift_type(shift, clock)).exp();
                        if gap < p.quick_return_hours {
                            next += p.quick_return_per_hour * (p.quick_return_hours - gap);
                        }
                        next
                    }
                }
            };
            previous_end = Some(shift.end());
            one_shift(shift, cumulative, clock, p)
        })
        .collect()
}

fn one_shift(
    shift: &Shift,
    cumulative: f64,
    clock: &LocalClock,
    p: &HourlyRiskParams,
) -> ShiftRisk {
    let hours = shift.duration_hours();
    let (mut weighted, mut weight, mut peak) = (0.0, 0.0, f64::MIN);
    let mut k = 0;
    while (k as f64) < hours {
        let fraction = (hours - k as f64).min(1.0);
        let mid =
            shift.start() + Duration::milliseconds(((k as f64 + fraction / 2.0) * 3.6e6) as i64);
        let hri = p.time_of_day(clock.time_of_day_hours(mid)) * p.hours_on_duty(k + 1) * cumulative;
        weighted += hri * fraction;
        weight += fraction;
        peak = peak.max(hri);
        k += 1;
    }
    ShiftRisk {
        mean: if weight > 0.0 { weighted / weight } else { 0.0 },
        peak: if weight > 0.0 { peak } else { 0.0 },
        cumulative,
        hours,
    }
}

/// Hour-weighted mean HRI over a set of shift risks; `None` when no hours.
pub fn mean_hri(risks: &[ShiftRisk]) -> Option<f64> {
    let hours: f64 = risks.iter().map(|r| r.hours).sum();
    (hours > 0.0).then(|| risks.iter().map(|r| r.mean * r.hours).sum::<f64>() / hours)
}

/// Mean HRI of the reference roster: five 8-hour day shifts 09:00–17:00
/// Monday to Friday, in UTC (a week with no DST change).
pub fn reference_mean_hri(p: &HourlyRiskParams) -> f64 {
    let clock = LocalClock::utc();
    // 2025-01-06 was a Monday.
    let shifts: Vec<Shift> = (0..5)
        .filter_map(|d| {
            let day = NaiveDate::from_ymd_opt(2025, 1, 6)? + Duration::days(d);
            let start =
                chrono::Utc.from_utc_datetime(&day.and_time(NaiveTime::from_hms_opt(9, 0, 0)?));
            Shift::new(start, start + Duration::hours(8)).ok()
        })
        .collect();
    mean_hri(&shift_risks(&shifts, &clock, p)).unwrap_or(1.0)
}

/// The Risk Index of a roster: its mean HRI over the reference roster's.
pub fn risk_index(risks: &[ShiftRisk], p: &HourlyRiskParams) -> Option<f64> {
    mean_hri(risks).map(|m| m / reference_mean_hri(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn shift(day: u32, start_h: u32, hours: i64) -> Shift {
        let start: DateTime<Utc> = Utc.with_ymd_and_hms(2025, 1, day, start_h, 0, 0).unwrap();
        Shift::new(start, start + Duration::hours(hours)).unwrap()
    }

    #[test]
    fn time_of_day_means_reproduce_the_published_shift_figures() {
        let p = HourlyRiskParams::default();
        let mean = |from: usize| {
            (0..8)
                .map(|i| p.time_of_day(((from + i) % 24) as f64 + 0.5))
                .sum::<f64>()
                / 8.0
        };
        let morning = mean(6);
        assert!(
            (mean(14) / morning - 1.18).abs() < 0.005,
            "afternoon {}",
            mean(14) / morning
        );
        assert!(
            (mean(22) / morning - 1.30).abs() < 0.005,
            "night {}",
            mean(22) / morning
        );
    }

    #[test]
    fn twelfth_hour_is_about_double_the_first_eight() {
        let p = HourlyRiskParams::default();
        assert!((p.hours_on_duty(12) - 2.0).abs() < 1e-12);
        assert!((p.hours_on_duty(1) - 0.76).abs() < 1e-12);
    }

    #[test]
    fn successive_nights_accumulate_and_a_long_break_resets() {
        let clock = LocalClock::utc();
        let p = HourlyRiskParams::default();
        let nights: Vec<Shift> = (1..=4).map(|d| shift(d, 22, 8)).collect();
        let risks = shift_risks(&nights, &clock, &p);
        assert_eq!(risks[0].cumulative, 1.0);
        for pair in risks.windows(2) {
            assert!(pair[1].cumulative > pair[0].cumulative);
        }
        // Gap 16 h, rest 14 h: recovery then one night's increase.
        let expected2 = (p.k_night).exp();
        assert!((risks[1].cumulative - expected2).abs() < 1e-12);
        let expected3 =
            (1.0 + (expected2 - 1.0) * (-0.7888_f64 * 14.0 / 24.0).exp()) * p.k_night.exp();
        assert!((risks[2].cumulative - expected3).abs() < 1e-12);
        let after_break = shift_risks(&[shift(1, 22, 8), shift(5, 22, 8)], &clock, &p);
        assert_eq!(after_break[1].cumulative, 1.0);
    }

    #[test]
    fn quick_return_adds_risk() {
        let clock = LocalClock::utc();
        let p = HourlyRiskParams::default();
        // Late 14-22 then early 06: gap 8 h.
        let risks = shift_risks(&[shift(1, 14, 8), shift(2, 6, 8)], &clock, &p);
        let expected = p.k_early.exp() + 0.06 * 1.0;
        assert!((risks[1].cumulative - expected).abs() < 1e-12);
    }

    #[test]
    fn reference_roster_has_risk_index_one_and_nights_are_riskier() {
        let p = HourlyRiskParams::default();
        let clock = LocalClock::utc();
        let days: Vec<Shift> = (6..=10).map(|d| shift(d, 9, 8)).collect();
        let ri = risk_index(&shift_risks(&days, &clock, &p), &p).unwrap();
        assert!((ri - 1.0).abs() < 1e-12);
        let nights: Vec<Shift> = (6..=10).map(|d| shift(d, 22, 12)).collect();
        let ri_nights = risk_index(&shift_risks(&nights, &clock, &p), &p).unwrap();
        assert!(ri_nights > 1.6, "five 12 h nights: {ri_nights}");
    }

    #[test]
    fn partial_last_hour_counts_for_its_fraction() {
        let p = HourlyRiskParams::default();
        let clock = LocalClock::utc();
        let start = Utc.with_ymd_and_hms(2025, 1, 1, 9, 0, 0).unwrap();
        let s = Shift::new(start, start + Duration::minutes(90)).unwrap();
        let r = shift_risks(&[s], &clock, &p)[0];
        let h1 = p.time_of_day(9.5) * 0.76;
        let h2 = p.time_of_day(10.25) * 0.91;
        assert!((r.mean - (h1 + 0.5 * h2) / 1.5).abs() < 1e-12);
        assert!((r.hours - 1.5).abs() < 1e-12);
    }
}
