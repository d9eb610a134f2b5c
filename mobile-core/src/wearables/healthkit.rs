//! Apple HealthKit samples as the iOS app hands them to the core.
//!
//! A JSON array, one object per `HKSample`:
//! ```json
//! [{"type": "HKCategoryTypeIdentifierSleepAnalysis", "value": 3,
//!   "startDate": "2025-03-01T23:10:00Z", "endDate": "2025-03-02T00:40:00Z",
//!   "sourceBundle": "com.apple.health.8F1C", "device": "Apple Watch",
//!   "timeZone": "Europe/London"},
//!  {"type": "HKQuantityTypeIdentifierHeartRateVariabilitySDNN", "value": 48.2,
//!   "unit": "ms", "startDate": "...", "endDate": "...", "sourceBundle": "..."},
//!  {"type": "HKQuantityTypeIdentifierRestingHeartRate", "value": 54, "unit": "count/min", ...},
//!  {"type": "HKQuantityTypeIdentifierHeartRate", "value": 61, "unit": "count/min", ...}]
//! ```
//! Sleep-analysis values are `HKCategoryValueSleepAnalysis` raw values: inBed 0,
//! asleepUnspecified 1, awake 2, asleepCore 3, asleepDeep 4, asleepREM 5.
//! `timeZone` is HealthKit's `HKMetadataKeyTimeZone` (IANA name), optional;
//! without it the person's zone is used. `device` is `HKDevice.name`, optional.
//! Objects of any other `type` are skipped and counted.

use std::io::BufRead;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::json::{array, f64_at, opt_string, read_value, str_at, time_at, zone_at};
use super::{
    HrvMetric, Ingest, RejectReason, Sample, SampleValue, SleepStage, Source, WearableError,
};

/// HealthKit type identifier of sleep analysis.
pub const SLEEP_ANALYSIS: &str = "HKCategoryTypeIdentifierSleepAnalysis";
/// HealthKit type identifier of HRV (SDNN).
pub const HRV_SDNN: &str = "HKQuantityTypeIdentifierHeartRateVariabilitySDNN";
/// HealthKit type identifier of resting heart rate.
pub const RESTING_HEART_RATE: &str = "HKQuantityTypeIdentifierRestingHeartRate";
/// HealthKit type identifier of heart rate.
pub const HEART_RATE: &str = "HKQuantityTypeIdentifierHeartRate";

/// The HealthKit types the core reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HkType {
    /// Sleep analysis (category).
    SleepAnalysis,
    /// HRV, SDNN in ms.
    HrvSdnn,
    /// Resting heart rate, count/min.
    RestingHeartRate,
    /// Heart rate, count/min.
    HeartRate,
}

impl HkType {
    /// The type for a HealthKit identifier; `None` for types the core does not use.
    pub fn from_identifier(id: &str) -> Option<Self> {
        match id {
            SLEEP_ANALYSIS => Some(HkType::SleepAnalysis),
            HRV_SDNN => Some(HkType::HrvSdnn),
            RESTING_HEART_RATE => Some(HkType::RestingHeartRate),
            HEART_RATE => Some(HkType::HeartRate),
            _ => None,
        }
    }

    /// The unit HealthKit records this quantity in, `None` for a category.
    fn unit(self) -> Option<&'static str> {
        match self {
            HkType::SleepAnalysis => None,
            HkType::HrvSdnn => Some("ms"),
            HkType::RestingHeartRate | HkType::HeartRate => Some("count/min"),
        }
    }

    /// The sample value for a numeric `value` (raw category value or quantity)
    /// in `unit` (absent means HealthKit's own unit).
    ///
    /// # Errors
    /// [`RejectReason::UnknownValue`] for an undefined sleep value or a unit
    /// other than the type's.
    pub fn value(self, value: f64, unit: Option<&str>) -> Result<SampleValue, RejectReason> {
        if let (Some(expected), Some(given)) = (self.unit(), unit)
            && given != expected
        {
            {
                return Err(RejectReason::UnknownValue {
                    field: "unit".into(),
                });
            }
        }
        Ok(match self {
            HkType::SleepAnalysis => SampleValue::Sleep {
                stage: sleep_stage(value).ok_or_else(|| RejectReason::UnknownValue {
                    field: "value".into(),
                })?,
            },
            HkType::HrvSdnn => SampleValue::Hrv {
                metric: HrvMetric::Sdnn,
                ms: value,
            },
            HkType::RestingHeartRate => SampleValue::RestingHeartRate { bpm: value },
            HkType::HeartRate => SampleValue::HeartRate { bpm: value },
        })
    }
}

