//! Plain-data inputs, as the server loads them from PostgreSQL.
//!
//! Fatigue Index and HRI are taken as computed by `mobile-core`; nothing
//! here recomputes them. Every record is checked by [`PersonRecords::clean`]:
//! a bad record is dropped and counted under a [`Rejection`] reason, and the
//! rest of the person's records are kept.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use mobile_core::roster::AbsenceCategory;
use models::ShiftType;
use models::sync::{CheckInRecord, DailySummary, LearningProgress, SyncRecord};
use serde::{Deserialize, Serialize};

use crate::AnalyticsError;

/// Who a person is, as far as analytics may know: a pseudonym and where they work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Pseudonymous id (never a staff number).
    pub id: String,
    /// Force name or code.
    pub force: String,
    /// Command (BCU, department) within the force.
    pub command: String,
    /// Team within the command.
    pub team: String,
    /// Role, e.g. `response`, `cid`, `control_room`.
    pub role: String,
    /// Employment type from the force's HR file; `None` when not known.
    #[serde(default)]
    pub employment_type: Option<models::staff::EmploymentType>,
}

/// One shift as assessed by the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftRecord {
    /// Start of duty, UTC.
    pub start: DateTime<Utc>,
    /// End of duty, UTC.
    pub end: DateTime<Utc>,
    /// Type by local start hour.
    pub shift_type: ShiftType,
    /// Fatigue Index 0..=100 (`mobile_core::fatigue_index`).
    pub fatigue_index: f64,
    /// Night shift by the WTR rule (≥ 3 h between 23:00 and 06:00 local):
    /// the FI threshold is 45 for these and 35 otherwise.
    pub night: bool,
    /// Mean HRI over the shift's hours (`mobile_core::hourly_risk`).
    pub hri_mean: f64,
    /// Peak hourly HRI.
    pub hri_peak: f64,
    /// The shift's Risk Index: `hri_mean` over the reference roster's mean
    /// HRI (`mobile_core::hourly_risk::risk_index_of`), the figure the 1.6
    /// threshold applies to.
    pub risk_index: f64,
}

impl From<&mobile_core::roster::assess::ShiftAssessment> for ShiftRecord {
    /// The engine's per-shift assessment, as the report reads it (the
    /// engine's flags are not copied: the report derives person-level
    /// figures from the same limits in [`crate::indicators`]).
    fn from(a: &mobile_core::roster::assess::ShiftAssessment) -> Self {
        Self {
            start: a.start.with_timezone(&Utc),
            end: a.end.with_timezone(&Utc),
            shift_type: a.shift_type,
            fatigue_index: a.fatigue_index,
            night: a.night,
            hri_mean: a.hri_mean,
            hri_peak: a.hri_peak,
            risk_index: a.risk_index,
        }
    }
}

/// A day absent, as the roster marks it: the local date and why, nothing
/// more (WTR reg. 4(6); `mobile_core::roster::AbsenceCategory` is the one
/// home of which activity labels are absences).
pub type Absence = (NaiveDate, AbsenceCategory);

/// A duty's start and end, without the engine's assessment: all that the
/// Working Time Regulations' 17-week figures (frm-indicators #6, #7) need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Duty {
    /// Start, UTC.
    pub start: DateTime<Utc>,
    /// End, UTC.
    pub end: DateTime<Utc>,
}

/// What a roster change did (frm-indicators #10, #11), as the server records
/// it when a roster is uploaded (`server::db::rosters::store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RosterChangeKind {
    /// A duty put on a published rest day.
    RestDayWorked,
    /// A duty's start brought earlier.
    StartAdvanced,
}

/// One roster change: the duty it concerns and when it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RosterChange {
    /// What changed.
    pub kind: RosterChangeKind,
    /// The (new) duty's start, UTC.
    pub duty_start: DateTime<Utc>,
    /// When the change was published (the upload), UTC.
    pub changed_at: DateTime<Utc>,
}

