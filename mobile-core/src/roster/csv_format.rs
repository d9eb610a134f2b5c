//! The roster CSV format (`docs/rosters.md`).
//!
//! A header with `staff_id,start,end` and optionally `team,role,activity`, in
//! any order; `start`/`end` in RFC 3339 with an offset, or local
//! `YYYY-MM-DDTHH:MM` read in the roster's zone. `staff_id` may be empty in a
//! one-person file. Every problem is reported with its line and column, and a
//! file with any problem yields no entries.

use std::io::Read;

use chrono_tz::Tz;

use super::{
    RosterEntry, RosterErrors, RosterLineError, all_or_errors, parse_roster_time, shift_from,
};

const REQUIRED: [&str; 3] = ["staff_id", "start", "end"];
const OPTIONAL: [&str; 3] = ["team", "role", "activity"];

/// Reads a roster CSV, local times in `zone`.
///
/// # Errors
/// [`RosterErrors`] listing every bad line (missing columns, unreadable
/// times, end not after start, shifts over 24 h); no entries are returned
/// when there is any.
pub fn parse(input: impl Read, zone: Tz) -> Result<Vec<RosterEntry>, RosterErrors> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(input);
    let fail = |line, column: &str, message: String| RosterErrors {
        errors: vec![RosterLineError {
            line,
            column: column.to_string(),
            message,
        }],
    };
    let headers = reader
        .headers()
        .map_err(|e| fail(1, "header", format!("cannot read the header: {e}")))?
        .clone();
    let position = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    for name in REQUIRED {
        if position(name).is_none() {
            return Err(fail(
                1,
                name,
                format!(
                    "the header has no {name:?} column; expected staff_id,start,end[,team,role,activity], found {:?}",
                    headers.iter().collect::<Vec<_>>()
                ),
            ));
        }
    }
    let [staff, start, end] = REQUIRED.map(|n| position(n).unwrap_or(0));
    let [team, role, activity] = OPTIONAL.map(position);

    let rows = reader.records().filter_map(|record| {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                return Some(Err(RosterLineError {
                    line: e.position().map_or(0, |p| p.line()),
                    column: "row".into(),
                    message: format!("malformed CSV: {e}"),
                }));
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            return None;
        }
        let text = |col: usize| record.get(col).unwrap_or("").to_string();
        let optional = |col: Option<usize>| col.map(text).filter(|s| !s.is_empty());
        let time = |col: usize, name: &str| {
            parse_roster_time(&text(col), zone).map_err(|message| RosterLineError {
                line,
                column: name.to_string(),
                message,
            })
        };
        Some(
            shift_from(time(start, "start"), time(end, "end"), line, "end").map(|shift| {
                RosterEntry {
                    staff_id: text(staff),
                    shift,
                    team: optional(team),
                    role: optional(role),
                    activity: optional(activity),
                    line,
                }
            }),
        )
    });
    all_or_errors(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    const LONDON: Tz = chrono_tz::Europe::London;

    #[test]
    fn local_and_offset_times_are_read_in_the_roster_zone() {
        let text = "staff_id,start,end,team\nA1,2025-07-01T22:00,2025-07-02T07:00,Response 1\nA1,2025-07-03T06:00:00+01:00,2025-07-03T14:00:00+01:00,\n";
        let entries = parse(text.as_bytes(), LONDON).unwrap();
        assert_eq!(entries.len(), 2);
        // 22:00 BST is 21:00 UTC.
        assert_eq!(
            entries[0].shift.start(),
            Utc.with_ymd_and_hms(2025, 7, 1, 21, 0, 0).unwrap()
        );
        assert_eq!(entries[0].team.as_deref(), Some("Response 1"));
        assert_eq!(entries[1].team, None);
        assert_eq!(
            entries[1].shift.start(),
            Utc.with_ymd_and_hms(2025, 7, 3, 5, 0, 0).unwrap()
        );
    }

    #[test]
    fn every_bad_line_is_reported_with_line_and_column() {
        let text = "staff_id,start,end\nA1,2025-07-01T22:00,2025-07-02T07:00\nA1,tomorrow,2025-07-02T07:00\nA1,2025-07-03T14:00,2025-07-03T06:00\nA1,2025-03-30T01:30,2025-03-30T09:00\n";
        let errors = parse(text.as_bytes(), LONDON).unwrap_err().errors;
        assert_eq!(errors.len(), 3);
        assert_eq!((errors[0].line, errors[0].column.as_str()), (3, "start"));
        assert!(errors[0].message.contains("tomorrow"));
        assert_eq!((errors[1].line, errors[1].column.as_str()), (4, "end"));
        assert_eq!(errors[2].line, 5);
        assert!(
            errors[2].message.contains("does not exist"),
            "{}",
            errors[2].message
        );
    }

    #[test]
    fn missing_required_column_is_a_header_error() {
        let errors = parse("staff_id,start\nA1,2025-07-01T22:00\n".as_bytes(), LONDON)
            .unwrap_err()
            .errors;
        assert_eq!((errors[0].line, errors[0].column.as_str()), (1, "end"));
        assert!(parse("".as_bytes(), LONDON).is_err());
    }

    #[test]
    fn clocks_going_back_read_as_the_earlier_instant() {
        let text = "staff_id,start,end\n,2025-10-26T01:30,2025-10-26T09:00\n";
        let e = &parse(text.as_bytes(), LONDON).unwrap()[0];
        assert_eq!(
            e.shift.start(),
            Utc.with_ymd_and_hms(2025, 10, 26, 0, 30, 0).unwrap()
        );
        // 01:30 BST to 09:00 GMT is 8.5 hours.
        assert!((e.shift.duration_hours() - 8.5).abs() < 1e-12);
    }
}
