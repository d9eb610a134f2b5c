//! Validation errors for the shared types.

use chrono::{DateTime, Utc};

/// Why a value built from outside input was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    /// A period whose end is not after its start.
    #[error("period ends at {end} which is not after its start {start}")]
    EndNotAfterStart {
        /// The period's start.
        start: DateTime<Utc>,
        /// The period's end.
        end: DateTime<Utc>,
    },
    /// A period longer than anything plausible for its kind.
    #[error("period of {hours:.1} h is longer than the {max_hours} h allowed for a {kind}")]
    TooLong {
        /// What kind of period (sleep, shift).
        kind: &'static str,
        /// Its length in hours.
        hours: f64,
        /// The limit in hours.
        max_hours: u32,
    },
    /// A number outside its allowed range.
    #[error("{field} = {value} is outside {min}..={max}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f64,
        /// Smallest allowed.
        min: f64,
        /// Largest allowed.
        max: f64,
    },
    /// A synced time that is not rounded to the quarter hour.
    #[error("{field} must be rounded to 15 minutes")]
    NotRounded {
        /// The field.
        field: &'static str,
    },
    /// An identifier with characters other than letters, digits, '-', '_', '.'.
    #[error("{field} must be 1 to 64 letters, digits, '-', '_' or '.'")]
    NotAnIdentifier {
        /// The field.
        field: &'static str,
    },
    /// A contact detail that does not suit its contact method (the message
    /// says what is expected, never what was given).
    #[error("contact_detail: {expected}")]
    InvalidContact {
        /// What the method needs, e.g. "a phone number".
        expected: &'static str,
    },
    /// A call-back window that is not a time anyone could call.
    #[error("{reason}")]
    InvalidWindow {
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A required field that is missing or blank.
    #[error("{field} is required")]
    Required {
        /// The field.
        field: &'static str,
    },
}
