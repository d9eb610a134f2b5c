//! Sleep regularity: the Sleep Regularity Index and social jet lag (per
//! shift type for a rotating roster, as MCTQ-Shift computes it).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;
use models::{Shift, ShiftType};
use serde::{Deserialize, Serialize};

use crate::LocalClock;
use crate::hourly_risk::shift_type;
use crate::wearables::episodes::SleepEpisode;

/// Minutes in a day: the SRI's epochs.
const MINUTES_PER_DAY: usize = 1440;
/// The longest window the SRI is computed over (a year), bounding its memory.
pub const MAX_SRI_DAYS: u32 = 366;

/// Why a regularity figure cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegularityError {
    /// Fewer than two consecutive days with sleep recorded.
    #[error("need two consecutive days with sleep recorded, found none")]
    TooFewDays,
    /// A window longer than [`MAX_SRI_DAYS`].
    #[error("the window of {0} days is longer than the {MAX_SRI_DAYS} allowed")]
    TooManyDays(u32),
    /// The window's first local midnight does not exist or is ambiguous.
    #[error("the window cannot start at local midnight of {0}")]
    NoMidnight(NaiveDate),
    /// A window asked for outside 2..=[`MAX_SRI_DAYS`] days.
    #[error("a window of {0} days is outside 2..={MAX_SRI_DAYS}")]
    WindowOutOfRange(u32),
}

/// The Sleep Regularity Index of `days` days from local midnight of `first` in `zone`.
///
/// # Formula
/// Phillips et al. 2017, "Irregular sleep/wake patterns are associated with
/// poorer academic performance and delayed circadian and sleep/wake timing",
/// Sci Rep 7:3216:
/// `SRI = −100 + 200 / (M (N − 1)) · Σ_{j=1}^{M} Σ_{i=1}^{N−1} δ(s_{i,j}, s_{i+1,j})`
/// where `s_{i,j}` is asleep or awake at minute `j` of day `i` (`M = 1440`
/// one-minute epochs, `N` days) and `δ` is 1 when the two states agree, else 0.
/// 100 is the same schedule every day, 0 random. Days are 24 h of elapsed
/// time, so a DST change shifts clock time, not the comparison. A day with no
/// episode overlapping it (device not worn) is left out with both its pairs,
/// and the sum is normalised over the pairs that remain.
///
/// # Errors
/// [`RegularityError::TooFewDays`] when no pair of consecutive recorded days
/// remains; [`RegularityError::TooManyDays`] past [`MAX_SRI_DAYS`].
pub fn sleep_regularity_index(
    episodes: &[SleepEpisode],
    first: NaiveDate,
    days: u32,
    zone: Tz,
) -> Result<f64, RegularityError> {
    if days > MAX_SRI_DAYS {
        return Err(RegularityError::TooManyDays(days));
    }
    let start = zone
        .from_local_datetime(&first.and_time(NaiveTime::MIN))
        .earliest()
        .ok_or(RegularityError::NoMidnight(first))?
        .with_timezone(&chrono::Utc);
    let days = days as usize;
    let mut asleep = vec![false; days * MINUTES_PER_DAY];
    let mut recorded = vec![false; days];
    let window_end = start + Duration::minutes((days * MINUTES_PER_DAY) as i64);
    for e in episodes {
        if e.end <= start || e.start >= window_end {
            continue;
        }
        let from = (e.start - start).num_minutes().max(0) as usize;
        let to = ((e.end - start).num_minutes().max(0) as usize).min(asleep.len());
        asleep[from..to].iter_mut().for_each(|m| *m = true);
        let last_day = (to.saturating_sub(1) / MINUTES_PER_DAY).min(days.saturating_sub(1));
        recorded[from / MINUTES_PER_DAY..=last_day]
            .iter_mut()
            .for_each(|d| *d = true);
    }
    let mut agree = 0_usize;
    let mut pairs = 0_usize;
    for day in 0..days.saturating_sub(1) {
        if !(recorded[day] && recorded[day + 1]) {
            continue;
        }
        let today = &asleep[day * MINUTES_PER_DAY..(day + 1) * MINUTES_PER_DAY];
        let tomorrow = &asleep[(day + 1) * MINUTES_PER_DAY..(day + 2) * MINUTES_PER_DAY];
        agree += today.iter().zip(tomorrow).filter(|(a, b)| a == b).count();
        pairs += MINUTES_PER_DAY;
    }
    if pairs == 0 {
        return Err(RegularityError::TooFewDays);
    }
    Ok(-100.0 + 200.0 * agree as f64 / pairs as f64)
}

/// Mid-sleep times on work and free days and the social jet lag between them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SocialJetLag {
    /// Mean local mid-sleep before work days, clock hours in `[0, 24)`.
    pub mid_sleep_work_hours: f64,
    /// Mean local mid-sleep before free days, clock hours in `[0, 24)`.
    pub mid_sleep_free_hours: f64,
    /// `|MSF − MSW|` on the 24-hour clock, hours.
    pub jet_lag_hours: f64,
}

