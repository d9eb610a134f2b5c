//! Wearable import from the platforms' own formats: the app hands over what
//! HealthKit or Health Connect (or an Open mHealth source, or Apple Health's
//! `export.xml`) gave it; [`mobile_core::morning::read`] reads it and
//! [`mobile_core::morning::import`] keeps the samples and builds the sleep
//! episodes. This module converts the format and the report.

use mobile_core::morning;
use mobile_core::wearables::Format;

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

impl From<morning::WearableImport> for WearableImportReport {
    fn from(i: morning::WearableImport) -> Self {
        Self {
            accepted: count(i.accepted),
            duplicates: count(i.duplicates),
            skipped: count(i.skipped),
            rejected: count(i.rejected),
            rejected_by_reason: i
                .rejected_by_reason
                .into_iter()
                .map(|(reason, n)| RejectionCount {
                    reason,
                    count: count(n),
                })
                .collect(),
            sleep_episodes: count(i.sleep_episodes),
            sleep_episodes_overlapping: count(i.sleep_episodes_overlapping),
        }
    }
}
