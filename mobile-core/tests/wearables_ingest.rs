//! The four wearable parsers on their fixtures, with every kind of bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::Cursor;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use mobile_core::wearables::episodes::build_episodes;
use mobile_core::wearables::{
    Format, HrvMetric, Ingest, IngestOptions, IngestReport, RejectReason, SampleValue, SleepStage,
    WearableError, ingest,
};

fn fixture(name: &str) -> Vec<u8> {
    fs::read(format!(
        "{}/tests/data/wearables/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn options() -> IngestOptions {
    IngestOptions {
        now: Utc.with_ymd_and_hms(2025, 3, 10, 0, 0, 0).unwrap(),
        zone: Tz::Europe__London,
    }
}

fn read(format: Format, name: &str) -> IngestReport {
    ingest(format, Cursor::new(fixture(name)), options()).unwrap()
}

fn reasons(report: &IngestReport) -> Vec<(usize, RejectReason)> {
    report
        .rejected
        .iter()
        .map(|r| (r.index, r.reason.clone()))
        .collect()
}

fn malformed(field: &str) -> RejectReason {
    RejectReason::Malformed {
        field: field.into(),
    }
}

fn unknown(field: &str) -> RejectReason {
    RejectReason::UnknownValue {
        field: field.into(),
    }
}

#[test]
fn healthkit_keeps_good_records_and_counts_each_bad_one() {
    let r = read(Format::HealthKitJson, "healthkit_night.json");
    assert_eq!(r.samples.len(), 9);
    assert_eq!(r.accepted, 11, "9 samples and 2 heart-rate readings");
    assert_eq!(r.duplicates, 1);
    assert_eq!(r.skipped, 1, "the step count");
    assert_eq!(r.rejected_count, 9);
    let got = reasons(&r);
    assert_eq!(got[0], (13, RejectReason::EndBeforeStart));
    assert_eq!(got[1], (14, unknown("value")));
    assert!(matches!(
        got[2],
        (15, RejectReason::TooLong { max_hours: 24, .. })
    ));
    assert!(matches!(got[3], (16, RejectReason::OutOfRange { value, .. }) if value == 0.0));
    assert!(matches!(got[4], (17, RejectReason::OutOfRange { value, .. }) if value == 5000.0));
    assert_eq!(got[5], (18, RejectReason::InFuture));
    assert_eq!(got[6], (19, malformed("startDate")));
    assert_eq!(got[7], (20, malformed("type")));
    assert_eq!(got[8], (21, unknown("timeZone")));
    let hrv: Vec<_> = r
        .samples
        .iter()
        .filter_map(|s| match s.value {
            SampleValue::Hrv { metric, ms } => Some((metric, ms)),
            _ => None,
        })
        .collect();
    assert_eq!(hrv, vec![(HrvMetric::Sdnn, 48.2)]);
    assert_eq!(r.heart_rate_days.len(), 1);
    assert_eq!(r.heart_rate_days[0].readings, 2);
    assert_eq!(r.heart_rate_days[0].min_bpm, 48.0);
}

#[test]
fn healthkit_night_becomes_one_main_sleep_from_the_watch() {
    let r = read(Format::HealthKitJson, "healthkit_night.json");
    let set = build_episodes(&r.samples);
    assert_eq!(set.episodes.len(), 1);
    assert_eq!(
        set.duplicates_dropped, 1,
        "the phone's record of the same night"
    );
    let e = &set.episodes[0];
    assert_eq!(e.source.device.as_deref(), Some("Apple Watch"));
    assert!(e.is_main);
    assert_eq!(e.local_date, NaiveDate::from_ymd_opt(2025, 3, 2).unwrap());
    assert_eq!(e.asleep_minutes, 8 * 60 - 15);
    assert_eq!(e.awake_minutes, 15);
    assert_eq!(e.stages.deep, 60);
    assert_eq!(e.stages.rem, 75);
    assert_eq!(e.stages.light, 90 + 240);
}

#[test]
fn export_xml_streams_records_and_counts_bad_ones() {
    let r = read(Format::AppleExportXml, "export_small.xml");
    assert_eq!(r.samples.len(), 6);
    assert_eq!(r.accepted, 7);
    assert_eq!(r.skipped, 1, "the step count");
    let got = reasons(&r);
    assert_eq!(got.len(), 5);
    assert!(matches!(got[0], (8, RejectReason::OutOfRange { .. })));
    assert_eq!(got[1], (9, malformed("value")));
    assert_eq!(got[2], (10, RejectReason::EndBeforeStart));
    assert_eq!(got[3], (11, unknown("value")));
    assert_eq!(got[4], (12, malformed("type")));
    let first = &r.samples[0];
    assert_eq!(
        first.zone,
        Tz::America__New_York,
        "from HKTimeZone metadata"
    );
    assert_eq!(first.source.name, "Jo’s Apple Watch");
    assert_eq!(first.source.device.as_deref(), Some("Apple Watch"));
    assert_eq!(
        first.value,
        SampleValue::Sleep {
            stage: SleepStage::Light
        }
    );
    assert_eq!(
        r.samples[2].zone,
        Tz::Europe__London,
        "no metadata: the person's zone"
    );
    assert_eq!(
        r.samples[3].value,
        SampleValue::Sleep {
            stage: SleepStage::Asleep
        },
        "pre-iOS 16 'Asleep'"
    );
    let expected_start: DateTime<Utc> = Utc.with_ymd_and_hms(2025, 3, 1, 23, 0, 0).unwrap();
    assert_eq!(first.start, expected_start);
}

#[test]
fn health_connect_reads_stages_naps_hrv_and_resting_hr() {
    let r = read(Format::HealthConnectJson, "health_connect_night.json");
    assert_eq!(r.samples.len(), 11);
    assert_eq!(r.accepted, 12);
    assert_eq!(r.skipped, 1);
    let got = reasons(&r);
    assert_eq!(got.len(), 5);
    assert_eq!(got[0], (0, unknown("stage")));
    assert!(matches!(got[1], (3, RejectReason::OutOfRange { .. })));
    assert!(matches!(got[2], (5, RejectReason::OutOfRange { value, .. }) if value == 900.0));
    assert_eq!(got[3], (7, malformed("metadata.dataOrigin")));
    assert!(matches!(got[4], (8, RejectReason::TooLong { .. })));
    assert!(r.samples.iter().any(|s| s.value
        == SampleValue::Hrv {
            metric: HrvMetric::Rmssd,
            ms: 41.5
        }));
    let set = build_episodes(&r.samples);
    assert_eq!(set.episodes.len(), 2);
    let main = &set.episodes[0];
    assert!(main.is_main);
    assert_eq!(main.source.device.as_deref(), Some("Google Pixel Watch 2"));
    assert_eq!(main.asleep_minutes, 60 + 60 + 70 + 230);
    assert_eq!(main.awake_minutes, 30);
    let nap = &set.episodes[1];
    assert!(!nap.is_main, "the afternoon nap is kept, not main");
    assert_eq!(nap.asleep_minutes, 40);
}

#[test]
fn open_mhealth_reads_sleep_episodes_and_heart_rate() {
    let r = read(Format::OpenMHealthJson, "open_mhealth.json");
    assert_eq!(r.samples.len(), 2);
    assert_eq!(r.accepted, 3);
    assert_eq!(r.skipped, 1);
    let got = reasons(&r);
    assert_eq!(got[0], (3, unknown("body.heart_rate.unit")));
    assert_eq!(
        got[1],
        (
            5,
            malformed("body.effective_time_frame.time_interval.end_date_time")
        )
    );
    assert_eq!(
        r.samples[1].value,
        SampleValue::RestingHeartRate { bpm: 51.0 }
    );
    // A single data point is accepted as well as an array.
    let one = r#"{"header": {"schema_id": {"name": "heart-rate"}, "acquisition_provenance": {"source_name": "X"}},
                 "body": {"heart_rate": {"value": 60, "unit": "beats/min"}, "effective_time_frame": {"date_time": "2025-03-02T09:00:00Z"}}}"#;
    let r = ingest(Format::OpenMHealthJson, one.as_bytes(), options()).unwrap();
    assert_eq!(r.accepted, 1);
}

#[test]
fn unreadable_files_are_typed_errors() {
    let e = ingest(
        Format::HealthKitJson,
        Cursor::new(fixture("truncated.json")),
        options(),
    );
    assert!(matches!(e, Err(WearableError::Json { line: 1, .. })));
    let e = ingest(
        Format::AppleExportXml,
        Cursor::new(fixture("truncated_export.xml")),
        options(),
    );
    assert!(matches!(e, Err(WearableError::Xml { .. })), "{e:?}");
    let e = ingest(Format::AppleExportXml, &b"<a><b></a>"[..], options());
    assert!(matches!(e, Err(WearableError::Xml { .. })), "{e:?}");
    for format in [Format::HealthKitJson, Format::HealthConnectJson] {
        let e = ingest(format, &b"{\"a\": 1}"[..], options());
        assert!(matches!(e, Err(WearableError::Shape { .. })));
    }
    let e = ingest(Format::OpenMHealthJson, &b"42"[..], options());
    assert!(matches!(e, Err(WearableError::Shape { .. })));
    // Error messages name structure, never record content.
    let e = ingest(Format::HealthKitJson, &b"[{\"secret\": "[..], options()).unwrap_err();
    assert!(!e.to_string().contains("secret"));
}

#[test]
fn importing_the_same_file_again_adds_nothing() {
    let mut sink = Ingest::new(options());
    sink.read(
        Format::HealthKitJson,
        Cursor::new(fixture("healthkit_night.json")),
    )
    .unwrap();
    let first = sink.finish();
    let mut again = Ingest::new(options());
    again.remember(&first.samples);
    again
        .read(
            Format::HealthKitJson,
            Cursor::new(fixture("healthkit_night.json")),
        )
        .unwrap();
    let second = again.finish();
    assert!(second.samples.is_empty());
    assert_eq!(second.duplicates, first.samples.len() + first.duplicates);
}

#[test]
fn the_report_round_trips_through_json() {
    let r = read(Format::HealthConnectJson, "health_connect_night.json");
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<IngestReport>(&json).unwrap(), r);
}
