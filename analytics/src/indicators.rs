//! One person's roster and wellbeing figures for a period, from which the
//! report's tables are summed. Limits from `frm-indicators.md` (shared
//! reference) and `fatigue-science.md` §4. The limits the engine's flags
//! apply too are [`RosterLimits`] (`mobile_core::roster::limits`), passed in;
//! the night rule is `mobile_core::night_time`; the legal limits are
//! constants beside them; those here are the report's own (night-worker
//! share, rest days worked, notice, sleep and sleepiness).

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use mobile_core::fatigue_index::{DAY_THRESHOLD, NIGHT_THRESHOLD};
use mobile_core::hourly_risk::at_or_over_risk_threshold;
use mobile_core::night_time::NightWindows;
use mobile_core::roster::limits::{
    AVERAGE_WEEK_RED_OVER_HOURS, FORTNIGHTLY_REST_WITH_DAILY_HOURS, NIGHT_WORKER_DAILY_HOURS,
    RosterLimits, WEEKLY_REST_WITH_DAILY_HOURS, WeekStart,
};
use models::sync::{
    CheckInContext, CheckInRecord, CheckInScale, DailySummary, LearningProgress, RecoveryBand,
};

use crate::input::{
    Absence, Duty, Period, RosterChange, RosterChangeKind, ShiftRecord, local_instant,
};

/// Days of shifts before a period that its figures look at (quick returns,
/// runs of nights and of work days, weekly rest and 7-day hours at the
/// period's start): load shifts from this many days before the first
/// period. 14 lets a run of 14 work days (the red level) end on the
/// period's first day.
pub const LOOKBACK_DAYS: i64 = 14;
/// Short sleep: under 6 h (Police Federation / Wellbeing Survey benchmark).
pub const SHORT_SLEEP_MINUTES: u32 = 6 * 60;
/// Sleep before shifts (frm-indicators #14) is a mean over this many of the
/// most recent nights before a shift.
pub const SLEEP_BEFORE_SHIFTS_NIGHTS: usize = 7;
/// A main sleep is the night before a shift when it ends within this many
/// hours before the shift starts (ours: covers the day sleep before a night
/// shift as well as the night before an early).
pub const SLEEP_BEFORE_SHIFT_WITHIN_HOURS: i64 = 24;
/// High sleepiness: KSS 7 or more (FRM practice).
pub const KSS_HIGH: u8 = 7;
/// The check-ins frm-indicators #15 counts: those the officer made before
/// a shift or before a drive (the app asks for the context at check-in).
pub const KSS_CONTEXTS: [CheckInContext; 2] =
    [CheckInContext::BeforeShift, CheckInContext::BeforeDrive];
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
/// A rest day worked with under this many clear days' notice is short
/// notice (Police Regulations 2003, reg. 26 and Annex H: paid at time and a
/// half; with 15 or more a replacement rest day is due). Clear days leave
/// out the day the notice was given and the day of the duty.
pub const REST_DAY_NOTICE_DAYS: i64 = 15;
/// A start brought forward with under this many hours' notice is short
/// notice (Police Regulations 2003, reg. 25 and Annex G: the hours brought
/// forward count as overtime).
pub const START_ADVANCE_NOTICE_HOURS: i64 = 8;

/// A person's level on an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
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
    /// Shifts by the shift's Risk Index (mean HRI over the reference
    /// roster's, `mobile_core::hourly_risk::risk_index_of`): <1.0,
    /// 1.0–<1.2, 1.2–<1.4, 1.4–<1.6, ≥1.6.
    pub risk_index_bins: [u32; 5],
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

