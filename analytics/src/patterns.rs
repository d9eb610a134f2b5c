//! Rota pattern comparison: a repeating cycle of duty days and rest days,
//! worked by a team over a horizon (a year by default), with the figures a
//! force weighs before adopting it (issue 20, `docs/patterns.md`).
//!
//! Nothing here is a new rule. The roster a pattern generates is assessed
//! by the engine exactly as a supervisor's team view assesses a published
//! one (`mobile_core::roster::assess::assess_roster`, predicted sleep, the
//! force's `RosterLimits`); the team's Risk Index is
//! [`team_risk_index`]; the indicators are the FRM report's own functions
//! ([`roster_figures`], [`schedule_figures`], [`working_time_figures`]).
//!
//! # Generation
//! - Day `d` of the horizon is the local date `start + d`. Officer `i` of a
//!   team of `N` works cycle day `(d + offset_i) mod L` on it, where `L` is
//!   the cycle's length and `offset_i = ⌊i × L / N⌋` ([`offset_of`]): the
//!   team spread evenly through the cycle, as rostering teams stagger
//!   reliefs (with `N = L / 7` on a weekly-line pattern every officer is on
//!   a different week's line). Officer 0 starts the cycle on `start`.
//! - A duty day's shift starts at its local time on that date (a time a
//!   clock change skips moves an hour later, a repeated one is its first
//!   occurrence: [`local_time_instant`]) and lasts its length in elapsed
//!   hours, so a night over the clocks changing is as long as any other.
//! - The roster runs from [`CONTEXT_DAYS`] before `start` to
//!   [`CONTEXT_DAYS`] after the horizon's end, the pattern continued both
//!   ways: as the report loads [`LOOKBACK_DAYS`] of earlier shifts, the
//!   first shifts of the horizon see the runs, rests and sleep before them,
//!   and the last weeks' rest is not cut off. Every figure counts only
//!   shifts starting inside the horizon.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use mobile_core::LocalClock;
use mobile_core::period::{Period, local_time_instant};
use mobile_core::roster::assess::{
    AssessmentParams, ShiftAssessment, assess_roster, team_risk_index,
};
use models::Shift;
use serde::Serialize;

use crate::AnalyticsError;
use crate::charts::{Bar, Chart, bar_chart};
use crate::indicators::{
    LOOKBACK_DAYS, Level, LocalDuties, REFERENCE_WEEKS, RosterFigures, ScheduleFigures,
    WorkingTimeFigures, roster_figures, schedule_figures, working_time_figures,
};
use crate::input::{Duty, ShiftRecord};

/// Days of the pattern generated before the horizon and after it, as
/// context (the report's [`LOOKBACK_DAYS`]).
pub const CONTEXT_DAYS: i64 = LOOKBACK_DAYS;
/// The default horizon, days: a year.
pub const DEFAULT_HORIZON_DAYS: u32 = 365;
/// The longest horizon, days (a year and a week).
pub const MAX_HORIZON_DAYS: u32 = 372;
/// The shortest horizon, days: a week.
pub const MIN_HORIZON_DAYS: u32 = 7;
/// The longest cycle, days (ten weeks).
pub const MAX_CYCLE_DAYS: usize = 70;
/// The largest team.
pub const MAX_TEAM_SIZE: u32 = 60;
/// The default team size.
pub const DEFAULT_TEAM_SIZE: u32 = 10;
/// Most patterns compared at once.
pub const MAX_PATTERNS: usize = 4;
/// Least rest between one cycle day's shift and the next day's, minutes:
/// under an hour is not a rota anyone works, and the hour keeps a shift
/// clear of the next across a clock change (ours).
pub const MIN_GAP_MINUTES: u32 = 60;
/// Longest shift, minutes (the roster format's 24 hours,
/// [`models::roster::MAX_SHIFT_HOURS`]).
pub const MAX_SHIFT_MINUTES: u32 = models::roster::MAX_SHIFT_HOURS * 60;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> AnalyticsError {
    AnalyticsError::InvalidInput {
        field: field.into(),
        reason: reason.into(),
    }
}

