//! An officer's roster risk as the dashboard shows it (the team page and
//! the draft page): a heat-map row whose cells link to each shift's
//! detail, the detail saying why (sleep assumed before it, rest since the
//! last duty, place in a run of nights, hours on duty), and the flags,
//! red first. Figures are the engine's (`mobile_core::roster::assess`);
//! nothing here computes risk.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use mobile_core::roster::assess::{RosterAssessment, Severity, ShiftAssessment};
use serde::Serialize;

/// Share of its threshold from which a Fatigue Index is shown as raised
/// (amber in the heat map; the threshold itself is the engine's).
const RAISED_FROM_SHARE: f64 = 0.75;

/// One heat-map cell: the day's highest Fatigue Index among the officer's
/// shifts starting that day, linking to the first shift's detail.
#[derive(Debug, Serialize)]
pub struct CellView {
    /// FI, whole, or none for a day without a shift.
    pub fi: Option<String>,
    /// `low`, `raised`, `high` or `rest`.
    pub level: &'static str,
    /// What the cell says, for the title and screen readers.
    pub label: String,
    /// The anchor of the day's first shift's detail.
    pub anchor: Option<String>,
    /// The draft changes a shift this day.
    pub changed: bool,
}

/// A flag on one shift.
#[derive(Debug, Serialize)]
pub struct FlagView {
    /// Shift start, local.
    pub start: String,
    /// Stable code.
    pub code: String,
    /// `red` or `amber`.
    pub severity: &'static str,
    /// The figure behind it.
    pub detail: String,
    /// The shift's anchor.
    pub anchor: String,
}

/// One shift's detail.
#[derive(Debug, Serialize)]
pub struct ShiftDetail {
    /// Anchor id.
    pub id: String,
    /// Start, local.
    pub start: String,
    /// End, local.
    pub end: String,
    /// FI, whole.
    pub fi: String,
    /// Its threshold.
    pub threshold: String,
    /// `low`, `raised` or `high`.
    pub level: &'static str,
    /// Why, sentence by sentence.
    pub why: Vec<String>,
    /// Flag codes, red first.
    pub flags: Vec<String>,
    /// The draft adds or moves this shift.
    pub changed: bool,
}

/// One officer's row and details.
#[derive(Debug, Serialize)]
pub struct OfficerView {
    /// Staff number.
    pub staff: String,
    /// Heat-map cells, one per day.
    pub cells: Vec<CellView>,
    /// The officer's Risk Index over the period's shifts.
    pub risk_index: Option<String>,
    /// Highest FI over its threshold, as a percentage of it.
    pub highest: Option<String>,
    /// Flags, red first, then by start.
    pub flags: Vec<FlagView>,
    /// Red flags.
    pub red: usize,
    /// Shift details in time order.
    pub shifts: Vec<ShiftDetail>,
    /// The draft changes this officer's duties.
    pub changed: bool,
    #[serde(skip)]
    rank: (f64, usize),
}

fn local(t: DateTime<chrono::FixedOffset>) -> String {
    t.format("%a %d %b %H:%M").to_string()
}

fn level_of(s: &ShiftAssessment) -> &'static str {
    if s.above_fatigue_threshold() {
        "high"
    } else if s.fatigue_index > s.fatigue_index_threshold * RAISED_FROM_SHARE {
        "raised"
    } else {
        "low"
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Red => "red",
        Severity::Amber => "amber",
    }
}

/// Why a shift scores as it does, in words, from the engine's figures.
fn why(s: &ShiftAssessment) -> Vec<String> {
    let basis = match s.sleep_basis {
        mobile_core::roster::assess::SleepBasis::Predicted => "predicted from the roster",
        mobile_core::roster::assess::SleepBasis::Recorded => "recorded",
        mobile_core::roster::assess::SleepBasis::Mixed => "partly recorded",
    };
    let mut out = vec![format!(
        "{:.1} h of sleep assumed in the 24 h before it ({basis}).",
        s.sleep_before_hours
    )];
    let flagged = |code: &str| s.flags.iter().find(|f| f.code == code);
    match (
        s.rest_before_hours,
        flagged("quick_return").or(flagged("short_rest")),
    ) {
        (Some(_), Some(f)) => out.push(format!("Quick return: {}.", f.detail)),
        (Some(rest), None) => out.push(format!("{rest:.1} h of rest since the last duty.")),
        (None, _) => out.push("No earlier duty in view.".to_owned()),
    }
    if s.nights_in_run > 0 {
        out.push(format!("Night {} in a row.", s.nights_in_run));
    }
    out.push(format!("{:.1} h on duty.", s.hours));
    out
}

