//! The morning recovery score, its statuses, and sleep regularity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use mobile_core::LocalClock;
use mobile_core::model::three_process::TpmParams;
use mobile_core::recovery::{
    Component, History, Metric, NextShift, Reason, Status, WEIGHTS, band, debt_subscore,
    hrv_subscore, next_shift_outlook, resting_hr_subscore, score_morning, sleep_subscore,
};
use mobile_core::regularity::{
    RegularityError, sleep_regularity_index, social_jet_lag, social_jet_lag_by_shift_type,
};
use mobile_core::wearables::episodes::{SleepEpisode, build_episodes};
use mobile_core::wearables::{HrvMetric, Sample, SampleValue, SleepStage, Source};
use models::sync::RecoveryBand;
use models::{Shift, ShiftType};
use proptest::prelude::*;

const ZONE: Tz = Tz::UTC;

fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Duration::days(n)
}

fn morning(n: i64) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day(n).and_hms_opt(7, 0, 0).unwrap())
}

fn watch() -> Source {
    Source {
        name: "com.apple.health".into(),
        device: Some("Apple Watch".into()),
    }
}

/// One night ending on day `n` at 07:00 UTC.
#[derive(Clone)]
struct Night {
    n: i64,
    sleep_hours: f64,
    hrv: Option<(HrvMetric, f64, Source)>,
    rhr: Option<f64>,
}

fn night(n: i64, sleep_hours: f64, sdnn: f64, rhr: f64) -> Night {
    Night {
        n,
        sleep_hours,
        hrv: Some((HrvMetric::Sdnn, sdnn, watch())),
        rhr: Some(rhr),
    }
}

fn samples(nights: &[Night]) -> Vec<Sample> {
    let mut out = Vec::new();
    for x in nights {
        let end = morning(x.n);
        let start = end - Duration::minutes((x.sleep_hours * 60.0) as i64);
        let mk = |start, end, value| Sample {
            start,
            end,
            zone: ZONE,
            source: watch(),
            value,
        };
        out.push(mk(
            start,
            end,
            SampleValue::Sleep {
                stage: SleepStage::Light,
            },
        ));
        if let Some((metric, ms, src)) = &x.hrv {
            let at = start + Duration::hours(2);
            out.push(Sample {
                source: src.clone(),
                ..mk(
                    at,
                    at,
                    SampleValue::Hrv {
                        metric: *metric,
                        ms: *ms,
                    },
                )
            });
        }
        if let Some(bpm) = x.rhr {
            let at = end + Duration::minutes(30);
            out.push(mk(at, at, SampleValue::RestingHeartRate { bpm }));
        }
    }
    out
}

fn history(nights: &[Night]) -> History {
    let s = samples(nights);
    History::new(build_episodes(&s).episodes, &s, 8.0).unwrap()
}

/// Thirty-one steady nights ending on day 9 (days -21 to 9): 8 h, SDNN 50 ms
/// on even days and 55 ms on odd ones, resting HR 55. Day 9's HRV baseline
/// (days -57 to 2) holds 24 of them, 12 of each value; its rolling week is
/// days 3 to 9.
fn steady() -> Vec<Night> {
    (-21..10)
        .map(|n| night(n, 8.0, if n % 2 == 0 { 50.0 } else { 55.0 }, 55.0))
        .collect()
}

/// The night of day `n` in `nights`.
fn on(nights: &mut [Night], n: i64) -> &mut Night {
    nights.iter_mut().find(|x| x.n == n).unwrap()
}

fn weight(metric: Metric) -> f64 {
    WEIGHTS.iter().find(|(m, _)| *m == metric).unwrap().1
}

fn expected(parts: &[(Metric, f64)]) -> u8 {
    let num: f64 = parts.iter().map(|(m, s)| weight(*m) * s).sum();
    let den: f64 = parts.iter().map(|(m, _)| weight(*m)).sum();
    (num / den).round() as u8
}

