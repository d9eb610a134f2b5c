//! The situations a coaching message can be tied to, and the time
//! placeholders each may render.

use serde::Serialize;

/// A situation the engine recognises. Content packs name these in
/// snake_case (`first_night`, `quick_return`, ...); a name not listed here is
/// an error when the pack loads. The rule behind each is in
/// [`crate::coaching::engine`] and `docs/coaching.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A night shift is coming with no night shift in the 48 h before it.
    FirstNight,
    /// Between two consecutive night shifts.
    BetweenNights,
    /// Under 11 h between the end of one shift and the start of the next.
    QuickReturn,
    /// A current or coming shift longer than 12 h.
    LongShift,
    /// Sleep debt or short recorded main sleeps.
    SleepDebt,
    /// Just off a night shift with high predicted or reported sleepiness.
    DriveHomeAfterNights,
    /// Planned sleep is coming: caffeine cut-off.
    CaffeineCutoff,
    /// Just off a night shift: managing light before day sleep.
    LightExposure,
    /// Several red recovery mornings in a row: signpost support.
    PersistentRedRecovery,
    /// Several very high sleepiness check-ins in a row: signpost support.
    PersistentHighSleepiness,
}

/// A time a message body may show, written `{name}` in the pack and rendered
/// as local `HH:MM` in the person's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Placeholder {
    /// The latest time for caffeine before the planned sleep.
    CaffeineCutoff,
    /// The planned sleep's start.
    PlannedSleepStart,
    /// The start of the shift the message is about.
    ShiftStart,
    /// The end of the shift the message is about.
    ShiftEnd,
}

impl Trigger {
    /// Every trigger, in declaration order.
    pub const ALL: [Trigger; 10] = [
        Trigger::FirstNight,
        Trigger::BetweenNights,
        Trigger::QuickReturn,
        Trigger::LongShift,
        Trigger::SleepDebt,
        Trigger::DriveHomeAfterNights,
        Trigger::CaffeineCutoff,
        Trigger::LightExposure,
        Trigger::PersistentRedRecovery,
        Trigger::PersistentHighSleepiness,
    ];

    /// The snake_case name used in content packs.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::FirstNight => "first_night",
            Trigger::BetweenNights => "between_nights",
            Trigger::QuickReturn => "quick_return",
            Trigger::LongShift => "long_shift",
            Trigger::SleepDebt => "sleep_debt",
            Trigger::DriveHomeAfterNights => "drive_home_after_nights",
            Trigger::CaffeineCutoff => "caffeine_cutoff",
            Trigger::LightExposure => "light_exposure",
            Trigger::PersistentRedRecovery => "persistent_red_recovery",
            Trigger::PersistentHighSleepiness => "persistent_high_sleepiness",
        }
    }

    /// The trigger named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The placeholders a message on this trigger may use: the engine always
    /// has a value for each when the trigger fires.
    pub fn placeholders(self) -> &'static [Placeholder] {
        match self {
            Trigger::FirstNight
            | Trigger::BetweenNights
            | Trigger::QuickReturn
            | Trigger::LongShift => &[Placeholder::ShiftStart, Placeholder::ShiftEnd],
            Trigger::DriveHomeAfterNights | Trigger::LightExposure => &[Placeholder::ShiftEnd],
            Trigger::CaffeineCutoff => {
                &[Placeholder::CaffeineCutoff, Placeholder::PlannedSleepStart]
            }
            Trigger::SleepDebt
            | Trigger::PersistentRedRecovery
            | Trigger::PersistentHighSleepiness => &[],
        }
    }
}

impl Placeholder {
    /// Every placeholder.
    pub const ALL: [Placeholder; 4] = [
        Placeholder::CaffeineCutoff,
        Placeholder::PlannedSleepStart,
        Placeholder::ShiftStart,
        Placeholder::ShiftEnd,
    ];

    /// The name written between braces in a message.
    pub fn as_str(self) -> &'static str {
        match self {
            Placeholder::CaffeineCutoff => "caffeine_cutoff",
            Placeholder::PlannedSleepStart => "planned_sleep_start",
            Placeholder::ShiftStart => "shift_start",
            Placeholder::ShiftEnd => "shift_end",
        }
    }

    /// The placeholder named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Trigger::ALL {
            assert_eq!(Trigger::from_name(t.as_str()), Some(t));
        }
        for p in Placeholder::ALL {
            assert_eq!(Placeholder::from_name(p.as_str()), Some(p));
        }
        assert_eq!(Trigger::from_name("first-night"), None);
    }
}
