//! One person's roster and wellbeing figures for a period, from which the
//! report's tables are summed. Limits from `frm-indicators.md` (shared
//! reference) and `fatigue-science.md` §4. The limits the engine's flags
//! apply too are [`RosterLimits`] (`mobile_core::roster::limits`), passed in;
//! the night rule is `mobile_core::night_time`; those here are the report's
//! own (17-week averages, weekly rest, rest days worked, notice).

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use mobile_core::fatigue_index::{DAY_THRESHOLD, NIGHT_THRESHOLD};
use mobile_core::night_time::is_night_duty;
use mobile_core::roster::limits::RosterLimits;
use models::sync::{CheckInRecord, CheckInScale, DailySummary, LearningProgress, RecoveryBand};

use crate::input::{Duty, Period, RosterChange, RosterChangeKind, ShiftRecord, local_instant};

/// Days of shifts before a period that its figures look at (quick returns,
/// runs of nights and of work days, weekly rest and 7-day hours at the
/// period's start): load shifts from this many days before the first
/// period. 14 lets a run of 14 work days (the red level) end on the
/// period's first day.
pub const LOOKBACK_DAYS: i64 = 14;
/// Short sleep: under 6 h (Police Federation / Wellbeing Survey benchmark).
pub const SHORT_SLEEP_MINUTES: u32 = 6 * 60;
/// High sleepiness: KSS 7 or more (FRM practice).
pub const KSS_HIGH: u8 = 7;
/// Weekly rest (WTR reg. 11(1)): 24 h uninterrupted in each 7 days.
pub const WEEKLY_REST_HOURS: i64 = 24;
/// Fortnightly rest (WTR reg. 11(2)(b)): 48 h uninterrupted in each 14 days.
pub const FORTNIGHTLY_REST_HOURS: i64 = 48;
/// A day↔night switch needs this many whole nights' sleep opportunity
/// between the two shifts (HSG256: "two nights' full sleep").
pub const SWITCH_NIGHTS: u32 = 2;
/// A night's sleep opportunity: 23:00 to 07:00 local (ours: the usual
/// 8-hour night-time sleep window).
pub const SLEEP_WINDOW_HOURS: (u32, u32) = (23, 7);

/// The Working Time Regulations' reference period for the average working
/// week (reg. 4(3)(b)) and a night worker's average daily hours (reg. 6(3)):
/// 17 weeks, here the 17 weeks ending at the report period's end.
pub const REFERENCE_WEEKS: i64 = 17;
/// Average weekly hours over the reference period, amber: over 44 (our early
/// warning, frm-indicators #6).
pub const AVERAGE_WEEK_AMBER_HOURS: i64 = 44;
/// Average weekly hours over the reference period, red: over 48 (WTR reg. 4).
pub const AVERAGE_WEEK_RED_HOURS: i64 = 48;
/// A night worker's average daily hours, limit: 8 (WTR reg. 6(1)).
pub const NIGHT_WORKER_DAILY_HOURS: i64 = 8;
/// A "night worker" works night duties "as a normal course" (WTR reg. 2):
/// here, at least one duty in three in the reference period. Ours: the
/// regulations give no share; in R v Attorney General for Northern Ireland,
/// ex parte Burns [1999] IRLR 315, a rota with nights one week in three
/// was held to make a night worker.
pub const NIGHT_WORKER_SHARE: (u32, u32) = (1, 3);

