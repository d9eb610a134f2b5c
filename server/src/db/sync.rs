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
use diesel::sql_types::{Array, BigInt, Date, Jsonb, Text, Uuid as SqlUuid};
use models::sync::{RecordOutcome, RecordResult, SyncAck, SyncBatch, SyncRecord};
use uuid::Uuid;

use super::Prepared;
use super::people::Consent;
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

/// Applies a batch for `person` from `device`, in the caller's transaction,
/// in four round trips: lock the device and read the consent; look up the
/// idempotency key; upsert every accepted record in one statement; move the
/// cursor and store the acknowledgement in one statement. Each is a prepared
/// statement ([`Prepared`]), parsed and planned once per connection.
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
        #[diesel(sql_type = Text)]
        consent: String,
    }
    // Batches of one device wait here for each other. The consent is read
    // with the lock, as it was read after it before.
    let dev: DeviceRow = Prepared(
        diesel::sql_query(
            "SELECT d.sync_cursor, p.consent FROM devices d \
             JOIN persons p ON p.force_id = d.force_id AND p.id = d.person_id \
             WHERE d.force_id = $1 AND d.id = $2 AND d.person_id = $3 FOR UPDATE OF d",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(device)
        .bind::<SqlUuid, _>(person),
    )
    .get_result(c)?;

    // A statement of its own, after the lock: in READ COMMITTED it sees a
    // duplicate of this batch that committed while we waited (a statement
    // that both locked and looked up would not).
    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = Jsonb)]
        ack: serde_json::Value,
    }
    let previous: Option<Stored> = Prepared(
        diesel::sql_query(
            "SELECT ack FROM sync_batches WHERE force_id = $1 AND device_id = $2 AND idempotency_key = $3",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(device)
        .bind::<Text, _>(&batch.idempotency_key),
    )
    .get_result(c)
    .optional()?;
    if let Some(prev) = previous {
        let mut ack: SyncAck = serde_json::from_value(prev.ack).map_err(AppError::internal)?;
        ack.replayed = true;
        ack.cursor = u64::try_from(dev.sync_cursor).unwrap_or(0);
        return Ok(ack);
    }

    let consent = Consent::from_stored(&dev.consent);
    let sequence = i64::try_from(batch.sequence)
        .map_err(|_| AppError::invalid("out_of_range", "sequence is too large"))?;
    let today = Utc::now().date_naive();
    let mut outcomes: Vec<Option<RecordOutcome>> = batch
        .records
        .iter()
        .map(|r| check_record(r, consent, today))
        .collect();
    for round in upsert_rounds(&batch.records, &outcomes) {
        let written = upsert(c, force, person, device, sequence, &batch.records, &round)?;
        for (index, stored) in round.into_iter().zip(written) {
            outcomes[index] = Some(if stored {
                RecordOutcome::Stored
            } else {
                RecordOutcome::Unchanged
            });
        }
    }
    let results = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| RecordResult {
            index,
            outcome: outcome.unwrap_or(RecordOutcome::Unchanged),
        })
        .collect();
    let cursor = dev.sync_cursor.max(sequence);
    let ack = SyncAck {
        idempotency_key: batch.idempotency_key.clone(),
        results,
        cursor: u64::try_from(cursor).unwrap_or(0),
        replayed: false,
    };
    Prepared(
        diesel::sql_query(
            "WITH moved AS (UPDATE devices SET sync_cursor = $5 \
                 WHERE force_id = $1 AND id = $2 AND sync_cursor < $5) \
             INSERT INTO sync_batches (force_id, device_id, idempotency_key, sequence, ack) \
             VALUES ($1, $2, $3, $4, $6)",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(device)
        .bind::<Text, _>(&batch.idempotency_key)
        .bind::<BigInt, _>(sequence)
        .bind::<BigInt, _>(cursor)
        .bind::<Jsonb, _>(serde_json::to_value(&ack).map_err(AppError::internal)?),
    )
    .execute(c)?;
    Ok(ack)
}

