//! Open mHealth `sleep-episode` and `heart-rate` data points.
//!
//! The interchange format of the Open mHealth schemas
//! (<https://www.openmhealth.org/documentation/#/schema-docs/schema-library>):
//! one data point or a JSON array of them, each with a `header` whose
//! `schema_id.name` says what the `body` is.
//! ```json
//! {"header": {"schema_id": {"namespace": "omh", "name": "sleep-episode", "version": "1.1"},
//!             "acquisition_provenance": {"source_name": "Oura"}},
//!  "body": {"effective_time_frame": {"time_interval": {
//!            "start_date_time": "2025-03-01T23:00:00Z", "end_date_time": "2025-03-02T07:00:00Z"}}}}
//! {"header": {"schema_id": {"namespace": "omh", "name": "heart-rate", "version": "2.0"}, ...},
//!  "body": {"heart_rate": {"value": 52, "unit": "beats/min"},
//!           "effective_time_frame": {"date_time": "2025-03-02T06:30:00Z"},
//!           "temporal_relationship_to_physical_activity": "at rest"}}
//! ```
//! A sleep episode carries no stage timing, so it counts as asleep throughout.
//! A heart rate "at rest" is a resting heart rate; any other is a reading.
//! Data points of other schemas are skipped.

use std::io::BufRead;

use serde_json::Value;

use super::json::{f64_at, opt_string, read_value, str_at, time_at};
use super::{Ingest, RejectReason, Sample, SampleValue, SleepStage, Source, WearableError};

/// Reads Open mHealth data points into `sink`.
///
/// # Errors
/// [`WearableError::Json`] for text that is not JSON and
/// [`WearableError::Shape`] when it is neither an object nor an array.
pub fn read(input: impl BufRead, sink: &mut Ingest) -> Result<(), WearableError> {
    let doc = read_value(input)?;
    let points: &[Value] = match &doc {
        Value::Array(items) => items,
        Value::Object(_) => std::slice::from_ref(&doc),
        _ => {
            return Err(WearableError::Shape {
                format: "Open mHealth",
                expected: "a data point or an array of data points",
            });
        }
    };
    for (index, point) in points.iter().enumerate() {
        match str_at(point, &["header", "schema_id", "name"]) {
            Ok("sleep-episode") => sink.push(index, sleep_episode(point, sink)),
            Ok("heart-rate") => sink.push(index, heart_rate(point, sink)),
            Ok(_) => sink.skip(),
            Err(reason) => sink.push(index, Err(reason)),
        }
    }
    Ok(())
}

fn source(point: &Value) -> Result<Source, RejectReason> {
    Ok(Source {
        name: str_at(point, &["header", "acquisition_provenance", "source_name"])?.to_string(),
        device: opt_string(point, &["header", "acquisition_provenance", "modality"]),
    })
}

fn sleep_episode(point: &Value, sink: &Ingest) -> Result<Sample, RejectReason> {
    let interval = ["body", "effective_time_frame", "time_interval"];
    let at = |field: &'static str| {
        let mut path = interval.to_vec();
        path.push(field);
        time_at(point, &path)
    };
    Ok(Sample {
        start: at("start_date_time")?,
        end: at("end_date_time")?,
        zone: sink.options().zone,
        source: source(point)?,
        value: SampleValue::Sleep {
            stage: SleepStage::Asleep,
        },
    })
}

fn heart_rate(point: &Value, sink: &Ingest) -> Result<Sample, RejectReason> {
    let unit = str_at(point, &["body", "heart_rate", "unit"])?;
    if unit != "beats/min" {
        return Err(RejectReason::UnknownValue {
            field: "body.heart_rate.unit".into(),
        });
    }
    let bpm = f64_at(point, &["body", "heart_rate", "value"])?;
    let at = time_at(point, &["body", "effective_time_frame", "date_time"])?;
    let at_rest = opt_string(
        point,
        &["body", "temporal_relationship_to_physical_activity"],
    )
    .is_some_and(|r| r == "at rest");
    Ok(Sample {
        start: at,
        end: at,
        zone: sink.options().zone,
        source: source(point)?,
        value: if at_rest {
            SampleValue::RestingHeartRate { bpm }
        } else {
            SampleValue::HeartRate { bpm }
        },
    })
}
