//! Which module fits the moment.
//!
//! The rules, first match wins, each skipped when every module it points to
//! is already completed (a completed module is never suggested):
//!
//! 1. **Persistent red recovery**: the last [`RED_RECOVERY_DAYS`] daily
//!    recovery bands are all red → a `seeking_help` module.
//! 2. **Repeated high sleepiness**: [`HIGH_KSS_COUNT`] or more KSS check-ins
//!    of [`HIGH_KSS`] or more (the fitness-for-duty conversation point in
//!    `frm-indicators.md`) in the last [`KSS_WINDOW_DAYS`] days → a
//!    `seeking_help` module.
//! 3. **First nights ahead**: the next shift starts within
//!    [`NIGHTS_LOOKAHEAD_HOURS`] hours, is a night shift by the Working Time
//!    Regulations rule ([`is_night_shift`]: 3 h or more in 23:00–06:00 local)
//!    and opens a block (no night shift ended in the [`BLOCK_GAP_HOURS`] before
//!    it) → `night_sleep`, `naps`, `caffeine`, then `light` modules.
//! 4. **Nights just ended**: the last shift worked was a night shift that
//!    ended within [`BLOCK_GAP_HOURS`] and no night shift follows within
//!    [`BLOCK_GAP_HOURS`] of its end → `drive_home`, then `recovery` modules.
//! 5. Otherwise the first incomplete module of the track, in course order.
//!
//! Within a rule, modules are taken in course order. The context is plain
//! data the phone already holds; nothing here reads a clock or the store.

use chrono::{DateTime, Duration, Utc};
use models::Shift;
use models::sync::{CheckInRecord, CheckInScale, RecoveryBand};
use serde::{Deserialize, Serialize};

use super::content::{Library, Topic, Track};
use super::progress::Progress;
use crate::LocalClock;
use crate::fatigue_index::is_night_shift;

/// Consecutive red recovery days that suggest seeking help.
pub const RED_RECOVERY_DAYS: usize = 3;
/// KSS value counted as high: 7, "sleepy, but no effort to keep awake", the
/// point commonly suggested for a fitness-for-duty conversation.
pub const HIGH_KSS: u8 = 7;
/// High KSS check-ins in the window that suggest seeking help.
pub const HIGH_KSS_COUNT: usize = 3;
/// The window for high KSS check-ins, in days.
pub const KSS_WINDOW_DAYS: i64 = 7;
/// How far ahead a first night shift prompts preparation, in hours.
pub const NIGHTS_LOOKAHEAD_HOURS: i64 = 72;
/// A gap between night shifts of this many hours or more ends a block; the
/// same 48 hours after which the cumulative roster risk resets
/// (`docs/science.md`, hourly roster risk).
pub const BLOCK_GAP_HOURS: i64 = 48;

/// What the phone knows about the moment, as plain data.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionContext {
    /// The current instant.
    pub now: DateTime<Utc>,
    /// The person's time zone, for the night-shift rule.
    pub clock: LocalClock,
    /// Recent and upcoming shifts, in any order.
    pub shifts: Vec<Shift>,
    /// Daily recovery bands, oldest first, one per day with a score.
    pub recovery_bands: Vec<RecoveryBand>,
    /// Recent check-ins; only KSS ones are read.
    pub check_ins: Vec<CheckInRecord>,
}

/// Why a module was suggested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SuggestionReason {
    /// Recovery has been red for several days in a row.
    PersistentRedRecovery {
        /// Consecutive red days, counted back from the latest.
        days: usize,
    },
    /// Several recent sleepiness check-ins were high.
    RepeatedHighSleepiness {
        /// High check-ins in the window.
        check_ins: usize,
    },
    /// A first block of nights is coming up.
    FirstNightsAhead {
        /// When the first night starts.
        first_night_start: DateTime<Utc>,
    },
    /// A run of nights has just ended.
    NightsJustEnded {
        /// Night shifts in the run that ended.
        nights: usize,
    },
    /// Nothing in particular: the next module in the course.
    NextInCourse,
}

impl SuggestionReason {
    /// A short en-GB sentence for the library screen.
    pub fn message(&self) -> String {
        match self {
            SuggestionReason::PersistentRedRecovery { days } => format!(
                "Your recovery has been red for {days} days running. \
                 This module covers when and where to get support."
            ),
            SuggestionReason::RepeatedHighSleepiness { check_ins } => format!(
                "You have reported feeling very sleepy {check_ins} times this week. \
                 This module covers when and where to get support."
            ),
            SuggestionReason::FirstNightsAhead { .. } => {
                "You have nights coming up. A few minutes now can make them easier.".to_string()
            }
            SuggestionReason::NightsJustEnded { .. } => {
                "You have just finished nights: getting home safely and recovering well."
                    .to_string()
            }
            SuggestionReason::NextInCourse => "The next module in your course.".to_string(),
        }
    }
}

