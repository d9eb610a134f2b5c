//! The FIPS CSV formats: sleep periods in, model series out.
//!
//! Sleeps: header `sleep_start,sleep_end`, RFC 3339 instants. Series: the
//! reference vectors' header and column order ([`SERIES_HEADER`]), `datetime`
//! as `YYYY-MM-DDTHH:MM:SSZ`, numbers in shortest round-trip form.

use std::io::{Read, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use models::SleepPeriod;

use crate::simulation::{FipsEpoch, Step};

/// The reference vectors' columns, in order.
pub const SERIES_HEADER: [&str; 13] = [
    "datetime",
    "wake",
    "tpm_s",
    "tpm_c",
    "tpm_w",
    "tpm_u",
    "tpm_kss",
    "tpm_alertness",
    "um_s",
    "um_l",
    "um_c",
    "um_w",
    "um_fatigue",
];

/// A problem in an input file, with where it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CsvLineError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// What is wrong there.
    pub message: String,
}

/// Reads a sleeps CSV (`sleep_start,sleep_end`).
///
/// # Errors
/// A [`CsvLineError`] naming the line of the first malformed row: a missing
/// or wrong header, an unreadable instant, or an impossible period.
pub fn read_sleeps(input: impl Read) -> Result<Vec<SleepPeriod>, CsvLineError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(input);
    let headers = reader.headers().map_err(|e| CsvLineError {
        line: 1,
        message: format!("cannot read header: {e}"),
    })?;
    let start_col = column(headers, "sleep_start")?;
    let end_col = column(headers, "sleep_end")?;
    let mut sleeps = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| CsvLineError {
            line: e.position().map_or(0, |p| p.line()),
            message: format!("malformed CSV: {e}"),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let field = |col: usize, name: &str| -> Result<DateTime<Utc>, CsvLineError> {
            let text = record.get(col).unwrap_or("");
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| CsvLineError {
                    line,
                    message: format!("{name} {text:?} is not an RFC 3339 instant ({e})"),
                })
        };
        let start = field(start_col, "sleep_start")?;
        let end = field(end_col, "sleep_end")?;
        let period = SleepPeriod::new(start, end).map_err(|e| CsvLineError {
            line,
            message: e.to_string(),
        })?;
        sleeps.push(period);
    }
    Ok(sleeps)
}

fn column(headers: &csv::StringRecord, name: &str) -> Result<usize, CsvLineError> {
    headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| CsvLineError {
            line: 1,
            message: format!(
                "header has no {name:?} column (found {:?})",
                headers.iter().collect::<Vec<_>>()
            ),
        })
}

/// The numeric columns of a series row, in [`SERIES_HEADER`] order from
/// `wake` (1 awake, 0 asleep) on.
pub fn series_values(step: &Step<FipsEpoch>) -> [f64; 12] {
    let (t, u) = (&step.out.tpm, &step.out.unified);
    [
        if step.awake { 1.0 } else { 0.0 },
        t.s,
        t.c,
        t.w,
        t.u,
        t.kss,
        t.alertness,
        u.s,
        u.l,
        u.c,
        u.w,
        u.fatigue,
    ]
}

/// Writes a series in the reference vectors' format.
///
/// # Errors
/// Any I/O error from `out`.
pub fn write_series(out: impl Write, steps: &[Step<FipsEpoch>]) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(SERIES_HEADER)?;
    for step in steps {
        let mut row = Vec::with_capacity(SERIES_HEADER.len());
        row.push(step.at.to_rfc3339_opts(SecondsFormat::Secs, true));
        row.push(if step.awake { "1" } else { "0" }.to_string());
        row.extend(series_values(step).iter().skip(1).map(|x| x.to_string()));
        writer.write_record(&row)?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_name_their_line() {
        let text = "sleep_start,sleep_end\n2025-01-01T23:00:00Z,2025-01-02T07:00:00Z\n2025-01-03T07:00:00Z,2025-01-02T23:00:00Z\n";
        let e = read_sleeps(text.as_bytes()).unwrap_err();
        assert_eq!(e.line, 3);
        let text = "sleep_start,sleep_end\nyesterday,2025-01-02T07:00:00Z\n";
        let e = read_sleeps(text.as_bytes()).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("yesterday"));
        let e = read_sleeps("start,end\n".as_bytes()).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(read_sleeps("".as_bytes()).is_err());
    }
}
