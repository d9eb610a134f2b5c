//! The one public error: what an app can act on, with no personal data.
//!
//! Two levels, as in application-services: the engine and store have rich
//! internal errors ([`mobile_core::EngineError`], [`mobile_core::store::StoreError`],
//! [`models::ValidationError`]); this module maps them to [`CoachError`],
//! whose messages name fields and limits but never a stored or supplied value
//! (a sleep time or a heart rate is health data).

use mobile_core::EngineError;
use mobile_core::store::StoreError;
use mobile_core::sync_client::SyncError;
use models::ValidationError;

/// Why a call failed. Each variant is something the app handles differently.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum CoachError {
    /// The input was refused: fix the call (the message names the field).
    #[error("invalid input: {detail}")]
    InvalidInput {
        /// What was wrong, without the value. (Not `message`: that name
        /// clashes with `Throwable.message` in Kotlin.)
        detail: String,
    },
    /// The on-device store failed (disk full, file locked or damaged, a file
    /// from a newer app version). Retrying later may help; the store is left
    /// as it was before the call.
    #[error("storage failure: {detail}")]
    Storage {
        /// What failed, without personal data.
        detail: String,
    },
    /// The library cannot answer yet (no data for the period asked, a sync
    /// already running). Not a fault: ask again later.
    #[error("not ready: {detail}")]
    NotReady {
        /// What is missing.
        detail: String,
    },
}

impl CoachError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        CoachError::InvalidInput {
            detail: message.into(),
        }
    }

    pub(crate) fn not_ready(message: impl Into<String>) -> Self {
        CoachError::NotReady {
            detail: message.into(),
        }
    }
}

/// The field-level description of a validation failure, without its value.
fn describe(e: &ValidationError) -> String {
    match e {
        ValidationError::EndNotAfterStart { .. } => "a period ends at or before its start".into(),
        ValidationError::TooLong {
            kind, max_hours, ..
        } => {
            format!("a {kind} is longer than {max_hours} hours")
        }
        ValidationError::OutOfRange {
            field, min, max, ..
        } => format!("{field} is outside {min}..={max}"),
        ValidationError::NotRounded { field } => format!("{field} must be rounded to 15 minutes"),
        ValidationError::NotAnIdentifier { field } => {
            format!("{field} must be 1 to 64 letters, digits, '-', '_' or '.'")
        }
        // The server's problem codes for the same refusals, so the app sees
        // one word whichever side refused.
        ValidationError::InvalidContact { .. } => format!("invalid_contact ({e})"),
        ValidationError::InvalidWindow { .. } => format!("invalid_window ({e})"),
        ValidationError::Required { field } => format!("{field} is required"),
    }
}

impl From<ValidationError> for CoachError {
    fn from(e: ValidationError) -> Self {
        CoachError::invalid(describe(&e))
    }
}

impl From<EngineError> for CoachError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Validation(v) => v.into(),
            EngineError::UnknownTimeZone(_) => CoachError::invalid("unknown IANA time zone"),
            EngineError::SleepsOverlap { .. } => CoachError::invalid("two sleeps overlap"),
            // The rest are grid and parameter errors this layer's own
            // arguments cause; their texts hold instants, so keep only the kind.
            EngineError::EpochOutOfRange { .. }
            | EngineError::EpochUnreadable { .. }
            | EngineError::SeriesReversed { .. }
            | EngineError::EpochDoesNotDivideSpan { .. }
            | EngineError::SleepOutsideSeries { .. }
            | EngineError::SleepBeforeState { .. }
            | EngineError::ResumeMismatch
            | EngineError::InvalidParameter { .. } => {
                CoachError::invalid("the period asked for cannot be computed")
            }
        }
    }
}

impl From<StoreError> for CoachError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(v) => v.into(),
            StoreError::Engine(e) => e.into(),
            StoreError::Recovery(e) => e.into(),
            StoreError::Plan(e) => CoachError::invalid(e.to_string()),
            // SQLite's messages name tables and constraints, never values.
            StoreError::Sqlite(_)
            | StoreError::SchemaTooNew { .. }
            | StoreError::Corrupt { .. } => CoachError::Storage {
                detail: e.to_string(),
            },
        }
    }
}

impl From<SyncError> for CoachError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Store(s) => s.into(),
            SyncError::AckMismatch => {
                CoachError::invalid("the acknowledgement does not match the batch being sent")
            }
        }
    }
}

impl From<mobile_core::wearables::WearableError> for CoachError {
    fn from(e: mobile_core::wearables::WearableError) -> Self {
        use mobile_core::wearables::WearableError;
        match e {
            // The app's file could not be read: the path is the app's to fix.
            WearableError::Io(_) => CoachError::invalid("the file could not be read"),
            // Positions, shapes and the XML reader's structural message
            // only: these texts never quote a record.
            WearableError::Json { .. }
            | WearableError::NotUtf8
            | WearableError::Xml { .. }
            | WearableError::Shape { .. } => CoachError::invalid(e.to_string()),
        }
    }
}

impl From<mobile_core::education::EducationError> for CoachError {
    fn from(e: mobile_core::education::EducationError) -> Self {
        // Ids, counts and indexes of the shipped content: no personal data.
        CoachError::invalid(e.to_string())
    }
}

impl From<mobile_core::recovery::RecoveryError> for CoachError {
    fn from(e: mobile_core::recovery::RecoveryError) -> Self {
        use mobile_core::recovery::{MAX_SLEEP_NEED_HOURS, MIN_SLEEP_NEED_HOURS, RecoveryError};
        match e {
            // The limits, never the value given (a sleep need is personal).
            RecoveryError::SleepNeedOutOfRange { .. } => CoachError::invalid(format!(
                "sleep_need_hours is outside {MIN_SLEEP_NEED_HOURS}..={MAX_SLEEP_NEED_HOURS}"
            )),
        }
    }
}

impl From<mobile_core::morning::MorningError> for CoachError {
    fn from(e: mobile_core::morning::MorningError) -> Self {
        use mobile_core::morning::MorningError;
        match e {
            MorningError::Store(e) => e.into(),
            MorningError::Engine(e) => e.into(),
            MorningError::Recovery(e) => e.into(),
            MorningError::Invalid(e) => e.into(),
            MorningError::Wearable(e) => e.into(),
            // Only a numerical failure of the fit reaches here (the pairs
            // are held to the scale, the parameters are the defaults).
            MorningError::Calibration(_) => {
                CoachError::not_ready("the personal calibration could not be fitted")
            }
            // Only the window's length is refused; the message names the
            // range, not the value given.
            MorningError::Regularity(_) => CoachError::invalid(format!(
                "days must be 2..={}",
                mobile_core::regularity::MAX_SRI_DAYS
            )),
        }
    }
}
