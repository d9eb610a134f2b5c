//! Plans for rosters with hand-worked answers (UTC clock unless said).

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use models::{Shift, SleepPeriod};

use super::figures::with_and_without;
use super::*;
use crate::roster::assess::AssessmentParams;

fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, d, h, m, 0).unwrap()
}

fn shift(d: u32, h: u32, len: i64) -> Shift {
    Shift::new(utc(d, h, 0), utc(d, h, 0) + Duration::hours(len)).unwrap()
}

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, d).unwrap()
}

/// Four nights 22:00–07:00, Monday 13th to Thursday 16th January 2025.
fn four_nights() -> Vec<Shift> {
    (13..=16).map(|d| shift(d, 22, 9)).collect()
}

fn plan_for(shifts: &[Shift], inputs: &PlanInputs) -> Plan {
    make_plan(
        shifts,
        inputs,
        &LocalClock::utc(),
        date(10),
        14,
        &PlanRules::default(),
    )
}

fn spans(plan: &Plan, kind: WindowKind) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    plan.windows()
        .filter(|w| w.kind == kind)
        .map(|w| (w.start, w.end))
        .collect()
}

fn fi_with(shifts: &[Shift], sleeps: &[SleepPeriod]) -> Vec<(f64, f64)> {
    with_and_without(
        shifts,
        sleeps,
        utc(10, 0, 0),
        &[],
        &[],
        &LocalClock::utc(),
        &AssessmentParams::default(),
    )
    .unwrap()
    .iter()
    .map(|b| (b.fatigue_index_without_plan, b.fatigue_index_with_plan))
    .collect()
}

#[test]
fn a_block_of_nights_gets_a_nap_day_sleeps_and_a_recovery_morning() {
    let plan = plan_for(&four_nights(), &PlanInputs::default());
    assert_eq!(plan.days.len(), 14);
    assert_eq!(plan.days[0].date, date(10));
    // Nap: ends 22:00 − 1 h commute − 30 min = 20:30, 90 min long.
    assert_eq!(
        spans(&plan, WindowKind::Nap),
        vec![(utc(13, 19, 0), utc(13, 20, 30))]
    );
    let main = spans(&plan, WindowKind::MainSleep);
    // Rest nights: mid-sleep 03:00 ± 3.5 h for a 7 h need.
    assert!(
        main.contains(&(utc(11, 23, 30), utc(12, 6, 30))),
        "{main:?}"
    );
    // Before the first night: bed an hour late, lie in an hour: 00:30–08:30.
    assert!(main.contains(&(utc(13, 0, 30), utc(13, 8, 30))), "{main:?}");
    // Day sleep after nights 1–3: home 08:00, bed 08:15, 7 h.
    for d in 14..=16 {
        assert!(main.contains(&(utc(d, 8, 15), utc(d, 15, 15))), "{main:?}");
    }
    // No night's sleep on a night worked.
    assert!(!main.iter().any(|(s, _)| *s == utc(13, 23, 30)), "{main:?}");
    // After the last night: 3 h in the morning, then the usual night.
    assert_eq!(
        spans(&plan, WindowKind::RecoverySleep),
        vec![(utc(17, 8, 15), utc(17, 11, 15))]
    );
    assert!(
        main.contains(&(utc(17, 23, 30), utc(18, 6, 30))),
        "{main:?}"
    );
    // Caffeine: 6 h before the day sleep (02:15, on shift) and the night.
    let cut = spans(&plan, WindowKind::CaffeineCutoff);
    assert!(cut.contains(&(utc(14, 2, 15), utc(14, 2, 15))), "{cut:?}");
    assert!(cut.contains(&(utc(17, 17, 30), utc(17, 17, 30))), "{cut:?}");
    // Dark glasses from the end of duty to bed; bright light until the
    // night's midpoint (02:30).
    let avoid = spans(&plan, WindowKind::AvoidLight);
    assert!(
        avoid.contains(&(utc(14, 7, 0), utc(14, 8, 15))),
        "{avoid:?}"
    );
    let seek = spans(&plan, WindowKind::SeekLight);
    assert!(seek.contains(&(utc(13, 22, 0), utc(14, 2, 30))), "{seek:?}");
    // Daylight for 2 h after the recovery sleep.
    assert!(
        seek.contains(&(utc(17, 11, 15), utc(17, 13, 15))),
        "{seek:?}"
    );
    for w in plan.windows() {
        assert!(!w.reason.is_empty() && !w.source.is_empty(), "{w:?}");
    }
    // No sleep overlaps a duty, its commute or getting ready.
    for s in plan.sleeps() {
        for n in four_nights() {
            assert!(
                s.end() <= n.start() - Duration::minutes(75)
                    || s.start() >= n.end() + Duration::hours(1),
                "{s:?}"
            );
        }
    }
}

