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
//! `data/force_nhs_bodies.csv`, built into the binary, one row for each
//! NHS body a force area overlaps (all 43 territorial forces of England and
//! Wales), with the body's ONS code. A share is 1 where the force area is
//! coterminous with or inside one body; where the area is split along
//! local authority boundaries the share is the body's part of the force
//! area's Census 2021 population; where a local authority is itself split
//! between bodies the share is empty until sourced.

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
    /// The body's ONS code: `E54` and six digits for an integrated care
    /// board, `W11` and six digits for a Welsh local health board.
    pub nhs_body_code: String,
    /// Share of the force area's population in the body (0–1); empty when
    /// not yet sourced.
    #[serde(deserialize_with = "share")]
    pub population_share: Option<Decimal>,
    /// `coterminous`, `force_area_within_body`, `split_by_lad_population`
    /// or `split_not_sourced`.
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

/// The shipped lookup, checked: known body types and bases, an ONS code of
/// the body type's pattern, shares in (0, 1] given exactly when the basis
/// allows one, a force's shares summing to at most 1 (and, where every one
/// of its shares is given, to 1 within rounding), and a source on every row.
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
        let prefix = match b.nhs_body_type.as_str() {
            "integrated_care_board" => "E54",
            "local_health_board" => "W11",
            _ => return Err(bad(line, "unknown nhs_body_type")),
        };
        if !ons_code(&b.nhs_body_code, prefix) {
            return Err(bad(
                line,
                "nhs_body_code is not an ONS code of the body's type",
            ));
        }
        let needs_share = match b.share_basis.as_str() {
            "coterminous" | "force_area_within_body" | "split_by_lad_population" => true,
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
    // Per force: the sum of its shares, and whether every share is given.
    let mut sums: BTreeMap<&str, (Decimal, bool)> = BTreeMap::new();
    for b in &out {
        let e = sums.entry(&b.force_slug).or_insert((Decimal::ZERO, true));
        e.0 += b.population_share.unwrap_or_default();
        e.1 &= b.population_share.is_some();
    }
    // Shares are kept to 4 decimal places: a complete set may miss 1 by
    // rounding, never by more than 0.001.
    let tolerance = Decimal::new(1, 3);
    for (f, (sum, complete)) in &sums {
        if *sum > Decimal::ONE {
            return Err(AnalyticsError::InvalidSetting {
                name: "force_nhs_bodies.csv",
                reason: format!("shares of {f} sum to more than 1"),
            });
        }
        if *complete && (Decimal::ONE - *sum) > tolerance {
            return Err(AnalyticsError::InvalidSetting {
                name: "force_nhs_bodies.csv",
                reason: format!("shares of {f} sum to {sum}, not 1"),
            });
        }
    }
    Ok(out)
}

