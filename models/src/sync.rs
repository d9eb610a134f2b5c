//! The device-to-server sync protocol's types, versioned (`docs/api.md`).
//!
//! A [`SyncBatch`] carries a device's consented, minimised records: per-day
//! summaries and check-ins keyed by the person's pseudonymous id (taken from
//! the access token, never from the body), with times rounded to 15 minutes.
//! No raw samples, names or free text exist in these types, so none can be
//! sent. The server stores a batch once (idempotency key), upserts records by
//! their natural key (person, local date, kind) and answers with a
//! [`SyncAck`] holding one [`RecordResult`] per record and the device's cursor.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// The schema version this build writes and reads.
pub const SYNC_SCHEMA_VERSION: u32 = 1;
/// Most records one batch may carry; a phone back after 90 days offline
/// sends at most a few batches.
pub const MAX_RECORDS_PER_BATCH: usize = 500;
/// Granularity synced times are rounded to, in minutes (DESIGN.md).
pub const TIME_ROUNDING_MINUTES: u32 = 15;

/// One batch from one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SyncBatch {
    /// The enrolled device's id (random, issued at enrolment).
    pub device_id: String,
    /// A UUID chosen by the device; a replay with the same key changes nothing.
    pub idempotency_key: String,
    /// Schema version of the records ([`SYNC_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The device's sequence number for this batch (strictly increasing per
    /// device); the server's cursor is the highest one it has stored.
    pub sequence: u64,
    /// When the device built the batch, by its own clock (may be skewed).
    pub created_at: DateTime<Utc>,
    /// The records.
    pub records: Vec<SyncRecord>,
}

/// A record in a batch, tagged by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SyncRecord {
    /// A day's sleep and recovery summary (needs "sleep and recovery" consent).
    DailySummary(DailySummary),
    /// A sleepiness or fatigue check-in (needs "check-ins" consent).
    CheckIn(CheckInRecord),
    /// Progress through a learning module.
    LearningProgress(LearningProgress),
}

impl SyncRecord {
    /// The record's kind as stored (`daily_summary`, `check_in`, `learning_progress`).
    pub fn kind(&self) -> &'static str {
        match self {
            SyncRecord::DailySummary(_) => "daily_summary",
            SyncRecord::CheckIn(_) => "check_in",
            SyncRecord::LearningProgress(_) => "learning_progress",
        }
    }

    /// The local date in the natural key (person, local date, kind).
    pub fn local_date(&self) -> NaiveDate {
        match self {
            SyncRecord::DailySummary(r) => r.local_date,
            SyncRecord::CheckIn(r) => r.local_date,
            SyncRecord::LearningProgress(r) => r.local_date,
        }
    }

    /// Checks the record's ranges and rounding, and that its date is one
    /// the platform can hold: in [`EARLIEST_RECORD_YEAR`]..=[`LATEST_RECORD_YEAR`],
    /// with every instant in it within [`INSTANT_SLACK_DAYS`] of that date.
    ///
    /// # Errors
    /// [`ValidationError::OutOfRange`] or [`ValidationError::NotRounded`]
    /// naming the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let date = self.local_date();
        within(
            "local_date",
            f64::from(date.year()),
            f64::from(EARLIEST_RECORD_YEAR),
            f64::from(LATEST_RECORD_YEAR),
        )?;
        let instants: Vec<(&'static str, Option<DateTime<Utc>>)> = match self {
            SyncRecord::DailySummary(r) => vec![
                ("main_sleep_start", r.main_sleep_start),
                ("main_sleep_end", r.main_sleep_end),
            ],
            SyncRecord::CheckIn(r) => vec![("taken_at", Some(r.taken_at))],
            SyncRecord::LearningProgress(_) => Vec::new(),
        };
        for (field, t) in instants {
            if let Some(t) = t {
                let days = (t.date_naive() - date).num_days();
                within(
                    field,
                    days as f64,
                    -INSTANT_SLACK_DAYS as f64,
                    INSTANT_SLACK_DAYS as f64,
                )?;
            }
        }
        match self {
            SyncRecord::DailySummary(r) => r.validate(),
            SyncRecord::CheckIn(r) => r.validate(),
            SyncRecord::LearningProgress(r) => r.validate(),
        }
    }
}