/// One duty day of a cycle: the local start time and the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ShiftSpec {
    /// Local start time.
    pub start: NaiveTime,
    /// Length, minutes (elapsed).
    pub minutes: u32,
}

impl ShiftSpec {
    /// A shift from `HH:MM` and a length in hours (rounded to whole minutes).
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidInput`] naming `field.start` or `field.hours`.
    pub fn new(start: &str, hours: f64, field: &str) -> Result<Self, AnalyticsError> {
        let start = NaiveTime::parse_from_str(start.trim(), "%H:%M").map_err(|_| {
            invalid(
                format!("{field}.start"),
                "a local start time HH:MM (00:00 to 23:59)",
            )
        })?;
        let minutes = hours * 60.0;
        if !minutes.is_finite() || minutes < 1.0 || minutes > f64::from(MAX_SHIFT_MINUTES) {
            return Err(invalid(
                format!("{field}.hours"),
                format!(
                    "a length in hours over 0 and at most {}",
                    models::roster::MAX_SHIFT_HOURS
                ),
            ));
        }
        Ok(Self {
            start,
            minutes: minutes.round() as u32,
        })
    }

    /// Start, minutes after local midnight.
    fn start_minute(&self) -> u32 {
        self.start.hour() * 60 + self.start.minute()
    }

    /// The notation's form: `HH:MM+hours`.
    fn notation(&self) -> String {
        let hours = f64::from(self.minutes) / 60.0;
        let h = format!("{hours:.2}");
        let h = h.trim_end_matches('0').trim_end_matches('.');
        format!("{}+{h}", self.start.format("%H:%M"))
    }
}

/// A repeating cycle of days, each a shift or rest (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RotaPattern {
    /// The pattern's name, as shown.
    pub name: String,
    /// The cycle's days, in order; `None` is a rest day.
    pub days: Vec<Option<ShiftSpec>>,
}

impl RotaPattern {
    /// A validated pattern: a name of 1 to 80 characters, 1 to
    /// [`MAX_CYCLE_DAYS`] days with at least one shift, and each shift
    /// ending at least [`MIN_GAP_MINUTES`] before the next day's starts (the
    /// cycle wraps: the last day is followed by the first).
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidInput`] naming `name`, `days` or `days[i]`
    /// (0-based).
    pub fn new(name: &str, days: Vec<Option<ShiftSpec>>) -> Result<Self, AnalyticsError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(invalid("name", "1 to 80 characters, no control characters"));
        }
        if days.is_empty() || days.len() > MAX_CYCLE_DAYS {
            return Err(invalid(
                "days",
                format!("a cycle of 1 to {MAX_CYCLE_DAYS} days"),
            ));
        }
        if days.iter().all(Option::is_none) {
            return Err(invalid("days", "at least one day with a shift"));
        }
        let n = days.len();
        for (i, day) in days.iter().enumerate() {
            let (Some(this), Some(next)) = (day, days[(i + 1) % n]) else {
                continue;
            };
            let end = this.start_minute() + this.minutes;
            if 24 * 60 + next.start_minute() < end + MIN_GAP_MINUTES {
                return Err(invalid(
                    format!("days[{i}]"),
                    format!(
                        "cycle day {}'s shift ends under {MIN_GAP_MINUTES} minutes before cycle day {}'s starts",
                        i + 1,
                        (i + 1) % n + 1
                    ),
                ));
            }
        }
        Ok(Self {
            name: name.to_owned(),
            days,
        })
    }

    /// A pattern from the notation the dashboard's form uses: days separated
    /// by spaces or commas, each `R` (also `rest`, `off`, `-`) or
    /// `HH:MM+hours` (`07:00+10`, `22:00+8.5`).
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidInput`] naming `days[i]` for a day that
    /// does not read, else as [`RotaPattern::new`].
    pub fn parse(name: &str, cycle: &str) -> Result<Self, AnalyticsError> {
        let days = cycle
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .enumerate()
            .map(|(i, token)| {
                let field = format!("days[{i}]");
                if ["r", "rest", "off", "-"].contains(&token.to_ascii_lowercase().as_str()) {
                    return Ok(None);
                }
                let (start, hours) = token.split_once('+').ok_or_else(|| {
                    invalid(
                        &field,
                        format!(
                            "cycle day {}: `R` or a shift `HH:MM+hours` (07:00+10)",
                            i + 1
                        ),
                    )
                })?;
                let hours: f64 = hours
                    .parse()
                    .map_err(|_| invalid(format!("{field}.hours"), "a number of hours"))?;
                ShiftSpec::new(start, hours, &field).map(Some)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(name, days)
    }

    /// The cycle in the notation [`RotaPattern::parse`] reads.
    pub fn notation(&self) -> String {
        self.days
            .iter()
            .map(|d| d.map_or_else(|| "R".to_owned(), |s| s.notation()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The cycle's length, days.
    pub fn cycle_days(&self) -> usize {
        self.days.len()
    }

    /// A preset.
    pub fn preset(preset: Preset) -> Self {
        let shift = |h: u32, m: u32, hours: u32| {
            Some(ShiftSpec {
                start: NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default(),
                minutes: hours * 60,
            })
        };
        let days = match preset {
            Preset::FourOnFourOff => {
                let (d, n) = (shift(7, 0, 10), shift(22, 0, 10));
                vec![d, d, n, n, None, None, None, None]
            }
            Preset::FiveWeekRolling => {
                let (e, l, n, r) = (shift(7, 0, 8), shift(15, 0, 8), shift(23, 0, 8), None);
                [
                    [e, e, e, e, e, r, r],
                    [l, l, l, l, l, r, r],
                    [n, n, n, n, r, r, r],
                    [r, e, e, e, e, e, r],
                    [l, l, l, l, l, r, r],
                ]
                .concat()
            }
            Preset::TwoTwoThree => {
                let on_off = [1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0];
                let (d, n) = (shift(7, 0, 12), shift(19, 0, 12));
                [d, n]
                    .iter()
                    .flat_map(|s| {
                        on_off
                            .iter()
                            .map(move |&on| if on == 1 { *s } else { None })
                    })
                    .collect()
            }
        };
        Self {
            name: preset.title().to_owned(),
            days,
        }
    }
}

/// The patterns offered ready-made (defined in `docs/patterns.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Preset {
    /// 8-day cycle: two days 07:00–17:00, two nights 22:00–08:00, four rest
    /// days (10-hour shifts).
    FourOnFourOff,
    /// 35-day cycle of weekly lines (Monday first): earlies Mon–Fri, lates
    /// Mon–Fri, nights Mon–Thu, earlies Tue–Sat, lates Mon–Fri; earlies
    /// 07:00–15:00, lates 15:00–23:00, nights 23:00–07:00 (8-hour shifts).
    FiveWeekRolling,
    /// 28-day "2-2-3" (Panama): on 2, off 2, on 3, off 2, on 2, off 3 over
    /// a fortnight, days 07:00–19:00 the first fortnight and nights
    /// 19:00–07:00 the second (12-hour shifts).
    TwoTwoThree,
}

