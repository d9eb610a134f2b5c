//! Wearable ingestion: sleep stages, HRV and heart rate from the phone's health stores.
//!
//! The phone apps read Apple HealthKit or Android Health Connect and hand the
//! records to the core in one of four formats ([`Format`]); each has its own
//! parser module. Every parser turns a record into a [`Sample`] or a
//! [`RejectReason`]; [`Ingest`] validates the samples against one set of rules
//! (below), drops exact duplicates (the same record imported twice) and
//! counts everything it refuses, so one bad record never costs the rest of a
//! file. [`episodes::build_episodes`] then turns sleep-stage samples into sleep
//! episodes.
//!
//! # Validation rules (documented rejections)
//! | check | rule | reason |
//! |---|---|---|
//! | order | `end >= start` (`end > start` for sleep) | [`RejectReason::EndBeforeStart`] |
//! | future | `start <= now + 5 min` (clock skew) | [`RejectReason::InFuture`] |
//! | sleep length | one sleep record ≤ 24 h ([`models::sleep::MAX_SLEEP_HOURS`]) | [`RejectReason::TooLong`] |
//! | HRV | [`HRV_MS_MIN`] ≤ ms ≤ [`HRV_MS_MAX`] | [`RejectReason::OutOfRange`] |
//! | heart rate | [`HEART_RATE_MIN`] ≤ bpm ≤ [`HEART_RATE_MAX`] | [`RejectReason::OutOfRange`] |
//! | resting HR | [`RESTING_HR_MIN`] ≤ bpm ≤ [`RESTING_HR_MAX`] | [`RejectReason::OutOfRange`] |
//! | duplicate | same kind, instants, value and source as an earlier record | counted in [`IngestReport::duplicates`] |
//!
//! Minute-level heart rate is summarised per local day as it streams past
//! ([`HeartRateDay`]) instead of being kept, so a year of it costs a few
//! hundred rows, not half a million. It is de-duplicated by the minute: the
//! first reading in a UTC minute counts, and any other in the same minute
//! (the same file imported twice, a watch and a phone both recording, or a
//! workout's readings every few seconds) is counted in
//! [`IngestReport::duplicates`]. The daily mean is therefore a mean over
//! minutes, not weighted towards workouts. The "seen" set is one bit per
//! minute ([`MinuteSet`]): 180 bytes per day covered, flat in file size.
//!
//! # SDNN and RMSSD are never mixed
//! Apple gives SDNN, Health Connect and chest straps give RMSSD. A sample
//! carries its [`HrvMetric`] and its [`Source`], and every baseline in
//! [`crate::recovery`] is kept per metric and per source.

pub mod apple_export;
pub mod episodes;
pub mod error;
pub mod health_connect;
pub mod healthkit;
pub mod hrv;
mod json;
pub mod open_mhealth;
pub mod synthetic;

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::BufRead;

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use models::sleep::MAX_SLEEP_HOURS;
use serde::{Deserialize, Serialize};

pub use error::{RejectReason, WearableError};

/// Smallest plausible HRV (SDNN or RMSSD), ms. Below it is a sensor artefact.
pub const HRV_MS_MIN: f64 = 1.0;
/// Largest plausible HRV, ms. Short-term RMSSD/SDNN norms reach about 150 ms
/// (Nunan, Sandercock & Brodie 2010, Pacing Clin Electrophysiol 33:1407);
/// 300 ms leaves room for athletes and still refuses 5000 ms.
pub const HRV_MS_MAX: f64 = 300.0;
/// Smallest plausible heart rate, bpm.
pub const HEART_RATE_MIN: f64 = 20.0;
/// Largest plausible heart rate, bpm.
pub const HEART_RATE_MAX: f64 = 250.0;
/// Smallest plausible resting heart rate, bpm.
pub const RESTING_HR_MIN: f64 = 25.0;
/// Largest plausible resting heart rate, bpm.
pub const RESTING_HR_MAX: f64 = 150.0;
/// Clock skew tolerated before a record counts as "in the future".
pub const FUTURE_SKEW_MINUTES: i64 = 5;
/// At most this many rejections are kept with their reason; all are counted.
pub const MAX_KEPT_REJECTIONS: usize = 1000;

