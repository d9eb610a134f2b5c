//! Retention periods and the lifecycle round: make the coming months, drop
//! the months every force's period has passed, and delete, force by force,
//! the rows of the months kept that a force's shorter period has passed.
//!
//! A month holds the rows of every force, so it can go only when the
//! longest period in effect has passed it: the round drops the months that
//! end before the earliest cutoff of all forces (and the default), then
//! deletes each force's rows older than its own cutoff from the months that
//! stay. With equal periods the deletes find only the days of the month the
//! cutoff falls in.
//!
//! Cutoffs: a synced record is kept while its local date is on or after
//! `today - records_days` (UTC date of `now`); a batch acknowledgement while
//! it was applied at or after `now - records_days`; an audit entry while it
//! was written at or after `now - audit_days`. The audit log's national
//! entries (no force) keep the default audit period.
//!
//! The owner's connection is bound by row-level security like the serving
//! role's (every force table's policies are forced, migration
//! `2026-12-05-000400_force_rls`), so a force's periods are read and its rows
//! deleted in a transaction scoped to that force ([`db::transaction`],
//! [`Scope::Force`]); the national audit entries are deleted outside any
//! force, through the policy that admits only the owner to them.
//!
//! "Now" is a parameter, so tests drive the clock against a real database.

use chrono::{DateTime, Duration, Months, NaiveDate, NaiveTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::store::{self, Partitioned};
use crate::accounts::store::Force;
use crate::db::{self, Scope};
use crate::error::AppResult;

/// Default days a force keeps synced figures (daily summaries, check-ins,
/// learning progress) and the batch acknowledgements that stored them: a
/// year of reports plus a margin (docs/privacy.md, "Retention").
pub const RECORDS_RETENTION_DAYS: u32 = 400;
/// Default days a force keeps its audit entries: six years (six years
/// after 1 March span 2,192 days when they hold two 29 Februaries), the
/// limitation period for a claim in contract or tort (Limitation Act 1980,
/// ss. 2 and 5), so who read an officer's data can be shown for as long as
/// the officer could bring a claim about it.
pub const AUDIT_RETENTION_DAYS: u32 = 2_192;
/// The shortest figures period a force may set: two of the longest report
/// periods (92 days each), so a quarterly report and the quarter it is
/// compared with still have their figures.
pub const MIN_RECORDS_RETENTION_DAYS: u32 = 184;
/// The shortest audit period a force may set: a year, and never shorter
/// than its figures period (the audit outlives what it accounts for).
pub const MIN_AUDIT_RETENTION_DAYS: u32 = 365;
/// The longest period a force may set for either.
pub const MAX_RETENTION_DAYS: u32 = 3_650;
/// Months made ahead of the current one.
pub const MONTHS_AHEAD: u32 = 3;
/// The advisory lock key of the lifecycle round ("life" in ASCII).
pub const LOCK_KEY: i64 = 0x6c69_6665;
/// How long the round waits for the lock a partition drop needs before it
/// gives up until the next round (it must not stall syncs).
const DROP_LOCK_TIMEOUT: &str = "10s";

/// A force's retention periods, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Synced figures and batch acknowledgements.
    pub records_days: u32,
    /// Audit entries.
    pub audit_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            records_days: RECORDS_RETENTION_DAYS,
            audit_days: AUDIT_RETENTION_DAYS,
        }
    }
}

impl Retention {
    /// The periods in effect for stored overrides (`None`, or a value that
    /// is not a positive day count, reads as the default).
    pub fn with_overrides(records_days: Option<i32>, audit_days: Option<i32>) -> Retention {
        let d = Retention::default();
        let pick = |v: Option<i32>, default: u32| {
            v.and_then(|v| u32::try_from(v).ok())
                .filter(|v| *v > 0)
                .unwrap_or(default)
        };
        Retention {
            records_days: pick(records_days, d.records_days),
            audit_days: pick(audit_days, d.audit_days),
        }
    }

