//! The Fatigue Index (FI) of a shift, from the TPM's predicted KSS.
//!
//! # Formula
//! `P(KSS >= 8) = min(1, 1.26 / (1 + 3670 e^{-1.06 KSS}))` (the HSE Fatigue
//! and Risk Index's logistic mapping, RR446, 2006; capped at 1 because the
//! fitted curve exceeds 1 above KSS ≈ 9). A shift's FI is the mean of P over
//! the shift's epochs `[start, end)`, times 100. KSS is the TPM KSS including
//! sleep inertia. See `docs/science.md` §4.
//!
//! Thresholds, applied as guidance as UK rail does (Network Rail
//! NR/L2/OHS/003): FI 35 for day shifts and 45 for night shifts, where a
//! night shift has at least 3 hours between 23:00 and 06:00 local time
//! (Working Time Regulations 1998, reg. 2; the rule lives in
//! [`crate::night_time`]).

use chrono::{DateTime, Utc};
use models::Shift;

use crate::LocalClock;
use crate::night_time::{is_night_duty, night_minutes};

/// FI threshold for a day shift (Network Rail NR/L2/OHS/003).
pub const DAY_THRESHOLD: f64 = 35.0;
/// FI threshold for a night shift (Network Rail NR/L2/OHS/003).
pub const NIGHT_THRESHOLD: f64 = 45.0;

/// Probability of a KSS of 8 or more given a predicted KSS (RR446), in `[0, 1]`.
pub fn probability_kss_at_least_8(kss: f64) -> f64 {
    (1.26 / (1.0 + 3670.0 * (-1.06 * kss).exp())).min(1.0)
}

/// The FI of a shift given the predicted KSS at each of its epochs: mean `P × 100`.
/// `None` when the shift holds no epoch.
pub fn fatigue_index(kss_in_shift: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = kss_in_shift.into_iter().fold((0.0, 0_usize), |(s, n), k| {
        (s + probability_kss_at_least_8(k), n + 1)
    });
    (n > 0).then(|| 100.0 * sum / n as f64)
}

/// Hours of `[start, end)` that fall between 23:00 and 06:00 local time
/// ([`crate::night_time::night_minutes`], in hours).
pub fn night_hours(start: DateTime<Utc>, end: DateTime<Utc>, clock: &LocalClock) -> f64 {
    night_minutes(start, end, clock.zone()) as f64 / 60.0
}

/// True when a shift is a night shift by the WTR rule
/// ([`crate::night_time::is_night_duty`]: ≥ 3 h in 23:00–06:00).
pub fn is_night_shift(shift: &Shift, clock: &LocalClock) -> bool {
    is_night_duty(shift.start(), shift.end(), clock.zone())
}

/// The FI threshold that applies to a shift: 45 for night shifts, else 35.
pub fn threshold_for(shift: &Shift, clock: &LocalClock) -> f64 {
    threshold_for_night(is_night_shift(shift, clock))
}

/// [`threshold_for`] a shift already known to be a night shift or not.
pub fn threshold_for_night(night: bool) -> f64 {
    if night {
        NIGHT_THRESHOLD
    } else {
        DAY_THRESHOLD
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn probability_is_logistic_and_capped() {
        let p5 = probability_kss_at_least_8(5.0);
        assert!((p5 - 1.26 / (1.0 + 3670.0 * (-5.3_f64).exp())).abs() < 1e-15);
        assert_eq!(probability_kss_at_least_8(9.5), 1.0);
        assert!(probability_kss_at_least_8(1.0) < 0.001);
        assert!(probability_kss_at_least_8(7.0) < probability_kss_at_least_8(8.0));
    }

    #[test]
    fn fatigue_index_is_mean_probability_times_100() {
        let fi = fatigue_index([9.5, 9.5]).unwrap();
        assert!((fi - 100.0).abs() < 1e-12);
        assert!(fatigue_index(std::iter::empty()).is_none());
    }

    #[test]
    fn night_rule_counts_hours_between_23_and_06() {
        let london = LocalClock::from_name("Europe/London").unwrap();
        let t = |d, h| Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap();
        // 22:00-07:00 holds 7 night hours.
        let night = Shift::new(t(1, 22), t(2, 7)).unwrap();
        assert!((night_hours(night.start(), night.end(), &london) - 7.0).abs() < 1e-12);
        assert!(is_night_shift(&night, &london));
        assert_eq!(threshold_for(&night, &london), NIGHT_THRESHOLD);
        // A late shift 16:00-01:00 has 2 night hours: not a night shift.
        let late = Shift::new(t(1, 16), t(2, 1)).unwrap();
        assert!(!is_night_shift(&late, &london));
        // 16:00-02:00 has 3: it is, by the WTR rule.
        let long_late = Shift::new(t(1, 16), t(2, 2)).unwrap();
        assert!(is_night_shift(&long_late, &london));
    }
}
