//! A force's FRM report for a period, by command and team.
//!
//! Every table is a [`Table`] of the force, its commands and their teams,
//! suppressed jointly so that no cell describes fewer than 5 people and
//! none can be recovered by subtraction. Trends give the force row of the
//! same figures for the previous periods of the same length, each period
//! suppressed on its own as its own report would be.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AnalyticsError;
use crate::indicators::{
    ChangeFigures, LearningFigures, Level, LocalDuties, RosterFigures, ScheduleFigures,
    WellbeingFigures, WorkingTimeFigures, change_figures, learning_figures, roster_figures,
    schedule_figures, wellbeing_figures, working_time_figures,
};
use crate::input::{Period, PersonRecords, Rejections, clean_all, parse_zone};
use crate::round::Percentage;
use crate::round::ROUNDING_NOTE;
use crate::suppression::{MIN_PEOPLE, is_primary};
use crate::table::{Cell, ColumnSpec, Hierarchy, Partition, RawTable, Table, TableSpec, publish};
use mobile_core::night_time::NightWindows;
use mobile_core::roster::limits::RosterLimits;
use models::staff::EmploymentType;
use rust_decimal::Decimal;

/// Most previous periods a trend may go back.
pub const MAX_TREND_PERIODS: u32 = 12;

/// What a report is asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRequest {
    /// Force name.
    pub force: String,
    /// The force's IANA zone (periods are local days there).
    pub zone: String,
    /// The period.
    pub period: Period,
    /// How many previous periods of the same length the trend shows.
    pub trend_periods: u32,
    /// The force's roster settings (its amber and red levels and week
    /// start); the defaults when it has set none.
    #[serde(default)]
    pub limits: RosterLimits,
    /// The end of the published roster: duties after the period are known
    /// up to here (the make-up days of WTR reg. 4(6), rests running past
    /// the period's end). `None`: known up to the period's end only.
    #[serde(default)]
    pub roster_horizon: Option<DateTime<Utc>>,
}

/// Facts about how the report was made, printed with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportMeta {
    /// Force name.
    pub force: String,
    /// Zone.
    pub zone: String,
    /// Period.
    pub period: Period,
    /// Days in the period.
    pub days: i64,
    /// The rounding rule.
    pub rounding: String,
    /// Smallest number of people a published cell describes.
    pub min_cell_people: u32,
    /// How suppression works, in a sentence.
    pub suppression: String,
    /// People in the input after cleaning.
    pub people: usize,
    /// Records left out, by reason.
    pub rejections: Rejections,
    /// The roster settings the figures applied (reports made before
    /// settings existed read as the defaults, which they used).
    #[serde(default)]
    pub limits: RosterLimits,
}

/// One period's headline figures for the force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// The period.
    pub period: Period,
    /// Figures, as `(table id, column heading, cell)` of the force row.
    pub figures: Vec<TrendFigure>,
}

/// One headline figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendFigure {
    /// Table it comes from.
    pub table: String,
    /// Column heading.
    pub column: String,
    /// The force row's cell.
    pub cell: Cell,
}

/// A report: its facts, its tables and its trend (oldest period first,
/// the report's own period last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// How it was made.
    pub meta: ReportMeta,
    /// Tables for the period.
    pub tables: Vec<Table>,
    /// Headline figures over the previous periods and this one.
    pub trend: Vec<TrendPoint>,
    /// Peer-support call-backs in the period, force level only (the
    /// server adds them; absent from reports made before they were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_support: Option<PeerSupportFigures>,
    /// The supervisor FRM training course, force level only (the server
    /// adds it; absent from reports made before it did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor_training: Option<SupervisorTrainingFigures>,
    /// Draft rosters published in the period, and those published over red
    /// flags with a reason, force level only (the server adds them; absent
    /// from reports made before drafts existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_drafts: Option<PublishedDraftFigures>,
}

/// Draft rosters published in the period for the whole force, and of those
/// the ones published over red flags (each with a reason, kept in the
/// audit log). These count supervisors' decisions about rosters, not
/// people or anything about their health, so the small-number rule does
/// not withhold them: an FRM lead must see a single roster published over
/// a red flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedDraftFigures {
    /// Drafts published in the period.
    pub published: Cell,
    /// Of those, published over red flags, with reasons.
    pub over_red_flags: Cell,
}

impl PublishedDraftFigures {
    /// Figures from the server's counts; the share is of the drafts published.
    pub fn new(published: i64, over_red_flags: i64) -> Self {
        let cell = |n: i64, percent: Option<Percentage>| Cell {
            value: Some(Decimal::from(n)),
            suppressed: false,
            percent,
        };
        Self {
            published: cell(published, None),
            over_red_flags: cell(
                over_red_flags,
                Percentage::new(
                    over_red_flags,
                    published,
                    "draft rosters published in the period (force)",
                ),
            ),
        }
    }

