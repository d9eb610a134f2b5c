//! Processing a sync batch (docs/api.md, "Sync").
//!
//! One transaction per batch. The device row is locked first, so batches of
//! one device are applied one at a time; then the idempotency key is looked
//! up (a replay returns the stored acknowledgement, marked `replayed`). Each
//! record is validated and consent-checked on its own: a bad record is
//! reported back and the rest are stored. Records are upserted by natural key;
//! an older batch (lower sequence from the same device) never overwrites a
//! newer one, so out-of-order delivery converges. The device's clock is never
//! used for ordering: only its sequence numbers.

use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Jsonb, Text, Uuid as SqlUuid};
use models::sync::{RecordOutcome, RecordResult, SyncAck, SyncBatch, SyncRecord};
use uuid::Uuid;

use super::people::{self, Consent};
use crate::error::{AppError, AppResult};

/// Days after the server's "today" a record's local date may be (time zones
/// and a fast phone clock); later dates are refused as `future_date`.
pub const FUTURE_DAYS_ALLOWED: i64 = 2;

fn discriminator(r: &SyncRecord) -> String {
    match r {
        SyncRecord::DailySummary(_) => String::new(),
        SyncRecord::CheckIn(c) => serde_json::to_value(c.context)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        SyncRecord::LearningProgress(l) => l.module_id.clone(),
    }
}

fn reject(code: &str, message: impl Into<String>) -> RecordOutcome {
    RecordOutcome::Rejected {
        code: code.to_owned(),
        message: message.into(),
    }
}

/// Checks one record before it touches the database.
pub fn check_record(r: &SyncRecord, consent: Consent, today: NaiveDate) -> Option<RecordOutcome> {
    if let Err(e) = r.validate() {
        let code = match e {
            models::ValidationError::NotRounded { .. } => "not_rounded",
            models::ValidationError::NotAnIdentifier { .. } => "invalid_identifier",
            _ => "out_of_range",
        };
        return Some(reject(code, e.to_string()));
    }
    if !consent.allows(r.kind()) {
        return Some(reject(
            "not_consented",
            format!("sharing {} is not part of the current consent", r.kind()),
        ));
    }
    if r.local_date() > today + Duration::days(FUTURE_DAYS_ALLOWED) {
        return Some(reject("future_date", "the record's date is in the future"));
    }
    None
}

/// Applies a batch for `person` from `device`.
///
/// # Errors
/// Not found when the device is gone (withdrawn); database errors (the whole
/// batch is rolled back by the caller's transaction).
pub fn apply(
    c: &mut PgConnection,
    force: Uuid,
    person: Uuid,
    device: Uuid,
    batch: &SyncBatch,
) -> AppResult<SyncAck> {
    #[derive(QueryableByName)]
    struct DeviceRow {
        #[diesel(sql_type = BigInt)]
        sync_cursor: i64,
    }
    let dev: DeviceRow = diesel::sql_query(
        "SELECT sync_cursor FROM devices WHERE force_id = $1 AND id = $2 AND person_id = $3 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(device)
    .bind::<SqlUuid, _>(person)
    .get_result(c)?;

    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = Jsonb)]
        ack: serde_json::Value,
    }
    let previous: Option<Stored> = diesel::sql_query(
        "SELECT ack FROM sync_batches WHERE force_id = $1 AND device_id = $2 AND idempotency_key = $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(device)
    .bind::<Text, _>(&batch.idempotency_key)
    .get_result(c)
    .optional()?;
    if let Some(prev) = previous {
        let mut ack: SyncAck = serde_json::from_value(prev.ack).map_err(AppError::internal)?;
        ack.replayed = true;
        ack.cursor = u64::try_from(dev.sync_cursor).unwrap_or(0);
        return Ok(ack);
    }

    let consent = people::consent(c, force, person)?;
    let sequence = i64::try_from(batch.sequence)
        .map_err(|_| AppError::invalid("out_of_range", "sequence is too large"))?;
    let today = Utc::now().date_naive();
    let mut results = Vec::with_capacity(batch.records.len());
    for (index, record) in batch.records.iter().enumerate() {
        let outcome = match check_record(record, consent, today) {
            Some(rejected) => rejected,
            None => upsert(c, force, person, device, sequence, record)?,
        };
        results.push(RecordResult { index, outcome });
    }
    let cursor = dev.sync_cursor.max(sequence);
    diesel::sql_query("UPDATE devices SET sync_cursor = $3 WHERE force_id = $1 AND id = $2")
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(device)
        .bind::<BigInt, _>(cursor)
        .execute(c)?;
    let ack = SyncAck {
        idempotency_key: batch.idempotency_key.clone(),
        results,
        cursor: u64::try_from(cursor).unwrap_or(0),
        replayed: false,
    };
    diesel::sql_query(
        "INSERT INTO sync_batches (force_id, device_id, idempotency_key, sequence, ack) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(device)
    .bind::<Text, _>(&batch.idempotency_key)
    .bind::<BigInt, _>(sequence)
    .bind::<Jsonb, _>(serde_json::to_value(&ack).map_err(AppError::internal)?)
    .execute(c)?;
    Ok(ack)
}

fn upsert(
    c: &mut PgConnection,
    force: Uuid,
    person: Uuid,
    device: Uuid,
    sequence: i64,
    record: &SyncRecord,
) -> AppResult<RecordOutcome> {
    let payload = serde_json::to_value(record).map_err(AppError::internal)?;
    // Returns a row only when something was written: a new key, or new
    // content that is not older than what the same device already sent.
    let written = diesel::sql_query(
        "INSERT INTO sync_records (force_id, person_id, local_date, kind, discriminator, payload, device_id, source_sequence) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (force_id, person_id, local_date, kind, discriminator) DO UPDATE \
         SET payload = EXCLUDED.payload, device_id = EXCLUDED.device_id, \
             source_sequence = EXCLUDED.source_sequence, updated_at = now() \
         WHERE sync_records.payload IS DISTINCT FROM EXCLUDED.payload \
           AND (sync_records.device_id <> EXCLUDED.device_id \
                OR sync_records.source_sequence <= EXCLUDED.source_sequence)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(person)
    .bind::<Date, _>(record.local_date())
    .bind::<Text, _>(record.kind())
    .bind::<Text, _>(discriminator(record))
    .bind::<Jsonb, _>(payload)
    .bind::<SqlUuid, _>(device)
    .bind::<BigInt, _>(sequence)
    .execute(c)?;
    Ok(if written > 0 {
        RecordOutcome::Stored
    } else {
        RecordOutcome::Unchanged
    })
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
) -> AppResult<Vec<models::SleepPeriod>> {
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
) -> AppResult<Vec<(Uuid, models::sync::DailySummary)>> {
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
