//! Module suggestions: one test per rule, completed modules skipped, and a
//! property test that a completed module is never suggested.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mobile_core::LocalClock;
use mobile_core::education::{
    Library, Module, ModuleSuggestion, Progress, SuggestionContext, SuggestionReason, Topic, Track,
    suggest_module,
};
use models::Shift;
use models::sync::{CheckInContext, CheckInRecord, CheckInScale, RecoveryBand};
use proptest::prelude::*;

/// 2025-01-13 is a Monday; January keeps London on UTC, so hours read plainly.
fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap()
}

fn night(d: u32) -> Shift {
    Shift::new(at(d, 22), at(d, 22) + Duration::hours(9)).unwrap()
}

fn day_shift(d: u32) -> Shift {
    Shift::new(at(d, 9), at(d, 17)).unwrap()
}

fn context(now: DateTime<Utc>, shifts: Vec<Shift>) -> SuggestionContext {
    SuggestionContext {
        now,
        clock: LocalClock::from_name("Europe/London").unwrap(),
        shifts,
        recovery_bands: vec![],
        check_ins: vec![],
    }
}

fn kss(taken_at: DateTime<Utc>, value: u8) -> CheckInRecord {
    CheckInRecord {
        local_date: taken_at.date_naive(),
        taken_at,
        scale: CheckInScale::Kss,
        value,
        context: CheckInContext::BeforeShift,
    }
}

fn officer_modules(lib: &Library) -> Vec<Module> {
    lib.modules_for(Track::Officer).cloned().collect()
}

/// The first officer module tagged with `topic`, in course order.
fn first_with(lib: &Library, topic: Topic) -> String {
    lib.modules_for(Track::Officer)
        .find(|m| m.topics.contains(&topic))
        .unwrap()
        .id
        .clone()
}

fn complete(p: &mut Progress, m: &Module) {
    let right: Vec<usize> = m
        .questions
        .iter()
        .map(|q| q.correct_option().unwrap())
        .collect();
    p.answer(m, &right, NaiveDate::from_ymd_opt(2025, 1, 1).unwrap())
        .unwrap();
}

fn suggest(lib: &Library, p: &Progress, c: &SuggestionContext) -> ModuleSuggestion {
    suggest_module(lib, Track::Officer, p, c).unwrap()
}

#[test]
fn with_nothing_going_on_the_first_module_of_the_course_is_suggested() {
    let lib = Library::shipped().unwrap();
    let s = suggest(&lib, &Progress::new(), &context(at(13, 12), vec![]));
    assert_eq!(s.module_id, officer_modules(&lib)[0].id);
    assert_eq!(s.reason, SuggestionReason::NextInCourse);
    let sup = suggest_module(
        &lib,
        Track::Supervisor,
        &Progress::new(),
        &context(at(13, 12), vec![]),
    )
    .unwrap();
    assert_eq!(
        sup.module_id,
        lib.modules_for(Track::Supervisor).next().unwrap().id
    );
}

#[test]
fn the_next_incomplete_module_follows_the_completed_ones() {
    let lib = Library::shipped().unwrap();
    let modules = officer_modules(&lib);
    let mut p = Progress::new();
    complete(&mut p, &modules[0]);
    complete(&mut p, &modules[1]);
    let s = suggest(&lib, &p, &context(at(13, 12), vec![]));
    assert_eq!(s.module_id, modules[2].id);
}

#[test]
fn everything_completed_means_no_suggestion() {
    let lib = Library::shipped().unwrap();
    let mut p = Progress::new();
    for m in officer_modules(&lib) {
        complete(&mut p, &m);
    }
    let mut c = context(at(13, 12), vec![night(14)]);
    c.recovery_bands = vec![RecoveryBand::Red; 5];
    assert_eq!(suggest_module(&lib, Track::Officer, &p, &c), None);
}

