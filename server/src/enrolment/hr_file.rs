//! The force's HR file (docs/onboarding.md): reading and checking it, and
//! the QR codes of the printable sheet. No database: the service resolves
//! team names and applies the rows.
//!
//! CSV with a header naming, in any order, `staff_number`, `employment_type`,
//! `team`, `status` and optionally `function` and `email`. `status` is
//! `joiner` (in post: record their type, team and function, and issue a code
//! unless they have enrolled) or `leaver` (close their account). A leavers
//! file is the same format with only `leaver` rows, whose other columns may
//! be empty. Every problem is named by line and column (the header is line
//! 1), and a file with any problem yields no rows.

use std::collections::HashMap;

use mobile_core::roster::RosterLineError;
use models::staff::{EmploymentType, PolicingFunction};

/// Columns every HR file has.
pub const REQUIRED: [&str; 4] = ["staff_number", "employment_type", "team", "status"];
/// Columns an HR file may have.
pub const OPTIONAL: [&str; 2] = ["function", "email"];
/// Most rows one file may carry: a large force's whole establishment.
pub const MAX_ROWS: usize = 50_000;

/// What a row asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HrChange {
    /// In post: their record, team membership and, unless enrolled, a code.
    Joiner {
        /// Employment type.
        employment_type: EmploymentType,
        /// The team's name, as the force named it on the platform.
        team: String,
        /// Their own function, when the file gives one.
        function: Option<PolicingFunction>,
        /// Where to send their code; used once and never stored.
        email: Option<String>,
    },
    /// Left the force: their account is closed.
    Leaver,
}

/// One checked row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HrRow {
    /// The line it came from (the header is line 1).
    pub line: u64,
    /// Staff number, as rosters and teams write it.
    pub staff_number: String,
    /// Joiner or leaver.
    pub change: HrChange,
}