#[test]
fn fewer_than_seven_nights_is_a_cold_start_without_a_score() {
    let first: Vec<Night> = steady()
        .into_iter()
        .filter(|x| (0..4).contains(&x.n))
        .collect();
    let h = history(&first);
    let s = score_morning(&h, day(3), None);
    assert_eq!(s.status, Status::ColdStart);
    assert_eq!(s.score, None);
    assert_eq!(s.band, None);
    assert!(s.reasons.contains(&Reason::ColdStart {
        nights: 3,
        needed: 7
    }));
    // What is known is still shown.
    assert_eq!(s.sleep_minutes, 480);
}

#[test]
fn a_steady_week_scores_by_the_documented_formula() {
    let mut nights = steady();
    on(&mut nights, 9).hrv = Some((HrvMetric::Sdnn, 45.0, watch()));
    on(&mut nights, 9).rhr = Some(60.0);
    let h = history(&nights);
    let shift = NextShift {
        fatigue_index: 10.0,
        threshold: 35.0,
    };
    let s = score_morning(&h, day(9), Some(&shift));
    assert_eq!(s.status, Status::Scored);
    // Rolling week, days 3-9: ln 55 ×3, ln 50 ×3, ln 45. Baseline, days
    // -21..2: ln 50 ×12, ln 55 ×12, mean (ln 50 + ln 55)/2, sample SD
    // (ln 1.1 / 2)·sqrt(24/23) = 0.04868, floored to 0.05. So
    // z = (ln 45 − ln sqrt(50·55)) / 7 / 0.05 = ln(0.858117) / 0.35 = −0.4372:
    // one night 10 % down is inside the normal range (the old single-night
    // rule called it below normal).
    let rolling = (3.0 * 55.0_f64.ln() + 3.0 * 50.0_f64.ln() + 45.0_f64.ln()) / 7.0;
    let mu = (50.0_f64.ln() + 55.0_f64.ln()) / 2.0;
    let sd = (0.5 * 1.1_f64.ln() * (24.0_f64 / 23.0).sqrt()).max(0.05);
    assert!((sd - 0.05).abs() < 1e-12);
    let z = (rolling - mu) / sd;
    assert!((z + 0.4372).abs() < 1e-4, "{z}");
    assert!((s.hrv_deviation_sd.unwrap() - z).abs() < 1e-9);
    assert!((s.resting_hr_deviation_bpm.unwrap() - 5.0).abs() < 1e-9);
    let want = expected(&[
        (Metric::Sleep, 100.0),
        (Metric::SleepDebt, 100.0),
        (Metric::Hrv, hrv_subscore(z)),
        (Metric::RestingHeartRate, resting_hr_subscore(5.0)),
        (Metric::NextShift, 100.0 * (1.0 - 10.0 / 70.0)),
    ]);
    assert!((hrv_subscore(z) - 100.0).abs() < 1e-9);
    assert_eq!(s.score, Some(want));
    assert_eq!(s.band, Some(band(want)));
    assert!(s.reasons.iter().any(|r| matches!(
        r,
        Reason::HrvWithinNormal {
            metric: HrvMetric::Sdnn,
            ..
        }
    )));
    assert!(s.reasons.contains(&Reason::NextShiftFatigue {
        fatigue_index: 10.0,
        threshold: 35.0
    }));
}

#[test]
fn a_week_of_low_hrv_is_below_normal() {
    // SDNN 40 ms on days 3-9: rolling mean ln 40 against the same baseline,
    // z = (ln 40 − ln sqrt(2750)) / 0.05 = ln(0.762770) / 0.05 = −5.4165,
    // below normal, HRV sub-score 0.
    let mut nights = steady();
    for n in 3..10 {
        on(&mut nights, n).hrv = Some((HrvMetric::Sdnn, 40.0, watch()));
    }
    let s = score_morning(&history(&nights), day(9), None);
    let z = s.hrv_deviation_sd.unwrap();
    assert!(
        (z - (40.0 / 2750.0_f64.sqrt()).ln() / 0.05).abs() < 1e-9,
        "{z}"
    );
    assert!((z + 5.4165).abs() < 1e-3, "{z}");
    assert!(s.reasons.contains(&Reason::HrvBelowNormal {
        metric: HrvMetric::Sdnn,
        z
    }));
    let hrv = s
        .components
        .iter()
        .find(|c| c.metric == Metric::Hrv)
        .unwrap();
    assert!(hrv.score.abs() < 1e-9);
}

