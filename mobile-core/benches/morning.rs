//! Criterion benchmarks of wearable ingestion and the morning recovery score.
//!
//! `cargo bench -p mobile-core --bench morning`. Figures in `docs/wearables.md`.
//! - `ingest_year_export_xml`: one year of a person's Apple Health export
//!   (minute heart rate, sleep stages, SDNN, resting HR: ~530,000 records,
//!   ~190 MB) streamed through the export.xml reader from memory.
//! - `build_episodes_year`: that year's sleep stages into episodes.
//! - `morning_update`: what the phone does each morning: ingest the night's
//!   HealthKit hand-off (1,440 heart-rate readings included) against the
//!   stored last week, rebuild the week's episodes, run the engine for the
//!   next shift and score the morning. Target: under 5 ms on a phone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use criterion::{Criterion, criterion_group, criterion_main};
use mobile_core::wearables::episodes::build_episodes;
use mobile_core::wearables::synthetic::{Morning, write_export_xml};
use mobile_core::wearables::{Format, IngestOptions, ingest};

fn options() -> IngestOptions {
    IngestOptions {
        now: Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(),
        zone: Tz::Europe__London,
    }
}

fn year(c: &mut Criterion) {
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut xml = Vec::new();
    write_export_xml(&mut xml, first, 365, 7).unwrap();
    let mut group = c.benchmark_group("year");
    group.sample_size(10);
    group.bench_function("ingest_year_export_xml", |b| {
        b.iter(|| ingest(Format::AppleExportXml, black_box(&xml[..]), options()).unwrap())
    });
    let report = ingest(Format::AppleExportXml, &xml[..], options()).unwrap();
    assert!(report.accepted > 500_000 && report.rejected_count == 0);
    group.bench_function("build_episodes_year", |b| {
        b.iter(|| build_episodes(black_box(&report.samples)))
    });
    group.finish();
}

fn morning(c: &mut Criterion) {
    let m = Morning::new().unwrap();
    let score = m.update().unwrap();
    assert!(score.score.is_some(), "the bench scores a real morning");
    c.bench_function("morning_update", |b| {
        b.iter(|| black_box(&m).update().unwrap())
    });
}

criterion_group!(benches, morning, year);
criterion_main!(benches);
