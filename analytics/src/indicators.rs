//! One person's roster and wellbeing figures for a period, from which the
//! report's tables are summed. Limits from `frm-indicators.md` (shared
//! reference) and `fatigue-science.md` §4.

use chrono::{DateTime, Duration, Utc};
use mobile_core::fatigue_index::{DAY_THRESHOLD, NIGHT_THRESHOLD};
use models::sync::{CheckInRecord, CheckInScale, DailySummary, RecoveryBand};

use crate::input::{Period, ShiftRecord};

/// Days of shifts before a period that its figures look at (quick returns,
/// runs of nights and 7-day hours at the period's start): load shifts from
/// this many days before the first period.
pub const LOOKBACK_DAYS: i64 = 8;
/// Quick return, amber: rest between duties under 12 h (Network Rail).
pub const QUICK_RETURN_AMBER_HOURS: i64 = 12;
/// Quick return, red: under 11 h (WTR reg. 10).
pub const QUICK_RETURN_RED_HOURS: i64 = 11;
/// Consecutive nights, amber: more than 3 (HSG256).
pub const NIGHTS_AMBER: u32 = 3;
/// Consecutive nights, red: more than 4 (Police Scotland).
pub const NIGHTS_RED: u32 = 4;
/// Two night shifts are consecutive when the rest between them is under
/// this (no full rest day between; ours).
pub const NIGHT_RUN_GAP_HOURS: i64 = 24;
/// Long shift: over 12 h (HSG256, Network Rail).
pub const LONG_SHIFT_HOURS: i64 = 12;
/// Long night shift: over 8 h (HSG256).
pub const LONG_NIGHT_SHIFT_HOURS: i64 = 8;
/// Hours in 7 days, amber: 60 or more (Network Rail level 1).
pub const HOURS_7D_AMBER: i64 = 60;
/// Hours in 7 days, red: 72 or more (Network Rail level 2).
pub const HOURS_7D_RED: i64 = 72;
/// Short sleep: under 6 h (Police Federation / Wellbeing Survey benchmark).
pub const SHORT_SLEEP_MINUTES: u32 = 6 * 60;
/// High sleepiness: KSS 7 or more (FRM practice).
pub const KSS_HIGH: u8 = 7;

/// A person's level on an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Level {
    /// Within limits.
    #[default]
    Within,
    /// Amber.
    Amber,
    /// Red.
    Red,
}

impl Level {
    /// Column position: within 0, amber 1, red 2.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A person's roster figures for a period (shifts starting in it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RosterFigures {
    /// Shifts starting in the period.
    pub shifts: u32,
    /// Day shifts (not night by the WTR rule) with FI below / at or above 35.
    pub day_below: u32,
    /// See `day_below`.
    pub day_over: u32,
    /// Night shifts with FI below / at or above 45.
    pub night_below: u32,
    /// See `night_below`.
    pub night_over: u32,
    /// Sum of FI in hundredths over day shifts (exact, for means).
    pub day_fi_centi: i64,
    /// Sum of FI in hundredths over night shifts.
    pub night_fi_centi: i64,
    /// Shifts by FI decile: 0–<10, ..., 90–100.
    pub fi_bins: [u32; 10],
    /// Shifts by mean HRI: <1.0, 1.0–<1.2, 1.2–<1.4, 1.4–<1.6, ≥1.6.
    pub hri_bins: [u32; 5],
    /// Returns to duty under 12 h of rest (red ones included).
    pub quick_returns: u32,
    /// Returns under 11 h.
    pub quick_returns_red: u32,
    /// Worst quick-return level.
    pub quick_return_level: Level,
    /// Longest run of consecutive nights reaching into the period.
    pub longest_night_run: u32,
    /// Level of that run.
    pub night_run_level: Level,
    /// Shifts over 12 h, or nights over 8 h.
    pub long_shifts: u32,
    /// Red for a shift over 12 h, amber for a night over 8 h (as the
    /// engine's `long_shift` / `long_night_shift` flags).
    pub long_shift_level: Level,
    /// Most minutes worked in any 7 days ending at a shift's end in the period.
    pub max_7d_minutes: i64,
    /// Level of that.
    pub hours_7d_level: Level,
    /// Minutes worked inside the period.
    pub minutes_in_period: i64,
}

/// Bin of an FI value (0..=100) into deciles.
fn fi_bin(fi: f64) -> usize {
    // FI is validated 0..=100; 100 joins the top decile.
    ((fi / 10.0).floor().clamp(0.0, 9.0)) as usize
}

/// Bin of a mean HRI.
fn hri_bin(hri: f64) -> usize {
    match hri {
        h if h < 1.0 => 0,
        h if h < 1.2 => 1,
        h if h < 1.4 => 2,
        h if h < 1.6 => 3,
        _ => 4,
    }
}