#[test]
fn hrv_is_not_judged_until_the_baseline_has_14_nights() {
    // Days -12..9: 22 nights, cold start over. Day 9's baseline (to day 2)
    // holds days -12..2, 15 nights: judged. Take days -12 and -11 away and
    // it holds 13: not judged, the score goes on without HRV.
    let nights: Vec<Night> = steady().into_iter().filter(|x| x.n >= -12).collect();
    let judged = score_morning(&history(&nights), day(9), None);
    assert_eq!(judged.status, Status::Scored);
    let short: Vec<Night> = nights.into_iter().filter(|x| x.n >= -10).collect();
    let s = score_morning(&history(&short), day(9), None);
    assert_eq!(s.status, Status::BaselineBuilding);
    assert!(s.reasons.contains(&Reason::HrvNotJudged {
        rolling_nights: 7,
        rolling_needed: 3,
        baseline_nights: 13,
        baseline_needed: 14
    }));
    assert!(s.components.iter().all(|c| c.metric != Metric::Hrv));
    assert_eq!(s.hrv_deviation_sd, None);
    assert!(s.score.is_some());
}

#[test]
fn a_week_with_two_hrv_nights_is_not_judged() {
    // Readings only on days 8 and 9 of the rolling week: 2 of the 3 needed.
    let mut nights = steady();
    for n in 3..8 {
        on(&mut nights, n).hrv = None;
    }
    let s = score_morning(&history(&nights), day(9), None);
    assert_eq!(s.status, Status::MissingMetrics);
    assert!(s.reasons.contains(&Reason::HrvNotJudged {
        rolling_nights: 2,
        rolling_needed: 3,
        baseline_nights: 24,
        baseline_needed: 14
    }));
    assert_eq!(s.hrv_deviation_sd, None);
}

#[test]
fn short_sleep_builds_debt_and_lowers_the_score() {
    let good = score_morning(&history(&steady()), day(9), None);
    let mut nights = steady();
    for n in 6..10 {
        on(&mut nights, n).sleep_hours = 5.0;
    }
    let s = score_morning(&history(&nights), day(9), None);
    assert_eq!(s.sleep_minutes, 300);
    assert_eq!(s.sleep_debt_minutes, 4 * 180);
    assert!(s.reasons.contains(&Reason::SleepDebt { minutes: 720 }));
    let sleep = s
        .components
        .iter()
        .find(|c| c.metric == Metric::Sleep)
        .unwrap();
    assert!((sleep.score - sleep_subscore(5.0, 8.0)).abs() < 1e-9);
    let debt = s
        .components
        .iter()
        .find(|c| c.metric == Metric::SleepDebt)
        .unwrap();
    assert!((debt.score - debt_subscore(12.0)).abs() < 1e-9);
    assert!(s.score.unwrap() < good.score.unwrap());
    assert_eq!(good.band, Some(RecoveryBand::Green));
}

#[test]
fn a_missing_metric_is_shown_and_left_out() {
    let mut nights = steady();
    on(&mut nights, 9).hrv = None;
    let s = score_morning(&history(&nights), day(9), None);
    assert_eq!(s.status, Status::MissingMetrics);
    assert!(s.reasons.contains(&Reason::Missing {
        metric: Metric::Hrv
    }));
    assert!(s.components.iter().all(|c| c.metric != Metric::Hrv));
    assert!(s.score.is_some());
    assert!(s.reasons.contains(&Reason::NoShiftScheduled));
}

#[test]
fn a_morning_without_sleep_is_not_scored() {
    let h = history(&steady());
    let s = score_morning(&h, day(10), None);
    assert_eq!(s.status, Status::MissingMetrics);
    assert_eq!(s.score, None);
    assert!(s.reasons.contains(&Reason::Missing {
        metric: Metric::Sleep
    }));
}

