//! Sync's SQL: the four set-based statements a round of batches takes
//! (lock the devices, look up idempotency keys, upsert records, move the
//! cursors and store the acknowledgements), each prepared once per
//! connection ([`Prepared`]), and the reads of synced summaries. What a
//! batch means is decided in [`super::service`].

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Jsonb, Text, Uuid as SqlUuid};
use models::sync::SyncRecord;
use uuid::Uuid;

use crate::db::Prepared;

/// A locked device with its person's consent.
#[derive(Debug, Clone, QueryableByName)]
pub struct LockedDevice {
    /// Force.
    #[diesel(sql_type = SqlUuid)]
    pub force_id: Uuid,
    /// Device.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its person.
    #[diesel(sql_type = SqlUuid)]
    pub person_id: Uuid,
    /// The highest sequence applied.
    #[diesel(sql_type = BigInt)]
    pub sync_cursor: i64,
    /// The person's consent as stored.
    #[diesel(sql_type = Text)]
    pub consent: String,
    /// How many of the person's other devices were enrolled or paired after
    /// this one ([`models::sync::SyncAck::newer_devices`]).
    #[diesel(sql_type = BigInt)]
    pub newer_devices: i64,
}

/// Locks the devices `keys` ((force, device), sorted and distinct), and
/// their persons against a change of consent or a withdrawal until the
/// batch commits, and reads their consent under the lock, and how many
/// devices their person has paired since each (one probe of
/// `devices_by_person`). One primary-key probe per device (the
/// LATERAL keeps the planner from a join that could scan the table), locked
/// in (force, id) order, so two groups locking overlapping devices cannot
/// deadlock. A device that is gone is missing from the answer.
///
/// # Errors
/// Database errors.
pub fn lock_devices(c: &mut PgConnection, keys: &[(Uuid, Uuid)]) -> QueryResult<Vec<LockedDevice>> {
    Prepared(
        diesel::sql_query(
            "SELECT d.force_id, d.id, d.person_id, d.sync_cursor, d.consent, d.newer_devices \
             FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS w(force_id, id, n) \
             CROSS JOIN LATERAL (SELECT x.force_id, x.id, x.person_id, x.sync_cursor, p.consent, \
                     (SELECT count(*) FROM devices o WHERE o.force_id = x.force_id \
                      AND o.person_id = x.person_id AND o.created_at > x.created_at) AS newer_devices \
                 FROM devices x JOIN persons p ON p.force_id = x.force_id AND p.id = x.person_id \
                 WHERE x.force_id = w.force_id AND x.id = w.id FOR UPDATE OF x FOR SHARE OF p) AS d \
             ORDER BY w.n",
        )
        .bind::<Array<SqlUuid>, _>(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(keys.iter().map(|k| k.1).collect::<Vec<_>>()),
    )
    .load(c)
}

/// A batch to look up or record: (force, device, idempotency key).
pub type BatchKey<'a> = (Uuid, Uuid, &'a str);

/// The stored acknowledgement of a batch already applied.
#[derive(Debug, Clone, QueryableByName)]
pub struct StoredAck {
    /// The batch's device.
    #[diesel(sql_type = SqlUuid)]
    pub device_id: Uuid,
    /// Its acknowledgement as first sent; `None` when retention has dropped
    /// the month that held it (the key itself is never dropped).
    #[diesel(sql_type = diesel::sql_types::Nullable<Jsonb>)]
    pub ack: Option<serde_json::Value>,
}