/// The stage for an `HKCategoryValueSleepAnalysis` raw value.
pub fn sleep_stage(raw: f64) -> Option<SleepStage> {
    let stages = [
        SleepStage::InBed,
        SleepStage::Asleep,
        SleepStage::Awake,
        SleepStage::Light,
        SleepStage::Deep,
        SleepStage::Rem,
    ];
    if raw.fract() != 0.0 || raw < 0.0 {
        return None;
    }
    stages.get(raw as usize).copied()
}

/// The parts of a HealthKit record both Apple formats share, before checks.
#[derive(Debug, Clone)]
pub struct HkRecord {
    /// Its type.
    pub kind: HkType,
    /// Start instant.
    pub start: DateTime<Utc>,
    /// End instant.
    pub end: DateTime<Utc>,
    /// Raw value (category raw value or quantity).
    pub value: f64,
    /// Unit, when given.
    pub unit: Option<String>,
    /// Source bundle or name, and device.
    pub source: Source,
    /// Zone recorded in.
    pub zone: Tz,
}

impl HkRecord {
    /// The sample this record describes.
    ///
    /// # Errors
    /// As [`HkType::value`].
    pub fn into_sample(self) -> Result<Sample, RejectReason> {
        let value = self.kind.value(self.value, self.unit.as_deref())?;
        Ok(Sample {
            start: self.start,
            end: self.end,
            zone: self.zone,
            source: self.source,
            value,
        })
    }
}

/// Reads a HealthKit JSON array into `sink`.
///
/// # Errors
/// [`WearableError::Json`] for text that is not JSON and
/// [`WearableError::Shape`] when it is not an array.
pub fn read(input: impl BufRead, sink: &mut Ingest) -> Result<(), WearableError> {
    let doc = read_value(input)?;
    let default_zone = sink.options().zone;
    for (index, record) in array(&doc, "HealthKit")?.iter().enumerate() {
        match str_at(record, &["type"]).map(HkType::from_identifier) {
            Ok(None) => sink.skip(),
            Ok(Some(kind)) => sink.push(index, parse(record, kind, default_zone)),
            Err(reason) => sink.push(index, Err(reason)),
        }
    }
    Ok(())
}

fn parse(record: &Value, kind: HkType, default_zone: Tz) -> Result<Sample, RejectReason> {
    HkRecord {
        kind,
        start: time_at(record, &["startDate"])?,
        end: time_at(record, &["endDate"])?,
        value: f64_at(record, &["value"])?,
        unit: opt_string(record, &["unit"]),
        source: Source {
            name: str_at(record, &["sourceBundle"])?.to_string(),
            device: opt_string(record, &["device"]),
        },
        zone: zone_at(record, &["timeZone"], default_zone)?,
    }
    .into_sample()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_sleep_values_map_to_apples_stages() {
        assert_eq!(sleep_stage(0.0), Some(SleepStage::InBed));
        assert_eq!(sleep_stage(1.0), Some(SleepStage::Asleep));
        assert_eq!(sleep_stage(2.0), Some(SleepStage::Awake));
        assert_eq!(sleep_stage(3.0), Some(SleepStage::Light));
        assert_eq!(sleep_stage(4.0), Some(SleepStage::Deep));
        assert_eq!(sleep_stage(5.0), Some(SleepStage::Rem));
        assert_eq!(sleep_stage(6.0), None);
        assert_eq!(sleep_stage(-1.0), None);
        assert_eq!(sleep_stage(2.5), None);
    }

    #[test]
    fn a_unit_other_than_apples_is_refused() {
        assert!(HkType::HrvSdnn.value(0.045, Some("s")).is_err());
        assert!(HkType::HrvSdnn.value(45.0, Some("ms")).is_ok());
        assert!(HkType::HeartRate.value(60.0, None).is_ok());
    }
}