#[test]
fn the_same_inputs_give_the_same_plan() {
    let a = plan_for(&four_nights(), &PlanInputs::default());
    let mut reversed = four_nights();
    reversed.reverse();
    assert_eq!(a, plan_for(&reversed, &PlanInputs::default()));
}

#[test]
fn early_starts_bring_bedtime_forward_at_most_ninety_minutes() {
    // 06:00 start: wake 04:45; 7 h before is 21:45, but no earlier than
    // 23:30 − 1.5 h = 22:00.
    let plan = plan_for(&[shift(20, 6, 8)], &PlanInputs::default());
    let main = spans(&plan, WindowKind::MainSleep);
    assert!(main.contains(&(utc(19, 22, 0), utc(20, 4, 45))), "{main:?}");
    // An early type (mid-sleep 02:00, bed 22:30) may go to bed 21:00: the
    // full 7 h, 21:45–04:45.
    let early = PlanInputs {
        chronotype: Chronotype::Early,
        ..PlanInputs::default()
    };
    let main = spans(&plan_for(&[shift(20, 6, 8)], &early), WindowKind::MainSleep);
    assert!(
        main.contains(&(utc(19, 21, 45), utc(20, 4, 45))),
        "{main:?}"
    );
}

#[test]
fn a_late_then_an_early_keeps_the_late_bedtime() {
    // Late to 22:00, home 23:00, wound down 23:30; wake 04:45 for 06:00.
    let plan = plan_for(&[shift(19, 14, 8), shift(20, 6, 8)], &PlanInputs::default());
    let main = spans(&plan, WindowKind::MainSleep);
    assert!(
        main.contains(&(utc(19, 23, 30), utc(20, 4, 45))),
        "{main:?}"
    );
    // A late ending 23:00: bed 00:30 for 7 h.
    let plan = plan_for(&[shift(19, 15, 8)], &PlanInputs::default());
    let main = spans(&plan, WindowKind::MainSleep);
    assert!(main.contains(&(utc(20, 0, 30), utc(20, 7, 30))), "{main:?}");
}

#[test]
fn a_commitment_moves_sleep_around_it() {
    // A school run 08:00–09:15 on weekdays (the 14th is a Tuesday): the
    // day sleep after the first night starts at 09:15 and still gets 7 h.
    let inputs = PlanInputs {
        commitments: vec![Commitment {
            weekdays: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(9, 15, 0).unwrap(),
        }],
        ..PlanInputs::default()
    };
    let plan = plan_for(&four_nights(), &inputs);
    let main = spans(&plan, WindowKind::MainSleep);
    assert!(
        main.contains(&(utc(14, 9, 15), utc(14, 16, 15))),
        "{main:?}"
    );
    for s in plan.sleeps() {
        let local = s.start();
        assert!(
            !(local < utc(14, 9, 15) && s.end() > utc(14, 8, 0)),
            "{s:?}"
        );
    }
}