#[test]
fn a_new_device_is_not_compared_with_the_old_ones_baseline() {
    let garmin = Source {
        name: "com.garmin.connect".into(),
        device: Some("Forerunner".into()),
    };
    let mut nights = steady();
    // New strap: RMSSD, never seen before. SDNN from the watch stops.
    // The watch's SDNN has a full baseline, so this is a new device, not a
    // cold start; HRV needs 14 baseline nights from the strap.
    on(&mut nights, 9).hrv = Some((HrvMetric::Rmssd, 20.0, garmin));
    let s = score_morning(&history(&nights), day(9), None);
    assert_eq!(s.status, Status::NewDevice);
    assert!(s.reasons.contains(&Reason::NewDevice {
        metric: Metric::Hrv,
        readings: 0,
        needed: 14
    }));
    assert!(
        s.components
            .iter()
            .all(|c: &Component| c.metric != Metric::Hrv)
    );
    assert_eq!(s.hrv_deviation_sd, None);
}

#[test]
fn rmssd_is_preferred_and_never_mixed_with_sdnn() {
    // Every night has SDNN from the watch and RMSSD from a strap, at very
    // different levels; each baseline uses its own metric.
    let strap = Source {
        name: "polar".into(),
        device: Some("H10".into()),
    };
    let nights = steady();
    let mut s = samples(&nights);
    for x in &nights {
        let at = morning(x.n) - Duration::hours(3);
        let ms = if x.n >= 3 { 95.0 } else { 100.0 };
        s.push(Sample {
            start: at,
            end: at,
            zone: ZONE,
            source: strap.clone(),
            value: SampleValue::Hrv {
                metric: HrvMetric::Rmssd,
                ms,
            },
        });
    }
    let h = History::new(build_episodes(&s).episodes, &s, 8.0).unwrap();
    let r = score_morning(&h, day(9), None);
    // RMSSD constant at 100 in the baseline (SD 0, floored to 0.05), 95 all
    // the rolling week: z = ln(0.95) / 0.05 = −1.026.
    let z = r.hrv_deviation_sd.unwrap();
    assert!((z - 0.95_f64.ln() / 0.05).abs() < 1e-9, "{z}");
    assert!(r.reasons.iter().any(|x| matches!(
        x,
        Reason::HrvBelowNormal {
            metric: HrvMetric::Rmssd,
            ..
        }
    )));
}

#[test]
fn sleep_need_outside_6_5_to_10_hours_is_refused() {
    assert!(History::new(Vec::new(), &[], 3.0).is_err());
    assert!(History::new(Vec::new(), &[], 13.0).is_err());
    for hours in [6.49, 10.01, 4.0, 12.0, f64::NAN] {
        assert!(History::new(Vec::new(), &[], hours).is_err(), "{hours}");
        assert!(
            mobile_core::recovery::check_sleep_need(hours).is_err(),
            "{hours}"
        );
    }
    for hours in [6.5, 7.0, 10.0] {
        let h = History::new(Vec::new(), &[], hours).unwrap();
        assert!((h.sleep_need_hours - hours).abs() < 1e-12);
    }
}

#[test]
fn sleep_need_is_7_hours_asleep_by_default() {
    assert!((mobile_core::recovery::DEFAULT_SLEEP_NEED_HOURS - 7.0).abs() < 1e-12);
}

#[test]
fn the_next_shift_outlook_comes_from_the_engine() {
    let clock = LocalClock::from_name("Europe/London").unwrap();
    let t = |d: u32, h: u32| Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap();
    let night = Shift::new(t(8, 22), t(9, 7)).unwrap();
    let rested: Vec<_> = (1..=8)
        .map(|d| models::SleepPeriod::new(t(d, 7) - Duration::hours(8), t(d, 7)).unwrap())
        .collect();
    let short: Vec<_> = (1..=8)
        .map(|d| models::SleepPeriod::new(t(d, 7) - Duration::hours(4), t(d, 7)).unwrap())
        .collect();
    let p = TpmParams::default();
    let a = next_shift_outlook(&p, &rested, &night, &clock).unwrap();
    let b = next_shift_outlook(&p, &short, &night, &clock).unwrap();
    assert_eq!(a.threshold, 45.0, "a night shift by the WTR rule");
    assert!(b.fatigue_index > a.fatigue_index);
    assert!((0.0..=100.0).contains(&a.fatigue_index));
}

#[test]
fn the_score_round_trips_through_json() {
    let s = score_morning(&history(&steady()), day(9), None);
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(
        serde_json::from_str::<mobile_core::recovery::RecoveryScore>(&json).unwrap(),
        s
    );
}

