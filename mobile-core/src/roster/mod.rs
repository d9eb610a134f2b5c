//! Rosters: reading them, the sleep they imply, and the risk of each shift.
//!
//! One file format is shared by the operator CLI and the server
//! (`docs/rosters.md`): CSV with `staff_id,start,end` and optional
//! `team,role,activity` ([`csv_format`]), or iCalendar VEVENTs
//! ([`icalendar_format`]). [`predict`] turns a roster into the sleep a person
//! would likely get (a documented heuristic, replaced by recorded sleep where
//! it exists) and [`assess`] gives each shift its Fatigue Index, hourly risk
//! and flags, and the roster its Risk Index.

pub mod assess;
pub mod csv_format;
pub mod icalendar_format;
pub mod limits;
pub mod predict;
pub mod synthetic;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use models::Shift;
use serde::{Deserialize, Serialize};

/// One rostered duty for one person, as read from a roster file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterEntry {
    /// The force's staff identifier (may be empty in a one-person file).
    pub staff_id: String,
    /// The duty period.
    pub shift: Shift,
    /// Team, if the file gives one.
    pub team: Option<String>,
    /// Role (e.g. response, CID, control room), if given.
    pub role: Option<String>,
    /// Activity label, if given (rest days and leave are not read as duties).
    pub activity: Option<String>,
    /// The line (CSV) or the VEVENT's first line (iCalendar) it came from.
    pub line: u64,
}

/// A problem at one place in a roster file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct RosterLineError {
    /// 1-based line number.
    pub line: u64,
    /// The column (CSV header name, or iCalendar property) at fault.
    pub column: String,
    /// What is wrong, and what is expected.
    pub message: String,
}

/// Every problem found in a roster file; nothing is taken from a file with any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{} problem(s) in the roster; first: {}", .errors.len(), .errors.first().map(|e| e.to_string()).unwrap_or_default())]
pub struct RosterErrors {
    /// The problems, in file order.
    pub errors: Vec<RosterLineError>,
}

/// A shift from a row's parsed start and end; a period refused by
/// validation (end not after start, over 24 h) is blamed on `end_column`.
pub(crate) fn shift_from(
    start: Result<DateTime<Utc>, RosterLineError>,
    end: Result<DateTime<Utc>, RosterLineError>,
    line: u64,
    end_column: &str,
) -> Result<Shift, RosterLineError> {
    Shift::new(start?, end?).map_err(|e| RosterLineError {
        line,
        column: end_column.to_string(),
        message: e.to_string(),
    })
}

/// The entries when every row was good, else every problem (nothing is
/// taken from a file with any problem).
pub(crate) fn all_or_errors(
    rows: impl IntoIterator<Item = Result<RosterEntry, RosterLineError>>,
) -> Result<Vec<RosterEntry>, RosterErrors> {
    let (mut entries, mut errors) = (Vec::new(), Vec::new());
    for row in rows {
        match row {
            Ok(e) => entries.push(e),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(RosterErrors { errors })
    }
}

/// Why a rostered day is an absence that working-time averages make up for
/// (WTR reg. 4(6): "annual leave, sickness or maternity/paternity leave";
/// frm-indicators #6). Only the category is kept, never the detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceCategory {
    /// Annual leave.
    Leave,
    /// Sickness absence.
    Sickness,
    /// Maternity, paternity, adoption, shared parental or parental leave.
    Parental,
}

impl AbsenceCategory {
    /// The activity labels read as each category (compared
    /// case-insensitively, spaces and hyphens as underscores;
    /// `docs/rosters.md`). The list plus the spellings force exports
    /// use for the same statutory absences (`annual leave`, `sick leave`,
    /// `adoption`, `shared_parental_leave`).
    pub const LABELS: [(&'static str, AbsenceCategory); 12] = [
        ("leave", AbsenceCategory::Leave),
        ("annual_leave", AbsenceCategory::Leave),
        ("sick", AbsenceCategory::Sickness),
        ("sickness", AbsenceCategory::Sickness),
        ("sick_leave", AbsenceCategory::Sickness),
        ("maternity", AbsenceCategory::Parental),
        ("maternity_leave", AbsenceCategory::Parental),
        ("paternity", AbsenceCategory::Parental),
        ("paternity_leave", AbsenceCategory::Parental),
        ("parental_leave", AbsenceCategory::Parental),
        ("shared_parental_leave", AbsenceCategory::Parental),
        ("adoption", AbsenceCategory::Parental),
    ];

    /// The category an activity label marks, if it marks one.
    pub fn from_activity(activity: Option<&str>) -> Option<Self> {
        let label = normalise(activity?);
        Self::LABELS
            .iter()
            .find(|(l, _)| *l == label)
            .map(|&(_, c)| c)
    }

    /// Lower-case name, as stored and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AbsenceCategory::Leave => "leave",
            AbsenceCategory::Sickness => "sickness",
            AbsenceCategory::Parental => "parental",
        }
    }

    /// The category named by [`Self::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Leave, Self::Sickness, Self::Parental]
            .into_iter()
            .find(|c| c.as_str() == name)
    }
}