/// A module to offer and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleSuggestion {
    /// The module's id in the library.
    pub module_id: String,
    /// Why it fits now.
    pub reason: SuggestionReason,
}

/// The module that best fits the moment for someone on `track`, by the rules
/// in this module's documentation; `None` when every module of the track is
/// completed.
pub fn suggest_module(
    library: &Library,
    track: Track,
    progress: &Progress,
    context: &SuggestionContext,
) -> Option<ModuleSuggestion> {
    let pick = |topics: &[Topic], reason: SuggestionReason| {
        topics.iter().find_map(|topic| {
            library
                .modules_for(track)
                .find(|m| m.topics.contains(topic) && !progress.is_completed(&m.id))
                .map(|m| ModuleSuggestion {
                    module_id: m.id.clone(),
                    reason: reason.clone(),
                })
        })
    };
    let rules = [
        red_recovery(context).map(|r| (&[Topic::SeekingHelp][..], r)),
        high_sleepiness(context).map(|r| (&[Topic::SeekingHelp][..], r)),
        first_nights_ahead(context).map(|r| {
            (
                &[
                    Topic::NightSleep,
                    Topic::Naps,
                    Topic::Caffeine,
                    Topic::Light,
                ][..],
                r,
            )
        }),
        nights_just_ended(context).map(|r| (&[Topic::DriveHome, Topic::Recovery][..], r)),
    ];
    rules
        .into_iter()
        .flatten()
        .find_map(|(topics, reason)| pick(topics, reason))
        .or_else(|| {
            library
                .modules_for(track)
                .find(|m| !progress.is_completed(&m.id))
                .map(|m| ModuleSuggestion {
                    module_id: m.id.clone(),
                    reason: SuggestionReason::NextInCourse,
                })
        })
}

fn red_recovery(c: &SuggestionContext) -> Option<SuggestionReason> {
    let days = c
        .recovery_bands
        .iter()
        .rev()
        .take_while(|b| **b == RecoveryBand::Red)
        .count();
    (days >= RED_RECOVERY_DAYS).then_some(SuggestionReason::PersistentRedRecovery { days })
}

fn high_sleepiness(c: &SuggestionContext) -> Option<SuggestionReason> {
    let since = c.now - Duration::days(KSS_WINDOW_DAYS);
    let check_ins = c
        .check_ins
        .iter()
        .filter(|r| r.scale == CheckInScale::Kss && r.value >= HIGH_KSS)
        .filter(|r| r.taken_at > since && r.taken_at <= c.now)
        .count();
    (check_ins >= HIGH_KSS_COUNT).then_some(SuggestionReason::RepeatedHighSleepiness { check_ins })
}

fn sorted_shifts(c: &SuggestionContext) -> Vec<Shift> {
    let mut shifts = c.shifts.clone();
    shifts.sort();
    shifts
}

fn first_nights_ahead(c: &SuggestionContext) -> Option<SuggestionReason> {
    let shifts = sorted_shifts(c);
    let next_index = shifts.iter().position(|s| s.start() > c.now)?;
    let next = shifts[next_index];
    if next.start() - c.now > Duration::hours(NIGHTS_LOOKAHEAD_HOURS)
        || !is_night_shift(&next, &c.clock)
    {
        return None;
    }
    let gap = Duration::hours(BLOCK_GAP_HOURS);
    let continues_a_block = shifts[..next_index]
        .iter()
        .any(|s| is_night_shift(s, &c.clock) && next.start() - s.end() < gap);
    (!continues_a_block).then_some(SuggestionReason::FirstNightsAhead {
        first_night_start: next.start(),
    })
}

fn nights_just_ended(c: &SuggestionContext) -> Option<SuggestionReason> {
    let shifts = sorted_shifts(c);
    let gap = Duration::hours(BLOCK_GAP_HOURS);
    let worked: Vec<&Shift> = shifts.iter().filter(|s| s.end() <= c.now).collect();
    let last = *worked.last()?;
    if c.now - last.end() >= gap || !is_night_shift(last, &c.clock) {
        return None;
    }
    let another_night_follows = shifts.iter().any(|s| {
        s.start() >= last.end() && s.start() - last.end() < gap && is_night_shift(s, &c.clock)
    });
    if another_night_follows {
        return None;
    }
    let mut nights = 1;
    for pair in worked.windows(2).rev() {
        let (earlier, later) = (pair[0], pair[1]);
        if !is_night_shift(earlier, &c.clock) || later.start() - earlier.end() >= gap {
            break;
        }
        nights += 1;
    }
    Some(SuggestionReason::NightsJustEnded { nights })
}
