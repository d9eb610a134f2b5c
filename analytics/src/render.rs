//! A report as HTML (with inline SVG charts, printable), CSV and JSON. All
//! three carry the same figures; none reads a clock, so the same report
//! renders to the same bytes.
//!
//! HTML uses minijinja: the template is a plain file embedded at compile
//! time, autoescaping HTML, and it needs no proc-macro build step (askama's
//! compile-time checks were weighed against that and against the template
//! being editable by someone who does not build Rust). The charts come from
//! [`crate::charts`] (plotters), as every chart on the platform does.

use std::collections::BTreeMap;

use minijinja::{Environment, Value, context};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::AnalyticsError;
use crate::report::Report;
use crate::table::Table;

const TEMPLATE: &str = include_str!("../templates/report.html");

/// The report as pretty JSON (decimals as strings, so no float rounding).
///
/// # Errors
/// [`AnalyticsError::Json`] (not expected for these types).
pub fn render_json(report: &Report) -> Result<String, AnalyticsError> {
    Ok(serde_json::to_string_pretty(report)?)
}

#[derive(Serialize)]
struct CsvRow<'a> {
    section: &'a str,
    table: &'a str,
    period_from: String,
    period_to: String,
    row_level: usize,
    row_path: String,
    column: &'a str,
    unit: &'a str,
    value: String,
    suppressed: bool,
    percent: String,
    percent_of: &'a str,
}

/// Text as a CSV cell a spreadsheet will not run: a cell starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return is read as a formula by Excel
/// and LibreOffice (OWASP, "CSV injection"), so it gets a leading `'`.
/// Names that force admins type (teams, commands, the force) go through it.
pub fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The report as long-format CSV: one line per published cell, tables then
/// trend, with the percentage's denominator on every line that has one,
/// then the roster settings the figures applied (section `settings`).
///
/// # Errors
/// [`AnalyticsError::Csv`] (not expected when writing to memory).
pub fn render_csv(report: &Report) -> Result<String, AnalyticsError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let (from, to) = (
        report.meta.period.from.to_string(),
        report.meta.period.to.to_string(),
    );
    for t in &report.tables {
        for r in &t.rows {
            for (col, c) in t.columns.iter().zip(&r.cells) {
                let (value, percent, percent_of) = c.csv_fields();
                w.serialize(CsvRow {
                    section: "table",
                    table: &t.id,
                    period_from: from.clone(),
                    period_to: to.clone(),
                    row_level: r.level,
                    row_path: r.csv_label(&report.meta.force),
                    column: col,
                    unit: &t.unit,
                    value,
                    suppressed: c.suppressed,
                    percent,
                    percent_of,
                })?;
            }
        }
    }
    for p in &report.trend {
        for f in &p.figures {
            let (value, percent, percent_of) = f.cell.csv_fields();
            let unit = report.table(&f.table).map_or("", |t| t.unit.as_str());
            w.serialize(CsvRow {
                section: "trend",
                table: &f.table,
                period_from: p.period.from.to_string(),
                period_to: p.period.to.to_string(),
                row_level: 0,
                row_path: csv_text(&report.meta.force),
                column: &f.column,
                unit,
                value,
                suppressed: f.cell.suppressed,
                percent,
                percent_of,
            })?;
        }
    }
    for (section, unit, figures) in report.force_sections() {
        for (label, cell) in figures {
            let (value, percent, percent_of) = cell.csv_fields();
            w.serialize(CsvRow {
                section,
                table: section,
                period_from: from.clone(),
                period_to: to.clone(),
                row_level: 0,
                row_path: csv_text(&report.meta.force),
                column: label,
                unit,
                value,
                suppressed: cell.suppressed,
                percent,
                percent_of,
            })?;
        }
    }
    // The settings the figures applied, every one (the force's own and the
    // defaults), as the HTML header names them: a CSV read on its own still
    // says which levels made its amber and red.
    let settings = serde_json::to_value(report.meta.limits)
        .map_err(|e| AnalyticsError::Render(e.to_string()))?;
    for (name, value) in settings.as_object().into_iter().flatten() {
        let value = match value {
            // The one setting that is not a number: the reg. 11 week start.
            serde_json::Value::Object(_) => {
                let start = report.meta.limits.week_start;
                format!("{} {:02}:00", start.weekday, start.hour)
            }
            other => other.to_string(),
        };
        w.serialize(CsvRow {
            section: "settings",
            table: "settings",
            period_from: from.clone(),
            period_to: to.clone(),
            row_level: 0,
            row_path: csv_text(&report.meta.force),
            column: name,
            unit: "setting",
            value,
            suppressed: false,
            percent: String::new(),
            percent_of: "",
        })?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AnalyticsError::Csv(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|e| AnalyticsError::Render(e.to_string()))
}