#[test]
fn a_rest_day_inside_a_block_holds_the_compromise_position() {
    // Nights on the 13th, 14th, then the 16th, 17th: the 15th is free.
    let shifts = [
        shift(13, 22, 9),
        shift(14, 22, 9),
        shift(16, 22, 9),
        shift(17, 22, 9),
    ];
    let plan = plan_for(&shifts, &PlanInputs::default());
    let main = spans(&plan, WindowKind::MainSleep);
    // Mid-sleep 07:30: 04:00–11:00 on the 16th, no 23:30 bed on the 15th.
    assert!(main.contains(&(utc(16, 4, 0), utc(16, 11, 0))), "{main:?}");
    assert!(!main.iter().any(|(s, _)| *s == utc(15, 23, 30)), "{main:?}");
    // The day sleep after the 14th's night is the full 7 h, not recovery.
    assert!(
        main.contains(&(utc(15, 8, 15), utc(15, 15, 15))),
        "{main:?}"
    );
    assert!(spans(&plan, WindowKind::RecoverySleep).len() == 1);
    // Only one nap: before the 13th.
    assert_eq!(spans(&plan, WindowKind::Nap).len(), 1);
}

#[test]
fn chronotype_reads_free_day_mid_sleep() {
    assert_eq!(Chronotype::from_mid_sleep(1.5), Chronotype::Early);
    assert_eq!(Chronotype::from_mid_sleep(23.0), Chronotype::Early);
    assert_eq!(Chronotype::from_mid_sleep(3.0), Chronotype::Intermediate);
    assert_eq!(Chronotype::from_mid_sleep(4.0), Chronotype::Late);
    assert_eq!(Chronotype::from_mid_sleep(5.5), Chronotype::Late);
}

/// Night 1's Fatigue Index over the plan's sleep with `change` applied.
fn first_night_fi(change: impl Fn(&mut Vec<SleepPeriod>)) -> f64 {
    let mut sleeps = plan_for(&four_nights(), &PlanInputs::default()).sleeps();
    change(&mut sleeps);
    sleeps.sort();
    fi_with(&four_nights(), &sleeps)[0].1
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.01
}

#[test]
fn following_the_plan_lowers_every_night_of_a_block() {
    // Model-derived (Three Process Model, 5-min epochs, 3 warm-up days),
    // without → with: the default prediction's 5 h day sleeps leave S
    // falling night on night; the plan's 7 h day sleeps hold it, and the
    // late bed, lie-in and 19:00 nap start the first night less tired.
    let figures = fi_with(
        &four_nights(),
        &plan_for(&four_nights(), &PlanInputs::default()).sleeps(),
    );
    let want = [
        (27.27, 24.15),
        (39.84, 22.60),
        (47.25, 22.27),
        (51.22, 22.19),
    ];
    assert_eq!(figures.len(), 4);
    for ((without, with), (w0, w1)) in figures.iter().zip(want) {
        assert!(close(*without, w0) && close(*with, w1), "{figures:?}");
        assert!(with < without);
    }
}

#[test]
fn the_nap_before_the_first_night_lowers_its_fatigue_index() {
    let with_nap = first_night_fi(|_| {});
    let without_nap = first_night_fi(|s| s.retain(|p| p.start() != utc(13, 19, 0)));
    // 41.37 without the 19:00–20:30 nap, 24.15 with it.
    assert!(
        close(without_nap, 41.37) && close(with_nap, 24.15),
        "{without_nap} {with_nap}"
    );
}

#[test]
fn the_same_nap_far_from_the_shift_helps_less() {
    // The 90 minutes at 13:00 instead of 19:00: the model still credits
    // the sleep, but S decays through the 7.5 h more awake before the
    // night ends, so night 1's FI falls by 13.66 (41.37 → 27.72) instead
    // of 17.22 (→ 24.15).
    let far = first_night_fi(|s| {
        s.retain(|p| p.start() != utc(13, 19, 0));
        s.push(SleepPeriod::new(utc(13, 13, 0), utc(13, 14, 30)).unwrap());
    });
    assert!(close(far, 27.72), "{far}");
    assert!(far > first_night_fi(|_| {}));
}

#[test]
fn the_model_credits_sleep_at_any_phase() {
    // A limit of the model, stated in docs/plan.md: its sleep recovery has
    // no circadian gate, so a nap an hour after the 08:30 lie-in ends
    // (09:30–11:00, when sleep pressure is low and sleep rarely comes)
    // lowers night 1's FI to 18.60. The plan does not schedule it: the
    // rules, not the model, keep sleep where the body will take it.
    let morning = first_night_fi(|s| {
        s.push(SleepPeriod::new(utc(13, 9, 30), utc(13, 11, 0)).unwrap());
    });
    assert!(close(morning, 18.60), "{morning}");
}

