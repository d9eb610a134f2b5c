//! The engine's error type: every way outside input can be refused.

use chrono::{DateTime, Utc};

/// Why the engine refused its input. Nothing in the engine panics on input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// The epoch length is outside 1 to 60 minutes, or not a whole second.
    #[error("epoch must be between 1 and 60 minutes, got {seconds} s")]
    EpochOutOfRange {
        /// The epoch asked for, in seconds.
        seconds: i64,
    },
    /// The epoch text could not be read.
    #[error("cannot read epoch {text:?}: use e.g. 5m, 300s, 1h or a number of minutes")]
    EpochUnreadable {
        /// The text given.
        text: String,
    },
    /// The series ends before it starts.
    #[error("series end {end} is before its start {start}")]
    SeriesReversed {
        /// Series start.
        start: DateTime<Utc>,
        /// Series end.
        end: DateTime<Utc>,
    },
    /// The span is not a whole number of epochs.
    #[error("the span from {start} to {end} is not a whole number of {epoch_seconds} s epochs")]
    EpochDoesNotDivideSpan {
        /// Series start.
        start: DateTime<Utc>,
        /// Series end.
        end: DateTime<Utc>,
        /// The epoch in seconds.
        epoch_seconds: i64,
    },
    /// Two sleep periods overlap.
    #[error("sleep starting {second_start} overlaps the sleep ending {first_end}")]
    SleepsOverlap {
        /// End of the earlier sleep.
        first_end: DateTime<Utc>,
        /// Start of the later sleep.
        second_start: DateTime<Utc>,
    },
    /// A sleep period lies entirely outside the series.
    #[error("sleep {start}..{end} lies outside the series {series_start}..{series_end}")]
    SleepOutsideSeries {
        /// Sleep start.
        start: DateTime<Utc>,
        /// Sleep end.
        end: DateTime<Utc>,
        /// Series start.
        series_start: DateTime<Utc>,
        /// Series end.
        series_end: DateTime<Utc>,
    },
    /// A sleep given to a resumed run starts before the state it resumes from.
    #[error("sleep starting {start} is before the saved state at {state_at}")]
    SleepBeforeState {
        /// The sleep's start.
        start: DateTime<Utc>,
        /// The instant the state was saved at (its last epoch, or the end of the sleep in progress).
        state_at: DateTime<Utc>,
    },
    /// A resumed run must continue on the same epoch grid.
    #[error("a resumed run must use the saved state's epoch and end after it")]
    ResumeMismatch,
    /// A model parameter is not a finite number or breaks the model's constraints.
    #[error("model parameter {name} = {value} is not valid: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What is required of it.
        reason: &'static str,
    },
    /// An unknown IANA time zone name.
    #[error("unknown time zone {0:?}")]
    UnknownTimeZone(String),
    /// A roster or sleep input was refused by shared validation.
    #[error(transparent)]
    Validation(#[from] models::ValidationError),
}