    /// `(label, cell)` in print order.
    pub fn figures(&self) -> [(&'static str, &Cell); 2] {
        [
            ("draft rosters published", &self.published),
            (
                "published over red flags, with reasons",
                &self.over_red_flags,
            ),
        ]
    }
}

/// A force-level count and parts of it under the small-number rule: a
/// count the caller withheld (`None`: under 5) stays withheld, and a part
/// is withheld too when the total minus it would be 1 to 4 (the
/// complement would describe fewer than 5). Parts carry their share of the
/// total, described by `of`.
fn force_counts<const N: usize>(
    total: Option<i64>,
    parts: [Option<i64>; N],
    of: &str,
) -> (Cell, [Cell; N]) {
    let cell = |n: Option<i64>, percent: Option<Percentage>| Cell {
        value: n.map(Decimal::from),
        suppressed: n.is_none(),
        percent,
    };
    let parts = parts.map(|part| {
        // The rest of the total (t - p) is a count too: withheld when 1 to 4.
        let part = part.filter(|p| {
            total.is_none_or(|t| u32::try_from(t - p).map_or(true, |rest| !is_primary(rest)))
        });
        let percent = match (part, total) {
            (Some(n), Some(t)) => Percentage::new(n, t, of),
            _ => None,
        };
        cell(part, percent)
    });
    (cell(total, None), parts)
}

/// One force-level figure section: `(id, unit, [(label, cell)])`.
pub type ForceSection<'a> = (&'static str, &'static str, Vec<(&'static str, &'a Cell)>);

/// The supervisor FRM training course for the whole force at the period's
/// end: how many supervisors and FRM leads had passed some of it and all
/// of it (dated by first completion, so a report made again for the same
/// period gives the same figures). Counts only, each under the
/// small-number rule ([`force_counts`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorTrainingFigures {
    /// Supervisor and FRM lead accounts of the force at the period's end.
    pub accounts: Cell,
    /// Of those, accounts that had passed at least one module.
    pub completed_some: Cell,
    /// Of those, accounts that had passed every module of the course.
    pub completed: Cell,
}

impl SupervisorTrainingFigures {
    /// Figures from the server's counts (`None` = withheld there, under
    /// 5); percentages are of the accounts.
    pub fn new(accounts: Option<i64>, completed_some: Option<i64>, completed: Option<i64>) -> Self {
        let of = "supervisor and FRM lead accounts of the force at the period's end";
        let (accounts, [completed_some, completed]) =
            force_counts(accounts, [completed_some, completed], of);
        Self {
            accounts,
            completed_some,
            completed,
        }
    }

    /// `(label, cell)` in print order.
    pub fn figures(&self) -> [(&'static str, &Cell); 3] {
        [
            ("supervisor and FRM lead accounts", &self.accounts),
            ("passed at least one module", &self.completed_some),
            ("completed the whole course", &self.completed),
        ]
    }
}

/// Peer-support call-back figures for the whole force: only counts and
/// response times reach a report (issue 8), each under the small-number
/// rule (a count under 5 is withheld; the median only from 5 responses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerSupportFigures {
    /// Call-back requests made in the period.
    pub requests: Cell,
    /// Of those, acknowledged by a supporter or the coordinator.
    pub acknowledged: Cell,
    /// Of those, marked contacted.
    pub contacted: Cell,
    /// Median minutes from request to first acknowledgement.
    pub median_response_minutes: Cell,
}

impl PeerSupportFigures {
    /// Figures from counts and a median as the server computes them
    /// (`None` = withheld there); percentages are of the requests. A part
    /// is withheld too when the requests minus it (the requests not
    /// acknowledged, or not contacted) would be 1 to 4.
    pub fn new(
        requests: Option<i64>,
        acknowledged: Option<i64>,
        contacted: Option<i64>,
        median_minutes: Option<f64>,
    ) -> Self {
        let of = "call-back requests made in the period (force)";
        let (requests, [acknowledged, contacted]) =
            force_counts(requests, [acknowledged, contacted], of);
        Self {
            requests,
            acknowledged,
            contacted,
            median_response_minutes: Cell {
                value: median_minutes
                    .and_then(Decimal::from_f64_retain)
                    .map(crate::round::round),
                suppressed: median_minutes.is_none(),
                percent: None,
            },
        }
    }

    /// `(label, cell)` in print order.
    pub fn figures(&self) -> [(&'static str, &Cell); 4] {
        [
            ("call-back requests", &self.requests),
            ("acknowledged", &self.acknowledged),
            ("contacted", &self.contacted),
            (
                "median minutes to acknowledgement",
                &self.median_response_minutes,
            ),
        ]
    }
}

impl Report {
    /// The force-level figure sections present, as `(id, unit, figures)`:
    /// peer support, supervisor training, then published drafts (CSV and
    /// HTML print them).
    pub fn force_sections(&self) -> Vec<ForceSection<'_>> {
        let mut out = Vec::new();
        if let Some(ps) = &self.peer_support {
            out.push(("peer_support", "call-back requests", ps.figures().to_vec()));
        }
        if let Some(st) = &self.supervisor_training {
            out.push(("supervisor_training", "accounts", st.figures().to_vec()));
        }
        if let Some(d) = &self.published_drafts {
            out.push(("published_drafts", "draft rosters", d.figures().to_vec()));
        }
        out
    }

    /// A table by id.
    pub fn table(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == id)
    }
}

