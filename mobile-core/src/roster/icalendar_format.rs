//! Rosters as iCalendar (RFC 5545): one VEVENT per duty.
//!
//! Parsed with the `icalendar` crate. `DTSTART`/`DTEND` may be UTC
//! (`...Z`), carry a `TZID` naming an IANA zone, or be floating (read in the
//! roster's zone). The staff id comes from an `X-STAFF-ID` property when
//! present (else empty: a one-person calendar), the team from `X-TEAM`, the
//! activity from `CATEGORIES` or `SUMMARY`. All-day events are not duties and
//! are skipped. Errors name the VEVENT's `BEGIN` line and the property.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};

use super::{RosterEntry, RosterErrors, RosterLineError, all_or_errors, local_to_utc, shift_from};

/// Reads a roster calendar, floating times in `zone`.
///
/// # Errors
/// [`RosterErrors`] for text that is not iCalendar, events without a start or
/// end, unknown TZIDs, and impossible periods; nothing is returned when there
/// is any problem.
pub fn parse(text: &str, zone: Tz) -> Result<Vec<RosterEntry>, RosterErrors> {
    let calendar: Calendar = text.parse().map_err(|e: String| RosterErrors {
        errors: vec![RosterLineError {
            line: 1,
            column: "VCALENDAR".into(),
            message: format!("not an iCalendar file: {}", e.lines().next().unwrap_or("")),
        }],
    })?;
    let begin_lines: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim().eq_ignore_ascii_case("BEGIN:VEVENT"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let events = calendar.components.iter().filter_map(|c| match c {
        CalendarComponent::Event(e) => Some(e),
        _ => None,
    });
    let rows = events.enumerate().filter_map(|(n, event)| {
        let line = begin_lines.get(n).copied().unwrap_or(0);
        let error = |column: &'static str| {
            move |message: String| RosterLineError {
                line,
                column: column.into(),
                message,
            }
        };
        let start = instant(event.get_start(), zone).map_err(error("DTSTART"));
        let end = instant(event.get_end(), zone).map_err(error("DTEND"));
        // All-day events (dates, not times) are not duties.
        if matches!(start, Ok(None)) || matches!(end, Ok(None)) {
            return None;
        }
        let required = |t: Result<Option<_>, RosterLineError>, column: &'static str| {
            t.and_then(|t| t.ok_or_else(|| error(column)("missing".into())))
        };
        let shift = shift_from(
            required(start, "DTSTART"),
            required(end, "DTEND"),
            line,
            "DTEND",
        );
        Some(shift.map(|shift| {
            RosterEntry {
                staff_id: event
                    .property_value("X-STAFF-ID")
                    .unwrap_or("")
                    .trim()
                    .to_string(),
                shift,
                team: event.property_value("X-TEAM").map(str::to_string),
                role: event.property_value("X-ROLE").map(str::to_string),
                activity: event
                    .property_value("CATEGORIES")
                    .or_else(|| event.get_summary())
                    .map(str::to_string),
                line,
            }
        }))
    });
    all_or_errors(rows)
}

/// `Ok(None)` for an all-day date (not a duty), an error for a missing value.
fn instant(value: Option<DatePerhapsTime>, zone: Tz) -> Result<Option<DateTime<Utc>>, String> {
    match value {
        None => Err("missing".into()),
        Some(DatePerhapsTime::Date(_)) => Ok(None),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => Ok(Some(t)),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Floating(local))) => {
            local_to_utc(local, zone).map(Some)
        }
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) => {
            let tz: Tz = tzid
                .parse()
                .map_err(|_| format!("TZID {tzid:?} is not an IANA time zone"))?;
            local_to_utc(date_time, tz).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const LONDON: Tz = chrono_tz::Europe::London;

    fn calendar(events: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n")
    }

    #[test]
    fn tzid_utc_and_floating_times_are_read() {
        let text = calendar(
            "BEGIN:VEVENT\r\nUID:1\r\nX-STAFF-ID:A1\r\nDTSTART;TZID=Europe/London:20250701T220000\r\nDTEND;TZID=Europe/London:20250702T070000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20250703T050000Z\r\nDTEND:20250703T130000Z\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:3\r\nDTSTART:20250704T060000\r\nDTEND:20250704T140000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:4\r\nSUMMARY:Rest day\r\nDTSTART;VALUE=DATE:20250705\r\nDTEND;VALUE=DATE:20250706\r\nEND:VEVENT\r\n",
        );
        let entries = parse(&text, LONDON).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].staff_id, "A1");
        assert_eq!(
            entries[0].shift.start(),
            Utc.with_ymd_and_hms(2025, 7, 1, 21, 0, 0).unwrap()
        );
        assert_eq!(
            entries[1].shift.start(),
            Utc.with_ymd_and_hms(2025, 7, 3, 5, 0, 0).unwrap()
        );
        assert_eq!(
            entries[2].shift.start(),
            Utc.with_ymd_and_hms(2025, 7, 4, 5, 0, 0).unwrap()
        );
        assert_eq!(entries[0].line, 4);
    }

    #[test]
    fn bad_events_name_their_line_and_property() {
        let text = calendar(
            "BEGIN:VEVENT\r\nUID:1\r\nDTSTART;TZID=Mars/Olympus:20250701T220000\r\nDTEND:20250702T070000Z\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20250703T130000Z\r\nDTEND:20250703T050000Z\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:3\r\nDTSTART:20250703T130000Z\r\nEND:VEVENT\r\n",
        );
        let errors = parse(&text, LONDON).unwrap_err().errors;
        assert_eq!(errors.len(), 3);
        assert_eq!((errors[0].line, errors[0].column.as_str()), (4, "DTSTART"));
        assert!(errors[0].message.contains("Mars/Olympus"));
        assert_eq!((errors[1].line, errors[1].column.as_str()), (9, "DTEND"));
        assert_eq!(errors[2].column, "DTEND");
    }

    #[test]
    fn text_that_is_not_a_calendar_is_refused() {
        assert!(parse("staff_id,start,end\n", LONDON).is_err());
    }
}
