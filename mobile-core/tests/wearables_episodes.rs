//! Sleep episodes: merging stages, sources, naps, midnight, DST and travel.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use mobile_core::wearables::episodes::{EPISODE_GAP_MINUTES, build_episodes};
use mobile_core::wearables::{Sample, SampleValue, SleepStage, Source};
use proptest::prelude::*;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn source(name: &str, device: Option<&str>) -> Source {
    Source {
        name: name.into(),
        device: device.map(str::to_string),
    }
}

fn stage(
    src: &Source,
    zone: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    stage: SleepStage,
) -> Sample {
    Sample {
        start,
        end,
        zone,
        source: src.clone(),
        value: SampleValue::Sleep { stage },
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn a_sleep_across_midnight_belongs_to_the_morning_it_ended() {
    let w = source("watch", Some("Garmin"));
    let s = [
        stage(
            &w,
            Tz::Europe__London,
            at(2025, 1, 1, 23, 0),
            at(2025, 1, 2, 3, 0),
            SleepStage::Light,
        ),
        stage(
            &w,
            Tz::Europe__London,
            at(2025, 1, 2, 3, 0),
            at(2025, 1, 2, 7, 0),
            SleepStage::Deep,
        ),
    ];
    let set = build_episodes(&s);
    assert_eq!(set.episodes.len(), 1);
    assert_eq!(set.episodes[0].local_date, date(2025, 1, 2));
    assert_eq!(set.episodes[0].asleep_minutes, 480);
}

#[test]
fn a_gap_of_more_than_an_hour_splits_episodes_and_the_longer_is_main() {
    let w = source("ring", Some("Oura"));
    let z = Tz::Europe__London;
    let gap = Duration::minutes(EPISODE_GAP_MINUTES);
    let split_at = at(2025, 1, 2, 3, 0);
    let s = [
        stage(&w, z, at(2025, 1, 1, 23, 0), split_at, SleepStage::Light),
        stage(
            &w,
            z,
            split_at + gap + Duration::minutes(1),
            at(2025, 1, 2, 9, 0),
            SleepStage::Rem,
        ),
        // A gap of exactly the limit keeps one episode.
        stage(
            &w,
            z,
            at(2025, 1, 3, 0, 0),
            at(2025, 1, 3, 2, 0),
            SleepStage::Light,
        ),
        stage(
            &w,
            z,
            at(2025, 1, 3, 2, 0) + gap,
            at(2025, 1, 3, 6, 0),
            SleepStage::Light,
        ),
    ];
    let set = build_episodes(&s);
    assert_eq!(set.episodes.len(), 3);
    let mains: Vec<_> = set.episodes.iter().map(|e| e.is_main).collect();
    // 23:00-03:00 (240 min) vs 04:01-09:00 (299 min): the later one is main.
    assert_eq!(mains, vec![false, true, true]);
    assert_eq!(set.episodes[2].awake_minutes, EPISODE_GAP_MINUTES as u32);
}

#[test]
fn naps_are_kept_beside_the_main_sleep() {
    let w = source("watch", Some("Fitbit"));
    let z = Tz::Europe__London;
    let s = [
        stage(
            &w,
            z,
            at(2025, 1, 1, 23, 0),
            at(2025, 1, 2, 6, 0),
            SleepStage::Asleep,
        ),
        stage(
            &w,
            z,
            at(2025, 1, 2, 14, 0),
            at(2025, 1, 2, 14, 30),
            SleepStage::Asleep,
        ),
    ];
    let set = build_episodes(&s);
    assert_eq!(set.episodes.len(), 2);
    assert!(set.episodes[0].is_main && !set.episodes[1].is_main);
    assert_eq!(
        set.main_sleep(date(2025, 1, 2)).unwrap().asleep_minutes,
        420
    );
}

#[test]
fn overlapping_sources_keep_the_staged_one_unless_it_missed_most_of_the_night() {
    let watch = source("watch", Some("Apple Watch"));
    let phone = source("phone", Some("iPhone"));
    let z = Tz::Europe__London;
    let phone_night = stage(
        &phone,
        z,
        at(2025, 1, 1, 23, 0),
        at(2025, 1, 2, 7, 0),
        SleepStage::Asleep,
    );
    let full = [
        phone_night.clone(),
        stage(
            &watch,
            z,
            at(2025, 1, 1, 23, 10),
            at(2025, 1, 2, 6, 50),
            SleepStage::Light,
        ),
    ];
    let set = build_episodes(&full);
    assert_eq!(set.episodes.len(), 1);
    assert_eq!(set.duplicates_dropped, 1);
    assert_eq!(set.episodes[0].source, watch);
    // The watch went flat at 01:00: the phone saw the night.
    let flat = [
        phone_night,
        stage(
            &watch,
            z,
            at(2025, 1, 1, 23, 10),
            at(2025, 1, 2, 1, 0),
            SleepStage::Deep,
        ),
    ];
    let set = build_episodes(&flat);
    assert_eq!(set.episodes.len(), 1);
    assert_eq!(set.episodes[0].source, phone);
}

#[test]
fn the_night_the_clocks_go_forward_is_counted_in_real_hours() {
    // Europe/London springs forward at 01:00 UTC on 30 March 2025.
    let w = source("watch", None);
    let s = [stage(
        &w,
        Tz::Europe__London,
        at(2025, 3, 29, 23, 0),
        at(2025, 3, 30, 6, 0),
        SleepStage::Asleep,
    )];
    let e = &build_episodes(&s).episodes[0];
    // 23:00 GMT to 07:00 BST on the clock, 7 h asleep.
    assert_eq!(e.asleep_minutes, 7 * 60);
    assert_eq!(e.local_date, date(2025, 3, 30));
}

#[test]
fn a_traveller_s_night_is_dated_in_the_zone_it_was_slept_in() {
    // Flown London to New York: the night of 5-6 May is slept in New York,
    // 03:00-11:00 UTC = 23:00-07:00 EDT, ending on 6 May local.
    let w = source("watch", None);
    let s = [
        stage(
            &w,
            Tz::Europe__London,
            at(2025, 5, 3, 22, 0),
            at(2025, 5, 4, 6, 0),
            SleepStage::Asleep,
        ),
        stage(
            &w,
            Tz::America__New_York,
            at(2025, 5, 6, 3, 0),
            at(2025, 5, 6, 11, 0),
            SleepStage::Asleep,
        ),
        // In New York a sleep ending 02:30 UTC on 7 May ends on 6 May local.
        stage(
            &w,
            Tz::America__New_York,
            at(2025, 5, 6, 23, 0),
            at(2025, 5, 7, 2, 30),
            SleepStage::Asleep,
        ),
    ];
    let set = build_episodes(&s);
    let dates: Vec<_> = set
        .episodes
        .iter()
        .map(|e| (e.local_date, e.is_main))
        .collect();
    assert_eq!(
        dates,
        vec![
            (date(2025, 5, 4), true),
            (date(2025, 5, 6), true),
            (date(2025, 5, 6), false)
        ]
    );
    assert_eq!(set.episodes[1].zone, Tz::America__New_York);
}

#[test]
fn awake_and_in_bed_stages_are_not_sleep() {
    let w = source("watch", None);
    let d1 = |h, m| at(2025, 1, 1, h, m);
    let d2 = |h, m| at(2025, 1, 2, h, m);
    let s: Vec<Sample> = [
        (d1(22, 0), d2(8, 0), SleepStage::InBed),
        (d1(23, 0), d2(1, 0), SleepStage::Light),
        (d2(1, 0), d2(1, 30), SleepStage::Awake),
        (d2(1, 30), d2(2, 0), SleepStage::OutOfBed),
        (d2(2, 0), d2(6, 0), SleepStage::Light),
    ]
    .into_iter()
    .map(|(a, b, st)| stage(&w, Tz::Europe__London, a, b, st))
    .collect();
    let e = &build_episodes(&s).episodes[0];
    assert_eq!(e.start, at(2025, 1, 1, 23, 0));
    assert_eq!(e.end, at(2025, 1, 2, 6, 0));
    assert_eq!(e.asleep_minutes, 360);
    assert_eq!(e.awake_minutes, 60);
}

proptest! {
    /// Whatever the stages, episodes never overlap, asleep + awake is the
    /// span, each date has exactly one main sleep, and the order of input
    /// samples does not matter.
    #[test]
    fn episodes_are_consistent(
        raw in prop::collection::vec((0..2usize, 0..(10 * 24 * 60i64), 1..600i64, 0..7usize), 1..60),
        seed in any::<u64>(),
    ) {
        let sources = [source("a", Some("Watch")), source("b", None)];
        let stages = [SleepStage::InBed, SleepStage::Asleep, SleepStage::Awake,
                      SleepStage::OutOfBed, SleepStage::Light, SleepStage::Deep, SleepStage::Rem];
        let base = at(2025, 1, 1, 0, 0);
        let mut samples: Vec<Sample> = raw.iter().map(|(src, off, len, st)| {
            let start = base + Duration::minutes(*off);
            stage(&sources[*src], Tz::Europe__London, start, start + Duration::minutes(*len), stages[*st])
        }).collect();
        let set = build_episodes(&samples);
        for pair in set.episodes.windows(2) {
            prop_assert!(pair[0].end <= pair[1].start);
        }
        for e in &set.episodes {
            prop_assert_eq!(
                i64::from(e.asleep_minutes + e.awake_minutes),
                (e.end - e.start).num_minutes()
            );
            let mains = set.episodes.iter().filter(|x| x.local_date == e.local_date && x.is_main).count();
            prop_assert_eq!(mains, 1);
        }
        // Shuffle deterministically and rebuild.
        let n = samples.len();
        let mut state = seed;
        for i in (1..n).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            samples.swap(i, (state >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(build_episodes(&samples), set);
    }
}