impl RosterChange {
    /// How long before the duty the change was made (negative when made
    /// after it started).
    pub fn notice(&self) -> chrono::Duration {
        self.duty_start - self.changed_at
    }
}

/// Everything analytics gets about one person: their rostered shifts and,
/// only where they consented, daily summaries and check-ins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonRecords {
    /// The person.
    pub person: Person,
    /// Shifts, any order; may reach back before the period (for quick
    /// returns, runs of nights and 7-day hours at the period's start).
    pub shifts: Vec<ShiftRecord>,
    /// Consented daily summaries.
    pub summaries: Vec<DailySummary>,
    /// Consented check-ins.
    pub checkins: Vec<CheckInRecord>,
    /// Learning progress synced from the app (any consent level: it says
    /// which modules were read, nothing about health).
    #[serde(default)]
    pub learning: Vec<LearningProgress>,
    /// Duties of the 17 weeks before the period's end, for the Working Time
    /// Regulations' averages ([`crate::indicators::working_time_figures`])
    /// and weekly rest, and the published roster's duties after the period
    /// (the make-up days of reg. 4(6), rests running past the period's
    /// end); they may repeat `shifts`, which count as duties too (after
    /// [`PersonRecords::clean`], this holds every duty once, sorted). The
    /// engine's assessment is not needed for these, so the server loads them
    /// further back, and further on, than it assesses.
    #[serde(default)]
    pub reference_duties: Vec<Duty>,
    /// Days absent on leave, sickness or parental leave, from the 17 weeks
    /// before the period's end (any order; a date given twice counts once).
    #[serde(default)]
    pub absences: Vec<Absence>,
    /// Roster changes of the 12 months before the period's end: rest days
    /// worked and starts brought forward.
    #[serde(default)]
    pub roster_changes: Vec<RosterChange>,
}

/// Why a record was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// A second person with an id already seen.
    DuplicatePerson,
    /// A shift with end not after start, over 24 h, or FI/HRI/Risk Index out of range or not finite.
    InvalidShift,
    /// A shift starting at the same instant as another of the same person.
    DuplicateShift,
    /// A shift starting before the person's previous shift ended.
    OverlappingShift,
    /// A summary failing the sync validation.
    InvalidSummary,
    /// A second summary for the same local date.
    DuplicateSummary,
    /// A check-in failing the sync validation.
    InvalidCheckIn,
    /// A learning progress record failing the sync validation.
    InvalidLearning,
}

/// Counts of records left out, by reason (reported in every output).
pub type Rejections = BTreeMap<Rejection, u64>;

fn shift_is_valid(s: &ShiftRecord) -> bool {
    let hours = (s.end - s.start).num_minutes();
    s.end > s.start
        && hours <= i64::from(models::roster::MAX_SHIFT_HOURS) * 60
        && s.fatigue_index.is_finite()
        && (0.0..=100.0).contains(&s.fatigue_index)
        && s.hri_mean.is_finite()
        && s.hri_peak.is_finite()
        && s.hri_mean >= 0.0
        && s.hri_peak >= 0.0
        && s.risk_index.is_finite()
        && s.risk_index >= 0.0
}