impl Preset {
    /// Every preset, in the order shown.
    pub const ALL: [Preset; 3] = [
        Preset::FourOnFourOff,
        Preset::FiveWeekRolling,
        Preset::TwoTwoThree,
    ];

    /// Stable key, as the API and the form name it.
    pub fn key(self) -> &'static str {
        match self {
            Preset::FourOnFourOff => "four_on_four_off",
            Preset::FiveWeekRolling => "five_week_rolling",
            Preset::TwoTwoThree => "two_two_three",
        }
    }

    /// The preset a key names.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// The name shown.
    pub fn title(self) -> &'static str {
        match self {
            Preset::FourOnFourOff => "4 on 4 off (10 h)",
            Preset::FiveWeekRolling => "5-week rolling (8 h)",
            Preset::TwoTwoThree => "2-2-3 (12 h)",
        }
    }
}

/// Who works a pattern, from when, for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PatternRun {
    /// Officers working it, 1 to [`MAX_TEAM_SIZE`].
    pub team_size: u32,
    /// First local date of the horizon.
    pub start: NaiveDate,
    /// Days in the horizon, [`MIN_HORIZON_DAYS`] to [`MAX_HORIZON_DAYS`].
    pub horizon_days: u32,
}

impl PatternRun {
    /// A validated run.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidInput`] naming `team_size` or `horizon_days`.
    pub fn new(
        team_size: u32,
        start: NaiveDate,
        horizon_days: u32,
    ) -> Result<Self, AnalyticsError> {
        if !(1..=MAX_TEAM_SIZE).contains(&team_size) {
            return Err(invalid(
                "team_size",
                format!("1 to {MAX_TEAM_SIZE} officers"),
            ));
        }
        if !(MIN_HORIZON_DAYS..=MAX_HORIZON_DAYS).contains(&horizon_days) {
            return Err(invalid(
                "horizon_days",
                format!("{MIN_HORIZON_DAYS} to {MAX_HORIZON_DAYS} days"),
            ));
        }
        Ok(Self {
            team_size,
            start,
            horizon_days,
        })
    }

