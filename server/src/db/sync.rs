//! Processing a sync batch (docs/api.md, "Sync").
//!
//! One transaction per batch: one statement, the `sync_apply` function (see
//! [`apply`]). The device row is locked first, so batches of one device are
//! applied one at a time; then the idempotency key is looked up (a replay
//! returns the stored acknowledgement, marked `replayed`). Each record is
//! validated and consent-checked on its own: a bad record is reported back
//! and the rest are stored. Records are upserted by natural key;
//! an older batch (lower sequence from the same device) never overwrites a
//! newer one, so out-of-order delivery converges. The device's clock is never
//! used for ordering: only its sequence numbers.

use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Jsonb, Nullable, Text, Uuid as SqlUuid};
use models::sync::{RecordOutcome, SyncAck, SyncBatch, SyncRecord};
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

/// Every consent level: the database picks the person's own at the time of
/// the batch (`sync_apply`), so the server decides each record's outcome
/// under each of them.
const LEVELS: [Consent; 3] = [
    Consent::RosterOnly,
    Consent::Sleep,
    Consent::SleepAndCheckIns,
];

/// Applies a batch for `person` from `device` in one statement, the
/// `sync_apply` function (migration `2026-11-23-000500_sync_apply`, which
/// lists its steps), run on its own as one transaction: one round trip where
/// the same steps as separate statements took seven.
///
/// This side decides, for each record and each consent level, what does not
/// need the database ([`check_record`]: validation, consent, future dates):
/// the outcome, or "store it". The database locks the device, answers a
/// replay from the stored acknowledgement, upserts what is to be stored by
/// natural key (an older sequence from the same device never overwrites a
/// newer one), moves the cursor and stores the acknowledgement.
///
/// # Errors
/// Not found when the device is gone (withdrawn); database errors (nothing
/// of the batch is stored).
pub fn apply(
    c: &mut PgConnection,
    force: Uuid,
    person: Uuid,
    device: Uuid,
    batch: &SyncBatch,
) -> AppResult<SyncAck> {
    let sequence = i64::try_from(batch.sequence)
        .map_err(|_| AppError::invalid("out_of_range", "sequence is too large"))?;
    let today = Utc::now().date_naive();
    let mut decided = serde_json::Map::new();
    for level in LEVELS {
        let outcomes = batch
            .records
            .iter()
            .map(|r| match check_record(r, level, today) {
                Some(outcome) => serde_json::to_value(outcome),
                None => Ok(serde_json::Value::Null),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(AppError::internal)?;
        decided.insert(
            level.as_str().to_owned(),
            serde_json::Value::Array(outcomes),
        );
    }
    let payloads = batch
        .records
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::internal)?;
    #[derive(QueryableByName)]
    struct Applied {
        #[diesel(sql_type = Nullable<Jsonb>)]
        ack: Option<serde_json::Value>,
    }
    let applied: Applied = Prepared(
        diesel::sql_query("SELECT sync_apply($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS ack")
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(device)
            .bind::<SqlUuid, _>(person)
            .bind::<Text, _>(&batch.idempotency_key)
            .bind::<BigInt, _>(sequence)
            .bind::<Jsonb, _>(serde_json::Value::Object(decided))
            .bind::<Array<Date>, _>(
                batch
                    .records
                    .iter()
                    .map(SyncRecord::local_date)
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Text>, _>(
                batch
                    .records
                    .iter()
                    .map(SyncRecord::kind)
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Text>, _>(batch.records.iter().map(discriminator).collect::<Vec<_>>())
            .bind::<Array<Jsonb>, _>(payloads),
    )
    .get_result(c)?;
    let ack = applied.ack.ok_or(AppError::NotFound)?;
    serde_json::from_value(ack).map_err(AppError::internal)
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
