//! The national programme's evaluation: outcome measures and uptake as
//! force-, function- and month-level aggregates on the platform's one
//! calendar grid (reporting months of whole ISO weeks,
//! [`Period::reporting_month`]), suppressed like every other table
//! ([`crate::table::publish`], [`crate::suppression`]), and the
//! stepped-wedge comparisons NPWS reads from them: before and after each
//! force's go-live, forces live against forces not yet live, and a
//! difference-in-differences with two-way fixed effects, each with an
//! interval from a cluster bootstrap over forces. `docs/evaluation.md`
//! states the design, its assumptions and what it cannot show.
//!
//! Every comparison is computed from **published** force-month cells only
//! (each of at least [`crate::suppression::MIN_PEOPLE`] contributors, none withheld as a
//! secondary), so an estimate reveals nothing its tables do not.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use linfa_linalg::qr::LeastSquaresQr;
use models::api::ConsentLevel;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::input::Period;
use crate::table::{ColumnSpec, Hierarchy, Partition, RawTable, Table, TableSpec, publish};

/// One enrolled person's month, with no id (from `npws_person_outcomes`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersonOutcomes {
    /// Force slug.
    pub force: String,
    /// Policing function: their own from the HR file, else their team's
    /// (`no_team` when none).
    pub function: String,
    /// Employment type from the HR file
    /// ([`models::staff::EmploymentType::NOT_KNOWN`] without a record).
    pub employment_type: String,
    /// Consent level now (`roster_only`, `sleep`, `sleep_and_check_ins`).
    pub consent: String,
    /// Synced anything dated in the month's last 7 days.
    pub active_7: bool,
    /// Synced anything dated in the month's last 28 days.
    pub active_28: bool,
    /// Consented daily summaries dated in the month.
    pub sleep_nights: u32,
    /// Their sleep, minutes.
    pub sleep_minutes: i64,
    /// Their sleep debt, minutes.
    pub debt_minutes: i64,
    /// Summaries with a recovery score.
    pub recovery_n: u32,
    /// Sum of those scores (0–100 each).
    pub recovery_sum: i64,
    /// Consented KSS check-ins in the month.
    pub kss_n: u32,
    /// Sum of their values (1–9 each).
    pub kss_sum: i64,
    /// Learning modules completed by the month's end.
    pub modules_completed: u32,
    /// Peer-support call-backs requested in the month.
    pub peer_requests: u32,
}

/// One team-month of short-term sickness absence from force HR, summed by
/// force and function (no team, no person).
#[derive(Debug, Clone, PartialEq)]
pub struct TeamSickness {
    /// Force slug.
    pub force: String,
    /// Policing function.
    pub function: String,
    /// People in the teams that month (the contributors).
    pub headcount: u32,
    /// Short-term sickness days.
    pub sickness_days: i64,
}

/// One person's roster in a reporting month, with no id (from
/// `npws_roster_months`: the roster columns of `npws_person_features`,
/// month by month).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonRoster {
    /// Force slug.
    pub force: String,
    /// Policing function: their own from the HR file, else their team's
    /// (`no_team` when none).
    pub function: String,
    /// Employment type from the HR file
    /// ([`models::staff::EmploymentType::NOT_KNOWN`] without a record).
    pub employment_type: String,
    /// Shifts starting in the month.
    pub shifts: u32,
    /// Of which nights (docs/cohorts.md).
    pub night_shifts: u32,
    /// Of which started under 12 h after the previous shift ended.
    pub quick_returns: u32,
    /// Minutes of any shift inside the month.
    pub minutes_worked: i64,
}

/// What one reporting month's tables are built from.
#[derive(Debug, Clone, Default)]
pub struct MonthInput {
    /// Everyone enrolled by the month's end.
    pub people: Vec<PersonOutcomes>,
    /// Everyone with a shift in the month.
    pub roster: Vec<PersonRoster>,
    /// Sickness counts.
    pub sickness: Vec<TeamSickness>,
}

/// One reporting month's published tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    /// Its whole ISO weeks.
    pub period: Period,
    /// Tables `uptake`, `outcomes`, `frm`, `sickness`: rows all forces →
    /// force → policing function, suppressed jointly; then
    /// [`BY_EMPLOYMENT_TYPE`]'s tables: rows all forces → employment type,
    /// suppressed jointly on their own (HR sickness counts are per team,
    /// so they have no type).
    pub tables: Vec<Table>,
}

/// An outcome measure: where it is published and what it means (one home
/// for the page, the CSV, the partner dataset and its dictionary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Measure {
    /// Stable id (partner CSV `measure`).
    pub id: &'static str,
    /// Table id.
    pub table: &'static str,
    /// Column heading in that table.
    pub column: &'static str,
    /// Unit.
    pub unit: &'static str,
    /// Definition, for the dictionary.
    pub definition: &'static str,
    /// Observed before a force goes live too (HR and roster data), so the
    /// stepped-wedge comparisons apply; app-derived measures exist only
    /// once a force is live and are shown as trends.
    pub before_live: bool,
}

