//! The officer's personal plan around their roster: for each coming day,
//! when to sleep and nap, which light to seek and which to avoid, and when
//! to stop caffeine, each window with a one-line reason and its source.
//!
//! Every rule is in `docs/plan.md` with its published source; the numbers
//! are [`PlanRules`]' defaults. [`make_plan`] is a pure function of the
//! roster, the officer's inputs ([`PlanInputs`]) and the local clock, so the
//! same roster always gives the same plan. [`figures`] runs the plan's sleep
//! through the Three Process Model beside the default predicted sleep (what
//! following the plan buys), and [`reminders`] turns a plan into the
//! notifications an app schedules.
//!
//! The plan differs from the predicted sleep of `docs/science.md` §6 on
//! purpose: the prediction is what officers typically do (the standard
//! forecast and the server keep it), the plan is what the research advises.

pub mod figures;
pub mod reminders;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use models::{Shift, SleepPeriod};
use serde::{Deserialize, Serialize};

use crate::LocalClock;
use crate::fatigue_index::is_night_shift;
use crate::regularity::{circular_mean_hours, mid_sleep_hours};
use crate::roster::predict::{free_pieces, hours, local_instant};
use crate::wearables::episodes::SleepEpisode;

/// The officer's chronotype: when their body clock puts sleep on free days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chronotype {
    /// Free-day mid-sleep before 02:30.
    Early,
    /// Free-day mid-sleep 02:30–03:59.
    Intermediate,
    /// Free-day mid-sleep 04:00 or later.
    Late,
}

impl Chronotype {
    /// The chronotype of a free-day mid-sleep, local clock hours in
    /// `[0, 24)` (MCTQ's MSF; Roenneberg, Wirz-Justice & Merrow 2003). The
    /// cut-offs are ours: halfway between the anchors of
    /// [`Chronotype::mid_sleep_hours`]. A mid-sleep after noon (a night
    /// worker's day sleep on a "free" day) reads as late.
    pub fn from_mid_sleep(msf_hours: f64) -> Self {
        // Mid-sleeps from 16:00 round to the evening before midnight.
        let h = msf_hours.rem_euclid(24.0);
        let h = if h >= 16.0 { h - 24.0 } else { h };
        if h >= 4.0 {
            Chronotype::Late
        } else if h < 2.5 {
            Chronotype::Early
        } else {
            Chronotype::Intermediate
        }
    }

    /// The local mid-sleep the plan centres a free night's sleep on, clock
    /// hours: 02:00 early, 03:00 intermediate (the reference's 23:00–07:00
    /// night), 04:30 late (ours, `docs/plan.md`).
    pub fn mid_sleep_hours(self) -> f64 {
        match self {
            Chronotype::Early => 2.0,
            Chronotype::Intermediate => 3.0,
            Chronotype::Late => 4.5,
        }
    }

    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Chronotype::Early => "early",
            Chronotype::Intermediate => "intermediate",
            Chronotype::Late => "late",
        }
    }
}

/// Where the plan's chronotype came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChronotypeBasis {
    /// Recorded sleep on free days (MCTQ's mid-sleep).
    Recorded,
    /// The officer's answer to the short question.
    Stated,
    /// Neither: intermediate assumed.
    Assumed,
}

/// The chronotype from recorded main sleeps on free days, MCTQ's way: the
/// circular mean mid-sleep of main sleeps ending on a local day with no
/// duty starting ([`crate::regularity::social_jet_lag`]'s `MSF`), read by
/// [`Chronotype::from_mid_sleep`]. Only free days that follow a free day
/// count, so the recovery sleep after a night block does not read as a
/// late type. `None` with fewer than `min_free_days` such sleeps.
pub fn chronotype_from_sleep(
    episodes: &[SleepEpisode],
    shifts: &[Shift],
    clock: &LocalClock,
    min_free_days: usize,
) -> Option<Chronotype> {
    let zone = clock.zone();
    let work_days: Vec<NaiveDate> = shifts
        .iter()
        .flat_map(|s| {
            let a = s.start().with_timezone(&zone).date_naive();
            let b = s.end().with_timezone(&zone).date_naive();
            [a, b]
        })
        .collect();
    let is_work =
        |d: NaiveDate| work_days.contains(&d) || work_days.contains(&(d - Duration::days(1)));
    let free: Vec<f64> = episodes
        .iter()
        .filter(|e| e.is_main && !is_work(e.local_date))
        .map(mid_sleep_hours)
        .collect();
    if free.len() < min_free_days.max(1) {
        return None;
    }
    circular_mean_hours(&free).map(Chronotype::from_mid_sleep)
}