const PEOPLE_ROSTERED: &str =
    "people rostered in this row in the period (at least one shift starting in it)";
const SHIFTS_IN_ROW: &str = "shifts starting in the period in this row";
const LEARNERS: &str = "people in this row who had opened at least one module of the officer \
     course by the period's last day (learning progress synced from the app)";

fn level_spec(id: &'static str, title: &str, within: &str, amber: &str, red: &str) -> TableSpec {
    TableSpec {
        id,
        title: title.to_owned(),
        unit: "people",
        columns: vec![
            ColumnSpec::count(within),
            ColumnSpec::count(amber),
            ColumnSpec::count(red),
            ColumnSpec::count("people rostered"),
        ],
        partition: Some(Partition {
            parts: vec![0, 1, 2],
            total: 3,
            percent_of: PEOPLE_ROSTERED.to_owned(),
        }),
        link: Some(("people_rostered", 3)),
    }
}

fn level_row(level: Level) -> Vec<Option<i64>> {
    let mut v = vec![None; 4];
    v[level.index()] = Some(1);
    v[3] = Some(1);
    v
}

fn nonzero(n: u32) -> Option<i64> {
    (n > 0).then_some(i64::from(n))
}

/// Weekly-hours bins (average hours per 7 days in the period).
const WEEKLY_BINS: [(&str, i64); 5] = [
    ("under 40 h", 40),
    ("40 to under 48 h", 48),
    ("48 to under 60 h", 60),
    ("60 to under 72 h", 72),
    ("72 h or more", i64::MAX),
];

/// A table's spec and how one person contributes to it.
struct TableDef {
    spec: TableSpec,
    contribution: fn(&PersonFigures) -> Vec<Option<i64>>,
    /// Under the per-week rule ([`RawTable::add_week`]): the tables of
    /// wearable and check-in figures, which a reader could not otherwise
    /// see. Roster tables are not: their readers can see the roster itself.
    weekly: bool,
}

/// Everything one person contributes to a period's tables.
#[derive(Clone)]
struct PersonFigures {
    roster: RosterFigures,
    schedule: ScheduleFigures,
    wellbeing: WellbeingFigures,
    learning: LearningFigures,
    working: WorkingTimeFigures,
    changes: ChangeFigures,
    /// Days in the period.
    days: i64,
    /// Employment type, when the HR file gave one.
    employment: Option<EmploymentType>,
}

/// Contribution to a people-by-level table: rostered people only.
fn rostered_level(p: &PersonFigures, level: Level) -> Vec<Option<i64>> {
    if p.roster.shifts > 0 {
        level_row(level)
    } else {
        vec![None; 4]
    }
}

