//! Sleepiness and fatigue check-ins: the Karolinska Sleepiness Scale (1–9)
//! and the Samn-Perelli fatigue checklist (1–7).
//!
//! Both are single-item scales published for research and operational use:
//! KSS by Åkerstedt & Gillberg (1990, *Int J Neurosci* 52:29–37),
//! Samn-Perelli by Samn & Perelli (1982, USAF SAM-TR-82-21). Multi-item
//! questionnaires under copyright (Epworth, PSQI, ISI) are deliberately not
//! offered: they need a licence (`docs/coaching.md`).
//!
//! A [`CheckIn`] is validated when it is built: the score must lie in its
//! scale's range, and its time may not be in the future beyond
//! [`MAX_CLOCK_SKEW_MINUTES`] (a phone's clock and a watch's may disagree a
//! little; a check-in from tomorrow is an error). A [`CheckInLog`] holds one
//! person's check-ins and refuses a second check-in on the same scale at the
//! same instant; [`CheckInLog::import_json`] reads an export, keeps every good
//! entry and counts and reports each refused one.

use chrono::{DateTime, Duration, Utc};
use models::sync::{CheckInContext, CheckInRecord, CheckInScale, round_to_quarter_hour};
use serde::{Deserialize, Serialize};

use crate::LocalClock;

/// How far in the future (by the device's clock) a check-in may be stamped
/// before it is refused, in minutes.
pub const MAX_CLOCK_SKEW_MINUTES: i64 = 5;

/// KSS score from which a check-in counts as "very high" sleepiness (8: sleepy,
/// some effort to keep awake).
pub const KSS_VERY_HIGH: u8 = 8;
/// Samn-Perelli score from which a check-in counts as "very high" fatigue
/// (6: extremely tired, very difficult to concentrate).
pub const SAMN_PERELLI_VERY_HIGH: u8 = 6;

/// Why a check-in was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckInError {
    /// The score lies outside the scale's range.
    #[error("{scale:?} score {value} is outside {min}..={max}")]
    OutOfRange {
        /// The scale.
        scale: CheckInScale,
        /// The score given.
        value: u8,
        /// Smallest score on the scale.
        min: u8,
        /// Largest score on the scale.
        max: u8,
    },
    /// The check-in is stamped later than now plus the clock-skew allowance.
    #[error(
        "check-in at {taken_at} is in the future (now {now}, allowance {MAX_CLOCK_SKEW_MINUTES} min)"
    )]
    InTheFuture {
        /// The check-in's time.
        taken_at: DateTime<Utc>,
        /// The time it was checked against.
        now: DateTime<Utc>,
    },
    /// The same check-in (same scale, instant and score) is already held.
    #[error("duplicate {scale:?} check-in at {taken_at}")]
    Duplicate {
        /// The scale.
        scale: CheckInScale,
        /// The instant.
        taken_at: DateTime<Utc>,
    },
    /// A different score on the same scale at the same instant is already
    /// held; the first one is kept.
    #[error("{scale:?} check-in at {taken_at} conflicts with the one held ({held} vs {offered})")]
    Conflicting {
        /// The scale.
        scale: CheckInScale,
        /// The instant.
        taken_at: DateTime<Utc>,
        /// The score already held (kept).
        held: u8,
        /// The score offered (refused).
        offered: u8,
    },
    /// An entry (or the whole file) could not be read.
    #[error("unreadable check-in: {reason}")]
    Malformed {
        /// What the parser said.
        reason: String,
    },
}

/// One check-in, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckIn {
    taken_at: DateTime<Utc>,
    scale: CheckInScale,
    value: u8,
    context: CheckInContext,
}

impl CheckIn {
    /// A check-in taken at `taken_at`, checked against the clock reading `now`.
    ///
    /// # Errors
    /// [`CheckInError::OutOfRange`] for a score outside the scale;
    /// [`CheckInError::InTheFuture`] for a time after `now` plus
    /// [`MAX_CLOCK_SKEW_MINUTES`].
    pub fn new(
        taken_at: DateTime<Utc>,
        scale: CheckInScale,
        value: u8,
        context: CheckInContext,
        now: DateTime<Utc>,
    ) -> Result<Self, CheckInError> {
        let (min, max) = scale.range();
        if !(min..=max).contains(&value) {
            return Err(CheckInError::OutOfRange {
                scale,
                value,
                min,
                max,
            });
        }
        if taken_at > now + Duration::minutes(MAX_CLOCK_SKEW_MINUTES) {
            return Err(CheckInError::InTheFuture { taken_at, now });
        }
        Ok(Self {
            taken_at,
            scale,
            value,
            context,
        })
    }

