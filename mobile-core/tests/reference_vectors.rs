//! The published FIPS implementation's vectors, reproduced to 1e-6 in every column.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use mobile_core::fips_csv::{SERIES_HEADER, read_sleeps, series_values};
use mobile_core::simulation::{FipsModels, simulate};
use mobile_core::{EpochGrid, LocalClock, ModelParams};

/// The tolerance the issue and the reference set: 1e-6 absolute.
const TOLERANCE: f64 = 1e-6;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fips")
        .join(name)
}

struct Reference {
    rows: Vec<(DateTime<Utc>, Vec<f64>)>,
}

fn load_reference(name: &str) -> Reference {
    let mut reader = csv::Reader::from_path(data(&format!("{name}.csv"))).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, SERIES_HEADER);
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let at = DateTime::parse_from_rfc3339(&r[0])
                .unwrap()
                .with_timezone(&Utc);
            let values = r
                .iter()
                .skip(1)
                .map(|v| v.parse::<f64>().unwrap())
                .collect();
            (at, values)
        })
        .collect();
    Reference { rows }
}

fn check(name: &str) {
    let reference = load_reference(name);
    let sleeps = read_sleeps(File::open(data(&format!("{name}.sleeps.csv"))).unwrap()).unwrap();
    let start = reference.rows.first().unwrap().0;
    let end = reference.rows.last().unwrap().0;
    let grid = EpochGrid::new(start, end, Duration::minutes(5)).unwrap();
    let run = simulate::<FipsModels>(&ModelParams::default(), &sleeps, &grid, &LocalClock::utc())
        .unwrap();
    assert_eq!(run.steps.len(), reference.rows.len());
    let mut worst = 0.0_f64;
    for (step, (at, expected)) in run.steps.iter().zip(&reference.rows) {
        assert_eq!(step.at, *at);
        let got = series_values(step);
        for (col, (g, e)) in got.iter().zip(expected).enumerate() {
            let diff = (g - e).abs();
            worst = worst.max(diff);
            assert!(
                diff <= TOLERANCE,
                "{name} {at} column {}: got {g}, reference {e}",
                SERIES_HEADER[col + 1]
            );
        }
    }
    eprintln!(
        "{name}: {} rows, worst difference {worst:e}",
        run.steps.len()
    );
}

#[test]
fn night_block_matches_the_published_vectors() {
    check("night_block");
}

#[test]
fn two_nights_short_sleep_matches_the_published_vectors() {
    check("two_nights_short_sleep");
}