#[test]
fn a_first_block_of_nights_ahead_suggests_preparing_for_nights() {
    let lib = Library::shipped().unwrap();
    let modules = officer_modules(&lib);
    let mut p = Progress::new();
    // The course's first module is about night sleep; complete it so the
    // rule, not course order, has to pick the nap module.
    complete(&mut p, &modules[0]);
    let c = context(at(13, 12), vec![day_shift(10), night(15), night(16)]);
    let s = suggest(&lib, &p, &c);
    assert_eq!(s.module_id, first_with(&lib, Topic::Naps));
    assert_eq!(
        s.reason,
        SuggestionReason::FirstNightsAhead {
            first_night_start: at(15, 22)
        }
    );
}

#[test]
fn nights_too_far_ahead_or_in_the_middle_of_a_block_are_not_a_first_block() {
    let lib = Library::shipped().unwrap();
    let far = context(at(13, 12), vec![night(20)]);
    assert_eq!(
        suggest(&lib, &Progress::new(), &far).reason,
        SuggestionReason::NextInCourse
    );
    // Between two nights of a block: the next night continues the block.
    let between = context(at(14, 12), vec![night(13), night(14)]);
    assert_ne!(
        suggest(&lib, &Progress::new(), &between).reason,
        SuggestionReason::FirstNightsAhead {
            first_night_start: at(14, 22)
        }
    );
}

#[test]
fn a_run_of_nights_just_ended_suggests_the_drive_home_then_recovery() {
    let lib = Library::shipped().unwrap();
    let shifts = vec![night(10), night(11), night(12), day_shift(17)];
    let c = context(at(13, 8), shifts);
    let s = suggest(&lib, &Progress::new(), &c);
    assert_eq!(s.module_id, first_with(&lib, Topic::DriveHome));
    assert_eq!(s.reason, SuggestionReason::NightsJustEnded { nights: 3 });

    let mut p = Progress::new();
    complete(&mut p, lib.module(&s.module_id).unwrap());
    let next = suggest(&lib, &p, &c);
    assert_eq!(next.module_id, first_with(&lib, Topic::Recovery));
}

#[test]
fn nights_that_continue_or_ended_long_ago_do_not_count_as_just_ended() {
    let lib = Library::shipped().unwrap();
    let continuing = context(at(13, 8), vec![night(11), night(12), night(13)]);
    assert!(!matches!(
        suggest(&lib, &Progress::new(), &continuing).reason,
        SuggestionReason::NightsJustEnded { .. }
    ));
    let long_ago = context(at(16, 8), vec![night(11), night(12)]);
    assert_eq!(
        suggest(&lib, &Progress::new(), &long_ago).reason,
        SuggestionReason::NextInCourse
    );
}

#[test]
fn persistent_red_recovery_suggests_seeking_help_first() {
    let lib = Library::shipped().unwrap();
    // Nights ahead too, to show this rule comes first.
    let mut c = context(at(13, 12), vec![night(14)]);
    c.recovery_bands = vec![
        RecoveryBand::Green,
        RecoveryBand::Red,
        RecoveryBand::Red,
        RecoveryBand::Red,
    ];
    let s = suggest(&lib, &Progress::new(), &c);
    assert_eq!(s.module_id, first_with(&lib, Topic::SeekingHelp));
    assert_eq!(
        s.reason,
        SuggestionReason::PersistentRedRecovery { days: 3 }
    );

    c.recovery_bands = vec![RecoveryBand::Red, RecoveryBand::Red, RecoveryBand::Amber];
    assert!(matches!(
        suggest(&lib, &Progress::new(), &c).reason,
        SuggestionReason::FirstNightsAhead { .. }
    ));
}