    /// When it was taken.
    pub fn taken_at(&self) -> DateTime<Utc> {
        self.taken_at
    }

    /// Which scale.
    pub fn scale(&self) -> CheckInScale {
        self.scale
    }

    /// The score.
    pub fn value(&self) -> u8 {
        self.value
    }

    /// When in the day.
    pub fn context(&self) -> CheckInContext {
        self.context
    }

    /// True for a KSS score of at least [`KSS_VERY_HIGH`] or a Samn-Perelli
    /// score of at least [`SAMN_PERELLI_VERY_HIGH`].
    pub fn is_very_high(&self) -> bool {
        match self.scale {
            CheckInScale::Kss => self.value >= KSS_VERY_HIGH,
            CheckInScale::SamnPerelli => self.value >= SAMN_PERELLI_VERY_HIGH,
        }
    }

    /// The minimised record that syncs: time rounded down to 15 minutes and
    /// the local date in the person's zone.
    pub fn to_record(&self, clock: &LocalClock) -> CheckInRecord {
        let taken_at = round_to_quarter_hour(self.taken_at);
        CheckInRecord {
            local_date: taken_at.with_timezone(&clock.zone()).date_naive(),
            taken_at,
            scale: self.scale,
            value: self.value,
            context: self.context,
        }
    }
}

/// A check-in as it appears in an export file, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInEntry {
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// Which scale.
    pub scale: CheckInScale,
    /// The score.
    pub value: u8,
    /// When in the day.
    pub context: CheckInContext,
}

/// One refused entry of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRejection {
    /// Position of the entry in the input (0-based).
    pub index: usize,
    /// Why it was refused.
    pub error: CheckInError,
}

/// What an import did: how many entries were kept, and each refused one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Entries added to the log.
    pub accepted: usize,
    /// Entries refused, in input order.
    pub rejected: Vec<ImportRejection>,
}

impl ImportReport {
    /// How many entries were refused as exact duplicates.
    pub fn duplicates(&self) -> usize {
        self.rejected
            .iter()
            .filter(|r| matches!(r.error, CheckInError::Duplicate { .. }))
            .count()
    }
}

/// One person's check-ins, in time order, with no two on the same scale at
/// the same instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckInLog {
    entries: Vec<CheckIn>,
}

