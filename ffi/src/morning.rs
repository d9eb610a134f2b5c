//! The morning update in one call: what the app does when the officer
//! wakes. One roster assessment is shared by the forecast, the recovery
//! score's next-shift component and the coaching selection, and every write
//! (the night's import, the score, the queued summary) is one transaction,
//! so the morning costs one engine run and one durable commit.

use chrono::{DateTime, Utc};
use mobile_core::store::Store;

use crate::coaching::{self, CoachingMessage};
use crate::forecast::{self, ShiftForecast};
use crate::recovery::{self, MorningRecovery};
use crate::sync::QueueStatus;
use crate::wearables::{self, WearableFormat, WearableImportReport};
use crate::{CoachError, FatigueCoach};

/// Health data for [`FatigueCoach::morning_update`] to import first.
#[derive(Debug, Clone, uniffi::Record)]
pub struct WearableData {
    /// Its format.
    pub format: WearableFormat,
    /// The bytes as the platform gave them.
    pub data: Vec<u8>,
}

/// Everything the morning screen shows.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MorningUpdate {
    /// What the import did, when data was given.
    pub wearable_import: Option<WearableImportReport>,
    /// This morning's recovery score (kept, and its summary queued when
    /// consent covers sleep summaries).
    pub recovery: MorningRecovery,
    /// The shifts ending after now and starting within the horizon.
    pub forecast: Vec<ShiftForecast>,
    /// The coaching messages to show now, most important first.
    pub coaching: Vec<CoachingMessage>,
    /// The sync queue after the update.
    pub queue: QueueStatus,
}

/// Runs the update on the locked store. The input is parsed before the
/// store is locked.
pub(crate) fn update(
    coach: &FatigueCoach,
    now: DateTime<Utc>,
    night: Option<WearableData>,
    horizon_hours: u32,
) -> Result<MorningUpdate, CoachError> {
    let parsed = night
        .map(|n| wearables::parse(n.format, &n.data[..], &coach.clock, now))
        .transpose()?;
    // The assessment must reach as far as coaching and the score look.
    let assessed_hours = horizon_hours.max(crate::MORNING_HORIZON_HOURS);
    let mut store = coach.store();
    store.batch(|store: &mut Store| {
        let wearable_import = parsed
            .as_ref()
            .map(|p| wearables::store(store, p, now))
            .transpose()?;
        let assessment = forecast::assess(store, &coach.clock, now, assessed_hours)?;
        let recovery = recovery::morning(store, &coach.clock, now, &assessment)?;
        let horizon = now + chrono::Duration::hours(i64::from(horizon_hours));
        let mut shifts = forecast::upcoming(&assessment, now);
        shifts.retain(|s| chrono::DateTime::<Utc>::from(s.start) < horizon);
        // Coaching sees the shifts it would see on its own call.
        let coaching_until = now + chrono::Duration::hours(i64::from(crate::MORNING_HORIZON_HOURS));
        let near: Vec<_> = assessment
            .iter()
            .filter(|a| a.start.with_timezone(&Utc) < coaching_until)
            .cloned()
            .collect();
        let coaching = coaching::messages(store, &coach.clock, &coach.pack, now, &near)?;
        Ok(MorningUpdate {
            wearable_import,
            recovery,
            forecast: shifts,
            coaching,
            queue: QueueStatus::of(store)?,
        })
    })
}