fn level(value: i64, amber: i64, red: i64) -> Level {
    if value >= red {
        Level::Red
    } else if value >= amber {
        Level::Amber
    } else {
        Level::Within
    }
}

fn overlap_minutes(s: &ShiftRecord, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let a = s.start.max(from);
    let b = s.end.min(to);
    (b - a).num_minutes().max(0)
}

/// Roster figures over shifts sorted by start and not overlapping
/// ([`crate::input::PersonRecords::clean`]), for shifts starting in
/// `[from, to)`.
pub fn roster_figures(
    shifts: &[ShiftRecord],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> RosterFigures {
    let mut f = RosterFigures::default();
    let mut run = 0u32;
    for (i, s) in shifts.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &shifts[p]);
        let rest = prev.map(|p| s.start - p.end);
        // Runs of nights count nights before the period too.
        run = match (s.night, prev, rest) {
            (true, Some(p), Some(r)) if p.night && r < Duration::hours(NIGHT_RUN_GAP_HOURS) => {
                run + 1
            }
            (true, _, _) => 1,
            (false, _, _) => 0,
        };
        if s.start < from || s.start >= to {
            continue;
        }
        f.shifts += 1;
        let centi = (s.fatigue_index * 100.0).round() as i64;
        if s.night {
            if s.fatigue_index >= NIGHT_THRESHOLD {
                f.night_over += 1;
            } else {
                f.night_below += 1;
            }
            f.night_fi_centi += centi;
        } else {
            if s.fatigue_index >= DAY_THRESHOLD {
                f.day_over += 1;
            } else {
                f.day_below += 1;
            }
            f.day_fi_centi += centi;
        }
        f.fi_bins[fi_bin(s.fatigue_index)] += 1;
        f.hri_bins[hri_bin(s.hri_mean)] += 1;
        if let Some(rest) = rest {
            let minutes = rest.num_minutes();
            if minutes < QUICK_RETURN_AMBER_HOURS * 60 {
                f.quick_returns += 1;
                let lvl = if minutes < QUICK_RETURN_RED_HOURS * 60 {
                    f.quick_returns_red += 1;
                    Level::Red
                } else {
                    Level::Amber
                };
                f.quick_return_level = f.quick_return_level.max(lvl);
            }
        }
        f.longest_night_run = f.longest_night_run.max(run);
        let length = (s.end - s.start).num_minutes();
        let limit = if s.night {
            LONG_NIGHT_SHIFT_HOURS
        } else {
            LONG_SHIFT_HOURS
        };
        if length > limit * 60 {
            f.long_shifts += 1;
            let lvl = if length > LONG_SHIFT_HOURS * 60 {
                Level::Red
            } else {
                Level::Amber
            };
            f.long_shift_level = f.long_shift_level.max(lvl);
        }
        let window_start = s.end - Duration::days(7);
        let worked: i64 = shifts[..=i]
            .iter()
            .rev()
            .take_while(|p| p.end > window_start)
            .map(|p| overlap_minutes(p, window_start, s.end))
            .sum();
        f.max_7d_minutes = f.max_7d_minutes.max(worked);
        f.minutes_in_period += overlap_minutes(s, from, to);
    }
    // A shift that started before the period but runs into it still counts its hours there.
    if let Some(p) = shifts.iter().rev().find(|s| s.start < from) {
        f.minutes_in_period += overlap_minutes(p, from, to);
    }
    f.night_run_level = level(
        i64::from(f.longest_night_run),
        i64::from(NIGHTS_AMBER) + 1,
        i64::from(NIGHTS_RED) + 1,
    );
    f.hours_7d_level = level(f.max_7d_minutes, HOURS_7D_AMBER * 60, HOURS_7D_RED * 60);
    f
}

/// A person's consented sleep and check-in figures for a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WellbeingFigures {
    /// Summaries (person-nights) in the period.
    pub nights: u32,
    /// Sum of sleep obtained, minutes.
    pub sleep_minutes: i64,
    /// Sum of sleep debt, minutes.
    pub debt_minutes: i64,
    /// Nights under 6 h.
    pub short_nights: u32,
    /// Days by recovery band: green, amber, red.
    pub bands: [u32; 3],
    /// KSS check-ins below 7 / at 7 or more.
    pub kss_low: u32,
    /// See `kss_low`.
    pub kss_high: u32,
    /// Sum of KSS values.
    pub kss_sum: i64,
}