/// Bin of a shift's Risk Index; the top bin is the guidance threshold's
/// own comparison ([`at_or_over_risk_threshold`]).
fn risk_index_bin(risk_index: f64) -> usize {
    match risk_index {
        r if at_or_over_risk_threshold(r) => 4,
        r if r < 1.0 => 0,
        r if r < 1.2 => 1,
        r if r < 1.4 => 2,
        _ => 3,
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
        f.risk_index_bins[risk_index_bin(s.risk_index)] += 1;
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
    /// Weekly rest in the force's fixed periods ([`weekly_rest`]).
    pub weekly_rest: WeeklyRest,
    /// Amber: a fixed 7-day period in which no rest of 35 h begins; red: a
    /// 14-day period with neither two of those nor one of 59 h.
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

/// Weekly rest over the fixed periods that overlap a report period
/// (frm-indicators #8; WTR reg. 11).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WeeklyRest {
    /// Fixed 7-day periods looked at.
    pub weeks: u32,
    /// Of those, periods in which no uninterrupted rest of at least 35 h
    /// (24 h plus 11 h daily rest, reg. 11(1), (7)) begins.
    pub weeks_without: u32,
    /// 14-day periods (each week looked at and the one before it) with
    /// neither two such rests nor one of at least 59 h (48 + 11, reg.
    /// 11(2), (7)) beginning in them.
    pub fortnights_without: u32,
}

impl WeeklyRest {
    /// Red for a 14-day period without its rest, amber for a 7-day one
    /// (reg. 11(2) lets an employer choose the 14-day rule, so a week
    /// without is a review, a fortnight without a breach either way).
    pub fn level(&self) -> Level {
        if self.fortnights_without > 0 {
            Level::Red
        } else if self.weeks_without > 0 {
            Level::Amber
        } else {
            Level::Within
        }
    }
}

/// Weekly rest (WTR reg. 11) from a person's duties (sorted, not
/// overlapping), over the fixed 7-day periods from `week_start` in `zone`
/// that overlap `[from, to)`, with the roster known up to `known_until`.
///
/// # Rule
/// A rest is the time between one duty's end and the next one's start.
/// A 7-day period complies when a rest of at least 35 h
/// ([`WEEKLY_REST_WITH_DAILY_HOURS`]) begins within it; a 14-day period
/// (the period and the one before it) when two such rests, or one of at
/// least 59 h ([`FORTNIGHTLY_REST_WITH_DAILY_HOURS`]), begin within it. A
/// period no duty touches complies (nobody worked in it).
///
/// # Edges of the known roster
/// Duties starting at or after `known_until` (the end of the published
/// roster) are left out. The rest after the last known duty runs to
/// `known_until` and counts only when that known part is long enough: a
/// rest is never assumed. A rest before the first known duty
/// has no known start, so it begins in no period; callers pass duties from
/// at least 14 days before `from`. The regulations leave the 14-day
/// periods' alignment to the employer ("every other week", reg. 11(6)), so
/// each week is paired with the week before it: a breach shows whichever
/// alignment the force uses.
pub fn weekly_rest(
    duties: &[Duty],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zone: Tz,
    week_start: &WeekStart,
    known_until: DateTime<Utc>,
) -> WeeklyRest {
    // Duties past the known roster are not known yet.
    let known = duties.partition_point(|d| d.start < known_until);
    let duties = &duties[..known];
    let mut rests: Vec<(DateTime<Utc>, Duration)> = duties
        .windows(2)
        .map(|w| (w[0].end, w[1].start - w[0].end))
        .collect();
    if let Some(last) = duties.last()
        && known_until > last.end
    {
        rests.push((last.end, known_until - last.end));
    }
    let weekly = Duration::hours(i64::from(WEEKLY_REST_WITH_DAILY_HOURS));
    let fortnightly = Duration::hours(i64::from(FORTNIGHTLY_REST_WITH_DAILY_HOURS));
    let worked_in =
        |a: DateTime<Utc>, b: DateTime<Utc>| duties.iter().any(|d| d.start < b && d.end > a);
    let rests_in = |a: DateTime<Utc>, b: DateTime<Utc>, min: Duration| {
        rests
            .iter()
            .filter(|(start, len)| *start >= a && *start < b && *len >= min)
            .count()
    };
    let mut out = WeeklyRest::default();
    let mut week = week_start.period_containing(from, zone);
    while week < to {
        let next = week_start.next_period(week, zone);
        let previous = week_start.period_containing(week - Duration::hours(1), zone);
        out.weeks += 1;
        if worked_in(week, next) && rests_in(week, next, weekly) == 0 {
            out.weeks_without += 1;
        }
        if worked_in(previous, next)
            && rests_in(previous, next, weekly) < 2
            && rests_in(previous, next, fortnightly) == 0
        {
            out.fortnights_without += 1;
        }
        week = next;
    }
    out
}

/// Schedule figures over shifts sorted by start and not overlapping, for
/// shifts starting in `[from, to)`; local dates and nights in `zone`.
/// `duties` are every duty of the person (shifts included, sorted:
/// [`crate::input::PersonRecords::clean`]) and `known_until` the end of the
/// published roster, for weekly rest.
///
/// - Work days: the engine's `consecutive_days` rule (distinct local start
///   dates, consecutive), amber over `limits.work_days_amber_over`, red
///   over `limits.work_days_red_over`.
/// - Weekly rest: [`weekly_rest`], in the force's fixed periods
///   (`limits.week_start`).
/// - Day↔night switch: consecutive duties, one a night by the WTR rule and
///   the other not, with fewer than two whole 23:00–07:00 windows between
///   them.
pub fn schedule_figures(
    shifts: &[ShiftRecord],
    duties: &[Duty],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zone: Tz,
    limits: &RosterLimits,
    known_until: DateTime<Utc>,
) -> ScheduleFigures {
    let mut f = ScheduleFigures::default();
    let mut run = 0u32;
    let mut last_date: Option<NaiveDate> = None;
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
        if s.start < from || s.start >= to {
            continue;
        }
        f.longest_work_day_run = f.longest_work_day_run.max(run);
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
    f.weekly_rest = weekly_rest(duties, from, to, zone, &limits.week_start, known_until);
    f.weekly_rest_level = f.weekly_rest.level();
    f.switch_level = match worst_switch {
        Some(0) => Level::Red,
        Some(_) => Level::Amber,
        None => Level::Within,
    };
    f
}

/// A person's duties with what the Working Time figures need of each, worked
/// out once for all the periods a report or a pattern shows: its local
/// start date and whether it is a night duty (WTR reg. 2,
/// [`mobile_core::night_time`]). Those clock conversions, repeated for
/// each of a report's five overlapping 17-week periods, were most of the
/// figures' time (docs/scaling.md).
#[derive(Debug, Clone)]
pub struct LocalDuties<'a> {
    duties: &'a [Duty],
    zone: Tz,
    /// `(local start date, night duty)` of each of `duties`, in order.
    local: Vec<(NaiveDate, bool)>,
}

