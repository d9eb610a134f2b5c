//! Criterion benchmarks of the coaching engine and the personal calibration:
//! `cargo bench -p mobile-core --bench coaching`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use mobile_core::LocalClock;
use mobile_core::calibration::{Calibration, CalibrationParams, KssPair};
use mobile_core::checkin::CheckIn;
use mobile_core::coaching::{
    CoachingContext, CoachingParams, CoachingShift, ContentPack, ShownMessage, select,
};
use models::Shift;
use models::sync::{CheckInContext, CheckInScale, RecoveryBand};

/// A month of 2-2-2 rota (days, lates, nights, four off) with two weeks of
/// check-ins, bands and history: more than a phone holds for coaching.
fn busy_context() -> CoachingContext {
    let clock = LocalClock::from_name("Europe/London").unwrap();
    let base = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let mut shifts = Vec::new();
    for cycle in 0..3 {
        let day0 = base + Duration::days(cycle * 10);
        for (offset_h, len) in [(7, 10), (31, 10), (62, 9), (86, 9), (118, 10), (142, 10)] {
            let start = day0 + Duration::hours(offset_h);
            let s = Shift::new(start, start + Duration::hours(len)).unwrap();
            shifts.push(CoachingShift::new(s, &clock).with_predicted_kss(6.5));
        }
    }
    let now = base + Duration::days(15) + Duration::hours(7) + Duration::minutes(20);
    let mut ctx = CoachingContext::new(now, clock);
    ctx.shifts = shifts;
    ctx.sleep_debt_minutes = Some(320);
    ctx.planned_sleep_start = Some(now + Duration::hours(1));
    ctx.recovery_bands = (1..=14)
        .map(|d| {
            (
                NaiveDate::from_ymd_opt(2025, 1, d).unwrap(),
                RecoveryBand::Red,
            )
        })
        .collect();
    ctx.check_ins = (0..28)
        .map(|i| {
            let at = now - Duration::hours(12 * i);
            CheckIn::new(at, CheckInScale::Kss, 8, CheckInContext::Other, now).unwrap()
        })
        .collect();
    ctx.history = (0..20)
        .map(|i| ShownMessage {
            id: "first-night-nap".into(),
            shown_at: now - Duration::hours(6 * i),
        })
        .collect();
    ctx
}

fn pairs(n: usize) -> Vec<KssPair> {
    (0..n)
        .map(|i| {
            let predicted = 2.0 + (i % 13) as f64 * 0.5;
            KssPair {
                predicted,
                reported: (predicted + 1.0).round().clamp(1.0, 9.0) as u8,
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let pack = ContentPack::shipped().unwrap();
    let ctx = busy_context();
    let params = CoachingParams::default();
    assert_eq!(select(&ctx, &pack, &params).len(), 3);
    c.bench_function("coaching_select_busy_day", |b| {
        b.iter(|| select(std::hint::black_box(&ctx), &pack, &params))
    });
    c.bench_function("content_pack_load_shipped", |b| {
        b.iter(ContentPack::shipped)
    });
    let ninety = pairs(90);
    let cal_params = CalibrationParams::default();
    c.bench_function("calibration_fit_90_check_ins", |b| {
        b.iter(|| Calibration::fit(std::hint::black_box(&ninety), &cal_params))
    });
}

criterion_group!(coaching, benches);
criterion_main!(coaching);