#[test]
fn a_duty_after_midnight_gets_an_evening_sleep_before_it() {
    // Two duties 00:30–08:30 (14th and 15th): leave at 23:30, so a 3 h
    // evening sleep 20:00–23:00 before each, not only the first.
    let d = |day: u32| Shift::new(utc(day, 0, 30), utc(day, 8, 30)).unwrap();
    let shifts = [d(14), d(15)];
    let plan = plan_for(&shifts, &PlanInputs::default());
    assert_eq!(
        spans(&plan, WindowKind::Nap),
        vec![
            (utc(13, 20, 0), utc(13, 23, 0)),
            (utc(14, 20, 0), utc(14, 23, 0))
        ]
    );
    // Model-derived, without → with: the prediction treats these as early
    // starts (asleep 22:00, up at 23:15) plus a 90-min nap before the
    // first; the plan's longer evening sleeps and 7 h day sleep do better.
    let figures = fi_with(&shifts, &plan.sleeps());
    let want = [(19.62, 15.36), (22.44, 7.84)];
    for ((without, with), (w0, w1)) in figures.iter().zip(want) {
        assert!(close(*without, w0) && close(*with, w1), "{figures:?}");
    }
}

mod reminder_tests {
    use super::*;
    use crate::plan::reminders::{Reminder, ReminderKind, ReminderSettings, reminders};
    use chrono_tz::Europe::London;

    fn on(rs: &[Reminder], day: NaiveDate, clock: &LocalClock) -> Vec<(String, ReminderKind)> {
        rs.iter()
            .filter(|r| r.at.with_timezone(&clock.zone()).date_naive() == day)
            .map(|r| {
                (
                    r.at.with_timezone(&clock.zone())
                        .format("%H:%M")
                        .to_string(),
                    r.kind,
                )
            })
            .collect()
    }

    fn hm(list: &[(&str, ReminderKind)]) -> Vec<(String, ReminderKind)> {
        list.iter().map(|(t, k)| (t.to_string(), *k)).collect()
    }

    /// Every reminder respects the plan's sleep, duties, quiet hours and
    /// the daily limit.
    fn check(rs: &[Reminder], plan: &Plan, shifts: &[Shift], clock: &LocalClock) {
        let s = ReminderSettings::default();
        let commute = Duration::hours(1);
        for r in rs {
            assert!(
                !plan
                    .sleeps()
                    .iter()
                    .any(|p| p.start() <= r.at && r.at < p.end()),
                "{r:?} in planned sleep"
            );
            if r.kind != ReminderKind::DriveHome {
                assert!(
                    !shifts
                        .iter()
                        .any(|d| d.start() - commute <= r.at && r.at < d.end() + commute),
                    "{r:?} on duty"
                );
                let local = r.at.with_timezone(&clock.zone()).time();
                assert!(
                    local >= s.quiet_end && local < s.quiet_start,
                    "{r:?} in quiet hours"
                );
            }
            assert!(!r.message.is_empty() && !r.why.is_empty(), "{r:?}");
        }
        for d in &plan.days {
            assert!(on(rs, d.date, clock).len() <= s.max_per_day as usize);
        }
    }

