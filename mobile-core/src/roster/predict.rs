//! Sleep predicted from a roster, for shifts with no recorded sleep yet.
//!
//! A documented heuristic (`docs/science.md` §6; defaults are ours, from the
//! shift-work literature as summarised in HSE RR446): each rule below
//! produces candidate sleep, every candidate is cut so it never overlaps a
//! shift or the commute either side of it, and recorded sleep replaces
//! predicted sleep for every opportunity the wearable covered, and only
//! those ([`is_recorded`], [`combine`]).
//!
//! - Rest days and after a day shift: sleep 23:00–07:00 local.
//! - Before a shift that starts before 09:00 (every early start, after a
//!   rest day or a worked one): wake at `start − 1 h 15 min`, fall asleep at
//!   22:00 or 8 hours before waking, whichever is later (after a late
//!   shift, no earlier than the late's own bedtime below).
//! - After a late shift that ends after 22:00: fall asleep 1 h 30 min after
//!   the end and sleep 8 hours, waking earlier if the next shift needs it.
//! - After a night shift: fall asleep 1 hour after the end, sleep 5 hours.
//! - Before the first of a run of nights: the usual night's sleep, plus a
//!   90-minute nap ending 3 hours before the shift starts.
//!
//! "Night shift" here is the Working Time Regulations rule (at least 3 hours
//! between 23:00 and 06:00, [`crate::fatigue_index::is_night_shift`]), so a
//! 19:00–07:00 duty is a night's work even though a roster shows it as a late
//! start. A night shift is the first of a run when no night shift ended in the
//! 24 hours before it starts.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use models::{Shift, SleepPeriod};
use serde::{Deserialize, Serialize};

use super::local_to_utc;
use crate::LocalClock;
use crate::fatigue_index::is_night_shift;

/// The rules' times and lengths, defaulting to `docs/science.md` §6.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SleepRules {
    /// Usual bedtime, local clock hours.
    pub usual_onset_hour: f64,
    /// Usual waking time, local clock hours.
    pub usual_wake_hour: f64,
    /// Earliest bedtime before an early start, local clock hours.
    pub earliest_onset_hour: f64,
    /// A shift starting before this local hour is an early start.
    pub early_start_before_hour: f64,
    /// Waking this long before an early start (commute plus getting ready), hours.
    pub wake_before_start_hours: f64,
    /// Sleep obtained when nothing cuts it short, hours.
    pub sleep_need_hours: f64,
    /// A non-night shift ending after this local hour delays sleep.
    pub late_end_after_hour: f64,
    /// Delay from a late shift's end to sleep, hours.
    pub after_late_delay_hours: f64,
    /// Delay from a night shift's end to sleep, hours.
    pub after_night_delay_hours: f64,
    /// Day sleep after a night shift, hours.
    pub after_night_sleep_hours: f64,
    /// Nap before the first night of a run, hours.
    pub nap_hours: f64,
    /// The nap ends this long before the shift, hours.
    pub nap_end_before_start_hours: f64,
    /// Commute each way; sleep never overlaps it, hours.
    pub commute_hours: f64,
    /// Pieces of sleep shorter than this are dropped, hours.
    pub shortest_sleep_hours: f64,
}

impl Default for SleepRules {
    fn default() -> Self {
        Self {
            usual_onset_hour: 23.0,
            usual_wake_hour: 7.0,
            earliest_onset_hour: 22.0,
            early_start_before_hour: 9.0,
            wake_before_start_hours: 1.25,
            sleep_need_hours: 8.0,
            late_end_after_hour: 22.0,
            after_late_delay_hours: 1.5,
            after_night_delay_hours: 1.0,
            after_night_sleep_hours: 5.0,
            nap_hours: 1.5,
            nap_end_before_start_hours: 3.0,
            commute_hours: 1.0,
            shortest_sleep_hours: 0.5,
        }
    }
}

/// Where a sleep period in a combined list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SleepSource {
    /// Recorded by a wearable (or entered by the officer).
    Recorded,
    /// Predicted from the roster by these rules.
    Predicted,
}

pub(crate) fn hours(h: f64) -> Duration {
    Duration::milliseconds((h * 3_600_000.0).round() as i64)
}

