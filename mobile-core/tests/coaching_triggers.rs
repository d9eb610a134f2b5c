//! Every coaching trigger, on both sides of its rule, and the selection of
//! messages from the shipped pack.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mobile_core::LocalClock;
use mobile_core::checkin::CheckIn;
use mobile_core::coaching::{
    CoachingContext, CoachingParams, CoachingShift, ContentPack, ShownMessage, Trigger,
    fired_triggers, select,
};
use models::sync::{CheckInContext, CheckInScale, RecoveryBand};
use models::{Shift, SleepPeriod};

/// January 2025: London is on GMT, so local and UTC clock times agree.
fn t(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, day, h, m, 0).unwrap()
}

fn london() -> LocalClock {
    LocalClock::from_name("Europe/London").unwrap()
}

fn shift(start: DateTime<Utc>, end: DateTime<Utc>) -> CoachingShift {
    CoachingShift::new(Shift::new(start, end).unwrap(), &london())
}

/// A 22:00–07:00 night shift starting on `day`.
fn night(day: u32) -> CoachingShift {
    shift(t(day, 22, 0), t(day + 1, 7, 0))
}

fn ctx(now: DateTime<Utc>, shifts: Vec<CoachingShift>) -> CoachingContext {
    let mut c = CoachingContext::new(now, london());
    c.shifts = shifts;
    c
}

fn fired(c: &CoachingContext) -> Vec<Trigger> {
    fired_triggers(c, &CoachingParams::default())
        .into_iter()
        .map(|f| f.trigger)
        .collect()
}

fn fires(c: &CoachingContext, trigger: Trigger) -> bool {
    fired(c).contains(&trigger)
}

fn kss(at: DateTime<Utc>, value: u8) -> CheckIn {
    CheckIn::new(at, CheckInScale::Kss, value, CheckInContext::Other, at).unwrap()
}

#[test]
fn shifts_are_typed_by_local_start_hour() {
    assert_eq!(night(10).shift_type, models::ShiftType::Night);
    // 20:30 UTC in July is 21:30 BST: night. 03:30 UTC in July is 04:30 BST: early.
    let july = |h| Utc.with_ymd_and_hms(2025, 7, 1, h, 30, 0).unwrap();
    assert_eq!(
        shift(july(20), july(20) + Duration::hours(8)).shift_type,
        models::ShiftType::Night
    );
    assert_eq!(
        shift(july(3), july(3) + Duration::hours(8)).shift_type,
        models::ShiftType::Early
    );
}

#[test]
fn first_night_fires_before_a_night_with_no_recent_nights() {
    let day = shift(t(9, 7, 0), t(9, 17, 0));
    assert!(fires(
        &ctx(t(10, 10, 0), vec![day, night(10)]),
        Trigger::FirstNight
    ));
    // Too far ahead: 22:00 is 19 h after 03:00.
    assert!(!fires(
        &ctx(t(10, 3, 0), vec![night(10)]),
        Trigger::FirstNight
    ));
    // A night ending 15 h before (07:00 today) makes tonight the second night.
    assert!(!fires(
        &ctx(t(10, 12, 0), vec![night(9), night(10)]),
        Trigger::FirstNight
    ));
    // A night-typed duty ending 49 h before the start does not count; one
    // ending 47 h before does.
    let recent = shift(t(8, 20, 0), t(8, 23, 0));
    assert!(!fires(
        &ctx(t(10, 12, 0), vec![recent, night(10)]),
        Trigger::FirstNight
    ));
    let old = shift(t(8, 20, 0), t(8, 21, 0));
    assert!(fires(
        &ctx(t(10, 12, 0), vec![old, night(10)]),
        Trigger::FirstNight
    ));
    // A day shift next is not a night.
    assert!(!fires(
        &ctx(t(10, 1, 0), vec![shift(t(10, 9, 0), t(10, 17, 0))]),
        Trigger::FirstNight
    ));
}

#[test]
fn between_nights_fires_off_duty_between_two_nights() {
    let shifts = vec![night(9), night(10)];
    assert!(fires(
        &ctx(t(10, 12, 0), shifts.clone()),
        Trigger::BetweenNights
    ));
    // On duty: not between.
    assert!(!fires(
        &ctx(t(10, 3, 0), shifts.clone()),
        Trigger::BetweenNights
    ));
    // After a day shift, before a night: not between nights (a first night).
    let after_day = ctx(
        t(10, 18, 0),
        vec![shift(t(10, 7, 0), t(10, 15, 0)), night(10)],
    );
    assert!(!fires(&after_day, Trigger::BetweenNights));
    // Nights two days apart are not consecutive.
    assert!(!fires(
        &ctx(t(11, 12, 0), vec![night(9), night(11)]),
        Trigger::BetweenNights
    ));
}

