//! NPWS comparisons across forces and policing functions (or roles): per
//! group, how many people, how their rosters run and, from those who
//! consented, how they sleep, recover and rate their sleepiness.
//!
//! The three views — by force, by function, by force × function — are one
//! suppression problem ([`crate::suppression`]), a two-way table with both
//! margins: in every column, the national cell is the sum of the forces and
//! also of the functions, each force the sum of its force × function cells,
//! each function the sum of its cells across forces. A cell describing 1 to
//! 4 people is withheld (every cell of a group of 1 to 4 people is), and
//! secondary suppression runs over all those relations together, so a figure
//! withheld in one view is withheld in the others, and no withheld cell is
//! the difference of published figures in any view (the force × function
//! cells of a force cannot be recovered from the function totals either).
//!
//! Means are ratios of exact integer sums rounded once (`crate::round`), and
//! are published only where the people they describe are 5 or more.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cohorts::PersonSums;
use crate::input::Period;
use crate::round::{ROUNDING_NOTE, ratio};
use crate::suppression::{MIN_PEOPLE, Problem, is_primary};
use crate::table::{Cell, Row, Table};

/// Which view of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One row per force.
    Force,
    /// One row per policing function (or role).
    Function,
    /// Forces, each with a row per function.
    ForceFunction,
}

impl GroupBy {
    /// Every view, in output order.
    pub const ALL: [GroupBy; 3] = [GroupBy::Force, GroupBy::Function, GroupBy::ForceFunction];

    /// The query-string name (`force`, `function`, `force_function`).
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Force => "force",
            GroupBy::Function => "function",
            GroupBy::ForceFunction => "force_function",
        }
    }

    /// Parses the query-string name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// How a measure is published.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// People counted.
    Count,
    /// `sum / (n × scale)`, where `n` is a hidden sum.
    Mean { scale: i64 },
}

/// One published column: its heading, kind, and what a person contributes
/// (`None`: not in the cell): `(value, denominator)`.
struct Measure {
    name: &'static str,
    kind: Kind,
    of: fn(&PersonSums, i64) -> Option<(i64, i64)>,
}

const MEASURES: [Measure; 9] = [
    Measure {
        name: "people",
        kind: Kind::Count,
        of: |_, _| Some((1, 1)),
    },
    Measure {
        name: "night shifts (% of shifts)",
        kind: Kind::Mean { scale: 1 },
        of: |p, _| Some((i64::from(p.night_shifts) * 100, i64::from(p.shifts))),
    },
    Measure {
        name: "quick returns (rest under 12 h) per person",
        kind: Kind::Mean { scale: 1 },
        of: |p, _| Some((i64::from(p.quick_returns), 1)),
    },
    Measure {
        name: "hours worked per 7 days per person",
        // minutes × 7 / (people × days × 60): the scale carries days × 60.
        kind: Kind::Mean { scale: 60 },
        of: |p, days| Some((p.minutes_worked * 7, days)),
    },
    Measure {
        name: "people sharing sleep",
        kind: Kind::Count,
        of: |p, _| (p.sleep_nights > 0).then_some((1, 1)),
    },
    Measure {
        name: "mean sleep per night (h)",
        kind: Kind::Mean { scale: 60 },
        of: |p, _| (p.sleep_nights > 0).then_some((p.sleep_minutes, i64::from(p.sleep_nights))),
    },
    Measure {
        name: "red recovery mornings (% of mornings with a recovery band)",
        kind: Kind::Mean { scale: 1 },
        of: |p, _| {
            (p.recovery_mornings > 0).then_some((
                i64::from(p.red_mornings) * 100,
                i64::from(p.recovery_mornings),
            ))
        },
    },
    Measure {
        name: "people sharing KSS check-ins",
        kind: Kind::Count,
        of: |p, _| (p.kss_check_ins > 0).then_some((1, 1)),
    },
    Measure {
        name: "mean KSS check-in",
        kind: Kind::Mean { scale: 1 },
        of: |p, _| (p.kss_check_ins > 0).then_some((p.kss_sum, i64::from(p.kss_check_ins))),
    },
];

/// The published comparisons: the three views of one suppression problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparisons {
    /// The period.
    pub period: Period,
    /// The rounding rule of every mean.
    pub rounding: String,
    /// The fewest people a published cell describes.
    pub min_people: u32,
    /// By force, by function, by force × function (table ids `by_force`,
    /// `by_function`, `by_force_function`).
    pub tables: Vec<Table>,
}

impl Comparisons {
    /// The view asked for.
    pub fn view(&self, by: GroupBy) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == table_id(by))
    }
}

