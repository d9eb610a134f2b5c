//! A team's wellbeing figures (sleep, sleep debt, red recovery mornings)
//! from its consenting members' daily summaries, under the small-number
//! rule, built so that no two answers the API allows can be differenced
//! down to fewer than [`MIN_PEOPLE`] people (docs/security.md,
//! "Differencing").
//!
//! The unit is the **week cell**: one team's summaries for one ISO week
//! (Monday to Sunday). The server freezes a cell the first time it is read
//! after the week has closed ([`week_closed`]) and never changes it: a
//! later change of membership, a late sync or an erasure does not move a
//! published figure, so reading the same period twice gives the same
//! answer. A period is a run of whole weeks ([`WELLBEING_MAX_WEEKS`] at
//! most), and a figure is published for it only when **every** week cell
//! in it publishes that figure on its own, from at least [`MIN_PEOPLE`]
//! people. Two allowed periods of a team therefore differ by whole cells,
//! each of at least five people: the most a difference can tell is a
//! figure about five or more people, which the API would publish anyway.
//!
//! Published figures are rounded ([`SLEEP_HOURS_STEP`], [`SHARE_STEP`]),
//! and the people are the fewest in any week, counted down to a multiple
//! of [`MIN_PEOPLE`].

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use models::sync::{DailySummary, RecoveryBand};
use serde::{Deserialize, Serialize};

use crate::suppression::{MIN_PEOPLE, publishable};

/// Weeks a wellbeing period may cover at most.
pub const WELLBEING_MAX_WEEKS: i64 = 8;
/// Days after a week's Sunday before it may be read (and so frozen): the
/// phones sync each morning, and two days let one missed morning catch up.
/// A summary that arrives after the cell is frozen is not in it.
pub const GRACE_DAYS: i64 = 2;
/// Published hours of sleep and debt are rounded to a quarter hour.
pub const SLEEP_HOURS_STEP: f64 = 0.25;
/// The published red share is rounded to a tenth.
pub const SHARE_STEP: f64 = 0.1;

/// Sums of one week's sleep, kept only when at least [`MIN_PEOPLE`]
/// people sent summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SleepSums {
    /// People who sent at least one summary (never published exactly).
    pub people: u32,
    /// Summaries (nights).
    pub nights: u32,
    /// Sum of the nights' sleep, minutes.
    pub sleep_minutes: u64,
    /// Sum of the nights' 7-night sleep debt, minutes.
    pub debt_minutes: u64,
}

/// Counts of one week's scored mornings, kept only when at least
/// [`MIN_PEOPLE`] people had one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedCounts {
    /// Mornings with a recovery band.
    pub banded_nights: u32,
    /// Of them, in the red band.
    pub red_nights: u32,
}

/// One team's week: what may ever be published about it. A figure under
/// the small-number rule is not kept at all (`None`), so a frozen cell
/// holds nothing about fewer than [`MIN_PEOPLE`] people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekCell {
    /// The week's Monday.
    pub week: NaiveDate,
    /// Sleep sums, or `None` under [`MIN_PEOPLE`] people.
    pub sleep: Option<SleepSums>,
    /// Red-band counts, or `None` under [`MIN_PEOPLE`] people with a
    /// scored morning (always `None` when `sleep` is).
    pub red: Option<RedCounts>,
}

/// The figures published for a period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// The fewest people in any week of the period, counted down to a
    /// multiple of [`MIN_PEOPLE`]; `None` when suppressed.
    pub people: Option<u32>,
    /// True when some week has fewer than [`MIN_PEOPLE`] people: nothing
    /// else is given.
    pub suppressed: bool,
    /// Mean nightly sleep, hours, to a quarter hour.
    pub mean_sleep_hours: Option<f64>,
    /// Mean 7-night sleep debt, hours, to a quarter hour.
    pub mean_sleep_debt_hours: Option<f64>,
    /// Share of scored mornings in the red band, to a tenth; `None` when
    /// some week has fewer than [`MIN_PEOPLE`] people with a scored morning.
    pub red_recovery_share: Option<f64>,
}