    #[test]
    fn a_block_of_nights() {
        let clock = LocalClock::utc();
        let shifts = four_nights();
        let plan = plan_for(&shifts, &PlanInputs::default());
        let rs = reminders(
            &plan,
            &shifts,
            &clock,
            utc(10, 0, 0),
            &ReminderSettings::default(),
        );
        check(&rs, &plan, &shifts, &clock);
        use ReminderKind::*;
        // A rest day: caffeine 17:30 − 30 min, dim lights an hour before
        // 23:30; daylight at 06:30 is in quiet hours.
        assert_eq!(
            on(&rs, date(11), &clock),
            hm(&[("17:00", CaffeineCutoff), ("22:30", WindDown)])
        );
        // First night: daylight after the 08:30 lie-in, the nap at 19:00,
        // and the cut-off for the 08:15 day sleep (02:15, on duty) moved
        // before leaving (22:00 − 1 h − 15 min).
        assert_eq!(
            on(&rs, date(13), &clock),
            hm(&[
                ("08:30", Daylight),
                ("18:45", Nap),
                ("20:45", CaffeineCutoff)
            ])
        );
        // Mid-block: the drive-home warning in the last quarter hour of duty.
        assert_eq!(
            on(&rs, date(15), &clock),
            hm(&[("06:45", DriveHome), ("20:45", CaffeineCutoff)])
        );
        // After the last night four candidates, three kept: daylight after
        // the recovery sleep (11:15) ranks last.
        assert_eq!(
            on(&rs, date(17), &clock),
            hm(&[
                ("06:45", DriveHome),
                ("17:00", CaffeineCutoff),
                ("22:30", WindDown)
            ])
        );
    }

    #[test]
    fn a_quick_return() {
        let clock = LocalClock::utc();
        // Late 14:00–22:00 on Sunday 19th, early 06:00 on the 20th.
        let shifts = [shift(19, 14, 8), shift(20, 6, 8)];
        let plan = plan_for(&shifts, &PlanInputs::default());
        let rs = reminders(
            &plan,
            &shifts,
            &clock,
            utc(10, 0, 0),
            &ReminderSettings::default(),
        );
        check(&rs, &plan, &shifts, &clock);
        use ReminderKind::*;
        // The 17:30 cut-off falls in the late: reminded before leaving at
        // 13:00; winding down at 22:30 is the drive home: dropped.
        assert_eq!(on(&rs, date(19), &clock), hm(&[("12:45", CaffeineCutoff)]));
        assert_eq!(
            on(&rs, date(20), &clock),
            hm(&[("17:00", CaffeineCutoff), ("22:30", WindDown)])
        );
    }

    #[test]
    fn the_october_clock_change() {
        // Nights 22:00–07:00 local on Friday 23rd and Saturday 24th
        // October 2026; the clocks go back at 02:00 BST on the 25th, so the
        // second night is 10 hours long.
        let clock = LocalClock::new(London);
        let local = |d: u32, h: u32| {
            crate::roster::local_to_utc(
                NaiveDate::from_ymd_opt(2026, 10, d)
                    .unwrap()
                    .and_hms_opt(h, 0, 0)
                    .unwrap(),
                London,
            )
            .unwrap()
        };
        let shifts = [
            Shift::new(local(23, 22), local(24, 7)).unwrap(),
            Shift::new(local(24, 22), local(25, 7)).unwrap(),
        ];
        assert_eq!(shifts[1].duration_hours(), 10.0);
        let first = NaiveDate::from_ymd_opt(2026, 10, 20).unwrap();
        let plan = make_plan(
            &shifts,
            &PlanInputs::default(),
            &clock,
            first,
            14,
            &PlanRules::default(),
        );
        let now = local(20, 0);
        let rs = reminders(&plan, &shifts, &clock, now, &ReminderSettings::default());
        check(&rs, &plan, &shifts, &clock);
        use ReminderKind::*;
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
        // Local times hold across the change: 06:45 BST on the 24th
        // (05:45Z), 06:45 GMT on the 25th (06:45Z).
        assert_eq!(
            on(&rs, day(24), &clock),
            hm(&[("06:45", DriveHome), ("20:45", CaffeineCutoff)])
        );
        assert_eq!(
            on(&rs, day(25), &clock),
            hm(&[
                ("06:45", DriveHome),
                ("17:00", CaffeineCutoff),
                ("22:30", WindDown)
            ])
        );
        let drive: Vec<_> = rs
            .iter()
            .filter(|r| r.kind == DriveHome)
            .map(|r| r.at)
            .collect();
        assert_eq!(drive[1] - drive[0], Duration::hours(25));
        // The recovery sleep: 08:15–11:15 GMT.
        let rec = spans(&plan, WindowKind::RecoverySleep);
        assert_eq!(
            rec,
            vec![(
                local(25, 8) + Duration::minutes(15),
                local(25, 11) + Duration::minutes(15)
            )]
        );
    }
}
