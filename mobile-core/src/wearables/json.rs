//! Field access shared by the JSON formats: each miss becomes a [`RejectReason`]
//! naming the field, so a bad record is refused without stopping the import.

use std::io::BufRead;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::{RejectReason, WearableError};

/// Parses the whole input as one JSON value.
pub(crate) fn read_value(input: impl BufRead) -> Result<Value, WearableError> {
    Ok(serde_json::from_reader(input)?)
}

/// The records of a document that must be a JSON array.
pub(crate) fn array<'a>(
    value: &'a Value,
    format: &'static str,
) -> Result<&'a [Value], WearableError> {
    match value {
        Value::Array(items) => Ok(items),
        _ => Err(WearableError::Shape {
            format,
            expected: "a JSON array of records",
        }),
    }
}

fn malformed(path: &[&str]) -> RejectReason {
    RejectReason::Malformed {
        field: path.join("."),
    }
}

/// The value at `path`, if present and not null.
pub(crate) fn get<'a>(record: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(record, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

/// A string at `path`.
pub(crate) fn str_at<'a>(record: &'a Value, path: &[&str]) -> Result<&'a str, RejectReason> {
    get(record, path)
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(path))
}

/// An optional string at `path` (absent or not a string gives `None`).
pub(crate) fn opt_string(record: &Value, path: &[&str]) -> Option<String> {
    get(record, path)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A finite number at `path`.
pub(crate) fn f64_at(record: &Value, path: &[&str]) -> Result<f64, RejectReason> {
    get(record, path)
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite())
        .ok_or_else(|| malformed(path))
}

/// An RFC 3339 instant at `path`.
pub(crate) fn time_at(record: &Value, path: &[&str]) -> Result<DateTime<Utc>, RejectReason> {
    parse_time(str_at(record, path)?, path)
}

/// An RFC 3339 instant, or [`RejectReason::Malformed`] naming `path`.
pub(crate) fn parse_time(text: &str, path: &[&str]) -> Result<DateTime<Utc>, RejectReason> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| malformed(path))
}

/// An optional IANA zone name at `path`, else `default`.
pub(crate) fn zone_at(record: &Value, path: &[&str], default: Tz) -> Result<Tz, RejectReason> {
    match get(record, path) {
        None => Ok(default),
        Some(v) => parse_zone(v.as_str(), path, default),
    }
}

/// An IANA zone name (`None` gives `default`), or
/// [`RejectReason::UnknownValue`] naming `path`.
pub(crate) fn parse_zone(
    name: Option<&str>,
    path: &[&str],
    default: Tz,
) -> Result<Tz, RejectReason> {
    match name {
        None => Ok(default),
        Some(name) => name.parse::<Tz>().map_err(|_| RejectReason::UnknownValue {
            field: path.join("."),
        }),
    }
}