impl CheckInLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The check-ins, oldest first.
    pub fn entries(&self) -> &[CheckIn] {
        &self.entries
    }

    /// Adds a check-in.
    ///
    /// # Errors
    /// [`CheckInError::Duplicate`] when the same scale, instant and score is
    /// held; [`CheckInError::Conflicting`] when a different score on the same
    /// scale at the same instant is held (the held one is kept).
    pub fn add(&mut self, check_in: CheckIn) -> Result<(), CheckInError> {
        if let Some(held) = self
            .entries
            .iter()
            .find(|c| c.taken_at == check_in.taken_at && c.scale == check_in.scale)
        {
            return Err(if held.value == check_in.value {
                CheckInError::Duplicate {
                    scale: check_in.scale,
                    taken_at: check_in.taken_at,
                }
            } else {
                CheckInError::Conflicting {
                    scale: check_in.scale,
                    taken_at: check_in.taken_at,
                    held: held.value,
                    offered: check_in.value,
                }
            });
        }
        let at = self
            .entries
            .partition_point(|c| c.taken_at <= check_in.taken_at);
        self.entries.insert(at, check_in);
        Ok(())
    }

    /// Validates and adds each entry; a refused entry is reported and the
    /// rest are kept.
    pub fn import(
        &mut self,
        entries: impl IntoIterator<Item = CheckInEntry>,
        now: DateTime<Utc>,
    ) -> ImportReport {
        let mut report = ImportReport::default();
        for (index, e) in entries.into_iter().enumerate() {
            self.import_one(index, Ok(e), now, &mut report);
        }
        report
    }

    /// Reads a JSON array of [`CheckInEntry`] objects (an export) and imports
    /// it; an unreadable element is reported as [`CheckInError::Malformed`]
    /// and the rest are kept.
    ///
    /// # Errors
    /// [`CheckInError::Malformed`] when the text is not a JSON array at all
    /// (nothing is imported).
    pub fn import_json(
        &mut self,
        json: &str,
        now: DateTime<Utc>,
    ) -> Result<ImportReport, CheckInError> {
        let values: Vec<serde_json::Value> =
            serde_json::from_str(json).map_err(|e| CheckInError::Malformed {
                reason: e.to_string(),
            })?;
        let mut report = ImportReport::default();
        for (index, v) in values.into_iter().enumerate() {
            let entry =
                serde_json::from_value::<CheckInEntry>(v).map_err(|e| CheckInError::Malformed {
                    reason: e.to_string(),
                });
            self.import_one(index, entry, now, &mut report);
        }
        Ok(report)
    }

    fn import_one(
        &mut self,
        index: usize,
        entry: Result<CheckInEntry, CheckInError>,
        now: DateTime<Utc>,
        report: &mut ImportReport,
    ) {
        let outcome = entry
            .and_then(|e| CheckIn::new(e.taken_at, e.scale, e.value, e.context, now))
            .and_then(|c| self.add(c));
        match outcome {
            Ok(()) => report.accepted += 1,
            Err(error) => report.rejected.push(ImportRejection { index, error }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, h, m, 0).unwrap()
    }

    #[test]
    fn scores_outside_each_scale_are_refused_at_both_ends() {
        let now = at(12, 0);
        for (scale, lo, hi) in [
            (CheckInScale::Kss, 1u8, 9u8),
            (CheckInScale::SamnPerelli, 1, 7),
        ] {
            assert!(CheckIn::new(now, scale, lo, CheckInContext::Other, now).is_ok());
            assert!(CheckIn::new(now, scale, hi, CheckInContext::Other, now).is_ok());
            assert!(matches!(
                CheckIn::new(now, scale, lo - 1, CheckInContext::Other, now),
                Err(CheckInError::OutOfRange { .. })
            ));
            assert!(matches!(
                CheckIn::new(now, scale, hi + 1, CheckInContext::Other, now),
                Err(CheckInError::OutOfRange { .. })
            ));
        }
    }

    #[test]
    fn a_small_clock_skew_is_allowed_but_the_future_is_not() {
        let now = at(12, 0);
        let k = CheckInScale::Kss;
        assert!(CheckIn::new(at(12, 5), k, 5, CheckInContext::Other, now).is_ok());
        assert!(matches!(
            CheckIn::new(at(12, 6), k, 5, CheckInContext::Other, now),
            Err(CheckInError::InTheFuture { .. })
        ));
    }

    #[test]
    fn very_high_thresholds_differ_by_scale() {
        let now = at(12, 0);
        let c = |s, v| CheckIn::new(now, s, v, CheckInContext::Other, now).unwrap();
        assert!(!c(CheckInScale::Kss, 7).is_very_high());
        assert!(c(CheckInScale::Kss, 8).is_very_high());
        assert!(!c(CheckInScale::SamnPerelli, 5).is_very_high());
        assert!(c(CheckInScale::SamnPerelli, 6).is_very_high());
    }

    #[test]
    fn the_synced_record_is_rounded_and_dated_locally() {
        // 23:20 UTC on 1 July is 00:20 BST on 2 July.
        let t = Utc.with_ymd_and_hms(2025, 7, 1, 23, 20, 0).unwrap();
        let c = CheckIn::new(t, CheckInScale::Kss, 6, CheckInContext::BeforeDrive, t).unwrap();
        let london = LocalClock::from_name("Europe/London").unwrap();
        let r = c.to_record(&london);
        assert_eq!(
            r.taken_at,
            Utc.with_ymd_and_hms(2025, 7, 1, 23, 15, 0).unwrap()
        );
        assert_eq!(r.local_date.to_string(), "2025-07-02");
        assert!(models::SyncRecord::CheckIn(r).validate().is_ok());
    }

    #[test]
    fn the_log_stays_in_time_order() {
        let now = at(12, 0);
        let mut log = CheckInLog::new();
        for (h, v) in [(10, 3), (8, 4), (11, 5)] {
            log.add(
                CheckIn::new(at(h, 0), CheckInScale::Kss, v, CheckInContext::Other, now).unwrap(),
            )
            .unwrap();
        }
        let hours: Vec<u8> = log.entries().iter().map(CheckIn::value).collect();
        assert_eq!(hours, vec![4, 3, 5]);
    }
}