/// A fixed commitment the plan works around (childcare, a school run):
/// local clock times on the given weekdays. An end at or before the start
/// runs past midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// The weekdays it happens on (of its start).
    pub weekdays: Vec<Weekday>,
    /// Local start.
    pub start: NaiveTime,
    /// Local end.
    pub end: NaiveTime,
}

/// A plan preference refused (the message names the limit, not a value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Commute outside 0–4 h each way.
    #[error("the commute must be 0 to 4 hours each way")]
    Commute,
    /// A commitment with no weekday.
    #[error("a commitment needs at least one weekday")]
    NoWeekday,
    /// More than a day's worth of reminders, or none.
    #[error("reminders per day must be 1 to 10")]
    RemindersPerDay,
}

/// Longest commute each way the plan accepts, hours.
pub const MAX_COMMUTE_HOURS: f64 = 4.0;

/// What the officer tells the plan, kept on the device: everything but the
/// sleep need (its own setting, shared with the recovery score).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanPreferences {
    /// Commute each way, hours; `None` for the reference's 1 h.
    pub commute_hours: Option<f64>,
    /// Their answer to the chronotype question, used when there is not
    /// enough recorded free-day sleep to estimate it.
    pub chronotype: Option<Chronotype>,
    /// Fixed commitments.
    pub commitments: Vec<Commitment>,
    /// Reminder quiet hours and daily limit.
    pub reminders: reminders::ReminderSettings,
}

impl PlanPreferences {
    /// Checks the preferences.
    ///
    /// # Errors
    /// [`PlanError`] naming the first value out of range.
    pub fn validate(&self) -> Result<(), PlanError> {
        if self
            .commute_hours
            .is_some_and(|h| !(0.0..=MAX_COMMUTE_HOURS).contains(&h))
        {
            return Err(PlanError::Commute);
        }
        if self.commitments.iter().any(|c| c.weekdays.is_empty()) {
            return Err(PlanError::NoWeekday);
        }
        if !(1..=10).contains(&self.reminders.max_per_day) {
            return Err(PlanError::RemindersPerDay);
        }
        Ok(())
    }
}

/// The officer's own inputs to the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanInputs {
    /// Hours asleep the officer needs (their sleep-need setting, 7 h default).
    pub sleep_need_hours: f64,
    /// Commute each way, hours (the reference's 1 h by default).
    pub commute_hours: f64,
    /// Their chronotype.
    pub chronotype: Chronotype,
    /// Where it came from.
    pub chronotype_basis: ChronotypeBasis,
    /// Spans the plan must leave free.
    pub commitments: Vec<Commitment>,
}

impl Default for PlanInputs {
    fn default() -> Self {
        Self {
            sleep_need_hours: crate::recovery::DEFAULT_SLEEP_NEED_HOURS,
            commute_hours: crate::roster::predict::SleepRules::default().commute_hours,
            chronotype: Chronotype::Intermediate,
            chronotype_basis: ChronotypeBasis::Assumed,
            commitments: Vec::new(),
        }
    }
}