/// Every published measure.
pub const MEASURES: [Measure; 15] = [
    Measure {
        id: "enrolled",
        table: "uptake",
        column: "enrolled",
        unit: "people",
        definition: "People enrolled by the end of the reporting month.",
        before_live: false,
    },
    Measure {
        id: "active_7",
        table: "uptake",
        column: "active in the last 7 days",
        unit: "people",
        definition: "Enrolled people who synced any record dated in the month's last 7 days.",
        before_live: false,
    },
    Measure {
        id: "active_28",
        table: "uptake",
        column: "active in the last 28 days",
        unit: "people",
        definition: "Enrolled people who synced any record dated in the month's last 28 days.",
        before_live: false,
    },
    Measure {
        id: "consent_sleep_or_more",
        table: "uptake",
        column: "consent: sleep",
        unit: "people",
        definition: "Enrolled people whose consent level now is sleep (not check-ins).",
        before_live: false,
    },
    Measure {
        id: "consent_sleep_and_check_ins",
        table: "uptake",
        column: "consent: sleep and check-ins",
        unit: "people",
        definition: "Enrolled people whose consent level now is sleep and check-ins.",
        before_live: false,
    },
    Measure {
        id: "sleep_hours",
        table: "outcomes",
        column: "mean sleep per night (h)",
        unit: "hours",
        definition: "Mean main sleep per consented daily summary dated in the month.",
        before_live: false,
    },
    Measure {
        id: "sleep_debt_hours",
        table: "outcomes",
        column: "mean sleep debt (h)",
        unit: "hours",
        definition: "Mean sleep debt per consented daily summary dated in the month.",
        before_live: false,
    },
    Measure {
        id: "recovery_score",
        table: "outcomes",
        column: "mean recovery score",
        unit: "score 0-100",
        definition: "Mean recovery score of consented daily summaries dated in the month.",
        before_live: false,
    },
    Measure {
        id: "kss",
        table: "outcomes",
        column: "mean KSS check-in",
        unit: "KSS 1-9",
        definition: "Mean Karolinska Sleepiness Scale of consented check-ins in the month.",
        before_live: false,
    },
    Measure {
        id: "learning_completed",
        table: "outcomes",
        column: "people who completed a learning module",
        unit: "people",
        definition: "Enrolled people with at least one module's self-check passed by the month's end.",
        before_live: false,
    },
    Measure {
        id: "peer_support_requests",
        table: "outcomes",
        column: "people who asked for peer support",
        unit: "people",
        definition: "Enrolled people who requested a confidential peer-support call-back in the month.",
        before_live: false,
    },
    Measure {
        id: "night_shift_pct",
        table: "frm",
        column: "night shifts (% of shifts)",
        unit: "percent",
        definition: "Night shifts (3 h or more in 23:00-06:00) as a share of shifts starting in the month, people with a shift (docs/cohorts.md).",
        before_live: true,
    },
    Measure {
        id: "quick_returns",
        table: "frm",
        column: "quick returns per person",
        unit: "per person",
        definition: "Shifts starting under 12 h after the previous one ended, per person with a shift in the month.",
        before_live: true,
    },
    Measure {
        id: "hours_per_7_days",
        table: "frm",
        column: "hours worked per 7 days",
        unit: "hours",
        definition: "Rostered hours inside the month per 7 days, per person with a shift.",
        before_live: true,
    },
    Measure {
        id: "sickness_days_per_100",
        table: "sickness",
        column: "short-term sickness days per 100 people",
        unit: "days per 100 people",
        definition: "Short-term sickness days force HR reported for the month per 100 people in the teams reported (team counts, no individual records).",
        before_live: true,
    },
];

/// A measure by id.
pub fn measure(id: &str) -> Option<&'static Measure> {
    MEASURES.iter().find(|m| m.id == id)
}

/// The reporting month's label, `YYYY-MM`, from its period.
pub fn month_label(period: &Period) -> String {
    // A reporting month's Thursday of its first week is in the month.
    let thursday = period.from + chrono::Duration::days(3);
    format!("{:04}-{:02}", thursday.year(), thursday.month())
}

/// The `count` reporting months ending with `last` (`(year, month)`), oldest
/// first.
pub fn reporting_months(last: (i32, u32), count: u32) -> Vec<Period> {
    let (mut y, mut m) = last;
    let mut out = Vec::new();
    for _ in 0..count {
        if let Some(p) = Period::reporting_month(y, m) {
            out.push(p);
        }
        (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    }
    out.reverse();
    out
}

/// The last reporting month that has ended before `today`.
pub fn last_complete_month(today: NaiveDate) -> (i32, u32) {
    let (mut y, mut m) = (today.year(), today.month());
    loop {
        match Period::reporting_month(y, m) {
            Some(p) if p.to < today => return (y, m),
            _ => (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) },
        }
    }
}

fn count(name: &str) -> ColumnSpec {
    ColumnSpec::count(name)
}

/// The ids of the tables by employment type, in order: the `uptake`,
/// `outcomes` and `frm` tables' columns over rows all forces → employment
/// type.
pub const BY_EMPLOYMENT_TYPE: [&str; 3] = [
    "uptake_by_employment_type",
    "outcomes_by_employment_type",
    "frm_by_employment_type",
];

fn specs() -> [TableSpec; 4] {
    [
        TableSpec {
            id: "uptake",
            title: "Uptake and engagement".to_owned(),
            unit: "people",
            columns: vec![
                count("enrolled"),
                count("active in the last 7 days"),
                count("active in the last 28 days"),
                count("consent: roster only"),
                count("consent: sleep"),
                count("consent: sleep and check-ins"),
            ],
            partition: Some(Partition {
                parts: vec![3, 4, 5],
                total: 0,
                percent_of: "people enrolled".to_owned(),
            }),
            link: None,
        },
        TableSpec {
            id: "outcomes",
            title: "Sleep, recovery, sleepiness, learning and peer support".to_owned(),
            unit: "people",
            columns: vec![
                count("people sharing sleep"),
                ColumnSpec::hidden("nights"),
                ColumnSpec::mean("mean sleep per night (h)", 1, 60),
                ColumnSpec::mean("mean sleep debt (h)", 1, 60),
                ColumnSpec::hidden("recovery scores"),
                ColumnSpec::mean("mean recovery score", 4, 1),
                count("people sharing KSS check-ins"),
                ColumnSpec::hidden("check-ins"),
                ColumnSpec::mean("mean KSS check-in", 7, 1),
                count("people who completed a learning module"),
                count("people who asked for peer support"),
                ColumnSpec::hidden("enrolled"),
            ],
            partition: None,
            link: None,
        },
        TableSpec {
            id: "frm",
            title: "Roster FRM indicators".to_owned(),
            unit: "people",
            columns: vec![
                count("people with a shift"),
                ColumnSpec::hidden("shifts"),
                ColumnSpec::mean("night shifts (% of shifts)", 1, 1),
                ColumnSpec::mean("quick returns per person", 0, 1),
                ColumnSpec::hidden("person-days"),
                ColumnSpec::mean("hours worked per 7 days", 4, 60),
            ],
            partition: None,
            link: None,
        },
        TableSpec {
            id: "sickness",
            title: "Short-term sickness absence (force HR, team counts)".to_owned(),
            unit: "people",
            columns: vec![
                count("people in teams reported"),
                ColumnSpec::mean("short-term sickness days per 100 people", 0, 1),
            ],
            partition: None,
            link: None,
        },
    ]
}

fn some_if(cond: bool, v: i64) -> Option<i64> {
    cond.then_some(v)
}

