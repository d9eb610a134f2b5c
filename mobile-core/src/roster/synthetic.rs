//! Synthetic rosters for the demonstration server, the synthetic forces of
//! the report and cohort tests, and benchmarks: the one generator they all
//! use. A team works a rota (a cycle of days, each a duty or rest); a
//! person's roster is that rota laid out day by day from a first date in a
//! zone, staggered by the person's place in the cycle, with the irregular
//! duties of [`Variation`] drawn from a seeded [`Rng`], so the same seed
//! gives the same roster. Not science: plausible shapes for demonstrations
//! and tests.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use models::Shift;

use crate::synthetic::Rng;

/// A day of a rota: a duty starting at `(local start hour, hours long)`, or
/// rest (`None`).
pub type Slot = Option<(u32, i64)>;

/// The common control-room and response pattern: two 12-hour days from
/// 07:00, two 12-hour nights from 19:00, four days off. The demo force and
/// the synthetic report data both roster it.
pub const TWO_DAYS_TWO_NIGHTS_FOUR_OFF: [Slot; 8] = [
    Some((7, 12)),
    Some((7, 12)),
    Some((19, 12)),
    Some((19, 12)),
    None,
    None,
    None,
    None,
];

/// The irregular duties drawn into a roster. [`Variation::NONE`] lays the
/// rota out exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variation {
    /// Chance that a day (duty or rest) is instead a 06:00 12-hour duty: a
    /// swapped or extra shift, making quick returns and long weeks.
    pub extra_long_day: f64,
    /// Chance that a duty starting at 19:00 or later is swapped for a 14:00
    /// start (a quick return after a day).
    pub night_swapped_for_late: f64,
    /// Chance that a duty starting before noon runs 3 hours over.
    pub overrun: f64,
    /// Each duty starts 0 to this many quarter hours after its hour, at
    /// random (0: on the hour).
    pub late_start_quarters: u32,
}

impl Variation {
    /// The rota exactly as written.
    pub const NONE: Variation = Variation {
        extra_long_day: 0.0,
        night_swapped_for_late: 0.0,
        overrun: 0.0,
        late_start_quarters: 0,
    };
}

/// One day of a synthetic roster.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterDay {
    /// The local date.
    pub date: NaiveDate,
    /// The duty that day, if any.
    pub duty: Option<Duty>,
}

/// A synthetic duty.
#[derive(Debug, Clone, PartialEq)]
pub struct Duty {
    /// The local hour it starts in.
    pub start_hour: u32,
    /// The duty period.
    pub shift: Shift,
}

/// The roster of one person working `rota` for `days` days from
/// `first_day`: day `d` works slot `(d + offset) mod rota.len()`, local
/// times read in `zone` (a time the clocks skip is moved past the gap).
/// Every day is listed, rest days with no duty. Empty for an empty rota.
pub fn person_roster(
    rota: &[Slot],
    offset: i64,
    first_day: NaiveDate,
    days: i64,
    zone: Tz,
    variation: &Variation,
    rng: &mut Rng,
) -> Vec<RosterDay> {
    if rota.is_empty() {
        return Vec::new();
    }
    let cycle = rota.len() as i64;
    (0..days)
        .map(|d| {
            let date = first_day + Duration::days(d);
            let slot = rota[(d + offset).rem_euclid(cycle) as usize];
            let slot = if rng.chance(variation.extra_long_day) {
                Some((6, 12))
            } else {
                slot
            };
            let duty = slot.and_then(|(hour, hours)| {
                let hour = if hour >= 19 && rng.chance(variation.night_swapped_for_late) {
                    14
                } else {
                    hour
                };
                let hours = if hour < 12 && rng.chance(variation.overrun) {
                    hours + 3
                } else {
                    hours
                };
                let late =
                    Duration::minutes(15 * i64::from(rng.below(variation.late_start_quarters + 1)));
                let start = local(zone, date, hour)? + late;
                let shift = Shift::new(start, start + Duration::hours(hours)).ok()?;
                Some(Duty {
                    start_hour: hour,
                    shift,
                })
            });
            RosterDay { date, duty }
        })
        .collect()
}