/// An officer's view over `days`, anchors prefixed by `prefix` (two views
/// of one officer on a page need different anchors); `changed` are the
/// starts a draft adds or moves.
pub fn officer_view(
    prefix: &str,
    staff: &str,
    a: &RosterAssessment,
    days: &[NaiveDate],
    changed: &[DateTime<Utc>],
) -> OfficerView {
    let anchor = |s: &ShiftAssessment| {
        format!(
            "{prefix}-{staff}-{}",
            s.start.with_timezone(&Utc).format("%Y%m%d%H%M")
        )
    };
    let is_changed = |s: &ShiftAssessment| changed.contains(&s.start.with_timezone(&Utc));
    let mut by_day: BTreeMap<NaiveDate, Vec<&ShiftAssessment>> = BTreeMap::new();
    for s in &a.shifts {
        by_day.entry(s.start.date_naive()).or_default().push(s);
    }
    let cells = days
        .iter()
        .map(|d| match by_day.get(d) {
            None => CellView {
                fi: None,
                level: "rest",
                label: "no shift".to_owned(),
                anchor: None,
                changed: false,
            },
            Some(shifts) => {
                let worst = shifts
                    .iter()
                    .copied()
                    .max_by(|x, y| x.fatigue_index.total_cmp(&y.fatigue_index))
                    .unwrap_or(shifts[0]);
                let level = level_of(worst);
                CellView {
                    fi: Some(format!("{:.0}", worst.fatigue_index)),
                    level,
                    label: format!(
                        "Fatigue Index {:.0}, threshold {:.0}: {level}",
                        worst.fatigue_index, worst.fatigue_index_threshold
                    ),
                    anchor: Some(anchor(shifts[0])),
                    changed: shifts.iter().any(|s| is_changed(s)),
                }
            }
        })
        .collect();
    let mut flags: Vec<(Severity, DateTime<Utc>, FlagView)> = a
        .shifts
        .iter()
        .flat_map(|s| {
            s.flags.iter().map(move |f| {
                (
                    f.severity,
                    s.start.with_timezone(&Utc),
                    FlagView {
                        start: local(s.start),
                        code: f.code.clone(),
                        severity: severity_name(f.severity),
                        detail: f.detail.clone(),
                        anchor: anchor(s),
                    },
                )
            })
        })
        .collect();
    flags.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    let red = flags.iter().filter(|f| f.0 == Severity::Red).count();
    let shifts = a
        .shifts
        .iter()
        .map(|s| {
            let mut codes: Vec<(Severity, String)> = s
                .flags
                .iter()
                .map(|f| (f.severity, f.code.clone()))
                .collect();
            codes.sort_by_key(|c| std::cmp::Reverse(c.0));
            ShiftDetail {
                id: anchor(s),
                start: local(s.start),
                end: local(s.end),
                fi: format!("{:.0}", s.fatigue_index),
                threshold: format!("{:.0}", s.fatigue_index_threshold),
                level: level_of(s),
                why: why(s),
                flags: codes.into_iter().map(|(_, c)| c).collect(),
                changed: is_changed(s),
            }
        })
        .collect();
    let highest = a
        .shifts
        .iter()
        .map(|s| s.fatigue_index / s.fatigue_index_threshold)
        .reduce(f64::max);
    OfficerView {
        staff: staff.to_owned(),
        cells,
        risk_index: a.risk_index.map(|r| format!("{r:.2}")),
        highest: highest.map(|h| format!("{:.0}%", h * 100.0)),
        flags: flags.into_iter().map(|(_, _, f)| f).collect(),
        red,
        shifts,
        changed: !changed.is_empty(),
        rank: (highest.unwrap_or(f64::MIN), red),
    }
}

/// Highest risk first: the highest FI over its threshold, then red flags,
/// then staff number.
pub fn sort_by_risk(officers: &mut [OfficerView]) {
    officers.sort_by(|a, b| {
        b.rank
            .0
            .total_cmp(&a.rank.0)
            .then(b.rank.1.cmp(&a.rank.1))
            .then(a.staff.cmp(&b.staff))
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use mobile_core::LocalClock;
    use mobile_core::roster::assess::{AssessmentParams, assess_roster};
    use models::Shift;

    fn shift(day: u32, hour: u32) -> Shift {
        let start = Utc.with_ymd_and_hms(2026, 6, day, hour, 0, 0).unwrap();
        Shift::new(start, start + Duration::hours(8)).unwrap()
    }

    #[test]
    fn a_quick_return_is_explained_and_its_red_flag_listed_first() {
        // Late 1 June 14:00-22:00 UTC, then early 2 June 06:00: 8 h rest.
        let a = assess_roster(
            &[shift(1, 14), shift(2, 6)],
            &[],
            &[],
            &LocalClock::utc(),
            &AssessmentParams::default(),
        )
        .unwrap();
        let days: Vec<NaiveDate> = (1..=3)
            .map(|d| NaiveDate::from_ymd_opt(2026, 6, d).unwrap())
            .collect();
        let v = officer_view("t", "x-1", &a, &days, &[shift(2, 6).start()]);
        assert_eq!(v.cells.len(), 3);
        assert_eq!(v.cells[2].level, "rest");
        assert_eq!(v.cells[1].anchor.as_deref(), Some("t-x-1-202606020600"));
        assert!(v.cells[1].changed && !v.cells[0].changed);
        assert_eq!(v.flags[0].severity, "red");
        assert!(v.red >= 1);
        let why = v.shifts[1].why.join(" ");
        assert!(why.contains("Quick return: 8.0 h rest"), "{why}");
        assert!(why.contains("8.0 h on duty"), "{why}");
        assert!(v.shifts[0].why[1].contains("No earlier duty"));
    }
}