/// The plan's rules, with the defaults `docs/plan.md` gives and sources.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlanRules {
    /// A shift starting before this local hour is an early start
    /// (the reference's 09:00).
    pub early_start_before_hour: f64,
    /// Getting ready before leaving for a duty, hours (the reference's
    /// 1 h 15 min wake-before-start less its 1 h commute).
    pub ready_hours: f64,
    /// How far before their usual bedtime an early start moves bedtime, at
    /// most, hours: the 2–3 h before habitual sleep are the "forbidden
    /// zone" where sleep rarely comes (Lavie 1986).
    pub max_bedtime_advance_hours: f64,
    /// Winding down after a late duty before sleep, hours (ours).
    pub wind_down_hours: f64,
    /// From arriving home after a night to the day sleep, hours (Smith,
    /// Fogg & Eastman 2009: bed soon after the drive home).
    pub after_night_home_to_bed_hours: f64,
    /// The nap before the first night, hours (Schweitzer et al. 2006).
    pub first_night_nap_hours: f64,
    /// A night duty starting before this local hour (and after midnight)
    /// gets an evening sleep before it, whether or not it is the first.
    pub after_midnight_start_before_hour: f64,
    /// That evening sleep, hours (ours: room for a sleep cycle or two
    /// between the evening and leaving; Schweitzer et al. 2006's evening
    /// nap was 2 h).
    pub evening_sleep_hours: f64,
    /// The nap ends this long before leaving for the first night, hours,
    /// so sleep inertia has passed by the drive (Tassi & Muzet 2000).
    pub nap_end_before_leaving_hours: f64,
    /// Before the first night of a block, bed this much later than usual
    /// and a lie-in this much longer than the sleep need, hours (Smith &
    /// Eastman 2012: delay sleep before the first night).
    pub first_night_delay_hours: f64,
    /// The short morning sleep after the last night of a block, hours
    /// (ours, within the 2–4 h the re-entrainment advice gives).
    pub recovery_morning_sleep_hours: f64,
    /// Local mid-sleep of a free day inside a block of nights (Smith, Fogg
    /// & Eastman 2009's compromise position: sleep 03:00–12:00 on days off).
    pub compromise_mid_sleep_hours: f64,
    /// Caffeine cut-off before a main sleep, hours (Drake et al. 2013).
    pub caffeine_cutoff_hours: f64,
    /// Dim light before a night's sleep, hours (Gooley et al. 2011).
    pub dim_before_bed_hours: f64,
    /// Daylight after waking, hours (Khalsa et al. 2003).
    pub morning_light_hours: f64,
    /// Daylight after the recovery morning sleep, hours.
    pub recovery_light_hours: f64,
    /// A sleep may run this long past its planned end when a commitment
    /// cuts into it, hours (ours).
    pub slack_hours: f64,
    /// Pieces of sleep shorter than this are not planned, hours.
    pub shortest_sleep_hours: f64,
}

impl Default for PlanRules {
    fn default() -> Self {
        Self {
            early_start_before_hour: 9.0,
            ready_hours: 0.25,
            max_bedtime_advance_hours: 1.5,
            wind_down_hours: 0.5,
            after_night_home_to_bed_hours: 0.25,
            first_night_nap_hours: 1.5,
            nap_end_before_leaving_hours: 0.5,
            after_midnight_start_before_hour: 4.0,
            evening_sleep_hours: 3.0,
            first_night_delay_hours: 1.0,
            recovery_morning_sleep_hours: 3.0,
            compromise_mid_sleep_hours: 7.5,
            caffeine_cutoff_hours: 6.0,
            dim_before_bed_hours: 1.0,
            morning_light_hours: 1.0,
            recovery_light_hours: 2.0,
            slack_hours: 3.0,
            shortest_sleep_hours: 0.5,
        }
    }
}

/// What a window asks of the officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// The day's main sleep (a night's, or the day sleep after a night).
    MainSleep,
    /// A nap.
    Nap,
    /// The short morning sleep after the last night of a block.
    RecoverySleep,
    /// Bright light or daylight to seek.
    SeekLight,
    /// Bright light to avoid (dark glasses, dim lights, no screens).
    AvoidLight,
    /// No caffeine from this instant (`start == end`).
    CaffeineCutoff,
}

impl WindowKind {
    /// True for the windows the officer spends asleep.
    pub fn is_sleep(self) -> bool {
        matches!(
            self,
            WindowKind::MainSleep | WindowKind::Nap | WindowKind::RecoverySleep
        )
    }
}

