//! Tables of figures by a row hierarchy (force → command → team, or all
//! forces → force → role), built from per-person contributions, suppressed
//! jointly ([`crate::suppression`]) and published with rounded decimals.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::round::{Percentage, ratio};
use crate::suppression::{Problem, is_primary};

/// The rows of a table: the root, then every prefix of every leaf path,
/// in path order (a parent before its children).
#[derive(Debug, Clone)]
pub struct Hierarchy {
    root_label: String,
    paths: Vec<Vec<String>>,
    parent: Vec<Option<usize>>,
    index: BTreeMap<Vec<String>, usize>,
}

impl Hierarchy {
    /// Rows for the given leaf paths (all of the same depth, e.g.
    /// `[command, team]`), under a root labelled `root_label`.
    pub fn new<'a>(root_label: &str, leaves: impl IntoIterator<Item = &'a [String]>) -> Self {
        let mut all: BTreeSet<Vec<String>> = BTreeSet::new();
        all.insert(Vec::new());
        for leaf in leaves {
            for n in 1..=leaf.len() {
                all.insert(leaf[..n].to_vec());
            }
        }
        let paths: Vec<Vec<String>> = all.into_iter().collect();
        let index: BTreeMap<Vec<String>, usize> = paths
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, p)| (p, i))
            .collect();
        let parent = paths
            .iter()
            .map(|p| p.split_last().and_then(|(_, up)| index.get(up).copied()))
            .collect();
        Self {
            root_label: root_label.to_owned(),
            paths,
            parent,
            index,
        }
    }

    /// Row of a path, if present.
    pub fn row(&self, path: &[String]) -> Option<usize> {
        self.index.get(path).copied()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// True when there are no rows (never: the root is always there).
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    fn ancestors_and_self(&self, row: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(row), |&r| self.parent[r])
    }

    fn children(&self) -> Vec<Vec<usize>> {
        let mut children = vec![Vec::new(); self.paths.len()];
        for (r, p) in self.parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(r);
            }
        }
        children
    }
}

/// How a column is published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnKind {
    /// An integer count of the table's unit, published as is.
    Count,
    /// A sum kept hidden and published as `sum / n / scale`, where `n` is
    /// another column of the same table.
    Mean {
        /// Column holding the denominator.
        n_column: usize,
        /// Divisor turning the sum's unit into the published one (60 for minutes → hours).
        scale: i64,
    },
    /// A denominator that is neither published nor suppressed itself (it is
    /// published elsewhere or derivable); only means use it.
    Hidden,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSpec {
    /// Heading, with its unit.
    pub name: String,
    /// How it is published.
    pub kind: ColumnKind,
}

impl ColumnSpec {
    /// A count column.
    pub fn count(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind: ColumnKind::Count,
        }
    }
    /// A mean column over `n_column`, divided by `scale`.
    pub fn mean(name: &str, n_column: usize, scale: i64) -> Self {
        Self {
            name: name.to_owned(),
            kind: ColumnKind::Mean { n_column, scale },
        }
    }
    /// A hidden denominator.
    pub fn hidden(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind: ColumnKind::Hidden,
        }
    }
}

/// Columns that split a row's total: `parts` sum to `total`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partition {
    /// The parts.
    pub parts: Vec<usize>,
    /// The total.
    pub total: usize,
    /// What the total counts, for the percentages of the parts.
    pub percent_of: String,
}

/// A table's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// Stable id (JSON key, CSV `table` column).
    pub id: &'static str,
    /// Caption.
    pub title: String,
    /// What a count cell counts ("people", "shifts", "person-nights", "check-ins").
    pub unit: &'static str,
    /// Columns.
    pub columns: Vec<ColumnSpec>,
    /// Row partition, if the columns split a total.
    pub partition: Option<Partition>,
    /// Population key and column: tables with the same key print the same
    /// total in that column, so those cells are tied in suppression.
    pub link: Option<(&'static str, usize)>,
}

/// A table being filled from per-person contributions.
#[derive(Debug, Clone)]
pub struct RawTable {
    spec: TableSpec,
    values: Vec<Vec<i64>>,
    people: Vec<Vec<u32>>,
    row_people: Vec<u32>,
    /// People per week of the period, per row and column ([`Self::add_week`];
    /// empty when the table is not under the per-week rule).
    week_people: Vec<Vec<Vec<u32>>>,
    /// People per week of the period, per row.
    row_week_people: Vec<Vec<u32>>,
}

impl RawTable {
    /// An empty table over `rows`.
    pub fn new(spec: TableSpec, rows: &Hierarchy) -> Self {
        let n = spec.columns.len();
        Self {
            values: vec![vec![0; n]; rows.len()],
            people: vec![vec![0; n]; rows.len()],
            row_people: vec![0; rows.len()],
            week_people: vec![vec![Vec::new(); n]; rows.len()],
            row_week_people: vec![Vec::new(); rows.len()],
            spec,
        }
    }

