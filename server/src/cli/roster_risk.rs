//! `server roster-risk`: per-shift risk of a roster file, as a table, CSV or JSON.

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use mobile_core::LocalClock;
use mobile_core::roster::assess::{AssessmentParams, RosterAssessment, assess_roster};
use mobile_core::roster::{
    RosterEntry, RosterErrors, csv_format, icalendar_format, shifts_by_person,
};
use serde::Serialize;

/// Output formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

/// Arguments of `server roster-risk`.
#[derive(Debug, clap::Args)]
pub struct RosterRiskArgs {
    /// Roster file: CSV (`staff_id,start,end[,team,role,activity]`) or iCalendar (.ics).
    #[arg(long)]
    roster: PathBuf,
    /// IANA zone that local roster times are read in.
    #[arg(long, default_value = "Europe/London")]
    tz: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// One person's assessment, as printed in JSON.
#[derive(Debug, Serialize)]
struct PersonRisk {
    staff_id: String,
    #[serde(flatten)]
    assessment: RosterAssessment,
}

/// Reads a roster file, CSV or iCalendar by content.
pub fn read_roster(path: &PathBuf, clock: &LocalClock) -> anyhow::Result<Vec<RosterEntry>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let parsed = if text
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("BEGIN:VCALENDAR")
    {
        icalendar_format::parse(&text, clock.zone())
    } else {
        csv_format::parse(text.as_bytes(), clock.zone())
    };
    parsed.map_err(|RosterErrors { errors }| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {e}", path.display()))
            .collect();
        anyhow!(
            "{} problem(s) in the roster, nothing was read:\n{}",
            errors.len(),
            lines.join("\n")
        )
    })
}

/// Runs `server roster-risk`.
pub fn run(args: &RosterRiskArgs) -> anyhow::Result<()> {
    let clock = LocalClock::from_name(&args.tz)?;
    let entries = read_roster(&args.roster, &clock)?;
    let params = AssessmentParams::default();
    let people = shifts_by_person(&entries)
        .into_iter()
        .map(|(staff_id, shifts)| {
            Ok(PersonRisk {
                assessment: assess_roster(&shifts, &[], &[], &clock, &params)?,
                staff_id,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&people)? + "\n",
        Format::Csv => csv_text(&people)?,
        Format::Table => table_text(&people),
    };
    print!("{text}");
    Ok(())
}

fn flags_text(a: &mobile_core::roster::assess::ShiftAssessment) -> String {
    a.flags
        .iter()
        .map(|f| {
            format!(
                "{}({})",
                f.code,
                if f.severity == mobile_core::roster::assess::Severity::Red {
                    "red"
                } else {
                    "amber"
                }
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn csv_text(people: &[PersonRisk]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "staff_id",
        "start",
        "end",
        "type",
        "night",
        "hours",
        "fatigue_index",
        "fatigue_index_threshold",
        "hri_mean",
        "hri_peak",
        "kss_at_end",
        "sleep_before_hours",
        "sleep_basis",
        "flags",
        "roster_risk_index",
    ])?;
    for p in people {
        let ri = p
            .assessment
            .risk_index
            .map(|r| format!("{r:.3}"))
            .unwrap_or_default();
        for s in &p.assessment.shifts {
            w.write_record([
                p.staff_id.clone(),
                s.start.to_rfc3339(),
                s.end.to_rfc3339(),
                s.shift_type.as_str().to_string(),
                s.night.to_string(),
                format!("{:.2}", s.hours),
                format!("{:.1}", s.fatigue_index),
                format!("{:.0}", s.fatigue_index_threshold),
                format!("{:.3}", s.hri_mean),
                format!("{:.3}", s.hri_peak),
                format!("{:.2}", s.kss_at_end),
                format!("{:.2}", s.sleep_before_hours),
                format!("{:?}", s.sleep_basis).to_lowercase(),
                flags_text(s),
                ri.clone(),
            ])?;
        }
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn table_text(people: &[PersonRisk]) -> String {
    let mut out = String::new();
    for p in people {
        let who = if p.staff_id.is_empty() {
            "Roster".to_string()
        } else {
            format!("Staff {}", p.staff_id)
        };
        out += &format!("{who} (times in {})\n", p.assessment.zone);
        out += &format!(
            "{:<17} {:<17} {:<6} {:>6} {:>5} {:>8} {:>8} {:>6} {:<9} flags\n",
            "start", "end", "type", "FI", "limit", "HRI mean", "HRI peak", "sleep", "basis"
        );
        for s in &p.assessment.shifts {
            out += &format!(
                "{:<17} {:<17} {:<6} {:>6.1} {:>5.0} {:>8.3} {:>8.3} {:>5.1}h {:<9} {}\n",
                s.start.format("%a %d %b %H:%M"),
                s.end.format("%a %d %b %H:%M"),
                s.shift_type.as_str(),
                s.fatigue_index,
                s.fatigue_index_threshold,
                s.hri_mean,
                s.hri_peak,
                s.sleep_before_hours,
                format!("{:?}", s.sleep_basis).to_lowercase(),
                flags_text(s),
            );
        }
        match p.assessment.risk_index {
            Some(ri) => {
                out += &format!(
                    "Risk Index {ri:.2} (guidance threshold {:.1}{})\n\n",
                    p.assessment.risk_index_threshold,
                    if ri >= p.assessment.risk_index_threshold {
                        ": OVER"
                    } else {
                        ""
                    }
                )
            }
            None => out += "No shifts.\n\n",
        }
    }
    out
}
