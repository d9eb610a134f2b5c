//! Synthetic but plausible health-store data, for benchmarks, the memory
//! measurement of the `export.xml` reader, fuzz seeds and the synthetic
//! morning (`morning::synthetic`). Deterministic for a
//! seed. Not science: a night is 23:00 ± 30 min to 07:00 ± 30 min UTC in
//! 90-minute cycles of light, deep and REM sleep with a short awakening, two
//! SDNN readings, one resting heart rate a day and a heart-rate reading every
//! minute.

use std::io::{self, Write};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::synthetic::Rng;

/// One stretch of a synthetic night: HealthKit raw sleep value and its span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// `HKCategoryValueSleepAnalysis` raw value (2 awake, 3 core, 4 deep, 5 REM).
    pub value: u8,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
}

/// A synthetic day: the night that ends on it and the day's readings.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    /// The night's stages in order.
    pub stages: Vec<Stage>,
    /// SDNN readings (instant, ms) during the night.
    pub hrv_sdnn: Vec<(DateTime<Utc>, f64)>,
    /// The day's resting heart rate (instant, bpm).
    pub resting_hr: (DateTime<Utc>, f64),
    /// One heart-rate reading a minute over the 24 h ending at the night's wake.
    pub heart_rate: Vec<(DateTime<Utc>, f64)>,
}

/// The synthetic data of `date` (the night ending that morning).
pub fn day(date: NaiveDate, rng: &mut Rng) -> Day {
    let midnight = date.and_time(chrono::NaiveTime::MIN).and_utc();
    let onset = midnight - Duration::minutes(60) + minutes(rng.uniform(-30.0, 30.0));
    let wake = midnight + Duration::hours(7) + minutes(rng.uniform(-30.0, 30.0));
    let mut stages = Vec::new();
    let mut t = onset;
    let mut cycle = 0;
    while t < wake {
        let deep = if cycle < 2 { 25.0 } else { 5.0 };
        for (value, length) in [
            (3, 40.0),
            (4, deep),
            (5, 20.0 + 5.0 * f64::from(cycle)),
            (2, 3.0),
        ] {
            let end = (t + minutes(length * rng.uniform(0.8, 1.2))).min(wake);
            if end > t {
                stages.push(Stage {
                    value,
                    start: t,
                    end,
                });
            }
            t = end;
        }
        cycle += 1;
    }
    let hrv_sdnn = (1..=2)
        .map(|i| (onset + Duration::hours(2 * i), rng.uniform(35.0, 60.0)))
        .collect();
    let resting_hr = (wake + Duration::minutes(30), rng.uniform(50.0, 60.0));
    let heart_rate = (0..24 * 60)
        .map(|m| {
            let at = wake - Duration::hours(24) + Duration::minutes(m);
            let asleep = at >= onset;
            let bpm = if asleep { 50.0 } else { 70.0 } + rng.uniform(-8.0, 8.0);
            (at, bpm.round())
        })
        .collect();
    Day {
        stages,
        hrv_sdnn,
        resting_hr,
        heart_rate,
    }
}

fn minutes(m: f64) -> Duration {
    Duration::seconds((m * 60.0) as i64)
}

const DEVICE: &str = "&lt;&lt;HKDevice: 0x283e1a1c0&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,1, software:10.0&gt;";

fn apple_date(t: DateTime<Utc>) -> impl std::fmt::Display {
    t.format("%Y-%m-%d %H:%M:%S +0000")
}

const SLEEP_NAMES: [&str; 6] = [
    "InBed",
    "AsleepUnspecified",
    "Awake",
    "AsleepCore",
    "AsleepDeep",
    "AsleepREM",
];

