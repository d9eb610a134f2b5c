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

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;

use super::json::{parse_time, parse_zone};
use super::{
    HrvMetric, Ingest, RejectReason, Sample, SampleValue, SleepStage, Source, WearableError,
    stage_from_table,
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

/// `HKCategoryValueSleepAnalysis` raw values 0 to 5, in order.
const HK_STAGES: [SleepStage; 6] = [
    SleepStage::InBed,
    SleepStage::Asleep,
    SleepStage::Awake,
    SleepStage::Light,
    SleepStage::Deep,
    SleepStage::Rem,
];

/// The stage for an `HKCategoryValueSleepAnalysis` raw value.
pub fn sleep_stage(raw: f64) -> Option<SleepStage> {
    stage_from_table(raw, &HK_STAGES)
}

/// The parts of a HealthKit record both Apple formats share, before checks.
#[derive(Debug, Clone)]
pub struct HkRecord<'a> {
    /// Its type.
    pub kind: HkType,
    /// Start instant.
    pub start: DateTime<Utc>,
    /// End instant.
    pub end: DateTime<Utc>,
    /// Raw value (category raw value or quantity).
    pub value: f64,
    /// Unit, when given.
    pub unit: Option<&'a str>,
    /// Source bundle or name, and device.
    pub source: Source,
    /// Zone recorded in.
    pub zone: Tz,
}

impl HkRecord<'_> {
    /// The sample this record describes.
    ///
    /// # Errors
    /// As [`HkType::value`].
    pub fn into_sample(self) -> Result<Sample, RejectReason> {
        let value = self.kind.value(self.value, self.unit)?;
        Ok(Sample {
            start: self.start,
            end: self.end,
            zone: self.zone,
            source: self.source,
            value,
        })
    }
}

/// Any JSON value, kept only as far as the reader needs it: strings borrowed
/// from the input where they have no escapes, numbers, and "something else".
#[derive(Debug)]
enum Field<'a> {
    Str(Cow<'a, str>),
    Num(f64),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Field<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'a>, E> {
                Ok(Field::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Field<'a>, E> {
                Ok(Field::Str(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Field<'a>, E> {
                Ok(Field::Num(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Field<'a>, E> {
                Ok(Field::Num(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Field<'a>, E> {
                Ok(Field::Num(v as f64))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Field<'a>, E> {
                Ok(Field::Other)
            }
            fn visit_unit<E>(self) -> Result<Field<'a>, E> {
                Ok(Field::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Field<'a>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Field::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Field<'a>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Field::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The fields of a HealthKit record, each as found (or not).
#[derive(Debug, Deserialize)]
struct Wire<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Field<'a>>,
    #[serde(borrow, default)]
    value: Option<Field<'a>>,
    #[serde(rename = "startDate", borrow, default)]
    start: Option<Field<'a>>,
    #[serde(rename = "endDate", borrow, default)]
    end: Option<Field<'a>>,
    #[serde(borrow, default)]
    unit: Option<Field<'a>>,
    #[serde(rename = "sourceBundle", borrow, default)]
    source: Option<Field<'a>>,
    #[serde(borrow, default)]
    device: Option<Field<'a>>,
    #[serde(rename = "timeZone", borrow, default)]
    zone: Option<Field<'a>>,
}

/// One element of the array: a record, or `None` for something that is not an object.
struct RecordSeed;

impl<'de> DeserializeSeed<'de> for RecordSeed {
    type Value = Option<Wire<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        record_or_none(d)
    }
}

/// The top-level array, handed record by record to the sink as it is read,
/// so no record outlives its turn.
struct Records<'s> {
    sink: &'s mut Ingest,
}

impl<'de> DeserializeSeed<'de> for Records<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Records<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of HealthKit records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let default_zone = self.sink.options().zone;
        let mut index = 0;
        while let Some(element) = seq.next_element_seed(RecordSeed)? {
            let Some(wire) = element else {
                self.sink.push(
                    index,
                    Err(RejectReason::Malformed {
                        field: "type".into(),
                    }),
                );
                index += 1;
                continue;
            };
            match text(&wire.kind, "type").map(HkType::from_identifier) {
                Ok(None) => self.sink.skip(),
                Ok(Some(kind)) => self.sink.push(index, parse(&wire, kind, default_zone)),
                Err(reason) => self.sink.push(index, Err(reason)),
            }
            index += 1;
        }
        Ok(())
    }
}

/// Reads a map as a [`Wire`], anything else as `None`.
fn record_or_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Wire<'de>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Wire<'de>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a HealthKit record")
        }
        fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
            Wire::deserialize(MapAccessDeserializer::new(a)).map(Some)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

fn text<'b>(field: &'b Option<Field<'_>>, name: &str) -> Result<&'b str, RejectReason> {
    match field {
        Some(Field::Str(s)) => Ok(s),
        _ => Err(RejectReason::Malformed { field: name.into() }),
    }
}

fn opt_text<'b>(field: &'b Option<Field<'_>>) -> Option<&'b str> {
    match field {
        Some(Field::Str(s)) => Some(s),
        _ => None,
    }
}

/// Reads a HealthKit JSON array into `sink`.
///
/// The array is read in one pass without building a JSON tree (a morning's
/// hand-off holds ~1,500 records, mostly heart rate): each record's fields
/// are kept as found, and a missing or mistyped one refuses that record only.
///
/// # Errors
/// [`WearableError::Json`] for text that is not JSON and
/// [`WearableError::Shape`] when it is not an array.
pub fn read(mut input: impl BufRead, sink: &mut Ingest) -> Result<(), WearableError> {
    let mut doc = String::new();
    // One UTF-8 check of the whole input is cheaper than serde_json's per string.
    input.read_to_string(&mut doc).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => WearableError::NotUtf8,
        _ => WearableError::Io(e),
    })?;
    let mut de = serde_json::Deserializer::from_str(&doc);
    Records { sink }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| {
            if e.classify() == Category::Data {
                WearableError::Shape {
                    format: "HealthKit",
                    expected: "a JSON array of records",
                }
            } else {
                e.into()
            }
        })?;
    Ok(())
}

fn parse(w: &Wire<'_>, kind: HkType, default_zone: Tz) -> Result<Sample, RejectReason> {
    let start_text = text(&w.start, "startDate")?;
    let end_text = text(&w.end, "endDate")?;
    let start = parse_time(start_text, &["startDate"])?;
    // Point samples (heart rate) repeat the start: parse it once.
    let end = if end_text == start_text {
        start
    } else {
        parse_time(end_text, &["endDate"])?
    };
    let value = match &w.value {
        Some(Field::Num(v)) if v.is_finite() => *v,
        _ => {
            return Err(RejectReason::Malformed {
                field: "value".into(),
            });
        }
    };
    HkRecord {
        kind,
        start,
        end,
        value,
        unit: opt_text(&w.unit),
        source: Source {
            name: text(&w.source, "sourceBundle")?.to_string(),
            device: opt_text(&w.device).map(str::to_string),
        },
        zone: parse_zone(opt_text(&w.zone), &["timeZone"], default_zone)?,
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