/// The Mondays of a period of whole ISO weeks (Monday to Sunday, at most
/// [`WELLBEING_MAX_WEEKS`]), or `None` when the period is not one.
pub fn weeks_of(from: NaiveDate, to: NaiveDate) -> Option<Vec<NaiveDate>> {
    let days = (to - from).num_days() + 1;
    let whole = from.weekday() == Weekday::Mon && to.weekday() == Weekday::Sun && days > 0;
    let weeks = days / 7;
    (whole && weeks <= WELLBEING_MAX_WEEKS)
        .then(|| (0..weeks).map(|w| from + Duration::days(7 * w)).collect())
}

/// True when the week starting on `monday` may be read on `today` (the
/// force's local date): [`GRACE_DAYS`] days after its Sunday.
pub fn week_closed(monday: NaiveDate, today: NaiveDate) -> bool {
    today >= monday + Duration::days(7 + GRACE_DAYS)
}

/// The week cell from the summaries of the team's consenting members for
/// that week (each with its person's key). Summaries outside the week are
/// ignored.
pub fn week_cell<P: Ord>(week: NaiveDate, summaries: &[(P, DailySummary)]) -> WeekCell {
    let end = week + Duration::days(6);
    let in_week: Vec<&(P, DailySummary)> = summaries
        .iter()
        .filter(|(_, s)| (week..=end).contains(&s.local_date))
        .collect();
    let people: BTreeSet<&P> = in_week.iter().map(|(p, _)| p).collect();
    if !publishable(people.len()) {
        return WeekCell {
            week,
            sleep: None,
            red: None,
        };
    }
    let sleep = SleepSums {
        people: u32::try_from(people.len()).unwrap_or(u32::MAX),
        nights: count(in_week.len()),
        sleep_minutes: in_week
            .iter()
            .map(|(_, s)| u64::from(s.sleep_minutes))
            .sum(),
        debt_minutes: in_week
            .iter()
            .map(|(_, s)| u64::from(s.sleep_debt_minutes))
            .sum(),
    };
    let banded: Vec<(&P, RecoveryBand)> = in_week
        .iter()
        .filter_map(|(p, s)| s.recovery_band.map(|b| (p, b)))
        .collect();
    let banded_people: BTreeSet<&P> = banded.iter().map(|(p, _)| *p).collect();
    let red = publishable(banded_people.len()).then(|| RedCounts {
        banded_nights: count(banded.len()),
        red_nights: count(
            banded
                .iter()
                .filter(|(_, b)| *b == RecoveryBand::Red)
                .count(),
        ),
    });
    WeekCell {
        week,
        sleep: Some(sleep),
        red,
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn round_to(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

/// The period's published figures from its week cells: a figure only when
/// every cell has it, rounded; no cells is suppressed.
pub fn publish(cells: &[WeekCell]) -> Published {
    let sleep: Option<Vec<SleepSums>> = cells.iter().map(|c| c.sleep).collect();
    let Some(sleep) = sleep.filter(|s| !s.is_empty()) else {
        return Published {
            people: None,
            suppressed: true,
            mean_sleep_hours: None,
            mean_sleep_debt_hours: None,
            red_recovery_share: None,
        };
    };
    let nights: u64 = sleep.iter().map(|s| u64::from(s.nights)).sum();
    let hours = |total: u64| round_to(total as f64 / nights as f64 / 60.0, SLEEP_HOURS_STEP);
    let red: Option<Vec<RedCounts>> = cells.iter().map(|c| c.red).collect();
    let red_share = red.map(|r| {
        let banded: u64 = r.iter().map(|c| u64::from(c.banded_nights)).sum();
        let reds: u64 = r.iter().map(|c| u64::from(c.red_nights)).sum();
        round_to(reds as f64 / banded as f64, SHARE_STEP)
    });
    let fewest = sleep.iter().map(|s| s.people).min().unwrap_or(0);
    Published {
        people: Some(fewest / MIN_PEOPLE * MIN_PEOPLE),
        suppressed: false,
        mean_sleep_hours: Some(hours(sleep.iter().map(|s| s.sleep_minutes).sum())),
        mean_sleep_debt_hours: Some(hours(sleep.iter().map(|s| s.debt_minutes).sum())),
        red_recovery_share: red_share,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn monday(week: i64) -> NaiveDate {
        // 2026-01-05 is a Monday.
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap() + Duration::days(7 * week)
    }

    fn summary(day: NaiveDate, minutes: u32, band: Option<RecoveryBand>) -> DailySummary {
        DailySummary {
            local_date: day,
            main_sleep_start: None,
            main_sleep_end: None,
            sleep_minutes: minutes,
            sleep_debt_minutes: 60,
            recovery_score: band.map(|_| 50),
            recovery_band: band,
            hrv_deviation_sd: None,
            resting_hr_deviation_bpm: None,
        }
    }

    #[test]
    fn periods_are_whole_iso_weeks_up_to_eight() {
        let m = monday(0);
        assert_eq!(weeks_of(m, m + Duration::days(6)), Some(vec![m]));
        assert_eq!(
            weeks_of(m, m + Duration::days(13)),
            Some(vec![m, monday(1)])
        );
        // A day short, a day late, or nine weeks: refused.
        assert_eq!(weeks_of(m, m + Duration::days(5)), None);
        assert_eq!(weeks_of(m + Duration::days(1), m + Duration::days(7)), None);
        assert_eq!(weeks_of(m, m + Duration::days(62)), None);
        assert_eq!(
            weeks_of(m, m + Duration::days(55)).map(|w| w.len()),
            Some(8)
        );
    }

    #[test]
    fn a_week_closes_two_days_after_its_sunday() {
        let m = monday(0); // Monday 5 January; Sunday the 11th.
        assert!(!week_closed(m, m + Duration::days(6)));
        assert!(!week_closed(m, m + Duration::days(8))); // Tuesday the 13th
        assert!(week_closed(m, m + Duration::days(9))); // Wednesday the 14th
    }

    #[test]
    fn a_cell_keeps_nothing_about_fewer_than_five_people() {
        let w = monday(0);
        // Four people, two nights each: nothing kept.
        let four: Vec<(u8, DailySummary)> = (0..8)
            .map(|i| {
                (
                    i / 2,
                    summary(w + Duration::days(i64::from(i % 2)), 400, None),
                )
            })
            .collect();
        assert_eq!(
            week_cell(w, &four),
            WeekCell {
                week: w,
                sleep: None,
                red: None
            }
        );
        // A fifth person's night outside the week does not count.
        let mut late = four.clone();
        late.push((4, summary(w + Duration::days(7), 400, None)));
        assert_eq!(week_cell(w, &late).sleep, None);
        // Inside it, it does: 5 people, 9 nights, 9 × 400 minutes.
        late.push((
            4,
            summary(w + Duration::days(6), 400, Some(RecoveryBand::Red)),
        ));
        let c = week_cell(w, &late);
        assert_eq!(
            c.sleep,
            Some(SleepSums {
                people: 5,
                nights: 9,
                sleep_minutes: 3600,
                debt_minutes: 540
            })
        );
        // Only one person had a scored morning: no red counts.
        assert_eq!(c.red, None);
    }

    #[test]
    fn a_period_publishes_a_figure_only_when_every_week_does() {
        let (w0, w1) = (monday(0), monday(1));
        // Week 0: six people, 420 minutes, all banded, two of six red.
        let mut s: Vec<(u8, DailySummary)> = (0..6)
            .map(|p| {
                let band = if p < 2 {
                    RecoveryBand::Red
                } else {
                    RecoveryBand::Green
                };
                (p, summary(w0, 420, Some(band)))
            })
            .collect();
        // Week 1: five people, 360 minutes, none banded.
        s.extend((0..5).map(|p| (p, summary(w1, 360, None))));
        let cells = [week_cell(w0, &s), week_cell(w1, &s)];
        let one = publish(&cells[..1]);
        // 420 min = 7 h; 2/6 = 0.33 -> 0.3; six people -> 5.
        assert_eq!(one.people, Some(5));
        assert_eq!(one.mean_sleep_hours, Some(7.0));
        assert_eq!(one.mean_sleep_debt_hours, Some(1.0));
        assert!((one.red_recovery_share.unwrap() - 0.3).abs() < 1e-9);
        let both = publish(&cells);
        // (6 × 420 + 5 × 360) / 11 = 392.7 min = 6.545 h -> 6.5.
        assert_eq!(both.mean_sleep_hours, Some(6.5));
        // Week 1 has no red counts, so the two-week share is withheld.
        assert_eq!(both.red_recovery_share, None);
        // A week of four people withholds everything for any period with it.
        let thin: Vec<(u8, DailySummary)> =
            (0..4).map(|p| (p, summary(monday(2), 400, None))).collect();
        let with_thin = [cells[0], cells[1], week_cell(monday(2), &thin)];
        assert!(publish(&with_thin).suppressed);
        assert_eq!(publish(&with_thin).mean_sleep_hours, None);
        assert!(publish(&[]).suppressed);
    }

    /// One person's summaries in each of ten weeks: (person, week, nights,
    /// minutes, banded, red).
    type Raw = Vec<(u8, i64, u8, u32, bool, bool)>;

    fn summaries(raw: &Raw) -> Vec<(u8, DailySummary)> {
        let mut out = Vec::new();
        for &(p, w, nights, minutes, banded, red) in raw {
            for n in 0..nights {
                let band = banded.then_some(if red {
                    RecoveryBand::Red
                } else {
                    RecoveryBand::Amber
                });
                out.push((
                    p,
                    summary(monday(w) + Duration::days(i64::from(n)), minutes, band),
                ));
            }
        }
        out
    }

    /// Distinct people with a summary (or a banded one) in a week.
    fn people_in(s: &[(u8, DailySummary)], week: i64, banded_only: bool) -> usize {
        let (from, to) = (monday(week), monday(week) + Duration::days(6));
        s.iter()
            .filter(|(_, d)| (from..=to).contains(&d.local_date))
            .filter(|(_, d)| !banded_only || d.recovery_band.is_some())
            .map(|(p, _)| *p)
            .collect::<BTreeSet<_>>()
            .len()
    }

    proptest! {
        // The threat (docs/security.md, "Differencing"): a reader asks for
        // any two periods the API allows for a team and subtracts. The
        // cells are frozen, so the two answers are figures over two sets of
        // whole weeks; what one has and the other lacks is whole weeks. The
        // property: whenever a figure is published in both answers, every
        // week in which they differ holds summaries from at least five
        // people for that figure (counted from the raw summaries, not from
        // the cells), and so does every week of each answer. A rule that
        // counted the people over the whole period, as the API did before,
        // fails it: five people in week 1 and one of them in week 2 publish
        // weeks 1-2 and week 1, whose difference is one person's nights.
        #[test]
        fn no_two_allowed_periods_difference_to_fewer_than_five_people(
            raw in prop::collection::vec(
                (0u8..9, 0i64..10, 1u8..8, 240u32..600, any::<bool>(), any::<bool>()),
                0..90,
            ),
            a in (0i64..10, 1i64..=8),
            b in (0i64..10, 1i64..=8),
        ) {
            let s = summaries(&raw);
            let cells: Vec<WeekCell> = (0..10).map(|w| week_cell(monday(w), &s)).collect();
            let span = |(start, len): (i64, i64)| start..(start + len).min(10);
            let answer = |p: (i64, i64)| publish(&cells[span(p).start as usize..span(p).end as usize]);
            let (pa, pb) = (answer(a), answer(b));
            let weeks_a: BTreeSet<i64> = span(a).collect();
            let weeks_b: BTreeSet<i64> = span(b).collect();
            let differ: Vec<i64> = weeks_a.symmetric_difference(&weeks_b).copied().collect();
            for (published_a, published_b, banded_only) in [
                (pa.mean_sleep_hours.is_some(), pb.mean_sleep_hours.is_some(), false),
                (pa.red_recovery_share.is_some(), pb.red_recovery_share.is_some(), true),
            ] {
                for (published, weeks) in [(published_a, &weeks_a), (published_b, &weeks_b)] {
                    if published {
                        for &w in weeks {
                            prop_assert!(people_in(&s, w, banded_only) >= MIN_PEOPLE as usize);
                        }
                    }
                }
                if published_a && published_b {
                    for &w in &differ {
                        prop_assert!(people_in(&s, w, banded_only) >= MIN_PEOPLE as usize,
                            "week {w} differs between the answers with under five people");
                    }
                }
            }
            // The same period always gets the same answer from the same cells.
            prop_assert_eq!(answer(a), pa);
            // The people figure never says more than "at least a multiple of five".
            if let Some(n) = pa.people {
                prop_assert_eq!(n % MIN_PEOPLE, 0);
                prop_assert!(n >= MIN_PEOPLE);
            }
        }
    }
}