#[test]
fn quick_return_fires_under_eleven_hours_rest() {
    let late = shift(t(10, 14, 0), t(10, 22, 0));
    let early = shift(t(11, 6, 0), t(11, 14, 0)); // 8 h rest
    assert!(fires(
        &ctx(t(10, 23, 0), vec![late, early]),
        Trigger::QuickReturn
    ));
    // Seen in advance, during the late shift.
    assert!(fires(
        &ctx(t(10, 16, 0), vec![late, early]),
        Trigger::QuickReturn
    ));
    // Exactly 11 h rest is not a quick return.
    let at_nine = shift(t(11, 9, 0), t(11, 17, 0));
    assert!(!fires(
        &ctx(t(10, 23, 0), vec![late, at_nine]),
        Trigger::QuickReturn
    ));
    // Once the second shift has started it is no longer ahead.
    assert!(!fires(
        &ctx(t(11, 7, 0), vec![late, early]),
        Trigger::QuickReturn
    ));
}

#[test]
fn long_shift_fires_over_twelve_hours() {
    let long = shift(t(10, 7, 0), t(10, 19, 30));
    assert!(fires(&ctx(t(10, 2, 0), vec![long]), Trigger::LongShift));
    assert!(fires(&ctx(t(10, 15, 0), vec![long]), Trigger::LongShift));
    let twelve = shift(t(10, 7, 0), t(10, 19, 0));
    assert!(!fires(&ctx(t(10, 2, 0), vec![twelve]), Trigger::LongShift));
    // Beyond the 24 h look-ahead.
    assert!(!fires(&ctx(t(9, 6, 0), vec![long]), Trigger::LongShift));
    // Already over.
    assert!(!fires(&ctx(t(10, 20, 0), vec![long]), Trigger::LongShift));
}

#[test]
fn sleep_debt_fires_on_debt_or_short_recorded_sleeps() {
    let mut c = ctx(t(10, 12, 0), vec![]);
    c.sleep_debt_minutes = Some(299);
    assert!(!fires(&c, Trigger::SleepDebt));
    c.sleep_debt_minutes = Some(300);
    assert!(fires(&c, Trigger::SleepDebt));

    let sleeps = |minutes: i64, n: u32| -> Vec<SleepPeriod> {
        (0..n)
            .map(|i| {
                let end = t(9 - i, 7, 0);
                SleepPeriod::new(end - Duration::minutes(minutes), end).unwrap()
            })
            .collect()
    };
    let mut c = ctx(t(10, 12, 0), vec![]);
    c.main_sleeps = sleeps(5 * 60 + 30, 3);
    assert!(fires(&c, Trigger::SleepDebt));
    c.main_sleeps = sleeps(5 * 60 + 30, 2); // too few nights to judge
    assert!(!fires(&c, Trigger::SleepDebt));
    c.main_sleeps = sleeps(7 * 60, 3);
    assert!(!fires(&c, Trigger::SleepDebt));
}

#[test]
fn drive_home_fires_after_a_sleepy_night_shift() {
    let sleepy = night(9).with_predicted_kss(7.5);
    assert!(fires(
        &ctx(t(10, 7, 30), vec![sleepy]),
        Trigger::DriveHomeAfterNights
    ));
    assert!(!fires(
        &ctx(t(10, 8, 1), vec![sleepy]),
        Trigger::DriveHomeAfterNights
    ));
    let alert = night(9).with_predicted_kss(6.9);
    assert!(!fires(
        &ctx(t(10, 7, 30), vec![alert]),
        Trigger::DriveHomeAfterNights
    ));
    // No prediction, but the officer reported KSS 7 near the end.
    let mut c = ctx(t(10, 7, 30), vec![night(9)]);
    assert!(!fires(&c, Trigger::DriveHomeAfterNights));
    c.check_ins = vec![kss(t(10, 6, 50), 7)];
    assert!(fires(&c, Trigger::DriveHomeAfterNights));
    // A sleepy day shift is not a night.
    let day = shift(t(10, 7, 0), t(10, 15, 0)).with_predicted_kss(8.0);
    assert!(!fires(
        &ctx(t(10, 15, 30), vec![day]),
        Trigger::DriveHomeAfterNights
    ));
}

