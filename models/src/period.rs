//! What sleep periods and shifts share: a validated `[start, end)` in UTC
//! and its serde form.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// Refuses `end <= start` and periods longer than `max_hours`.
pub(crate) fn check(
    kind: &'static str,
    max_hours: u32,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(), ValidationError> {
    if end <= start {
        return Err(ValidationError::EndNotAfterStart { start, end });
    }
    if end - start > Duration::hours(i64::from(max_hours)) {
        return Err(ValidationError::TooLong {
            kind,
            hours: (end - start).num_seconds() as f64 / 3600.0,
            max_hours,
        });
    }
    Ok(())
}

/// Length of `[start, end)` in hours.
pub(crate) fn hours(start: DateTime<Utc>, end: DateTime<Utc>) -> f64 {
    (end - start).num_milliseconds() as f64 / 3_600_000.0
}

/// The wire form of a period; deserialising goes through the type's `new`.
#[derive(Serialize, Deserialize)]
pub(crate) struct RawPeriod {
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
}

/// Serde conversions between a period type and [`RawPeriod`], validated.
macro_rules! period_serde {
    ($ty:ty) => {
        impl TryFrom<$crate::period::RawPeriod> for $ty {
            type Error = $crate::ValidationError;
            fn try_from(raw: $crate::period::RawPeriod) -> Result<Self, Self::Error> {
                <$ty>::new(raw.start, raw.end)
            }
        }

        impl From<$ty> for $crate::period::RawPeriod {
            fn from(p: $ty) -> Self {
                $crate::period::RawPeriod {
                    start: p.start(),
                    end: p.end(),
                }
            }
        }
    };
}
pub(crate) use period_serde;
