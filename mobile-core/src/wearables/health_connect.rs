//! Android Health Connect records as the Android app hands them to the core.
//!
//! A JSON array, one object per record, tagged by `recordType`, with the
//! fields of the Health Connect record classes:
//! ```json
//! [{"recordType": "SleepSessionRecord", "startTime": "2025-03-01T23:00:00Z",
//!   "endTime": "2025-03-02T07:00:00Z", "timeZone": "Europe/London",
//!   "metadata": {"dataOrigin": "com.google.android.apps.fitness",
//!                "device": {"manufacturer": "Google", "model": "Pixel Watch 2"}},
//!   "stages": [{"startTime": "...", "endTime": "...", "stage": 4}]},
//!  {"recordType": "HeartRateVariabilityRmssdRecord", "time": "...",
//!   "heartRateVariabilityMillis": 42.0, "metadata": {...}},
//!  {"recordType": "RestingHeartRateRecord", "time": "...", "beatsPerMinute": 52, ...},
//!  {"recordType": "HeartRateRecord", "startTime": "...", "endTime": "...",
//!   "samples": [{"time": "...", "beatsPerMinute": 61}], ...}]
//! ```
//! Stage values (`SleepSessionRecord.STAGE_TYPE_*`): UNKNOWN 0, AWAKE 1,
//! SLEEPING 2, OUT_OF_BED 3, LIGHT 4, DEEP 5, REM 6, AWAKE_IN_BED 7. A session
//! without stages counts as asleep throughout. Health Connect stores zone
//! offsets, not zones, so `timeZone` (IANA, added by the app) is optional and
//! the person's zone is used without it. Other record types are skipped.

use std::io::BufRead;

use chrono_tz::Tz;
use serde_json::Value;

use super::json::{array, f64_at, get, opt_string, read_value, str_at, time_at, zone_at};
use super::{
    HrvMetric, Ingest, RejectReason, Sample, SampleValue, SleepStage, Source, WearableError,
    stage_from_table,
};

/// `SleepSessionRecord.STAGE_TYPE_*` values 0 to 7, in order.
const HC_STAGES: [SleepStage; 8] = [
    SleepStage::InBed,
    SleepStage::Awake,
    SleepStage::Asleep,
    SleepStage::OutOfBed,
    SleepStage::Light,
    SleepStage::Deep,
    SleepStage::Rem,
    SleepStage::Awake,
];

/// The stage for a `STAGE_TYPE_*` value.
pub fn sleep_stage(raw: f64) -> Option<SleepStage> {
    stage_from_table(raw, &HC_STAGES)
}

/// Reads a Health Connect JSON array into `sink`.
///
/// # Errors
/// [`WearableError::Json`] for text that is not JSON and
/// [`WearableError::Shape`] when it is not an array.
pub fn read(input: impl BufRead, sink: &mut Ingest) -> Result<(), WearableError> {
    let doc = read_value(input)?;
    let default_zone = sink.options().zone;
    for (index, record) in array(&doc, "Health Connect")?.iter().enumerate() {
        let context = match Context::of(record, default_zone) {
            Ok(c) => c,
            Err(reason) => {
                sink.push(index, Err(reason));
                continue;
            }
        };
        match str_at(record, &["recordType"]) {
            Ok("SleepSessionRecord") => {
                for sample in sleep_session(record, &context) {
                    sink.push(index, sample);
                }
            }
            Ok("HeartRateVariabilityRmssdRecord") => {
                let sample = f64_at(record, &["heartRateVariabilityMillis"]).and_then(|ms| {
                    context.point(
                        record,
                        SampleValue::Hrv {
                            metric: HrvMetric::Rmssd,
                            ms,
                        },
                    )
                });
                sink.push(index, sample);
            }
            Ok("RestingHeartRateRecord") => {
                let sample = f64_at(record, &["beatsPerMinute"])
                    .and_then(|bpm| context.point(record, SampleValue::RestingHeartRate { bpm }));
                sink.push(index, sample);
            }
            Ok("HeartRateRecord") => match get(record, &["samples"]).and_then(Value::as_array) {
                Some(samples) => {
                    for s in samples {
                        let sample = f64_at(s, &["beatsPerMinute"])
                            .and_then(|bpm| context.point(s, SampleValue::HeartRate { bpm }));
                        sink.push(index, sample);
                    }
                }
                None => sink.push(
                    index,
                    Err(RejectReason::Malformed {
                        field: "samples".into(),
                    }),
                ),
            },
            Ok(_) => sink.skip(),
            Err(reason) => sink.push(index, Err(reason)),
        }
    }
    Ok(())
}

/// What every sample of one record shares.
struct Context {
    source: Source,
    zone: Tz,
}

impl Context {
    fn of(record: &Value, default_zone: Tz) -> Result<Self, RejectReason> {
        let device = match (
            opt_string(record, &["metadata", "device", "manufacturer"]),
            opt_string(record, &["metadata", "device", "model"]),
        ) {
            (Some(make), Some(model)) => Some(format!("{make} {model}")),
            (make, model) => model.or(make),
        };
        Ok(Self {
            source: Source {
                name: str_at(record, &["metadata", "dataOrigin"])?.to_string(),
                device,
            },
            zone: zone_at(record, &["timeZone"], default_zone)?,
        })
    }

    fn sample(
        &self,
        start_end: (&Value, &Value),
        value: SampleValue,
    ) -> Result<Sample, RejectReason> {
        Ok(Sample {
            start: time_at(start_end.0, &["startTime"])?,
            end: time_at(start_end.1, &["endTime"])?,
            zone: self.zone,
            source: self.source.clone(),
            value,
        })
    }

    fn point(&self, record: &Value, value: SampleValue) -> Result<Sample, RejectReason> {
        let at = time_at(record, &["time"])?;
        Ok(Sample {
            start: at,
            end: at,
            zone: self.zone,
            source: self.source.clone(),
            value,
        })
    }
}

fn sleep_session(record: &Value, context: &Context) -> Vec<Result<Sample, RejectReason>> {
    let stages = get(record, &["stages"]).and_then(Value::as_array);
    match stages {
        Some(stages) if !stages.is_empty() => stages
            .iter()
            .map(|stage| {
                let raw = f64_at(stage, &["stage"])?;
                let stage_type = sleep_stage(raw).ok_or_else(|| RejectReason::UnknownValue {
                    field: "stage".into(),
                })?;
                context.sample((stage, stage), SampleValue::Sleep { stage: stage_type })
            })
            .collect(),
        _ => vec![context.sample(
            (record, record),
            SampleValue::Sleep {
                stage: SleepStage::Asleep,
            },
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_values_map_to_health_connects_constants() {
        // Spot checks against the Android documentation's constants.
        assert_eq!(sleep_stage(0.0), Some(SleepStage::InBed), "UNKNOWN");
        assert_eq!(sleep_stage(2.0), Some(SleepStage::Asleep), "SLEEPING");
        assert_eq!(sleep_stage(3.0), Some(SleepStage::OutOfBed), "OUT_OF_BED");
        assert_eq!(sleep_stage(5.0), Some(SleepStage::Deep), "DEEP");
        assert_eq!(sleep_stage(6.0), Some(SleepStage::Rem), "REM");
        assert_eq!(sleep_stage(1.0), sleep_stage(7.0), "AWAKE and AWAKE_IN_BED");
        assert_eq!(sleep_stage(8.0), None);
        assert_eq!(sleep_stage(1.5), None);
        assert_eq!(sleep_stage(-1.0), None);
    }
}