#[test]
fn caffeine_cutoff_fires_in_the_hours_before_planned_sleep() {
    let mut c = ctx(t(10, 14, 0), vec![]);
    c.planned_sleep_start = Some(t(10, 23, 0));
    assert!(fires(&c, Trigger::CaffeineCutoff));
    c.now = t(10, 13, 59);
    assert!(!fires(&c, Trigger::CaffeineCutoff));
    c.now = t(10, 23, 0);
    assert!(!fires(&c, Trigger::CaffeineCutoff));
    c.planned_sleep_start = None;
    c.now = t(10, 20, 0);
    assert!(!fires(&c, Trigger::CaffeineCutoff));
}

#[test]
fn light_exposure_fires_in_the_three_hours_after_a_night() {
    assert!(fires(
        &ctx(t(10, 9, 0), vec![night(9)]),
        Trigger::LightExposure
    ));
    assert!(!fires(
        &ctx(t(10, 10, 1), vec![night(9)]),
        Trigger::LightExposure
    ));
    let day = shift(t(10, 7, 0), t(10, 15, 0));
    assert!(!fires(
        &ctx(t(10, 16, 0), vec![day]),
        Trigger::LightExposure
    ));
}

#[test]
fn persistent_red_recovery_needs_three_recent_reds_in_a_row() {
    let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).unwrap();
    let mut c = ctx(t(10, 9, 0), vec![]);
    c.recovery_bands = vec![
        (d(9), RecoveryBand::Red),
        (d(7), RecoveryBand::Red),
        (d(8), RecoveryBand::Red),
        (d(6), RecoveryBand::Green),
    ];
    assert!(fires(&c, Trigger::PersistentRedRecovery));
    c.recovery_bands[0].1 = RecoveryBand::Amber; // the latest recovered
    assert!(!fires(&c, Trigger::PersistentRedRecovery));
    // The same date twice counts once.
    c.recovery_bands = vec![
        (d(9), RecoveryBand::Red),
        (d(9), RecoveryBand::Red),
        (d(8), RecoveryBand::Red),
    ];
    assert!(!fires(&c, Trigger::PersistentRedRecovery));
    c.recovery_bands = vec![(d(9), RecoveryBand::Red), (d(8), RecoveryBand::Red)];
    assert!(!fires(&c, Trigger::PersistentRedRecovery));
    // Three reds, but the latest is four days old: the signal is stale.
    c.recovery_bands = vec![
        (d(4), RecoveryBand::Red),
        (d(5), RecoveryBand::Red),
        (d(6), RecoveryBand::Red),
    ];
    assert!(!fires(&c, Trigger::PersistentRedRecovery));
}

#[test]
fn persistent_high_sleepiness_needs_three_very_high_check_ins_in_a_row() {
    let mut c = ctx(t(10, 9, 0), vec![]);
    let sp = |at, v| CheckIn::new(at, CheckInScale::SamnPerelli, v, CheckInContext::Other, at);
    c.check_ins = vec![
        kss(t(8, 9, 0), 8),
        kss(t(9, 9, 0), 9),
        sp(t(10, 8, 0), 6).unwrap(),
    ];
    assert!(fires(&c, Trigger::PersistentHighSleepiness));
    c.check_ins.push(kss(t(10, 8, 30), 7)); // the latest is lower
    assert!(!fires(&c, Trigger::PersistentHighSleepiness));
    // A KSS and a Samn-Perelli given together are one occasion, not two.
    c.check_ins = vec![
        kss(t(9, 9, 0), 9),
        kss(t(10, 8, 0), 8),
        sp(t(10, 8, 0), 6).unwrap(),
    ];
    assert!(!fires(&c, Trigger::PersistentHighSleepiness));
    c.check_ins.push(kss(t(8, 9, 0), 8));
    assert!(fires(&c, Trigger::PersistentHighSleepiness));
    // ... and very high only if both are.
    c.check_ins[2] = sp(t(10, 8, 0), 5).unwrap();
    assert!(!fires(&c, Trigger::PersistentHighSleepiness));
    // Older than 14 days does not count towards the run.
    c.check_ins = vec![
        kss(t(1, 9, 0) - Duration::days(10), 9),
        kss(t(9, 9, 0), 9),
        kss(t(10, 8, 0), 9),
    ];
    assert!(!fires(&c, Trigger::PersistentHighSleepiness));
}

