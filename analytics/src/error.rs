//! Errors at the crate's boundary. Messages name the field or setting at
//! fault, never a person.

/// Why a report, cohort run or schedule could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// A period whose end date is before its start date, or one too long.
    #[error(transparent)]
    InvalidPeriod(#[from] mobile_core::period::PeriodError),
    /// An IANA time zone name that chrono-tz does not know.
    #[error("unknown time zone {0:?}")]
    UnknownZone(String),
    /// A cron expression croner refuses.
    #[error("invalid schedule {expression:?}: {reason}")]
    InvalidSchedule {
        /// The expression as given.
        expression: String,
        /// croner's reason.
        reason: String,
    },
    /// A setting outside its allowed range (k range, sample size, ...).
    #[error("invalid setting {name}: {reason}")]
    InvalidSetting {
        /// The setting.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// A request's field that is not acceptable (a rota pattern, its team
    /// or horizon): the field's path and the rule, never a value.
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The field, e.g. `days[3].hours`.
        field: String,
        /// What is expected.
        reason: String,
    },
    /// Too few people to describe anything without identifying someone.
    #[error("only {people} people qualify; at least {needed} are needed")]
    TooFewPeople {
        /// How many qualified.
        people: usize,
        /// How many are needed.
        needed: usize,
    },
    /// k-means failed (linfa's error, as text).
    #[error("clustering failed: {0}")]
    Clustering(String),
    /// The HTML template failed to render.
    #[error("rendering failed: {0}")]
    Render(String),
    /// The shipped learning content did not load.
    #[error("learning content: {0}")]
    Content(String),
    /// Writing CSV failed.
    #[error("CSV output failed: {0}")]
    Csv(#[from] csv::Error),
    /// Writing JSON failed.
    #[error("JSON output failed: {0}")]
    Json(#[from] serde_json::Error),
}