fn table_defs(limits: &RosterLimits) -> Vec<TableDef> {
    let shifts_partition = |parts: Vec<usize>, total: usize| {
        Some(Partition {
            parts,
            total,
            percent_of: SHIFTS_IN_ROW.to_owned(),
        })
    };
    vec![
        TableDef {
            weekly: false,
            spec: TableSpec {
                id: "fi_thresholds",
                title: "Shifts by predicted Fatigue Index against the day (35) and night (45) thresholds".into(),
                unit: "shifts",
                columns: vec![
                    ColumnSpec::count("day shifts, FI under 35"),
                    ColumnSpec::count("day shifts, FI 35 or more"),
                    ColumnSpec::count("night shifts, FI under 45"),
                    ColumnSpec::count("night shifts, FI 45 or more"),
                    ColumnSpec::count("all shifts"),
                ],
                partition: shifts_partition(vec![0, 1, 2, 3], 4),
                link: Some(("shifts", 4)),
            },
            contribution: |PersonFigures { roster: r, .. }| {
                vec![nonzero(r.day_below), nonzero(r.day_over), nonzero(r.night_below), nonzero(r.night_over), nonzero(r.shifts)]
            },
        },
        TableDef {
            weekly: false,
            spec: TableSpec {
                id: "fi_mean",
                title: "Mean predicted Fatigue Index per shift".into(),
                unit: "shifts",
                columns: vec![
                    ColumnSpec::hidden("day shifts"),
                    ColumnSpec::mean("mean FI, day shifts", 0, 100),
                    ColumnSpec::hidden("night shifts"),
                    ColumnSpec::mean("mean FI, night shifts", 2, 100),
                ],
                partition: None,
                link: None,
            },
            contribution: |PersonFigures { roster: r, .. }| {
                let day = r.day_below + r.day_over;
                let night = r.night_below + r.night_over;
                vec![nonzero(day), (day > 0).then_some(r.day_fi_centi), nonzero(night), (night > 0).then_some(r.night_fi_centi)]
            },
        },
        TableDef {
            weekly: false,
            spec: TableSpec {
                id: "fi_distribution",
                title: "Shifts by predicted Fatigue Index (0 to 100, in tens)".into(),
                unit: "shifts",
                columns: (0..10)
                    .map(|i| ColumnSpec::count(&format!("FI {}–{}", i * 10, i * 10 + 10)))
                    .chain(std::iter::once(ColumnSpec::count("all shifts")))
                    .collect(),
                partition: shifts_partition((0..10).collect(), 10),
                link: Some(("shifts", 10)),
            },
            contribution: |PersonFigures { roster: r, .. }| {
                r.fi_bins.iter().map(|&n| nonzero(n)).chain(std::iter::once(nonzero(r.shifts))).collect()
            },
        },
        TableDef {
            weekly: false,
            spec: TableSpec {
                id: "hourly_risk",
                title: "Shifts by Risk Index (the shift's mean hourly risk over that of five 09:00–17:00 weekday shifts; 1.6 is the guidance threshold)".into(),
                unit: "shifts",
                columns: vec![
                    ColumnSpec::count("Risk Index under 1.0"),
                    ColumnSpec::count("Risk Index 1.0 to under 1.2"),
                    ColumnSpec::count("Risk Index 1.2 to under 1.4"),
                    ColumnSpec::count("Risk Index 1.4 to under 1.6"),
                    ColumnSpec::count("Risk Index 1.6 or more"),
                    ColumnSpec::count("all shifts"),
                ],
                partition: shifts_partition(vec![0, 1, 2, 3, 4], 5),
                link: Some(("shifts", 5)),
            },
            contribution: |PersonFigures { roster: r, .. }| {
                r.risk_index_bins.iter().map(|&n| nonzero(n)).chain(std::iter::once(nonzero(r.shifts))).collect()
            },
        },
        TableDef {
            weekly: false,
            spec: level_spec("quick_returns", "People by shortest rest between duties (quick returns)", "no rest under 12 h", "rest under 12 h (amber)", "rest under 11 h (red)"),
            contribution: |p| rostered_level(p, p.roster.quick_return_level),
        },
        TableDef {
            weekly: false,
            spec: level_spec("night_runs", "People by longest run of consecutive nights", "3 nights or fewer", "4 nights (amber)", "5 nights or more (red)"),
            contribution: |p| rostered_level(p, p.roster.night_run_level),
        },
        TableDef {
            weekly: false,
            spec: level_spec("hours_7d", "People by most hours worked in any 7 days", "under 60 h", "60 to under 72 h (amber)", "72 h or more (red)"),
            contribution: |p| rostered_level(p, p.roster.hours_7d_level),
        },
        TableDef {
            weekly: false,
            spec: level_spec(
                "long_shifts",
                "People by longest shift (over 12 h, or a night over 8 h)",
                "no long shift",
                "a night over 8 h (amber)",
                "a shift over 12 h (red)",
            ),
            contribution: |p| rostered_level(p, p.roster.long_shift_level),
        },
        TableDef {
            weekly: false,
            spec: level_spec(
                "work_days",
                "People by longest run of consecutive days worked",
                "6 days or fewer",
                "7 to 13 days (amber)",
                "14 days or more (red)",
            ),
            contribution: |p| rostered_level(p, p.schedule.work_days_level),
        },
        TableDef {
            weekly: false,
            spec: level_spec(
                "weekly_rest",
                "People by weekly rest in the force's fixed 7-day periods: a rest of 35 h (24 h + 11 h daily rest) beginning in each, or two of them or one of 59 h (48 h + 11 h) in each 14 days (WTR reg. 11)",
                "a 35 h rest begins in every 7-day period",
                "a 7-day period without one (amber)",
                "a 14-day period without two, or one of 59 h (red)",
            ),
            contribution: |p| rostered_level(p, p.schedule.weekly_rest_level),
        },
        TableDef {
            weekly: false,
            spec: level_spec(
                "day_night_switches",
                "People by shortest sleep opportunity at a switch between day and night duties",
                "no switch under two nights",
                "a switch with one night (amber)",
                "a switch with no night (red)",
            ),
            contribution: |p| rostered_level(p, p.schedule.switch_level),
        },
        TableDef {
            weekly: false,
            spec: TableSpec {
                id: "weekly_hours",
                title: "People by average hours worked per 7 days in the period".into(),
                unit: "people",
                columns: WEEKLY_BINS
                    .iter()
                    .map(|(name, _)| ColumnSpec::count(name))
                    .chain(std::iter::once(ColumnSpec::count("people rostered")))
                    .collect(),
                partition: Some(Partition {
                    parts: (0..WEEKLY_BINS.len()).collect(),
                    total: WEEKLY_BINS.len(),
                    percent_of: PEOPLE_ROSTERED.to_owned(),
                }),
                link: Some(("people_rostered", WEEKLY_BINS.len())),
            },
            contribution: |PersonFigures { roster: r, days, .. }| {
                if r.shifts == 0 {
                    return vec![None; WEEKLY_BINS.len() + 1];
                }
                // minutes per 7 days vs bin edges in hours: m * 7 / days < edge * 60
                let bin = WEEKLY_BINS
                    .iter()
                    .position(|&(_, edge)| edge == i64::MAX || r.minutes_in_period * 7 < edge * 60 * days)
                    .unwrap_or(WEEKLY_BINS.len() - 1);
                let mut v = vec![None; WEEKLY_BINS.len() + 1];
                v[bin] = Some(1);
                v[WEEKLY_BINS.len()] = Some(1);
                v
            },
        },
        TableDef {
            weekly: false,
            spec: {
                let amber = limits.average_week_amber_over_hours;
                let mut spec = level_spec(
                    "average_week_17w",
                    "People by average weekly hours over the 17 weeks to the period's end, (A + B) / C: hours worked, plus hours on as many days worked after the period as days lost in it to leave, sickness or parental leave, over 17 weeks (Working Time Regulations reg. 4(6))",
                    &format!("{amber} h or less"),
                    &format!("over {amber} h to 48 h (amber, early warning)"),
                    "over 48 h (red)",
                );
                spec.columns.push(ColumnSpec::count(
                    "of whom provisional (the roster does not yet reach their make-up days)",
                ));
                spec
            },
            contribution: |p| {
                let mut v = rostered_level(p, p.working.average_week_level);
                v.push((p.roster.shifts > 0 && p.working.provisional).then_some(1));
                v
            },
        },
        TableDef {
            weekly: false,
            spec: level_spec(
                "night_workers",
                "People by night work over the 17 weeks to the period's end: night workers (a night duty in at least one duty in three) and their average daily hours (reg. 6)",
                "not a night worker",
                "night worker, 8 h a day or less",
                "night worker, over 8 h a day (red)",
            ),
            // Columns, in order: not a night worker; a night worker within
            // the limit; one over it.
            contribution: |p| {
                let column = match (p.working.night_worker, p.working.night_worker_level) {
                    (false, _) => Level::Within,
                    (true, Level::Within) => Level::Amber,
                    (true, _) => Level::Red,
                };
                rostered_level(p, column)
            },
        },
        TableDef {
            weekly: false,
            spec: level_spec(
                "rest_days_worked",
                "People by rest days worked (a duty put on a published rest day) in the 12 months to the period's end",
                "none or 1",
                "2 or 3 (amber)",
                "4 or more (red)",
            ),
            contribution: |p| rostered_level(p, p.changes.rest_days_level),
        },
        TableDef {
            weekly: false,
            spec: TableSpec {
                id: "short_notice_changes",
                title: "Short-notice roster changes to duties in the period (counts of duties)".into(),
                unit: "shifts",
                // The hidden column makes the row's population its rostered
                // people, so a small team's row is withheld even when it
                // has no changes to count.
                columns: vec![
                    ColumnSpec::hidden("people rostered"),
                    ColumnSpec::count("rest days worked with under 15 clear days' notice (reg. 26, Annex H)"),
                    ColumnSpec::count("starts brought forward with under 8 h notice (reg. 25, Annex G)"),
                ],
                partition: None,
                link: None,
            },
            contribution: |PersonFigures { roster: r, changes: c, .. }| {
                vec![nonzero(u32::from(r.shifts > 0)), nonzero(c.short_notice_rest_days), nonzero(c.short_notice_advances)]
            },
        },
        TableDef {
            weekly: false,
            spec: TableSpec {
                id: "roster_events",
                title: "Quick returns, long shifts and day↔night switches (counts of shifts)".into(),
                unit: "shifts",
                columns: vec![
                    ColumnSpec::count("returns after under 12 h rest"),
                    ColumnSpec::count("returns after under 11 h rest"),
                    ColumnSpec::count("long shifts"),
                    ColumnSpec::count("day↔night switches"),
                    ColumnSpec::count("switches under two nights' sleep"),
                ],
                partition: None,
                link: None,
            },
            contribution: |PersonFigures { roster: r, schedule: s, .. }| {
                vec![
                    nonzero(r.quick_returns),
                    nonzero(r.quick_returns_red),
                    nonzero(r.long_shifts),
                    nonzero(s.switches),
                    nonzero(s.short_switches),
                ]
            },
        },
        TableDef {
            weekly: false,
            spec: TableSpec {
                id: "employment_type",
                title: "People rostered by employment type (from the force's HR file)".into(),
                unit: "people",
                columns: vec![
                    ColumnSpec::count("police officers"),
                    ColumnSpec::count("police staff"),
                    ColumnSpec::count("special constables"),
                    ColumnSpec::count("volunteers"),
                    ColumnSpec::count("not known"),
                    ColumnSpec::count("people rostered"),
                ],
                partition: Some(Partition {
                    parts: vec![0, 1, 2, 3, 4],
                    total: 5,
                    percent_of: PEOPLE_ROSTERED.to_owned(),
                }),
                link: Some(("people_rostered", 5)),
            },
            // Columns follow EmploymentType::ALL, then "not known".
            contribution: |p| {
                let mut v = vec![None; EmploymentType::ALL.len() + 2];
                if p.roster.shifts > 0 {
                    let column = p
                        .employment
                        .and_then(|t| EmploymentType::ALL.iter().position(|&a| a == t))
                        .unwrap_or(EmploymentType::ALL.len());
                    v[column] = Some(1);
                    v[EmploymentType::ALL.len() + 1] = Some(1);
                }
                v
            },
        },
        TableDef {
            weekly: true,
            spec: TableSpec {
                id: "sleep",
                title: "Sleep from officers and staff who consented to share it".into(),
                unit: "person-nights",
                columns: vec![
                    ColumnSpec::count("person-nights"),
                    ColumnSpec::mean("mean sleep per night (h)", 0, 60),
                    ColumnSpec::mean("mean 7-night sleep debt (h)", 0, 60),
                    ColumnSpec::count("nights under 6 h (naps included)"),
                ],
                partition: None,
                link: None,
            },
            contribution: |PersonFigures { wellbeing: w, .. }| {
                if w.nights == 0 {
                    return vec![None; 4];
                }
                vec![Some(i64::from(w.nights)), Some(w.sleep_minutes), Some(w.debt_minutes), nonzero(w.short_nights)]
            },
        },
        TableDef {
            weekly: true,
            spec: TableSpec {
                id: "sleep_before_shifts",
                title: "People by mean main sleep before their shifts: the last 7 nights before a shift, consented wearable or self-report (under 6 h: Police Federation / Wellbeing Survey benchmark)".into(),
                unit: "people",
                columns: vec![
                    ColumnSpec::count("6 h or more"),
                    ColumnSpec::count("under 6 h"),
                    ColumnSpec::count("people with sleep before shifts"),
                    ColumnSpec::hidden("nights"),
                    ColumnSpec::mean("mean main sleep before shifts (h)", 3, 60),
                ],
                partition: Some(Partition {
                    parts: vec![0, 1],
                    total: 2,
                    percent_of: "people in this row with a recorded main sleep before a shift in the period".to_owned(),
                }),
                link: None,
            },
            contribution: |PersonFigures { wellbeing: w, .. }| {
                if w.nights_before_shifts == 0 {
                    return vec![None; 5];
                }
                let short = w.short_sleep_before_shifts;
                vec![
                    (!short).then_some(1),
                    short.then_some(1),
                    Some(1),
                    Some(i64::from(w.nights_before_shifts)),
                    Some(w.main_sleep_before_shifts_minutes),
                ]
            },
        },
        TableDef {
            weekly: true,
            spec: TableSpec {
                id: "recovery",
                title: "Recovery bands (consented summaries with a band)".into(),
                unit: "person-days",
                columns: vec![
                    ColumnSpec::count("green"),
                    ColumnSpec::count("amber"),
                    ColumnSpec::count("red"),
                    ColumnSpec::count("person-days with a band"),
                ],
                partition: Some(Partition {
                    parts: vec![0, 1, 2],
                    total: 3,
                    percent_of: "consented person-days with a recovery band in this row".to_owned(),
                }),
                link: None,
            },
            contribution: |PersonFigures { wellbeing: w, .. }| {
                let total: u32 = w.bands.iter().sum();
                vec![nonzero(w.bands[0]), nonzero(w.bands[1]), nonzero(w.bands[2]), nonzero(total)]
            },
        },
        TableDef {
            weekly: true,
            spec: TableSpec {
                id: "kss",
                title: "Karolinska Sleepiness Scale check-ins made before a shift or a drive (consented)".into(),
                unit: "check-ins",
                columns: vec![
                    ColumnSpec::count("KSS 1 to 6"),
                    ColumnSpec::count("KSS 7 or more"),
                    ColumnSpec::count("check-ins"),
                    ColumnSpec::mean("mean KSS", 2, 1),
                ],
                partition: Some(Partition {
                    parts: vec![0, 1],
                    total: 2,
                    percent_of: "consented KSS check-ins before a shift or a drive in this row in the period".to_owned(),
                }),
                link: None,
            },
            contribution: |PersonFigures { wellbeing: w, .. }| {
                let n = w.kss_low + w.kss_high;
                vec![nonzero(w.kss_low), nonzero(w.kss_high), nonzero(n), (n > 0).then_some(w.kss_sum)]
            },
        },
        TableDef {
            weekly: false,
            spec: TableSpec {
                id: "learning",
                title: "Officer learning course: people by modules completed (from the app)".into(),
                unit: "people",
                columns: vec![
                    ColumnSpec::count("opened, none completed"),
                    ColumnSpec::count("completed some modules"),
                    ColumnSpec::count("completed the whole course"),
                    ColumnSpec::count("people who opened a module"),
                ],
                partition: Some(Partition {
                    parts: vec![0, 1, 2],
                    total: 3,
                    percent_of: LEARNERS.to_owned(),
                }),
                link: None,
            },
            contribution: |PersonFigures { learning: l, .. }| {
                if l.opened == 0 {
                    return vec![None; 4];
                }
                let mut v = vec![None; 4];
                let column = if l.course_completed {
                    2
                } else if l.completed > 0 {
                    1
                } else {
                    0
                };
                v[column] = Some(1);
                v[3] = Some(1);
                v
            },
        },
    ]
}