/// One window of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanWindow {
    /// What to do.
    pub kind: WindowKind,
    /// Start (UTC).
    pub start: DateTime<Utc>,
    /// End (UTC); equal to `start` for a caffeine cut-off.
    pub end: DateTime<Utc>,
    /// Why, in one line.
    pub reason: String,
    /// The published source of the rule (short citation).
    pub source: String,
}

/// One local day of the plan: the windows starting on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDay {
    /// The local date.
    pub date: NaiveDate,
    /// The windows starting on it, in time order.
    pub windows: Vec<PlanWindow>,
}

/// A plan: its days and the inputs it was made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The days, in order.
    pub days: Vec<PlanDay>,
    /// The inputs.
    pub inputs: PlanInputs,
}

impl Plan {
    /// The plan's sleep (main, nap and recovery windows), sorted: what the
    /// models run on for the with-plan figures.
    pub fn sleeps(&self) -> Vec<SleepPeriod> {
        let mut out: Vec<SleepPeriod> = self
            .days
            .iter()
            .flat_map(|d| &d.windows)
            .filter(|w| w.kind.is_sleep())
            .filter_map(|w| SleepPeriod::new(w.start, w.end).ok())
            .collect();
        out.sort();
        out
    }

    /// Every window of every day, in time order.
    pub fn windows(&self) -> impl Iterator<Item = &PlanWindow> {
        self.days.iter().flat_map(|d| &d.windows)
    }
}

/// Sources, cited once each (`docs/plan.md` gives the full references).
pub mod sources {
    /// Chronotype anchors.
    pub const MCTQ: &str = "Roenneberg, Wirz-Justice & Merrow 2003 (MCTQ)";
    /// Early starts cut sleep; bedtime advanced at most 1.5 h.
    pub const EARLY: &str = "Åkerstedt 2003 (early starts); Lavie 1986 (forbidden zone)";
    /// Day sleep soon after a night, in the dark.
    pub const DAY_SLEEP: &str = "Smith, Fogg & Eastman 2009; Eastman & Martin 1999; Minors & Waterhouse 1981 (anchor sleep)";
    /// Compromise phase position on free days inside a night block.
    pub const COMPROMISE: &str = "Smith, Fogg & Eastman 2009 (compromise phase position)";
    /// Delaying sleep before the first night.
    pub const BEFORE_FIRST_NIGHT: &str =
        "Smith & Eastman 2012 (delay sleep before the first night)";
    /// Pre-night nap.
    pub const NAP: &str = "Schweitzer et al. 2006; Tassi & Muzet 2000 (sleep inertia)";
    /// Recovery after nights.
    pub const RECOVERY: &str = "Åkerstedt et al. 2000 (days of recovery); Smith & Eastman 2012";
    /// Dark glasses on the drive home.
    pub const DRIVE_HOME: &str = "Eastman & Martin 1999 (dark glasses); Smith, Fogg & Eastman 2009";
    /// Bright light early in the night shift.
    pub const NIGHT_LIGHT: &str = "Eastman & Martin 1999; Smith, Fogg & Eastman 2009";
    /// Morning daylight.
    pub const MORNING_LIGHT: &str = "Khalsa et al. 2003 (light phase response curve)";
    /// Dim light before bed.
    pub const DIM: &str = "Gooley et al. 2011 (room light suppresses melatonin)";
    /// Caffeine cut-off.
    pub const CAFFEINE: &str = "Drake et al. 2013";
    /// Late duties.
    pub const LATE: &str = "Åkerstedt 2003 (sleep after late duties)";
}

/// A span `[start, end)` in UTC.
type Span = (DateTime<Utc>, DateTime<Utc>);

fn fmt(t: DateTime<Utc>, clock: &LocalClock) -> String {
    t.with_timezone(&clock.zone()).format("%H:%M").to_string()
}

