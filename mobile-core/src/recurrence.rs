//! Recurrences that let a model step along a regular grid with a few
//! multiplications per epoch instead of transcendental calls.
//!
//! On a grid of step `Δ`, `e^{r (t + Δ)} = e^{r t} · e^{r Δ}` ([`Decay`]), and
//! the circadian angle `ω · tod` advances by `ω Δ`, a rotation of its cosine
//! and sine ([`DayClock`]). Each recurrence restarts from the closed form at
//! every sleep/wake transition, every change of UTC offset and every 288
//! steps, so rounding cannot accumulate: the stepped values match the closed
//! form to about 1e-12 (a property test checks 1e-9), far inside the 1e-6
//! tolerance against the reference vectors.

use std::f64::consts::PI;

use chrono::{DateTime, Utc};

use crate::LocalClock;

/// `e^{r t}` stepped along a grid.
#[derive(Debug, Clone, Copy)]
pub struct Decay {
    value: f64,
    ratio: f64,
}

impl Decay {
    /// Starts at `e^{rate · t0}`, advancing by `step` hours per call to [`Decay::advance`].
    pub fn new(rate: f64, t0: f64, step: f64) -> Self {
        Self {
            value: (rate * t0).exp(),
            ratio: (rate * step).exp(),
        }
    }

    /// The current value.
    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Moves one step on.
    #[inline]
    pub fn advance(&mut self) {
        self.value *= self.ratio;
    }
}

/// The circadian angle `A = 2π/24 · tod` as its cosine and sine, where `tod`
/// is local clock time in hours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayAngle {
    /// `cos A`.
    pub cos: f64,
    /// `sin A`.
    pub sin: f64,
}

impl DayAngle {
    /// The angle at local clock time `tod` hours.
    pub fn at(tod: f64) -> Self {
        let (sin, cos) = (2.0 * PI / 24.0 * tod).sin_cos();
        Self { cos, sin }
    }

    /// `A − φ` given `(cos φ, sin φ)`.
    #[inline]
    pub fn minus(self, (cos_p, sin_p): (f64, f64)) -> Self {
        Self {
            cos: self.cos * cos_p + self.sin * sin_p,
            sin: self.sin * cos_p - self.cos * sin_p,
        }
    }

    /// `A + φ` given `(cos φ, sin φ)`.
    #[inline]
    pub fn plus(self, (cos_p, sin_p): (f64, f64)) -> Self {
        Self {
            cos: self.cos * cos_p - self.sin * sin_p,
            sin: self.sin * cos_p + self.cos * sin_p,
        }
    }
}

/// `(cos, sin)` of the angle `2π/24 · hours`.
pub fn hour_angle(hours: f64) -> (f64, f64) {
    let (s, c) = (2.0 * PI / 24.0 * hours).sin_cos();
    (c, s)
}

/// Steps from the resynchronised closed form after at most this many epochs.
const RESYNC_EVERY: u32 = 288;
/// The zone's offset is looked up this often (seconds); a change inside a
/// window is found exactly by bisection. Every zone in the IANA database
/// changes offset at most once in any such window.
const PROBE_SECONDS: i64 = 6 * 3600;

/// Local time of day, stepped along a regular grid of UTC instants.
#[derive(Debug)]
pub struct DayClock {
    clock: LocalClock,
    rotation: (f64, f64),
    angle: DayAngle,
    since_resync: u32,
    offset: i64,
    offset_checked_until: i64,
    fixed: bool,
}

impl DayClock {
    /// A clock stepping by `step_ms` milliseconds.
    pub fn new(clock: &LocalClock, step_ms: i64) -> Self {
        Self {
            clock: *clock,
            rotation: hour_angle(step_ms as f64 / 3_600_000.0),
            angle: DayAngle::at(0.0),
            since_resync: RESYNC_EVERY,
            offset: 0,
            offset_checked_until: i64::MIN,
            fixed: clock.zone() == chrono_tz::Tz::UTC,
        }
    }

    /// The angle at `t_ms` (Unix milliseconds); call with successive grid
    /// instants.
    pub fn angle_at(&mut self, t_ms: i64) -> DayAngle {
        let offset_changed = self.track_offset(t_ms);
        if offset_changed || self.since_resync >= RESYNC_EVERY {
            let local_ms = (t_ms + self.offset * 1000).rem_euclid(86_400_000);
            self.angle = DayAngle::at(local_ms as f64 / 3_600_000.0);
            self.since_resync = 0;
        } else {
            self.angle = self.angle.plus(self.rotation);
        }
        self.since_resync += 1;
        self.angle
    }

    /// Local time of day in hours at `t_ms` (the closed form, for checks).
    pub fn tod_hours(&self, t_ms: i64) -> f64 {
        let local_ms = (t_ms + self.offset_seconds(t_ms) * 1000).rem_euclid(86_400_000);
        local_ms as f64 / 3_600_000.0
    }

    fn offset_seconds(&self, t_ms: i64) -> i64 {
        if self.fixed {
            return 0;
        }
        DateTime::<Utc>::from_timestamp_millis(t_ms).map_or(0, |t| self.clock.offset_seconds(t))
    }

    /// Updates the offset for `t_ms`; true when it changed since the last call.
    fn track_offset(&mut self, t_ms: i64) -> bool {
        if self.fixed {
            return false;
        }
        let t = t_ms.div_euclid(1000);
        if self.offset_checked_until == i64::MIN {
            self.offset = self.offset_seconds(t_ms);
            self.offset_checked_until = t;
            return false;
        }
        let mut changed = false;
        while t > self.offset_checked_until {
            let probe = self.offset_checked_until + PROBE_SECONDS;
            let probe_offset = self.offset_seconds(probe * 1000);
            if probe_offset == self.offset {
                self.offset_checked_until = probe;
                continue;
            }
            // The first second with a new offset lies in (checked_until, probe].
            let (mut lo, mut hi) = (self.offset_checked_until, probe);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if self.offset_seconds(mid * 1000) == self.offset {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            if t < hi {
                self.offset_checked_until = t;
                break;
            }
            self.offset = self.offset_seconds(hi * 1000);
            self.offset_checked_until = hi;
            changed = true;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stepped_angle_matches_the_closed_form_across_a_dst_change() {
        let london = LocalClock::from_name("Europe/London").unwrap();
        let start = Utc
            .with_ymd_and_hms(2025, 3, 25, 7, 3, 0)
            .unwrap()
            .timestamp_millis();
        let step = 7 * 60_000;
        let mut day = DayClock::new(&london, step);
        for i in 0..3000 {
            let t = start + i * step;
            let a = day.angle_at(t);
            let tod = london.time_of_day_hours(DateTime::from_timestamp_millis(t).unwrap());
            let exact = DayAngle::at(tod);
            assert!(
                (a.cos - exact.cos).abs() < 1e-12 && (a.sin - exact.sin).abs() < 1e-12,
                "step {i}"
            );
        }
    }

    #[test]
    fn decay_steps_match_exp() {
        let mut d = Decay::new(-0.0353, 0.5, 1.0 / 12.0);
        for i in 0..500 {
            let t = 0.5 + i as f64 / 12.0;
            assert!((d.value() - (-0.0353 * t).exp()).abs() < 1e-13);
            d.advance();
        }
    }
}
