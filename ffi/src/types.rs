//! Records and enums that cross the boundary, and their conversions.
//!
//! Times cross as [`SystemTime`] (Swift `Date`, Kotlin `java.time.Instant`,
//! Python `datetime` in UTC): an instant, never a local string. Local
//! clock times are derived inside with the IANA zone the store was opened
//! with.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use mobile_core::store;
use models::sync;

use crate::CoachError;

/// Converts an instant from the app. Refuses instants chrono cannot hold
/// (hundreds of thousands of years away) instead of panicking.
pub(crate) fn utc(t: SystemTime) -> Result<DateTime<Utc>, CoachError> {
    let out_of_range = || CoachError::invalid("an instant is out of range");
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).map_err(|_| out_of_range())?,
            d.subsec_nanos(),
        ),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).map_err(|_| out_of_range())?;
            if d.subsec_nanos() == 0 {
                (-secs, 0)
            } else {
                (-secs - 1, 1_000_000_000 - d.subsec_nanos())
            }
        }
    };
    DateTime::from_timestamp(secs, nanos).ok_or_else(out_of_range)
}

/// Converts an instant for the app.
pub(crate) fn system_time(t: DateTime<Utc>) -> SystemTime {
    let secs = t.timestamp();
    let nanos = t.timestamp_subsec_nanos();
    if secs >= 0 {
        UNIX_EPOCH + Duration::new(secs.unsigned_abs(), nanos)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            + Duration::from_nanos(u64::from(nanos))
    }
}

/// A sleep episode from the phone's health store (HealthKit sleep
/// analysis, Health Connect `SleepSessionRecord`), `[start, end)`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SleepEpisode {
    /// When sleep began.
    pub start: SystemTime,
    /// When sleep ended.
    pub end: SystemTime,
}

/// One physiological reading: HRV (RMSSD, milliseconds) or resting heart
/// rate (beats per minute), depending on the import it is given to.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Reading {
    /// When it was measured.
    pub at: SystemTime,
    /// The value, in the import's unit.
    pub value: f64,
}

/// One rostered shift, `[start, end)`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ShiftInput {
    /// Start of duty.
    pub start: SystemTime,
    /// End of duty.
    pub end: SystemTime,
}

/// An item an import refused.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RejectedItem {
    /// Position in the input list (0-based).
    pub index: u32,
    /// Stable snake_case reason: `end_not_after_start`, `too_long`,
    /// `out_of_range`, `overlaps_existing`, `overlaps_input`,
    /// `duplicate_in_input`.
    pub reason: String,
}

/// What an import did: the valid items are kept even when others are refused.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ImportSummary {
    /// Items stored.
    pub accepted: u32,
    /// Items already held (ignored).
    pub duplicates: u32,
    /// Items refused, each with its reason.
    pub rejected: Vec<RejectedItem>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<store::ImportReport> for ImportSummary {
    fn from(r: store::ImportReport) -> Self {
        Self {
            accepted: count(r.accepted),
            duplicates: count(r.duplicates),
            rejected: r
                .rejected
                .into_iter()
                .map(|x| RejectedItem {
                    index: count(x.index),
                    reason: x.reason.to_string(),
                })
                .collect(),
        }
    }
}

/// What the officer agrees to share with their force; each level includes
/// the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentLevel {
    /// Only the risk derived from the roster the force already holds:
    /// nothing health-related leaves the phone (the default).
    RosterOnly,
    /// Plus daily sleep and recovery summaries.
    SleepSummaries,
    /// Plus sleepiness and fatigue check-ins.
    CheckIns,
}

impl From<ConsentLevel> for store::ConsentLevel {
    fn from(c: ConsentLevel) -> Self {
        match c {
            ConsentLevel::RosterOnly => store::ConsentLevel::RosterOnly,
            ConsentLevel::SleepSummaries => store::ConsentLevel::SleepSummaries,
            ConsentLevel::CheckIns => store::ConsentLevel::CheckIns,
        }
    }
}