fn table_id(by: GroupBy) -> String {
    format!("by_{}", by.as_str())
}

/// One group's accumulated sums, one slot per measure.
#[derive(Debug, Clone)]
struct Acc {
    people: u32,
    value: Vec<i64>,
    n: Vec<i64>,
    with: Vec<u32>,
}

impl Default for Acc {
    fn default() -> Self {
        Self {
            people: 0,
            value: vec![0; MEASURES.len()],
            n: vec![0; MEASURES.len()],
            with: vec![0; MEASURES.len()],
        }
    }
}

impl Acc {
    fn add(&mut self, p: &PersonSums, days: i64) {
        self.people += 1;
        for (m, measure) in MEASURES.iter().enumerate() {
            if let Some((v, n)) = (measure.of)(p, days) {
                self.value[m] += v;
                self.n[m] += n;
                self.with[m] += 1;
            }
        }
    }
}

/// A group key: `(force, function)`, either `None` for "all".
type Key = (Option<String>, Option<String>);

/// Compares the people with a shift in `period` by force, function and both.
pub fn compare(period: Period, people: &[PersonSums]) -> Comparisons {
    compare_groups(period, people, "policing function")
}

/// As [`compare`], with [`PersonSums::group`] holding another grouping
/// (an employment type, say), named `grouping` in the tables' titles. The
/// views keep their ids (`by_function` is the grouping's view).
pub fn compare_groups(period: Period, people: &[PersonSums], grouping: &str) -> Comparisons {
    let days = period.days();
    let mut groups: BTreeMap<Key, Acc> = BTreeMap::new();
    for p in people.iter().filter(|p| p.shifts > 0) {
        let (f, g) = (Some(p.force.clone()), Some(p.group.clone()));
        for key in [(None, None), (f.clone(), None), (None, g.clone()), (f, g)] {
            groups.entry(key).or_default().add(p, days);
        }
    }
    groups.entry((None, None)).or_default();

    // One cell per (group, measure).
    let mut problem = Problem::new();
    let mut cell: BTreeMap<(Key, usize), usize> = BTreeMap::new();
    for (key, acc) in &groups {
        let small = is_primary(acc.people);
        let national = key.0.is_none() && key.1.is_none();
        for m in 0..MEASURES.len() {
            let id = problem.add_cell(acc.with[m], small, national);
            cell.insert((key.clone(), m), id);
        }
    }
    // Relations, per measure: the national cell over forces and over
    // functions; each force over its functions; each function over forces.
    let mut families: Vec<(Key, Vec<Key>)> = vec![
        (
            (None, None),
            groups
                .keys()
                .filter(|k| k.0.is_some() && k.1.is_none())
                .cloned()
                .collect(),
        ),
        (
            (None, None),
            groups
                .keys()
                .filter(|k| k.0.is_none() && k.1.is_some())
                .cloned()
                .collect(),
        ),
    ];
    for k in groups.keys() {
        match k {
            (Some(f), None) => families.push((
                k.clone(),
                groups
                    .keys()
                    .filter(|c| c.0.as_ref() == Some(f) && c.1.is_some())
                    .cloned()
                    .collect(),
            )),
            (None, Some(g)) => families.push((
                k.clone(),
                groups
                    .keys()
                    .filter(|c| c.1.as_ref() == Some(g) && c.0.is_some())
                    .cloned()
                    .collect(),
            )),
            _ => {}
        }
    }
    for m in 0..MEASURES.len() {
        for (total, parts) in &families {
            let rel = std::iter::once(total)
                .chain(parts)
                .filter_map(|k| cell.get(&(k.clone(), m)).copied())
                .collect();
            problem.add_relation(rel);
        }
    }
    let suppressed = problem.solve();

    let row = |key: &Key, level: usize, label: String, path: Vec<String>| -> Row {
        let acc = &groups[key];
        let cells = MEASURES
            .iter()
            .enumerate()
            .map(|(m, measure)| {
                let sup = cell
                    .get(&(key.clone(), m))
                    .is_some_and(|&id| suppressed[id]);
                let value = if sup {
                    None
                } else {
                    match measure.kind {
                        Kind::Count => Some(Decimal::from(acc.with[m])),
                        Kind::Mean { scale } => ratio(acc.value[m], acc.n[m], scale),
                    }
                };
                Cell {
                    value,
                    suppressed: sup,
                    percent: None,
                }
            })
            .collect();
        Row {
            level,
            path,
            label,
            cells,
        }
    };
    let national = |label: &str| row(&(None, None), 0, label.to_owned(), Vec::new());
    let columns: Vec<String> = MEASURES.iter().map(|m| m.name.to_owned()).collect();
    let table = |by: GroupBy, title: &str, rows: Vec<Row>| Table {
        id: table_id(by),
        title: title.to_owned(),
        unit: "people".to_owned(),
        columns: columns.clone(),
        percent_of: None,
        rows,
    };

    let mut by_force = vec![national("All forces")];
    let mut by_function = vec![national("All functions")];
    let mut by_both = vec![national("All forces")];
    for key in groups.keys() {
        match key {
            (Some(f), None) => {
                by_force.push(row(key, 1, f.clone(), vec![f.clone()]));
                by_both.push(row(key, 1, f.clone(), vec![f.clone()]));
                for k in groups
                    .keys()
                    .filter(|k| k.0.as_ref() == Some(f) && k.1.is_some())
                {
                    let g = k.1.clone().unwrap_or_default();
                    by_both.push(row(k, 2, g.clone(), vec![f.clone(), g]));
                }
            }
            (None, Some(g)) => by_function.push(row(key, 1, g.clone(), vec![g.clone()])),
            _ => {}
        }
    }
    Comparisons {
        period,
        rounding: ROUNDING_NOTE.to_owned(),
        min_people: MIN_PEOPLE,
        tables: vec![
            table(
                GroupBy::Force,
                "People, rosters and consented sleep by force",
                by_force,
            ),
            table(
                GroupBy::Function,
                &format!("People, rosters and consented sleep by {grouping}"),
                by_function,
            ),
            table(
                GroupBy::ForceFunction,
                &format!("People, rosters and consented sleep by force and {grouping}"),
                by_both,
            ),
        ],
    }
}

