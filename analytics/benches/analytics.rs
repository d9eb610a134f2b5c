//! Timed runs at full size (a plain binary: criterion's repeated sampling
//! would take many minutes for a 60-second target).
//!
//! `cargo bench -p analytics --bench analytics` runs both;
//! `... -- report` or `... -- cohorts` runs one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use analytics::cohorts::{CohortRequest, run_cohorts};
use analytics::input::Period;
use analytics::render::{render_csv, render_html, render_json};
use analytics::report::{ReportRequest, build_report};
use analytics::synthetic::{SyntheticForce, generate};
use chrono::NaiveDate;

fn report() {
    // A week's report with a 4-week trend: 5 weeks of rosters and summaries,
    // plus 8 days before for quick returns and runs at the start.
    let first = NaiveDate::from_ymd_opt(2026, 1, 24).unwrap();
    let t = Instant::now();
    let people = generate(&SyntheticForce::new("Largeshire", 35_000, first, 43, 1));
    let shifts: usize = people.iter().map(|p| p.shifts.len()).sum();
    let summaries: usize = people.iter().map(|p| p.summaries.len()).sum();
    println!(
        "report: generated 35000 people, {shifts} shifts, {summaries} summaries in {:.2?}",
        t.elapsed()
    );
    let request = ReportRequest {
        force: "Largeshire".into(),
        zone: "Europe/London".into(),
        period: Period::new(
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
        )
        .unwrap(),
        trend_periods: 4,
        limits: Default::default(),
        roster_horizon: None,
    };
    let t = Instant::now();
    let r = build_report(&request, people).unwrap();
    let built = t.elapsed();
    let t = Instant::now();
    let html = render_html(&r).unwrap();
    let csv = render_csv(&r).unwrap();
    let json = render_json(&r).unwrap();
    println!(
        "report: build {built:.2?} (with 4 trend weeks), render html+csv+json {:.2?} ({} / {} / {} bytes), {} rows per table",
        t.elapsed(),
        html.len(),
        csv.len(),
        json.len(),
        r.tables.first().map_or(0, |t| t.rows.len())
    );
}

fn cohorts() {
    let first = NaiveDate::from_ymd_opt(2025, 12, 24).unwrap();
    let t = Instant::now();
    let people: Vec<_> = (0..4)
        .flat_map(|f| {
            generate(&SyntheticForce::new(
                &format!("Force{f}"),
                30_000,
                first,
                98,
                10 + f,
            ))
        })
        .collect();
    let shifts: usize = people.iter().map(|p| p.shifts.len()).sum();
    let summaries: usize = people.iter().map(|p| p.summaries.len()).sum();
    println!(
        "cohorts: generated 120000 people, {shifts} shifts, {summaries} summaries in {:.2?}",
        t.elapsed()
    );
    let period = Period::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    )
    .unwrap();
    let request = CohortRequest::new(period, 2026);
    if std::env::args().any(|a| a == "phases") {
        phases(&request, &people);
    }
    let t = Instant::now();
    let run = run_cohorts(&request, people).unwrap();
    println!(
        "cohorts: run {:.2?}: {} people, k = {} (silhouettes {:?}), {} cohorts, {} merged",
        t.elapsed(),
        run.meta.people_clustered,
        run.meta.chosen_k,
        run.meta.silhouettes,
        run.cohorts.len(),
        run.meta.merged
    );
}

/// Times each step of a cohort run on its own (for profiling).
fn phases(request: &CohortRequest, people: &[analytics::input::PersonRecords]) {
    let t = Instant::now();
    let mut rejections = analytics::input::Rejections::new();
    let cleaned = analytics::input::clean_all(people.to_vec(), &mut rejections);
    println!("  phase clean (incl. clone): {:.2?}", t.elapsed());
    let t = Instant::now();
    let zone = analytics::input::parse_zone(&request.zone).unwrap();
    let f = analytics::cohorts::features(&cleaned, &request.period, zone);
    println!("  phase features: {:.2?}", t.elapsed());
    let t = Instant::now();
    let z = analytics::cohorts::standardise(&f.raw);
    println!("  phase standardise: {:.2?}", t.elapsed());
    let t = Instant::now();
    let s = analytics::cohorts::silhouettes(&z, request).unwrap();
    println!("  phase choose k on the sample: {:.2?} {s:?}", t.elapsed());
    let t = Instant::now();
    let sums: Vec<_> = cleaned
        .iter()
        .map(|p| analytics::cohorts::PersonSums::from_records(p, &request.period, zone))
        .collect();
    let c = analytics::comparisons::compare(request.period, &sums);
    println!(
        "  phase comparisons (sums, then the 3 views as one suppression problem): {:.2?}, {} rows",
        t.elapsed(),
        c.tables.iter().map(|t| t.rows.len()).sum::<usize>()
    );
}

fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let all = which.is_empty();
    if all || which.iter().any(|w| w == "report") {
        report();
    }
    if all || which.iter().any(|w| w == "cohorts") {
        cohorts();
    }
}