/// The commitments' spans on local days `first..=last` (and the day before,
/// for one running past midnight).
pub fn commitment_spans(
    commitments: &[Commitment],
    first: NaiveDate,
    last: NaiveDate,
    clock: &LocalClock,
) -> Vec<Span> {
    let mut out = Vec::new();
    let mut day = first - Duration::days(1);
    while day <= last {
        for c in commitments
            .iter()
            .filter(|c| c.weekdays.contains(&day.weekday()))
        {
            let start = local_instant(day, hour_of(c.start), clock);
            let extra = if c.end <= c.start { 24.0 } else { 0.0 };
            let end = local_instant(day, hour_of(c.end) + extra, clock);
            if let (Some(s), Some(e)) = (start, end) {
                out.push((s, e));
            }
        }
        day += Duration::days(1);
    }
    out
}

fn hour_of(t: NaiveTime) -> f64 {
    f64::from(chrono::Timelike::num_seconds_from_midnight(&t)) / 3600.0
}

/// A sleep the rules ask for before commitments cut it.
struct Want {
    kind: WindowKind,
    onset: DateTime<Utc>,
    hours: f64,
    /// Never past this instant (the next duty's getting-ready time).
    latest_end: Option<DateTime<Utc>>,
    reason: String,
    source: &'static str,
}

/// The plan for local days `first_day..first_day + days` of `shifts`.
///
/// Pure and deterministic: the roster (any order), the officer's
/// `inputs`, the `rules` and the zone decide it. Sleep is fitted around
/// every duty (with the commute and getting ready before it, the commute
/// after), every commitment and every other planned sleep: a sleep a
/// commitment cuts is continued after it, up to [`PlanRules::slack_hours`]
/// late. Rules and sources: `docs/plan.md`.
pub fn make_plan(
    shifts: &[Shift],
    inputs: &PlanInputs,
    clock: &LocalClock,
    first_day: NaiveDate,
    days: u32,
    rules: &PlanRules,
) -> Plan {
    let mut shifts = shifts.to_vec();
    shifts.sort();
    shifts.dedup();
    let night: Vec<bool> = shifts.iter().map(|s| is_night_shift(s, clock)).collect();
    let last_day = first_day + Duration::days(i64::from(days.max(1)) - 1);
    let commute = hours(inputs.commute_hours);
    let ready = hours(rules.ready_hours);
    let mut busy: Vec<Span> = shifts
        .iter()
        .map(|s| (s.start() - commute - ready, s.end() + commute))
        .collect();
    busy.extend(commitment_spans(
        &inputs.commitments,
        first_day,
        last_day + Duration::days(1),
        clock,
    ));

    let wants = wanted_sleep(&shifts, &night, inputs, clock, first_day, last_day, rules);
    let mut windows: Vec<PlanWindow> = Vec::new();
    for w in wants {
        let pieces = fit(&w, &busy, rules);
        for (s, e) in pieces {
            busy.push((s, e));
            windows.push(PlanWindow {
                kind: w.kind,
                start: s,
                end: e,
                reason: w.reason.clone(),
                source: w.source.to_string(),
            });
        }
    }
    windows.sort_by_key(|w| (w.start, w.kind));
    let mut extra = light_and_caffeine(&windows, &shifts, &night, inputs, clock, rules);
    windows.append(&mut extra);
    windows.sort_by_key(|w| (w.start, w.kind));

    let mut out: Vec<PlanDay> = Vec::new();
    let mut day = first_day;
    while day <= last_day {
        out.push(PlanDay {
            date: day,
            windows: windows
                .iter()
                .filter(|w| w.start.with_timezone(&clock.zone()).date_naive() == day)
                .cloned()
                .collect(),
        });
        day += Duration::days(1);
    }
    Plan {
        days: out,
        inputs: inputs.clone(),
    }
}

/// `want.hours` of sleep from its onset in the free time around `busy`,
/// ending by its latest end and within the slack; pieces shorter than the
/// shortest sleep are left out.
fn fit(want: &Want, busy: &[Span], rules: &PlanRules) -> Vec<Span> {
    let mut end = want.onset + hours(want.hours + rules.slack_hours);
    if let Some(latest) = want.latest_end {
        end = end.min(latest);
    }
    if end <= want.onset {
        return Vec::new();
    }
    let mut left = hours(want.hours);
    let mut out = Vec::new();
    for (s, e) in free_pieces((want.onset, end), busy) {
        if left <= Duration::zero() {
            break;
        }
        let take = (e - s).min(left);
        if take >= hours(rules.shortest_sleep_hours) {
            out.push((s, s + take));
            left -= take;
        }
    }
    out
}