/// Rest days worked (cancelled) in a rolling 12 months, amber: 2 or more
/// (frm-indicators #10; National Police Wellbeing Survey 2019: 49.1 % of
/// officers had two or more cancelled, with wellbeing lower the more).
pub const REST_DAYS_WORKED_AMBER: u32 = 2;
/// Rest days worked in a rolling 12 months, red: 4 or more (#10; the survey's
/// 17.7 %).
pub const REST_DAYS_WORKED_RED: u32 = 4;
/// The rolling window for rest days worked.
pub const REST_DAYS_WINDOW_DAYS: i64 = 365;
/// A rest day worked with under this many days' notice is short notice
/// (Police Regulations 2003, Annex G: paid at time and a half; with 15 or
/// more a replacement rest day is due).
pub const REST_DAY_NOTICE_DAYS: i64 = 15;
/// A start brought forward with under this many hours' notice is short
/// notice (Police Regulations 2003, reg. 25).
pub const START_ADVANCE_NOTICE_HOURS: i64 = 8;

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
/// `[from, to)`, against `limits` (the engine's flags' limits).
pub fn roster_figures(
    shifts: &[ShiftRecord],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limits: &RosterLimits,
) -> RosterFigures {
    let hours = |h: u32| i64::from(h) * 60;
    let mut f = RosterFigures::default();
    let mut run = 0u32;
    for (i, s) in shifts.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &shifts[p]);
        let rest = prev.map(|p| s.start - p.end);
        // Runs of nights count nights before the period too.
        run = match (s.night, prev, rest) {
            (true, Some(p), Some(r))
                if p.night && r < Duration::minutes(hours(limits.night_run_gap_under_hours)) =>
            {
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
            if minutes < hours(limits.quick_return_amber_under_hours) {
                f.quick_returns += 1;
                let lvl = if minutes < hours(limits.quick_return_red_under_hours) {
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
            limits.long_night_shift_over_hours
        } else {
            limits.long_shift_over_hours
        };
        if length > hours(limit) {
            f.long_shifts += 1;
            let lvl = if length > hours(limits.long_shift_over_hours) {
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
        i64::from(limits.nights_amber_over) + 1,
        i64::from(limits.nights_red_over) + 1,
    );
    f.hours_7d_level = level(
        f.max_7d_minutes,
        hours(limits.week_amber_from_hours),
        hours(limits.week_red_from_hours),
    );
    f
}

/// A person's schedule figures for a period that need local dates and
/// nights: runs of work days, weekly rest and day↔night switches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleFigures {
    /// Longest run of consecutive local dates with a duty starting on
    /// them, among runs reaching into the period (counted whole).
    pub longest_work_day_run: u32,
    /// Amber over [`RosterLimits::work_days_amber_over`], red over
    /// [`RosterLimits::work_days_red_over`].
    pub work_days_level: Level,
    /// Longest stretch, ending at a shift starting in the period, from the
    /// start of the first duty after a rest of 24 h or more to that
    /// shift's end (rests under 24 h do not break it), minutes.
    pub longest_stretch_minutes: i64,
    /// As `longest_stretch_minutes`, broken only by rests of 48 h or more.
    pub longest_fortnight_stretch_minutes: i64,
    /// Amber: some 7 days without 24 h uninterrupted rest; red: that and
    /// some 14 days without 48 h uninterrupted rest.
    pub weekly_rest_level: Level,
    /// Shifts starting in the period whose night flag differs from the
    /// previous shift's (a day↔night switch).
    pub switches: u32,
    /// Of those, switches with fewer than [`SWITCH_NIGHTS`] whole sleep
    /// windows between the two duties.
    pub short_switches: u32,
    /// Amber: a switch with one whole night between; red: with none.
    pub switch_level: Level,
}

/// Whole local sleep windows (23:00–07:00) inside `[a, b)`, counted up to
/// [`SWITCH_NIGHTS`] (more are never needed).
pub fn sleep_windows_between(a: DateTime<Utc>, b: DateTime<Utc>, zone: Tz) -> u32 {
    if b <= a {
        return 0;
    }
    let (start_h, end_h) = SLEEP_WINDOW_HOURS;
    let first: NaiveDate = a.with_timezone(&zone).date_naive() - Duration::days(1);
    let last: NaiveDate = b.with_timezone(&zone).date_naive();
    let mut n = 0;
    let mut d = first;
    while d <= last && n < SWITCH_NIGHTS {
        let w_start = local_instant(zone, d, start_h);
        let w_end = local_instant(zone, d + Duration::days(1), end_h);
        if w_start >= a && w_end <= b {
            n += 1;
        }
        d += Duration::days(1);
    }
    n
}

/// Schedule figures over shifts sorted by start and not overlapping, for
/// shifts starting in `[from, to)`; local dates and nights in `zone`.
///
/// - Work days: the engine's `consecutive_days` rule (distinct local start
///   dates, consecutive), amber over `limits.work_days_amber_over`, red
///   over `limits.work_days_red_over`.
/// - Weekly rest: a 7-day window holds no 24 h rest exactly when a stretch
///   of duties separated by rests under 24 h spans more than 5 days
///   (window = stretch + 24 h on each side); a 14-day window holds no 48 h
///   rest when a stretch broken only by rests of 48 h spans more than
///   10 days. Amber for the first, red for both (reg. 11 lets an employer
///   use either; the 2 × 24 h variant of reg. 11(2)(a) is not tested).
/// - Day↔night switch: consecutive duties, one a night by the WTR rule and
///   the other not, with fewer than two whole 23:00–07:00 windows between
///   them.
pub fn schedule_figures(
    shifts: &[ShiftRecord],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zone: Tz,
    limits: &RosterLimits,
) -> ScheduleFigures {
    let mut f = ScheduleFigures::default();
    let mut run = 0u32;
    let mut last_date: Option<NaiveDate> = None;
    let mut stretch_start: Option<DateTime<Utc>> = None;
    let mut fortnight_start: Option<DateTime<Utc>> = None;
    let mut worst_switch: Option<u32> = None;
    for (i, s) in shifts.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &shifts[p]);
        let date = s.start.with_timezone(&zone).date_naive();
        run = match last_date {
            Some(d) if d == date => run,
            Some(d) if d + Duration::days(1) == date => run + 1,
            _ => 1,
        };
        last_date = Some(date);
        let rest = prev.map(|p| s.start - p.end);
        if rest.is_none_or(|r| r >= Duration::hours(WEEKLY_REST_HOURS)) {
            stretch_start = Some(s.start);
        }
        if rest.is_none_or(|r| r >= Duration::hours(FORTNIGHTLY_REST_HOURS)) {
            fortnight_start = Some(s.start);
        }
        if s.start < from || s.start >= to {
            continue;
        }
        f.longest_work_day_run = f.longest_work_day_run.max(run);
        let span = |start: Option<DateTime<Utc>>| start.map_or(0, |t| (s.end - t).num_minutes());
        f.longest_stretch_minutes = f.longest_stretch_minutes.max(span(stretch_start));
        f.longest_fortnight_stretch_minutes = f
            .longest_fortnight_stretch_minutes
            .max(span(fortnight_start));
        if let Some(p) = prev
            && p.night != s.night
        {
            f.switches += 1;
            let nights = sleep_windows_between(p.end, s.start, zone);
            if nights < SWITCH_NIGHTS {
                f.short_switches += 1;
                worst_switch = Some(worst_switch.map_or(nights, |w| w.min(nights)));
            }
        }
    }
    f.work_days_level = level(
        i64::from(f.longest_work_day_run),
        i64::from(limits.work_days_amber_over) + 1,
        i64::from(limits.work_days_red_over) + 1,
    );
    let week_breach = f.longest_stretch_minutes > (7 * 24 - 2 * WEEKLY_REST_HOURS) * 60;
    let fortnight_breach =
        f.longest_fortnight_stretch_minutes > (14 * 24 - 2 * FORTNIGHTLY_REST_HOURS) * 60;
    f.weekly_rest_level = match (week_breach, fortnight_breach) {
        (true, true) => Level::Red,
        (true, false) => Level::Amber,
        _ => Level::Within,
    };
    f.switch_level = match worst_switch {
        Some(0) => Level::Red,
        Some(_) => Level::Amber,
        None => Level::Within,
    };
    f
}