/// One person's contribution to the `uptake` table.
fn uptake_row(p: &PersonOutcomes) -> [Option<i64>; 6] {
    let level = |l: ConsentLevel| some_if(p.consent == l.as_str(), 1);
    [
        Some(1),
        some_if(p.active_7, 1),
        some_if(p.active_28, 1),
        level(ConsentLevel::RosterOnly),
        level(ConsentLevel::Sleep),
        level(ConsentLevel::SleepAndCheckIns),
    ]
}

/// One person's contribution to the `outcomes` table.
fn outcomes_row(p: &PersonOutcomes) -> [Option<i64>; 12] {
    let sleeps = p.sleep_nights > 0;
    let scored = p.recovery_n > 0;
    let kss = p.kss_n > 0;
    [
        some_if(sleeps, 1),
        some_if(sleeps, i64::from(p.sleep_nights)),
        some_if(sleeps, p.sleep_minutes),
        some_if(sleeps, p.debt_minutes),
        some_if(scored, i64::from(p.recovery_n)),
        some_if(scored, p.recovery_sum),
        some_if(kss, 1),
        some_if(kss, i64::from(p.kss_n)),
        some_if(kss, p.kss_sum),
        some_if(p.modules_completed > 0, 1),
        some_if(p.peer_requests > 0, 1),
        Some(1),
    ]
}

/// One person's contribution to the `frm` table over a month of `days`.
fn frm_row(p: &PersonRoster, days: i64) -> [Option<i64>; 6] {
    [
        Some(1),
        Some(i64::from(p.shifts)),
        Some(i64::from(p.night_shifts) * 100),
        Some(i64::from(p.quick_returns)),
        Some(days),
        Some(p.minutes_worked * 7),
    ]
}

/// One reporting month's tables: rows all forces → force → policing
/// function, suppressed jointly; then the same people's uptake, outcomes
/// and roster indicators by employment type ([`BY_EMPLOYMENT_TYPE`]).
pub fn month_figures(period: Period, input: &MonthInput) -> MonthFigures {
    let mut leaves: BTreeSet<Vec<String>> = BTreeSet::new();
    leaves.extend(
        input
            .people
            .iter()
            .map(|p| vec![p.force.clone(), p.function.clone()]),
    );
    leaves.extend(
        input
            .roster
            .iter()
            .map(|p| vec![p.force.clone(), p.function.clone()]),
    );
    leaves.extend(
        input
            .sickness
            .iter()
            .map(|s| vec![s.force.clone(), s.function.clone()]),
    );
    let rows = Hierarchy::new("All forces", leaves.iter().map(Vec::as_slice));
    let leaf = |f: &str, g: &str| rows.row(&[f.to_owned(), g.to_owned()]);
    let [uptake, outcomes, frm, sickness] = specs();
    let mut uptake = RawTable::new(uptake, &rows);
    let mut outcomes = RawTable::new(outcomes, &rows);
    let mut frm = RawTable::new(frm, &rows);
    let mut sickness = RawTable::new(sickness, &rows);
    for p in &input.people {
        let Some(r) = leaf(&p.force, &p.function) else {
            continue;
        };
        uptake.add(&rows, r, &uptake_row(p));
        outcomes.add(&rows, r, &outcomes_row(p));
    }
    let days = period.days();
    for p in input.roster.iter().filter(|p| p.shifts > 0) {
        let Some(r) = leaf(&p.force, &p.function) else {
            continue;
        };
        frm.add(&rows, r, &frm_row(p, days));
    }
    for s in &input.sickness {
        let Some(r) = leaf(&s.force, &s.function) else {
            continue;
        };
        // A team-month of h people enters as h contributors, so its cells
        // count people (the small-number rule's unit), not teams; the days
        // are summed in whole, never apportioned to anyone.
        for k in 0..s.headcount {
            let days = if k == 0 { s.sickness_days * 100 } else { 0 };
            sickness.add(&rows, r, &[Some(1), Some(days)]);
        }
    }
    let mut tables = publish(&rows, vec![uptake, outcomes, frm, sickness]);
    tables.extend(by_employment_type(period, input));
    MonthFigures {
        month: month_label(&period),
        period,
        tables,
    }
}

/// The uptake, outcomes and roster tables over rows all forces →
/// employment type: the same contributions as the function tables, so the
/// all-forces row is the same (and, protected, published in both); the
/// type rows are suppressed jointly among themselves, a small type with a
/// secondary, so no type is the total less the others.
fn by_employment_type(period: Period, input: &MonthInput) -> Vec<Table> {
    let leaves: BTreeSet<Vec<String>> = input
        .people
        .iter()
        .map(|p| vec![p.employment_type.clone()])
        .chain(
            input
                .roster
                .iter()
                .filter(|p| p.shifts > 0)
                .map(|p| vec![p.employment_type.clone()]),
        )
        .collect();
    let rows = Hierarchy::new("All forces", leaves.iter().map(Vec::as_slice));
    let [uptake, outcomes, frm, _] = specs();
    let mut tables = [uptake, outcomes, frm];
    for (spec, id) in tables.iter_mut().zip(BY_EMPLOYMENT_TYPE) {
        spec.id = id;
        spec.title = format!("{} by employment type", spec.title);
    }
    let [uptake, outcomes, frm] = tables;
    let mut uptake = RawTable::new(uptake, &rows);
    let mut outcomes = RawTable::new(outcomes, &rows);
    let mut frm = RawTable::new(frm, &rows);
    for p in &input.people {
        let Some(r) = rows.row(std::slice::from_ref(&p.employment_type)) else {
            continue;
        };
        uptake.add(&rows, r, &uptake_row(p));
        outcomes.add(&rows, r, &outcomes_row(p));
    }
    let days = period.days();
    for p in input.roster.iter().filter(|p| p.shifts > 0) {
        let Some(r) = rows.row(std::slice::from_ref(&p.employment_type)) else {
            continue;
        };
        frm.add(&rows, r, &frm_row(p, days));
    }
    publish(&rows, vec![uptake, outcomes, frm])
}

impl MonthFigures {
    /// A published value: the measure's cell for `path` (`[]` all forces,
    /// `[force]`, `[force, function]`); `None` when withheld, absent or
    /// with nothing to average.
    pub fn value(&self, m: &Measure, path: &[String]) -> Option<f64> {
        let t = self.tables.iter().find(|t| t.id == m.table)?;
        let c = t.column(m.column)?;
        let row = t.rows.iter().find(|r| r.path == path)?;
        let cell = row.cells.get(c)?;
        if cell.suppressed {
            return None;
        }
        cell.value.and_then(|v| v.to_f64())
    }

