//! The notifications an app schedules for the plan's coming days: the
//! library decides what and when, the app only schedules them.
//!
//! Candidates come from the plan's windows and the roster: the drive-home
//! warning after every night duty, the nap, the caffeine cut-off, winding
//! down before bed and daylight after waking. A caffeine reminder that
//! would fall in a duty or its commute comes instead before the officer
//! leaves for that duty. A reminder is dropped when it falls in a planned
//! sleep, in a duty or its commute (the drive-home warning excepted: it is
//! sent near the duty's end, when the officer is at work and awake) or in
//! the officer's quiet hours (which apply off duty only, so they never
//! silence the drive-home warning), and at most
//! [`ReminderSettings::max_per_day`] are kept per local day, the most
//! important first. `docs/plan.md` gives the order and the reasons.

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use models::Shift;
use serde::{Deserialize, Serialize};

use super::{Plan, WindowKind};
use crate::LocalClock;
use crate::fatigue_index::is_night_shift;

/// The officer's reminder settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReminderSettings {
    /// Quiet hours start, local.
    pub quiet_start: NaiveTime,
    /// Quiet hours end, local (before the start: they run past midnight).
    pub quiet_end: NaiveTime,
    /// At most this many reminders per local day.
    pub max_per_day: u32,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            quiet_start: NaiveTime::from_hms_opt(23, 0, 0).unwrap_or(NaiveTime::MIN),
            quiet_end: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or(NaiveTime::MIN),
            max_per_day: 3,
        }
    }
}

/// What a reminder is about, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// Before the drive home after a night.
    DriveHome,
    /// Before a planned nap.
    Nap,
    /// Before the caffeine cut-off.
    CaffeineCutoff,
    /// An hour before a planned night's sleep.
    WindDown,
    /// Daylight after waking.
    Daylight,
}

/// One notification to schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reminder {
    /// When to show it (UTC).
    pub at: DateTime<Utc>,
    /// What it is about.
    pub kind: ReminderKind,
    /// The text.
    pub message: String,
    /// Why: the plan window's reason.
    pub why: String,
}

/// Minutes before the end of a night duty the drive-home warning comes.
const DRIVE_HOME_LEAD_MINUTES: i64 = 15;
/// Minutes before a nap its reminder comes.
const NAP_LEAD_MINUTES: i64 = 15;
/// Minutes before the caffeine cut-off its reminder comes.
const CAFFEINE_LEAD_MINUTES: i64 = 30;

fn in_quiet(t: DateTime<Utc>, clock: &LocalClock, s: &ReminderSettings) -> bool {
    let local = t.with_timezone(&clock.zone()).time();
    let local = local.with_nanosecond(0).unwrap_or(local);
    if s.quiet_start <= s.quiet_end {
        s.quiet_start <= local && local < s.quiet_end
    } else {
        local >= s.quiet_start || local < s.quiet_end
    }
}

/// The reminders for `plan` after `now`, in time order.
pub fn reminders(
    plan: &Plan,
    shifts: &[Shift],
    clock: &LocalClock,
    now: DateTime<Utc>,
    settings: &ReminderSettings,
) -> Vec<Reminder> {
    let fmt = |t: DateTime<Utc>| t.with_timezone(&clock.zone()).format("%H:%M").to_string();
    let mut candidates: Vec<Reminder> = Vec::new();
    let windows: Vec<_> = plan.windows().collect();
    let first = plan.days.first().map(|d| d.date);
    let last = plan.days.last().map(|d| d.date);
    let in_plan = |t: DateTime<Utc>| {
        let d = t.with_timezone(&clock.zone()).date_naive();
        first.is_some_and(|f| d >= f) && last.is_some_and(|l| d <= l)
    };
    for s in shifts.iter().filter(|s| is_night_shift(s, clock)) {
        let why = windows
            .iter()
            .find(|w| w.kind == WindowKind::AvoidLight && w.start == s.end())
            .map_or_else(String::new, |w| w.reason.clone());
        candidates.push(Reminder {
            at: s.end() - Duration::minutes(DRIVE_HOME_LEAD_MINUTES),
            kind: ReminderKind::DriveHome,
            message: format!(
                "Drive home at {}: dark glasses on, and stop if you feel sleepy",
                fmt(s.end())
            ),
            why,
        });
    }
    for w in &windows {
        let (at, kind, message) = match w.kind {
            WindowKind::Nap => (
                w.start - Duration::minutes(NAP_LEAD_MINUTES),
                ReminderKind::Nap,
                format!("Nap {}–{} before tonight's shift", fmt(w.start), fmt(w.end)),
            ),
            WindowKind::CaffeineCutoff => (
                w.start - Duration::minutes(CAFFEINE_LEAD_MINUTES),
                ReminderKind::CaffeineCutoff,
                format!("Last caffeine by {}", fmt(w.start)),
            ),
            // The drive-home window has its own warning above.
            WindowKind::AvoidLight if !shifts.iter().any(|d| d.end() == w.start) => (
                w.start,
                ReminderKind::WindDown,
                format!("Bed at {}: dim the lights and put screens away", fmt(w.end)),
            ),
            WindowKind::SeekLight if !shifts.iter().any(|d| d.start() == w.start) => (
                w.start,
                ReminderKind::Daylight,
                "Get some daylight now".to_string(),
            ),
            _ => continue,
        };
        candidates.push(Reminder {
            at,
            kind,
            message,
            why: w.reason.clone(),
        });
    }
    let asleep = |t: DateTime<Utc>| {
        windows
            .iter()
            .any(|w| w.kind.is_sleep() && w.start <= t && t < w.end)
    };
    let commute = crate::roster::predict::hours(plan.inputs.commute_hours);
    let duty_at = |t: DateTime<Utc>| {
        shifts
            .iter()
            .find(|s| s.start() - commute <= t && t < s.end() + commute)
    };
    let lead = Duration::minutes(NAP_LEAD_MINUTES);
    for r in candidates
        .iter_mut()
        .filter(|r| r.kind == ReminderKind::CaffeineCutoff)
    {
        if let Some(s) = duty_at(r.at) {
            r.at = s.start() - commute - lead;
        }
    }
    let on_duty = |t: DateTime<Utc>| duty_at(t).is_some();
    let mut kept: Vec<Reminder> = candidates
        .into_iter()
        .filter(|r| r.at > now && in_plan(r.at) && !asleep(r.at))
        .filter(|r| {
            r.kind == ReminderKind::DriveHome
                || (!on_duty(r.at) && !in_quiet(r.at, clock, settings))
        })
        .collect();
    kept.sort_by_key(|r| (r.at.with_timezone(&clock.zone()).date_naive(), r.kind, r.at));
    let mut out: Vec<Reminder> = Vec::new();
    let mut day = None;
    let mut count = 0;
    for r in kept {
        let d = r.at.with_timezone(&clock.zone()).date_naive();
        if day != Some(d) {
            day = Some(d);
            count = 0;
        }
        if count < settings.max_per_day {
            out.push(r);
            count += 1;
        }
    }
    out.sort_by_key(|r| r.at);
    out
}