#[test]
fn nothing_fires_on_an_ordinary_day() {
    let c = ctx(t(10, 12, 0), vec![shift(t(11, 9, 0), t(11, 17, 0))]);
    assert!(fired(&c).is_empty());
}

/// A morning after a sleepy night, before a quick return, with low recovery
/// and a planned sleep: more triggers than messages allowed.
fn busy_morning() -> CoachingContext {
    let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).unwrap();
    let mut c = ctx(
        t(10, 7, 20),
        vec![
            night(9).with_predicted_kss(8.0),
            shift(t(10, 17, 0), t(11, 1, 0)),
        ],
    );
    c.recovery_bands = (7..=9).map(|day| (d(day), RecoveryBand::Red)).collect();
    c.planned_sleep_start = Some(t(10, 8, 30));
    c.sleep_debt_minutes = Some(400);
    c
}

#[test]
fn at_most_three_messages_highest_priority_first() {
    let pack = ContentPack::shipped().unwrap();
    let c = busy_morning();
    assert!(fired(&c).len() > 3, "the scenario must overflow the limit");
    let shown = select(&c, &pack, &CoachingParams::default());
    assert_eq!(shown.len(), 3);
    let triggers: Vec<Trigger> = shown.iter().map(|m| m.trigger).collect();
    assert_eq!(
        triggers,
        vec![
            Trigger::DriveHomeAfterNights,
            Trigger::PersistentRedRecovery,
            Trigger::QuickReturn
        ]
    );
    assert!(shown.windows(2).all(|w| w[0].priority >= w[1].priority));
    for m in &shown {
        assert!(!m.sources.is_empty());
        assert!(!m.body.contains('{'), "unrendered placeholder in {}", m.id);
    }
    // The drive-home message shows the shift's end in local time.
    assert!(shown[0].body.contains("07:00"));
}

#[test]
fn messages_in_their_cool_down_are_skipped() {
    let pack = ContentPack::shipped().unwrap();
    let mut c = busy_morning();
    c.history = vec![
        ShownMessage {
            id: "drive-home-sleepy".into(),
            shown_at: c.now - Duration::hours(19),
        },
        ShownMessage {
            id: "persistent-red-support".into(),
            shown_at: c.now - Duration::hours(48),
        },
    ];
    let ids: Vec<String> = select(&c, &pack, &CoachingParams::default())
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(
        ids,
        vec!["quick-return-rest", "sleep-debt-recover", "caffeine-cutoff"]
    );
    // After the default 20 h cool-down the drive-home message is back.
    c.history[0].shown_at = c.now - Duration::hours(20);
    let first = select(&c, &pack, &CoachingParams::default());
    assert_eq!(first[0].id, "drive-home-sleepy");
}

#[test]
fn a_second_message_on_a_trigger_rotates_in_during_the_first_ones_cool_down() {
    let pack = ContentPack::shipped().unwrap();
    let mut c = ctx(t(10, 12, 0), vec![night(10)]);
    let shown = select(&c, &pack, &CoachingParams::default());
    assert_eq!(shown.len(), 1, "one message per trigger");
    assert_eq!(shown[0].id, "first-night-nap");
    c.history.push(ShownMessage {
        id: "first-night-nap".into(),
        shown_at: c.now - Duration::hours(1),
    });
    assert_eq!(
        select(&c, &pack, &CoachingParams::default())[0].id,
        "first-night-plan"
    );
}

#[test]
fn the_caffeine_cut_off_is_rendered_in_local_time() {
    let pack = ContentPack::shipped().unwrap();
    // 22:00 UTC on 1 July is 23:00 BST, so the cut-off is 17:00 local.
    let now = Utc.with_ymd_and_hms(2025, 7, 1, 14, 0, 0).unwrap();
    let mut c = CoachingContext::new(now, london());
    c.planned_sleep_start = Some(Utc.with_ymd_and_hms(2025, 7, 1, 22, 0, 0).unwrap());
    let shown = select(&c, &pack, &CoachingParams::default());
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].title, "Last caffeine by 17:00");
    assert!(shown[0].body.contains("sleep at 23:00"));
    assert!(shown[0].body.contains("by 17:00"));
    assert_eq!(shown[0].sources[0].id, "drake-2013");
}