/// Headline figures carried into the trend: (table id, column heading).
pub const TREND_FIGURES: [(&str, &str); 6] = [
    ("quick_returns", "people rostered"),
    ("fi_thresholds", "day shifts, FI 35 or more"),
    ("fi_thresholds", "night shifts, FI 45 or more"),
    ("quick_returns", "rest under 11 h (red)"),
    ("hours_7d", "72 h or more (red)"),
    ("sleep", "mean sleep per night (h)"),
];

fn leaf_path(p: &PersonRecords) -> Vec<String> {
    vec![p.person.command.clone(), p.person.team.clone()]
}

/// What every period of a report shares.
struct ReportContext<'a> {
    force: &'a str,
    zone: Tz,
    course: &'a [String],
    limits: &'a RosterLimits,
    /// Duties are known up to here: the published roster's end, and at
    /// least the report period's end (earlier trend periods see the duties
    /// after them up to it).
    known_until: DateTime<Utc>,
}

/// The tables of one period over cleaned people.
fn period_tables(
    ctx: &ReportContext<'_>,
    period: &Period,
    people: &[PersonRecords],
    duties: &[LocalDuties<'_>],
) -> Vec<Table> {
    let ReportContext {
        force,
        zone,
        course,
        limits,
        ..
    } = *ctx;
    let paths: Vec<Vec<String>> = people.iter().map(leaf_path).collect();
    let rows = Hierarchy::new(force, paths.iter().map(Vec::as_slice));
    let defs = table_defs(limits);
    let mut raw: Vec<RawTable> = defs
        .iter()
        .map(|d| RawTable::new(d.spec.clone(), &rows))
        .collect();
    let (from, to) = period.instants(zone);
    let known_until = ctx.known_until;
    let days = period.days();
    // The period's ISO weeks when it has several (the per-week rule).
    let weeks: Vec<Period> = match period.iso_weeks() {
        Some(n) if n > 1 => (0..n)
            .map(|w| Period {
                from: period.from + chrono::Duration::days(7 * w),
                to: period.from + chrono::Duration::days(7 * w + 6),
            })
            .collect(),
        _ => Vec::new(),
    };
    // Each person's figures depend on that person alone (most of a large
    // force's report time, docs/scaling.md), so they are worked out in
    // parallel on rayon's pool; `collect` keeps people's order and the
    // tables are summed from them in that order, one person at a time, as
    // before: the same sums whatever the number of threads.
    let figures: Vec<(PersonFigures, Vec<WellbeingFigures>)> = people
        .par_iter()
        .zip(duties)
        .map(|(p, local)| {
            let duties = &p.reference_duties;
            let figures = PersonFigures {
                roster: roster_figures(&p.shifts, from, to, limits),
                schedule: schedule_figures(&p.shifts, duties, from, to, zone, limits, known_until),
                wellbeing: wellbeing_figures(&p.summaries, &p.checkins, &p.shifts, period, zone),
                learning: learning_figures(&p.learning, period, course),
                working: working_time_figures(local, &p.absences, period, limits, known_until),
                changes: change_figures(&p.roster_changes, period, zone),
                days,
                employment: p.person.employment_type,
            };
            let by_week = weeks
                .iter()
                .map(|week| wellbeing_figures(&p.summaries, &p.checkins, &p.shifts, week, zone))
                .collect();
            (figures, by_week)
        })
        .collect();
    for (path, (figures, by_week)) in paths.iter().zip(&figures) {
        let Some(leaf) = rows.row(path) else { continue };
        for (t, d) in raw.iter_mut().zip(&defs) {
            t.add(&rows, leaf, &(d.contribution)(figures));
        }
        for (w, wellbeing) in by_week.iter().enumerate() {
            let mut in_week = figures.clone();
            in_week.wellbeing = wellbeing.clone();
            for (t, d) in raw.iter_mut().zip(&defs).filter(|(_, d)| d.weekly) {
                t.add_week(&rows, leaf, w, &(d.contribution)(&in_week));
            }
        }
    }
    publish(&rows, raw)
}

fn trend_point(period: Period, tables: &[Table]) -> TrendPoint {
    let figures = TREND_FIGURES
        .iter()
        .filter_map(|&(id, column)| {
            let t = tables.iter().find(|t| t.id == id)?;
            let c = t.column(column)?;
            let cell = t.root()?.cells.get(c)?.clone();
            Some(TrendFigure {
                table: id.to_owned(),
                column: column.to_owned(),
                cell,
            })
        })
        .collect();
    TrendPoint { period, figures }
}

/// The module ids of the shipped officer course, in order: the course
/// whose completion the `learning` table counts.
///
/// # Errors
/// [`AnalyticsError::Content`] if the shipped pack does not load (a broken
/// build; the pack is tested).
pub fn officer_course_modules() -> Result<Vec<String>, AnalyticsError> {
    use mobile_core::education::{Library, Track};
    let library = Library::shipped().map_err(|e| AnalyticsError::Content(e.to_string()))?;
    Ok(library
        .modules_for(Track::Officer)
        .map(|m| m.id.clone())
        .collect())
}

/// Builds a force's report.
///
/// Input order does not matter (people are sorted by id, records by time),
/// and the report holds no clock reading, so the same input always gives
/// the same report.
///
/// # Errors
/// [`AnalyticsError::UnknownZone`] for a bad zone name;
/// [`AnalyticsError::InvalidSetting`] for more than [`MAX_TREND_PERIODS`],
/// or roster settings that [`RosterLimits::validate`] refuses.
pub fn build_report(
    request: &ReportRequest,
    people: Vec<PersonRecords>,
) -> Result<Report, AnalyticsError> {
    let zone = parse_zone(&request.zone)?;
    if request.trend_periods > MAX_TREND_PERIODS {
        return Err(AnalyticsError::InvalidSetting {
            name: "trend_periods",
            reason: format!("{} is over {MAX_TREND_PERIODS}", request.trend_periods),
        });
    }
    let mut rejections = Rejections::new();
    let people = clean_all(people, &mut rejections);
    if let Err(e) = request.limits.validate() {
        return Err(AnalyticsError::InvalidSetting {
            name: "limits",
            reason: e.to_string(),
        });
    }
    let course = officer_course_modules()?;
    let (_, period_end) = request.period.instants(zone);
    let mut periods = vec![request.period];
    for _ in 0..request.trend_periods {
        let earlier = periods.last().map_or(request.period, Period::previous);
        periods.push(earlier);
    }
    // The zone's nights over every person's duties, worked out once
    // (the duties after the periods, for the make-up days, included).
    let spans = people.iter().filter_map(|p| {
        let d = &p.reference_duties;
        Some((d.first()?.start, d.last()?.end))
    });
    let (first, last) = spans.fold((period_end, period_end), |(a, b), (s, e)| {
        (a.min(s), b.max(e))
    });
    let nights = NightWindows::covering(zone, first, last);
    let duties: Vec<LocalDuties<'_>> = people
        .par_iter()
        .map(|p| LocalDuties::new(&p.reference_duties, &nights))
        .collect();
    let ctx = ReportContext {
        force: &request.force,
        zone,
        course: &course,
        limits: &request.limits,
        known_until: request
            .roster_horizon
            .map_or(period_end, |h| h.max(period_end)),
    };
    // The periods' tables are independent of each other (each suppressed
    // on its own): built in parallel too, collected in the periods' order.
    let tables: Vec<Vec<Table>> = periods
        .par_iter()
        .map(|p| period_tables(&ctx, p, &people, &duties))
        .collect();
    let trend: Vec<TrendPoint> = periods
        .iter()
        .zip(&tables)
        .rev()
        .map(|(p, t)| trend_point(*p, t))
        .collect();
    let tables = tables.into_iter().next().unwrap_or_default();
    Ok(Report {
        meta: ReportMeta {
            force: request.force.clone(),
            zone: request.zone.clone(),
            period: request.period,
            days: request.period.days(),
            rounding: ROUNDING_NOTE.to_owned(),
            min_cell_people: MIN_PEOPLE,
            suppression: format!(
                "Cells describing 1 to {} people, and every cell of a row of 1 to {} people, are withheld; \
                 further cells are withheld so that no withheld figure can be worked out from a total \
                 and the published figures.",
                MIN_PEOPLE - 1,
                MIN_PEOPLE - 1
            ),
            people: people.len(),
            rejections,
            limits: request.limits,
        },
        tables,
        trend,
        peer_support: None,
        supervisor_training: None,
        published_drafts: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_support_parts_that_would_leave_a_small_remainder_are_withheld() {
        // 12 requests: 9 acknowledged would say 3 were not, so it is
        // withheld; 6 contacted leaves 6, so it is published as 50.0%.
        let f = PeerSupportFigures::new(Some(12), Some(9), Some(6), Some(42.25));
        assert_eq!(f.requests.value, Some(Decimal::from(12)));
        assert!(f.acknowledged.suppressed && f.acknowledged.value.is_none());
        assert_eq!(f.contacted.value, Some(Decimal::from(6)));
        let pct = f.contacted.percent.as_ref().unwrap();
        assert_eq!(pct.value, Decimal::new(500, 1));
        assert!(pct.of.contains("call-back requests"));
        assert_eq!(f.median_response_minutes.value, Some(Decimal::new(423, 1)));
        // All acknowledged: nothing left over, published.
        let all = PeerSupportFigures::new(Some(7), Some(7), None, None);
        assert_eq!(all.acknowledged.value, Some(Decimal::from(7)));
        assert!(all.contacted.suppressed && all.median_response_minutes.suppressed);
    }

    #[test]
    fn supervisor_training_counts_follow_the_same_rule() {
        // 20 accounts, 17 passed a module (3 not: withheld), 8 the whole
        // course (12 not: published as 40.0% of the accounts).
        let f = SupervisorTrainingFigures::new(Some(20), Some(17), Some(8));
        assert_eq!(f.accounts.value, Some(Decimal::from(20)));
        assert!(f.completed_some.suppressed && f.completed_some.value.is_none());
        assert_eq!(f.completed.value, Some(Decimal::from(8)));
        let pct = f.completed.percent.as_ref().unwrap();
        assert_eq!(pct.value, Decimal::new(400, 1));
        assert!(pct.of.contains("supervisor and FRM lead accounts"));
        // Everyone completed: nobody left over, published as 100%.
        let all = SupervisorTrainingFigures::new(Some(6), Some(6), Some(6));
        assert_eq!(
            all.completed.percent.as_ref().unwrap().value,
            Decimal::new(1000, 1)
        );
        // Fewer than 5 accounts: the server withholds every count.
        let small = SupervisorTrainingFigures::new(None, None, None);
        assert!(
            small.accounts.suppressed
                && small.completed_some.suppressed
                && small.completed.suppressed
        );
    }
}