    /// Counts one person in week `week` of the period (their contribution
    /// from that week alone), for the per-week rule: a cell is then judged
    /// on the fewest people in any week that has some, as well as on its
    /// own, so a period of several weeks publishes a figure only when each
    /// week would on its own (docs/security.md, "Differencing"). Two
    /// allowed periods differ by whole weeks, so no difference of two
    /// reports is a figure about fewer than 5 people.
    pub fn add_week(
        &mut self,
        rows: &Hierarchy,
        leaf: usize,
        week: usize,
        contribution: &[Option<i64>],
    ) {
        if contribution.iter().all(Option::is_none) {
            return;
        }
        let bump = |counts: &mut Vec<u32>| {
            if counts.len() <= week {
                counts.resize(week + 1, 0);
            }
            counts[week] += 1;
        };
        for r in rows.ancestors_and_self(leaf) {
            bump(&mut self.row_week_people[r]);
            for (c, v) in contribution.iter().enumerate() {
                if v.is_some() {
                    bump(&mut self.week_people[r][c]);
                }
            }
        }
    }

    /// The people a cell's primary suppression is judged on: its own, or
    /// the fewest in any week of the period that has some.
    fn primary_people(&self, r: usize, c: usize) -> u32 {
        fewest(self.people[r][c], &self.week_people[r][c])
    }
}

impl RawTable {
    /// Adds one person at `leaf`: `Some(v)` puts them in that column's cell
    /// with value `v`; a person with no `Some` is not in the table's population.
    pub fn add(&mut self, rows: &Hierarchy, leaf: usize, contribution: &[Option<i64>]) {
        if contribution.iter().all(Option::is_none) {
            return;
        }
        for r in rows.ancestors_and_self(leaf) {
            self.row_people[r] += 1;
            for (c, v) in contribution.iter().enumerate() {
                if let Some(v) = v {
                    self.values[r][c] += v;
                    self.people[r][c] += 1;
                }
            }
        }
    }
}

/// A published cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// The figure; `None` when suppressed or when there is nothing to average.
    pub value: Option<Decimal>,
    /// True when withheld to protect people (fewer than 5, or to stop a subtraction).
    pub suppressed: bool,
    /// Share of the row's total, for partition columns.
    pub percent: Option<Percentage>,
}

impl Cell {
    /// The cell as text fields for CSV: value, percentage, what the
    /// percentage is of (empty strings where absent).
    pub fn csv_fields(&self) -> (String, String, &str) {
        (
            self.value.map(|v| v.to_string()).unwrap_or_default(),
            self.percent
                .as_ref()
                .map(|p| p.value.to_string())
                .unwrap_or_default(),
            self.percent.as_ref().map_or("", |p| p.of.as_str()),
        )
    }
}

/// A published row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// 0 for the root, 1 for its children, ...
    pub level: usize,
    /// Path from the root (empty for the root).
    pub path: Vec<String>,
    /// Display label.
    pub label: String,
    /// Cells, one per published column.
    pub cells: Vec<Cell>,
}

impl Row {
    /// The row as every CSV names it: its path joined with ` / ` (the
    /// root: `root`), a formula-looking start neutralised
    /// ([`crate::render::csv_text`]).
    pub fn csv_label(&self, root: &str) -> String {
        crate::render::csv_text(&if self.path.is_empty() {
            root.to_owned()
        } else {
            self.path.join(" / ")
        })
    }
}

/// A published table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Stable id.
    pub id: String,
    /// Caption.
    pub title: String,
    /// What count cells count.
    pub unit: String,
    /// Published column headings.
    pub columns: Vec<String>,
    /// What the parts' percentages are of, when the table has them.
    pub percent_of: Option<String>,
    /// Rows, parent before children.
    pub rows: Vec<Row>,
}

impl Table {
    /// The root row.
    pub fn root(&self) -> Option<&Row> {
        self.rows.first()
    }

    /// Index of a published column by heading.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// An audit of the published table: every relation "a row's cell = the
    /// sum of its children's cells" (force = commands, command = teams)
    /// that has exactly one withheld cell, as `(parent path, column)`. Such
    /// a cell could be worked out by one subtraction, so after suppression
    /// this is empty.
    pub fn single_unknowns(&self) -> Vec<(Vec<String>, String)> {
        let mut out = Vec::new();
        for parent in &self.rows {
            let children: Vec<&Row> = self
                .rows
                .iter()
                .filter(|r| r.level == parent.level + 1 && r.path.starts_with(&parent.path))
                .collect();
            if children.is_empty() {
                continue;
            }
            for (c, name) in self.columns.iter().enumerate() {
                let withheld = std::iter::once(parent)
                    .chain(children.iter().copied())
                    .filter(|r| r.cells.get(c).is_some_and(|cell| cell.suppressed))
                    .count();
                if withheld == 1 {
                    out.push((parent.path.clone(), name.clone()));
                }
            }
        }
        out
    }
}