/// The input formats the core accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// HealthKit samples as the iOS app hands them over ([`healthkit`]).
    HealthKitJson,
    /// Apple Health's `export.xml`, streamed ([`apple_export`]).
    AppleExportXml,
    /// Health Connect records as the Android app hands them over ([`health_connect`]).
    HealthConnectJson,
    /// Open mHealth `sleep-episode` and `heart-rate` data points ([`open_mhealth`]).
    OpenMHealthJson,
}

/// Where a sample came from: the app or bundle that wrote it and the device.
/// Stays on the phone (device names are personal data).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Source {
    /// Bundle id, data origin package or source name.
    pub name: String,
    /// Device model or name, when the store gives one.
    pub device: Option<String>,
}

/// A sleep stage, the union of HealthKit's and Health Connect's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SleepStage {
    /// In bed, sleep not known (HealthKit inBed; Health Connect UNKNOWN).
    InBed,
    /// Asleep, stage not known (HealthKit asleepUnspecified; Health Connect SLEEPING).
    Asleep,
    /// Awake (HealthKit awake; Health Connect AWAKE and AWAKE_IN_BED).
    Awake,
    /// Out of bed (Health Connect OUT_OF_BED).
    OutOfBed,
    /// Light or core sleep (HealthKit asleepCore; Health Connect LIGHT).
    Light,
    /// Deep sleep.
    Deep,
    /// REM sleep.
    Rem,
}

impl SleepStage {
    /// True for the stages that count as sleep obtained.
    pub fn is_asleep(self) -> bool {
        matches!(
            self,
            SleepStage::Asleep | SleepStage::Light | SleepStage::Deep | SleepStage::Rem
        )
    }
}

/// The stage at position `raw` of a store's table of raw stage values;
/// `None` for a value the store does not define (negative, fractional, past the end).
pub(crate) fn stage_from_table(raw: f64, table: &[SleepStage]) -> Option<SleepStage> {
    if raw.fract() != 0.0 || raw < 0.0 {
        return None;
    }
    table.get(raw as usize).copied()
}

/// Which HRV statistic a reading is. They are never compared with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HrvMetric {
    /// Standard deviation of NN intervals (what Apple records).
    Sdnn,
    /// Root mean square of successive NN differences (Health Connect, chest straps).
    Rmssd,
}

/// What a sample measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SampleValue {
    /// A stretch of one sleep stage.
    Sleep {
        /// The stage.
        stage: SleepStage,
    },
    /// An HRV reading.
    Hrv {
        /// SDNN or RMSSD.
        metric: HrvMetric,
        /// The value in milliseconds.
        ms: f64,
    },
    /// A resting heart rate (the store's daily figure).
    RestingHeartRate {
        /// Beats per minute.
        bpm: f64,
    },
    /// One heart-rate reading (often one a minute).
    HeartRate {
        /// Beats per minute.
        bpm: f64,
    },
}

/// One validated record from a health store. Instants are UTC; `zone` is the
/// IANA zone it was recorded in (the record's own when the store gives one,
/// else the person's), from which local dates are derived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Start (for point readings, equal to `end`).
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// The zone it was recorded in.
    pub zone: Tz,
    /// Who wrote it.
    pub source: Source,
    /// What it measured.
    pub value: SampleValue,
}

impl Sample {
    /// Checks the record against the module's validation rules.
    ///
    /// # Errors
    /// The [`RejectReason`] of the first rule it breaks.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), RejectReason> {
        if self.end < self.start {
            return Err(RejectReason::EndBeforeStart);
        }
        if self.start > now + Duration::minutes(FUTURE_SKEW_MINUTES) {
            return Err(RejectReason::InFuture);
        }
        let range = |field: &str, value: f64, min: f64, max: f64| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(RejectReason::OutOfRange {
                    field: field.to_string(),
                    value,
                    min,
                    max,
                })
            }
        };
        match self.value {
            SampleValue::Sleep { .. } => {
                if self.end == self.start {
                    return Err(RejectReason::EndBeforeStart);
                }
                if self.end - self.start > Duration::hours(i64::from(MAX_SLEEP_HOURS)) {
                    return Err(RejectReason::TooLong {
                        hours: hours_between(self.start, self.end),
                        max_hours: MAX_SLEEP_HOURS,
                    });
                }
                Ok(())
            }
            SampleValue::Hrv { ms, .. } => range("hrv_ms", ms, HRV_MS_MIN, HRV_MS_MAX),
            SampleValue::RestingHeartRate { bpm } => {
                range("resting_bpm", bpm, RESTING_HR_MIN, RESTING_HR_MAX)
            }
            SampleValue::HeartRate { bpm } => range("bpm", bpm, HEART_RATE_MIN, HEART_RATE_MAX),
        }
    }

    /// The local date of the sample's start in its zone.
    pub fn local_date(&self) -> NaiveDate {
        self.start.with_timezone(&self.zone).date_naive()
    }

    fn fingerprint(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.start.hash(&mut h);
        self.end.hash(&mut h);
        self.source.hash(&mut h);
        match self.value {
            SampleValue::Sleep { stage } => (0u8, stage).hash(&mut h),
            SampleValue::Hrv { metric, ms } => (1u8, metric, ms.to_bits()).hash(&mut h),
            SampleValue::RestingHeartRate { bpm } => (2u8, bpm.to_bits()).hash(&mut h),
            SampleValue::HeartRate { bpm } => (3u8, bpm.to_bits()).hash(&mut h),
        }
        h.finish()
    }
}

