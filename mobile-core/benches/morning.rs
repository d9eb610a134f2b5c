//! Criterion benchmarks of wearable ingestion and the morning recovery score.
//!
//! `cargo bench -p mobile-core --bench morning`. Figures in `docs/wearables.md`.
//! - `ingest_year_export_xml`: one year of a person's Apple Health export
//!   (minute heart rate, sleep stages, SDNN, resting HR: ~530,000 records,
//!   ~190 MB) streamed through the export.xml reader from memory.
//! - `build_episodes_year`: that year's sleep stages into episodes.
//! - `morning_update`: what the phone library runs each morning
//!   ([`mobile_core::morning::update`] on the synthetic morning of
//!   [`mobile_core::morning::synthetic`]): read the night's HealthKit
//!   hand-off (1,440 heart-rate readings included), store it beside the
//!   stored week and rebuild the episodes, assess the roster, score the
//!   morning and queue its summary, forecast, select coaching, in one
//!   transaction on a store file. Each iteration starts from a fresh copy of
//!   the same store (the copy is not timed). Target: under 5 ms on a phone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use mobile_core::morning::synthetic::SyntheticMorning;
use mobile_core::store::Store;
use mobile_core::wearables::episodes::build_episodes;
use mobile_core::wearables::synthetic::write_export_xml;
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
    let m = SyntheticMorning::new().unwrap();
    let dir = std::env::temp_dir().join(format!("morning-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = dir.join("template.db");
    m.write_store(&template).unwrap();
    let run = dir.join("run.db");
    let fresh = || {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("run.db{suffix}")));
        }
        std::fs::copy(&template, &run).unwrap();
        Store::open(&run).unwrap()
    };
    let mut store = fresh();
    let update = m.update(&mut store).unwrap();
    assert!(
        update.recovery.score.score.is_some() && update.recovery.summary_queued,
        "the bench scores a real morning"
    );
    drop(store);
    c.bench_function("morning_update", |b| {
        b.iter_batched(
            fresh,
            |mut store| {
                let update = black_box(&m).update(&mut store).unwrap();
                // The store is closed after the timing, as the phone keeps it open.
                (store, update)
            },
            BatchSize::PerIteration,
        )
    });
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, morning, year);
criterion_main!(benches);