/// Suppresses a set of tables over the same rows jointly and publishes them.
pub fn publish(rows: &Hierarchy, tables: Vec<RawTable>) -> Vec<Table> {
    let children = rows.children();
    let mut problem = Problem::new();
    // cell index per (table, row, column); None for hidden columns.
    let mut ids: Vec<Vec<Vec<Option<usize>>>> = Vec::with_capacity(tables.len());
    for t in &tables {
        let mut tid = Vec::with_capacity(rows.len());
        for r in 0..rows.len() {
            let small = is_primary(fewest(t.row_people[r], &t.row_week_people[r]));
            let row_ids: Vec<Option<usize>> = t
                .spec
                .columns
                .iter()
                .enumerate()
                .map(|(c, col)| match col.kind {
                    ColumnKind::Hidden => None,
                    _ => Some(problem.add_cell(t.primary_people(r, c), small, r == 0)),
                })
                .collect();
            tid.push(row_ids);
        }
        for r in 0..rows.len() {
            if let Some(p) = &t.spec.partition {
                let rel = p
                    .parts
                    .iter()
                    .chain(std::iter::once(&p.total))
                    .filter_map(|&c| tid[r].get(c).copied().flatten())
                    .collect();
                problem.add_relation(rel);
            }
            if !children[r].is_empty() {
                #[expect(
                    clippy::needless_range_loop,
                    reason = "c picks one column across several rows"
                )]
                for c in 0..t.spec.columns.len() {
                    let rel = std::iter::once(r)
                        .chain(children[r].iter().copied())
                        .filter_map(|row| tid[row][c])
                        .collect();
                    problem.add_relation(rel);
                }
            }
        }
        ids.push(tid);
    }
    // Tie totals printed in several tables.
    let mut by_key: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    for (i, t) in tables.iter().enumerate() {
        if let Some((key, col)) = t.spec.link {
            by_key.entry(key).or_default().push((i, col));
        }
    }
    for linked in by_key.values() {
        for pair in linked.windows(2) {
            let ((a, ca), (b, cb)) = (pair[0], pair[1]);
            for (ra, rb) in ids[a].iter().zip(&ids[b]) {
                if let (Some(x), Some(y)) = (ra[ca], rb[cb]) {
                    problem.add_relation(vec![x, y]);
                }
            }
        }
    }
    let suppressed = problem.solve();
    let is_sup = |id: Option<usize>| id.is_some_and(|i| suppressed[i]);
    tables
        .into_iter()
        .zip(ids)
        .map(|(t, tid)| {
            let published: Vec<usize> = (0..t.spec.columns.len())
                .filter(|&c| t.spec.columns[c].kind != ColumnKind::Hidden)
                .collect();
            let out_rows = (0..rows.len())
                .map(|r| {
                    let cells = published
                        .iter()
                        .map(|&c| {
                            let sup = is_sup(tid[r][c]);
                            let value = t.values[r][c];
                            match t.spec.columns[c].kind {
                                ColumnKind::Mean { n_column, scale } => {
                                    let n_sup = is_sup(tid[r][n_column]);
                                    let sup = sup || n_sup;
                                    let mean = if sup {
                                        None
                                    } else {
                                        ratio(value, t.values[r][n_column], scale)
                                    };
                                    Cell {
                                        value: mean,
                                        suppressed: sup,
                                        percent: None,
                                    }
                                }
                                _ => {
                                    let percent = t.spec.partition.as_ref().and_then(|p| {
                                        let total_sup = is_sup(tid[r][p.total]);
                                        if sup || total_sup || !p.parts.contains(&c) {
                                            None
                                        } else {
                                            Percentage::new(
                                                value,
                                                t.values[r][p.total],
                                                &p.percent_of,
                                            )
                                        }
                                    });
                                    Cell {
                                        value: (!sup).then(|| Decimal::from(value)),
                                        suppressed: sup,
                                        percent,
                                    }
                                }
                            }
                        })
                        .collect();
                    let path = rows.paths[r].clone();
                    Row {
                        level: path.len(),
                        label: path
                            .last()
                            .cloned()
                            .unwrap_or_else(|| rows.root_label.clone()),
                        path,
                        cells,
                    }
                })
                .collect();
            Table {
                id: t.spec.id.to_owned(),
                title: t.spec.title,
                unit: t.spec.unit.to_owned(),
                columns: published
                    .iter()
                    .map(|&c| t.spec.columns[c].name.clone())
                    .collect(),
                percent_of: t.spec.partition.map(|p| p.percent_of),
                rows: out_rows,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rows_csv_label_is_its_path_and_never_a_formula() {
        let row = |path: &[&str], label: &str| Row {
            level: path.len(),
            path: path.iter().map(|p| (*p).to_owned()).collect(),
            label: label.to_owned(),
            cells: Vec::new(),
        };
        assert_eq!(row(&[], "All").csv_label("Force"), "Force");
        assert_eq!(
            row(&["North", "Team 1"], "Team 1").csv_label("x"),
            "North / Team 1"
        );
        // A command named like a formula is written as text (CWE-1236).
        assert_eq!(
            row(&["=HYPERLINK(1)"], "x").csv_label("x"),
            "'=HYPERLINK(1)"
        );
        assert_eq!(row(&[], "x").csv_label("@root"), "'@root");
    }

    fn path(a: &str, b: &str) -> Vec<String> {
        vec![a.to_owned(), b.to_owned()]
    }

    #[test]
    fn hierarchy_orders_parents_before_children() {
        let leaves = [path("B", "t2"), path("A", "t1"), path("B", "t1")];
        let h = Hierarchy::new("Force", leaves.iter().map(Vec::as_slice));
        assert_eq!(h.len(), 6);
        assert_eq!(h.row(&[]), Some(0));
        let a = h.row(&["A".to_owned()]).unwrap();
        let at1 = h.row(&path("A", "t1")).unwrap();
        assert!(a < at1);
        assert_eq!(h.parent[at1], Some(a));
    }

    #[test]
    fn small_team_row_is_blanked_and_covered() {
        let leaves = [path("A", "big"), path("A", "small"), path("A", "mid")];
        let h = Hierarchy::new("Force", leaves.iter().map(Vec::as_slice));
        let spec = TableSpec {
            id: "t",
            title: "t".into(),
            unit: "people",
            columns: vec![
                ColumnSpec::count("yes"),
                ColumnSpec::count("no"),
                ColumnSpec::count("all"),
            ],
            partition: Some(Partition {
                parts: vec![0, 1],
                total: 2,
                percent_of: "people in the row".into(),
            }),
            link: None,
        };
        let mut t = RawTable::new(spec, &h);
        let mut put = |team: &str, yes: bool, n: usize| {
            let leaf = h.row(&path("A", team)).unwrap();
            for _ in 0..n {
                let c = if yes {
                    [Some(1), None, Some(1)]
                } else {
                    [None, Some(1), Some(1)]
                };
                t.add(&h, leaf, &c);
            }
        };
        put("big", true, 10);
        put("big", false, 10);
        put("small", false, 3);
        put("mid", true, 6);
        put("mid", false, 7);
        let out = publish(&h, vec![t]);
        let table = &out[0];
        let small = table.rows.iter().find(|r| r.label == "small").unwrap();
        // Every cell of the 3-person team is withheld, the zero "yes" included.
        assert!(
            small
                .cells
                .iter()
                .all(|c| c.suppressed && c.value.is_none())
        );
        // And another team is withheld in each column so subtraction fails.
        for c in 0..3 {
            let n = table
                .rows
                .iter()
                .filter(|r| r.level == 2 && r.cells[c].suppressed)
                .count();
            assert!(n >= 2, "column {c}: {n} suppressed");
        }
        assert_eq!(table.single_unknowns(), []);
        // The audit catches a table where only the small team is withheld.
        let mut leaky = table.clone();
        for r in leaky.rows.iter_mut().filter(|r| r.label != "small") {
            for c in &mut r.cells {
                c.suppressed = false;
            }
        }
        assert_eq!(
            leaky.single_unknowns().len(),
            3,
            "one per column: A minus its other teams"
        );
        let root = table.root().unwrap();
        assert_eq!(root.cells[2].value, Some(Decimal::from(36)));
        let pct = root.cells[0].percent.as_ref().unwrap();
        assert_eq!(pct.value, Decimal::new(444, 1)); // 16 / 36
        assert_eq!(pct.of, "people in the row");
    }
}

fn fewest(people: u32, weeks: &[u32]) -> u32 {
    weeks
        .iter()
        .copied()
        .filter(|&n| n > 0)
        .fold(people, u32::min)
}

#[cfg(test)]
mod week_rule_tests {
    use super::fewest;

    #[test]
    fn a_cell_is_judged_on_its_thinnest_week() {
        // 12 people over the period, 9 and 3 in its two weeks: judged as 3.
        assert_eq!(fewest(12, &[9, 3]), 3);
        // A week nobody was in does not count.
        assert_eq!(fewest(12, &[12, 0]), 12);
        assert_eq!(fewest(7, &[]), 7);
    }
}
