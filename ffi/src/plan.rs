//! The officer's personal plan as uniffi records: for each coming day, when
//! to sleep and nap, which light to seek and avoid, and the caffeine
//! cut-off, each with its reason and source; each shift's Fatigue Index
//! with the plan and without it; and the reminders the app schedules
//! ([`mobile_core::morning::plan`], `docs/plan.md`). Conversions only.

use std::time::SystemTime;

use chrono::{NaiveDate, NaiveTime, Weekday};
use mobile_core::plan as core;
use mobile_core::plan::reminders as core_reminders;

use crate::types::{system_time, utc};
use crate::{CoachError, FatigueCoach};

/// The officer's chronotype (when their body clock puts sleep).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Chronotype {
    /// Free-day mid-sleep before 02:30.
    Early,
    /// Free-day mid-sleep 02:30–03:59.
    Intermediate,
    /// Free-day mid-sleep 04:00 or later.
    Late,
}

impl From<core::Chronotype> for Chronotype {
    fn from(c: core::Chronotype) -> Self {
        match c {
            core::Chronotype::Early => Chronotype::Early,
            core::Chronotype::Intermediate => Chronotype::Intermediate,
            core::Chronotype::Late => Chronotype::Late,
        }
    }
}

impl From<Chronotype> for core::Chronotype {
    fn from(c: Chronotype) -> Self {
        match c {
            Chronotype::Early => core::Chronotype::Early,
            Chronotype::Intermediate => core::Chronotype::Intermediate,
            Chronotype::Late => core::Chronotype::Late,
        }
    }
}

/// Where the plan's chronotype came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ChronotypeBasis {
    /// Recorded sleep on free days.
    Recorded,
    /// The officer's answer.
    Stated,
    /// Neither: intermediate assumed.
    Assumed,
}

impl From<core::ChronotypeBasis> for ChronotypeBasis {
    fn from(b: core::ChronotypeBasis) -> Self {
        match b {
            core::ChronotypeBasis::Recorded => ChronotypeBasis::Recorded,
            core::ChronotypeBasis::Stated => ChronotypeBasis::Stated,
            core::ChronotypeBasis::Assumed => ChronotypeBasis::Assumed,
        }
    }
}

/// What a plan window asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PlanWindowKind {
    /// The day's main sleep.
    MainSleep,
    /// A nap.
    Nap,
    /// The short morning sleep after the last night of a block.
    RecoverySleep,
    /// Bright light or daylight to seek.
    SeekLight,
    /// Bright light to avoid.
    AvoidLight,
    /// No caffeine from `start` (`start == end`).
    CaffeineCutoff,
}

impl From<core::WindowKind> for PlanWindowKind {
    fn from(k: core::WindowKind) -> Self {
        match k {
            core::WindowKind::MainSleep => PlanWindowKind::MainSleep,
            core::WindowKind::Nap => PlanWindowKind::Nap,
            core::WindowKind::RecoverySleep => PlanWindowKind::RecoverySleep,
            core::WindowKind::SeekLight => PlanWindowKind::SeekLight,
            core::WindowKind::AvoidLight => PlanWindowKind::AvoidLight,
            core::WindowKind::CaffeineCutoff => PlanWindowKind::CaffeineCutoff,
        }
    }
}

/// One window of the plan.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PlanWindow {
    /// What to do.
    pub kind: PlanWindowKind,
    /// Start.
    pub start: SystemTime,
    /// End (equal to the start for a caffeine cut-off).
    pub end: SystemTime,
    /// Why, in one line.
    pub reason: String,
    /// The published source of the rule.
    pub source: String,
}

/// One local day of the plan.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PlanDay {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// The windows starting on it, in time order.
    pub windows: Vec<PlanWindow>,
}

impl From<core::PlanDay> for PlanDay {
    fn from(d: core::PlanDay) -> Self {
        Self {
            date: d.date.to_string(),
            windows: d
                .windows
                .into_iter()
                .map(|w| PlanWindow {
                    kind: w.kind.into(),
                    start: system_time(w.start),
                    end: system_time(w.end),
                    reason: w.reason,
                    source: w.source,
                })
                .collect(),
        }
    }
}

