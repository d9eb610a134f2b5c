//! Criterion benchmarks of the fatigue models.
//!
//! - `tpm_90_days`, `unified_90_days`, `both_90_days`: the series the
//!   published R implementation was timed on (CONTRACTS.md): 90 nights of
//!   23:00–07:00 UTC sleep from 2025-01-01, from 12 hours before the first
//!   sleep to 10 hours after the last, 5-minute epochs: 25,993 epochs.
//! - `tpm_90_days_shift_worker`: the same span over a shift worker's sleep
//!   (4 days, 4 nights, 4 off, predicted from the roster), in Europe/London.
//! - `tpm_one_night_update`: the phone's nightly update, resuming from a
//!   saved state over the next 24 hours with one new sleep.
//!
//! Run: `cargo bench -p mobile-core --bench models`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use mobile_core::model::three_process::{ThreeProcessModel, TpmParams};
use mobile_core::model::unified::{UnifiedModel, UnifiedParams};
use mobile_core::roster::predict::{SleepRules, predict_sleep};
use mobile_core::roster::synthetic::{Variation, person_roster};
use mobile_core::simulation::{FipsModels, resume, simulate};
use mobile_core::synthetic::Rng;
use mobile_core::{EpochGrid, LocalClock, ModelParams};
use models::{Shift, SleepPeriod};

fn at(d: i64, h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap() + Duration::days(d) + Duration::hours(h)
}

fn published_series() -> (Vec<SleepPeriod>, EpochGrid) {
    let sleeps: Vec<SleepPeriod> = (0..90)
        .map(|d| SleepPeriod::new(at(d, 23), at(d + 1, 7)).unwrap())
        .collect();
    let grid = EpochGrid::new(at(0, 11), at(90, 17), Duration::minutes(5)).unwrap();
    assert_eq!(grid.len(), 25_993);
    (sleeps, grid)
}

fn shift_worker_series(clock: &LocalClock) -> (Vec<SleepPeriod>, EpochGrid) {
    let day = Some((7, 10));
    let night = Some((22, 9));
    let rota = [
        day, day, day, day, night, night, night, night, None, None, None, None,
    ];
    let shifts: Vec<Shift> = person_roster(
        &rota,
        0,
        at(0, 0).date_naive(),
        90,
        chrono_tz::Tz::UTC,
        &Variation::NONE,
        &mut Rng::new(0),
    )
    .into_iter()
    .filter_map(|d| d.duty.map(|d| d.shift))
    .collect();
    let grid = EpochGrid::new(at(0, 11), at(90, 17), Duration::minutes(5)).unwrap();
    let sleeps = predict_sleep(
        &shifts,
        grid.start(),
        grid.end(),
        clock,
        &SleepRules::default(),
    );
    (sleeps, grid)
}

fn benches(c: &mut Criterion) {
    let utc = LocalClock::utc();
    let (sleeps, grid) = published_series();
    c.bench_function("tpm_90_days", |b| {
        b.iter(|| {
            simulate::<ThreeProcessModel>(&TpmParams::default(), black_box(&sleeps), &grid, &utc)
                .unwrap()
        })
    });
    c.bench_function("unified_90_days", |b| {
        b.iter(|| {
            simulate::<UnifiedModel>(&UnifiedParams::default(), black_box(&sleeps), &grid, &utc)
                .unwrap()
        })
    });
    c.bench_function("both_90_days", |b| {
        b.iter(|| {
            simulate::<FipsModels>(&ModelParams::default(), black_box(&sleeps), &grid, &utc)
                .unwrap()
        })
    });

    let london = LocalClock::from_name("Europe/London").unwrap();
    let (worker_sleeps, worker_grid) = shift_worker_series(&london);
    c.bench_function("tpm_90_days_shift_worker", |b| {
        b.iter(|| {
            simulate::<ThreeProcessModel>(
                &TpmParams::default(),
                black_box(&worker_sleeps),
                &worker_grid,
                &london,
            )
            .unwrap()
        })
    });

    // Nightly update: state saved at 11:00 on day 89, then 24 hours more
    // with that night's sleep.
    let before: Vec<SleepPeriod> = sleeps
        .iter()
        .copied()
        .filter(|s| s.start() < at(89, 11))
        .collect();
    let saved_grid = EpochGrid::new(at(0, 11), at(89, 11), Duration::minutes(5)).unwrap();
    let state = simulate::<ThreeProcessModel>(&TpmParams::default(), &before, &saved_grid, &london)
        .unwrap()
        .state;
    let tonight = [SleepPeriod::new(at(89, 23), at(90, 7)).unwrap()];
    c.bench_function("tpm_one_night_update", |b| {
        b.iter(|| {
            resume::<ThreeProcessModel>(
                &TpmParams::default(),
                black_box(&state),
                &tonight,
                at(90, 11),
                &london,
            )
            .unwrap()
        })
    });
}

criterion_group!(models_benches, benches);
criterion_main!(models_benches);
