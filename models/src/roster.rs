//! Roster shifts: a period of duty in UTC, with the shift type a roster shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ValidationError, period};

/// The longest single shift accepted, in hours; anything longer is a data
/// error in a roster export, not a duty.
pub const MAX_SHIFT_HOURS: u32 = 24;

/// The shift type a roster shows, by local start time
/// (`docs/science.md`, Hourly roster risk: early 04:00–08:59, day 09:00–13:59,
/// late 14:00–19:59, night 20:00–03:59).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

impl ShiftType {
    /// The type of a shift starting at local clock hour `hour` (0..=23).
    pub fn from_start_hour(hour: u32) -> Self {
        match hour {
            4..=8 => ShiftType::Early,
            9..=13 => ShiftType::Day,
            14..=19 => ShiftType::Late,
            _ => ShiftType::Night,
        }
    }

    /// Lower-case name, as in CSV and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ShiftType::Early => "early",
            ShiftType::Day => "day",
            ShiftType::Late => "late",
            ShiftType::Night => "night",
        }
    }
}

/// One period of duty, `[start, end)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "period::RawPeriod", into = "period::RawPeriod")]
pub struct Shift {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Shift {
    /// A validated shift.
    ///
    /// # Errors
    /// [`ValidationError::EndNotAfterStart`] when `end <= start`;
    /// [`ValidationError::TooLong`] when it lasts over [`MAX_SHIFT_HOURS`].
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, ValidationError> {
        period::check("shift", MAX_SHIFT_HOURS, start, end)?;
        Ok(Self { start, end })
    }

    /// Start of duty.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// End of duty.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// Length in hours.
    pub fn duration_hours(&self) -> f64 {
        period::hours(self.start, self.end)
    }
}

period::period_serde!(Shift);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_type_boundaries_follow_the_reference() {
        assert_eq!(ShiftType::from_start_hour(3), ShiftType::Night);
        assert_eq!(ShiftType::from_start_hour(4), ShiftType::Early);
        assert_eq!(ShiftType::from_start_hour(8), ShiftType::Early);
        assert_eq!(ShiftType::from_start_hour(9), ShiftType::Day);
        assert_eq!(ShiftType::from_start_hour(13), ShiftType::Day);
        assert_eq!(ShiftType::from_start_hour(14), ShiftType::Late);
        assert_eq!(ShiftType::from_start_hour(19), ShiftType::Late);
        assert_eq!(ShiftType::from_start_hour(20), ShiftType::Night);
        assert_eq!(ShiftType::from_start_hour(0), ShiftType::Night);
    }
}