#[test]
fn repeated_high_sleepiness_suggests_seeking_help() {
    let lib = Library::shipped().unwrap();
    let now = at(13, 12);
    let mut c = context(now, vec![]);
    c.check_ins = vec![
        kss(now - Duration::days(1), 7),
        kss(now - Duration::days(3), 8),
        kss(now - Duration::days(5), 9),
        kss(now - Duration::days(2), 4),
    ];
    let s = suggest(&lib, &Progress::new(), &c);
    assert_eq!(s.module_id, first_with(&lib, Topic::SeekingHelp));
    assert_eq!(
        s.reason,
        SuggestionReason::RepeatedHighSleepiness { check_ins: 3 }
    );
    // One of them outside the 7-day window, or on another scale: not enough.
    c.check_ins[2] = kss(now - Duration::days(8), 9);
    assert_eq!(
        suggest(&lib, &Progress::new(), &c).reason,
        SuggestionReason::NextInCourse
    );
    c.check_ins[2] = CheckInRecord {
        scale: CheckInScale::SamnPerelli,
        ..kss(now - Duration::days(5), 7)
    };
    assert_eq!(
        suggest(&lib, &Progress::new(), &c).reason,
        SuggestionReason::NextInCourse
    );
}

#[test]
fn a_rule_whose_modules_are_completed_falls_through_to_the_next() {
    let lib = Library::shipped().unwrap();
    let mut p = Progress::new();
    for m in lib
        .modules_for(Track::Officer)
        .filter(|m| m.topics.contains(&Topic::SeekingHelp))
    {
        complete(&mut p, m);
    }
    let mut c = context(at(13, 8), vec![night(11), night(12)]);
    c.recovery_bands = vec![RecoveryBand::Red; 4];
    let s = suggest(&lib, &p, &c);
    assert_eq!(s.reason, SuggestionReason::NightsJustEnded { nights: 2 });
}

#[test]
fn every_reason_has_a_message() {
    for r in [
        SuggestionReason::PersistentRedRecovery { days: 3 },
        SuggestionReason::RepeatedHighSleepiness { check_ins: 4 },
        SuggestionReason::FirstNightsAhead {
            first_night_start: at(1, 22),
        },
        SuggestionReason::NightsJustEnded { nights: 2 },
        SuggestionReason::NextInCourse,
    ] {
        assert!(!r.message().is_empty());
    }
}

/// Parsed once: the property test runs hundreds of cases.
static SHIPPED: LazyLock<Library> = LazyLock::new(|| Library::shipped().unwrap());

fn band() -> impl Strategy<Value = RecoveryBand> {
    prop_oneof![
        Just(RecoveryBand::Green),
        Just(RecoveryBand::Amber),
        Just(RecoveryBand::Red)
    ]
}

proptest! {
    #[test]
    fn a_completed_module_is_never_suggested(
        completed in prop::collection::vec(any::<bool>(), 13),
        supervisor in any::<bool>(),
        shift_specs in prop::collection::vec((0u32..20, 0u32..24, 4i64..13), 0..8),
        bands in prop::collection::vec(band(), 0..6),
        kss_values in prop::collection::vec((1u8..=9, 0i64..10), 0..6),
        now_hour in 0i64..(20 * 24),
    ) {
        let lib = &*SHIPPED;
        let track = if supervisor { Track::Supervisor } else { Track::Officer };
        let all: Vec<&Module> = lib.courses().iter().flat_map(|c| &c.modules).collect();
        let mut p = Progress::new();
        for (m, done) in all.iter().zip(&completed) {
            if *done {
                complete(&mut p, m);
            }
        }
        let start = at(1, 0);
        let mut shifts: Vec<Shift> = Vec::new();
        for (d, h, len) in shift_specs {
            let s = start + Duration::days(i64::from(d)) + Duration::hours(i64::from(h));
            let shift = Shift::new(s, s + Duration::hours(len)).unwrap();
            if shifts.iter().all(|o| shift.end() <= o.start() || shift.start() >= o.end()) {
                shifts.push(shift);
            }
        }
        let now = start + Duration::hours(now_hour);
        let mut c = context(now, shifts);
        c.recovery_bands = bands;
        c.check_ins = kss_values
            .into_iter()
            .map(|(v, days_ago)| kss(now - Duration::days(days_ago), v))
            .collect();
        match suggest_module(lib, track, &p, &c) {
            Some(s) => {
                prop_assert!(!p.is_completed(&s.module_id));
                prop_assert!(lib.modules_for(track).any(|m| m.id == s.module_id));
            }
            None => prop_assert!(lib.modules_for(track).all(|m| p.is_completed(&m.id))),
        }
    }
}