/// The sleep each rule asks for, in time order.
fn wanted_sleep(
    shifts: &[Shift],
    night: &[bool],
    inputs: &PlanInputs,
    clock: &LocalClock,
    first_day: NaiveDate,
    last_day: NaiveDate,
    r: &PlanRules,
) -> Vec<Want> {
    let need = inputs.sleep_need_hours;
    let commute = hours(inputs.commute_hours);
    let ready = hours(r.ready_hours);
    let mid = inputs.chronotype.mid_sleep_hours();
    // The mid-sleep falls after midnight: the night of day D starts on D.
    let usual_onset_hour = 24.0 + mid - need / 2.0;
    let is_night_at = |i: usize| night.get(i).copied().unwrap_or(false);
    // A night continues a run when another ended within 24 h before it.
    let prev_night_within = |i: usize, h: i64| {
        (0..i).any(|j| {
            is_night_at(j)
                && shifts[j].end() <= shifts[i].start()
                && shifts[i].start() - shifts[j].end() < Duration::hours(h)
        })
    };
    let next_night_within = |i: usize, h: i64| {
        (i + 1..shifts.len()).any(|j| {
            is_night_at(j)
                && shifts[j].start() >= shifts[i].end()
                && shifts[j].start() - shifts[i].end() < Duration::hours(h)
        })
    };
    let mut wants = Vec::new();
    let mut compromise_days = Vec::new();

    for (i, shift) in shifts.iter().enumerate().filter(|(i, _)| is_night_at(*i)) {
        let home = shift.end() + commute;
        let onset = home + hours(r.after_night_home_to_bed_hours);
        let next = shifts.iter().find(|s| s.start() >= shift.end());
        let latest_end = next.map(|n| n.start() - commute - ready);
        // A night with the next within 24–48 h leaves a free day inside
        // the block; with none within 48 h it ends the block.
        let free_day_follows = !next_night_within(i, 24) && next_night_within(i, 48);
        if !next_night_within(i, 48) {
            wants.push(Want {
                kind: WindowKind::RecoverySleep,
                onset,
                hours: r.recovery_morning_sleep_hours,
                latest_end,
                reason: format!(
                    "Last night done: sleep about {:.0} h this morning, then get up so you sleep tonight and your clock comes back to days",
                    r.recovery_morning_sleep_hours
                ),
                source: sources::RECOVERY,
            });
        } else {
            wants.push(Want {
                kind: WindowKind::MainSleep,
                onset,
                hours: need,
                latest_end,
                reason: format!(
                    "Day sleep straight after the drive home, in a dark room, for your {need:.1} h; keep it at the same time after every night"
                ),
                source: sources::DAY_SLEEP,
            });
        }
        if free_day_follows {
            // A free day inside a block: hold the clock near the
            // compromise position rather than flipping back to days.
            let free_day = shift.end().with_timezone(&clock.zone()).date_naive();
            compromise_days.push(free_day);
            if let Some(mid_at) =
                local_instant(free_day, 24.0 + r.compromise_mid_sleep_hours, clock)
            {
                wants.push(Want {
                    kind: WindowKind::MainSleep,
                    onset: mid_at - hours(need / 2.0),
                    hours: need,
                    latest_end: shifts
                        .iter()
                        .find(|s| s.start() > mid_at)
                        .map(|n| n.start() - commute - ready),
                    reason: "A rest day between nights: sleep late so your body clock stays part-way to nights".to_string(),
                    source: sources::COMPROMISE,
                });
            }
        }
        let nap_end = shift.start() - commute - hours(r.nap_end_before_leaving_hours);
        if clock.time_of_day_hours(shift.start()) < r.after_midnight_start_before_hour {
            wants.push(Want {
                kind: WindowKind::Nap,
                onset: nap_end - hours(r.evening_sleep_hours),
                hours: r.evening_sleep_hours,
                latest_end: Some(nap_end),
                reason: format!(
                    "Duty after midnight: sleep in the evening before it, ending {:.0} min before you leave",
                    r.nap_end_before_leaving_hours * 60.0
                ),
                source: sources::NAP,
            });
        } else if !prev_night_within(i, 48) {
            wants.push(Want {
                kind: WindowKind::Nap,
                onset: nap_end - hours(r.first_night_nap_hours),
                hours: r.first_night_nap_hours,
                latest_end: Some(nap_end),
                reason: format!(
                    "Nap before your first night: {:.1} h, ending {:.0} min before you leave so you are awake for the drive",
                    r.first_night_nap_hours,
                    r.nap_end_before_leaving_hours * 60.0
                ),
                source: sources::NAP,
            });
        }
    }
    // Night sleep of each local day from the day before the plan (its
    // sleep crosses into the first day) to the last.
    let mut day = first_day - Duration::days(1);
    while day <= last_day {
        if !compromise_days.contains(&day)
            && let Some(w) = night_sleep(day, shifts, night, inputs, clock, r, usual_onset_hour)
        {
            wants.push(w);
        }
        day += Duration::days(1);
    }
    wants.sort_by_key(|w| w.onset);
    wants
}