    /// The horizon's local dates, `start..=last`.
    pub fn period(&self) -> Period {
        Period {
            from: self.start,
            to: self.start + Duration::days(i64::from(self.horizon_days) - 1),
        }
    }
}

/// Officer `officer`'s place in a cycle of `cycle_days` on the horizon's
/// first day, for a team of `team_size`: `⌊officer × cycle_days /
/// team_size⌋`.
pub fn offset_of(officer: u32, team_size: u32, cycle_days: usize) -> usize {
    let cycle = cycle_days as u64;
    let offset = u64::from(officer) * cycle / u64::from(team_size.max(1));
    usize::try_from(offset).unwrap_or(0) % cycle_days.max(1)
}

/// The shifts of an officer at `offset`, from [`CONTEXT_DAYS`] before the
/// horizon to [`CONTEXT_DAYS`] after it, in `zone`.
pub fn officer_shifts(
    pattern: &RotaPattern,
    run: &PatternRun,
    offset: usize,
    zone: Tz,
) -> Vec<Shift> {
    let n = pattern.cycle_days() as i64;
    let horizon = i64::from(run.horizon_days);
    (-CONTEXT_DAYS..horizon + CONTEXT_DAYS)
        .filter_map(|d| {
            let cycle_day = (d + offset as i64).rem_euclid(n);
            let spec = pattern.days[usize::try_from(cycle_day).ok()?]?;
            let start = local_time_instant(zone, run.start + Duration::days(d), spec.start);
            Shift::new(start, start + Duration::minutes(i64::from(spec.minutes))).ok()
        })
        .collect()
}

/// The staff id the generated roster gives officer `officer` (0-based).
pub fn staff_id(officer: u32) -> String {
    format!("officer-{:02}", officer + 1)
}

/// The pattern written out as a roster file in the platform's CSV format
/// (`docs/rosters.md`: `staff_id,start,end`, RFC 3339 with the zone's
/// offset), every officer's shifts including the context days: the file
/// `server roster-risk` and a roster upload read.
///
/// # Errors
/// [`AnalyticsError::Csv`] if writing fails.
pub fn roster_csv(
    pattern: &RotaPattern,
    run: &PatternRun,
    zone: Tz,
) -> Result<String, AnalyticsError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["staff_id", "start", "end"])?;
    for officer in 0..run.team_size {
        let offset = offset_of(officer, run.team_size, pattern.cycle_days());
        for s in officer_shifts(pattern, run, offset, zone) {
            w.write_record([
                staff_id(officer),
                s.start().with_timezone(&zone).to_rfc3339(),
                s.end().with_timezone(&zone).to_rfc3339(),
            ])?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AnalyticsError::Render(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| AnalyticsError::Render(e.to_string()))
}

/// A level's name, as the figures carry it.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::Within => "within",
        Level::Amber => "amber",
        Level::Red => "red",
    }
}