/// The earliest year a record may be dated (no wearable data is older).
pub const EARLIEST_RECORD_YEAR: i32 = 2000;
/// The latest year a record may be dated.
pub const LATEST_RECORD_YEAR: i32 = 2199;
/// Days an instant in a record (a sleep's start or end, a check-in's time)
/// may lie from the record's local date, in UTC.
pub const INSTANT_SLACK_DAYS: i64 = 2;

/// Recovery band shown to the officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecoveryBand {
    /// Recovered.
    Green,
    /// Partly recovered.
    Amber,
    /// Poorly recovered.
    Red,
}

/// A day's sleep and recovery, minimised: the local date the main sleep ended,
/// its timing rounded to 15 minutes, totals, and deviations from the person's
/// own baselines (never raw HRV or heart rate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DailySummary {
    /// Local date the main sleep ended.
    pub local_date: NaiveDate,
    /// Main sleep onset, rounded to 15 minutes.
    pub main_sleep_start: Option<DateTime<Utc>>,
    /// Main sleep end, rounded to 15 minutes.
    pub main_sleep_end: Option<DateTime<Utc>>,
    /// Sleep obtained in the 24 h to the main sleep's end, minutes (naps included).
    pub sleep_minutes: u32,
    /// Sleep debt over the last 7 nights, minutes (0 when none).
    pub sleep_debt_minutes: u32,
    /// Recovery score 0–100, absent while the baseline is cold.
    pub recovery_score: Option<u8>,
    /// Recovery band, absent with the score.
    pub recovery_band: Option<RecoveryBand>,
    /// The 7-night rolling mean of ln HRV minus the person's 60-day baseline
    /// mean, in baseline SDs (`mobile_core::recovery::hrv`).
    pub hrv_deviation_sd: Option<f64>,
    /// Resting heart rate minus the person's baseline, bpm.
    pub resting_hr_deviation_bpm: Option<f64>,
}

impl DailySummary {
    fn validate(&self) -> Result<(), ValidationError> {
        rounded("main_sleep_start", self.main_sleep_start)?;
        rounded("main_sleep_end", self.main_sleep_end)?;
        within(
            "sleep_minutes",
            f64::from(self.sleep_minutes),
            0.0,
            24.0 * 60.0,
        )?;
        within(
            "sleep_debt_minutes",
            f64::from(self.sleep_debt_minutes),
            0.0,
            7.0 * 24.0 * 60.0,
        )?;
        if let Some(score) = self.recovery_score {
            within("recovery_score", f64::from(score), 0.0, 100.0)?;
        }
        if self.recovery_score.is_some() != self.recovery_band.is_some() {
            return Err(ValidationError::OutOfRange {
                field: "recovery_band",
                value: f64::NAN,
                min: 0.0,
                max: 0.0,
            });
        }
        if let Some(d) = self.hrv_deviation_sd {
            within("hrv_deviation_sd", d, -10.0, 10.0)?;
        }
        if let Some(d) = self.resting_hr_deviation_bpm {
            within("resting_hr_deviation_bpm", d, -60.0, 60.0)?;
        }
        if let (Some(s), Some(e)) = (self.main_sleep_start, self.main_sleep_end)
            && e <= s
        {
            return Err(ValidationError::EndNotAfterStart { start: s, end: e });
        }
        Ok(())
    }
}

/// Which validated scale a check-in uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckInScale {
    /// Karolinska Sleepiness Scale, 1 (extremely alert) to 9 (very sleepy, fighting sleep).
    Kss,
    /// Samn-Perelli fatigue checklist, 1 (fully alert) to 7 (completely exhausted).
    SamnPerelli,
}

impl CheckInScale {
    /// The scale's inclusive range.
    pub fn range(self) -> (u8, u8) {
        match self {
            CheckInScale::Kss => (1, 9),
            CheckInScale::SamnPerelli => (1, 7),
        }
    }
}

/// When in the day a check-in was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckInContext {
    /// Before a shift.
    BeforeShift,
    /// During a shift.
    DuringShift,
    /// After a shift, before the drive home.
    BeforeDrive,
    /// Any other time.
    Other,
}