impl From<store::ConsentLevel> for ConsentLevel {
    fn from(c: store::ConsentLevel) -> Self {
        match c {
            store::ConsentLevel::RosterOnly => ConsentLevel::RosterOnly,
            store::ConsentLevel::SleepSummaries => ConsentLevel::SleepSummaries,
            store::ConsentLevel::CheckIns => ConsentLevel::CheckIns,
        }
    }
}

/// The validated scale a check-in uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CheckInScale {
    /// Karolinska Sleepiness Scale, 1 (extremely alert) to 9 (very sleepy,
    /// fighting sleep).
    Kss,
    /// Samn-Perelli fatigue checklist, 1 (fully alert) to 7 (completely
    /// exhausted).
    SamnPerelli,
}

impl From<CheckInScale> for sync::CheckInScale {
    fn from(s: CheckInScale) -> Self {
        match s {
            CheckInScale::Kss => sync::CheckInScale::Kss,
            CheckInScale::SamnPerelli => sync::CheckInScale::SamnPerelli,
        }
    }
}

/// When in the day a check-in is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CheckInContext {
    /// Before a shift.
    BeforeShift,
    /// During a shift.
    DuringShift,
    /// After a shift, before the drive home.
    BeforeDrive,
    /// Any other time.
    Other,
}

impl From<CheckInContext> for sync::CheckInContext {
    fn from(c: CheckInContext) -> Self {
        match c {
            CheckInContext::BeforeShift => sync::CheckInContext::BeforeShift,
            CheckInContext::DuringShift => sync::CheckInContext::DuringShift,
            CheckInContext::BeforeDrive => sync::CheckInContext::BeforeDrive,
            CheckInContext::Other => sync::CheckInContext::Other,
        }
    }
}

/// A check-in as the officer gave it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CheckIn {
    /// When it was taken.
    pub taken_at: SystemTime,
    /// Which scale.
    pub scale: CheckInScale,
    /// The score on that scale.
    pub value: u8,
    /// When in the day.
    pub context: CheckInContext,
}

/// The shift type a roster shows, by local start time: early 04:00–08:59,
/// day 09:00–13:59, late 14:00–19:59, night 20:00–03:59.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ShiftType {
    /// Starts 04:00–08:59 local.
    Early,
    /// Starts 09:00–13:59 local.
    Day,
    /// Starts 14:00–19:59 local.
    Late,
    /// Starts 20:00–03:59 local.
    Night,
}

impl From<models::ShiftType> for ShiftType {
    fn from(t: models::ShiftType) -> Self {
        match t {
            models::ShiftType::Early => ShiftType::Early,
            models::ShiftType::Day => ShiftType::Day,
            models::ShiftType::Late => ShiftType::Late,
            models::ShiftType::Night => ShiftType::Night,
        }
    }
}

/// Recovery band shown to the officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecoveryBand {
    /// Recovered.
    Green,
    /// Partly recovered.
    Amber,
    /// Poorly recovered.
    Red,
}

impl From<sync::RecoveryBand> for RecoveryBand {
    fn from(b: sync::RecoveryBand) -> Self {
        match b {
            sync::RecoveryBand::Green => RecoveryBand::Green,
            sync::RecoveryBand::Amber => RecoveryBand::Amber,
            sync::RecoveryBand::Red => RecoveryBand::Red,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_either_side_of_the_epoch() {
        for (s, n) in [
            (0_i64, 0_u32),
            (1_700_000_000, 5),
            (-1, 500_000_000),
            (-86_400, 0),
        ] {
            let t = DateTime::from_timestamp(s, n).unwrap();
            assert_eq!(utc(system_time(t)).unwrap(), t);
        }
    }

    #[test]
    fn an_instant_chrono_cannot_hold_is_refused() {
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 2);
        assert!(matches!(utc(far), Err(CoachError::InvalidInput { .. })));
    }
}
