//! Writes a sample report for a synthetic force of 600 people:
//! `cargo run -p analytics --example sample_report -- html > report.html`
//! (or `csv`, `json`).

use analytics::input::Period;
use analytics::render::{render_csv, render_html, render_json};
use analytics::report::{ReportRequest, build_report};
use analytics::synthetic::{SyntheticForce, generate};
use chrono::NaiveDate;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let format = std::env::args().nth(1).unwrap_or_else(|| "html".into());
    let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).ok_or("bad date");
    let people = generate(&SyntheticForce::new("Sampleshire", 600, day(1)?, 31, 7));
    let request = ReportRequest {
        force: "Sampleshire".into(),
        zone: "Europe/London".into(),
        period: Period::new(day(23)?, day(29)?)?,
        trend_periods: 2,
        limits: Default::default(),
        roster_horizon: None,
    };
    let report = build_report(&request, people)?;
    let out = match format.as_str() {
        "csv" => render_csv(&report)?,
        "json" => render_json(&report)?,
        _ => render_html(&report)?,
    };
    print!("{out}");
    Ok(())
}
