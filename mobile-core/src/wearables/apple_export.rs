//! Apple Health's `export.xml`, streamed.
//!
//! The file a user exports from the Health app is often hundreds of MB, so it
//! is never loaded whole: a pull parser (quick-xml) reads one element at a
//! time into a buffer that is cleared after each, and only the records the
//! core uses are kept (minute heart rate is summarised per day by
//! [`super::Ingest`]). Peak memory therefore stays flat in the file size;
//! `docs/wearables.md` gives the measured figure.
//!
//! The records read (all else is skipped and counted):
//! ```xml
//! <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Watch"
//!   device="&lt;&lt;HKDevice: 0x1&gt;, name:Apple Watch, model:Watch&gt;"
//!   startDate="2025-03-01 23:10:00 +0000" endDate="2025-03-02 00:40:00 +0000"
//!   value="HKCategoryValueSleepAnalysisAsleepCore">
//!   <MetadataEntry key="HKTimeZone" value="Europe/London"/>
//! </Record>
//! <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" unit="ms" value="48.2" .../>
//! ```
//! Dates are `YYYY-MM-DD HH:MM:SS ±HHMM`. The zone is the record's
//! `HKTimeZone` metadata when present, else the person's. The `<Me>` record is
//! never read.

use std::io::BufRead;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::healthkit::{HkRecord, HkType};
use super::{Ingest, RejectReason, Sample, Source, WearableError};

/// `HKCategoryValueSleepAnalysis` names as `export.xml` writes them, with their raw values.
const SLEEP_VALUES: [(&str, f64); 7] = [
    ("HKCategoryValueSleepAnalysisInBed", 0.0),
    ("HKCategoryValueSleepAnalysisAsleepUnspecified", 1.0),
    // Before iOS 16 "asleep" had no stages.
    ("HKCategoryValueSleepAnalysisAsleep", 1.0),
    ("HKCategoryValueSleepAnalysisAwake", 2.0),
    ("HKCategoryValueSleepAnalysisAsleepCore", 3.0),
    ("HKCategoryValueSleepAnalysisAsleepDeep", 4.0),
    ("HKCategoryValueSleepAnalysisAsleepREM", 5.0),
];

/// What a `<Record>`'s `type` attribute said.
#[derive(Debug, Default, Clone, Copy)]
enum Kind {
    /// No `type` attribute: a malformed record.
    #[default]
    Missing,
    /// A type the core does not use (steps, energy...): skipped.
    Unused,
    /// A type the core reads.
    Used(HkType),
}

/// A `<Record>` being read: its attributes, and the zone from its metadata.
#[derive(Debug, Default)]
struct Pending {
    kind: Kind,
    start: Option<String>,
    end: Option<String>,
    value: Option<String>,
    unit: Option<String>,
    source_name: Option<String>,
    device: Option<String>,
    zone: Option<String>,
}

