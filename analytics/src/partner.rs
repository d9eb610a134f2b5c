//! The dataset for health partners (integrated care boards in England,
//! health boards in Wales): by reporting month, the evaluation's outcome
//! measures at force level, each with the NHS bodies the force's area
//! overlaps and each body's share of the force area's population, in a
//! stable long CSV schema with a data dictionary. Values are the force's
//! published cells ([`crate::evaluation`], suppressed as there); no person
//! is apportioned to a body: the share describes the area, not the people
//! in the figures. `docs/partner-data.md` gives the contents and the lawful
//! basis.
//!
//! The force → NHS body lookup is data with its source,
//! `data/force_nhs_bodies.csv`, built into the binary. A share is given
//! only where it follows from the statutory boundaries (the force area is
//! coterminous with or inside one body); a split area's shares are empty
//! until sourced population figures are added.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::AnalyticsError;
use crate::evaluation::{MEASURES, MonthFigures, finish};

/// The lookup as shipped.
pub const LOOKUP_CSV: &str = include_str!("../../data/force_nhs_bodies.csv");

/// The schema version in every row: a change of columns or of a measure's
/// meaning is a new version; new measures add rows, not columns.
pub const SCHEMA_VERSION: &str = "1";

/// One force-area / NHS-body overlap.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NhsBody {
    /// Force slug (the platform's).
    pub force_slug: String,
    /// Force name.
    pub force_name: String,
    /// The NHS body.
    pub nhs_body: String,
    /// `integrated_care_board` or `local_health_board`.
    pub nhs_body_type: String,
    /// Share of the force area's population in the body (0–1); empty when
    /// not yet sourced.
    #[serde(deserialize_with = "share")]
    pub population_share: Option<Decimal>,
    /// `coterminous`, `force_area_within_body` or `split_not_sourced`.
    pub share_basis: String,
    /// Where the overlap and share come from.
    pub source: String,
}

fn share<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim()
        .parse::<Decimal>()
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// The shipped lookup, checked: known body types and bases, shares in
/// (0, 1] given exactly when the basis allows one, a force's shares summing
/// to at most 1, and a source on every row.
///
/// # Errors
/// [`AnalyticsError::InvalidSetting`] naming the line at fault;
/// [`AnalyticsError::Csv`] for a malformed file.
pub fn lookup() -> Result<Vec<NhsBody>, AnalyticsError> {
    parse_lookup(LOOKUP_CSV)
}

fn parse_lookup(text: &str) -> Result<Vec<NhsBody>, AnalyticsError> {
    let bad = |line: usize, reason: &str| AnalyticsError::InvalidSetting {
        name: "force_nhs_bodies.csv",
        reason: format!("line {line}: {reason}"),
    };
    let mut out: Vec<NhsBody> = Vec::new();
    for (i, row) in csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .enumerate()
    {
        let b: NhsBody = row?;
        let line = i + 2;
        if !["integrated_care_board", "local_health_board"].contains(&b.nhs_body_type.as_str()) {
            return Err(bad(line, "unknown nhs_body_type"));
        }
        let needs_share = match b.share_basis.as_str() {
            "coterminous" | "force_area_within_body" => true,
            "split_not_sourced" => false,
            _ => return Err(bad(line, "unknown share_basis")),
        };
        match b.population_share {
            Some(s) if !needs_share || s <= Decimal::ZERO || s > Decimal::ONE => {
                return Err(bad(line, "population_share out of place or range"));
            }
            None if needs_share => return Err(bad(line, "population_share missing")),
            _ => {}
        }
        if b.source.trim().is_empty() {
            return Err(bad(line, "no source"));
        }
        out.push(b);
    }
    let mut sums: BTreeMap<&str, Decimal> = BTreeMap::new();
    for b in &out {
        *sums.entry(&b.force_slug).or_default() += b.population_share.unwrap_or_default();
    }
    if let Some((f, _)) = sums.iter().find(|(_, s)| **s > Decimal::ONE) {
        return Err(AnalyticsError::InvalidSetting {
            name: "force_nhs_bodies.csv",
            reason: format!("shares of {f} sum to more than 1"),
        });
    }
    Ok(out)
}

/// The dataset's columns and their meaning (the dictionary's first part).
pub const COLUMNS: [(&str, &str); 14] = [
    (
        "schema_version",
        "Version of this schema; rows of one version have these columns and meanings.",
    ),
    (
        "reporting_month",
        "YYYY-MM: the whole ISO weeks (Monday to Sunday) whose Thursday falls in that month.",
    ),
    (
        "period_from",
        "First day of the reporting month (a Monday).",
    ),
    ("period_to", "Last day of the reporting month (a Sunday)."),
    ("force", "Police force (the platform's identifier)."),
    (
        "force_name",
        "Police force name, where the lookup has it; empty otherwise.",
    ),
    (
        "nhs_body",
        "An NHS body whose area overlaps the force area; empty when the lookup has none for the force.",
    ),
    (
        "nhs_body_type",
        "integrated_care_board (England) or local_health_board (Wales).",
    ),
    (
        "population_share",
        "Share (0-1) of the force area's population living in the NHS body's area; empty where not yet sourced. Describes the area: the force's figures are not divided among bodies.",
    ),
    (
        "share_basis",
        "coterminous, force_area_within_body, or split_not_sourced.",
    ),
    (
        "measure",
        "Measure id (see the measure rows of this dictionary).",
    ),
    (
        "value",
        "The force's figure for the month, rounded to 1 decimal place (halves away from zero); empty when withheld or when there is nothing to average.",
    ),
    ("unit", "The measure's unit."),
    (
        "suppressed",
        "true when withheld: fewer than 5 people behind it, or withheld so that another cell cannot be worked out.",
    ),
];