/// Hours from `start` to `end` (negative when reversed).
pub fn hours_between(start: DateTime<Utc>, end: DateTime<Utc>) -> f64 {
    (end - start).num_seconds() as f64 / 3600.0
}

/// How to read an import.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IngestOptions {
    /// The present instant: records starting after it (plus skew) are refused.
    pub now: DateTime<Utc>,
    /// The person's zone, for records that do not carry their own.
    pub zone: Tz,
}

/// One refused record: its 0-based position among the file's records and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// Position of the record in the file (for Health Connect, of the record
    /// that held the bad stage or heart-rate sample).
    pub index: usize,
    /// Why it was refused.
    pub reason: RejectReason,
}

/// Heart-rate readings of one local day, summarised as they stream past.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartRateDay {
    /// Local date of the readings.
    pub date: NaiveDate,
    /// How many readings.
    pub readings: u32,
    /// Lowest reading, bpm.
    pub min_bpm: f64,
    /// Mean reading, bpm.
    pub mean_bpm: f64,
}

/// What an import kept and what it refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestReport {
    /// Accepted sleep, HRV and resting-heart-rate samples, in file order.
    pub samples: Vec<Sample>,
    /// Accepted heart-rate readings, summarised per local day.
    pub heart_rate_days: Vec<HeartRateDay>,
    /// Records accepted (samples plus heart-rate readings).
    pub accepted: usize,
    /// Records that repeated an earlier one exactly and were dropped.
    pub duplicates: usize,
    /// Records of a kind this import does not use (steps, workouts...), skipped.
    pub skipped: usize,
    /// Every record refused.
    pub rejected_count: usize,
    /// The first [`MAX_KEPT_REJECTIONS`] refusals with their reasons.
    pub rejected: Vec<Rejection>,
}

#[derive(Debug, Clone, Copy)]
struct HrAccumulator {
    readings: u32,
    min: f64,
    sum: f64,
}

/// The UTC minutes already holding a heart-rate reading: one bit per minute,
/// grouped by UTC day (1,440 bits, 180 bytes, per day covered).
#[derive(Debug, Default)]
struct MinuteSet {
    days: BTreeMap<NaiveDate, [u64; MINUTE_WORDS]>,
}

/// 64-bit words for the 1,440 minutes of a day.
const MINUTE_WORDS: usize = 1440_usize.div_ceil(64);

impl MinuteSet {
    /// Marks the minute holding `at`; false when it was already marked.
    fn insert(&mut self, at: DateTime<Utc>) -> bool {
        let minute = (at.hour() * 60 + at.minute()) as usize;
        let words = self
            .days
            .entry(at.date_naive())
            .or_insert([0; MINUTE_WORDS]);
        let (word, bit) = (minute / 64, 1u64 << (minute % 64));
        let fresh = words[word] & bit == 0;
        words[word] |= bit;
        fresh
    }
}

/// Validates, de-duplicates and collects samples as a parser produces them.
/// Memory grows with the sleep, HRV and resting-HR samples kept (a few
/// thousand a year), not with the heart-rate stream.
#[derive(Debug)]
pub struct Ingest {
    options: IngestOptions,
    seen: HashSet<u64>,
    samples: Vec<Sample>,
    heart_rate: BTreeMap<NaiveDate, HrAccumulator>,
    heart_rate_minutes: MinuteSet,
    accepted: usize,
    duplicates: usize,
    skipped: usize,
    rejected_count: usize,
    rejected: Vec<Rejection>,
}