/// One pattern's figures over the horizon, for the whole team.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternFigures {
    /// The pattern's name.
    pub name: String,
    /// The cycle, in the form's notation.
    pub cycle: String,
    /// Days in the cycle.
    pub cycle_days: u32,
    /// Officers.
    pub team_size: u32,
    /// Each officer's place in the cycle on the first day ([`offset_of`]).
    pub offsets: Vec<u32>,
    /// First local date.
    pub start: NaiveDate,
    /// Days.
    pub horizon_days: u32,
    /// Officer-shifts starting in the horizon.
    pub shifts: u32,
    /// Of those, night shifts (WTR rule: 3 h or more in 23:00–06:00).
    pub night_shifts: u32,
    /// Hours worked in the horizon per officer per week.
    pub hours_per_officer_per_week: f64,
    /// The team's Risk Index ([`team_risk_index`]) over the horizon's shifts.
    pub risk_index: Option<f64>,
    /// The highest officer's Risk Index over the horizon's shifts.
    pub highest_officer_risk_index: Option<f64>,
    /// Shifts whose Fatigue Index is at or over its threshold (35 day, 45
    /// night), as the report counts them.
    pub shifts_over_fi_threshold: u32,
    /// Of those, day shifts.
    pub day_shifts_over_fi_threshold: u32,
    /// Of those, night shifts.
    pub night_shifts_over_fi_threshold: u32,
    /// `shifts_over_fi_threshold / shifts`, percent.
    pub share_over_fi_threshold_percent: f64,
    /// Highest Fatigue Index of any shift.
    pub highest_fatigue_index: f64,
    /// Longest run of consecutive nights (the report's rule).
    pub longest_night_run: u32,
    /// Its level (amber over 3, red over 4 by default).
    pub night_run_level: &'static str,
    /// Returns under 12 h rest (red ones included), all officers.
    pub quick_returns: u32,
    /// Returns under 11 h rest (WTR reg. 10).
    pub quick_returns_red: u32,
    /// Shifts over 12 h, or nights over 8 h.
    pub long_shifts: u32,
    /// Longest run of consecutive days with a duty starting.
    pub longest_work_day_run: u32,
    /// Most hours worked in 7 days to a shift's end.
    pub max_hours_in_7_days: f64,
    /// Weekly rest (WTR reg. 11): fixed 7-day periods looked at, summed
    /// over officers.
    pub weekly_rest_weeks: u32,
    /// Of those, periods in which no rest of 35 h begins (amber).
    pub weeks_without_weekly_rest: u32,
    /// 14-day periods with neither two such rests nor one of 59 h (red).
    pub fortnights_without_weekly_rest: u32,
    /// 17-week reference periods inside the horizon (one ending at each
    /// week's end from the 17th), summed over officers; 0 when the horizon
    /// is under 17 weeks.
    pub reference_periods: u32,
    /// Of those, with an average week over the force's amber level (44 h
    /// by default), red included.
    pub reference_periods_over_amber: u32,
    /// Of those, over 48 h (WTR reg. 4).
    pub reference_periods_over_48: u32,
    /// Highest 17-week average weekly hours, `(A + B) / C`.
    pub highest_17_week_average_hours: Option<f64>,
}

/// One officer's figures (shared by every officer at the same offset).
struct OfficerFigures {
    horizon_shifts: Vec<ShiftAssessment>,
    roster: RosterFigures,
    schedule: ScheduleFigures,
    working: Vec<WorkingTimeFigures>,
}