impl CheckInContext {
    /// The name as serialised (`before_shift`, ...): the server's
    /// discriminator in a check-in's natural key, and the phone's queue key.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckInContext::BeforeShift => "before_shift",
            CheckInContext::DuringShift => "during_shift",
            CheckInContext::BeforeDrive => "before_drive",
            CheckInContext::Other => "other",
        }
    }
}

/// A check-in, with its time rounded to 15 minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckInRecord {
    /// Local date of the check-in.
    pub local_date: NaiveDate,
    /// When, rounded to 15 minutes.
    pub taken_at: DateTime<Utc>,
    /// Which scale.
    pub scale: CheckInScale,
    /// The score on that scale.
    pub value: u8,
    /// When in the day.
    pub context: CheckInContext,
}

impl CheckInRecord {
    fn validate(&self) -> Result<(), ValidationError> {
        rounded("taken_at", Some(self.taken_at))?;
        let (min, max) = self.scale.range();
        within(
            "value",
            f64::from(self.value),
            f64::from(min),
            f64::from(max),
        )
    }
}

/// Progress through one learning module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LearningProgress {
    /// Local date of the progress.
    pub local_date: NaiveDate,
    /// Module id from the content pack.
    pub module_id: String,
    /// True once the module's self-check is passed.
    pub completed: bool,
}

impl LearningProgress {
    fn validate(&self) -> Result<(), ValidationError> {
        check_identifier("module_id", &self.module_id)
    }
}

/// Checks that `value` is an identifier the sync schema accepts (module
/// ids, device ids): 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
///
/// # Errors
/// [`ValidationError::NotAnIdentifier`] naming `field`.
pub fn check_identifier(field: &'static str, value: &str) -> Result<(), ValidationError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::NotAnIdentifier { field })
    }
}

/// What the server did with one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RecordOutcome {
    /// Stored (new or changed).
    Stored,
    /// Already held with the same content.
    Unchanged,
    /// Refused; the rest of the batch is kept.
    Rejected {
        /// Stable snake_case reason (`out_of_range`, `not_consented`, ...).
        code: String,
        /// A human-readable explanation with no personal data.
        message: String,
    },
}

/// The outcome for the record at `index` in the batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct RecordResult {
    /// Position in the batch's `records`.
    pub index: usize,
    /// What happened.
    #[serde(flatten)]
    pub outcome: RecordOutcome,
}

/// The server's answer to a batch; a replay gets the same answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct SyncAck {
    /// The batch's idempotency key.
    pub idempotency_key: String,
    /// One result per record.
    pub results: Vec<RecordResult>,
    /// Highest batch sequence the server has stored for this device.
    pub cursor: u64,
    /// True when this answer is a replay of an earlier one.
    pub replayed: bool,
    /// How many of the person's other devices were enrolled or paired after
    /// this one (server clock), as of this answer (a replay's too). It only
    /// rises, so a rise tells the phone a new device was paired with the
    /// officer's account (`GET /v1/me/devices` lists them). 0 from a server
    /// that predates pairing.
    #[serde(default)]
    pub newer_devices: u32,
}

/// Rounds an instant down to [`TIME_ROUNDING_MINUTES`].
pub fn round_to_quarter_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    let step = i64::from(TIME_ROUNDING_MINUTES) * 60;
    let secs = t.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(step), 0).unwrap_or(t)
}

fn rounded(field: &'static str, t: Option<DateTime<Utc>>) -> Result<(), ValidationError> {
    match t {
        Some(t)
            if t.second() != 0
                || t.nanosecond() != 0
                || t.minute() % TIME_ROUNDING_MINUTES != 0 =>
        {
            Err(ValidationError::NotRounded { field })
        }
        _ => Ok(()),
    }
}

