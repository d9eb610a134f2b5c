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
//! - cumulative, per shift in a run ([`HourlyRiskParams::cumulative`]): a
//!   run starts at the first shift of a roster and after a gap of 48 h or
//!   more; the `n`-th shift of a run (every shift counts) takes the published
//!   successive-shift risk of its own type (Folkard & Tucker 2003): nights
//!   1.00, 1.06, 1.17, 1.36, other shifts 1.00, 1.02, 1.07, 1.17 for
//!   `n = 1..4`; beyond 4 the 3rd→4th ratio continues geometrically, capped
//!   at the `n = 7` value (ours); a quick return (gap under 9 h) then
//!   multiplies by `1 + 0.06 (9 − gap)` (ours).
//!
//! A shift's HRI is the mean over its hours (a last partial hour counts for
//! its fraction, evaluated at its own mid-point), with the peak hour reported
//! too. A Risk Index is a mean HRI divided by that of a reference roster of
//! five 8-hour day shifts 09:00–17:00, Monday to Friday
//! ([`risk_index_of`]): for a roster its hour-weighted mean, for one shift
//! its own mean. 1.6 is the guidance threshold (FRI, Network Rail
//! NR/L2/OHS/003) and applies to Risk Indices only, never to a raw HRI.

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
    /// Gap that starts a new run of shifts, hours (48).
    pub reset_gap_hours: f64,
    /// Risk of the 1st..4th shift of a run for a night shift (Folkard &
    /// Tucker 2003): 1.00, 1.06, 1.17, 1.36.
    pub night_series: [f64; 4],
    /// Risk of the 1st..4th shift of a run for an early, day or late shift
    /// (Folkard & Tucker 2003, mornings/days; lates ours): 1.00, 1.02,
    /// 1.07, 1.17.
    pub day_series: [f64; 4],
    /// The series stops rising at this shift of a run (ours: 7).
    pub series_cap_shift: u32,
    /// Gap under which a quick return adds risk, hours.
    pub quick_return_hours: f64,
    /// Added risk per hour of a quick return's shortfall (a factor of
    /// `1 + this × (quick_return_hours − gap)`).
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
            reset_gap_hours: 48.0,
            night_series: [1.00, 1.06, 1.17, 1.36],
            day_series: [1.00, 1.02, 1.07, 1.17],
            series_cap_shift: 7,
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

    /// The cumulative component of the `n`-th shift (1-based; 0 reads as 1)
    /// of a run, for a shift of type `shift_type`, before any quick-return
    /// factor.
    ///
    /// # Formula
    /// `S[n]` for `n = 1..4` from the type's published series; for
    /// `n > 4`, `S[4] × (S[4] / S[3])^(min(n, cap) − 4)`, with `cap` =
    /// [`Self::series_cap_shift`] (7): nights 1.36 × (1.36 / 1.17)^3 ≈
    /// 2.136 from the 7th on, other shifts 1.17 × (1.17 / 1.07)^3 ≈ 1.530.
    /// Source: Folkard & Tucker 2003 (`fatigue-science.md` §5); the
    /// continuation past the 4th is ours.
    pub fn cumulative(&self, shift_type: ShiftType, n: u32) -> f64 {
        let s = match shift_type {
            ShiftType::Night => &self.night_series,
            ShiftType::Early | ShiftType::Day | ShiftType::Late => &self.day_series,
        };
        match n {
            0..=4 => s[n.max(1) as usize - 1],
            _ => {
                let beyond = n.min(self.series_cap_shift.max(4)) - 4;
                s[3] * (s[3] / s[2]).powi(beyond as i32)
            }
        }
    }

    /// The quick-return factor for a gap of `gap_hours` since the previous
    /// shift: `1 + 0.06 (9 − gap)` under 9 h (ours), else 1.
    pub fn quick_return_factor(&self, gap_hours: f64) -> f64 {
        if gap_hours < self.quick_return_hours {
            1.0 + self.quick_return_per_hour * (self.quick_return_hours - gap_hours)
        } else {
            1.0
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
/// shifts are the caller's error and are treated as a zero gap). The
/// cumulative component is [`HourlyRiskParams::cumulative`] of the shift's
/// place in its run, times [`HourlyRiskParams::quick_return_factor`].
pub fn shift_risks(shifts: &[Shift], clock: &LocalClock, p: &HourlyRiskParams) -> Vec<ShiftRisk> {
    let mut n = 0u32;
    let mut previous_end: Option<chrono::DateTime<chrono::Utc>> = None;
    shifts
        .iter()
        .map(|shift| {
            let gap = previous_end
                .map(|end| ((shift.start() - end).num_seconds() as f64 / 3600.0).max(0.0));
            n = match gap {
                Some(g) if g < p.reset_gap_hours => n.saturating_add(1),
                _ => 1,
            };
            let cumulative = p.cumulative(shift_type(shift, clock), n)
                * gap.map_or(1.0, |g| p.quick_return_factor(g));
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
    hour_weighted_mean_hri(risks.iter().map(|r| (r.mean, r.hours)))
}

/// Hour-weighted mean of shifts' mean HRI, given as `(mean, hours)` pairs
/// (one person's shifts, or a whole team's pooled); `None` when no hours.
///
/// # Formula
/// `Σ mean_i × hours_i / Σ hours_i`: the mean HRI over every hour worked.
pub fn hour_weighted_mean_hri(shifts: impl IntoIterator<Item = (f64, f64)>) -> Option<f64> {
    let (weighted, hours) = shifts
        .into_iter()
        .fold((0.0, 0.0), |(w, h), (mean, hours)| {
            (w + mean * hours, h + hours)
        });
    (hours > 0.0).then(|| weighted / hours)
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

/// A Risk Index: a mean HRI, of a roster or of one shift, divided by the
/// reference roster's ([`reference_mean_hri`]). The one place the ratio is
/// taken: a figure compared with [`RISK_INDEX_THRESHOLD`] comes from here.
///
/// # Formula
/// `RI = mean_hri / reference_mean_hri` (`fatigue-science.md` §5).
pub fn risk_index_of(mean_hri: f64, reference_mean_hri: f64) -> f64 {
    mean_hri / reference_mean_hri
}

/// True when a Risk Index reaches the guidance threshold (1.6 or more).
pub fn at_or_over_risk_threshold(risk_index: f64) -> bool {
    risk_index >= RISK_INDEX_THRESHOLD
}

/// The Risk Index of a roster: its mean HRI over the reference roster's.
pub fn risk_index(risks: &[ShiftRisk], p: &HourlyRiskParams) -> Option<f64> {
    let reference = reference_mean_hri(p);
    mean_hri(risks).map(|m| risk_index_of(m, reference))
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
    fn successive_shifts_take_the_published_series_exactly() {
        let clock = LocalClock::utc();
        let p = HourlyRiskParams::default();
        // Nights 22:00-06:00 on 1..=9 January: gaps of 16 h, one run.
        let nights: Vec<Shift> = (1..=9).map(|d| shift(d, 22, 8)).collect();
        let got: Vec<f64> = shift_risks(&nights, &clock, &p)
            .iter()
            .map(|r| r.cumulative)
            .collect();
        // Published 1.00/1.06/1.17/1.36, then x 1.36/1.17 per shift to the
        // 7th: 1.36 r, 1.36 r^2, 1.36 r^3 = 2.13598..., held from there.
        let r = 1.36 / 1.17;
        let want = [
            1.00,
            1.06,
            1.17,
            1.36,
            1.36 * r,
            1.36 * r * r,
            1.36 * r * r * r,
            1.36 * r * r * r,
            1.36 * r * r * r,
        ];
        for (n, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-12, "night {}: {g} vs {w}", n + 1);
        }
        assert!((want[6] - 2.135_984).abs() < 1e-6, "cap {}", want[6]);
        // Days 09:00-17:00: 1.00/1.02/1.07/1.17, then x 1.17/1.07, capped at
        // the 7th: 1.17 (1.17/1.07)^3 = 1.52965...
        let days: Vec<Shift> = (1..=8).map(|d| shift(d, 9, 8)).collect();
        let got: Vec<f64> = shift_risks(&days, &clock, &p)
            .iter()
            .map(|r| r.cumulative)
            .collect();
        let q = 1.17 / 1.07;
        let want = [
            1.00,
            1.02,
            1.07,
            1.17,
            1.17 * q,
            1.17 * q * q,
            1.17 * q * q * q,
            1.17 * q * q * q,
        ];
        for (n, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-12, "day {}: {g} vs {w}", n + 1);
        }
        assert!((want[7] - 1.529_650).abs() < 1e-6, "cap {}", want[7]);
    }

    #[test]
    fn a_gap_of_48_hours_starts_a_new_run_and_47_does_not() {
        let clock = LocalClock::utc();
        let p = HourlyRiskParams::default();
        // Night 1 Jan 22:00-06:00; the next starts 48 h after it ends
        // (4 Jan 06:00 is an early, its own series restarts at 1.00).
        let start = Utc.with_ymd_and_hms(2025, 1, 2, 6, 0, 0).unwrap();
        let after = |h: i64| {
            let s = start + Duration::hours(h);
            Shift::new(s, s + Duration::hours(8)).unwrap()
        };
        let reset = shift_risks(&[shift(1, 22, 8), after(48)], &clock, &p);
        assert_eq!(reset[1].cumulative, 1.0);
        // 47 h: the 2nd shift of the run, an early (04:00-19:59 start): 1.02.
        let cont = shift_risks(&[shift(1, 22, 8), after(47)], &clock, &p);
        assert!((cont[1].cumulative - 1.02).abs() < 1e-12);
    }

    #[test]
    fn a_mixed_run_counts_every_shift_and_takes_each_ones_own_series() {
        let clock = LocalClock::utc();
        let p = HourlyRiskParams::default();
        // Day 1 Jan 09-17, day 2 Jan 09-17, night 3 Jan 22-06, night 4 Jan
        // 22-06, day 6 Jan 14-22 (gap 32 h): n = 1..5 of one run.
        let run = [
            shift(1, 9, 8),
            shift(2, 9, 8),
            shift(3, 22, 8),
            shift(4, 22, 8),
            shift(6, 14, 8),
        ];
        let got: Vec<f64> = shift_risks(&run, &clock, &p)
            .iter()
            .map(|r| r.cumulative)
            .collect();
        // day n=1, day n=2, night n=3, night n=4, late n=5 (day series).
        let want = [1.00, 1.02, 1.17, 1.36, 1.17 * 1.17 / 1.07];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
    }

    #[test]
    fn quick_return_multiplies_the_series() {
        let clock = LocalClock::utc();
        let p = HourlyRiskParams::default();
        // Late 14-22 then early 06: gap 8 h, 2nd of the run: 1.02 x (1 + 0.06 x 1).
        let risks = shift_risks(&[shift(1, 14, 8), shift(2, 6, 8)], &clock, &p);
        assert!((risks[1].cumulative - 1.02 * 1.06).abs() < 1e-12);
        // Exactly 9 h: no quick-return factor.
        let risks = shift_risks(&[shift(1, 14, 8), shift(2, 7, 8)], &clock, &p);
        assert!((risks[1].cumulative - 1.02).abs() < 1e-12);
    }

    #[test]
    fn hri_one_is_the_mean_hour_of_a_first_eight_hour_morning() {
        let p = HourlyRiskParams::default();
        // Time of day averages 1.000 over 06-14 (0.99998), hours on duty
        // exactly 1.00 over hours 1..8; the shift's mean of the hourly
        // products is 0.99464 (the later, riskier hours of duty fall at
        // the rising part of the morning curve less than they would at a
        // flat one).
        let tod = (6..14).map(|h| p.time_of_day(h as f64 + 0.5)).sum::<f64>() / 8.0;
        assert!((tod - 1.0).abs() < 1e-4, "{tod}");
        let hos = (1..=8).map(|k| p.hours_on_duty(k)).sum::<f64>() / 8.0;
        assert!((hos - 1.0).abs() < 1e-12, "{hos}");
        let first = shift_risks(&[shift(6, 6, 8)], &LocalClock::utc(), &p)[0];
        assert!((first.mean - 0.994_639).abs() < 1e-5, "{}", first.mean);
        // The reference roster (five 09-17 days) has mean HRI 1.10955: the
        // run's series raises it above a single morning.
        assert!((reference_mean_hri(&p) - 1.109_546).abs() < 1e-5);
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