/// Streams `export.xml` into `sink`.
///
/// # Errors
/// [`WearableError::Xml`] when the XML is not well formed (a truncated file
/// included); [`WearableError::Io`] when reading fails.
pub fn read(input: impl BufRead, sink: &mut Ingest) -> Result<(), WearableError> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::with_capacity(4096);
    let mut pending: Option<Pending> = None;
    let mut index = 0_usize;
    let mut depth = 0_usize;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| match e {
            quick_xml::Error::Io(io) => {
                WearableError::Io(std::io::Error::new(io.kind(), io.to_string()))
            }
            other => WearableError::Xml {
                position: reader.error_position(),
                message: other.to_string(),
            },
        })?;
        match event {
            Event::Start(e) => {
                depth += 1;
                if e.name().as_ref() == b"Record" {
                    pending = Some(start_record(&e, &reader));
                }
            }
            Event::Empty(e) => match e.name().as_ref() {
                b"Record" => {
                    let record = start_record(&e, &reader);
                    finish(record, index, sink);
                    index += 1;
                }
                b"MetadataEntry" => {
                    if let Some(p) = pending.as_mut() {
                        read_time_zone(&e, &reader, p);
                    }
                }
                _ => {}
            },
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if e.name().as_ref() == b"Record"
                    && let Some(record) = pending.take()
                {
                    finish(record, index, sink);
                    index += 1;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if depth != 0 {
        return Err(WearableError::Xml {
            position: reader.buffer_position(),
            message: "the document ends inside an element (truncated file?)".into(),
        });
    }
    Ok(())
}

fn attributes<R>(e: &BytesStart<'_>, reader: &Reader<R>) -> Vec<(Vec<u8>, Option<String>)> {
    e.attributes()
        .map(|a| match a {
            Ok(a) => (
                a.key.as_ref().to_vec(),
                a.decode_and_unescape_value(reader.decoder())
                    .ok()
                    .map(|v| v.into_owned()),
            ),
            Err(_) => (Vec::new(), None),
        })
        .collect()
}

fn start_record<R>(e: &BytesStart<'_>, reader: &Reader<R>) -> Pending {
    let mut p = Pending::default();
    // Look at the type first so the many records the core does not use
    // (steps, energy, workouts...) cost no more than one attribute.
    let kind = e
        .try_get_attribute("type")
        .ok()
        .flatten()
        .and_then(|a| a.decode_and_unescape_value(reader.decoder()).ok())
        .map(|t| HkType::from_identifier(&t));
    p.kind = match kind {
        Some(Some(k)) => Kind::Used(k),
        Some(None) => {
            return Pending {
                kind: Kind::Unused,
                ..p
            };
        }
        None => return p,
    };
    for (key, value) in attributes(e, reader) {
        let slot = match key.as_slice() {
            b"startDate" => &mut p.start,
            b"endDate" => &mut p.end,
            b"value" => &mut p.value,
            b"unit" => &mut p.unit,
            b"sourceName" => &mut p.source_name,
            b"device" => &mut p.device,
            _ => continue,
        };
        *slot = value;
    }
    p
}

fn read_time_zone<R>(e: &BytesStart<'_>, reader: &Reader<R>, p: &mut Pending) {
    let attrs = attributes(e, reader);
    let is_zone = attrs
        .iter()
        .any(|(k, v)| k == b"key" && v.as_deref() == Some("HKTimeZone"));
    if is_zone {
        p.zone = attrs
            .into_iter()
            .find(|(k, _)| k == b"value")
            .and_then(|(_, v)| v);
    }
}

fn finish(p: Pending, index: usize, sink: &mut Ingest) {
    match p.kind {
        Kind::Used(kind) => {
            let zone = sink.options().zone;
            sink.push(index, to_sample(p, kind, zone));
        }
        Kind::Missing => sink.push(index, Err(malformed("type"))),
        Kind::Unused => sink.skip(),
    }
}

fn malformed(field: &str) -> RejectReason {
    RejectReason::Malformed {
        field: field.into(),
    }
}

fn parse_date(text: Option<&str>, field: &str) -> Result<DateTime<Utc>, RejectReason> {
    text.and_then(|t| DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S %z").ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| malformed(field))
}

/// `HKDevice`'s description holds `name:<name>,`; the name is all the core keeps.
fn device_name(description: &str) -> Option<String> {
    let rest = description.split("name:").nth(1)?;
    let name = rest.split([',', '>']).next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

fn to_sample(p: Pending, kind: HkType, default_zone: Tz) -> Result<Sample, RejectReason> {
    let raw = p.value.as_deref().ok_or_else(|| malformed("value"))?;
    let value = if kind == HkType::SleepAnalysis {
        SLEEP_VALUES
            .iter()
            .find(|(name, _)| *name == raw)
            .map(|(_, v)| *v)
            .ok_or_else(|| RejectReason::UnknownValue {
                field: "value".into(),
            })?
    } else {
        raw.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| malformed("value"))?
    };
    let zone = match p.zone.as_deref() {
        None => default_zone,
        Some(name) => name.parse::<Tz>().map_err(|_| RejectReason::UnknownValue {
            field: "HKTimeZone".into(),
        })?,
    };
    HkRecord {
        kind,
        start: parse_date(p.start.as_deref(), "startDate")?,
        end: parse_date(p.end.as_deref(), "endDate")?,
        value,
        unit: p.unit.as_deref(),
        source: Source {
            name: p.source_name.ok_or_else(|| malformed("sourceName"))?,
            device: p.device.as_deref().and_then(device_name),
        },
        zone,
    }
    .into_sample()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_name_is_taken_from_hkdevices_description() {
        let d = "<<HKDevice: 0x283e>, name:Apple Watch, manufacturer:Apple Inc., model:Watch>";
        assert_eq!(device_name(d).as_deref(), Some("Apple Watch"));
        assert_eq!(device_name("no name here"), None);
    }
}
