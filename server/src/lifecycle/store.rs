//! The lifecycle's SQL, run on the owner's connection: the month helpers of
//! the migration (`ensure_month_partitions`, `drop_month_partitions`,
//! `month_partitions`) and the deletes of rows past a force's period (run in
//! that force's scope: the owner is bound by row-level security too).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::Found;

/// A partitioned table and what its months are of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioned {
    /// `sync_records`, by the record's local date.
    SyncRecords,
    /// `sync_batches`, by when the batch was applied.
    SyncBatches,
    /// `audit_log`, by when the action happened.
    AuditLog,
}

impl Partitioned {
    /// Every partitioned table.
    pub const ALL: [Partitioned; 3] = [
        Partitioned::SyncRecords,
        Partitioned::SyncBatches,
        Partitioned::AuditLog,
    ];

    /// The table's name.
    pub fn table(self) -> &'static str {
        match self {
            Partitioned::SyncRecords => "sync_records",
            Partitioned::SyncBatches => "sync_batches",
            Partitioned::AuditLog => "audit_log",
        }
    }
}

/// Makes `table`'s missing months from `first`'s to `last`'s, moving rows
/// waiting in its default partition; returns how many it made.
///
/// # Errors
/// Database errors.
pub fn ensure_months(
    c: &mut PgConnection,
    table: Partitioned,
    first: NaiveDate,
    last: NaiveDate,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Made {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let made: Made = diesel::sql_query(
        "SELECT ensure_month_partitions($1::text::regclass, $2, $3)::bigint AS n",
    )
    .bind::<Text, _>(table.table())
    .bind::<Date, _>(first)
    .bind::<Date, _>(last)
    .get_result(c)?;
    Ok(made.n)
}

/// Drops `table`'s months that end at or before `keep_from`; returns their
/// names.
///
/// # Errors
/// Database errors (a lock not had within the transaction's
/// `lock_timeout`).
pub fn drop_months(
    c: &mut PgConnection,
    table: Partitioned,
    keep_from: DateTime<Utc>,
) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Dropped {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let rows: Vec<Dropped> =
        diesel::sql_query("SELECT name FROM drop_month_partitions($1::text::regclass, $2) AS name")
            .bind::<Text, _>(table.table())
            .bind::<Timestamptz, _>(keep_from)
            .load(c)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// `table`'s monthly partitions: (name, first day of the month).
///
/// # Errors
/// Database errors.
pub fn months(c: &mut PgConnection, table: Partitioned) -> QueryResult<Vec<(String, NaiveDate)>> {
    #[derive(QueryableByName)]
    struct Month {
        #[diesel(sql_type = Text)]
        partition: String,
        #[diesel(sql_type = Date)]
        month: NaiveDate,
    }
    let rows: Vec<Month> =
        diesel::sql_query("SELECT partition, month FROM month_partitions($1::text::regclass)")
            .bind::<Text, _>(table.table())
            .load(c)?;
    Ok(rows.into_iter().map(|m| (m.partition, m.month)).collect())
}

/// Deletes `force`'s rows of `table` from before `cutoff` (for
/// `sync_records`, local dates before `cutoff`'s UTC date); `None` is the
/// audit log's national entries, which have no force. Returns how many.
///
/// # Errors
/// Database errors.
pub fn delete_before(
    c: &mut PgConnection,
    table: Partitioned,
    force: Option<Uuid>,
    cutoff: DateTime<Utc>,
) -> QueryResult<usize> {
    // Partition pruning keeps each delete to the months before the cutoff
    // still kept and the default partition.
    match (table, force) {
        (Partitioned::SyncRecords, Some(f)) => {
            diesel::sql_query("DELETE FROM sync_records WHERE force_id = $1 AND local_date < $2")
                .bind::<SqlUuid, _>(f)
                .bind::<Date, _>(cutoff.date_naive())
                .execute(c)
        }
        (Partitioned::SyncBatches, Some(f)) => {
            diesel::sql_query("DELETE FROM sync_batches WHERE force_id = $1 AND received_at < $2")
                .bind::<SqlUuid, _>(f)
                .bind::<Timestamptz, _>(cutoff)
                .execute(c)
        }
        (Partitioned::AuditLog, Some(f)) => {
            diesel::sql_query("DELETE FROM audit_log WHERE force_id = $1 AND at < $2")
                .bind::<SqlUuid, _>(f)
                .bind::<Timestamptz, _>(cutoff)
                .execute(c)
        }
        (Partitioned::AuditLog, None) => {
            diesel::sql_query("DELETE FROM audit_log WHERE force_id IS NULL AND at < $1")
                .bind::<Timestamptz, _>(cutoff)
                .execute(c)
        }
        // Every synced row has a force.
        (Partitioned::SyncRecords | Partitioned::SyncBatches, None) => Ok(0),
    }
}

/// Takes the lifecycle's session advisory lock without waiting: false when
/// another instance holds it.
///
/// # Errors
/// Database errors.
pub fn try_lock(c: &mut PgConnection, key: i64) -> QueryResult<bool> {
    let f: Found = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS found")
        .bind::<BigInt, _>(key)
        .get_result(c)?;
    Ok(f.found)
}

/// Releases the lock [`try_lock`] took.
///
/// # Errors
/// Database errors.
pub fn unlock(c: &mut PgConnection, key: i64) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(key)
        .execute(c)
        .map(|_| ())
}