fn officer_figures(
    pattern: &RotaPattern,
    run: &PatternRun,
    offset: usize,
    clock: &LocalClock,
    params: &AssessmentParams,
) -> Result<OfficerFigures, AnalyticsError> {
    let zone = clock.zone();
    let shifts = officer_shifts(pattern, run, offset, zone);
    let assessment = assess_roster(&shifts, &[], &[], clock, params)
        .map_err(|e| AnalyticsError::Render(format!("assessment: {e}")))?;
    let (from, to) = run.period().instants(zone);
    let records: Vec<ShiftRecord> = assessment.shifts.iter().map(ShiftRecord::from).collect();
    let duties: Vec<Duty> = records
        .iter()
        .map(|s| Duty {
            start: s.start,
            end: s.end,
        })
        .collect();
    let known_until = context_end(run, zone);
    let limits = &params.limits;
    let local = LocalDuties::in_zone(&duties, zone);
    let working = reference_periods(run)
        .map(|p| working_time_figures(&local, &[], &p, limits, known_until))
        .collect();
    Ok(OfficerFigures {
        roster: roster_figures(&records, from, to, limits),
        schedule: schedule_figures(&records, &duties, from, to, zone, limits, known_until),
        working,
        horizon_shifts: assessment
            .shifts
            .into_iter()
            .filter(|s| {
                let t = s.start.with_timezone(&Utc);
                t >= from && t < to
            })
            .collect(),
    })
}

/// The end of the generated roster: local midnight [`CONTEXT_DAYS`] after
/// the horizon (the roster is known up to there).
fn context_end(run: &PatternRun, zone: Tz) -> DateTime<Utc> {
    let last = run.period().to + Duration::days(CONTEXT_DAYS);
    Period {
        from: last,
        to: last,
    }
    .end(zone)
}

/// The 17-week reference periods inside the horizon: one ending at the
/// end of each whole week from the 17th.
fn reference_periods(run: &PatternRun) -> impl Iterator<Item = Period> + '_ {
    let weeks = i64::from(run.horizon_days) / 7;
    (REFERENCE_WEEKS..=weeks).map(move |k| Period {
        from: run.start + Duration::weeks(k - REFERENCE_WEEKS),
        to: run.start + Duration::weeks(k) - Duration::days(1),
    })
}