    /// Checks the periods against the allowed ranges.
    ///
    /// # Errors
    /// Every problem, each naming its setting.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if !(MIN_RECORDS_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&self.records_days) {
            problems.push(format!(
                "records_days must be {MIN_RECORDS_RETENTION_DAYS} to {MAX_RETENTION_DAYS}"
            ));
        }
        if !(MIN_AUDIT_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&self.audit_days) {
            problems.push(format!(
                "audit_days must be {MIN_AUDIT_RETENTION_DAYS} to {MAX_RETENTION_DAYS}"
            ));
        }
        if self.audit_days < self.records_days {
            problems.push("audit_days must be at least records_days".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The earliest instant `table` keeps at `now`: for `sync_records` the
    /// UTC midnight starting the earliest local date kept.
    pub fn cutoff(&self, table: Partitioned, now: DateTime<Utc>) -> DateTime<Utc> {
        match table {
            Partitioned::SyncRecords => (now.date_naive() - days(self.records_days))
                .and_time(NaiveTime::MIN)
                .and_utc(),
            Partitioned::SyncBatches => now - days(self.records_days),
            Partitioned::AuditLog => now - days(self.audit_days),
        }
    }
}

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

/// Each force's periods in effect, each read in its force's scope.
///
/// # Errors
/// Database errors.
pub fn policies(c: &mut PgConnection) -> AppResult<Vec<(Uuid, Retention)>> {
    let mut out = Vec::new();
    for force in Force::all_ids(c)? {
        let retention = db::transaction(c, Scope::Force(force), |c| {
            crate::settings::service::retention_of(c, force)
        })?;
        out.push((force, retention));
    }
    Ok(out)
}

/// The months [`ensure_partitions`] makes at `now`: from the month of the
/// earliest date the longest figures period in effect keeps (so a load of
/// that history lands in months, not the default partition) to
/// [`MONTHS_AHEAD`] months after the current one. The audit log gets the
/// same range: its entries are written at the time, and older ones (a load)
/// wait in the default partition until their period ends.
pub fn months_to_make(now: DateTime<Utc>, longest_records_days: u32) -> (NaiveDate, NaiveDate) {
    let today = now.date_naive();
    let first = today - days(longest_records_days);
    let last = today
        .checked_add_months(Months::new(MONTHS_AHEAD))
        .unwrap_or(today);
    (first, last)
}

/// Makes the months of [`months_to_make`] that are missing, in every
/// partitioned table; returns how many it made. Idempotent; each table in a
/// transaction of its own.
///
/// # Errors
/// Database errors.
pub fn ensure_partitions(c: &mut PgConnection, now: DateTime<Utc>) -> AppResult<i64> {
    let longest = policies(c)?
        .iter()
        .map(|(_, r)| r.records_days)
        .fold(RECORDS_RETENTION_DAYS, u32::max);
    let (first, last) = months_to_make(now, longest);
    let mut made = 0;
    for table in Partitioned::ALL {
        made += c.transaction(|c| store::ensure_months(c, table, first, last))?;
    }
    Ok(made)
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    /// Months made.
    pub made: i64,
    /// Months dropped, by partition name.
    pub dropped: Vec<String>,
    /// Rows deleted from the months kept: (table, rows).
    pub deleted: Vec<(&'static str, usize)>,
}

impl Round {
    /// Whether the round changed nothing.
    pub fn is_idle(&self) -> bool {
        self.made == 0 && self.dropped.is_empty() && self.deleted.iter().all(|(_, n)| *n == 0)
    }
}

/// One lifecycle round at `now` on the owner's connection `c`: make the
/// coming months, then per table drop the months every period has passed
/// and delete each force's rows past its own period. `None` when another
/// instance holds the round's lock.
///
/// # Errors
/// Database errors (a partition whose lock was not had in time is left for
/// the next round, and the error says so).
pub fn run(c: &mut PgConnection, now: DateTime<Utc>) -> AppResult<Option<Round>> {
    if !store::try_lock(c, LOCK_KEY)? {
        return Ok(None);
    }
    let round = run_locked(c, now);
    let unlocked = store::unlock(c, LOCK_KEY);
    let round = round?;
    unlocked?;
    Ok(Some(round))
}

fn run_locked(c: &mut PgConnection, now: DateTime<Utc>) -> AppResult<Round> {
    let mut round = Round {
        made: ensure_partitions(c, now)?,
        ..Round::default()
    };
    let forces = policies(c)?;
    for table in Partitioned::ALL {
        let keep_from = forces
            .iter()
            .map(|(_, r)| r.cutoff(table, now))
            .fold(Retention::default().cutoff(table, now), DateTime::min);
        round.dropped.extend(c.transaction(|c| {
            c.batch_execute(&format!("SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'"))?;
            store::drop_months(c, table, keep_from)
        })?);
        // One transaction per force, scoped to it: the policies admit that
        // force's rows and no other's.
        let mut deleted = 0;
        for (force, retention) in &forces {
            deleted += db::transaction(c, Scope::Force(*force), |c| {
                store::delete_before(c, table, Some(*force), retention.cutoff(table, now))
            })?;
        }
        deleted += db::transaction(c, Scope::Platform, |c| {
            store::delete_before(c, table, None, Retention::default().cutoff(table, now))
        })?;
        round.deleted.push((table.table(), deleted));
    }
    Ok(round)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn cutoffs_are_the_periods_back_from_now() {
        let now = at("2027-03-15T12:00:00Z");
        let d = Retention::default();
        // 2027-03-15 - 400 days: back 365 days is 2026-03-15, 35 more is
        // 2026-02-08.
        assert_eq!(
            d.cutoff(Partitioned::SyncRecords, now),
            at("2026-02-08T00:00:00Z")
        );
        assert_eq!(
            d.cutoff(Partitioned::SyncBatches, now),
            at("2026-02-08T12:00:00Z")
        );
        // 2,192 days: six years back is 2021-03-15, which is 2,191 days
        // (one 29 February, 2024, between); one more day is 2021-03-14.
        assert_eq!(
            d.cutoff(Partitioned::AuditLog, now),
            at("2021-03-14T12:00:00Z")
        );
        // 200 days from 2027-03-15: 14 to 1 March, 28 of February, 31, 31,
        // 30, 31, 30 back to 1 September (195), 5 more is 27 August 2026.
        let short = Retention {
            records_days: 200,
            audit_days: 730,
        };
        assert_eq!(
            short.cutoff(Partitioned::SyncRecords, now),
            at("2026-08-27T00:00:00Z")
        );
        assert_eq!(
            short.cutoff(Partitioned::AuditLog, now),
            at("2025-03-15T12:00:00Z")
        );
    }

    #[test]
    fn overrides_replace_the_defaults_and_are_checked() {
        assert_eq!(Retention::with_overrides(None, None), Retention::default());
        assert_eq!(
            Retention::with_overrides(Some(200), None),
            Retention {
                records_days: 200,
                audit_days: AUDIT_RETENTION_DAYS
            }
        );
        assert_eq!(
            Retention::with_overrides(Some(-5), Some(0)),
            Retention::default()
        );
        assert!(Retention::default().validate().is_ok());
        let too_short = Retention {
            records_days: 183,
            audit_days: 364,
        };
        assert_eq!(too_short.validate().unwrap_err().len(), 2);
        let audit_first = Retention {
            records_days: 800,
            audit_days: 700,
        };
        assert_eq!(
            audit_first.validate().unwrap_err(),
            vec!["audit_days must be at least records_days".to_owned()]
        );
    }

    #[test]
    fn months_are_made_from_the_longest_period_to_three_ahead() {
        let (first, last) = months_to_make(at("2026-12-03T00:22:00Z"), 400);
        // 2026-12-03 - 400 days = 2025-10-29; + 3 months = 2027-03-03.
        assert_eq!(first, NaiveDate::from_ymd_opt(2025, 10, 29).unwrap());
        assert_eq!(last, NaiveDate::from_ymd_opt(2027, 3, 3).unwrap());
    }
}