fn regular(first_hour: u32, days: i64, shift: impl Fn(i64) -> i64) -> Vec<SleepEpisode> {
    let s: Vec<Sample> = (0..days)
        .map(|n| {
            let start = Utc.from_utc_datetime(&day(n).and_hms_opt(first_hour, 0, 0).unwrap())
                + Duration::minutes(shift(n));
            Sample {
                start,
                end: start + Duration::hours(8),
                zone: ZONE,
                source: watch(),
                value: SampleValue::Sleep {
                    stage: SleepStage::Asleep,
                },
            }
        })
        .collect();
    build_episodes(&s).episodes
}

#[test]
fn the_same_schedule_every_day_has_an_sri_of_100() {
    let e = regular(0, 8, |_| 0);
    let sri = sleep_regularity_index(&e, day(0), 7, ZONE).unwrap();
    assert!((sri - 100.0).abs() < 1e-9);
}

#[test]
fn alternating_schedules_lower_the_sri_by_the_formula() {
    // Sleeping 00-08 and 04-12 on alternate days: consecutive days disagree
    // over 00-04 and 08-12, 480 of 1440 minutes.
    let e = regular(0, 7, |n| if n % 2 == 0 { 0 } else { 240 });
    let sri = sleep_regularity_index(&e, day(0), 7, ZONE).unwrap();
    let expected = -100.0 + 200.0 * (1440.0 - 480.0) / 1440.0;
    assert!((sri - expected).abs() < 1e-9, "{sri}");
}

#[test]
fn days_without_data_are_left_out_of_the_sri() {
    let mut e = regular(0, 7, |_| 0);
    e.remove(3);
    let sri = sleep_regularity_index(&e, day(0), 7, ZONE).unwrap();
    assert!((sri - 100.0).abs() < 1e-9);
    assert_eq!(
        sleep_regularity_index(&e[..1], day(0), 7, ZONE),
        Err(RegularityError::TooFewDays)
    );
}

#[test]
fn social_jet_lag_is_the_gap_between_free_and_work_mid_sleep() {
    // Work days (Mon-Fri by index): 23:00-07:00, mid 03:00. Free: 01:00-09:00, mid 05:00.
    let s: Vec<Sample> = (0..14)
        .map(|n| {
            let end = morning(n)
                + if n % 7 >= 5 {
                    Duration::hours(2)
                } else {
                    Duration::zero()
                };
            Sample {
                start: end - Duration::hours(8),
                end,
                zone: ZONE,
                source: watch(),
                value: SampleValue::Sleep {
                    stage: SleepStage::Asleep,
                },
            }
        })
        .collect();
    let e = build_episodes(&s).episodes;
    let work = |d: NaiveDate| (d - day(0)).num_days() % 7 < 5;
    let sjl = social_jet_lag(&e, work).unwrap();
    assert!((sjl.mid_sleep_work_hours - 3.0).abs() < 1e-9);
    assert!((sjl.mid_sleep_free_hours - 5.0).abs() < 1e-9);
    assert!((sjl.jet_lag_hours - 2.0).abs() < 1e-9);
    assert!(social_jet_lag(&e, |_| true).is_none());
}