/// The force's percentage figures over the report's periods as one line
/// chart (a withheld period is a gap): the FRM report's and the dashboard's
/// trend, drawn in one place. `None` when no period has a percentage.
///
/// # Errors
/// [`AnalyticsError::Render`] if the chart fails to draw.
pub fn trend_chart(report: &Report) -> Result<Option<crate::charts::Chart>, AnalyticsError> {
    let periods: Vec<String> = report
        .trend
        .iter()
        .map(|p| format!("{} to {}", p.period.from, p.period.to))
        .collect();
    let series: Vec<crate::charts::Series> = crate::report::TREND_FIGURES
        .iter()
        .map(|(table, column)| crate::charts::Series {
            name: (*column).to_owned(),
            points: report
                .trend
                .iter()
                .map(|p| {
                    p.figures
                        .iter()
                        .find(|f| f.table == *table && f.column == *column)
                        .filter(|f| !f.cell.suppressed)
                        .and_then(|f| f.cell.percent.as_ref())
                        .map(|pc| decimal_f64(pc.value))
                })
                .collect(),
        })
        .filter(|s| s.points.iter().any(Option::is_some))
        .collect();
    if series.is_empty() || periods.is_empty() {
        return Ok(None);
    }
    crate::charts::line_chart("Force figures by period", "percentage", &periods, &series).map(Some)
}

fn decimal_f64(d: Decimal) -> f64 {
    d.to_string().parse::<f64>().unwrap_or(0.0)
}

/// Bars of the force row's partition percentages of a table.
fn force_row_chart(t: &Table) -> Option<Result<(crate::charts::Chart, String), AnalyticsError>> {
    let root = t.root()?;
    let of = t.percent_of.as_ref()?;
    let bars: Vec<crate::charts::Bar> = t
        .columns
        .iter()
        .zip(&root.cells)
        .filter(|(_, c)| c.percent.is_some() || c.suppressed)
        .map(|(name, c)| crate::charts::Bar {
            label: name.clone(),
            value: c
                .percent
                .as_ref()
                .filter(|_| !c.suppressed)
                .map(|p| decimal_f64(p.value)),
        })
        .collect();
    if bars.is_empty() {
        return None;
    }
    let caption = format!("{} — force, percentage of {of}.", t.title);
    Some(crate::charts::bar_chart(&t.title, "%", Some(100.0), &bars).map(|c| (c, caption)))
}

fn cell_text(c: &Value) -> String {
    let get = |k: &str| {
        c.get_attr(k)
            .ok()
            .filter(|v| !v.is_none() && !v.is_undefined())
    };
    if get("suppressed").is_some_and(|v| v.is_true()) {
        return "[c]".to_owned();
    }
    let mut s = get("value").map_or_else(|| "–".to_owned(), |v| v.to_string());
    if let Some(p) = get("percent").and_then(|p| p.get_attr("value").ok()) {
        s.push_str(&format!(" ({p}%)"));
    }
    s
}

/// The report as one self-contained HTML page (no scripts, no external
/// files), `lang="en-GB"`, tables with captions and header scopes, and
/// print CSS that starts each section on a new page.
///
/// # Errors
/// [`AnalyticsError::Render`] if the template fails.
pub fn render_html(report: &Report) -> Result<String, AnalyticsError> {
    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| AnalyticsError::Render(e.to_string()))?;
    env.add_function("cell", |c: Value| cell_text(&c));
    let charts: Vec<Value> = [
        "fi_thresholds",
        "fi_distribution",
        "hourly_risk",
        "quick_returns",
        "hours_7d",
        "weekly_hours",
        "average_week_17w",
    ]
    .iter()
    .filter_map(|id| report.table(id))
    .filter_map(force_row_chart)
    .chain(trend_chart(report).transpose().map(|c| {
        c.map(|c| {
            (
                c,
                "The force's figures by period; a gap is a withheld or empty period.".to_owned(),
            )
        })
    }))
    .map(|r| {
        r.map(|(chart, caption)| {
            context! {
                svg => Value::from_safe_string(chart.svg),
                caption => caption,
                alt => chart.alt,
            }
        })
    })
    .collect::<Result<_, _>>()?;
    let trend_columns: Vec<String> = report
        .trend
        .last()
        .map(|p| p.figures.iter().map(|f| f.column.clone()).collect())
        .unwrap_or_default();
    let trend_percent_notes: Vec<String> = report
        .trend
        .last()
        .map(|p| {
            p.figures
                .iter()
                .filter_map(|f| {
                    Some(format!(
                        "“{}” percentages are of {}",
                        f.column,
                        f.cell.percent.as_ref()?.of
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let tmpl = env
        .get_template("report.html")
        .map_err(|e| AnalyticsError::Render(e.to_string()))?;
    let settings: Vec<Value> = report
        .meta
        .limits
        .differences_from_default()
        .into_iter()
        .map(|(name, value)| context! { name => name, value => value })
        .collect();
    tmpl.render(context! {
        meta => &report.meta,
        settings => settings,
        tables => &report.tables,
        trend => &report.trend,
        trend_columns => trend_columns,
        trend_percent_notes => trend_percent_notes,
        charts => charts,
        force_sections => report
            .force_sections()
            .into_iter()
            .map(|(id, _, figures)| {
                let figures: Vec<_> = figures
                    .into_iter()
                    .map(|(label, cell)| context! { label => label, cell => cell })
                    .collect();
                (id, figures)
            })
            .collect::<BTreeMap<_, _>>(),
    })
    .map_err(|e| AnalyticsError::Render(e.to_string()))
}