/// Writes an Apple Health `export.xml` of `days` days from `first`; returns the bytes written.
///
/// # Errors
/// When writing fails.
pub fn write_export_xml(
    mut out: impl Write,
    first: NaiveDate,
    days: u32,
    seed: u64,
) -> io::Result<u64> {
    let mut out = CountingWriter {
        inner: &mut out,
        bytes: 0,
    };
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        "<!DOCTYPE HealthData [\n<!ELEMENT HealthData (ExportDate,Me,(Record|Workout)*)>\n]>"
    )?;
    writeln!(out, r#"<HealthData locale="en_GB">"#)?;
    writeln!(out, r#" <ExportDate value="2026-01-01 08:00:00 +0000"/>"#)?;
    writeln!(
        out,
        r#" <Me HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexNotSet"/>"#
    )?;
    let mut rng = Rng::new(seed);
    for d in 0..days {
        let date = first + Duration::days(i64::from(d));
        write_day_xml(&mut out, &day(date, &mut rng))?;
    }
    writeln!(out, "</HealthData>")?;
    Ok(out.bytes)
}

fn write_day_xml(out: &mut impl Write, day: &Day) -> io::Result<()> {
    let head = |kind: &str| {
        format!(
            r#" <Record type="{kind}" sourceName="Apple Watch" sourceVersion="10.0" device="{DEVICE}""#
        )
    };
    for (at, bpm) in &day.heart_rate {
        writeln!(
            out,
            "{} unit=\"count/min\" creationDate=\"{}\" startDate=\"{}\" endDate=\"{}\" value=\"{bpm}\">\n  <MetadataEntry key=\"HKMetadataKeyHeartRateMotionContext\" value=\"0\"/>\n </Record>",
            head("HKQuantityTypeIdentifierHeartRate"),
            apple_date(*at),
            apple_date(*at),
            apple_date(*at)
        )?;
    }
    for s in &day.stages {
        writeln!(
            out,
            "{} creationDate=\"{}\" startDate=\"{}\" endDate=\"{}\" value=\"HKCategoryValueSleepAnalysis{}\">\n  <MetadataEntry key=\"HKTimeZone\" value=\"Europe/London\"/>\n </Record>",
            head("HKCategoryTypeIdentifierSleepAnalysis"),
            apple_date(s.end),
            apple_date(s.start),
            apple_date(s.end),
            SLEEP_NAMES[usize::from(s.value)]
        )?;
    }
    for (at, ms) in &day.hrv_sdnn {
        writeln!(
            out,
            "{} unit=\"ms\" creationDate=\"{}\" startDate=\"{}\" endDate=\"{}\" value=\"{ms:.3}\"/>",
            head("HKQuantityTypeIdentifierHeartRateVariabilitySDNN"),
            apple_date(*at),
            apple_date(*at),
            apple_date(*at)
        )?;
    }
    let (at, bpm) = day.resting_hr;
    writeln!(
        out,
        "{} unit=\"count/min\" creationDate=\"{}\" startDate=\"{}\" endDate=\"{}\" value=\"{bpm:.0}\"/>",
        head("HKQuantityTypeIdentifierRestingHeartRate"),
        apple_date(at),
        apple_date(at),
        apple_date(at)
    )?;
    writeln!(
        out,
        r#" <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count" startDate="{}" endDate="{}" value="812"/>"#,
        apple_date(at),
        apple_date(at)
    )
}

/// The day as the iOS app would hand it over: a HealthKit JSON array.
pub fn healthkit_json(day: &Day) -> String {
    use serde_json::json;
    let source = |v: serde_json::Value| {
        let mut v = v;
        if let Some(o) = v.as_object_mut() {
            o.insert("sourceBundle".into(), json!("com.apple.health.8F1C"));
            o.insert("device".into(), json!("Apple Watch"));
            o.insert("timeZone".into(), json!("Europe/London"));
        }
        v
    };
    let point = |kind: &str, at: DateTime<Utc>, value: f64, unit: &str| {
        source(
            json!({"type": kind, "startDate": at.to_rfc3339(), "endDate": at.to_rfc3339(), "value": value, "unit": unit}),
        )
    };
    let mut records: Vec<serde_json::Value> = day
        .stages
        .iter()
        .map(|s| {
            source(
                json!({"type": super::healthkit::SLEEP_ANALYSIS, "value": s.value,
                "startDate": s.start.to_rfc3339(), "endDate": s.end.to_rfc3339()}),
            )
        })
        .collect();
    records.extend(
        day.hrv_sdnn
            .iter()
            .map(|(at, ms)| point(super::healthkit::HRV_SDNN, *at, *ms, "ms")),
    );
    records.push(point(
        super::healthkit::RESTING_HEART_RATE,
        day.resting_hr.0,
        day.resting_hr.1,
        "count/min",
    ));
    records.extend(
        day.heart_rate
            .iter()
            .map(|(at, bpm)| point(super::healthkit::HEART_RATE, *at, *bpm, "count/min")),
    );
    serde_json::Value::Array(records).to_string()
}

struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