fn within(field: &'static str, value: f64, min: f64, max: f64) -> Result<(), ValidationError> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn check_in_context_names_are_their_serialised_names() {
        for c in [
            CheckInContext::BeforeShift,
            CheckInContext::DuringShift,
            CheckInContext::BeforeDrive,
            CheckInContext::Other,
        ] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    fn summary() -> DailySummary {
        DailySummary {
            local_date: NaiveDate::from_ymd_opt(2025, 1, 2).unwrap(),
            main_sleep_start: Some(Utc.with_ymd_and_hms(2025, 1, 1, 23, 15, 0).unwrap()),
            main_sleep_end: Some(Utc.with_ymd_and_hms(2025, 1, 2, 6, 45, 0).unwrap()),
            sleep_minutes: 420,
            sleep_debt_minutes: 60,
            recovery_score: Some(72),
            recovery_band: Some(RecoveryBand::Green),
            hrv_deviation_sd: Some(-0.4),
            resting_hr_deviation_bpm: Some(1.5),
        }
    }

    #[test]
    fn dates_the_platform_cannot_hold_are_refused_by_field() {
        let far_past = SyncRecord::DailySummary(DailySummary {
            local_date: NaiveDate::from_ymd_opt(-5000, 1, 1).unwrap(),
            main_sleep_start: None,
            main_sleep_end: None,
            ..summary()
        });
        assert!(matches!(
            far_past.validate(),
            Err(ValidationError::OutOfRange {
                field: "local_date",
                ..
            })
        ));
        // A sleep far from its record's day, however well formed.
        let stray = SyncRecord::DailySummary(DailySummary {
            main_sleep_end: Some(Utc.with_ymd_and_hms(2025, 1, 5, 6, 45, 0).unwrap()),
            ..summary()
        });
        assert!(matches!(
            stray.validate(),
            Err(ValidationError::OutOfRange {
                field: "main_sleep_end",
                ..
            })
        ));
        // The edges: the first allowed year, and an instant two days off.
        let edge = SyncRecord::DailySummary(DailySummary {
            local_date: NaiveDate::from_ymd_opt(EARLIEST_RECORD_YEAR, 1, 3).unwrap(),
            main_sleep_start: Some(
                Utc.with_ymd_and_hms(EARLIEST_RECORD_YEAR, 1, 1, 0, 0, 0)
                    .unwrap(),
            ),
            main_sleep_end: Some(
                Utc.with_ymd_and_hms(EARLIEST_RECORD_YEAR, 1, 1, 6, 0, 0)
                    .unwrap(),
            ),
            ..summary()
        });
        edge.validate().unwrap();
    }

    #[test]
    fn a_valid_summary_round_trips_with_its_kind_tag() {
        let r = SyncRecord::DailySummary(summary());
        r.validate().unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r#""kind":"daily_summary""#));
        assert_eq!(serde_json::from_str::<SyncRecord>(&json).unwrap(), r);
    }

    #[test]
    fn unrounded_times_and_out_of_range_values_are_refused() {
        let mut s = summary();
        s.main_sleep_start = Some(Utc.with_ymd_and_hms(2025, 1, 1, 23, 7, 0).unwrap());
        assert_eq!(
            SyncRecord::DailySummary(s).validate(),
            Err(ValidationError::NotRounded {
                field: "main_sleep_start"
            })
        );
        let mut s = summary();
        s.sleep_minutes = 2000;
        assert!(SyncRecord::DailySummary(s).validate().is_err());
        let c = CheckInRecord {
            local_date: NaiveDate::from_ymd_opt(2025, 1, 2).unwrap(),
            taken_at: Utc.with_ymd_and_hms(2025, 1, 2, 7, 0, 0).unwrap(),
            scale: CheckInScale::SamnPerelli,
            value: 8,
            context: CheckInContext::BeforeShift,
        };
        assert!(matches!(
            SyncRecord::CheckIn(c).validate(),
            Err(ValidationError::OutOfRange { field: "value", .. })
        ));
    }

    #[test]
    fn free_text_cannot_be_smuggled_in() {
        let json = r#"{"kind":"check_in","local_date":"2025-01-02","taken_at":"2025-01-02T07:00:00Z","scale":"kss","value":5,"context":"other","note":"my name is"}"#;
        assert!(serde_json::from_str::<SyncRecord>(json).is_err());
    }

    #[test]
    fn rounding_is_down_to_the_quarter_hour() {
        let t = Utc.with_ymd_and_hms(2025, 1, 1, 23, 14, 59).unwrap();
        assert_eq!(
            round_to_quarter_hour(t),
            Utc.with_ymd_and_hms(2025, 1, 1, 23, 0, 0).unwrap()
        );
    }
}