    /// True when the measure's cell for `path` is withheld.
    pub fn withheld(&self, m: &Measure, path: &[String]) -> bool {
        self.tables
            .iter()
            .find(|t| t.id == m.table)
            .and_then(|t| {
                let c = t.column(m.column)?;
                t.rows.iter().find(|r| r.path == path)?.cells.get(c)
            })
            .is_some_and(|cell| cell.suppressed)
    }

    /// The forces with a row this month.
    pub fn forces(&self) -> BTreeSet<String> {
        self.tables
            .iter()
            .filter(|t| !BY_EMPLOYMENT_TYPE.contains(&t.id.as_str()))
            .flat_map(|t| t.rows.iter())
            .filter(|r| r.level == 1)
            .filter_map(|r| r.path.first().cloned())
            .collect()
    }
}

/// NPWS's plan for one force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutPlan {
    /// Force slug.
    pub force: String,
    /// Roll-out wave (1 first).
    pub wave: u32,
    /// The first day the force is live.
    pub go_live: NaiveDate,
    /// People the force is expected to enrol.
    pub target_enrolled: u32,
}

/// Where a force stands in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Live for the whole month.
    Live,
    /// Not live on any day of the month (or no plan yet).
    NotYetLive,
    /// Went live during the month: left out of the comparisons.
    Transition,
}

impl RolloutPlan {
    /// The force's status in `period`.
    pub fn status(&self, period: &Period) -> Status {
        if self.go_live <= period.from {
            Status::Live
        } else if self.go_live > period.to {
            Status::NotYetLive
        } else {
            Status::Transition
        }
    }
}

/// The status of `force` in `period` under `plans` (no plan: not yet live).
pub fn status_of(plans: &[RolloutPlan], force: &str, period: &Period) -> Status {
    plans
        .iter()
        .find(|p| p.force == force)
        .map_or(Status::NotYetLive, |p| p.status(period))
}

/// One force-month cell of a measure: the panel the comparisons use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    /// Force (cluster) index.
    pub force: usize,
    /// Period index.
    pub period: usize,
    /// Live for the whole period.
    pub live: bool,
    /// The published force-month value.
    pub y: f64,
}

/// Which comparison an estimate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Two-way fixed effects: force and month effects plus a live indicator.
    DifferenceInDifferences,
    /// Mean after go-live minus mean before, within each force, averaged.
    BeforeAfter,
    /// Live forces' mean minus not-yet-live forces' mean, within each
    /// month with both, averaged.
    LiveVsNotYetLive,
}

impl Comparison {
    /// Every comparison, in display order.
    pub const ALL: [Comparison; 3] = [
        Comparison::DifferenceInDifferences,
        Comparison::BeforeAfter,
        Comparison::LiveVsNotYetLive,
    ];

    /// The CSV name.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::DifferenceInDifferences => "difference_in_differences",
            Comparison::BeforeAfter => "before_after",
            Comparison::LiveVsNotYetLive => "live_vs_not_yet_live",
        }
    }

    fn statistic(self, obs: &[Obs]) -> Option<f64> {
        match self {
            Comparison::DifferenceInDifferences => did(obs),
            Comparison::BeforeAfter => before_after(obs),
            Comparison::LiveVsNotYetLive => live_vs_not_yet_live(obs),
        }
    }
}

/// The fewest forces an estimate is published for: with fewer, a cluster
/// bootstrap has too few clusters to mean anything and a force-level
/// difference is close to one force's figures.
pub const MIN_FORCES: usize = 4;
/// Bootstrap draws per interval.
pub const BOOTSTRAP_DRAWS: usize = 999;
/// The seed of every evaluation's bootstrap (recorded in the output).
pub const EVALUATION_SEED: u64 = 20_261_204;
/// An interval is withheld when fewer than this share of draws could
/// compute the statistic (a resample with no contrast).
pub const MIN_USABLE_DRAWS: f64 = 0.8;

/// The difference-in-differences estimate: OLS of
/// `y_ft = α_f + γ_t + β·live_ft + ε` over the cells given (unbalanced
/// panels allowed), solved by QR least squares (`linfa-linalg`).
///
/// # Formula
/// `β̂` is the coefficient of the live indicator; with two forces and two
/// periods, one live in the second, it is
/// `(y_B2 − y_B1) − (y_A2 − y_A1)`.
///
/// `None` when the live indicator is a combination of the fixed effects
/// (no force changes status, or every force changes at once), or the
/// least squares fails.
pub fn did(obs: &[Obs]) -> Option<f64> {
    let forces: BTreeSet<usize> = obs.iter().map(|o| o.force).collect();
    let periods: BTreeSet<usize> = obs.iter().map(|o| o.period).collect();
    let fi: BTreeMap<usize, usize> = forces.iter().enumerate().map(|(i, &f)| (f, i)).collect();
    let pi: BTreeMap<usize, usize> = periods.iter().enumerate().map(|(i, &p)| (p, i)).collect();
    // Intercept, forces but the first, periods but the first.
    let k = 1 + forces.len().saturating_sub(1) + periods.len().saturating_sub(1);
    let n = obs.len();
    if n < k + 1 {
        return None;
    }
    let mut fe = Array2::<f64>::zeros((n, k));
    let mut d = Array2::<f64>::zeros((n, 1));
    let mut y = Array2::<f64>::zeros((n, 1));
    for (i, o) in obs.iter().enumerate() {
        fe[[i, 0]] = 1.0;
        if let Some(&f) = fi.get(&o.force).filter(|&&f| f > 0) {
            fe[[i, f]] = 1.0;
        }
        if let Some(&p) = pi.get(&o.period).filter(|&&p| p > 0) {
            fe[[i, forces.len() - 1 + p]] = 1.0;
        }
        d[[i, 0]] = if o.live { 1.0 } else { 0.0 };
        y[[i, 0]] = o.y;
    }
    // Identified only when the live indicator has variation left after the
    // fixed effects: its residual on them is not zero.
    let g = fe.clone().least_squares(&d).ok()?;
    let resid = &d - &fe.dot(&g);
    let rss: f64 = resid.iter().map(|r| r * r).sum();
    if !rss.is_finite() || rss < 1e-9 {
        return None;
    }
    let x = ndarray::concatenate(ndarray::Axis(1), &[fe.view(), d.view()]).ok()?;
    let beta = x.least_squares(&y).ok()?;
    let b = beta[[k, 0]];
    b.is_finite().then_some(b)
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f64)
}