/// Wellbeing figures from summaries and check-ins dated in `period`.
pub fn wellbeing_figures(
    summaries: &[DailySummary],
    checkins: &[CheckInRecord],
    period: &Period,
) -> WellbeingFigures {
    let mut w = WellbeingFigures::default();
    for s in summaries.iter().filter(|s| period.contains(s.local_date)) {
        w.nights += 1;
        w.sleep_minutes += i64::from(s.sleep_minutes);
        w.debt_minutes += i64::from(s.sleep_debt_minutes);
        if s.sleep_minutes < SHORT_SLEEP_MINUTES {
            w.short_nights += 1;
        }
        match s.recovery_band {
            Some(RecoveryBand::Green) => w.bands[0] += 1,
            Some(RecoveryBand::Amber) => w.bands[1] += 1,
            Some(RecoveryBand::Red) => w.bands[2] += 1,
            None => {}
        }
    }
    for c in checkins
        .iter()
        .filter(|c| c.scale == CheckInScale::Kss && period.contains(c.local_date))
    {
        if c.value >= KSS_HIGH {
            w.kss_high += 1;
        } else {
            w.kss_low += 1;
        }
        w.kss_sum += i64::from(c.value);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use models::ShiftType;

    fn shift(day: u32, start_h: u32, hours: i64, night: bool, fi: f64) -> ShiftRecord {
        let start = Utc.with_ymd_and_hms(2026, 3, day, start_h, 0, 0).unwrap();
        ShiftRecord {
            start,
            end: start + Duration::hours(hours),
            shift_type: if night {
                ShiftType::Night
            } else {
                ShiftType::Day
            },
            fatigue_index: fi,
            night,
            hri_mean: 1.1,
            hri_peak: 1.3,
        }
    }

    fn period() -> (DateTime<Utc>, DateTime<Utc>) {
        (
            Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap(),
        )
    }

    #[test]
    fn quick_returns_are_graded_by_rest() {
        let (a, b) = period();
        // 07:00-17:00, then 04:00 next day: 11 h rest (amber); then 14:00: rest 0h? no:
        let shifts = vec![
            shift(2, 7, 10, false, 20.0), // ends 17:00
            shift(3, 4, 10, false, 20.0), // 11 h rest: amber (< 12, not < 11); ends 14:00
            shift(4, 0, 8, false, 20.0),  // 10 h rest: red
        ];
        let f = roster_figures(&shifts, a, b);
        assert_eq!(f.quick_returns, 2);
        assert_eq!(f.quick_returns_red, 1);
        assert_eq!(f.quick_return_level, Level::Red);
    }

    #[test]
    fn runs_of_nights_count_nights_before_the_period() {
        let (a, b) = period();
        // Nights 22:00-07:00 from 28 Feb.. no: from 1 Mar (before period) to 5 Mar: 5 in a row.
        let mut shifts: Vec<ShiftRecord> = (1..=5).map(|d| shift(d, 22, 9, true, 50.0)).collect();
        shifts.push(shift(8, 22, 9, true, 30.0)); // after two rest days: a new run
        let f = roster_figures(&shifts, a, b);
        assert_eq!(f.longest_night_run, 5);
        assert_eq!(f.night_run_level, Level::Red);
        assert_eq!(f.shifts, 5); // 2..=5 and 8 start in the period
        assert_eq!(f.night_over, 4);
        assert_eq!(f.night_below, 1);
        assert_eq!(f.long_shifts, 5, "9 h nights are over 8 h");
        assert_eq!(f.long_shift_level, Level::Amber);
    }

    #[test]
    fn hours_in_seven_days_and_thresholds() {
        let (a, b) = period();
        let shifts: Vec<ShiftRecord> = (2..=7).map(|d| shift(d, 7, 12, false, 36.0)).collect();
        let f = roster_figures(&shifts, a, b);
        assert_eq!(f.max_7d_minutes, 72 * 60);
        assert_eq!(f.hours_7d_level, Level::Red);
        assert_eq!(f.day_over, 6, "FI 36 is over the day threshold 35");
        assert_eq!(f.day_fi_centi, 6 * 3600);
        assert_eq!(f.fi_bins[3], 6);
        assert_eq!(f.minutes_in_period, 72 * 60);
        assert_eq!(f.long_shifts, 0, "12 h is not over 12 h");
        assert_eq!(f.long_shift_level, Level::Within);
    }

    #[test]
    fn hours_are_clipped_to_the_period() {
        let (a, b) = period();
        // Starts 1 Mar 20:00, ends 2 Mar 06:00: 6 h inside the period, not counted as a shift.
        let shifts = vec![shift(1, 20, 10, true, 40.0)];
        let f = roster_figures(&shifts, a, b);
        assert_eq!(f.shifts, 0);
        assert_eq!(f.minutes_in_period, 6 * 60);
    }
}