/// The dataset: one row per reporting month, force, NHS body and measure
/// (a force with no body in the lookup gets rows with the body empty).
///
/// # Errors
/// [`AnalyticsError::Csv`].
pub fn dataset_csv(months: &[MonthFigures], bodies: &[NhsBody]) -> Result<String, AnalyticsError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS.iter().map(|(c, _)| *c))?;
    for month in months {
        let (from, to) = (month.period.from.to_string(), month.period.to.to_string());
        for force in month.forces() {
            let mine: Vec<&NhsBody> = bodies.iter().filter(|b| b.force_slug == force).collect();
            let path = [force.clone()];
            for m in &MEASURES {
                let suppressed = month.withheld(m, &path);
                let value = month
                    .value(m, &path)
                    .map(|v| format!("{v:.1}"))
                    .unwrap_or_default();
                let mut write = |b: Option<&NhsBody>| {
                    let share = b
                        .and_then(|b| b.population_share)
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    w.write_record([
                        SCHEMA_VERSION,
                        &month.month,
                        &from,
                        &to,
                        &force,
                        b.map_or("", |b| b.force_name.as_str()),
                        b.map_or("", |b| b.nhs_body.as_str()),
                        b.map_or("", |b| b.nhs_body_type.as_str()),
                        &share,
                        b.map_or("", |b| b.share_basis.as_str()),
                        m.id,
                        &value,
                        m.unit,
                        if suppressed { "true" } else { "false" },
                    ])
                };
                if mine.is_empty() {
                    write(None)?;
                }
                for b in &mine {
                    write(Some(b))?;
                }
            }
        }
    }
    finish(w)
}

/// The data dictionary: `kind,name,unit,meaning` for every column, then
/// every measure, then every lookup row's source.
///
/// # Errors
/// [`AnalyticsError::Csv`].
pub fn dictionary_csv(bodies: &[NhsBody]) -> Result<String, AnalyticsError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["kind", "name", "unit", "meaning"])?;
    for (c, meaning) in COLUMNS {
        w.write_record(["column", c, "", meaning])?;
    }
    for m in &MEASURES {
        w.write_record(["measure", m.id, m.unit, m.definition])?;
    }
    for b in bodies {
        let name = format!("{} / {}", b.force_slug, b.nhs_body);
        w.write_record(["source", name.as_str(), "", b.source.as_str()])?;
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::{MonthInput, PersonOutcomes, month_figures};
    use crate::input::Period;

    #[test]
    fn the_shipped_lookup_is_valid_and_sourced() {
        let l = lookup().unwrap();
        assert!(l.len() >= 20);
        let gwent: Vec<&NhsBody> = l.iter().filter(|b| b.force_slug == "gwent").collect();
        assert_eq!(gwent.len(), 1);
        assert_eq!(gwent[0].population_share, Some(Decimal::ONE));
        // A split area has bodies but no invented shares.
        let dp: Vec<&NhsBody> = l.iter().filter(|b| b.force_slug == "dyfed-powys").collect();
        assert_eq!(dp.len(), 2);
        assert!(dp.iter().all(|b| b.population_share.is_none()));
    }

    #[test]
    fn a_bad_lookup_row_is_named_by_line() {
        let text = "force_slug,force_name,nhs_body,nhs_body_type,population_share,share_basis,source\n\
                    a,A,X,integrated_care_board,1,coterminous,s\n\
                    b,B,Y,integrated_care_board,1.5,coterminous,s\n";
        let e = parse_lookup(text).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn the_dataset_repeats_force_figures_per_body_and_keeps_suppression() {
        let p = |force: &str| PersonOutcomes {
            force: force.into(),
            function: "response".into(),
            consent: "sleep".into(),
            sleep_nights: 10,
            sleep_minutes: 10 * 450,
            ..Default::default()
        };
        let mut people: Vec<PersonOutcomes> = (0..6).map(|_| p("dyfed-powys")).collect();
        people.extend((0..3).map(|_| p("gwent")));
        // All forces = the sum of the forces: with Gwent withheld, the
        // smallest other force (Kent's 5) is withheld with it.
        people.extend((0..5).map(|_| p("kent")));
        let month = month_figures(
            Period::reporting_month(2026, 11).unwrap(),
            &MonthInput {
                people,
                ..Default::default()
            },
        );
        let csv = dataset_csv(&[month], &lookup().unwrap()).unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert!(rows[0].starts_with("schema_version,reporting_month,"));
        // 7.5 h for both Dyfed-Powys bodies, no share given.
        let dp: Vec<&&str> = rows
            .iter()
            .filter(|r| r.contains(",dyfed-powys,") && r.contains(",sleep_hours,"))
            .collect();
        assert_eq!(dp.len(), 2);
        assert!(
            dp.iter()
                .all(|r| r.contains(",,split_not_sourced,sleep_hours,7.5,"))
        );
        // Gwent's 3 people: withheld, share 1 kept.
        let g: Vec<&&str> = rows
            .iter()
            .filter(|r| r.contains(",gwent,") && r.contains(",sleep_hours,"))
            .collect();
        assert_eq!(g.len(), 1);
        assert!(g[0].ends_with(",sleep_hours,,hours,true"), "{}", g[0]);
        assert!(g[0].contains(",1,coterminous,"));
        let dict = dictionary_csv(&lookup().unwrap()).unwrap();
        assert!(dict.contains("measure,sleep_hours,hours,"));
        assert!(dict.contains("column,population_share,"));
    }
}