/// Within each force with cells both before and after go-live: the mean of
/// its live months minus the mean of its not-yet-live months; averaged
/// over those forces. No control: a national trend shows up here.
pub fn before_after(obs: &[Obs]) -> Option<f64> {
    let mut by_force: BTreeMap<usize, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for o in obs {
        let e = by_force.entry(o.force).or_default();
        if o.live { &mut e.1 } else { &mut e.0 }.push(o.y);
    }
    mean(by_force.values().filter_map(|(before, after)| {
        Some(mean(after.iter().copied())? - mean(before.iter().copied())?)
    }))
}

/// Within each month with both live and not-yet-live forces: the live
/// forces' mean minus the others'; averaged over those months. No
/// adjustment for how forces differed before going live.
pub fn live_vs_not_yet_live(obs: &[Obs]) -> Option<f64> {
    let mut by_period: BTreeMap<usize, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for o in obs {
        let e = by_period.entry(o.period).or_default();
        if o.live { &mut e.1 } else { &mut e.0 }.push(o.y);
    }
    mean(by_period.values().filter_map(|(not_yet, live)| {
        Some(mean(live.iter().copied())? - mean(not_yet.iter().copied())?)
    }))
}

/// A percentile interval from a pairs cluster bootstrap: forces are drawn
/// with replacement (each draw a new cluster, its cells kept together), the
/// statistic recomputed, and the 2.5th and 97.5th percentiles of the draws
/// that could compute it taken (linear interpolation between order
/// statistics). Deterministic from `seed`. `None` when fewer than
/// [`MIN_USABLE_DRAWS`] of the draws compute.
pub fn cluster_bootstrap(
    obs: &[Obs],
    statistic: impl Fn(&[Obs]) -> Option<f64>,
    draws: usize,
    seed: u64,
) -> Option<(f64, f64, usize)> {
    let mut by_force: BTreeMap<usize, Vec<Obs>> = BTreeMap::new();
    for o in obs {
        by_force.entry(o.force).or_default().push(*o);
    }
    let clusters: Vec<&Vec<Obs>> = by_force.values().collect();
    if clusters.is_empty() || draws == 0 {
        return None;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut stats = Vec::with_capacity(draws);
    let mut sample = Vec::with_capacity(obs.len());
    for _ in 0..draws {
        sample.clear();
        for new_id in 0..clusters.len() {
            let pick = clusters[rng.gen_range(0..clusters.len())];
            sample.extend(pick.iter().map(|o| Obs {
                force: new_id,
                ..*o
            }));
        }
        if let Some(s) = statistic(&sample) {
            stats.push(s);
        }
    }
    if (stats.len() as f64) < MIN_USABLE_DRAWS * draws as f64 {
        return None;
    }
    stats.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let h = p * (stats.len() - 1) as f64;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        stats[lo] + (h - lo as f64) * (stats[hi] - stats[lo])
    };
    Some((q(0.025), q(0.975), stats.len()))
}

/// One comparison of one measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// Measure id.
    pub measure: &'static str,
    /// Which comparison.
    pub comparison: Comparison,
    /// The estimate (live minus not live, in the measure's unit); `None`
    /// when not published (too few forces, or no contrast).
    pub estimate: Option<f64>,
    /// 95 % interval, lower end.
    pub low: Option<f64>,
    /// 95 % interval, upper end.
    pub high: Option<f64>,
    /// Forces with cells in the panel.
    pub forces: usize,
    /// Force-month cells used.
    pub cells: usize,
    /// Bootstrap draws that computed.
    pub draws_used: usize,
    /// Why nothing is published, when so.
    pub note: Option<String>,
}

impl Estimate {
    /// True when 0 is inside the interval (no evidence of a difference).
    pub fn covers_zero(&self) -> Option<bool> {
        Some(self.low? <= 0.0 && 0.0 <= self.high?)
    }
}

/// Estimates a comparison on a panel, publishing nothing with fewer than
/// [`MIN_FORCES`] forces.
pub fn estimate(
    measure: &'static str,
    comparison: Comparison,
    obs: &[Obs],
    draws: usize,
    seed: u64,
) -> Estimate {
    let forces = obs.iter().map(|o| o.force).collect::<BTreeSet<_>>().len();
    let mut e = Estimate {
        measure,
        comparison,
        estimate: None,
        low: None,
        high: None,
        forces,
        cells: obs.len(),
        draws_used: 0,
        note: None,
    };
    if forces < MIN_FORCES {
        e.note = Some(format!(
            "fewer than {MIN_FORCES} forces with published figures"
        ));
        return e;
    }
    let Some(point) = comparison.statistic(obs) else {
        e.note = Some("no contrast: no force changes status in these months".to_owned());
        return e;
    };
    e.estimate = Some(point);
    match cluster_bootstrap(obs, |s| comparison.statistic(s), draws, seed) {
        Some((low, high, used)) => {
            (e.low, e.high, e.draws_used) = (Some(low), Some(high), used);
        }
        None => e.note = Some("interval withheld: too few resamples had a contrast".to_owned()),
    }
    e
}

/// The panel of a measure: published force-month cells, with each force's
/// status; transition months left out.
pub fn panel(months: &[MonthFigures], plans: &[RolloutPlan], m: &Measure) -> Vec<Obs> {
    let forces: BTreeSet<String> = months.iter().flat_map(MonthFigures::forces).collect();
    let mut out = Vec::new();
    for (t, month) in months.iter().enumerate() {
        for (f, force) in forces.iter().enumerate() {
            let live = match status_of(plans, force, &month.period) {
                Status::Live => true,
                Status::NotYetLive => false,
                Status::Transition => continue,
            };
            if let Some(y) = month.value(m, std::slice::from_ref(force)) {
                out.push(Obs {
                    force: f,
                    period: t,
                    live,
                    y,
                });
            }
        }
    }
    out
}