/// A shift's Fatigue Index with the plan and without it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ShiftPlanBenefit {
    /// Start of duty.
    pub start: SystemTime,
    /// End of duty.
    pub end: SystemTime,
    /// Night shift (Working Time Regulations rule).
    pub night_shift: bool,
    /// The forecast's FI (default predicted sleep).
    pub fatigue_index_without_plan: f64,
    /// The FI if the plan's sleep and naps are followed. Light advice does
    /// not change it: the models' body clock is fixed to clock time.
    pub fatigue_index_with_plan: f64,
}

/// What a reminder is about, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PlanReminderKind {
    /// Before the drive home after a night.
    DriveHome,
    /// Before a planned nap.
    Nap,
    /// Before the caffeine cut-off.
    CaffeineCutoff,
    /// An hour before a night's sleep.
    WindDown,
    /// Daylight after waking.
    Daylight,
}

/// A notification for the app to schedule.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PlanReminder {
    /// When to show it.
    pub at: SystemTime,
    /// What it is about.
    pub kind: PlanReminderKind,
    /// The text.
    pub message: String,
    /// Why.
    pub why: String,
}

impl From<core_reminders::Reminder> for PlanReminder {
    fn from(r: core_reminders::Reminder) -> Self {
        use core_reminders::ReminderKind as K;
        Self {
            at: system_time(r.at),
            kind: match r.kind {
                K::DriveHome => PlanReminderKind::DriveHome,
                K::Nap => PlanReminderKind::Nap,
                K::CaffeineCutoff => PlanReminderKind::CaffeineCutoff,
                K::WindDown => PlanReminderKind::WindDown,
                K::Daylight => PlanReminderKind::Daylight,
            },
            message: r.message,
            why: r.why,
        }
    }
}

/// The plan for the coming days.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PersonalPlan {
    /// The days from today (local).
    pub days: Vec<PlanDay>,
    /// Each shift ending after now, with and without the plan.
    pub benefits: Vec<ShiftPlanBenefit>,
    /// The notifications to schedule.
    pub reminders: Vec<PlanReminder>,
    /// The sleep need it planned for, hours.
    pub sleep_need_hours: f64,
    /// The commute it planned for, hours each way.
    pub commute_hours: f64,
    /// The chronotype it planned for.
    pub chronotype: Chronotype,
    /// Where that came from.
    pub chronotype_basis: ChronotypeBasis,
}

impl From<mobile_core::morning::plan::PlanUpdate> for PersonalPlan {
    fn from(u: mobile_core::morning::plan::PlanUpdate) -> Self {
        let inputs = u.plan.inputs;
        Self {
            days: u.plan.days.into_iter().map(Into::into).collect(),
            benefits: u
                .benefits
                .into_iter()
                .map(|b| ShiftPlanBenefit {
                    start: system_time(b.start),
                    end: system_time(b.end),
                    night_shift: b.night,
                    fatigue_index_without_plan: b.fatigue_index_without_plan,
                    fatigue_index_with_plan: b.fatigue_index_with_plan,
                })
                .collect(),
            reminders: u.reminders.into_iter().map(Into::into).collect(),
            sleep_need_hours: inputs.sleep_need_hours,
            commute_hours: inputs.commute_hours,
            chronotype: inputs.chronotype.into(),
            chronotype_basis: inputs.chronotype_basis.into(),
        }
    }
}

/// A fixed commitment the plan works around.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlanCommitment {
    /// ISO weekdays it happens on: 1 Monday … 7 Sunday.
    pub weekdays: Vec<u32>,
    /// Local start, `HH:MM`.
    pub start: String,
    /// Local end, `HH:MM` (at or before the start: past midnight).
    pub end: String,
}

/// What the officer tells the plan.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PlanPreferences {
    /// Commute each way, hours (0–4); `None` for the reference's 1 h.
    pub commute_hours: Option<f64>,
    /// Their answer to the chronotype question, used until recorded sleep
    /// on enough free days gives it.
    pub chronotype: Option<Chronotype>,
    /// Fixed commitments.
    pub commitments: Vec<PlanCommitment>,
    /// Quiet hours start, local `HH:MM`.
    pub quiet_start: String,
    /// Quiet hours end, local `HH:MM`.
    pub quiet_end: String,
    /// At most this many reminders a day (1–10).
    pub reminders_per_day: u32,
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

fn parse_hhmm(text: &str, what: &str) -> Result<NaiveTime, CoachError> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| CoachError::invalid(format!("{what} is not HH:MM")))
}

