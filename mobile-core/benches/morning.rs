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

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use criterion::{Criterion, criterion_group, criterion_main};
use mobile_core::LocalClock;
use mobile_core::model::three_process::TpmParams;
use mobile_core::recovery::{History, next_shift_outlook, score_morning};
use mobile_core::wearables::episodes::build_episodes;
use mobile_core::wearables::synthetic::{Rng, day, healthkit_json, write_export_xml};
use mobile_core::wearables::{Format, Ingest, IngestOptions, SampleValue, ingest};
use models::Shift;

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
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut rng = Rng::new(11);
    let days: Vec<_> = (0..9)
        .map(|d| day(first + Duration::days(d), &mut rng))
        .collect();
    // The stored week: the first 8 days, already imported.
    let mut stored = Ingest::new(options());
    for d in &days[..8] {
        stored
            .read(Format::HealthKitJson, healthkit_json(d).as_bytes())
            .unwrap();
    }
    let stored = stored.finish().samples;
    let tonight = healthkit_json(&days[8]);
    let today = first + Duration::days(8);
    let clock = LocalClock::from_name("Europe/London").unwrap();
    let shift_start = Utc.from_utc_datetime(&today.and_hms_opt(19, 0, 0).unwrap());
    let shift = Shift::new(shift_start, shift_start + Duration::hours(10)).unwrap();
    let params = TpmParams::default();

    c.bench_function("morning_update", |b| {
        b.iter(|| {
            let mut sink = Ingest::new(options());
            sink.remember(&stored);
            sink.read(Format::HealthKitJson, black_box(tonight.as_bytes()))
                .unwrap();
            let new = sink.finish();
            let mut samples = stored.clone();
            samples.extend(new.samples);
            let episodes = build_episodes(&samples).episodes;
            let sleeps: Vec<_> = episodes.iter().filter_map(|e| e.period().ok()).collect();
            let outlook = next_shift_outlook(&params, &sleeps, &shift, &clock).unwrap();
            let history = History::new(episodes, &samples, 8.0).unwrap();
            score_morning(&history, today, Some(&outlook))
        })
    });
    // Sanity: the benchmark scores a real morning.
    let samples: Vec<_> = stored.clone();
    let h = History::new(build_episodes(&samples).episodes, &samples, 8.0).unwrap();
    assert!(
        samples
            .iter()
            .any(|s| matches!(s.value, SampleValue::Hrv { .. }))
    );
    let _ = score_morning(&h, today - Duration::days(1), None);
}

criterion_group!(benches, morning, year);
criterion_main!(benches);