/// The stored acknowledgements of those of `batches` already applied.
///
/// A statement of its own, after the lock: in READ COMMITTED it sees a
/// duplicate of a batch that committed while we waited (a statement that
/// both locked and looked up would not). One primary-key probe per batch:
/// the LIMIT keeps the planner from turning the lateral lookup into a join,
/// which with the prepared (generic) plan became a scan of the whole table
/// (6.5 ms a call at 34,000 batches, pg_stat_statements).
///
/// The key is looked up in `sync_batch_keys`, the unpartitioned table that
/// keeps every key unique across months (migration
/// `2026-12-04-000100_partitions_retention`); its `received_at` names the
/// one month of `sync_batches` holding the acknowledgement, so the second
/// probe reads one partition (run-time partition pruning on the
/// correlated parameter) however many months there are.
///
/// # Errors
/// Database errors.
pub fn stored_acks(c: &mut PgConnection, batches: &[BatchKey<'_>]) -> QueryResult<Vec<StoredAck>> {
    Prepared(
        diesel::sql_query(
            "SELECT w.device_id, b.ack \
             FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS w(force_id, device_id, idempotency_key) \
             CROSS JOIN LATERAL (SELECT (SELECT s.ack FROM sync_batches s \
                     WHERE s.force_id = k.force_id AND s.device_id = k.device_id \
                       AND s.idempotency_key = k.idempotency_key \
                       AND s.received_at = k.received_at) AS ack \
                 FROM sync_batch_keys k \
                 WHERE k.force_id = w.force_id AND k.device_id = w.device_id \
                   AND k.idempotency_key = w.idempotency_key LIMIT 1) AS b",
        )
        .bind::<Array<SqlUuid>, _>(batches.iter().map(|b| b.0).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(batches.iter().map(|b| b.1).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batches.iter().map(|b| b.2).collect::<Vec<_>>()),
    )
    .load(c)
}

/// A record to upsert under its natural key.
#[derive(Debug, Clone)]
pub struct RecordRow<'a> {
    /// Force.
    pub force: Uuid,
    /// Person.
    pub person: Uuid,
    /// The record's local date.
    pub local_date: NaiveDate,
    /// Its kind.
    pub kind: &'a str,
    /// What tells records of one kind and day apart.
    pub discriminator: &'a str,
    /// The record.
    pub payload: serde_json::Value,
    /// The device that sent it.
    pub device: Uuid,
    /// The batch's sequence.
    pub sequence: i64,
}

/// The natural key of a record written.
#[derive(Debug, Clone, QueryableByName)]
pub struct Written {
    /// Person.
    #[diesel(sql_type = SqlUuid)]
    pub person_id: Uuid,
    /// Local date.
    #[diesel(sql_type = Date)]
    pub local_date: NaiveDate,
    /// Kind.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Discriminator.
    #[diesel(sql_type = Text)]
    pub discriminator: String,
}

/// Upserts `rows` (distinct natural keys) in one statement; returns the keys
/// written: new, or new content not older than what the same device already
/// sent. Rows go in key order, so two transactions writing the same keys
/// take their row locks in the same order and cannot deadlock.
///
/// # Errors
/// Database errors.
pub fn upsert_records(c: &mut PgConnection, rows: Vec<RecordRow<'_>>) -> QueryResult<Vec<Written>> {
    Prepared(
        diesel::sql_query(
            "INSERT INTO sync_records (force_id, person_id, local_date, kind, discriminator, payload, device_id, source_sequence) \
             SELECT r.force_id, r.person_id, r.local_date, r.kind, r.discriminator, r.payload, r.device_id, r.source_sequence \
             FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::text[], $5::text[], $6::jsonb[], $7::uuid[], $8::bigint[]) \
               AS r(force_id, person_id, local_date, kind, discriminator, payload, device_id, source_sequence) \
             ORDER BY r.force_id, r.person_id, r.local_date, r.kind, r.discriminator \
             ON CONFLICT (force_id, person_id, local_date, kind, discriminator) DO UPDATE \
             SET payload = EXCLUDED.payload, device_id = EXCLUDED.device_id, \
                 source_sequence = EXCLUDED.source_sequence, updated_at = now() \
             WHERE sync_records.payload IS DISTINCT FROM EXCLUDED.payload \
               AND (sync_records.device_id <> EXCLUDED.device_id \
                    OR sync_records.source_sequence <= EXCLUDED.source_sequence) \
             RETURNING person_id, local_date, kind, discriminator",
        )
        .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.force).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.person).collect::<Vec<_>>())
        .bind::<Array<Date>, _>(rows.iter().map(|r| r.local_date).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.kind).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.discriminator).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(rows.iter().map(|r| r.payload.clone()).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.device).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.sequence).collect::<Vec<_>>()),
    )
    .load(c)
}

/// A batch applied: its key, sequence and acknowledgement.
#[derive(Debug, Clone)]
pub struct AppliedBatch<'a> {
    /// (force, device, idempotency key).
    pub key: BatchKey<'a>,
    /// Its sequence.
    pub sequence: i64,
    /// Its acknowledgement, as sent.
    pub ack: serde_json::Value,
}

/// Moves each device's cursor up to its batch's sequence and stores the
/// batches' acknowledgements, in one statement (the `sync_batch_key`
/// trigger records each key in `sync_batch_keys`).
///
/// # Errors
/// Database errors (a unique violation when a batch was stored meanwhile).
pub fn record_batches(c: &mut PgConnection, batches: &[AppliedBatch<'_>]) -> QueryResult<usize> {
    Prepared(
        diesel::sql_query(
            "WITH v AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::jsonb[]) \
                 AS v(force_id, device_id, idempotency_key, sequence, ack)), \
             moved AS (UPDATE devices d SET sync_cursor = v.sequence FROM v \
                 WHERE d.force_id = v.force_id AND d.id = v.device_id AND d.sync_cursor < v.sequence) \
             INSERT INTO sync_batches (force_id, device_id, idempotency_key, sequence, ack) \
             SELECT v.force_id, v.device_id, v.idempotency_key, v.sequence, v.ack FROM v",
        )
        .bind::<Array<SqlUuid>, _>(batches.iter().map(|b| b.key.0).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(batches.iter().map(|b| b.key.1).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batches.iter().map(|b| b.key.2).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(batches.iter().map(|b| b.sequence).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(batches.iter().map(|b| b.ack.clone()).collect::<Vec<_>>()),
    )
    .execute(c)
}

/// Recorded main sleeps of one member of staff (when enrolled and sharing)
/// in a period, from their daily summaries.
///
/// # Errors
/// Database errors.
pub fn recorded_sleeps(
    c: &mut PgConnection,
    force: Uuid,
    staff: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<models::SleepPeriod>> {
    Ok(team_summaries(c, force, &[staff.to_owned()], from, to)?
        .into_iter()
        .filter_map(|(_, s)| models::SleepPeriod::new(s.main_sleep_start?, s.main_sleep_end?).ok())
        .collect())
}

/// Daily summaries of a team's consenting, enrolled members in a period:
/// (person, summary).
///
/// # Errors
/// Database errors.
pub fn team_summaries(
    c: &mut PgConnection,
    force: Uuid,
    staff: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(Uuid, models::sync::DailySummary)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        person_id: Uuid,
        #[diesel(sql_type = Jsonb)]
        payload: serde_json::Value,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT r.person_id, r.payload FROM sync_records r \
         JOIN persons p ON p.force_id = r.force_id AND p.id = r.person_id \
         JOIN staff_links l ON l.force_id = r.force_id AND l.person_id = r.person_id \
         WHERE r.force_id = $1 AND l.staff_number = ANY($2) AND r.kind = 'daily_summary' \
           AND p.consent <> 'roster_only' AND r.local_date BETWEEN $3 AND $4",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<diesel::sql_types::Array<Text>, _>(staff)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(c)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match serde_json::from_value::<SyncRecord>(r.payload) {
            Ok(SyncRecord::DailySummary(s)) => Some((r.person_id, s)),
            _ => None,
        })
        .collect())
}
