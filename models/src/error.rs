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
}