impl PersonRecords {
    /// Sorts the records and drops the bad ones, counting them.
    pub fn clean(mut self, rejections: &mut Rejections) -> Self {
        let mut count = |r: Rejection| *rejections.entry(r).or_insert(0) += 1;
        self.shifts
            .sort_by(|a, b| a.start.cmp(&b.start).then(a.end.cmp(&b.end)));
        let mut kept: Vec<ShiftRecord> = Vec::with_capacity(self.shifts.len());
        for s in self.shifts {
            if !shift_is_valid(&s) {
                count(Rejection::InvalidShift);
            } else if kept.last().is_some_and(|p| p.start == s.start) {
                count(Rejection::DuplicateShift);
            } else if kept.last().is_some_and(|p| s.start < p.end) {
                count(Rejection::OverlappingShift);
            } else {
                kept.push(s);
            }
        }
        self.shifts = kept;
        // The shifts are duties too; a duty given in both lists counts once.
        let mut duties: Vec<Duty> = self
            .reference_duties
            .iter()
            .copied()
            .chain(self.shifts.iter().map(|s| Duty {
                start: s.start,
                end: s.end,
            }))
            .collect();
        duties.sort_unstable();
        duties.dedup();
        let mut kept: Vec<Duty> = Vec::with_capacity(duties.len());
        for d in duties {
            let minutes = (d.end - d.start).num_minutes();
            if d.end <= d.start || minutes > i64::from(models::roster::MAX_SHIFT_HOURS) * 60 {
                count(Rejection::InvalidShift);
            } else if kept.last().is_some_and(|p| d.start < p.end) {
                count(Rejection::OverlappingShift);
            } else {
                kept.push(d);
            }
        }
        self.reference_duties = kept;
        self.roster_changes.sort_unstable();
        self.roster_changes.dedup();
        self.absences.sort_unstable();
        self.absences.dedup_by_key(|a| a.0);
        self.summaries.sort_by_key(|s| s.local_date);
        let mut summaries: Vec<DailySummary> = Vec::with_capacity(self.summaries.len());
        for s in self.summaries {
            if SyncRecord::DailySummary(s.clone()).validate().is_err() {
                count(Rejection::InvalidSummary);
            } else if summaries
                .last()
                .is_some_and(|p| p.local_date == s.local_date)
            {
                count(Rejection::DuplicateSummary);
            } else {
                summaries.push(s);
            }
        }
        self.summaries = summaries;
        let before = self.checkins.len();
        self.checkins
            .retain(|c| SyncRecord::CheckIn(c.clone()).validate().is_ok());
        for _ in self.checkins.len()..before {
            count(Rejection::InvalidCheckIn);
        }
        self.checkins.sort_by_key(|c| c.taken_at);
        let before = self.learning.len();
        self.learning
            .retain(|l| SyncRecord::LearningProgress(l.clone()).validate().is_ok());
        for _ in self.learning.len()..before {
            count(Rejection::InvalidLearning);
        }
        self.learning.sort_by(|a, b| {
            (a.local_date, &a.module_id, a.completed).cmp(&(
                b.local_date,
                &b.module_id,
                b.completed,
            ))
        });
        self
    }
}

/// Cleans everyone, dropping repeated person ids; sorted by id so the
/// output never depends on input order.
pub fn clean_all(people: Vec<PersonRecords>, rejections: &mut Rejections) -> Vec<PersonRecords> {
    let mut by_id: BTreeMap<String, PersonRecords> = BTreeMap::new();
    for p in people {
        if by_id.contains_key(&p.person.id) {
            *rejections.entry(Rejection::DuplicatePerson).or_insert(0) += 1;
            continue;
        }
        let p = p.clean(rejections);
        by_id.insert(p.person.id.clone(), p);
    }
    by_id.into_values().collect()
}

// The local-date period and local clock instants are the engine's
// (`mobile_core::period`), re-exported so the report's callers keep one path.
pub use mobile_core::period::{MAX_PERIOD_DAYS, Period, local_instant};