impl Ingest {
    /// An empty import.
    pub fn new(options: IngestOptions) -> Self {
        Self {
            options,
            seen: HashSet::new(),
            samples: Vec::new(),
            heart_rate: BTreeMap::new(),
            heart_rate_minutes: MinuteSet::default(),
            accepted: 0,
            duplicates: 0,
            skipped: 0,
            rejected_count: 0,
            rejected: Vec::new(),
        }
    }

    /// Reads one input in `format` into this import (several inputs may go
    /// into one import; a record repeated across them counts as a duplicate).
    ///
    /// # Errors
    /// [`WearableError`] when the input cannot be read as that format at all;
    /// records read before a late failure (a truncated `export.xml`) stay.
    pub fn read(&mut self, format: Format, input: impl BufRead) -> Result<(), WearableError> {
        match format {
            Format::HealthKitJson => healthkit::read(input, self),
            Format::AppleExportXml => apple_export::read(input, self),
            Format::HealthConnectJson => health_connect::read(input, self),
            Format::OpenMHealthJson => open_mhealth::read(input, self),
        }
    }

    /// Marks samples already stored (from earlier imports) as seen, so
    /// importing them again counts them as duplicates instead of adding them.
    pub fn remember<'a>(&mut self, stored: impl IntoIterator<Item = &'a Sample>) {
        self.seen
            .extend(stored.into_iter().map(Sample::fingerprint));
    }

    /// The options this import reads with.
    pub fn options(&self) -> &IngestOptions {
        &self.options
    }

    /// Takes the parser's verdict on record `index`.
    pub fn push(&mut self, index: usize, parsed: Result<Sample, RejectReason>) {
        match parsed.and_then(|s| s.validate(self.options.now).map(|()| s)) {
            Ok(sample) => self.accept(sample),
            Err(reason) => self.reject(index, reason),
        }
    }

    /// Counts a record of a kind the import does not use.
    pub fn skip(&mut self) {
        self.skipped += 1;
    }

    fn reject(&mut self, index: usize, reason: RejectReason) {
        self.rejected_count += 1;
        if self.rejected.len() < MAX_KEPT_REJECTIONS {
            self.rejected.push(Rejection { index, reason });
        }
    }

    fn accept(&mut self, sample: Sample) {
        if let SampleValue::HeartRate { bpm } = sample.value {
            if !self.heart_rate_minutes.insert(sample.start) {
                self.duplicates += 1;
                return;
            }
            let day = self
                .heart_rate
                .entry(sample.local_date())
                .or_insert(HrAccumulator {
                    readings: 0,
                    min: f64::INFINITY,
                    sum: 0.0,
                });
            day.readings += 1;
            day.min = day.min.min(bpm);
            day.sum += bpm;
            self.accepted += 1;
            return;
        }
        if self.seen.insert(sample.fingerprint()) {
            self.samples.push(sample);
            self.accepted += 1;
        } else {
            self.duplicates += 1;
        }
    }

    /// The report of everything pushed.
    pub fn finish(self) -> IngestReport {
        IngestReport {
            samples: self.samples,
            heart_rate_days: self
                .heart_rate
                .into_iter()
                .map(|(date, a)| HeartRateDay {
                    date,
                    readings: a.readings,
                    min_bpm: a.min,
                    mean_bpm: a.sum / f64::from(a.readings),
                })
                .collect(),
            accepted: self.accepted,
            duplicates: self.duplicates,
            skipped: self.skipped,
            rejected_count: self.rejected_count,
            rejected: self.rejected,
        }
    }
}