/// The evaluation NPWS reads: the months' tables, the plan, and every
/// comparison of every measure observed before go-live.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Reporting months, oldest first.
    pub months: Vec<MonthFigures>,
    /// The roll-out plan.
    pub plans: Vec<RolloutPlan>,
    /// Estimates, by measure then comparison.
    pub estimates: Vec<Estimate>,
    /// Bootstrap seed.
    pub seed: u64,
    /// Bootstrap draws.
    pub draws: usize,
}

/// Runs the comparisons over published month figures.
pub fn evaluate(
    months: Vec<MonthFigures>,
    plans: Vec<RolloutPlan>,
    draws: usize,
    seed: u64,
) -> Evaluation {
    let estimates = MEASURES
        .iter()
        .filter(|m| m.before_live)
        .flat_map(|m| {
            let obs = panel(&months, &plans, m);
            Comparison::ALL
                .into_iter()
                .map(move |c| estimate(m.id, c, &obs, draws, seed))
        })
        .collect();
    Evaluation {
        months,
        plans,
        estimates,
        seed,
        draws,
    }
}

/// A force's enrolment against its target: `100 × enrolled / target`,
/// `None` when the enrolled cell is withheld or there is no plan.
pub fn uptake_percent(month: &MonthFigures, plans: &[RolloutPlan], force: &str) -> Option<f64> {
    let m = measure("enrolled")?;
    let plan = plans.iter().find(|p| p.force == force)?;
    let enrolled = month.value(m, &[force.to_owned()])?;
    Some(100.0 * enrolled / f64::from(plan.target_enrolled))
}

impl Evaluation {
    /// Every force with a row in some month or a plan, in order.
    pub fn forces(&self) -> Vec<String> {
        let mut all: BTreeSet<String> = self.months.iter().flat_map(MonthFigures::forces).collect();
        all.extend(self.plans.iter().map(|p| p.force.clone()));
        all.into_iter().collect()
    }

    /// A line chart of a measure by force over the months (withheld cells
    /// as gaps, as in the tables).
    ///
    /// # Errors
    /// As [`crate::charts::line_chart`].
    pub fn trend_chart(&self, m: &Measure) -> Result<crate::charts::Chart, crate::AnalyticsError> {
        let labels: Vec<String> = self.months.iter().map(|x| x.month.clone()).collect();
        let series: Vec<crate::charts::Series> = self
            .forces()
            .into_iter()
            .map(|f| crate::charts::Series {
                points: self
                    .months
                    .iter()
                    .map(|x| x.value(m, std::slice::from_ref(&f)))
                    .collect(),
                name: f,
            })
            .collect();
        crate::charts::line_chart(&format!("{} by force", m.column), m.unit, &labels, &series)
    }

    /// A line chart of enrolment as a percentage of each force's target.
    ///
    /// # Errors
    /// As [`crate::charts::line_chart`].
    pub fn uptake_chart(&self) -> Result<crate::charts::Chart, crate::AnalyticsError> {
        let labels: Vec<String> = self.months.iter().map(|x| x.month.clone()).collect();
        let series: Vec<crate::charts::Series> = self
            .plans
            .iter()
            .map(|p| crate::charts::Series {
                name: p.force.clone(),
                points: self
                    .months
                    .iter()
                    .map(|x| uptake_percent(x, &self.plans, &p.force))
                    .collect(),
            })
            .collect();
        crate::charts::line_chart(
            "Enrolled as % of the roll-out target",
            "% of target",
            &labels,
            &series,
        )
    }
}

/// The months' tables as long CSV:
/// `month,period_from,period_to,table,level,row,column,value,suppressed`.
///
/// # Errors
/// [`crate::AnalyticsError::Csv`].
pub fn render_months_csv(months: &[MonthFigures]) -> Result<String, crate::AnalyticsError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "month",
        "period_from",
        "period_to",
        "table",
        "level",
        "row",
        "column",
        "value",
        "suppressed",
    ])?;
    for m in months {
        let (from, to) = (m.period.from.to_string(), m.period.to.to_string());
        for t in &m.tables {
            for r in &t.rows {
                let row = r.csv_label(&r.label);
                for (col, c) in t.columns.iter().zip(&r.cells) {
                    let (v, _, _) = c.csv_fields();
                    w.write_record([
                        m.month.as_str(),
                        &from,
                        &to,
                        &t.id,
                        &r.level.to_string(),
                        &row,
                        col,
                        &v,
                        &c.suppressed.to_string(),
                    ])?;
                }
            }
        }
    }
    finish(w)
}

/// A figure as the CSV and page print it: 2 decimal places.
pub fn fmt2(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// The estimates as CSV:
/// `measure,unit,comparison,estimate,ci_low,ci_high,forces,cells,draws_used,seed,note`.
///
/// # Errors
/// [`crate::AnalyticsError::Csv`].
pub fn render_estimates_csv(e: &Evaluation) -> Result<String, crate::AnalyticsError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "measure",
        "unit",
        "comparison",
        "estimate",
        "ci_low",
        "ci_high",
        "forces",
        "cells",
        "draws_used",
        "seed",
        "note",
    ])?;
    for x in &e.estimates {
        let unit = measure(x.measure).map_or("", |m| m.unit);
        w.write_record([
            x.measure,
            unit,
            x.comparison.as_str(),
            &fmt2(x.estimate),
            &fmt2(x.low),
            &fmt2(x.high),
            &x.forces.to_string(),
            &x.cells.to_string(),
            &x.draws_used.to_string(),
            &e.seed.to_string(),
            x.note.as_deref().unwrap_or(""),
        ])?;
    }
    finish(w)
}

