//! Wearable import from the platforms' own formats: the app hands over what
//! HealthKit or Health Connect (or an Open mHealth source, or Apple Health's
//! `export.xml`) gave it; the [`mobile_core::wearables`] parsers read it,
//! the store keeps the samples and builds the sleep episodes.

use std::collections::BTreeMap;
use std::io::BufRead;

use chrono::{DateTime, Utc};
use mobile_core::LocalClock;
use mobile_core::store::Store;
use mobile_core::wearables::{self, Format, IngestOptions, IngestReport};

use crate::CoachError;

/// A health-data format the library reads (`docs/wearables.md` shows each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WearableFormat {
    /// A JSON array of HealthKit samples: sleep analysis, HRV SDNN, resting
    /// and minute heart rate.
    HealthKitJson,
    /// A JSON array of Health Connect records: `SleepSessionRecord`,
    /// `HeartRateVariabilityRmssdRecord`, `RestingHeartRateRecord`,
    /// `HeartRateRecord`.
    HealthConnectJson,
    /// Open mHealth `sleep-episode` and `heart-rate` data points.
    OpenMHealthJson,
    /// Apple Health's `export.xml` (read as a stream).
    AppleExportXml,
}

impl From<WearableFormat> for Format {
    fn from(f: WearableFormat) -> Self {
        match f {
            WearableFormat::HealthKitJson => Format::HealthKitJson,
            WearableFormat::HealthConnectJson => Format::HealthConnectJson,
            WearableFormat::OpenMHealthJson => Format::OpenMHealthJson,
            WearableFormat::AppleExportXml => Format::AppleExportXml,
        }
    }
}

/// How many records were refused for one reason.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RejectionCount {
    /// Stable snake_case reason: `malformed`, `unknown_value`,
    /// `end_before_start`, `in_future`, `too_long`, `out_of_range`, or
    /// `not_itemised` for refusals past the first 1,000 of one import.
    pub reason: String,
    /// How many.
    pub count: u32,
}

/// What a wearable import did. Counts only: no value from the file.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WearableImportReport {
    /// Records kept (minute heart rate is summarised per day, not kept).
    pub accepted: u32,
    /// Records already held: twice in the input, or stored by an earlier import.
    pub duplicates: u32,
    /// Records of types the library does not use (steps, workouts...).
    pub skipped: u32,
    /// Records refused, in all.
    pub rejected: u32,
    /// The refusals by reason, most frequent first.
    pub rejected_by_reason: Vec<RejectionCount>,
    /// Sleep episodes built (or rebuilt) from the import's sleep records.
    pub sleep_episodes: u32,
    /// Built episodes not kept because they overlap sleep the app entered
    /// itself (`import_sleep`).
    pub sleep_episodes_overlapping: u32,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Parses `input` (no store lock is held while a large file is read).
pub(crate) fn parse(
    format: WearableFormat,
    input: impl BufRead,
    clock: &LocalClock,
    now: DateTime<Utc>,
) -> Result<IngestReport, CoachError> {
    let options = IngestOptions {
        now,
        zone: clock.zone(),
    };
    Ok(wearables::ingest(format.into(), input, options)?)
}

/// Stores a parsed import and reports it.
pub(crate) fn store(
    store: &mut Store,
    report: &IngestReport,
    now: DateTime<Utc>,
) -> Result<WearableImportReport, CoachError> {
    let kept = store.store_wearable_samples(&report.samples, now)?;
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for r in &report.rejected {
        let code = serde_json::to_value(&r.reason)
            .ok()
            .and_then(|v| v.get("reason").and_then(|c| c.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "malformed".into());
        *by_reason.entry(code).or_default() += 1;
    }
    let unlisted = report.rejected_count.saturating_sub(report.rejected.len());
    if unlisted > 0 {
        by_reason.insert("not_itemised".into(), unlisted);
    }
    let mut rejected_by_reason: Vec<RejectionCount> = by_reason
        .into_iter()
        .map(|(reason, n)| RejectionCount {
            reason,
            count: count(n),
        })
        .collect();
    rejected_by_reason.sort_by_key(|r| std::cmp::Reverse(r.count));
    Ok(WearableImportReport {
        accepted: count(report.accepted.saturating_sub(kept.duplicates)),
        duplicates: count(report.duplicates + kept.duplicates),
        skipped: count(report.skipped),
        rejected: count(report.rejected_count),
        rejected_by_reason,
        sleep_episodes: count(kept.episodes),
        sleep_episodes_overlapping: count(kept.episodes_overlapping),
    })
}