/// Reads and checks an HR file.
///
/// # Errors
/// Every problem, in line order: a missing column, an unknown status,
/// employment type or function, a blank or over-long staff number, a staff
/// number given twice, a joiner without a team, an address that is not one,
/// a malformed line, more than [`MAX_ROWS`] rows.
pub fn parse(text: &str) -> Result<Vec<HrRow>, Vec<RosterLineError>> {
    let problem = |line: u64, column: &str, message: String| RosterLineError {
        line,
        column: column.to_owned(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| vec![problem(1, "header", format!("cannot read the header: {e}"))])?
        .clone();
    let position = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let missing: Vec<RosterLineError> = REQUIRED
        .iter()
        .filter(|n| position(n).is_none())
        .map(|n| {
            problem(
                1,
                n,
                format!(
                    "the header has no {n:?} column; expected staff_number,employment_type,team,status[,function,email], found {:?}",
                    headers.iter().collect::<Vec<_>>()
                ),
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let [staff, employment, team, status] = REQUIRED.map(|n| position(n).unwrap_or(0));
    let [function, email] = OPTIONAL.map(position);

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(problem(line, "row", format!("malformed CSV: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() + errors.len() >= MAX_ROWS {
            errors.push(problem(
                line,
                "row",
                format!("a file holds at most {MAX_ROWS} people; split it"),
            ));
            break;
        }
        let text = |col: usize| record.get(col).unwrap_or("").to_owned();
        let optional = |col: Option<usize>| col.map(text).filter(|s| !s.is_empty());
        let before = errors.len();
        let staff_number = text(staff);
        if crate::accounts::service::check_staff_number(&staff_number).is_err() {
            errors.push(problem(
                line,
                "staff_number",
                "a staff number of 1 to 64 characters is needed".to_owned(),
            ));
        } else if let Some(first) = seen.insert(staff_number.clone(), line) {
            errors.push(problem(
                line,
                "staff_number",
                format!("{staff_number:?} is also on line {first}: one row per person"),
            ));
        }
        let change = match text(status).to_ascii_lowercase().as_str() {
            "leaver" => Some(HrChange::Leaver),
            "joiner" => {
                let kind = EmploymentType::parse(&text(employment));
                if kind.is_none() {
                    let names: Vec<&str> = EmploymentType::ALL.iter().map(|t| t.as_str()).collect();
                    errors.push(problem(
                        line,
                        "employment_type",
                        format!("{:?} is not one of {}", text(employment), names.join(", ")),
                    ));
                }
                let team_name = text(team);
                if team_name.is_empty() {
                    errors.push(problem(line, "team", "a joiner needs a team".to_owned()));
                }
                let own = optional(function);
                let parsed = own.as_deref().map(PolicingFunction::parse);
                if let Some(None) = parsed {
                    let names: Vec<&str> =
                        PolicingFunction::ALL.iter().map(|f| f.as_str()).collect();
                    errors.push(problem(
                        line,
                        "function",
                        format!(
                            "{:?} is not one of {} (or leave it empty)",
                            own.unwrap_or_default(),
                            names.join(", ")
                        ),
                    ));
                }
                let address = optional(email);
                if address
                    .as_deref()
                    .is_some_and(|a| !crate::mail::valid_address(a))
                {
                    // The address itself is not repeated: errors are shown
                    // and may be logged, and the address is personal data.
                    errors.push(problem(
                        line,
                        "email",
                        "not an email address (or leave it empty)".to_owned(),
                    ));
                }
                kind.map(|employment_type| HrChange::Joiner {
                    employment_type,
                    team: team_name,
                    function: parsed.flatten(),
                    email: address,
                })
            }
            other => {
                errors.push(problem(
                    line,
                    "status",
                    format!("{other:?} is neither joiner nor leaver"),
                ));
                None
            }
        };
        if errors.len() == before
            && let Some(change) = change
        {
            rows.push(HrRow {
                line,
                staff_number,
                change,
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// What a code's QR code holds: the force and the code, as a URI the app
/// reads when it scans it (`fatigue-enrol:?force=SLUG&code=CODE`; codes and
/// slugs are URL-safe, so nothing needs escaping).
pub fn qr_payload(force_slug: &str, code: &str) -> String {
    format!("fatigue-enrol:?force={force_slug}&code={code}")
}

/// Modules of white margin around a QR code (the standard's quiet zone).
const QUIET_ZONE: usize = 4;

/// `text` as a QR code (the `qrcode` crate's encoding, error correction
/// level M), an inline `<svg>` element `pixels` square, black on white. The
/// path is drawn here from the module matrix, one rectangle per horizontal
/// run of dark modules: about a third of the size of the crate's SVG
/// renderer, which writes one per module (a thousand codes on one sheet).
///
/// # Errors
/// Text too long for a QR code (never a code's payload: about 70 bytes).
pub fn qr_svg(text: &str, pixels: u32) -> Result<String, qrcode::types::QrError> {
    use std::fmt::Write;
    let code = qrcode::QrCode::new(text.as_bytes())?;
    let width = code.width();
    let dark: Vec<bool> = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    let size = width + 2 * QUIET_ZONE;
    let mut path = String::with_capacity(width * width * 2);
    for (y, row) in dark.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if !row[x] {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] {
                x += 1;
            }
            // Writing to a String cannot fail.
            let _ = write!(
                path,
                "M{} {}h{}v1h-{}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE,
                x - start,
                x - start
            );
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"{pixels}\" \
         height=\"{pixels}\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joiners_and_leavers_are_read_in_any_column_order() {
        let text = "status,staff_number,team,employment_type,function,email\n\
            joiner,S1,Response A,Police officer,,s1@example.police.uk\n\
            joiner,S2,Control,police_staff,control room,\n\
            leaver,S3,,,,\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].line, 2);
        assert_eq!(
            rows[0].change,
            HrChange::Joiner {
                employment_type: EmploymentType::PoliceOfficer,
                team: "Response A".into(),
                function: None,
                email: Some("s1@example.police.uk".into()),
            }
        );
        assert!(matches!(
            rows[1].change,
            HrChange::Joiner {
                employment_type: EmploymentType::PoliceStaff,
                function: Some(PolicingFunction::ControlRoom),
                email: None,
                ..
            }
        ));
        assert_eq!(rows[2].change, HrChange::Leaver);
        assert_eq!(rows[2].staff_number, "S3");
    }

    #[test]
    fn every_bad_row_is_named_by_line_and_column() {
        // Line 1 header; 2 good; 3 bad type; 4 bad status; 5 repeats S1;
        // 6 no team and a bad address; 7 bad function.
        let text = "staff_number,employment_type,team,status,function,email\n\
            S1,volunteer,T,joiner,,\n\
            S2,constable,T,joiner,,\n\
            S3,volunteer,T,mover,,\n\
            S1,volunteer,T,joiner,,\n\
            S4,volunteer,,joiner,,not-an-address\n\
            S5,volunteer,T,joiner,astronauts,\n";
        let errors = parse(text).unwrap_err();
        let at: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            at,
            [
                (3, "employment_type"),
                (4, "status"),
                (5, "staff_number"),
                (6, "team"),
                (6, "email"),
                (7, "function"),
            ]
        );
        assert!(
            errors[2].message.contains("line 2"),
            "{}",
            errors[2].message
        );
        // The bad address is not echoed back.
        assert!(!errors[4].message.contains("not-an-address"));
    }

    #[test]
    fn a_header_without_a_required_column_is_line_one() {
        let errors = parse("staff_number,team,status\nS1,T,joiner\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].line, errors[0].column.as_str()),
            (1, "employment_type")
        );
    }

    #[test]
    fn qr_codes_are_inline_svg() {
        let svg = qr_svg(&qr_payload("north", "abcDEF123_-x"), 120).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<path"));
        // Version 4 (33 modules) plus the quiet zone on both sides.
        assert!(svg.contains("viewBox=\"0 0 41 41\""), "{}", &svg[..120]);
        // The same text always draws the same code (the e2e test relies on it).
        assert_eq!(
            svg,
            qr_svg(&qr_payload("north", "abcDEF123_-x"), 120).unwrap()
        );
    }
}