/// One view as long-format CSV: `table,level,row,column,value,suppressed`
/// (`row` is the path joined with ` / `; empty `value` when withheld).
///
/// # Errors
/// [`crate::AnalyticsError::Csv`].
pub fn render_csv(table: &Table) -> Result<String, crate::AnalyticsError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["table", "level", "row", "column", "value", "suppressed"])?;
    for r in &table.rows {
        let row = r.csv_label(&r.label);
        for (col, c) in table.columns.iter().zip(&r.cells) {
            let (v, _, _) = c.csv_fields();
            w.write_record([
                table.id.as_str(),
                &r.level.to_string(),
                &row,
                col,
                &v,
                &c.suppressed.to_string(),
            ])?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| crate::AnalyticsError::Csv(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|e| crate::AnalyticsError::Render(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn period() -> Period {
        let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
        Period::new(d(1), d(28)).unwrap()
    }

    fn person(force: &str, group: &str, sleeps: bool) -> PersonSums {
        PersonSums {
            force: force.into(),
            group: group.into(),
            shifts: 14,
            early_shifts: 4,
            late_shifts: 2,
            night_shifts: 4,
            quick_returns: 1,
            minutes_worked: 14 * 600,
            sleep_nights: if sleeps { 20 } else { 0 },
            sleep_minutes: if sleeps { 20 * 420 } else { 0 },
            regularity_hours: None,
            recovery_slope_per_week: None,
            recovery_mornings: if sleeps { 20 } else { 0 },
            red_mornings: if sleeps { 5 } else { 0 },
            kss_check_ins: 0,
            kss_sum: 0,
        }
    }

    fn people(spec: &[(&str, &str, usize, usize)]) -> Vec<PersonSums> {
        spec.iter()
            .flat_map(|&(f, g, n, sleeping)| (0..n).map(move |i| person(f, g, i < sleeping)))
            .collect()
    }

    fn cell<'a>(t: &'a Table, path: &[&str], column: &str) -> &'a Cell {
        let c = t.column(column).unwrap();
        let r = t
            .rows
            .iter()
            .find(|r| r.path.iter().map(String::as_str).eq(path.iter().copied()))
            .unwrap();
        &r.cells[c]
    }

    #[test]
    fn figures_are_exact_ratios_of_sums() {
        let c = compare(
            period(),
            &people(&[("a", "response", 6, 6), ("b", "response", 5, 0)]),
        );
        let t = c.view(GroupBy::Force).unwrap();
        assert_eq!(cell(t, &[], "people").value, Some(Decimal::from(11)));
        // 4 nights in 14 shifts: 28.6 %.
        assert_eq!(
            cell(t, &["a"], "night shifts (% of shifts)").value,
            Some(Decimal::new(286, 1))
        );
        // 600 min × 14 shifts × 7 / 28 days / 60 = 35.0 h.
        assert_eq!(
            cell(t, &["a"], "hours worked per 7 days per person").value,
            Some(Decimal::new(350, 1))
        );
        assert_eq!(
            cell(t, &["a"], "mean sleep per night (h)").value,
            Some(Decimal::new(70, 1))
        );
        assert_eq!(
            cell(
                t,
                &["a"],
                "red recovery mornings (% of mornings with a recovery band)"
            )
            .value,
            Some(Decimal::new(250, 1))
        );
        // Force b shares no sleep: a published zero count and no mean.
        assert_eq!(
            cell(t, &["b"], "people sharing sleep").value,
            Some(Decimal::ZERO)
        );
        assert_eq!(cell(t, &["b"], "mean sleep per night (h)").value, None);
    }

    #[test]
    fn a_small_force_is_withheld_in_every_view_and_covered() {
        let c = compare(
            period(),
            &people(&[
                ("north", "response", 20, 12),
                ("north", "investigation", 8, 6),
                ("west", "response", 9, 7),
                ("west", "control_room", 12, 9),
                ("tiny", "response", 3, 3),
            ]),
        );
        let by_force = c.view(GroupBy::Force).unwrap();
        let tiny = by_force.rows.iter().find(|r| r.label == "tiny").unwrap();
        assert!(tiny.cells.iter().all(|c| c.suppressed && c.value.is_none()));
        // Another force is withheld with it in each column.
        for col in 0..MEASURES.len() {
            let n = by_force
                .rows
                .iter()
                .filter(|r| r.level == 1 && r.cells[col].suppressed)
                .count();
            assert!(n >= 2, "column {col}");
        }
        let both = c.view(GroupBy::ForceFunction).unwrap();
        let cell = cell(both, &["tiny", "response"], "people");
        assert!(cell.suppressed);
    }

    #[test]
    fn group_by_names_round_trip() {
        for g in GroupBy::ALL {
            assert_eq!(GroupBy::parse(g.as_str()), Some(g));
        }
        assert_eq!(GroupBy::parse("team"), None);
    }

    /// Relations as published: in each column, a total and its parts.
    fn published_relations(c: &Comparisons) -> Vec<Vec<(bool, Option<Decimal>)>> {
        let mut out = Vec::new();
        for t in &c.tables {
            for col in 0..t.columns.len() {
                for (i, r) in t.rows.iter().enumerate() {
                    let kids: Vec<_> = t.rows[i + 1..]
                        .iter()
                        .take_while(|k| k.level > r.level)
                        .filter(|k| k.level == r.level + 1)
                        .map(|k| (k.cells[col].suppressed, k.cells[col].value))
                        .collect();
                    if !kids.is_empty() {
                        let mut rel = vec![(r.cells[col].suppressed, r.cells[col].value)];
                        rel.extend(kids);
                        out.push(rel);
                    }
                }
            }
        }
        // Function totals over the force × function cells of every force.
        let (Some(fun), Some(both)) = (c.view(GroupBy::Function), c.view(GroupBy::ForceFunction))
        else {
            return out;
        };
        for col in 0..fun.columns.len() {
            for r in fun.rows.iter().filter(|r| r.level == 1) {
                let mut rel = vec![(r.cells[col].suppressed, r.cells[col].value)];
                rel.extend(
                    both.rows
                        .iter()
                        .filter(|k| k.level == 2 && k.label == r.label)
                        .map(|k| (k.cells[col].suppressed, k.cells[col].value)),
                );
                out.push(rel);
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn no_cell_under_five_and_no_lone_withheld_cell(
            spec in proptest::collection::vec((0usize..4, 0usize..4, 0usize..12, 0usize..12), 1..12)
        ) {
            let forces = ["a", "b", "c", "d"];
            let functions = ["response", "investigation", "control_room", "custody"];
            let ps: Vec<PersonSums> = spec
                .iter()
                .flat_map(|&(f, g, n, s)| {
                    (0..n).map(move |i| person(forces[f], functions[g], i < s))
                })
                .collect();
            let c = compare(period(), &ps);
            for t in &c.tables {
                let people = t.column("people").unwrap();
                for r in &t.rows {
                    if let Some(v) = r.cells[people].value {
                        prop_assert!(v == Decimal::ZERO || v >= Decimal::from(MIN_PEOPLE));
                    }
                    for (col, cell) in t.columns.iter().zip(&r.cells) {
                        if col.starts_with("people")
                            && let Some(v) = cell.value
                        {
                            prop_assert!(v == Decimal::ZERO || v >= Decimal::from(MIN_PEOPLE), "{col} {v}");
                        }
                    }
                }
            }
            for rel in published_relations(&c) {
                let withheld = rel.iter().filter(|(s, _)| *s).count();
                prop_assert!(withheld != 1, "a relation with one withheld cell: {rel:?}");
            }
        }
    }
}