/// One pattern's figures for a team, in the force's zone with the force's
/// limits (`params.limits`).
///
/// # Formula
/// - Team Risk Index: [`team_risk_index`] over every officer's shifts in
///   the horizon.
/// - Share over the Fatigue Index thresholds: `(day_over + night_over) /
///   shifts × 100` from [`roster_figures`] per officer, summed.
/// - Hours per officer per week: minutes worked inside the horizon
///   (summed over officers) `/ 60 / team_size / (horizon_days / 7)`.
/// - 17-week averages: [`working_time_figures`] for each reference period
///   ending at a whole week of the horizon from week 17, per officer.
///
/// # Errors
/// [`AnalyticsError::Render`] if the engine refuses the roster (it cannot
/// for a validated pattern).
pub fn pattern_figures(
    pattern: &RotaPattern,
    run: &PatternRun,
    clock: &LocalClock,
    params: &AssessmentParams,
) -> Result<PatternFigures, AnalyticsError> {
    let cycle = pattern.cycle_days();
    let offsets: Vec<usize> = (0..run.team_size)
        .map(|i| offset_of(i, run.team_size, cycle))
        .collect();
    // Officers at the same offset work the same roster: assess it once.
    let mut by_offset: BTreeMap<usize, OfficerFigures> = BTreeMap::new();
    for &o in &offsets {
        if let std::collections::btree_map::Entry::Vacant(e) = by_offset.entry(o) {
            e.insert(officer_figures(pattern, run, o, clock, params)?);
        }
    }
    let officers: Vec<&OfficerFigures> = offsets.iter().filter_map(|o| by_offset.get(o)).collect();
    let sum = |f: &dyn Fn(&OfficerFigures) -> u32| officers.iter().map(|o| f(o)).sum::<u32>();
    let max = |f: &dyn Fn(&OfficerFigures) -> u32| officers.iter().map(|o| f(o)).max().unwrap_or(0);
    let shifts = sum(&|o| o.roster.shifts);
    let over = sum(&|o| o.roster.day_over + o.roster.night_over);
    let minutes: i64 = officers.iter().map(|o| o.roster.minutes_in_period).sum();
    let weeks = f64::from(run.horizon_days) / 7.0;
    let average_hours = |w: &WorkingTimeFigures| {
        (w.minutes + w.make_up_minutes) as f64 / 60.0 / REFERENCE_WEEKS as f64
    };
    let windows = || officers.iter().flat_map(|o| o.working.iter());
    let count_windows = |least: Level| {
        u32::try_from(windows().filter(|w| w.average_week_level >= least).count())
            .unwrap_or(u32::MAX)
    };
    Ok(PatternFigures {
        name: pattern.name.clone(),
        cycle: pattern.notation(),
        cycle_days: u32::try_from(cycle).unwrap_or(u32::MAX),
        team_size: run.team_size,
        offsets: offsets
            .iter()
            .map(|&o| u32::try_from(o).unwrap_or(u32::MAX))
            .collect(),
        start: run.start,
        horizon_days: run.horizon_days,
        shifts,
        night_shifts: sum(&|o| o.roster.night_below + o.roster.night_over),
        hours_per_officer_per_week: minutes as f64 / 60.0 / f64::from(run.team_size) / weeks,
        risk_index: team_risk_index(
            officers.iter().flat_map(|o| o.horizon_shifts.iter()),
            &params.hourly,
        ),
        highest_officer_risk_index: officers
            .iter()
            .filter_map(|o| team_risk_index(&o.horizon_shifts, &params.hourly))
            .reduce(f64::max),
        shifts_over_fi_threshold: over,
        day_shifts_over_fi_threshold: sum(&|o| o.roster.day_over),
        night_shifts_over_fi_threshold: sum(&|o| o.roster.night_over),
        share_over_fi_threshold_percent: if shifts > 0 {
            f64::from(over) * 100.0 / f64::from(shifts)
        } else {
            0.0
        },
        highest_fatigue_index: officers
            .iter()
            .flat_map(|o| o.horizon_shifts.iter().map(|s| s.fatigue_index))
            .fold(0.0, f64::max),
        longest_night_run: max(&|o| o.roster.longest_night_run),
        night_run_level: level_name(
            officers
                .iter()
                .map(|o| o.roster.night_run_level)
                .max()
                .unwrap_or_default(),
        ),
        quick_returns: sum(&|o| o.roster.quick_returns),
        quick_returns_red: sum(&|o| o.roster.quick_returns_red),
        long_shifts: sum(&|o| o.roster.long_shifts),
        longest_work_day_run: max(&|o| o.schedule.longest_work_day_run),
        max_hours_in_7_days: officers
            .iter()
            .map(|o| o.roster.max_7d_minutes)
            .max()
            .unwrap_or(0) as f64
            / 60.0,
        weekly_rest_weeks: sum(&|o| o.schedule.weekly_rest.weeks),
        weeks_without_weekly_rest: sum(&|o| o.schedule.weekly_rest.weeks_without),
        fortnights_without_weekly_rest: sum(&|o| o.schedule.weekly_rest.fortnights_without),
        reference_periods: u32::try_from(windows().count()).unwrap_or(u32::MAX),
        reference_periods_over_amber: count_windows(Level::Amber),
        reference_periods_over_48: count_windows(Level::Red),
        highest_17_week_average_hours: windows().map(average_hours).reduce(f64::max),
    })
}

