//! History for a trend chart (`morning::history`) from a store with known
//! data: every day of the period present, a night without data a gap, the
//! baselines the score used beside each figure, and the stored scores.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mobile_core::LocalClock;
use mobile_core::morning;
use mobile_core::recovery::hrv::HrvBand;
use mobile_core::recovery::trend::TrendPeriod;
use mobile_core::store::Store;
use mobile_core::wearables::HrvMetric;

fn date(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Duration::days(n)
}

fn at(n: i64, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date(n).and_hms_opt(hour, 0, 0).unwrap())
}

/// Nights ending on days 1..=40 at 07:00 (23:00-07:00, 480 min), except day
/// 38 (watch off: no sleep, HRV or resting HR). RMSSD 50 ms at 03:00 on days
/// 1-33 and 40 ms from day 34; resting HR 55 at 07:30, 60 on day 40.
fn store() -> (Store, LocalClock) {
    let mut s = Store::open_in_memory().unwrap();
    let now = at(40, 9);
    let days: Vec<i64> = (1..=40).filter(|&n| n != 38).collect();
    let sleeps: Vec<_> = days.iter().map(|&n| (at(n - 1, 23), at(n, 7))).collect();
    s.import_sleeps(&sleeps, now).unwrap();
    let hrv: Vec<_> = days
        .iter()
        .map(|&n| (at(n, 3), if n < 34 { 50.0 } else { 40.0 }))
        .collect();
    s.import_hrv(&hrv, now).unwrap();
    let rhr: Vec<_> = days
        .iter()
        .map(|&n| {
            (
                at(n, 7) + Duration::minutes(30),
                if n == 40 { 60.0 } else { 55.0 },
            )
        })
        .collect();
    s.import_resting_hr(&rhr, now).unwrap();
    (s, LocalClock::new(chrono_tz::Tz::UTC))
}

#[test]
fn a_week_has_every_day_with_its_baselines_and_the_gap() {
    let (mut s, clock) = store();
    // The officer opened the app on days 39 and 40: those scores are kept.
    let s39 = morning::score(&mut s, &clock, at(39, 9), &[]).unwrap();
    let s40 = morning::score(&mut s, &clock, at(40, 9), &[]).unwrap();
    let trend = morning::history(&s, &clock, at(40, 9), TrendPeriod::Week).unwrap();
    assert_eq!(trend.sleep_need_minutes, 420);
    let dates: Vec<_> = trend.days.iter().map(|d| d.date).collect();
    assert_eq!(dates, (34..=40).map(date).collect::<Vec<_>>());

    // Day 38: present, every figure a gap.
    let gap = &trend.days[4];
    assert_eq!(gap.date, date(38));
    assert_eq!(gap.sleep_minutes, None);
    assert_eq!(gap.hrv_ms, None);
    assert_eq!(gap.hrv_rolling_ms, None);
    assert_eq!(gap.resting_hr_bpm, None);
    assert_eq!(gap.recovery_score, None);

    // Day 40: rolling week days 34-40 without 38, six nights at 40 ms, so
    // 40 ms; baseline days 1-33, all 50 ms (SD 0, floored to 0.05), normal
    // range 50·e^(∓0.025) = 48.765 to 51.266 ms; z = ln 0.8 / 0.05 = −4.46.
    let last = &trend.days[6];
    assert_eq!(last.sleep_minutes, Some(480));
    assert_eq!(last.hrv_metric, Some(HrvMetric::Rmssd));
    assert!((last.hrv_ms.unwrap() - 40.0).abs() < 1e-9);
    assert!((last.hrv_rolling_ms.unwrap() - 40.0).abs() < 1e-9);
    assert!((last.hrv_baseline_ms.unwrap() - 50.0).abs() < 1e-9);
    assert!((last.hrv_normal_low_ms.unwrap() - 48.7655).abs() < 1e-3);
    assert!((last.hrv_normal_high_ms.unwrap() - 51.2658).abs() < 1e-3);
    assert_eq!(last.hrv_band, Some(HrvBand::Below));
    // Resting HR 60 against days 33-39 without 38: six days at 55.
    assert_eq!(last.resting_hr_bpm, Some(60.0));
    assert_eq!(last.resting_hr_baseline_bpm, Some(55.0));
    // The chart's z is the score's.
    let z = s40.score.hrv_deviation_sd.unwrap();
    assert!((z - 0.8_f64.ln() / 0.05).abs() < 1e-9, "{z}");

    // Day 34: rolling days 28-34, six at 50 and one at 40: 50·0.8^(1/7) =
    // 48.431 ms, just below the normal range.
    let first = &trend.days[0];
    assert!((first.hrv_rolling_ms.unwrap() - 50.0 * 0.8_f64.powf(1.0 / 7.0)).abs() < 1e-9);
    assert!((first.hrv_rolling_ms.unwrap() - 48.431).abs() < 1e-3);
    assert_eq!(first.hrv_band, Some(HrvBand::Below));

    // Scores as kept; mornings never scored are gaps.
    assert_eq!(trend.days[5].recovery_score, s39.score.score);
    assert_eq!(trend.days[6].recovery_score, s40.score.score);
    assert_eq!(trend.days[6].recovery_band, s40.score.band);
    assert!(s40.score.score.is_some());
    assert!(trend.days[..5].iter().all(|d| d.recovery_score.is_none()));
}

#[test]
fn a_quarter_reaches_back_90_days_with_the_days_before_any_data_as_gaps() {
    let (s, clock) = store();
    let trend = morning::history(&s, &clock, at(40, 9), TrendPeriod::Quarter).unwrap();
    assert_eq!(trend.days.len(), 90);
    assert_eq!(trend.days[0].date, date(40 - 89));
    assert_eq!(trend.days[89].date, date(40));
    // Days up to 0 have no data; days 1-37 and 39-40 have a night each.
    let with_sleep = trend
        .days
        .iter()
        .filter(|d| d.sleep_minutes.is_some())
        .count();
    assert_eq!(with_sleep, 39);
    // Day 20's baseline (days -46 to 13) holds 13 nights: HRV read, not
    // judged. Day 21's holds 14: judged.
    let d20 = trend.days.iter().find(|d| d.date == date(20)).unwrap();
    assert!(d20.hrv_ms.is_some() && d20.hrv_baseline_ms.is_none());
    let d21 = trend.days.iter().find(|d| d.date == date(21)).unwrap();
    assert!((d21.hrv_baseline_ms.unwrap() - 50.0).abs() < 1e-9);
    assert_eq!(d21.hrv_band, Some(HrvBand::Within));
    let month = morning::history(&s, &clock, at(40, 9), TrendPeriod::Month).unwrap();
    assert_eq!(month.days.len(), 30);
    assert_eq!(month.days[..], trend.days[60..]);
}