fn parse_date(text: &str) -> Result<NaiveDate, CoachError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| CoachError::invalid("a date is not YYYY-MM-DD"))
}

impl From<core::PlanPreferences> for PlanPreferences {
    fn from(p: core::PlanPreferences) -> Self {
        Self {
            commute_hours: p.commute_hours,
            chronotype: p.chronotype.map(Into::into),
            commitments: p
                .commitments
                .into_iter()
                .map(|c| PlanCommitment {
                    weekdays: c.weekdays.iter().map(|d| d.number_from_monday()).collect(),
                    start: hhmm(c.start),
                    end: hhmm(c.end),
                })
                .collect(),
            quiet_start: hhmm(p.reminders.quiet_start),
            quiet_end: hhmm(p.reminders.quiet_end),
            reminders_per_day: p.reminders.max_per_day,
        }
    }
}

impl TryFrom<PlanPreferences> for core::PlanPreferences {
    type Error = CoachError;

    fn try_from(p: PlanPreferences) -> Result<Self, CoachError> {
        let commitments = p
            .commitments
            .iter()
            .map(|c| {
                let weekdays = c
                    .weekdays
                    .iter()
                    .map(|&n| match n {
                        1..=7 => Ok((1..n).fold(Weekday::Mon, |d, _| d.succ())),
                        _ => Err(CoachError::invalid("a weekday is not 1 to 7")),
                    })
                    .collect::<Result<_, _>>()?;
                Ok(core::Commitment {
                    weekdays,
                    start: parse_hhmm(&c.start, "a commitment's start")?,
                    end: parse_hhmm(&c.end, "a commitment's end")?,
                })
            })
            .collect::<Result<_, CoachError>>()?;
        Ok(core::PlanPreferences {
            commute_hours: p.commute_hours,
            chronotype: p.chronotype.map(Into::into),
            commitments,
            reminders: core_reminders::ReminderSettings {
                quiet_start: parse_hhmm(&p.quiet_start, "quiet_start")?,
                quiet_end: parse_hhmm(&p.quiet_end, "quiet_end")?,
                max_per_day: p.reminders_per_day,
            },
        })
    }
}

#[uniffi::export]
impl FatigueCoach {
    /// The officer's plan for `days` local days from today (1–28; 14 is
    /// the usual), recomputed from the stored roster, recorded sleep, sleep
    /// need and plan preferences; each shift's Fatigue Index with the plan
    /// and without it; and the reminders to schedule after `now`. The days
    /// are kept on the device: a day already lived keeps what was planned
    /// for it ([`FatigueCoach::planned_days`]).
    ///
    /// # Errors
    /// `Storage` on a read or write failure.
    pub fn plan(&self, now: SystemTime, days: u32) -> Result<PersonalPlan, CoachError> {
        let now = utc(now)?;
        let update = mobile_core::morning::plan::plan(&mut self.store(), &self.clock, now, days)?;
        Ok(update.into())
    }

    /// The days planned from `from` to `to` (local `YYYY-MM-DD`, inclusive)
    /// as kept: for a lived day, what was planned for it.
    ///
    /// # Errors
    /// `InvalidInput` for a date that is not `YYYY-MM-DD`; `Storage` on a
    /// read failure.
    pub fn planned_days(&self, from: String, to: String) -> Result<Vec<PlanDay>, CoachError> {
        let (from, to) = (parse_date(&from)?, parse_date(&to)?);
        let days = mobile_core::morning::plan::planned_days(&self.store(), from, to)?;
        Ok(days.into_iter().map(Into::into).collect())
    }

    /// The officer's plan preferences (defaults until set).
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn plan_preferences(&self) -> Result<PlanPreferences, CoachError> {
        Ok(self.store().plan_preferences()?.into())
    }

    /// Keeps the officer's plan preferences.
    ///
    /// # Errors
    /// `InvalidInput` for a time that is not `HH:MM`, a weekday outside
    /// 1–7, a commute outside 0–4 h or reminders a day outside 1–10
    /// (nothing is kept); `Storage` on a write failure.
    pub fn set_plan_preferences(&self, preferences: PlanPreferences) -> Result<(), CoachError> {
        let prefs = core::PlanPreferences::try_from(preferences)?;
        Ok(self.store().set_plan_preferences(&prefs)?)
    }
}