#[test]
fn a_roster_assessment_feeds_the_engine() {
    use mobile_core::roster::assess::{AssessmentParams, assess_roster};
    // Four 22:00-07:00 nights from 6 January; the models predict high
    // sleepiness at the end of the fourth.
    let shifts: Vec<Shift> = (6..10)
        .map(|d| Shift::new(t(d, 22, 0), t(d + 1, 7, 0)).unwrap())
        .collect();
    let assessed =
        assess_roster(&shifts, &[], &[], &london(), &AssessmentParams::default()).unwrap();
    let coaching: Vec<CoachingShift> = assessed
        .shifts
        .iter()
        .map(|a| CoachingShift::from_assessment(a).unwrap())
        .collect();
    let last = coaching.last().unwrap();
    assert_eq!(last.shift, shifts[3]);
    assert_eq!(last.shift_type, models::ShiftType::Night);
    let kss_at_end = last.predicted_kss_at_end.unwrap();
    // The published TPM puts the end of a fourth night well past KSS 7
    // (about 7.7 with predicted day sleep), so the drive home is flagged.
    assert!(kss_at_end >= 7.0, "predicted KSS at the end {kss_at_end}");
    assert!(fires(
        &ctx(t(10, 7, 15), coaching.clone()),
        Trigger::DriveHomeAfterNights
    ));
    // Between the first and second nights.
    assert!(fires(&ctx(t(7, 14, 0), coaching), Trigger::BetweenNights));
}

mod invariants {
    use super::*;
    use proptest::prelude::*;

    /// Up to five shifts of 4–14 h starting on the hour over 10–14 January,
    /// without overlaps (overlapping ones are dropped).
    fn any_shifts() -> impl Strategy<Value = Vec<CoachingShift>> {
        prop::collection::vec((0i64..96, 4i64..=14, prop::option::of(1.0f64..9.0)), 0..5).prop_map(
            |raw| {
                let mut out: Vec<CoachingShift> = Vec::new();
                let mut sorted = raw;
                sorted.sort_by_key(|(start, _, _)| *start);
                for (start, len, kss) in sorted {
                    let s = t(10, 0, 0) + Duration::hours(start);
                    let candidate = shift(s, s + Duration::hours(len));
                    if out.last().is_none_or(|p| p.shift.end() <= s) {
                        out.push(match kss {
                            Some(k) => candidate.with_predicted_kss(k),
                            None => candidate,
                        });
                    }
                }
                out
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn selection_respects_its_limits(
            shifts in any_shifts(),
            now_min in 0i64..(96 * 60),
            sleep_in in prop::option::of(0i64..(12 * 60)),
            debt in prop::option::of(0u32..600),
            shown in prop::collection::vec((0usize..11, 0i64..(72 * 60)), 0..6),
            kss_values in prop::collection::vec(1u8..=9, 0..5),
        ) {
            let pack = ContentPack::shipped().unwrap();
            let params = CoachingParams::default();
            let now = t(10, 0, 0) + Duration::minutes(now_min);
            let mut c = ctx(now, shifts);
            c.planned_sleep_start = sleep_in.map(|m| now + Duration::minutes(m));
            c.sleep_debt_minutes = debt;
            c.check_ins = kss_values
                .iter()
                .enumerate()
                .map(|(i, &v)| kss(now - Duration::hours(i as i64 * 5), v))
                .collect();
            c.history = shown
                .iter()
                .map(|&(i, ago)| ShownMessage {
                    id: pack.messages()[i % pack.messages().len()].id.clone(),
                    shown_at: now - Duration::minutes(ago),
                })
                .collect();
            let fired: Vec<Trigger> = fired(&c);
            let out = select(&c, &pack, &params);
            prop_assert!(out.len() <= params.max_messages);
            let mut seen = std::collections::HashSet::new();
            for m in &out {
                prop_assert!(fired.contains(&m.trigger));
                prop_assert!(seen.insert(m.trigger), "two messages for {:?}", m.trigger);
                let rendered = !m.body.contains('{') && !m.title.contains('{');
                prop_assert!(rendered, "unrendered placeholder in {}", m.id);
                let cooldown = pack.messages().iter().find(|x| x.id == m.id).unwrap().cooldown_hours;
                prop_assert!(!c.history.iter().any(|h| h.id == m.id
                    && now - h.shown_at < Duration::hours(i64::from(cooldown))));
            }
            prop_assert!(out.windows(2).all(|w| w[0].priority >= w[1].priority));
        }
    }
}
