//! The roster limits that the engine's per-shift flags
//! ([`super::assess`]) and the report's person-level levels
//! (`analytics::indicators`) both apply: one set of numbers, so a shift the
//! engine flags is a breach in the report too.
//!
//! Sources: the indicator table of `frm-indicators.md` (shared reference),
//! numbers 1–5 and 12; the reasoning in `fatigue-science.md` §4 and
//! `docs/science.md`. Limits only the report uses (the 17-week averages,
//! weekly rest, rest days worked) stay in `analytics::indicators`.

use serde::{Deserialize, Serialize};

/// Roster limits, with the published defaults ([`Default`]).
///
/// "Over" limits are breached by a value above them, "under" limits by a
/// value below, "from" limits by a value at or above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RosterLimits {
    /// Red: a shift over this many hours (frm-indicators #1; HSG256,
    /// Network Rail): 12.
    pub long_shift_over_hours: u32,
    /// Amber: a night shift over this many hours (#1; HSG256): 8.
    pub long_night_shift_over_hours: u32,
    /// Red quick return: rest between duties under this many hours (#2;
    /// WTR reg. 10): 11.
    pub quick_return_red_under_hours: u32,
    /// Amber quick return: rest under this many hours (#2; Network Rail): 12.
    pub quick_return_amber_under_hours: u32,
    /// Amber: more than this many consecutive nights (#3; HSG256): 3.
    pub nights_amber_over: u32,
    /// Red: more than this many consecutive nights (#3; Police Scotland): 4.
    pub nights_red_over: u32,
    /// Two night shifts are consecutive when the rest between them is under
    /// this many hours (no full rest day between; ours): 24.
    pub night_run_gap_under_hours: u32,
    /// Amber: more than this many consecutive work days (#4; HSG256: at
    /// most 5–7 in a row): 6.
    pub work_days_amber_over: u32,
    /// Red: more than this many consecutive work days, i.e. all 14 of a
    /// 14-day window (#4; Network Rail, "more than 13 turns in 14 days"): 13.
    pub work_days_red_over: u32,
    /// Amber: this many hours or more worked in 7 days (#5; Network Rail
    /// level 1): 60.
    pub week_amber_from_hours: u32,
    /// Red: this many hours or more worked in 7 days (#5; Network Rail
    /// level 2): 72.
    pub week_red_from_hours: u32,
    /// Amber: a door-to-door day (shift plus commute both ways) of this
    /// many hours or more (#12; Network Rail): 14.
    pub door_to_door_from_hours: u32,
}

impl Default for RosterLimits {
    fn default() -> Self {
        Self {
            long_shift_over_hours: 12,
            long_night_shift_over_hours: 8,
            quick_return_red_under_hours: 11,
            quick_return_amber_under_hours: 12,
            nights_amber_over: 3,
            nights_red_over: 4,
            night_run_gap_under_hours: 24,
            work_days_amber_over: 6,
            work_days_red_over: 13,
            week_amber_from_hours: 60,
            week_red_from_hours: 72,
            door_to_door_from_hours: 14,
        }
    }
}