/// A person's working time over the reference period ending at a report
/// period's end (frm-indicators #6 and #7).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkingTimeFigures {
    /// Minutes worked in the reference period (duties cut at its edges).
    pub minutes: i64,
    /// Duties starting in the reference period.
    pub duties: u32,
    /// Of those, night duties (at least 3 h in 23:00–06:00 local).
    pub night_duties: u32,
    /// Average weekly hours: within up to 44, amber over 44, red over 48.
    pub average_week_level: Level,
    /// At least one duty in three a night duty.
    pub night_worker: bool,
    /// For a night worker: average daily hours over 8 (red; reg. 6 has a
    /// single limit). Within for everyone else.
    pub night_worker_level: Level,
}

/// Working time over the [`REFERENCE_WEEKS`] weeks ending at `period`'s
/// end, from a person's duties (sorted, not overlapping:
/// [`crate::input::PersonRecords::clean`]).
///
/// - Average weekly hours (WTR reg. 4, frm-indicators #6): minutes worked in
///   the reference period ÷ 17 weeks.
/// - Night worker's average daily hours (WTR reg. 6(5), #7): minutes worked
///   ÷ (119 days − 17 days of weekly rest, reg. 11's 24 hours a week), so a
///   night worker is over the limit above 8 h × 102 days.
pub fn working_time_figures(duties: &[Duty], period: &Period, zone: Tz) -> WorkingTimeFigures {
    let (_, end) = period.instants(zone);
    let start = local_instant(
        zone,
        period.to + Duration::days(1) - Duration::weeks(REFERENCE_WEEKS),
        0,
    );
    let mut f = WorkingTimeFigures::default();
    for d in duties {
        let a = d.start.max(start);
        let b = d.end.min(end);
        f.minutes += (b - a).num_minutes().max(0);
        if d.start >= start && d.start < end {
            f.duties += 1;
            if is_night_duty(d.start, d.end, zone) {
                f.night_duties += 1;
            }
        }
    }
    let weeks = REFERENCE_WEEKS;
    // "Over" a limit in whole minutes is reaching one minute more.
    f.average_week_level = level(
        f.minutes,
        AVERAGE_WEEK_AMBER_HOURS * 60 * weeks + 1,
        AVERAGE_WEEK_RED_HOURS * 60 * weeks + 1,
    );
    let (num, den) = NIGHT_WORKER_SHARE;
    f.night_worker = f.duties > 0 && f.night_duties * den >= f.duties * num;
    let working_days = 7 * weeks - weeks;
    f.night_worker_level =
        if f.night_worker && f.minutes > NIGHT_WORKER_DAILY_HOURS * 60 * working_days {
            Level::Red
        } else {
            Level::Within
        };
    f
}