/// The main sleep of the night that starts on local `day`, if no night
/// duty takes it.
fn night_sleep(
    day: NaiveDate,
    shifts: &[Shift],
    night: &[bool],
    inputs: &PlanInputs,
    clock: &LocalClock,
    r: &PlanRules,
    usual_onset_hour: f64,
) -> Option<Want> {
    let need = inputs.sleep_need_hours;
    let commute = hours(inputs.commute_hours);
    let ready = hours(r.ready_hours);
    let usual_onset = local_instant(day, usual_onset_hour, clock)?;
    let usual_wake = usual_onset + hours(need);
    let noon = local_instant(day, 12.0, clock)?;
    let next_noon = local_instant(day, 36.0, clock)?;
    // A night duty covering this night: its day sleep replaces the night's.
    if shifts
        .iter()
        .zip(night)
        .any(|(s, n)| *n && s.start() < next_noon && s.end() > usual_onset)
    {
        return None;
    }
    // After a night ending this morning the recovery rule holds tonight.
    let after_block = shifts
        .iter()
        .zip(night)
        .any(|(s, n)| *n && s.end() > noon - Duration::hours(12) && s.end() <= noon);
    let mut onset = usual_onset;
    let mut reason = format!(
        "Your {need:.1} h at your body clock's time ({} type)",
        inputs.chronotype.as_str()
    );
    let mut source = sources::MCTQ;
    if after_block {
        reason = "Back to days: an early night at your usual time after the recovery sleep".into();
        source = sources::RECOVERY;
    }
    // A late duty ending this evening: sleep once home and wound down,
    // and never earlier, even before an early start.
    let mut floor = None;
    if let Some(prev) = shifts
        .iter()
        .rfind(|s| s.end() > noon && s.end() <= usual_wake)
    {
        let earliest = prev.end() + commute + hours(r.wind_down_hours);
        floor = Some(earliest);
        if earliest > onset {
            onset = earliest;
            reason = format!("After a late: bed once home and wound down, for your {need:.1} h");
            source = sources::LATE;
        }
    }
    let next = shifts.iter().find(|s| s.start() >= onset);
    let latest_end = next.map(|n| n.start() - commute - ready);
    let mut hours_wanted = need;
    // Tomorrow night is the first of a block: stay up later and lie in.
    let first_night_next = shifts.iter().zip(night).any(|(s, n)| {
        *n && s.start() > usual_onset
            && s.start() < usual_onset + Duration::hours(30)
            && !shifts.iter().zip(night).any(|(p, pn)| {
                *pn && p.end() <= s.start() && s.start() - p.end() < Duration::hours(48)
            })
    });
    if first_night_next && onset == usual_onset {
        onset += hours(r.first_night_delay_hours);
        hours_wanted += r.first_night_delay_hours;
        reason = format!(
            "First night tomorrow: bed {:.0} h later than usual and lie in, so you start the night less tired",
            r.first_night_delay_hours
        );
        source = sources::BEFORE_FIRST_NIGHT;
    }
    if let Some(n) = next {
        let early = n.start() < local_instant(day, 24.0 + r.early_start_before_hour, clock)?;
        if early {
            let wake = n.start() - commute - ready;
            let earliest_bed = usual_onset - hours(r.max_bedtime_advance_hours);
            let bed = (wake - hours(need)).max(earliest_bed);
            let bed = floor.map_or(bed, |f| bed.max(f));
            if bed < onset {
                onset = bed;
                reason = format!(
                    "Early start at {}: bed at {} (no more than {:.1} h before your usual time, when sleep will not come)",
                    fmt(n.start(), clock),
                    fmt(onset, clock),
                    r.max_bedtime_advance_hours
                );
                source = sources::EARLY;
            }
        }
    }
    Some(Want {
        kind: WindowKind::MainSleep,
        onset,
        hours: hours_wanted,
        latest_end,
        reason,
        source,
    })
}