#[test]
fn social_jet_lag_is_computed_per_shift_type() {
    // A rotating roster (UTC): earlies 07:00-15:00 on days 0, 1 and 8,
    // nights 22:00-06:00 on days 4 and 5. Main sleeps, by the day they end:
    //   day -1 03:00-11:00 (before the first shift: left out)
    //   days 0, 1, 8: 22:00-06:00, mid 02:00 (early work days)
    //   days 2, 3: 00:00-08:00, mid 04:00 (free after earlies)
    //   day 4: 00:00-08:00, mid 04:00; day 5: 07:00-14:00, mid 10:30
    //     (night work days: the sleep before the first night, then the day
    //     sleep between nights)
    //   day 6: 07:00-12:00, mid 09:30 (recovery after the last night);
    //   day 7: 00:30-08:30, mid 04:30 (free after nights)
    // Early: MSW 02:00, MSF 04:00, SJL 2 h. Night: MSW = circular mean of
    // 04:00 and 10:30 = 07:15; MSF = mean of 09:30 and 04:30 = 07:00; SJL
    // 0.25 h. Pooled over every work day, as before, the free mean would mix
    // the two blocks.
    let at = |d: i64, h: f64| {
        Utc.from_utc_datetime(&day(d).and_hms_opt(0, 0, 0).unwrap())
            + Duration::minutes((h * 60.0) as i64)
    };
    let sleeps = [
        (at(-1, 3.0), at(-1, 11.0)),
        (at(-1, 22.0), at(0, 6.0)),
        (at(0, 22.0), at(1, 6.0)),
        (at(2, 0.0), at(2, 8.0)),
        (at(3, 0.0), at(3, 8.0)),
        (at(4, 0.0), at(4, 8.0)),
        (at(5, 7.0), at(5, 14.0)),
        (at(6, 7.0), at(6, 12.0)),
        (at(7, 0.5), at(7, 8.5)),
        (at(7, 22.0), at(8, 6.0)),
    ];
    let s: Vec<Sample> = sleeps
        .iter()
        .map(|&(start, end)| Sample {
            start,
            end,
            zone: ZONE,
            source: watch(),
            value: SampleValue::Sleep {
                stage: SleepStage::Asleep,
            },
        })
        .collect();
    let e = build_episodes(&s).episodes;
    assert_eq!(e.iter().filter(|x| x.is_main).count(), 10);
    let shift = |d: i64, h: f64, hours: i64| {
        Shift::new(at(d, h), at(d, h) + Duration::hours(hours)).unwrap()
    };
    let roster = [
        shift(0, 7.0, 8),
        shift(1, 7.0, 8),
        shift(4, 22.0, 8),
        shift(5, 22.0, 8),
        shift(8, 7.0, 8),
    ];
    let clock = LocalClock::new(ZONE);
    let sjl = social_jet_lag_by_shift_type(&e, &roster, &clock);
    assert_eq!(sjl.len(), 2, "{sjl:?}");
    let early = &sjl[0];
    assert_eq!(early.shift_type, ShiftType::Early);
    assert_eq!((early.work_sleeps, early.free_sleeps), (3, 2));
    assert!((early.jet_lag.mid_sleep_work_hours - 2.0).abs() < 1e-9);
    assert!((early.jet_lag.mid_sleep_free_hours - 4.0).abs() < 1e-9);
    assert!((early.jet_lag.jet_lag_hours - 2.0).abs() < 1e-9);
    let night = &sjl[1];
    assert_eq!(night.shift_type, ShiftType::Night);
    assert_eq!((night.work_sleeps, night.free_sleeps), (2, 2));
    assert!((night.jet_lag.mid_sleep_work_hours - 7.25).abs() < 1e-9);
    assert!((night.jet_lag.mid_sleep_free_hours - 7.0).abs() < 1e-9);
    assert!((night.jet_lag.jet_lag_hours - 0.25).abs() < 1e-9);
    // Without a roster no day is a work day: nothing to report.
    assert!(social_jet_lag_by_shift_type(&e, &[], &clock).is_empty());
}

proptest! {
    /// The score stays in 0..=100, a lower HRV today never raises it, and more
    /// sleep today (up to need) never lowers it.
    #[test]
    fn the_score_is_bounded_and_monotone(
        hrv_today in 5.0..200.0_f64,
        drop in 0.0..50.0_f64,
        hours in 3.0..8.0_f64,
        extra in 0.0..2.0_f64,
        rhr in 40.0..80.0_f64,
    ) {
        let mut nights = steady();
        on(&mut nights, 9).hrv = Some((HrvMetric::Sdnn, hrv_today, watch()));
        on(&mut nights, 9).rhr = Some(rhr);
        on(&mut nights, 9).sleep_hours = hours;
        let base = score_morning(&history(&nights), day(9), None).score.unwrap();
        prop_assert!(base <= 100);
        let mut lower = nights.clone();
        on(&mut lower, 9).hrv = Some((HrvMetric::Sdnn, (hrv_today - drop).max(1.0), watch()));
        prop_assert!(score_morning(&history(&lower), day(9), None).score.unwrap() <= base);
        let mut longer = nights.clone();
        on(&mut longer, 9).sleep_hours = (hours + extra).min(8.0);
        prop_assert!(score_morning(&history(&longer), day(9), None).score.unwrap() >= base);
    }
}