/// A person's roster changes (frm-indicators #10 and #11).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeFigures {
    /// Rest days worked with the duty in the 12 months to the period's end.
    pub rest_days_worked: u32,
    /// Amber from 2, red from 4.
    pub rest_days_level: Level,
    /// Rest days worked, duty in the period, with under 15 days' notice.
    pub short_notice_rest_days: u32,
    /// Starts brought forward, duty in the period, with under 8 h notice.
    pub short_notice_advances: u32,
}

/// Roster changes against the limits: rest days worked over the
/// [`REST_DAYS_WINDOW_DAYS`] local days ending with the period, and
/// short-notice changes to duties starting in the period.
pub fn change_figures(changes: &[RosterChange], period: &Period, zone: Tz) -> ChangeFigures {
    let (from, to) = period.instants(zone);
    let window_start = local_instant(
        zone,
        period.to + Duration::days(1) - Duration::days(REST_DAYS_WINDOW_DAYS),
        0,
    );
    let mut f = ChangeFigures::default();
    for c in changes {
        let in_period = c.duty_start >= from && c.duty_start < to;
        match c.kind {
            RosterChangeKind::RestDayWorked => {
                if c.duty_start >= window_start && c.duty_start < to {
                    f.rest_days_worked += 1;
                }
                if in_period && c.notice() < Duration::days(REST_DAY_NOTICE_DAYS) {
                    f.short_notice_rest_days += 1;
                }
            }
            RosterChangeKind::StartAdvanced => {
                if in_period && c.notice() < Duration::hours(START_ADVANCE_NOTICE_HOURS) {
                    f.short_notice_advances += 1;
                }
            }
        }
    }
    f.rest_days_level = level(
        i64::from(f.rest_days_worked),
        i64::from(REST_DAYS_WORKED_AMBER),
        i64::from(REST_DAYS_WORKED_RED),
    );
    f
}

