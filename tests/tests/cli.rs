//! The operator CLI, run as a real process: reference vectors through
//! `server simulate`, rosters through `server roster-risk`, and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use e2e_tests::{server_binary, workspace_root};

fn server(args: &[&str]) -> Output {
    let bin = server_binary();
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p server` first (the README test command does)",
        bin.display()
    );
    Command::new(bin).args(args).output().unwrap()
}

fn fips(name: &str) -> PathBuf {
    workspace_root()
        .join("mobile-core/tests/data/fips")
        .join(name)
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn check_vector(name: &str) {
    let mut reference = csv::Reader::from_path(fips(&format!("{name}.csv"))).unwrap();
    let header = reference.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reference.records().map(Result::unwrap).collect();
    let start = rows.first().unwrap()[0].to_string();
    let end = rows.last().unwrap()[0].to_string();
    let sleeps = fips(&format!("{name}.sleeps.csv"));
    let out = server(&[
        "simulate",
        "--sleeps",
        sleeps.to_str().unwrap(),
        "--start",
        &start,
        "--end",
        &end,
        "--epoch",
        "5m",
        "--tz",
        "UTC",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut produced = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(
        produced.headers().unwrap(),
        &header,
        "same header and column order"
    );
    let produced: Vec<csv::StringRecord> = produced.records().map(Result::unwrap).collect();
    assert_eq!(produced.len(), rows.len());
    for (got, want) in produced.iter().zip(&rows) {
        assert_eq!(&got[0], &want[0], "datetime as YYYY-MM-DDTHH:MM:SSZ");
        for col in 1..header.len() {
            let (g, w): (f64, f64) = (got[col].parse().unwrap(), want[col].parse().unwrap());
            assert!(
                (g - w).abs() <= 1e-6,
                "{name} {} {}: {g} vs {w}",
                &want[0],
                &header[col]
            );
        }
    }
}

#[test]
fn simulate_reproduces_the_night_block_vectors() {
    check_vector("night_block");
}

#[test]
fn simulate_reproduces_the_short_sleep_vectors() {
    check_vector("two_nights_short_sleep");
}

#[test]
fn simulate_reports_bad_input_with_file_and_line_and_fails() {
    let bad = temp_file(
        "bad.sleeps.csv",
        "sleep_start,sleep_end\n2025-03-02T23:00:00Z,2025-03-03T07:00:00Z\n2025-03-04T08:30:00Z,not-a-time\n",
    );
    let out = server(&[
        "simulate",
        "--sleeps",
        bad.to_str().unwrap(),
        "--start",
        "2025-03-02T07:00:00Z",
        "--end",
        "2025-03-05T07:00:00Z",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.sleeps.csv") && err.contains("line 3"),
        "{err}"
    );

    let sleeps = fips("night_block.sleeps.csv");
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "--start",
                "2025-03-02T07:00:00Z",
                "--end",
                "2025-03-08T20:02:00Z",
            ],
            "whole number",
        ),
        (
            &[
                "--start",
                "2025-03-02T07:00:00Z",
                "--end",
                "2025-03-08T20:00:00Z",
                "--epoch",
                "90m",
            ],
            "between 1 and 60 minutes",
        ),
        (
            &["--start", "yesterday", "--end", "2025-03-08T20:00:00Z"],
            "RFC 3339",
        ),
        (
            &[
                "--start",
                "2025-03-02T07:00:00Z",
                "--end",
                "2025-03-08T20:00:00Z",
                "--tz",
                "Mars/Base",
            ],
            "time zone",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["simulate", "--sleeps", sleeps.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = server(&all);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    // A sleep wholly outside the series is refused, not ignored.
    let out = server(&[
        "simulate",
        "--sleeps",
        sleeps.to_str().unwrap(),
        "--start",
        "2025-03-05T00:00:00Z",
        "--end",
        "2025-03-06T00:00:00Z",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside the series"));
}

#[test]
fn roster_risk_json_csv_and_table_agree() {
    let roster = workspace_root().join("examples/roster.csv");
    let roster = roster.to_str().unwrap();
    let json = server(&["roster-risk", "--roster", roster, "--format", "json"]);
    assert!(
        json.status.success(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let people: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let people = people.as_array().unwrap();
    assert_eq!(people.len(), 2);
    let nights = &people[0]["shifts"];
    let fifth_night = &nights[7];
    assert_eq!(fifth_night["shift_type"], "night");
    let codes: Vec<&str> = fifth_night["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"consecutive_nights"), "{codes:?}");
    assert!(people[0]["risk_index"].as_f64().unwrap() > people[1]["risk_index"].as_f64().unwrap());

    let csv_out = server(&["roster-risk", "--roster", roster, "--format", "csv"]);
    assert!(csv_out.status.success());
    let mut reader = csv::Reader::from_reader(csv_out.stdout.as_slice());
    let fi_col = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "fatigue_index")
        .unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 13);
    let fi: f64 = rows[7][fi_col].parse().unwrap();
    assert!((fi - fifth_night["fatigue_index"].as_f64().unwrap()).abs() < 0.05);

    let table = server(&["roster-risk", "--roster", roster]);
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("Staff PC1001") && table.contains("Risk Index"));
}

#[test]
fn roster_risk_names_file_line_and_column_of_bad_rows() {
    let bad = temp_file(
        "bad-roster.csv",
        "staff_id,start,end\nA1,2025-03-03T07:00,2025-03-03T17:00\nA1,2025-03-04T07:00,2025-03-03T17:00\nA1,2025-13-04T07:00,2025-03-04T17:00\n",
    );
    let out = server(&["roster-risk", "--roster", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad-roster.csv: line 3, column end"), "{err}");
    assert!(
        err.contains("bad-roster.csv: line 4, column start"),
        "{err}"
    );
    assert!(err.contains("2 problem(s)"), "{err}");
}

#[test]
fn roster_risk_reads_icalendar() {
    let ics = temp_file(
        "roster.ics",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART;TZID=Europe/London:20250306T220000\r\nDTEND;TZID=Europe/London:20250307T070000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    let out = server(&[
        "roster-risk",
        "--roster",
        ics.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let people: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(people[0]["shifts"][0]["shift_type"], "night");
}