/// Whether `code` is `prefix` followed by six digits (an ONS GSS code).
fn ons_code(code: &str, prefix: &str) -> bool {
    code.len() == 9
        && code.starts_with(prefix)
        && code[prefix.len()..].bytes().all(|c| c.is_ascii_digit())
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
        "coterminous, force_area_within_body (share 1 from the statutory boundaries), split_by_lad_population (share from Census 2021 local authority populations), or split_not_sourced (a local authority is split between bodies; share empty).",
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
        let name = format!("{} / {} ({})", b.force_slug, b.nhs_body, b.nhs_body_code);
        w.write_record(["source", name.as_str(), "", b.source.as_str()])?;
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::{MonthInput, PersonOutcomes, month_figures};
    use crate::input::Period;

    /// The 43 territorial police forces of England and Wales (Police Act
    /// 1996, Sch. 1), by the lookup's slugs. The platform keeps no list of
    /// forces of its own (forces are created by slug), so this is the list.
    const FORCES: [&str; 43] = [
        "avon-and-somerset",
        "bedfordshire",
        "cambridgeshire",
        "cheshire",
        "city-of-london",
        "cleveland",
        "cumbria",
        "derbyshire",
        "devon-and-cornwall",
        "dorset",
        "durham",
        "dyfed-powys",
        "essex",
        "gloucestershire",
        "greater-manchester",
        "gwent",
        "hampshire",
        "hertfordshire",
        "humberside",
        "kent",
        "lancashire",
        "leicestershire",
        "lincolnshire",
        "merseyside",
        "metropolitan",
        "norfolk",
        "north-wales",
        "north-yorkshire",
        "northamptonshire",
        "northumbria",
        "nottinghamshire",
        "south-wales",
        "south-yorkshire",
        "staffordshire",
        "suffolk",
        "surrey",
        "sussex",
        "thames-valley",
        "warwickshire",
        "west-mercia",
        "west-midlands",
        "west-yorkshire",
        "wiltshire",
    ];

    const HEADER: &str = "force_slug,force_name,nhs_body,nhs_body_type,nhs_body_code,population_share,share_basis,source\n";

    #[test]
    fn the_shipped_lookup_is_valid_and_sourced() {
        let l = lookup().unwrap();
        let gwent: Vec<&NhsBody> = l.iter().filter(|b| b.force_slug == "gwent").collect();
        assert_eq!(gwent.len(), 1);
        assert_eq!(gwent[0].population_share, Some(Decimal::ONE));
        assert_eq!(gwent[0].nhs_body_code, "W11000028");
        // Dyfed-Powys splits along county lines. Census 2021 (rounded to
        // 100): Carmarthenshire 187,200 + Ceredigion 71,300 + Pembrokeshire
        // 122,900 = 381,400 in Hywel Dda; Powys 130,400; of 511,800.
        // 381,400 / 511,800 = 0.74521 -> 0.7452; 130,400 / 511,800 =
        // 0.25478 -> 0.2548.
        let dp: Vec<(&str, Option<Decimal>)> = l
            .iter()
            .filter(|b| b.force_slug == "dyfed-powys")
            .map(|b| (b.nhs_body_code.as_str(), b.population_share))
            .collect();
        assert_eq!(
            dp,
            vec![
                ("W11000025", Some(Decimal::new(7452, 4))),
                ("W11000024", Some(Decimal::new(2548, 4))),
            ]
        );
        // East Suffolk is split between two ICBs below district level: the
        // bodies are listed, no share is invented.
        let suffolk: Vec<&NhsBody> = l.iter().filter(|b| b.force_slug == "suffolk").collect();
        assert_eq!(suffolk.len(), 2);
        assert!(suffolk.iter().all(|b| b.population_share.is_none()
            && b.share_basis == "split_not_sourced"
            && b.source.contains("not sourced")));
    }

    #[test]
    fn every_force_of_england_and_wales_has_its_bodies_with_codes() {
        let l = lookup().unwrap();
        let slugs: std::collections::BTreeSet<&str> =
            l.iter().map(|b| b.force_slug.as_str()).collect();
        let forces: std::collections::BTreeSet<&str> = FORCES.into_iter().collect();
        assert_eq!(forces.len(), 43);
        assert_eq!(slugs, forces, "every force, and no other, has a row");
        // 67 rows: 28 forces in one body; 8 in two (Cumbria, Devon and
        // Cornwall, Dyfed-Powys, Hampshire, Nottinghamshire, Suffolk, Surrey,
        // West Mercia); 6 in three (Avon and Somerset, Essex, North
        // Yorkshire, South Wales, Thames Valley, West Midlands); the
        // Metropolitan Police in the five London ICBs: 28 + 16 + 18 + 5.
        assert_eq!(l.len(), 67);
        // Every one of the 42 ICBs and 7 Welsh health boards appears, each
        // code of its type's pattern, one name per code.
        let mut names: BTreeMap<&str, &str> = BTreeMap::new();
        for b in &l {
            let prefix = if b.nhs_body_type == "integrated_care_board" {
                "E54"
            } else {
                "W11"
            };
            assert!(ons_code(&b.nhs_body_code, prefix), "{}", b.nhs_body_code);
            let n = names.entry(&b.nhs_body_code).or_insert(&b.nhs_body);
            assert_eq!(*n, b.nhs_body.as_str(), "{}", b.nhs_body_code);
        }
        assert_eq!(names.keys().filter(|c| c.starts_with("E54")).count(), 42);
        assert_eq!(names.keys().filter(|c| c.starts_with("W11")).count(), 7);
        // Where all of a force's shares are given they sum to 1 (4 decimal
        // places, largest remainder, so exactly 1 here).
        for f in FORCES {
            let mine: Vec<&NhsBody> = l.iter().filter(|b| b.force_slug == f).collect();
            if mine.iter().all(|b| b.population_share.is_some()) {
                let sum: Decimal = mine.iter().filter_map(|b| b.population_share).sum();
                assert_eq!(sum, Decimal::ONE, "{f}");
            }
        }
        // Only the four forces with a district split below district level
        // lack shares.
        let unsourced: std::collections::BTreeSet<&str> = l
            .iter()
            .filter(|b| b.population_share.is_none())
            .map(|b| b.force_slug.as_str())
            .collect();
        assert_eq!(
            unsourced.into_iter().collect::<Vec<_>>(),
            vec!["hampshire", "north-yorkshire", "suffolk", "surrey"]
        );
    }

    #[test]
    fn a_bad_lookup_row_is_named_by_line() {
        let text = format!(
            "{HEADER}a,A,X,integrated_care_board,E54000001,1,coterminous,s\n\
             b,B,Y,integrated_care_board,E54000002,1.5,coterminous,s\n"
        );
        let e = parse_lookup(&text).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
        // A Welsh code on an ICB row, and a code one digit short.
        for code in ["W11000023", "E5400001"] {
            let text = format!("{HEADER}a,A,X,integrated_care_board,{code},1,coterminous,s\n");
            let e = parse_lookup(&text).unwrap_err().to_string();
            assert!(e.contains("line 2") && e.contains("ONS code"), "{e}");
        }
    }

    #[test]
    fn a_complete_set_of_shares_must_sum_to_one() {
        // 0.6 + 0.3 = 0.9: short of 1 by more than rounding.
        let short = format!(
            "{HEADER}a,A,X,local_health_board,W11000024,0.6,split_by_lad_population,s\n\
             a,A,Y,local_health_board,W11000025,0.3,split_by_lad_population,s\n"
        );
        let e = parse_lookup(&short).unwrap_err().to_string();
        assert!(e.contains("sum to 0.9"), "{e}");
        // 0.6 + 0.3 with a third body unsourced: allowed (incomplete).
        let partial = format!("{short}a,A,Z,local_health_board,W11000023,,split_not_sourced,s\n");
        assert_eq!(parse_lookup(&partial).unwrap().len(), 3);
        // 0.6667 + 0.3334 = 1.0001: over 1, refused.
        let over = format!(
            "{HEADER}a,A,X,local_health_board,W11000024,0.6667,split_by_lad_population,s\n\
             a,A,Y,local_health_board,W11000025,0.3334,split_by_lad_population,s\n"
        );
        assert!(
            parse_lookup(&over)
                .unwrap_err()
                .to_string()
                .contains("more than 1")
        );
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
        // 7.5 h repeated for both Dyfed-Powys bodies, each with its share
        // of the area's population (the figure itself is not divided).
        let dp: Vec<&&str> = rows
            .iter()
            .filter(|r| r.contains(",dyfed-powys,") && r.contains(",sleep_hours,"))
            .collect();
        assert_eq!(dp.len(), 2);
        assert!(dp[0].contains(",0.7452,split_by_lad_population,sleep_hours,7.5,"));
        assert!(dp[1].contains(",0.2548,split_by_lad_population,sleep_hours,7.5,"));
        // Suffolk's split is not sourced: bodies listed, share empty.
        assert!(
            lookup()
                .unwrap()
                .iter()
                .any(|b| b.force_slug == "suffolk" && b.population_share.is_none())
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