/// Reads one import in `format` from `input`.
///
/// # Errors
/// [`WearableError`] when the input cannot be read as that format at all;
/// bad records inside a readable input are counted in the report instead.
pub fn ingest(
    format: Format,
    input: impl BufRead,
    options: IngestOptions,
) -> Result<IngestReport, WearableError> {
    let mut sink = Ingest::new(options);
    sink.read(format, input)?;
    Ok(sink.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample(value: SampleValue, start_h: i64, end_h: i64) -> Sample {
        let base = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
        Sample {
            start: base + Duration::hours(start_h),
            end: base + Duration::hours(end_h),
            zone: Tz::Europe__London,
            source: Source {
                name: "test".into(),
                device: None,
            },
            value,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 10, 0, 0, 0).unwrap()
    }

    #[test]
    fn each_rule_refuses_with_its_own_reason() {
        let asleep = SampleValue::Sleep {
            stage: SleepStage::Asleep,
        };
        assert_eq!(
            sample(asleep, 5, 3).validate(now()),
            Err(RejectReason::EndBeforeStart)
        );
        assert!(matches!(
            sample(asleep, 0, 30).validate(now()),
            Err(RejectReason::TooLong { max_hours: 24, .. })
        ));
        assert_eq!(
            sample(asleep, 24 * 20, 24 * 20 + 1).validate(now()),
            Err(RejectReason::InFuture)
        );
        for ms in [0.0, 5000.0, f64::NAN] {
            let hrv = SampleValue::Hrv {
                metric: HrvMetric::Rmssd,
                ms,
            };
            assert!(matches!(
                sample(hrv, 3, 3).validate(now()),
                Err(RejectReason::OutOfRange { .. })
            ));
        }
        let ok = SampleValue::Hrv {
            metric: HrvMetric::Sdnn,
            ms: 45.0,
        };
        assert_eq!(sample(ok, 3, 3).validate(now()), Ok(()));
        assert!(
            sample(SampleValue::HeartRate { bpm: 400.0 }, 1, 1)
                .validate(now())
                .is_err()
        );
    }

    #[test]
    fn duplicates_are_counted_and_the_rest_kept() {
        let mut sink = Ingest::new(IngestOptions {
            now: now(),
            zone: Tz::Europe__London,
        });
        let s = sample(
            SampleValue::Sleep {
                stage: SleepStage::Deep,
            },
            1,
            2,
        );
        sink.push(0, Ok(s.clone()));
        sink.push(1, Ok(s.clone()));
        sink.push(2, Err(RejectReason::EndBeforeStart));
        sink.push(3, Ok(sample(SampleValue::HeartRate { bpm: 60.0 }, 1, 1)));
        sink.push(4, Ok(sample(SampleValue::HeartRate { bpm: 50.0 }, 2, 2)));
        let report = sink.finish();
        assert_eq!(report.samples.len(), 1);
        assert_eq!(report.duplicates, 1);
        assert_eq!(report.accepted, 3);
        assert_eq!(report.rejected_count, 1);
        assert_eq!(report.rejected[0].index, 2);
        assert_eq!(report.heart_rate_days.len(), 1);
        assert_eq!(report.heart_rate_days[0].readings, 2);
        assert!((report.heart_rate_days[0].mean_bpm - 55.0).abs() < 1e-12);
        assert!((report.heart_rate_days[0].min_bpm - 50.0).abs() < 1e-12);
    }

    #[test]
    fn heart_rate_counts_once_per_minute_whatever_the_source() {
        let mut sink = Ingest::new(IngestOptions {
            now: now(),
            zone: Tz::Europe__London,
        });
        let at = |minute: i64, seconds: i64, bpm: f64, source: &str| {
            let mut s = sample(SampleValue::HeartRate { bpm }, 1, 1);
            s.start += Duration::minutes(minute) + Duration::seconds(seconds);
            s.end = s.start;
            s.source.name = source.into();
            s
        };
        sink.push(0, Ok(at(0, 5, 60.0, "watch")));
        sink.push(1, Ok(at(0, 40, 90.0, "watch"))); // same minute, workout rate
        sink.push(2, Ok(at(0, 5, 61.0, "phone"))); // second device, same minute
        sink.push(3, Ok(at(1, 0, 70.0, "phone")));
        sink.push(4, Ok(at(1, 0, 70.0, "phone"))); // the same file again
        sink.push(5, Ok(at(24 * 60, 0, 50.0, "watch"))); // same minute, next day
        let report = sink.finish();
        assert_eq!(report.duplicates, 3);
        assert_eq!(report.accepted, 3);
        let readings: u32 = report.heart_rate_days.iter().map(|d| d.readings).sum();
        assert_eq!(readings, 3);
        assert!((report.heart_rate_days[0].mean_bpm - 65.0).abs() < 1e-12);
    }
}
