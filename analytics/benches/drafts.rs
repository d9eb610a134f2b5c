//! Re-assessing a draft roster after one change (issue 20): a team of 30
//! officers, a 28-day draft, against the published roster with its 17
//! weeks of history (the 17-week average includes the draft's weeks).
//!
//! - `one_swap`: the draft is a copy of the published roster with one swap
//!   between two officers, so 30 published and 2 drafted rosters are
//!   assessed (an unchanged officer is assessed once).
//! - `every_officer_changed`: the worst case, a draft from a file that
//!   differs for every officer: 60 assessments.
//!
//! Target: under 300 ms. Run: `cargo bench -p analytics --bench drafts`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration as StdDuration;

use analytics::drafts::{OfficerRosters, compare, history_start};
use analytics::input::{Period, local_instant};
use chrono::{Duration, NaiveDate};
use chrono_tz::Europe::London;
use criterion::{Criterion, criterion_group, criterion_main};
use mobile_core::roster::limits::RosterLimits;
use models::Shift;

const OFFICERS: usize = 30;

/// A 2 days (07:00-17:00), 2 nights (19:00-07:00), 4 off cycle, each
/// officer starting on another day of it; `shift_by` hours moves every
/// duty (0 for the published roster).
fn roster(officer: usize, from: NaiveDate, to: NaiveDate, shift_by: i64) -> Vec<Shift> {
    let mut out = Vec::new();
    let mut day = from;
    let mut i = officer % 8;
    while day <= to {
        let (start, hours) = match i % 8 {
            0 | 1 => (7, 10),
            2 | 3 => (19, 12),
            _ => (0, 0),
        };
        if hours > 0 {
            let s = local_instant(London, day, start) + Duration::hours(shift_by);
            out.push(Shift::new(s, s + Duration::hours(hours)).unwrap());
        }
        day += Duration::days(1);
        i += 1;
    }
    out
}

fn team(period: &Period, every_officer_changed: bool) -> Vec<OfficerRosters> {
    let first = history_start(period);
    let (from, to) = period.instants(London);
    let mut officers: Vec<OfficerRosters> = (0..OFFICERS)
        .map(|o| {
            let published = roster(o, first, period.to, 0);
            let draft = if every_officer_changed {
                roster(o, period.from, period.to, 1)
            } else {
                published
                    .iter()
                    .filter(|s| s.start() >= from && s.start() < to)
                    .copied()
                    .collect()
            };
            OfficerRosters {
                staff_number: format!("bench-{o:03}"),
                published,
                draft,
                absences: Vec::new(),
            }
        })
        .collect();
    if !every_officer_changed {
        // One change: officer 0's first day shift and officer 2's first
        // night swap.
        let a = officers[0].draft.remove(0);
        let b = officers[2].draft.remove(0);
        officers[0].draft.push(b);
        officers[2].draft.push(a);
    }
    officers
}

fn drafts(c: &mut Criterion) {
    let period = Period::new(
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(),
    )
    .unwrap();
    let limits = RosterLimits::default();
    let mut g = c.benchmark_group("draft_30_officers_28_days");
    g.sample_size(10)
        .measurement_time(StdDuration::from_secs(10));
    for (name, all) in [("one_swap", false), ("every_officer_changed", true)] {
        let officers = team(&period, all);
        let r = compare("Europe/London", &limits, &period, &officers).unwrap();
        assert_eq!(r.officers.len(), OFFICERS);
        assert_eq!(r.assessments, if all { 60 } else { 32 });
        g.bench_function(name, |b| {
            b.iter(|| compare("Europe/London", &limits, &period, black_box(&officers)).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, drafts);
criterion_main!(benches);