/// An activity label compared as the rules compare it: trimmed, lower case,
/// spaces and hyphens read as underscores.
fn normalise(activity: &str) -> String {
    activity
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

/// Activity labels that mark a rest day (leave and sickness are not rest
/// days): a duty later put on one is a rest day worked (frm-indicators #10,
/// #11).
pub const REST_DAY_ACTIVITIES: [&str; 3] = ["rest", "rest_day", "off"];

/// True when an activity label marks a row that is not a duty: a rest day
/// ([`REST_DAY_ACTIVITIES`]) or an absence ([`AbsenceCategory::LABELS`]).
pub fn is_non_duty(activity: Option<&str>) -> bool {
    is_rest_day(activity) || AbsenceCategory::from_activity(activity).is_some()
}

/// True when an activity label marks a rest day ([`REST_DAY_ACTIVITIES`],
/// compared as [`normalise`] reads it).
pub fn is_rest_day(activity: Option<&str>) -> bool {
    activity.is_some_and(|a| REST_DAY_ACTIVITIES.contains(&normalise(a).as_str()))
}

/// True when an activity label marks a duty: empty, or anything that is not
/// a rest day or an absence ([`is_non_duty`]).
pub fn is_duty(activity: Option<&str>) -> bool {
    !is_non_duty(activity)
}

/// Groups entries by staff id, each person's duties sorted by start.
pub fn shifts_by_person(entries: &[RosterEntry]) -> Vec<(String, Vec<Shift>)> {
    let mut people: std::collections::BTreeMap<&str, Vec<Shift>> = Default::default();
    for e in entries.iter().filter(|e| is_duty(e.activity.as_deref())) {
        people.entry(e.staff_id.as_str()).or_default().push(e.shift);
    }
    people
        .into_iter()
        .map(|(id, mut shifts)| {
            shifts.sort();
            (id.to_string(), shifts)
        })
        .collect()
}

/// Reads a roster time: RFC 3339 with an offset, or local `YYYY-MM-DDTHH:MM`
/// (seconds optional) in `zone`. A local time that falls in a DST gap is an
/// error; one that occurs twice (clocks going back) is read as the earlier.
pub(crate) fn parse_roster_time(text: &str, zone: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .ok_or_else(|| {
        format!(
            "{text:?} is not a time: use RFC 3339 (2025-03-01T07:00:00Z) or local YYYY-MM-DDTHH:MM"
        )
    })?;
    local_to_utc(local, zone)
}

/// A local wall-clock time in `zone` as a UTC instant (earlier of two on a
/// repeated hour; an error in a DST gap).
pub(crate) fn local_to_utc(local: NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>, String> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Ok(earlier.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "{local} does not exist in {zone} (the clocks go forward then)"
        )),
    }
}

#[cfg(test)]
mod activity_tests {
    use super::*;

    #[test]
    fn rest_days_are_non_duties_and_leave_is_not_a_rest_day() {
        for a in ["rest", "Rest Day", " OFF ", "rest_day"] {
            assert!(is_rest_day(Some(a)), "{a}");
            assert!(!is_duty(Some(a)), "{a}");
        }
        for a in [
            "leave",
            "sick",
            "annual_leave",
            "Parental Leave",
            "maternity",
        ] {
            assert!(!is_rest_day(Some(a)), "{a}");
            assert!(!is_duty(Some(a)), "{a}");
        }
        assert!(is_duty(Some("early")));
        assert!(is_duty(None));
        assert!(!is_rest_day(None));
        assert!(!is_rest_day(Some("early")));
    }

    #[test]
    fn absences_keep_only_their_category() {
        use AbsenceCategory::*;
        for (label, want) in [
            ("leave", Leave),
            ("Annual Leave", Leave),
            ("SICK", Sickness),
            ("sickness", Sickness),
            ("maternity", Parental),
            ("paternity", Parental),
            ("parental-leave", Parental),
        ] {
            assert_eq!(
                AbsenceCategory::from_activity(Some(label)),
                Some(want),
                "{label}"
            );
        }
        for label in ["rest", "off", "training", "court", ""] {
            assert_eq!(AbsenceCategory::from_activity(Some(label)), None, "{label}");
        }
        for c in [Leave, Sickness, Parental] {
            assert_eq!(AbsenceCategory::parse(c.as_str()), Some(c));
        }
    }
}