/// `hour`:00 on `date` in `zone`, the earlier of a repeated hour, past the
/// gap of a skipped one.
fn local(zone: Tz, date: NaiveDate, hour: u32) -> Option<DateTime<Utc>> {
    let naive = date.and_hms_opt(hour, 0, 0)?;
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const FOUR_ON_FOUR_OFF: [Slot; 8] = [
        Some((7, 10)),
        Some((7, 10)),
        Some((22, 10)),
        Some((22, 10)),
        None,
        None,
        None,
        None,
    ];

    const IRREGULAR: Variation = Variation {
        extra_long_day: 0.05,
        night_swapped_for_late: 0.2,
        overrun: 0.1,
        late_start_quarters: 3,
    };

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, d).unwrap()
    }

    fn utc(m: u32, d: u32, h: u32) -> DateTime<Utc> {
        date(m, d).and_hms_opt(h, 0, 0).unwrap().and_utc()
    }

    #[test]
    fn without_variation_the_rota_is_laid_out_in_local_time() {
        let days = person_roster(
            &FOUR_ON_FOUR_OFF,
            6,
            date(3, 28),
            4,
            Tz::Europe__London,
            &Variation::NONE,
            &mut Rng::new(1),
        );
        // Offset 6: the first two days are rest, then two 07:00 days, the
        // second after the clocks go forward on 30 March.
        assert_eq!(days.len(), 4);
        assert_eq!(days[0].date, date(3, 28));
        assert!(days[0].duty.is_none() && days[1].duty.is_none());
        let first = days[2].duty.as_ref().unwrap();
        assert_eq!(first.start_hour, 7);
        assert_eq!(first.shift.start(), utc(3, 30, 6), "07:00 BST");
        assert_eq!(first.shift.end(), utc(3, 30, 16));
        let second = days[3].duty.as_ref().unwrap();
        assert_eq!(second.shift.start(), utc(3, 31, 6));
    }

    #[test]
    fn the_same_seed_gives_the_same_roster_and_another_seed_another() {
        let roster = |seed| {
            person_roster(
                &FOUR_ON_FOUR_OFF,
                0,
                date(1, 1),
                120,
                Tz::UTC,
                &IRREGULAR,
                &mut Rng::new(seed),
            )
        };
        assert_eq!(roster(7), roster(7));
        assert_ne!(roster(7), roster(8));
    }

    #[test]
    fn variations_change_only_what_they_say() {
        let days = person_roster(
            &FOUR_ON_FOUR_OFF,
            0,
            date(1, 1),
            800,
            Tz::UTC,
            &IRREGULAR,
            &mut Rng::new(3),
        );
        let duties: Vec<&Duty> = days.iter().filter_map(|d| d.duty.as_ref()).collect();
        let starts = |h: u32| duties.iter().filter(|d| d.start_hour == h).count();
        // Half the days are rota duties, plus about 5% extra long days.
        assert!(duties.len() > 400 && duties.len() < 480, "{}", duties.len());
        assert!(starts(6) > 20, "extra 06:00 days: {}", starts(6));
        assert!(starts(14) > 20, "nights swapped for lates: {}", starts(14));
        assert!(starts(22) > starts(14), "most nights stay nights");
        assert!(
            duties
                .iter()
                .all(|d| [6, 7, 14, 22].contains(&d.start_hour))
        );
        for d in &duties {
            let late = d.shift.start() - utc(1, 1, 0);
            let minutes_past_hour = late.num_minutes().rem_euclid(60);
            assert!([0, 15, 30, 45].contains(&minutes_past_hour));
            let hours = (d.shift.end() - d.shift.start()).num_hours();
            let allowed: &[i64] = match d.start_hour {
                6 => &[12, 15],
                7 => &[10, 13],
                _ => &[10],
            };
            assert!(
                allowed.contains(&hours),
                "{} h from {}",
                hours,
                d.start_hour
            );
        }
        assert!(
            duties
                .iter()
                .any(|d| (d.shift.end() - d.shift.start()).num_hours() == 13),
            "some day duties overrun"
        );
    }

    #[test]
    fn an_empty_rota_gives_no_roster() {
        let days = person_roster(
            &[],
            0,
            date(1, 1),
            10,
            Tz::UTC,
            &Variation::NONE,
            &mut Rng::new(1),
        );
        assert!(days.is_empty());
    }
}