impl<'a> LocalDuties<'a> {
    /// `duties` (sorted, not overlapping) in the zone of `nights`, best
    /// covering them ([`NightWindows::covering`]; a duty outside is worked
    /// out the slower way, with the same result).
    pub fn new(duties: &'a [Duty], nights: &NightWindows) -> Self {
        let zone = nights.zone();
        let local = duties
            .iter()
            .map(|d| {
                (
                    d.start.with_timezone(&zone).date_naive(),
                    nights.is_night_duty(d.start, d.end),
                )
            })
            .collect();
        LocalDuties {
            duties,
            zone,
            local,
        }
    }

    /// [`LocalDuties::new`] with the nights of the dates `duties` span.
    pub fn in_zone(duties: &'a [Duty], zone: Tz) -> Self {
        let nights = match (duties.first(), duties.last()) {
            (Some(a), Some(b)) => NightWindows::covering(zone, a.start, b.end),
            _ => NightWindows::covering(zone, DateTime::UNIX_EPOCH, DateTime::UNIX_EPOCH),
        };
        Self::new(duties, &nights)
    }
}

/// A person's working time over the reference period ending at a report
/// period's end (frm-indicators #6 and #7).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkingTimeFigures {
    /// Minutes worked in the reference period (duties cut at its edges): A.
    pub minutes: i64,
    /// Days in the reference period lost to annual leave, sickness or
    /// parental leave: local dates with an absence and no duty starting.
    pub absent_days: u32,
    /// Minutes worked on the first `absent_days` days worked after the
    /// reference period (whole duties, by local start date): B.
    pub make_up_minutes: i64,
    /// True when the roster after the period, up to its known end, holds
    /// fewer worked days than `absent_days`: B, and so the average, may
    /// still rise.
    pub provisional: bool,
    /// Duties starting in the reference period.
    pub duties: u32,
    /// Of those, night duties (at least 3 h in 23:00–06:00 local).
    pub night_duties: u32,
    /// Average weekly hours `(A + B) / C`: within up to the force's amber
    /// level (44 h by default), amber over it, red over 48 h.
    pub average_week_level: Level,
    /// At least one duty in three a night duty.
    pub night_worker: bool,
    /// For a night worker: average daily hours over 8 (red; reg. 6 has a
    /// single limit). Within for everyone else.
    pub night_worker_level: Level,
}