/// A person's learning progress at the end of a period (synced from the
/// app; learning progress is shared at every consent level).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LearningFigures {
    /// Distinct modules with a record dated on or before the period's end.
    pub opened: u32,
    /// Of those, modules whose self-check was passed by then.
    pub completed: u32,
    /// True when every module of the course given was completed.
    pub course_completed: bool,
}

/// Learning figures from progress records dated up to `period.to`;
/// `course` lists the module ids of the course whose completion is counted.
pub fn learning_figures(
    records: &[LearningProgress],
    period: &Period,
    course: &[String],
) -> LearningFigures {
    let mut opened = BTreeSet::new();
    let mut completed = BTreeSet::new();
    for r in records.iter().filter(|r| r.local_date <= period.to) {
        opened.insert(r.module_id.as_str());
        if r.completed {
            completed.insert(r.module_id.as_str());
        }
    }
    LearningFigures {
        opened: u32::try_from(opened.len()).unwrap_or(u32::MAX),
        completed: u32::try_from(completed.len()).unwrap_or(u32::MAX),
        course_completed: !course.is_empty()
            && course.iter().all(|m| completed.contains(m.as_str())),
    }
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
        let f = roster_figures(&shifts, a, b, &RosterLimits::default());
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
        let f = roster_figures(&shifts, a, b, &RosterLimits::default());
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
        let f = roster_figures(&shifts, a, b, &RosterLimits::default());
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
        let f = roster_figures(&shifts, a, b, &RosterLimits::default());
        assert_eq!(f.shifts, 0);
        assert_eq!(f.minutes_in_period, 6 * 60);
    }

    fn utc() -> Tz {
        chrono_tz::UTC
    }

    fn day_shift(day: u32) -> ShiftRecord {
        shift(day, 7, 10, false, 20.0)
    }

    #[test]
    fn runs_of_work_days_reach_back_and_are_graded() {
        let (a, b) = period();
        // 1..=7 March: 7 days in a row, the first before the period.
        let shifts: Vec<ShiftRecord> = (1..=7).map(day_shift).collect();
        let f = schedule_figures(&shifts, a, b, utc(), &RosterLimits::default());
        assert_eq!(f.longest_work_day_run, 7);
        assert_eq!(f.work_days_level, Level::Amber);
        // A day off on the 4th splits it: 1-3 and 5-7.
        let split: Vec<ShiftRecord> = [1, 2, 3, 5, 6, 7].into_iter().map(day_shift).collect();
        let f = schedule_figures(&split, a, b, utc(), &RosterLimits::default());
        assert_eq!(f.longest_work_day_run, 3);
        assert_eq!(f.work_days_level, Level::Within);
        // 14 in a row (20 Feb .. 5 Mar) is red: more than 13 turns in 14 days.
        let start = Utc.with_ymd_and_hms(2026, 2, 20, 7, 0, 0).unwrap();
        let long: Vec<ShiftRecord> = (0..14)
            .map(|d| {
                let mut s = day_shift(2);
                s.start = start + Duration::days(d);
                s.end = s.start + Duration::hours(10);
                s
            })
            .collect();
        let f = schedule_figures(&long, a, b, utc(), &RosterLimits::default());
        assert_eq!(f.longest_work_day_run, 14);
        assert_eq!(f.work_days_level, Level::Red);
    }

    #[test]
    fn weekly_rest_by_hand() {
        let (a, b) = period();
        // Five days 07:00-17:00 (2..=6 March): first start to last end is
        // 4 d 10 h = 106 h, not over 120 h: some 7-day window always holds
        // a 24 h rest.
        let five: Vec<ShiftRecord> = (2..=6).map(day_shift).collect();
        let f = schedule_figures(&five, a, b, utc(), &RosterLimits::default());
        assert_eq!(f.longest_stretch_minutes, 106 * 60);
        assert_eq!(f.weekly_rest_level, Level::Within);
        // Six days: 5 d 10 h = 130 h > 120 h. The window from 1 March 08:00
        // to 8 March 08:00 holds at most 23 h of rest at each end: amber.
        let six: Vec<ShiftRecord> = (2..=7).map(day_shift).collect();
        let f = schedule_figures(&six, a, b, utc(), &RosterLimits::default());
        assert_eq!(f.longest_stretch_minutes, 130 * 60);
        assert_eq!(f.weekly_rest_level, Level::Amber);
        // Eleven days (28 Feb .. 10 March, period 2..=10 March): 10 d 10 h =
        // 250 h > 240 h, so no 48 h rest in some 14 days either: red.
        let (a2, b2) = (a, Utc.with_ymd_and_hms(2026, 3, 11, 0, 0, 0).unwrap());
        let start = Utc.with_ymd_and_hms(2026, 2, 28, 7, 0, 0).unwrap();
        let eleven: Vec<ShiftRecord> = (0..11)
            .map(|d| {
                let mut s = day_shift(2);
                s.start = start + Duration::days(d);
                s.end = s.start + Duration::hours(10);
                s
            })
            .collect();
        let f = schedule_figures(&eleven, a2, b2, utc(), &RosterLimits::default());
        assert_eq!(f.longest_fortnight_stretch_minutes, 250 * 60);
        assert_eq!(f.weekly_rest_level, Level::Red);
        // Four on, 38 h off, four on, ...: a 24 h rest in every 7 days
        // (reg. 11(1) met) though never 48 h: within.
        let pattern: Vec<ShiftRecord> = [2, 3, 4, 5, 7, 8, 9, 10]
            .into_iter()
            .map(day_shift)
            .collect();
        let f = schedule_figures(&pattern, a2, b2, utc(), &RosterLimits::default());
        assert_eq!(f.longest_stretch_minutes, 82 * 60);
        assert_eq!(f.weekly_rest_level, Level::Within);
    }

    #[test]
    fn day_night_switches_need_two_nights_sleep() {
        let (a, b) = period();
        let shifts = vec![
            // Day 2 March 07:00-17:00, then a night from 3 March 22:00: the
            // rest holds one 23:00-07:00 window (2-3 March): amber.
            shift(2, 7, 10, false, 20.0),
            shift(3, 22, 9, true, 40.0),
            // Night ends 4 March 07:00; a day at 15:00: no window: red.
            shift(4, 15, 8, false, 20.0),
            // Night 5 March 22:00 - 6 March 07:00, after one window (4-5 March).
            shift(5, 22, 9, true, 40.0),
            // Day 8 March 07:00: windows 6-7 and 7-8 March (ends exactly at
            // 07:00): two, so not short.
            shift(8, 7, 10, false, 20.0),
        ];
        let f = schedule_figures(&shifts, a, b, utc(), &RosterLimits::default());
        assert_eq!(f.switches, 4);
        assert_eq!(f.short_switches, 3);
        assert_eq!(f.switch_level, Level::Red);
        let f = schedule_figures(&shifts[..2], a, b, utc(), &RosterLimits::default());
        assert_eq!(f.switch_level, Level::Amber);
        let f = schedule_figures(&shifts[3..], a, b, utc(), &RosterLimits::default());
        assert_eq!((f.switches, f.short_switches), (1, 0));
        assert_eq!(f.switch_level, Level::Within);
    }

    #[test]
    fn sleep_windows_are_local_nights() {
        let london: Tz = "Europe/London".parse().unwrap();
        // In summer 23:00-07:00 BST is 22:00-06:00 UTC.
        let a = Utc.with_ymd_and_hms(2026, 6, 1, 21, 30, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2026, 6, 2, 6, 0, 0).unwrap();
        assert_eq!(sleep_windows_between(a, b, london), 1);
        assert_eq!(sleep_windows_between(a, b, utc()), 0);
        assert_eq!(sleep_windows_between(b, a, london), 0);
        // Counting stops at two.
        assert_eq!(
            sleep_windows_between(a, a + Duration::days(10), london),
            SWITCH_NIGHTS
        );
    }

    #[test]
    fn learning_counts_modules_by_the_period_end() {
        let d = |day: u32| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
        let rec = |day: u32, m: &str, completed: bool| LearningProgress {
            local_date: d(day),
            module_id: m.to_owned(),
            completed,
        };
        let course = vec!["m1".to_owned(), "m2".to_owned()];
        let records = vec![
            rec(1, "m1", false),
            rec(2, "m1", true),
            rec(3, "m2", false),
            rec(9, "m2", true), // after the period
            rec(4, "other", true),
        ];
        let period = Period::new(d(2), d(8)).unwrap();
        let f = learning_figures(&records, &period, &course);
        assert_eq!(f.opened, 3);
        assert_eq!(f.completed, 2);
        assert!(!f.course_completed);
        let later = Period::new(d(9), d(9)).unwrap();
        assert!(learning_figures(&records, &later, &course).course_completed);
        assert!(!learning_figures(&records, &later, &[]).course_completed);
    }

    fn london() -> Tz {
        crate::input::parse_zone("Europe/London").unwrap()
    }

    /// Duties of `hours` starting at `start_h` local on the given weekdays
    /// (0 = Monday) of each of the 17 weeks to Sunday 7 June 2026.
    fn rota(days: &[(i64, u32, i64)]) -> Vec<Duty> {
        let first_monday = NaiveDate::from_ymd_opt(2026, 2, 9).unwrap();
        let mut out: Vec<Duty> = (0..REFERENCE_WEEKS)
            .flat_map(|w| {
                days.iter().map(move |&(weekday, start_h, hours)| {
                    let start = local_instant(
                        london(),
                        first_monday + Duration::weeks(w) + Duration::days(weekday),
                        start_h,
                    );
                    Duty {
                        start,
                        end: start + Duration::hours(hours),
                    }
                })
            })
            .collect();
        out.sort_unstable();
        out
    }

    fn june_week() -> Period {
        Period::new(
            NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 6, 7).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn average_week_over_seventeen_weeks_against_44_and_48_hours() {
        // Three 12-hour days a week: 36 h. Four: exactly 48 h, over the
        // early warning but not over the limit. Four and one more hour: red.
        let three = rota(&[(0, 7, 12), (1, 7, 12), (2, 7, 12)]);
        let four = rota(&[(0, 7, 12), (1, 7, 12), (2, 7, 12), (3, 7, 12)]);
        let f = working_time_figures(&three, &june_week(), london());
        assert_eq!(f.minutes, 36 * 60 * 17);
        assert_eq!(f.duties, 51);
        assert_eq!(f.average_week_level, Level::Within);
        let f = working_time_figures(&four, &june_week(), london());
        assert_eq!(f.minutes, 48 * 60 * 17);
        assert_eq!(f.average_week_level, Level::Amber);
        let mut more = four.clone();
        let last = more.last().copied().unwrap();
        more.push(Duty {
            start: last.end + Duration::hours(12),
            end: last.end + Duration::hours(13),
        });
        let f = working_time_figures(&more, &june_week(), london());
        assert_eq!(f.average_week_level, Level::Red);
        // A week later the first week has left the reference period: 16
        // weeks of 48 h over 17 is 45.2 h, still amber.
        let next = Period::new(
            NaiveDate::from_ymd_opt(2026, 6, 8).unwrap(),
            NaiveDate::from_ymd_opt(2026, 6, 14).unwrap(),
        )
        .unwrap();
        let f = working_time_figures(&four, &next, london());
        assert_eq!(f.minutes, 48 * 60 * 16);
        assert_eq!(f.average_week_level, Level::Amber);
        let f = working_time_figures(&three, &next, london());
        assert_eq!(f.minutes, 36 * 60 * 16);
        assert_eq!(f.average_week_level, Level::Within);
    }

    #[test]
    fn a_duty_across_the_reference_periods_start_counts_only_its_hours_inside() {
        // Sunday 8 Feb 2026 20:00 GMT to Monday 9 Feb 08:00: 8 h inside.
        let start = Utc.with_ymd_and_hms(2026, 2, 8, 20, 0, 0).unwrap();
        let duty = Duty {
            start,
            end: start + Duration::hours(12),
        };
        let f = working_time_figures(&[duty], &june_week(), london());
        assert_eq!(f.minutes, 8 * 60);
        assert_eq!(f.duties, 0, "it started before the reference period");
    }

    #[test]
    fn night_workers_and_their_average_daily_hours() {
        // Four 12-hour nights (19:00–07:00, 7 h of night time) a week: a night
        // worker at exactly 8 h a day over 102 days (816 h), within the limit;
        // one more hour goes over it.
        let nights = rota(&[(0, 19, 12), (1, 19, 12), (2, 19, 12), (3, 19, 12)]);
        let f = working_time_figures(&nights, &june_week(), london());
        assert_eq!(f.night_duties, 68);
        assert!(f.night_worker);
        assert_eq!(f.minutes, 816 * 60);
        assert_eq!(f.night_worker_level, Level::Within);
        let mut more = nights.clone();
        let last = more.last().copied().unwrap();
        more.push(Duty {
            start: last.end + Duration::hours(12),
            end: last.end + Duration::hours(13),
        });
        let f = working_time_figures(&more, &june_week(), london());
        assert_eq!(f.night_worker_level, Level::Red);
        // Two nights and four days a week: one in three, a night worker.
        let mixed = rota(&[
            (0, 7, 10),
            (1, 7, 10),
            (2, 7, 10),
            (3, 7, 10),
            (4, 20, 10),
            (5, 20, 10),
        ]);
        let f = working_time_figures(&mixed, &june_week(), london());
        assert_eq!((f.duties, f.night_duties), (102, 34));
        assert!(f.night_worker);
        // One night and three days: one in four, not a night worker, and so
        // never over the night-worker limit however long the hours.
        let fewer = rota(&[(0, 7, 16), (1, 7, 16), (2, 7, 16), (4, 20, 10)]);
        let f = working_time_figures(&fewer, &june_week(), london());
        assert!(!f.night_worker);
        assert_eq!(f.night_worker_level, Level::Within);
        assert_eq!(f.average_week_level, Level::Red, "58 h a week");
        // A late shift with under 3 h of night time is not a night duty.
        let lates = rota(&[(0, 15, 10), (1, 15, 10)]);
        let f = working_time_figures(&lates, &june_week(), london());
        assert_eq!(f.night_duties, 0);
    }

    #[test]
    fn rest_days_worked_over_twelve_months_and_short_notice_changes() {
        let zone = london();
        let period = june_week(); // 1–7 June 2026
        let at = |m: u32, d: u32, h: u32| Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap();
        let change = |kind, duty_start: DateTime<Utc>, notice: Duration| RosterChange {
            kind,
            duty_start,
            changed_at: duty_start - notice,
        };
        use RosterChangeKind::{RestDayWorked, StartAdvanced};
        let mut changes = vec![
            // Before the 12 months (8 June 2025 00:00 BST is the window's
            // first instant): not counted.
            change(
                RestDayWorked,
                at(6, 7, 22) - Duration::days(365),
                Duration::days(30),
            ),
            // In the window, before the period: counted, not short notice here.
            change(RestDayWorked, at(1, 10, 8), Duration::days(2)),
            // In the period: one with 14 days' notice (short), one with 15.
            change(RestDayWorked, at(6, 2, 8), Duration::days(14)),
            change(RestDayWorked, at(6, 3, 8), Duration::days(15)),
            // Starts brought forward in the period: 7 h 59 m and 8 h notice.
            change(StartAdvanced, at(6, 4, 6), Duration::minutes(8 * 60 - 1)),
            change(StartAdvanced, at(6, 5, 6), Duration::hours(8)),
            // After the period: nothing.
            change(RestDayWorked, at(6, 9, 8), Duration::days(1)),
        ];
        let f = change_figures(&changes, &period, zone);
        assert_eq!(f.rest_days_worked, 3);
        assert_eq!(f.rest_days_level, Level::Amber);
        assert_eq!(f.short_notice_rest_days, 1);
        assert_eq!(f.short_notice_advances, 1);
        changes.push(change(RestDayWorked, at(3, 1, 8), Duration::days(40)));
        assert_eq!(
            change_figures(&changes, &period, zone).rest_days_level,
            Level::Red
        );
        assert_eq!(
            change_figures(&changes[..2], &period, zone).rest_days_level,
            Level::Within
        );
    }
}