pub(crate) fn finish(w: csv::Writer<Vec<u8>>) -> Result<String, crate::AnalyticsError> {
    let bytes = w
        .into_inner()
        .map_err(|e| crate::AnalyticsError::Csv(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|e| crate::AnalyticsError::Render(e.to_string()))
}

/// A synthetic stepped-wedge panel for tests and the documentation: `forces`
/// forces over `periods` months, force `f` going live at month
/// `start[f]` (`None`: never), with force and month effects, noise of the
/// given standard deviation (uniform with that SD), and `effect` added to
/// live cells.
pub fn synthetic_panel(
    start: &[Option<usize>],
    periods: usize,
    effect: f64,
    noise_sd: f64,
    seed: u64,
) -> Vec<Obs> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let half_width = noise_sd * 3f64.sqrt();
    let force_effect: Array1<f64> = start.iter().map(|_| rng.gen_range(-2.0..2.0)).collect();
    let period_effect: Array1<f64> = (0..periods).map(|t| 0.1 * t as f64).collect();
    let mut out = Vec::new();
    for (f, s) in start.iter().enumerate() {
        for t in 0..periods {
            let live = s.is_some_and(|s| t >= s);
            let noise = if half_width > 0.0 {
                rng.gen_range(-half_width..half_width)
            } else {
                0.0
            };
            out.push(Obs {
                force: f,
                period: t,
                live,
                y: 10.0
                    + force_effect[f]
                    + period_effect[t]
                    + if live { effect } else { 0.0 }
                    + noise,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-9;

    #[test]
    fn a_hand_worked_two_by_two() {
        // Force A never live: 10 then 12. Force B live in period 1: 20 then
        // 27. DiD = (27 - 20) - (12 - 10) = 5. Before/after within B: 7.
        // Live vs not yet live in period 1: 27 - 12 = 15.
        let o = |force, period, live, y| Obs {
            force,
            period,
            live,
            y,
        };
        let obs = [
            o(0, 0, false, 10.0),
            o(0, 1, false, 12.0),
            o(1, 0, false, 20.0),
            o(1, 1, true, 27.0),
        ];
        // Four cells, four parameters (intercept, force B, period 1, live):
        // an exact fit, and the live coefficient is the 2x2 DiD.
        let b = did(&obs).unwrap();
        assert!((b - 5.0).abs() < EPS, "{b}");
        assert!((before_after(&obs).unwrap() - 7.0).abs() < EPS);
        assert!((live_vs_not_yet_live(&obs).unwrap() - 15.0).abs() < EPS);
    }

    #[test]
    fn did_is_none_without_a_contrast() {
        // Nobody changes status: the live indicator is a force effect.
        let obs = synthetic_panel(&[None, None, Some(0), Some(0)], 6, 3.0, 0.1, 1);
        assert!(did(&obs).is_none());
    }

    fn stepped_wedge() -> Vec<Option<usize>> {
        // 8 forces in 4 waves (months 3, 6, 9) and two not live in 12 months.
        vec![
            Some(3),
            Some(3),
            Some(6),
            Some(6),
            Some(9),
            Some(9),
            None,
            None,
        ]
    }

    #[test]
    fn the_estimate_recovers_an_injected_effect_within_its_interval() {
        let obs = synthetic_panel(&stepped_wedge(), 12, -2.0, 0.5, 7);
        let e = estimate(
            "x",
            Comparison::DifferenceInDifferences,
            &obs,
            BOOTSTRAP_DRAWS,
            EVALUATION_SEED,
        );
        let (b, lo, hi) = (e.estimate.unwrap(), e.low.unwrap(), e.high.unwrap());
        assert!((b - -2.0).abs() < 0.3, "estimate {b}");
        assert!(lo <= -2.0 && -2.0 <= hi, "[{lo}, {hi}]");
        assert_eq!(e.covers_zero(), Some(false), "[{lo}, {hi}]");
        // Deterministic from the seed.
        let again = estimate(
            "x",
            Comparison::DifferenceInDifferences,
            &obs,
            BOOTSTRAP_DRAWS,
            EVALUATION_SEED,
        );
        assert_eq!(e, again);
    }

    #[test]
    fn with_no_effect_the_interval_covers_zero() {
        for seed in [3, 11, 29] {
            let obs = synthetic_panel(&stepped_wedge(), 12, 0.0, 0.5, seed);
            let e = estimate(
                "x",
                Comparison::DifferenceInDifferences,
                &obs,
                BOOTSTRAP_DRAWS,
                EVALUATION_SEED,
            );
            assert_eq!(e.covers_zero(), Some(true), "seed {seed}: {e:?}");
        }
    }

    #[test]
    fn before_after_picks_up_a_national_trend_that_did_removes() {
        // No effect, a month trend of 0.1 a month: before/after within a
        // force sees the trend (positive), the DiD does not.
        let obs = synthetic_panel(&stepped_wedge(), 12, 0.0, 0.0, 5);
        assert!(before_after(&obs).unwrap() > 0.3);
        assert!(did(&obs).unwrap().abs() < 1e-6);
    }

    #[test]
    fn fewer_than_min_forces_publish_nothing() {
        let obs = synthetic_panel(&[Some(2), None, Some(4)], 6, 1.0, 0.1, 1);
        let e = estimate("x", Comparison::DifferenceInDifferences, &obs, 99, 1);
        assert_eq!(e.estimate, None);
        assert!(e.note.is_some());
    }

    fn person(force: &str, function: &str, sleeps: bool) -> PersonOutcomes {
        PersonOutcomes {
            force: force.into(),
            function: function.into(),
            consent: if sleeps { "sleep" } else { "roster_only" }.into(),
            active_7: true,
            active_28: true,
            sleep_nights: if sleeps { 20 } else { 0 },
            sleep_minutes: if sleeps { 20 * 420 } else { 0 },
            debt_minutes: if sleeps { 20 * 30 } else { 0 },
            recovery_n: if sleeps { 20 } else { 0 },
            recovery_sum: if sleeps { 20 * 70 } else { 0 },
            ..Default::default()
        }
    }

    fn november() -> Period {
        Period::reporting_month(2026, 11).unwrap()
    }

    #[test]
    fn a_small_function_is_withheld_with_a_secondary() {
        // Force a: 10 response sleepers, 3 CID sleepers, 8 custody sleepers.
        // The CID cell (3) is primary; a's force cell = sum of its three
        // functions, so the next smallest (custody, 8) goes too.
        let mut people = Vec::new();
        people.extend((0..10).map(|_| person("a", "response", true)));
        people.extend((0..3).map(|_| person("a", "investigation", true)));
        people.extend((0..8).map(|_| person("a", "custody", true)));
        people.extend((0..12).map(|_| person("b", "response", true)));
        let m = month_figures(
            november(),
            &MonthInput {
                people,
                ..Default::default()
            },
        );
        let sleep = measure("sleep_hours").unwrap();
        let path = |a: &str, b: &str| vec![a.to_owned(), b.to_owned()];
        assert!(m.withheld(sleep, &path("a", "investigation")));
        assert!(m.withheld(sleep, &path("a", "custody")));
        assert_eq!(m.value(sleep, &path("a", "response")), Some(7.0));
        assert_eq!(m.value(sleep, &["a".to_owned()]), Some(7.0));
        // Enrolled: 33 in all (the protected total stays; force a's cells
        // may go with the small function's zeros, whose row is withheld).
        let enrolled = measure("enrolled").unwrap();
        assert_eq!(m.value(enrolled, &[]), Some(33.0));
        assert_eq!(m.month, "2026-11");
        for t in &m.tables {
            assert!(t.single_unknowns().is_empty(), "{}", t.id);
        }
    }

    #[test]
    fn employment_types_have_rows_of_their_own_with_a_secondary() {
        // Force a, enrolled: 10 police officers sleeping 7.0 h, 6 police
        // staff sleeping 8.0 h, 2 volunteers sleeping 7.0 h, 7 without an
        // HR record sleeping 7.5 h; 20 nights each.
        let typed = |t: &str, minutes: i64| PersonOutcomes {
            employment_type: t.into(),
            sleep_minutes: 20 * minutes,
            ..person("a", "response", true)
        };
        let mut people = Vec::new();
        people.extend((0..10).map(|_| typed("police_officer", 420)));
        people.extend((0..6).map(|_| typed("police_staff", 480)));
        people.extend((0..2).map(|_| typed("volunteer", 420)));
        people.extend((0..7).map(|_| typed(models::staff::EmploymentType::NOT_KNOWN, 450)));
        // Rostered: 6 officers with 10 shifts, 2 of them nights; 3 special
        // constables with 4 shifts, 1 a night.
        let shifts = |t: &str, shifts, nights| PersonRoster {
            force: "a".into(),
            function: "response".into(),
            employment_type: t.into(),
            shifts,
            night_shifts: nights,
            ..Default::default()
        };
        let mut roster: Vec<PersonRoster> =
            (0..6).map(|_| shifts("police_officer", 10, 2)).collect();
        roster.extend((0..3).map(|_| shifts("special_constable", 4, 1)));
        let m = month_figures(
            november(),
            &MonthInput {
                people,
                roster,
                ..Default::default()
            },
        );
        let cell = |table: &str, column: &str, row: &str| {
            let t = m.tables.iter().find(|t| t.id == table).unwrap();
            let c = t.column(column).unwrap();
            let path: Vec<String> = if row.is_empty() {
                vec![]
            } else {
                vec![row.to_owned()]
            };
            let cell = &t.rows.iter().find(|r| r.path == path).unwrap().cells[c];
            (cell.suppressed, cell.value.and_then(|v| v.to_f64()))
        };
        let [uptake, outcomes, frm] = BY_EMPLOYMENT_TYPE;
        // Enrolled: volunteers (2) withheld, and police staff (6, the
        // smallest other type) with them; the total 25 as in the function
        // tables.
        assert_eq!(cell(uptake, "enrolled", "volunteer"), (true, None));
        assert_eq!(cell(uptake, "enrolled", "police_staff"), (true, None));
        assert_eq!(
            cell(uptake, "enrolled", "police_officer"),
            (false, Some(10.0))
        );
        assert_eq!(cell(uptake, "enrolled", "not_known"), (false, Some(7.0)));
        assert_eq!(cell(uptake, "enrolled", ""), (false, Some(25.0)));
        assert_eq!(m.value(measure("enrolled").unwrap(), &[]), Some(25.0));
        // Sleep: (10×7 + 6×8 + 2×7 + 7×7.5) / 25 = 7.38 -> 7.4 h overall.
        let sleep = "mean sleep per night (h)";
        assert_eq!(cell(outcomes, sleep, ""), (false, Some(7.4)));
        assert_eq!(cell(outcomes, sleep, "police_officer"), (false, Some(7.0)));
        assert_eq!(cell(outcomes, sleep, "not_known"), (false, Some(7.5)));
        assert!(cell(outcomes, sleep, "police_staff").0);
        // Nights: (6×2 + 3×1) / (6×10 + 3×4) = 15/72 = 20.8 % overall; the
        // 3 specials withheld and so the officers, the only other type.
        let nights = "night shifts (% of shifts)";
        assert_eq!(cell(frm, nights, ""), (false, Some(20.8)));
        assert!(cell(frm, nights, "special_constable").0);
        assert!(cell(frm, nights, "police_officer").0);
        // Types are not forces.
        assert_eq!(m.forces(), BTreeSet::from(["a".to_owned()]));
        for t in &m.tables {
            assert!(t.single_unknowns().is_empty(), "{}", t.id);
        }
    }

    #[test]
    fn sickness_counts_people_not_teams() {
        // Force a: response 40 people 12 days -> 30.0 per 100; custody 3
        // people 1 day (withheld, and its sibling with it).
        let s = |f: &str, g: &str, h, d| TeamSickness {
            force: f.into(),
            function: g.into(),
            headcount: h,
            sickness_days: d,
        };
        let m = month_figures(
            november(),
            &MonthInput {
                sickness: vec![s("a", "response", 40, 12), s("a", "custody", 3, 1)],
                ..Default::default()
            },
        );
        let k = measure("sickness_days_per_100").unwrap();
        let path = |a: &str, b: &str| vec![a.to_owned(), b.to_owned()];
        assert!(m.withheld(k, &path("a", "custody")));
        assert!(m.withheld(k, &path("a", "response")));
        // 13 days over 43 people = 30.23 -> 30.2 per 100.
        assert_eq!(m.value(k, &["a".to_owned()]), Some(30.2));
    }

    #[test]
    fn statuses_and_months_sit_on_the_grid() {
        let plan = RolloutPlan {
            force: "a".into(),
            wave: 1,
            go_live: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            target_enrolled: 100,
        };
        // November 2026 runs Mon 2 Nov - Sun 29 Nov.
        assert_eq!(plan.status(&november()), Status::Live);
        let oct = Period::reporting_month(2026, 10).unwrap();
        assert_eq!(plan.status(&oct), Status::NotYetLive);
        let later = RolloutPlan {
            go_live: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            ..plan
        };
        assert_eq!(later.status(&november()), Status::Transition);
        let months = reporting_months((2026, 11), 3);
        let labels: Vec<String> = months.iter().map(month_label).collect();
        assert_eq!(labels, ["2026-09", "2026-10", "2026-11"]);
        // 4 Dec 2026: November ended on Sun 29 Nov; December has not.
        assert_eq!(
            last_complete_month(NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()),
            (2026, 11)
        );
    }
}