/// Working time over the [`REFERENCE_WEEKS`] weeks ending at `period`'s
/// end, from a person's duties (sorted, not overlapping:
/// [`crate::input::PersonRecords::clean`]; they may reach past the period,
/// into the published roster) and absences (any order), with the roster
/// known up to `known_until`, each duty's local date and night-duty flag
/// worked out once ([`LocalDuties`]).
///
/// # Formula
/// - Average weekly hours (WTR reg. 4(6), frm-indicators #6):
///   `(A + B) / C`, A the hours worked in the reference period, B the
///   hours worked on as many days worked after it as there were days in it
///   lost to annual leave, sickness or parental leave
///   ([`mobile_core::roster::AbsenceCategory`]; a date with a duty
///   starting on it is not a day lost), C = 17 weeks. Days worked after the
///   period are local dates with a duty starting on them before
///   `known_until`; when there are fewer than the days lost, B is what
///   there is and the figure is provisional. Amber over
///   `limits.average_week_amber_over_hours`, red over 48 h
///   ([`AVERAGE_WEEK_RED_OVER_HOURS`]).
/// - Night worker's average daily hours (WTR reg. 6(5), #7): A ÷ (119 days
///   − 17 days of weekly rest, reg. 11's 24 hours a week), so a night
///   worker is over the limit above 8 h × 102 days. Reg. 6(5) has no
///   make-up for leave (its A is the hours worked, its divisor the days of
///   the period less weekly rest), so B does not apply here.
pub fn working_time_figures(
    duties: &LocalDuties<'_>,
    absences: &[Absence],
    period: &Period,
    limits: &RosterLimits,
    known_until: DateTime<Utc>,
) -> WorkingTimeFigures {
    let zone = duties.zone;
    let (_, end) = period.instants(zone);
    let first_day = period.to + Duration::days(1) - Duration::weeks(REFERENCE_WEEKS);
    let start = local_instant(zone, first_day, 0);
    let mut f = WorkingTimeFigures::default();
    let mut worked_dates = BTreeSet::new();
    for (d, &(date, night)) in duties.duties.iter().zip(&duties.local) {
        let a = d.start.max(start);
        let b = d.end.min(end);
        f.minutes += (b - a).num_minutes().max(0);
        if d.start >= start && d.start < end {
            f.duties += 1;
            worked_dates.insert(date);
            if night {
                f.night_duties += 1;
            }
        }
    }
    let lost: BTreeSet<NaiveDate> = absences
        .iter()
        .map(|&(date, _)| date)
        .filter(|d| (first_day..=period.to).contains(d) && !worked_dates.contains(d))
        .collect();
    f.absent_days = u32::try_from(lost.len()).unwrap_or(u32::MAX);
    if !lost.is_empty() {
        let mut days_after: Vec<NaiveDate> = Vec::new();
        for (d, &(date, _)) in duties
            .duties
            .iter()
            .zip(&duties.local)
            .filter(|(d, _)| d.start >= end && d.start < known_until)
        {
            if days_after.last() != Some(&date) {
                if days_after.len() == lost.len() {
                    break;
                }
                days_after.push(date);
            }
            f.make_up_minutes += (d.end - d.start).num_minutes();
        }
        f.provisional = days_after.len() < lost.len();
    }
    let weeks = REFERENCE_WEEKS;
    // "Over" a limit in whole minutes is reaching one minute more.
    f.average_week_level = level(
        f.minutes + f.make_up_minutes,
        i64::from(limits.average_week_amber_over_hours) * 60 * weeks + 1,
        i64::from(AVERAGE_WEEK_RED_OVER_HOURS) * 60 * weeks + 1,
    );
    let (num, den) = NIGHT_WORKER_SHARE;
    f.night_worker = f.duties > 0 && f.night_duties * den >= f.duties * num;
    let working_days = 7 * weeks - weeks;
    f.night_worker_level =
        if f.night_worker && f.minutes > i64::from(NIGHT_WORKER_DAILY_HOURS) * 60 * working_days {
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
    /// Rest days worked, duty in the period, with under 15 clear days'
    /// notice ([`clear_days`]; reg. 26, Annex H).
    pub short_notice_rest_days: u32,
    /// Starts brought forward, duty in the period, with under 8 h notice
    /// (reg. 25, Annex G).
    pub short_notice_advances: u32,
}

/// Clear days' notice (Police Regulations 2003, Annex H): whole local days
/// strictly between the day notice was given and the day of the duty, so
/// notice on 1 June of a duty on 17 June is 15 clear days. Negative when
/// the notice came after the duty's day.
pub fn clear_days(notice_at: DateTime<Utc>, duty_start: DateTime<Utc>, zone: Tz) -> i64 {
    let day = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
    (day(duty_start) - day(notice_at)).num_days() - 1
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
                if in_period && clear_days(c.changed_at, c.duty_start, zone) < REST_DAY_NOTICE_DAYS
                {
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
    /// Sum of sleep obtained, minutes (naps included, as synced).
    pub sleep_minutes: i64,
    /// Sum of sleep debt, minutes.
    pub debt_minutes: i64,
    /// Nights under 6 h of sleep obtained (naps included; context for the
    /// sleep table, not indicator #14).
    pub short_nights: u32,
    /// Nights before shifts that [`sleep_before_shifts`] averaged (0 when the
    /// person has none before a shift in the period).
    pub nights_before_shifts: u32,
    /// Sum of their main sleep, minutes.
    pub main_sleep_before_shifts_minutes: i64,
    /// Their mean main sleep is under 6 h (frm-indicators #14).
    pub short_sleep_before_shifts: bool,
    /// Days by recovery band: green, amber, red.
    pub bands: [u32; 3],
    /// KSS check-ins before a shift or a drive ([`KSS_CONTEXTS`]) below 7 /
    /// at 7 or more (frm-indicators #15).
    pub kss_low: u32,
    /// See `kss_low`.
    pub kss_high: u32,
    /// Sum of their KSS values.
    pub kss_sum: i64,
}

/// A main sleep's length, minutes: onset to final waking of the synced
/// summary (both rounded to 15 minutes). The sync record carries no
/// main-sleep-only minutes (`sleep_minutes` includes naps), so this span
/// is the nearest figure: it includes any waking inside the main sleep.
pub fn main_sleep_minutes(s: &DailySummary) -> Option<i64> {
    let (a, b) = (s.main_sleep_start?, s.main_sleep_end?);
    (b > a).then(|| (b - a).num_minutes())
}

/// The main sleeps before a person's shifts (frm-indicators #14), as
/// `(nights, minutes)`: for each shift starting in `[from − LOOKBACK_DAYS,
/// to)`, the latest summary whose main sleep ended at most
/// [`SLEEP_BEFORE_SHIFT_WITHIN_HOURS`] before the shift's start (each
/// night once), then the last [`SLEEP_BEFORE_SHIFTS_NIGHTS`] of them.
/// Empty unless at least one of those nights is before a shift starting in
/// `[from, to)`: a person is counted in the period they worked in.
pub fn sleep_before_shifts(
    summaries: &[DailySummary],
    shifts: &[ShiftRecord],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<i64> {
    let earliest = from - Duration::days(LOOKBACK_DAYS);
    let window = Duration::hours(SLEEP_BEFORE_SHIFT_WITHIN_HOURS);
    let mut nights: Vec<(NaiveDate, i64, bool)> = Vec::new();
    for shift in shifts
        .iter()
        .filter(|s| s.start >= earliest && s.start < to)
    {
        let after = shift.start - window;
        let night = summaries
            .iter()
            .filter(|s| {
                s.main_sleep_end
                    .is_some_and(|e| e <= shift.start && e > after)
            })
            .max_by_key(|s| s.main_sleep_end);
        let Some((night, minutes)) = night.and_then(|n| Some((n, main_sleep_minutes(n)?))) else {
            continue;
        };
        let in_period = shift.start >= from;
        match nights.last_mut() {
            Some(last) if last.0 == night.local_date => last.2 |= in_period,
            _ => nights.push((night.local_date, minutes, in_period)),
        }
    }
    let recent = &nights[nights.len().saturating_sub(SLEEP_BEFORE_SHIFTS_NIGHTS)..];
    if recent.iter().any(|n| n.2) {
        recent.iter().map(|n| n.1).collect()
    } else {
        Vec::new()
    }
}

/// Wellbeing figures from summaries and check-ins dated in `period`, and
/// the main sleep before the person's `shifts` (sorted) in it; instants
/// local in `zone`.
pub fn wellbeing_figures(
    summaries: &[DailySummary],
    checkins: &[CheckInRecord],
    shifts: &[ShiftRecord],
    period: &Period,
    zone: Tz,
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
    let (from, to) = period.instants(zone);
    let before = sleep_before_shifts(summaries, shifts, from, to);
    w.nights_before_shifts = u32::try_from(before.len()).unwrap_or(u32::MAX);
    w.main_sleep_before_shifts_minutes = before.iter().sum();
    // mean < 6 h, in whole minutes: sum < 360 × nights.
    w.short_sleep_before_shifts = !before.is_empty()
        && w.main_sleep_before_shifts_minutes
            < i64::from(SHORT_SLEEP_MINUTES) * i64::from(w.nights_before_shifts);
    (w.kss_low, w.kss_high, w.kss_sum) = kss_counts(checkins, period, Some(&KSS_CONTEXTS));
    w
}

/// KSS check-ins dated in `period`, made in one of `contexts` (`None`: in
/// any), as `(below 7, 7 or more, sum of values)`.
pub fn kss_counts(
    checkins: &[CheckInRecord],
    period: &Period,
    contexts: Option<&[CheckInContext]>,
) -> (u32, u32, i64) {
    let (mut low, mut high, mut sum) = (0, 0, 0);
    for c in checkins.iter().filter(|c| {
        c.scale == CheckInScale::Kss
            && contexts.is_none_or(|only| only.contains(&c.context))
            && period.contains(c.local_date)
    }) {
        if c.value >= KSS_HIGH {
            high += 1;
        } else {
            low += 1;
        }
        sum += i64::from(c.value);
    }
    (low, high, sum)
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
            risk_index: 1.0,
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

    fn duties_of(shifts: &[ShiftRecord]) -> Vec<Duty> {
        shifts
            .iter()
            .map(|s| Duty {
                start: s.start,
                end: s.end,
            })
            .collect()
    }

    /// Schedule figures with the default limits in UTC, the duties being
    /// the shifts and the roster known to the period's end.
    fn sched(shifts: &[ShiftRecord], a: DateTime<Utc>, b: DateTime<Utc>) -> ScheduleFigures {
        let limits = RosterLimits::default();
        schedule_figures(shifts, &duties_of(shifts), a, b, utc(), &limits, b)
    }

    #[test]
    fn runs_of_work_days_reach_back_and_are_graded() {
        let (a, b) = period();
        // 1..=7 March: 7 days in a row, the first before the period.
        let shifts: Vec<ShiftRecord> = (1..=7).map(day_shift).collect();
        let f = sched(&shifts, a, b);
        assert_eq!(f.longest_work_day_run, 7);
        assert_eq!(f.work_days_level, Level::Amber);
        // A day off on the 4th splits it: 1-3 and 5-7.
        let split: Vec<ShiftRecord> = [1, 2, 3, 5, 6, 7].into_iter().map(day_shift).collect();
        let f = sched(&split, a, b);
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
        let f = sched(&long, a, b);
        assert_eq!(f.longest_work_day_run, 14);
        assert_eq!(f.work_days_level, Level::Red);
    }

    /// Weekly rest in UTC with Monday 00:00 weeks over the duties `d`, for
    /// the period `[a, b)`, the roster known to `known`.
    fn rest(d: &[Duty], a: DateTime<Utc>, b: DateTime<Utc>, known: DateTime<Utc>) -> WeeklyRest {
        weekly_rest(d, a, b, utc(), &WeekStart::default(), known)
    }

    /// 10 h duties 07:00-17:00 UTC on the given days of March 2026
    /// (2 March is a Monday), with per-day start hours where given.
    fn days_at(days: &[(u32, u32)]) -> Vec<Duty> {
        days.iter()
            .map(|&(d, h)| {
                let start = Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
                Duty {
                    start,
                    end: start + Duration::hours(10),
                }
            })
            .collect()
    }

    fn mon_to_sat(weeks: &[u32]) -> Vec<(u32, u32)> {
        weeks
            .iter()
            .flat_map(|&monday| (0..6).map(move |i| (monday + i, 7)))
            .collect()
    }

    #[test]
    fn weekly_rest_monday_to_saturday_with_sundays_off_complies() {
        // Weeks from Monday 2, 9 and 16 March, 07:00-17:00 Monday to
        // Saturday: the rest from Saturday 17:00 to Monday 07:00 is 38 h,
        // over 35 h (24 + 11), and begins inside each Monday-00:00 week.
        // The period is the week of 9 March; the week before it pairs with
        // it for the 14-day rule (two 38 h rests: complies).
        let d = days_at(&mon_to_sat(&[2, 9, 16]));
        let (a, b) = (
            Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 16, 0, 0, 0).unwrap(),
        );
        let known = Utc.with_ymd_and_hms(2026, 3, 23, 0, 0, 0).unwrap();
        let r = rest(&d, a, b, known);
        assert_eq!(
            r,
            WeeklyRest {
                weeks: 1,
                weeks_without: 0,
                fortnights_without: 0
            }
        );
        assert_eq!(r.level(), Level::Within);
        // Through the report: the same rota, the roster known past it.
        let shifts: Vec<ShiftRecord> = (9..=14).map(day_shift).collect();
        let limits = RosterLimits::default();
        let f = schedule_figures(&shifts, &d, a, b, utc(), &limits, known);
        assert_eq!(f.weekly_rest_level, Level::Within);
        // Known only to the period's end (Monday 16 March 00:00): the rest
        // from Saturday 17:00 is 31 h as far as is known, so it is not
        // assumed: amber, and the fortnight (one 38 h rest) red.
        let r = rest(&d, a, b, b);
        assert_eq!((r.weeks_without, r.fortnights_without), (1, 1));
    }

    #[test]
    fn weekly_rest_breaches_either_side_of_35_and_59_hours() {
        let (a, b) = (
            Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 16, 0, 0, 0).unwrap(),
        );
        let known = Utc.with_ymd_and_hms(2026, 3, 30, 0, 0, 0).unwrap();
        // Week before Monday to Friday (rest Friday 6 March 17:00 to Monday
        // 9 March 07:00: 62 h, over 59 h); this week Monday to Saturday,
        // and Monday 16 March starts at 03:00: rest 34 h, under 35 h. The
        // week has no weekly rest (amber), but its fortnight holds one of
        // 59 h or more: not red.
        let mut days: Vec<(u32, u32)> = (2..=6).map(|d| (d, 7)).collect();
        days.extend((9..=14).map(|d| (d, 7)));
        days.push((16, 3));
        let r = rest(&days_at(&days), a, b, known);
        assert_eq!((r.weeks_without, r.fortnights_without), (1, 0));
        assert_eq!(r.level(), Level::Amber);
        // Next Monday at 04:00: 35 h exactly, complies.
        let last = days.len() - 1;
        days[last] = (16, 4);
        assert_eq!(rest(&days_at(&days), a, b, known).level(), Level::Within);
        // Week before Monday to Saturday too (38 h rest beginning in it):
        // the fortnight holds one 35 h rest and none of 59 h: red.
        days[last] = (16, 3);
        days.insert(5, (7, 7));
        let r = rest(&days_at(&days), a, b, known);
        assert_eq!((r.weeks_without, r.fortnights_without), (1, 1));
        assert_eq!(r.level(), Level::Red);
        // The 59 h edge: the week before ends Friday 17:00 and this week
        // starts Monday 04:00 (59 h, counts) or 03:00 (58 h, does not);
        // this week's own rest is 34 h.
        let mut edge: Vec<(u32, u32)> = (2..=6).map(|d| (d, 7)).collect();
        edge.push((9, 4));
        edge.extend((10..=14).map(|d| (d, 7)));
        edge.push((16, 3));
        assert_eq!(rest(&days_at(&edge), a, b, known).level(), Level::Amber);
        edge[5] = (9, 3);
        assert_eq!(rest(&days_at(&edge), a, b, known).level(), Level::Red);
    }

    #[test]
    fn weekly_rest_follows_the_forces_week_start_and_skips_weeks_not_worked() {
        // Seven days 07:00-17:00 from Wednesday 4 to Tuesday 10 March, then
        // off. Monday 00:00 weeks: the week of 2 March holds no 35 h rest
        // (amber); the week of 9 March holds the rest after the 10th.
        // Fortnights: 23 Feb-8 Mar has none (red).
        let d = days_at(&(4..=10).map(|d| (d, 7)).collect::<Vec<_>>());
        let (a, b) = (
            Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 16, 0, 0, 0).unwrap(),
        );
        let known = Utc.with_ymd_and_hms(2026, 3, 30, 0, 0, 0).unwrap();
        let r = rest(&d, a, b, known);
        assert_eq!(r.weeks, 2);
        assert_eq!((r.weeks_without, r.fortnights_without), (1, 1));
        // Weeks from Wednesday 07:00 instead: the run sits in the week of
        // 4 March 07:00 (the rest before it has no known start), and the
        // rest from 10 March 17:00 begins in it: complies; the earlier week
        // of 25 February has no duty, so nothing to breach.
        let wed = WeekStart {
            weekday: chrono::Weekday::Wed,
            hour: 7,
        };
        let r = weekly_rest(&d, a, b, utc(), &wed, known);
        assert_eq!(r.weeks, 3, "25 Feb, 4 and 11 March");
        assert_eq!((r.weeks_without, r.fortnights_without), (0, 0));
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
        let f = sched(&shifts, a, b);
        assert_eq!(f.switches, 4);
        assert_eq!(f.short_switches, 3);
        assert_eq!(f.switch_level, Level::Red);
        let f = sched(&shifts[..2], a, b);
        assert_eq!(f.switch_level, Level::Amber);
        let f = sched(&shifts[3..], a, b);
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

    /// London's nights over 2026 (duties outside take the per-duty way).
    fn nights() -> NightWindows {
        let from = local_instant(london(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), 0);
        NightWindows::covering(london(), from, from + Duration::days(365))
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

    /// Each duty's date and night flag, worked out once, are the ones the
    /// clock gives for that duty, for duties inside the nights held and
    /// past them (2025's and 2027's take the per-duty way).
    #[test]
    fn local_duties_are_each_duty_in_the_zone() {
        use mobile_core::night_time::is_night_duty;
        let start = local_instant(london(), NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(), 0);
        let duties: Vec<Duty> = (0..1200)
            .map(|i| {
                let s = start + Duration::minutes(i * 9 * 60 + 37);
                Duty {
                    start: s,
                    end: s + Duration::hours(4 + i % 9),
                }
            })
            .collect();
        let local = LocalDuties::new(&duties, &nights());
        assert_eq!(local.local.len(), duties.len());
        let mut night_duties = 0;
        for (d, &(date, night)) in duties.iter().zip(&local.local) {
            assert_eq!(date, d.start.with_timezone(&london()).date_naive());
            assert_eq!(night, is_night_duty(d.start, d.end, london()));
            night_duties += u32::from(night);
        }
        assert!(night_duties > 100, "the duties hold nights: {night_duties}");
        assert!(duties.last().unwrap().start > start + Duration::days(400));
    }

    /// Working time with no absences and the default limits.
    fn wt(duties: &[Duty], period: &Period) -> WorkingTimeFigures {
        let (_, end) = period.instants(london());
        let duties = LocalDuties::new(duties, &nights());
        working_time_figures(&duties, &[], period, &RosterLimits::default(), end)
    }

    #[test]
    fn leave_is_made_up_from_the_days_worked_after_the_period() {
        use mobile_core::roster::AbsenceCategory;
        // The example: 52 h a week (13 h Monday to Thursday) for
        // the 17 weeks to Sunday 7 June 2026, but weeks 6 and 7 (16 and 23
        // March) are annual leave: 8 days lost. A = 15 x 52 = 780 h.
        let weekly = [(0, 7, 13), (1, 7, 13), (2, 7, 13), (3, 7, 13)];
        let all = rota(&weekly);
        let leave_from = local_instant(london(), NaiveDate::from_ymd_opt(2026, 3, 16).unwrap(), 0);
        let leave_to = local_instant(london(), NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(), 0);
        let mut duties: Vec<Duty> = all
            .iter()
            .copied()
            .filter(|d| d.start < leave_from || d.start >= leave_to)
            .collect();
        let absences: Vec<Absence> = all
            .iter()
            .filter(|d| d.start >= leave_from && d.start < leave_to)
            .map(|d| {
                (
                    d.start.with_timezone(&london()).date_naive(),
                    AbsenceCategory::Leave,
                )
            })
            .collect();
        assert_eq!(absences.len(), 8);
        // The published roster goes on the same way for two more weeks.
        let after: Vec<Duty> = all[all.len() - 8..]
            .iter()
            .map(|d| Duty {
                start: d.start + Duration::weeks(2),
                end: d.end + Duration::weeks(2),
            })
            .collect();
        duties.extend(after);
        let limits = RosterLimits::default();
        let period = june_week();
        let horizon = local_instant(london(), NaiveDate::from_ymd_opt(2026, 6, 22).unwrap(), 0);
        let f = working_time_figures(
            &LocalDuties::new(&duties, &nights()),
            &absences,
            &period,
            &limits,
            horizon,
        );
        assert_eq!(f.minutes, 780 * 60);
        assert_eq!(f.absent_days, 8);
        // B: the first 8 days worked after 7 June, 8 x 13 = 104 h.
        assert_eq!(f.make_up_minutes, 104 * 60);
        assert!(!f.provisional);
        // (780 + 104) / 17 = 52 h: red, where 780 / 17 = 45.9 h read amber.
        assert_eq!(f.minutes + f.make_up_minutes, 52 * 60 * 17);
        assert_eq!(f.average_week_level, Level::Red);
        // Roster known only to Monday 15 June: 4 days worked after, B = 52 h,
        // (780 + 52) / 17 = 48.9 h, red but provisional.
        let week_on = local_instant(london(), NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(), 0);
        let f = working_time_figures(
            &LocalDuties::new(&duties, &nights()),
            &absences,
            &period,
            &limits,
            week_on,
        );
        assert_eq!(f.make_up_minutes, 52 * 60);
        assert!(f.provisional);
        assert_eq!(f.average_week_level, Level::Red);
        // Known to the period's end only: B = 0, 45.9 h, amber and provisional.
        let (_, end) = period.instants(london());
        let f = working_time_figures(
            &LocalDuties::new(&duties, &nights()),
            &absences,
            &period,
            &limits,
            end,
        );
        assert_eq!((f.make_up_minutes, f.provisional), (0, true));
        assert_eq!(f.average_week_level, Level::Amber);
        // No absences: the old figure, A / 17, and never provisional.
        let f = working_time_figures(
            &LocalDuties::new(&duties, &nights()),
            &[],
            &period,
            &limits,
            horizon,
        );
        assert_eq!(
            (f.absent_days, f.make_up_minutes, f.provisional),
            (0, 0, false)
        );
        assert_eq!(f.average_week_level, Level::Amber);
        // A day marked absent that has a duty starting on it is not a day
        // lost, nor is one outside the 17 weeks.
        let worked_day = all[0].start.with_timezone(&london()).date_naive();
        let outside = NaiveDate::from_ymd_opt(2026, 2, 8).unwrap();
        let odd = [
            (worked_day, AbsenceCategory::Sickness),
            (outside, AbsenceCategory::Parental),
        ];
        let f = working_time_figures(
            &LocalDuties::new(&duties, &nights()),
            &odd,
            &period,
            &limits,
            horizon,
        );
        assert_eq!(f.absent_days, 0);
        // A force's own amber level: 44 h is the default; at 40, 45.9 h
        // (no absences counted) is still amber, and 36 h a week within.
        let strict = RosterLimits {
            average_week_amber_over_hours: 40,
            ..RosterLimits::default()
        };
        let three = rota(&[(0, 7, 12), (1, 7, 12), (2, 7, 12)]);
        let f = working_time_figures(
            &LocalDuties::new(&three, &nights()),
            &[],
            &period,
            &strict,
            horizon,
        );
        assert_eq!(f.average_week_level, Level::Within);
        let f = working_time_figures(
            &LocalDuties::new(&duties, &nights()),
            &[],
            &period,
            &strict,
            horizon,
        );
        assert_eq!(f.average_week_level, Level::Amber);
        let loose_week = rota(&[(0, 7, 12), (1, 7, 12), (2, 7, 12), (3, 7, 6)]);
        // 42 h a week: within by default, amber at 40.
        let f = working_time_figures(
            &LocalDuties::new(&loose_week, &nights()),
            &[],
            &period,
            &strict,
            horizon,
        );
        assert_eq!(f.average_week_level, Level::Amber);
        assert_eq!(wt(&loose_week, &period).average_week_level, Level::Within);
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
        let f = wt(&three, &june_week());
        assert_eq!(f.minutes, 36 * 60 * 17);
        assert_eq!(f.duties, 51);
        assert_eq!(f.average_week_level, Level::Within);
        let f = wt(&four, &june_week());
        assert_eq!(f.minutes, 48 * 60 * 17);
        assert_eq!(f.average_week_level, Level::Amber);
        let mut more = four.clone();
        let last = more.last().copied().unwrap();
        more.push(Duty {
            start: last.end + Duration::hours(12),
            end: last.end + Duration::hours(13),
        });
        let f = wt(&more, &june_week());
        assert_eq!(f.average_week_level, Level::Red);
        // A week later the first week has left the reference period: 16
        // weeks of 48 h over 17 is 45.2 h, still amber.
        let next = Period::new(
            NaiveDate::from_ymd_opt(2026, 6, 8).unwrap(),
            NaiveDate::from_ymd_opt(2026, 6, 14).unwrap(),
        )
        .unwrap();
        let f = wt(&four, &next);
        assert_eq!(f.minutes, 48 * 60 * 16);
        assert_eq!(f.average_week_level, Level::Amber);
        let f = wt(&three, &next);
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
        let f = wt(&[duty], &june_week());
        assert_eq!(f.minutes, 8 * 60);
        assert_eq!(f.duties, 0, "it started before the reference period");
    }

    #[test]
    fn night_workers_and_their_average_daily_hours() {
        // Four 12-hour nights (19:00–07:00, 7 h of night time) a week: a night
        // worker at exactly 8 h a day over 102 days (816 h), within the limit;
        // one more hour goes over it.
        let nights = rota(&[(0, 19, 12), (1, 19, 12), (2, 19, 12), (3, 19, 12)]);
        let f = wt(&nights, &june_week());
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
        let f = wt(&more, &june_week());
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
        let f = wt(&mixed, &june_week());
        assert_eq!((f.duties, f.night_duties), (102, 34));
        assert!(f.night_worker);
        // One night and three days: one in four, not a night worker, and so
        // never over the night-worker limit however long the hours.
        let fewer = rota(&[(0, 7, 16), (1, 7, 16), (2, 7, 16), (4, 20, 10)]);
        let f = wt(&fewer, &june_week());
        assert!(!f.night_worker);
        assert_eq!(f.night_worker_level, Level::Within);
        assert_eq!(f.average_week_level, Level::Red, "58 h a week");
        // A late shift with under 3 h of night time is not a night duty.
        let lates = rota(&[(0, 15, 10), (1, 15, 10)]);
        let f = wt(&lates, &june_week());
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
            // In the period, notice counted in clear days (neither the day
            // of notice nor the duty's): notice on 18 May 20:00 of a duty
            // on 3 June 08:00 is 15 clear days (19 May..2 June): not short,
            // though under 16 x 24 h; on 19 May, 14 clear days: short.
            change(RestDayWorked, at(6, 3, 7), at(6, 3, 7) - at(5, 18, 19)),
            change(RestDayWorked, at(6, 3, 8), at(6, 3, 8) - at(5, 19, 6)),
            // Starts brought forward in the period: 7 h 59 m and 8 h notice.
            change(StartAdvanced, at(6, 4, 6), Duration::minutes(8 * 60 - 1)),
            change(StartAdvanced, at(6, 5, 6), Duration::hours(8)),
            // After the period: nothing.
            change(RestDayWorked, at(6, 9, 8), Duration::days(1)),
        ];
        assert_eq!(clear_days(at(5, 18, 19), at(6, 3, 7), zone), 15);
        assert_eq!(clear_days(at(5, 19, 6), at(6, 3, 8), zone), 14);
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