/// A record's natural key within one person: (local date, kind, discriminator).
type NaturalKey = (NaiveDate, &'static str, String);

fn natural_key(r: &SyncRecord) -> NaturalKey {
    (r.local_date(), r.kind(), discriminator(r))
}

/// Splits the accepted records (those without an outcome yet) into rounds
/// in which no natural key repeats: one `INSERT ... ON CONFLICT` may not touch
/// a row twice. The n-th record with a key goes to round n, so rounds run in
/// order give the same result as one statement per record in batch order. A
/// batch without repeats (every well-behaved phone's) is one round.
fn upsert_rounds(records: &[SyncRecord], outcomes: &[Option<RecordOutcome>]) -> Vec<Vec<usize>> {
    let mut seen: std::collections::HashMap<NaturalKey, usize> = std::collections::HashMap::new();
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (index, record) in records.iter().enumerate() {
        if outcomes.get(index).is_some_and(Option::is_some) {
            continue;
        }
        let n = seen.entry(natural_key(record)).or_insert(0);
        if rounds.len() <= *n {
            rounds.push(Vec::new());
        }
        if let Some(round) = rounds.get_mut(*n) {
            round.push(index);
        }
        *n += 1;
    }
    rounds
}

/// Upserts the records at `round` (distinct natural keys) in one statement;
/// returns, per record, whether it was written (new key, or new content not
/// older than what the same device already sent).
fn upsert(
    c: &mut PgConnection,
    force: Uuid,
    person: Uuid,
    device: Uuid,
    sequence: i64,
    records: &[SyncRecord],
    round: &[usize],
) -> AppResult<Vec<bool>> {
    let chosen: Vec<&SyncRecord> = round.iter().filter_map(|&i| records.get(i)).collect();
    let keys: Vec<NaturalKey> = chosen.iter().map(|r| natural_key(r)).collect();
    let payloads = chosen
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::internal)?;
    #[derive(QueryableByName)]
    struct Written {
        #[diesel(sql_type = Date)]
        local_date: NaiveDate,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Text)]
        discriminator: String,
    }
    // Rows come in key order, so two transactions writing the same keys
    // take their row locks in the same order and cannot deadlock.
    let written: Vec<Written> = Prepared(
        diesel::sql_query(
            "INSERT INTO sync_records (force_id, person_id, local_date, kind, discriminator, payload, device_id, source_sequence) \
             SELECT $1, $2, r.local_date, r.kind, r.discriminator, r.payload, $3, $4 \
             FROM unnest($5::date[], $6::text[], $7::text[], $8::jsonb[]) AS r(local_date, kind, discriminator, payload) \
             ORDER BY r.local_date, r.kind, r.discriminator \
             ON CONFLICT (force_id, person_id, local_date, kind, discriminator) DO UPDATE \
             SET payload = EXCLUDED.payload, device_id = EXCLUDED.device_id, \
                 source_sequence = EXCLUDED.source_sequence, updated_at = now() \
             WHERE sync_records.payload IS DISTINCT FROM EXCLUDED.payload \
               AND (sync_records.device_id <> EXCLUDED.device_id \
                    OR sync_records.source_sequence <= EXCLUDED.source_sequence) \
             RETURNING local_date, kind, discriminator",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(person)
        .bind::<SqlUuid, _>(device)
        .bind::<BigInt, _>(sequence)
        .bind::<Array<Date>, _>(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(keys.iter().map(|k| k.1).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(keys.iter().map(|k| k.2.as_str()).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(payloads),
    )
    .load(c)?;
    let written: std::collections::HashSet<(NaiveDate, &str, &str)> = written
        .iter()
        .map(|w| (w.local_date, w.kind.as_str(), w.discriminator.as_str()))
        .collect();
    Ok(keys
        .iter()
        .map(|k| written.contains(&(k.0, k.1, k.2.as_str())))
        .collect())
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
