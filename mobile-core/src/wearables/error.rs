//! Why a wearable import failed as a whole, or why one record in it was refused.
//!
//! Two levels, as the import works: a file that cannot be read at all (not
//! JSON, not XML, not the shape the format has) is a [`WearableError`]; one bad
//! record inside a readable file is a [`RejectReason`], counted in the
//! [`super::IngestReport`] while the rest of the file is kept. Neither message
//! carries a value from a record that could identify the person (no device
//! names, no free text): only field names, numbers and limits.

use serde::{Deserialize, Serialize};

/// A file that could not be read at all. Nothing from it was imported.
#[derive(Debug, thiserror::Error)]
pub enum WearableError {
    /// Not valid JSON.
    #[error("not valid JSON at line {line}, column {column}")]
    Json {
        /// Line of the error (1-based).
        line: usize,
        /// Column of the error (1-based).
        column: usize,
    },
    /// Not UTF-8 text.
    #[error("not UTF-8 text")]
    NotUtf8,
    /// Not well-formed XML (Apple Health `export.xml`).
    #[error("not well-formed XML near byte {position}: {message}")]
    Xml {
        /// Byte offset in the file near the error.
        position: u64,
        /// What the XML reader reported (structure only, never content).
        message: String,
    },
    /// Valid JSON or XML, but not the document the format describes.
    #[error("not a {format} document: {expected}")]
    Shape {
        /// The format being read.
        format: &'static str,
        /// What was expected instead.
        expected: &'static str,
    },
    /// Reading the input failed.
    #[error("reading the input failed: {0}")]
    Io(#[from] std::io::Error),
}

impl From<serde_json::Error> for WearableError {
    fn from(e: serde_json::Error) -> Self {
        if e.is_io() {
            return WearableError::Io(std::io::Error::other(e.to_string()));
        }
        WearableError::Json {
            line: e.line(),
            column: e.column(),
        }
    }
}

/// Why one record was refused. The import goes on without it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RejectReason {
    /// A field the record needs is missing or of the wrong JSON/XML type.
    #[error("field {field} is missing or malformed")]
    Malformed {
        /// The field.
        field: String,
    },
    /// A field holds a value the format does not define (e.g. sleep stage 9).
    #[error("field {field} holds a value the format does not define")]
    UnknownValue {
        /// The field.
        field: String,
    },
    /// The record ends before it starts.
    #[error("the record ends before it starts")]
    EndBeforeStart,
    /// The record starts in the future (beyond the allowed clock skew).
    #[error("the record starts in the future")]
    InFuture,
    /// A sleep record longer than any real sleep.
    #[error("a sleep record of {hours:.1} h is longer than the {max_hours} h allowed")]
    TooLong {
        /// Its length in hours.
        hours: f64,
        /// The limit in hours.
        max_hours: u32,
    },
    /// A physiologically impossible value (e.g. HRV 0 or 5000 ms).
    #[error("{field} = {value} is outside the plausible range {min}..={max}")]
    OutOfRange {
        /// The field.
        field: String,
        /// The value.
        value: f64,
        /// Smallest plausible.
        min: f64,
        /// Largest plausible.
        max: f64,
    },
}