/// Light and caffeine windows around the planned sleep and the duties.
fn light_and_caffeine(
    sleep: &[PlanWindow],
    shifts: &[Shift],
    night: &[bool],
    inputs: &PlanInputs,
    clock: &LocalClock,
    r: &PlanRules,
) -> Vec<PlanWindow> {
    let mut out = Vec::new();
    let window = |kind, start, end, reason: String, source: &str| PlanWindow {
        kind,
        start,
        end,
        reason,
        source: source.to_string(),
    };
    let commute = hours(inputs.commute_hours);
    for (shift, _) in shifts.iter().zip(night).filter(|(_, n)| **n) {
        let mid = shift.start() + (shift.end() - shift.start()) / 2;
        out.push(window(
            WindowKind::SeekLight,
            shift.start(),
            mid,
            format!(
                "Bright light in the first half of the night, until {}, then dimmer",
                fmt(mid, clock)
            ),
            sources::NIGHT_LIGHT,
        ));
        let bed = sleep
            .iter()
            .filter(|w| w.kind.is_sleep() && w.start >= shift.end())
            .map(|w| w.start)
            .min()
            .unwrap_or(shift.end() + commute)
            .min(shift.end() + commute + hours(r.after_night_home_to_bed_hours));
        out.push(window(
            WindowKind::AvoidLight,
            shift.end(),
            bed,
            "Dark glasses on the drive home: morning light would pull your clock back to days"
                .into(),
            sources::DRIVE_HOME,
        ));
    }
    for w in sleep.iter().filter(|w| w.kind != WindowKind::Nap) {
        let cutoff = w.start - hours(r.caffeine_cutoff_hours);
        out.push(window(
            WindowKind::CaffeineCutoff,
            cutoff,
            cutoff,
            format!(
                "No caffeine after {}: it disturbs sleep taken up to {:.0} h later (your sleep at {})",
                fmt(cutoff, clock),
                r.caffeine_cutoff_hours,
                fmt(w.start, clock)
            ),
            sources::CAFFEINE,
        ));
        let after_night = shifts
            .iter()
            .zip(night)
            .any(|(s, n)| *n && s.end() <= w.start && w.start - s.end() < Duration::hours(3));
        if !after_night {
            out.push(window(
                WindowKind::AvoidLight,
                w.start - hours(r.dim_before_bed_hours),
                w.start,
                "Dim lights and screens for the hour before bed".into(),
                sources::DIM,
            ));
        }
        let light_hours = match w.kind {
            WindowKind::RecoverySleep => Some(r.recovery_light_hours),
            _ if !after_night => Some(r.morning_light_hours),
            _ => None,
        };
        if let Some(h) = light_hours {
            out.push(window(
                WindowKind::SeekLight,
                w.end,
                w.end + hours(h),
                if w.kind == WindowKind::RecoverySleep {
                    "Get outside in daylight after your recovery sleep to bring your clock back to days".into()
                } else {
                    "Daylight soon after waking keeps your body clock on time".into()
                },
                sources::MORNING_LIGHT,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