/// The CSV's columns, in order (stable: add at the end, never rename).
pub const CSV_COLUMNS: [&str; 31] = [
    "pattern",
    "cycle",
    "cycle_days",
    "team_size",
    "start",
    "horizon_days",
    "shifts",
    "night_shifts",
    "hours_per_officer_per_week",
    "risk_index",
    "highest_officer_risk_index",
    "shifts_over_fi_threshold",
    "day_shifts_over_fi_threshold",
    "night_shifts_over_fi_threshold",
    "share_over_fi_threshold_percent",
    "highest_fatigue_index",
    "longest_night_run",
    "night_run_level",
    "quick_returns_under_12h",
    "quick_returns_under_11h",
    "long_shifts",
    "longest_work_day_run",
    "max_hours_in_7_days",
    "weekly_rest_weeks",
    "weeks_without_weekly_rest",
    "fortnights_without_weekly_rest",
    "reference_periods_17_weeks",
    "reference_periods_over_amber",
    "reference_periods_over_48h",
    "highest_17_week_average_hours",
    "offsets",
];

fn fixed(v: f64, places: usize) -> String {
    format!("{v:.places$}")
}

/// The comparison as CSV: a header of [`CSV_COLUMNS`], one pattern a line;
/// decimals to 2 places (3 for Risk Indices), absent figures empty,
/// offsets separated by spaces.
///
/// # Errors
/// [`AnalyticsError::Csv`] if writing fails.
pub fn figures_csv(figures: &[PatternFigures]) -> Result<String, AnalyticsError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for f in figures {
        let opt = |v: Option<f64>, places| v.map(|v| fixed(v, places)).unwrap_or_default();
        w.write_record([
            f.name.clone(),
            f.cycle.clone(),
            f.cycle_days.to_string(),
            f.team_size.to_string(),
            f.start.to_string(),
            f.horizon_days.to_string(),
            f.shifts.to_string(),
            f.night_shifts.to_string(),
            fixed(f.hours_per_officer_per_week, 2),
            opt(f.risk_index, 3),
            opt(f.highest_officer_risk_index, 3),
            f.shifts_over_fi_threshold.to_string(),
            f.day_shifts_over_fi_threshold.to_string(),
            f.night_shifts_over_fi_threshold.to_string(),
            fixed(f.share_over_fi_threshold_percent, 2),
            fixed(f.highest_fatigue_index, 2),
            f.longest_night_run.to_string(),
            f.night_run_level.to_owned(),
            f.quick_returns.to_string(),
            f.quick_returns_red.to_string(),
            f.long_shifts.to_string(),
            f.longest_work_day_run.to_string(),
            fixed(f.max_hours_in_7_days, 2),
            f.weekly_rest_weeks.to_string(),
            f.weeks_without_weekly_rest.to_string(),
            f.fortnights_without_weekly_rest.to_string(),
            f.reference_periods.to_string(),
            f.reference_periods_over_amber.to_string(),
            f.reference_periods_over_48.to_string(),
            opt(f.highest_17_week_average_hours, 2),
            f.offsets
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        ])?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AnalyticsError::Render(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| AnalyticsError::Render(e.to_string()))
}

/// The comparison's charts, one bar per pattern: the share of shifts at or
/// over the Fatigue Index thresholds, and the team's Risk Index.
///
/// # Errors
/// [`AnalyticsError::Render`] if drawing fails.
pub fn charts(figures: &[PatternFigures]) -> Result<Vec<Chart>, AnalyticsError> {
    let bars = |f: &dyn Fn(&PatternFigures) -> Option<f64>| {
        figures
            .iter()
            .map(|p| Bar {
                label: p.name.clone(),
                value: f(p),
            })
            .collect::<Vec<_>>()
    };
    Ok(vec![
        bar_chart(
            "Shifts at or over the Fatigue Index threshold",
            "%",
            None,
            &bars(&|p| Some(p.share_over_fi_threshold_percent)),
        )?,
        bar_chart(
            "Team Risk Index (guidance threshold 1.6)",
            "",
            None,
            &bars(&|p| p.risk_index),
        )?,
    ])
}

#[cfg(test)]
mod tests;