/// Parses an IANA zone name.
///
/// # Errors
/// [`AnalyticsError::UnknownZone`].
pub fn parse_zone(name: &str) -> Result<Tz, AnalyticsError> {
    name.parse::<Tz>()
        .map_err(|_| AnalyticsError::UnknownZone(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate, TimeZone};
    use models::sync::{CheckInContext, CheckInScale};

    fn shift(h: i64, len: i64) -> ShiftRecord {
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + Duration::hours(h);
        ShiftRecord {
            start,
            end: start + Duration::hours(len),
            shift_type: ShiftType::Day,
            fatigue_index: 20.0,
            night: false,
            hri_mean: 1.0,
            hri_peak: 1.1,
            risk_index: 0.9,
        }
    }

    fn summary(day: u32, minutes: u32) -> DailySummary {
        DailySummary {
            local_date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
            main_sleep_start: None,
            main_sleep_end: None,
            sleep_minutes: minutes,
            sleep_debt_minutes: 0,
            recovery_score: None,
            recovery_band: None,
            hrv_deviation_sd: None,
            resting_hr_deviation_bpm: None,
        }
    }

    #[test]
    fn cleaning_counts_each_bad_record_and_keeps_the_rest() {
        let mut negative_hri = shift(100, 8);
        negative_hri.hri_mean = -1.0;
        let records = PersonRecords {
            person: Person {
                id: "p1".into(),
                force: "F".into(),
                command: "C".into(),
                team: "T".into(),
                role: "response".into(),
                employment_type: None,
            },
            shifts: vec![
                shift(30, 8),
                shift(0, 10),
                shift(5, 8),
                shift(0, 9),
                shift(50, 30),
                negative_hri,
            ],
            summaries: vec![
                summary(3, 400),
                summary(2, 420),
                summary(3, 380),
                summary(4, 2000),
            ],
            checkins: vec![CheckInRecord {
                local_date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                taken_at: Utc.with_ymd_and_hms(2026, 3, 2, 7, 0, 0).unwrap(),
                scale: CheckInScale::Kss,
                value: 12,
                context: CheckInContext::Other,
            }],
            learning: vec![LearningProgress {
                local_date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                module_id: String::new(),
                completed: true,
            }],
            reference_duties: {
                let kept = shift(0, 9);
                let at = |h: i64, len: i64| Duty {
                    start: kept.start + Duration::hours(h),
                    end: kept.start + Duration::hours(h + len),
                };
                vec![
                    Duty {
                        start: kept.start,
                        end: kept.end,
                    }, // the kept shift again: counted once, not rejected
                    at(-200, 8),  // an earlier duty: kept
                    at(-100, -1), // ends before it starts
                    at(1, 4),     // overlaps the kept shift
                ]
            },
            roster_changes: Vec::new(),
            absences: Vec::new(),
        };
        let mut rejections = Rejections::new();
        let clean = records.clean(&mut rejections);
        // shift(0, 9) sorts first, shift(0, 10) duplicates its start, shift(5, 8) overlaps it.
        assert_eq!(clean.shifts.len(), 2);
        assert_eq!(
            clean.shifts[0].end - clean.shifts[0].start,
            Duration::hours(9)
        );
        assert_eq!(rejections[&Rejection::DuplicateShift], 1);
        assert_eq!(
            rejections[&Rejection::OverlappingShift],
            2,
            "a shift and a duty"
        );
        assert_eq!(
            rejections[&Rejection::InvalidShift],
            3,
            "30 h shift, negative HRI, a duty ending before it starts"
        );
        // The earlier duty and the two kept shifts, in order.
        let duties: Vec<(DateTime<Utc>, DateTime<Utc>)> = clean
            .reference_duties
            .iter()
            .map(|d| (d.start, d.end))
            .collect();
        let mut expected = vec![(
            clean.shifts[0].start - Duration::hours(200),
            clean.shifts[0].start - Duration::hours(192),
        )];
        expected.extend(clean.shifts.iter().map(|s| (s.start, s.end)));
        assert_eq!(duties, expected);
        assert_eq!(clean.summaries.len(), 2);
        assert_eq!(rejections[&Rejection::DuplicateSummary], 1);
        assert_eq!(rejections[&Rejection::InvalidSummary], 1);
        assert!(clean.checkins.is_empty());
        assert_eq!(rejections[&Rejection::InvalidCheckIn], 1);
        assert!(clean.learning.is_empty(), "an empty module id is refused");
        assert_eq!(rejections[&Rejection::InvalidLearning], 1);
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert!(parse_zone("Europe/London").is_ok());
        assert!(parse_zone("Not/AZone").is_err());
    }
}
