//! The store's error type.

/// Why a store operation failed. Messages carry no personal data: they name
/// fields, tables and versions, never a stored value.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused the operation (disk full, file locked, corrupt file...).
    #[error("storage error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer version of the library; opening it
    /// with this one could lose data, so it is refused.
    #[error("the store's schema version {found} is newer than this library's {supported}")]
    SchemaTooNew {
        /// Version found in the file.
        found: u32,
        /// Newest version this build knows.
        supported: u32,
    },
    /// A value stored by this library could not be read back (a stored JSON
    /// payload or timestamp no longer parses).
    #[error("stored {what} could not be read")]
    Corrupt {
        /// What could not be read.
        what: &'static str,
    },
    /// Input refused by shared validation.
    #[error(transparent)]
    Invalid(#[from] models::ValidationError),
    /// Input refused by the engine.
    #[error(transparent)]
    Engine(#[from] crate::EngineError),
    /// A setting refused by the recovery score's rules (a sleep need out of
    /// range).
    #[error(transparent)]
    Recovery(#[from] crate::recovery::RecoveryError),
    /// A plan preference out of range.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
}

impl From<serde_json::Error> for StoreError {
    fn from(_: serde_json::Error) -> Self {
        StoreError::Corrupt {
            what: "JSON payload",
        }
    }
}