/// Social jet lag over the main sleeps in `episodes`.
///
/// # Formula
/// Wittmann, Dinich, Merrow & Roenneberg 2006, "Social jetlag: misalignment
/// of biological and social time", Chronobiol Int 23:497:
/// `SJL = |MSF − MSW|`, with `MSW` and `MSF` the mid-points of sleep before
/// work days and before free days in local clock time. A main sleep comes
/// before the day it ends on (its local date), so `is_work_day(local_date)`
/// classifies it. Means are circular (24-hour clock), so mid-sleeps at 23:30
/// and 00:30 average to midnight, as night-shift workers' day sleeps need.
/// `None` without at least one sleep of each kind.
pub fn social_jet_lag(
    episodes: &[SleepEpisode],
    is_work_day: impl Fn(NaiveDate) -> bool,
) -> Option<SocialJetLag> {
    let (mut work, mut free) = (Vec::new(), Vec::new());
    for e in episodes.iter().filter(|e| e.is_main) {
        let hours = mid_sleep_hours(e);
        if is_work_day(e.local_date) {
            work.push(hours);
        } else {
            free.push(hours);
        }
    }
    let msw = circular_mean_hours(&work)?;
    let msf = circular_mean_hours(&free)?;
    let d = (msf - msw).abs();
    Some(SocialJetLag {
        mid_sleep_work_hours: msw,
        mid_sleep_free_hours: msf,
        jet_lag_hours: d.min(24.0 - d),
    })
}

/// Social jet lag of one shift type's work days and the free days after them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShiftTypeJetLag {
    /// The shift type.
    pub shift_type: ShiftType,
    /// Main sleeps on work days of this type.
    pub work_sleeps: usize,
    /// Main sleeps on free days after a block of this type.
    pub free_sleeps: usize,
    /// Mid-sleeps and their gap, as [`social_jet_lag`] gives them.
    pub jet_lag: SocialJetLag,
}

/// Social jet lag per shift type, MCTQ-Shift's way.
///
/// # Formula
/// Juda, Vetter & Roenneberg 2013, "The Munich ChronoType Questionnaire for
/// shift-workers (MCTQ^Shift)", J Biol Rhythms 28:130, and "Chronotype
/// modulates sleep duration, sleep quality, and social jet lag in
/// shift-workers", J Biol Rhythms 28:141: sleep is asked separately for the
/// work days of each shift type and for the free days that follow a block of
/// that type, and social jet lag is computed per shift type,
/// `SJL_X = |MSF_X − MSW_X|` ([`social_jet_lag`]'s circular means).
///
/// A main sleep's day is the local date it ends on, as in [`social_jet_lag`].
/// A day on which a shift starts is a work day of that shift's type (the
/// first shift of the day when two start; types by
/// [`crate::hourly_risk::shift_type`]); any other day is a free day after
/// the type of the last shift that started before it. Sleeps before the
/// first shift in `shifts` are left out. One entry per type with at least
/// one work and one free sleep, in early, day, late, night order.
pub fn social_jet_lag_by_shift_type(
    episodes: &[SleepEpisode],
    shifts: &[Shift],
    clock: &LocalClock,
) -> Vec<ShiftTypeJetLag> {
    let zone = clock.zone();
    let mut starts: BTreeMap<NaiveDate, ShiftType> = BTreeMap::new();
    for s in shifts {
        starts
            .entry(s.start().with_timezone(&zone).date_naive())
            .or_insert_with(|| shift_type(s, clock));
    }
    // (type, is_work_day) of each main sleep's day.
    let day_kind = |d: NaiveDate| -> Option<(ShiftType, bool)> {
        match starts.get(&d) {
            Some(t) => Some((*t, true)),
            None => starts.range(..d).next_back().map(|(_, t)| (*t, false)),
        }
    };
    [
        ShiftType::Early,
        ShiftType::Day,
        ShiftType::Late,
        ShiftType::Night,
    ]
    .into_iter()
    .filter_map(|t| {
        let mine: Vec<SleepEpisode> = episodes
            .iter()
            .filter(|e| e.is_main && day_kind(e.local_date).is_some_and(|(k, _)| k == t))
            .cloned()
            .collect();
        let work_sleeps = mine
            .iter()
            .filter(|e| day_kind(e.local_date).is_some_and(|(_, w)| w))
            .count();
        let jet_lag = social_jet_lag(&mine, |d| day_kind(d).is_some_and(|(_, w)| w))?;
        Some(ShiftTypeJetLag {
            shift_type: t,
            work_sleeps,
            free_sleeps: mine.len() - work_sleeps,
            jet_lag,
        })
    })
    .collect()
}

/// A sleep's mid-point, local clock hours in `[0, 24)` in its own zone.
pub(crate) fn mid_sleep_hours(e: &SleepEpisode) -> f64 {
    let mid = (e.start + (e.end - e.start) / 2).with_timezone(&e.zone);
    f64::from(mid.num_seconds_from_midnight()) / 3600.0
}

pub(crate) fn circular_mean_hours(hours: &[f64]) -> Option<f64> {
    if hours.is_empty() {
        return None;
    }
    let to_angle = std::f64::consts::TAU / 24.0;
    let (s, c) = hours.iter().fold((0.0, 0.0), |(s, c), h| {
        (s + (h * to_angle).sin(), c + (h * to_angle).cos())
    });
    Some((s.atan2(c) / to_angle).rem_euclid(24.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circular_mean_wraps_midnight() {
        let m = circular_mean_hours(&[23.5, 0.5]).unwrap();
        assert!(m < 1e-9 || (24.0 - m) < 1e-9, "{m}");
        assert!((circular_mean_hours(&[3.0, 5.0]).unwrap() - 4.0).abs() < 1e-9);
        assert!(circular_mean_hours(&[]).is_none());
    }

    #[test]
    fn a_window_past_a_year_is_refused() {
        let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert_eq!(
            sleep_regularity_index(&[], first, MAX_SRI_DAYS + 1, Tz::UTC),
            Err(RegularityError::TooManyDays(MAX_SRI_DAYS + 1))
        );
    }
}