/// The UTC instant of local clock hour `hour` (may exceed 24) on local `day`.
pub(crate) fn local_instant(
    day: NaiveDate,
    hour: f64,
    clock: &LocalClock,
) -> Option<DateTime<Utc>> {
    let midnight = day.and_time(NaiveTime::MIN);
    local_to_utc(midnight + hours(hour), clock.zone()).ok()
}

/// Predicted sleep for a person with `shifts` (any order), covering the
/// nights from the local day before `from` to the local day of `to`.
/// Periods are sorted, never overlap each other, a shift or its commute.
pub fn predict_sleep(
    shifts: &[Shift],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    clock: &LocalClock,
    rules: &SleepRules,
) -> Vec<SleepPeriod> {
    let mut shifts = shifts.to_vec();
    shifts.sort();
    let night: Vec<bool> = shifts.iter().map(|s| is_night_shift(s, clock)).collect();
    let busy: Vec<(DateTime<Utc>, DateTime<Utc>)> = shifts
        .iter()
        .map(|s| {
            (
                s.start() - hours(rules.commute_hours),
                s.end() + hours(rules.commute_hours),
            )
        })
        .collect();
    let mut candidates = Vec::new();

    let first_day = from.with_timezone(&clock.zone()).date_naive() - Duration::days(1);
    let last_day = to.with_timezone(&clock.zone()).date_naive();
    let mut day = first_day;
    while day <= last_day {
        if let Some(c) = main_sleep(day, &shifts, &night, clock, rules) {
            candidates.push(c);
        }
        day += Duration::days(1);
    }
    for (i, shift) in shifts.iter().enumerate().filter(|(i, _)| night[*i]) {
        let onset = shift.end() + hours(rules.after_night_delay_hours);
        candidates.push((onset, onset + hours(rules.after_night_sleep_hours)));
        let run_continues = shifts[..i].iter().zip(&night).any(|(prev, n)| {
            *n && prev.end() <= shift.start() && shift.start() - prev.end() < Duration::hours(24)
        });
        if !run_continues {
            let nap_end = shift.start() - hours(rules.nap_end_before_start_hours);
            candidates.push((nap_end - hours(rules.nap_hours), nap_end));
        }
    }

    let mut pieces: Vec<(DateTime<Utc>, DateTime<Utc>)> = candidates
        .into_iter()
        .filter_map(|c| longest_free_piece(c, &busy))
        .filter(|(s, e)| *e - *s >= hours(rules.shortest_sleep_hours))
        .filter(|(s, e)| *e > from && *s <= to)
        .collect();
    pieces.sort();
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(pieces.len());
    for (s, e) in pieces {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
        .into_iter()
        .filter_map(|(s, e)| SleepPeriod::new(s, e).ok())
        .collect()
}

/// The next main sleep these rules predict to start after `now`: the first
/// predicted sleep starting after `now` (within 36 h) that is longer than
/// the pre-night nap (`rules.nap_hours`), so the nap before a first night
/// is not taken for the night's sleep, and the day sleep after a night
/// shift is. Coaching takes its start as the planned bedtime when the
/// officer has not set one (`docs/coaching.md`).
pub fn next_main_sleep(
    shifts: &[Shift],
    now: DateTime<Utc>,
    clock: &LocalClock,
    rules: &SleepRules,
) -> Option<SleepPeriod> {
    let nap = hours(rules.nap_hours);
    predict_sleep(shifts, now, now + Duration::hours(36), clock, rules)
        .into_iter()
        .find(|s| s.start() > now && s.end() - s.start() > nap)
}

/// The candidate main sleep of the night that starts on local `day`, or
/// `None` after a night shift (its day sleep replaces it).
fn main_sleep(
    day: NaiveDate,
    shifts: &[Shift],
    night: &[bool],
    clock: &LocalClock,
    r: &SleepRules,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut onset = local_instant(day, r.usual_onset_hour, clock)?;
    let mut wake = local_instant(day, 24.0 + r.usual_wake_hour, clock)?;
    let noon = local_instant(day, 12.0, clock)?;
    // The last duty ending between noon and the usual waking time.
    let previous = shifts
        .iter()
        .enumerate()
        .rfind(|(_, s)| s.end() > noon && s.end() <= wake);
    let mut after_late = false;
    if let Some((i, prev)) = previous {
        if night[i] {
            return None;
        }
        if prev.end() > local_instant(day, r.late_end_after_hour, clock)? {
            onset = prev.end() + hours(r.after_late_delay_hours);
            wake = onset + hours(r.sleep_need_hours);
            after_late = true;
        }
    }
    if let Some(next) = shifts.iter().find(|s| s.start() >= onset) {
        let latest_wake = next.start() - hours(r.wake_before_start_hours);
        let early_start =
            next.start() < local_instant(day, 24.0 + r.early_start_before_hour, clock)?;
        // Every early start, after a rest day or a worked one; after a late
        // the later of the two bedtimes holds (nobody sleeps before the
        // late's delay has passed).
        if early_start {
            let early_onset = local_instant(day, r.earliest_onset_hour, clock)?
                .max(latest_wake - hours(r.sleep_need_hours));
            onset = if after_late {
                onset.max(early_onset)
            } else {
                early_onset
            };
        }
        wake = wake.min(latest_wake);
    }
    // A duty during the night leaves nothing once shifts are cut out below.
    (wake > onset).then_some((onset, wake))
}

/// The longest part of `[start, end)` that overlaps no busy interval.
fn longest_free_piece(
    span: (DateTime<Utc>, DateTime<Utc>),
    busy: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    free_pieces(span, busy)
        .into_iter()
        .max_by_key(|(s, e)| *e - *s)
}

/// The parts of `[start, end)` that overlap no busy interval, in order
/// (the personal plan fits sleep around duties and commitments with it).
pub(crate) fn free_pieces(
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    busy: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut free = vec![(start, end)];
    for &(bs, be) in busy.iter().filter(|(bs, be)| *bs < end && *be > start) {
        free = free
            .into_iter()
            .flat_map(|(s, e)| {
                [(s, e.min(bs)), (s.max(be), e)]
                    .into_iter()
                    .filter(|(a, b)| a < b)
            })
            .collect();
    }
    free
}

/// A span the wearable covered, UTC `[start, end)`: a stage sample of any
/// kind (in bed, awake, asleep) or a recorded sleep.
pub type Covered = (DateTime<Utc>, DateTime<Utc>);

/// True when a sleep opportunity counts as recorded: the wearable covered
/// it, that is a recorded sleep or a covered span overlaps it
/// (`docs/science.md` §6, "wherever it exists").
///
/// The one rule for phone and server; only the evidence differs. On the
/// phone, `recorded` is the stored sleep episodes and `covered` the stored
/// sleep-stage samples, in-bed time included; on the server, `recorded` is
/// the main sleep of each synced daily summary (the summary for a night
/// carries that night's main sleep, the only evidence the server holds)
/// and `covered` is empty. A night with no recording is a night without
/// data, never a night without sleep: it keeps its predicted sleep, before
/// and after now alike.
pub fn is_recorded(
    opportunity: &SleepPeriod,
    recorded: &[SleepPeriod],
    covered: &[Covered],
) -> bool {
    recorded.iter().any(|r| r.overlaps(opportunity))
        || covered
            .iter()
            .any(|&(s, e)| s < opportunity.end() && e > opportunity.start())
}

/// Recorded sleep where it exists, predicted sleep for every opportunity
/// the wearable did not cover ([`is_recorded`]).
///
/// The result is sorted and never overlaps itself (recorded sleeps must not
/// overlap each other; predicted ones never do).
pub fn combine(
    recorded: &[SleepPeriod],
    covered: &[Covered],
    predicted: &[SleepPeriod],
) -> Vec<(SleepPeriod, SleepSource)> {
    let mut out: Vec<(SleepPeriod, SleepSource)> = recorded
        .iter()
        .map(|s| (*s, SleepSource::Recorded))
        .chain(
            predicted
                .iter()
                .filter(|p| !is_recorded(p, recorded, covered))
                .map(|p| (*p, SleepSource::Predicted)),
        )
        .collect();
    out.sort_by_key(|(s, _)| *s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, d, h, m, 0).unwrap()
    }

    fn shift(d: u32, h: u32, len: i64) -> Shift {
        Shift::new(utc(d, h, 0), utc(d, h, 0) + Duration::hours(len)).unwrap()
    }

    fn predict(shifts: &[Shift], from: u32, to: u32) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        predict_sleep(
            shifts,
            utc(from, 0, 0),
            utc(to, 23, 0),
            &LocalClock::utc(),
            &SleepRules::default(),
        )
        .iter()
        .map(|s| (s.start(), s.end()))
        .collect()
    }

    #[test]
    fn the_next_main_sleep_skips_the_pre_night_nap() {
        let rules = SleepRules::default();
        let clock = LocalClock::utc();
        // Rest day, 10:00: tonight 23:00–07:00.
        let next = next_main_sleep(&[], utc(10, 10, 0), &clock, &rules).unwrap();
        assert_eq!((next.start(), next.end()), (utc(10, 23, 0), utc(11, 7, 0)));
        // A first night 22:00–07:00 on the 10th, at 10:00: the 90-minute
        // nap 17:30–19:00 is not the main sleep; the day sleep after the
        // shift, 08:00–13:00, is.
        let night = [shift(10, 22, 9)];
        let next = next_main_sleep(&night, utc(10, 10, 0), &clock, &rules).unwrap();
        assert_eq!((next.start(), next.end()), (utc(11, 8, 0), utc(11, 13, 0)));
        // At 23:30 on a rest day the night's sleep has begun: the next is
        // tomorrow's.
        let next = next_main_sleep(&[], utc(10, 23, 30), &clock, &rules).unwrap();
        assert_eq!(next.start(), utc(11, 23, 0));
    }

    #[test]
    fn rest_days_sleep_23_to_07() {
        let sleeps = predict(&[], 10, 11);
        assert!(sleeps.contains(&(utc(10, 23, 0), utc(11, 7, 0))));
        assert!(sleeps.contains(&(utc(9, 23, 0), utc(10, 7, 0))));
    }

    #[test]
    fn early_start_cuts_sleep_short() {
        // 06:00 start: wake 04:45, asleep at 22:00 (8 h before waking is 20:45).
        let sleeps = predict(&[shift(11, 6, 8)], 10, 11);
        assert!(
            sleeps.contains(&(utc(10, 22, 0), utc(11, 4, 45))),
            "{sleeps:?}"
        );
    }

    #[test]
    fn every_early_start_brings_bedtime_forward() {
        // First early after rest days: 22:00, waking 04:45.
        let first = predict(&[shift(11, 6, 8)], 10, 11);
        assert!(
            first.contains(&(utc(10, 22, 0), utc(11, 4, 45))),
            "{first:?}"
        );
        // Second early of a run, after a worked day: the same 22:00 bedtime.
        let run = predict(&[shift(10, 6, 8), shift(11, 6, 8)], 10, 11);
        assert!(run.contains(&(utc(10, 22, 0), utc(11, 4, 45))), "{run:?}");
        // An 08:00 start: 8 h before waking at 06:45 is later than 22:00.
        let eight = predict(&[shift(10, 7, 8), shift(11, 8, 8)], 10, 11);
        assert!(
            eight.contains(&(utc(10, 22, 45), utc(11, 6, 45))),
            "{eight:?}"
        );
        // A 09:00 start is not early: the usual 23:00-07:00 night.
        let nine = predict(&[shift(10, 9, 8), shift(11, 9, 8)], 10, 11);
        assert!(nine.contains(&(utc(10, 23, 0), utc(11, 7, 0))), "{nine:?}");
    }

    #[test]
    fn an_early_after_a_late_keeps_the_later_bedtime() {
        // Late ending 23:00 (after 22:00): asleep 00:30, not 22:00; wake 05:45.
        let late = predict(&[shift(10, 15, 8), shift(11, 7, 8)], 10, 11);
        assert!(late.contains(&(utc(11, 0, 30), utc(11, 5, 45))), "{late:?}");
        // Late ending 21:00: the early bedtime of 22:00 holds, once the
        // commute home is over.
        let earlier = predict(&[shift(10, 13, 8), shift(11, 6, 8)], 10, 11);
        assert!(
            earlier.contains(&(utc(10, 22, 0), utc(11, 4, 45))),
            "{earlier:?}"
        );
        // Late ending 22:00 (not after it): the commute pushes sleep to 23:00.
        let ten = predict(&[shift(10, 14, 8), shift(11, 6, 8)], 10, 11);
        assert!(ten.contains(&(utc(10, 23, 0), utc(11, 4, 45))), "{ten:?}");
    }

    #[test]
    fn late_finish_delays_sleep() {
        // 15:00-23:00 late: asleep 00:30, 8 h to 08:30.
        let sleeps = predict(&[shift(10, 15, 8)], 10, 11);
        assert!(
            sleeps.contains(&(utc(11, 0, 30), utc(11, 8, 30))),
            "{sleeps:?}"
        );
        // Followed by a 07:00 early: wake 05:45 instead (a quick return).
        let sleeps = predict(&[shift(10, 15, 8), shift(11, 7, 8)], 10, 11);
        assert!(
            sleeps.contains(&(utc(11, 0, 30), utc(11, 5, 45))),
            "{sleeps:?}"
        );
    }

    #[test]
    fn nights_get_a_nap_before_the_first_and_five_hours_after_each() {
        let nights = [shift(10, 22, 9), shift(11, 22, 9)];
        let sleeps = predict(&nights, 10, 12);
        // Nap 17:30-19:00 before the first night only.
        assert!(
            sleeps.contains(&(utc(10, 17, 30), utc(10, 19, 0))),
            "{sleeps:?}"
        );
        assert!(
            !sleeps.contains(&(utc(11, 17, 30), utc(11, 19, 0))),
            "{sleeps:?}"
        );
        // Day sleep 08:00-13:00 after each night.
        assert!(
            sleeps.contains(&(utc(11, 8, 0), utc(11, 13, 0))),
            "{sleeps:?}"
        );
        assert!(
            sleeps.contains(&(utc(12, 8, 0), utc(12, 13, 0))),
            "{sleeps:?}"
        );
        // No sleep during a night shift or its commute.
        for (s, e) in &sleeps {
            for n in &nights {
                assert!(*e <= n.start() - Duration::hours(1) || *s >= n.end() + Duration::hours(1));
            }
        }
    }

    #[test]
    fn recorded_sleep_replaces_only_the_opportunity_it_covers() {
        let predicted = predict_sleep(
            &[],
            utc(10, 0, 0),
            utc(12, 23, 0),
            &LocalClock::utc(),
            &SleepRules::default(),
        );
        let recorded = [SleepPeriod::new(utc(11, 1, 0), utc(11, 6, 0)).unwrap()];
        let combined = combine(&recorded, &[], &predicted);
        assert!(combined.contains(&(recorded[0], SleepSource::Recorded)));
        // The night it covers is gone; the nights before and after it stay.
        let predicted_night = |d: u32| {
            (
                SleepPeriod::new(utc(d, 23, 0), utc(d + 1, 7, 0)).unwrap(),
                SleepSource::Predicted,
            )
        };
        assert!(!combined.contains(&predicted_night(10)), "{combined:?}");
        assert!(combined.contains(&predicted_night(9)), "{combined:?}");
        assert!(combined.contains(&predicted_night(11)), "{combined:?}");
        for pair in combined.windows(2) {
            assert!(!pair[0].0.overlaps(&pair[1].0));
        }
    }

    #[test]
    fn in_bed_time_covers_an_opportunity_and_nothing_else_does() {
        let night = SleepPeriod::new(utc(10, 23, 0), utc(11, 7, 0)).unwrap();
        // In bed but not asleep: the wearable covered the night.
        assert!(is_recorded(&night, &[], &[(utc(11, 2, 0), utc(11, 3, 0))]));
        // Touching at an end is not covering.
        assert!(!is_recorded(&night, &[], &[(utc(11, 7, 0), utc(11, 8, 0))]));
        let nap = SleepPeriod::new(utc(11, 14, 0), utc(11, 15, 0)).unwrap();
        assert!(!is_recorded(&night, &[nap], &[]));
        // Nothing recorded: every opportunity keeps its predicted sleep.
        assert!(!is_recorded(&night, &[], &[]));
        let none = combine(&[], &[], &[night]);
        assert_eq!(none, vec![(night, SleepSource::Predicted)]);
    }
}
