//! Writes a large synthetic Apple Health `export.xml`, or ingests one, for
//! measuring the streaming reader's peak memory.
//!
//! ```text
//! cargo run --release -p mobile-core --example export_xml_memory -- generate /tmp/export.xml 500
//! /usr/bin/time -v target/release/examples/export_xml_memory ingest /tmp/export.xml
//! ```
//! `generate PATH MB` writes at least MB megabytes (whole days of synthetic
//! data from 2015-01-01); `ingest PATH` streams it through
//! `wearables::ingest` and prints the report's counts.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use mobile_core::wearables::synthetic::write_export_xml;
use mobile_core::wearables::{Format, IngestOptions, ingest};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["generate", path, mb] => generate(path, mb),
        ["ingest", path] => run(path),
        _ => Err("usage: export_xml_memory generate PATH MB | ingest PATH".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(path: &str, mb: &str) -> Result<(), String> {
    let mb: u64 = mb
        .parse()
        .map_err(|_| format!("not a number of MB: {mb}"))?;
    let first = NaiveDate::from_ymd_opt(2015, 1, 1).ok_or("bad date")?;
    // Size one day, then write enough whole days.
    let mut probe = Vec::new();
    write_export_xml(&mut probe, first, 1, 1).map_err(|e| e.to_string())?;
    let per_day = probe.len() as u64;
    let days = u32::try_from((mb * 1_000_000).div_ceil(per_day)).map_err(|e| e.to_string())?;
    let file = File::create(path).map_err(|e| format!("{path}: {e}"))?;
    let bytes =
        write_export_xml(BufWriter::new(file), first, days, 1).map_err(|e| e.to_string())?;
    println!("wrote {bytes} bytes ({days} days) to {path}");
    Ok(())
}

fn run(path: &str) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let options = IngestOptions {
        now: Utc
            .with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
            .single()
            .ok_or("bad date")?,
        zone: Tz::Europe__London,
    };
    let started = std::time::Instant::now();
    let report = ingest(
        Format::AppleExportXml,
        BufReader::with_capacity(1 << 16, file),
        options,
    )
    .map_err(|e| e.to_string())?;
    println!(
        "accepted {} (samples kept {}, heart-rate days {}), skipped {}, rejected {}, duplicates {} in {:.1} s",
        report.accepted,
        report.samples.len(),
        report.heart_rate_days.len(),
        report.skipped,
        report.rejected_count,
        report.duplicates,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
