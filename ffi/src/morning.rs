//! The morning update in one call ([`mobile_core::morning::update`]): its
//! input and result as uniffi records. The logic, its single roster
//! assessment and its single transaction live in mobile-core; this module
//! converts types and locks the store only after the night is read.

use chrono::{DateTime, Utc};
use mobile_core::morning;

use crate::coaching::CoachingMessage;
use crate::forecast::ShiftForecast;
use crate::recovery::MorningRecovery;
use crate::sync::QueueStatus;
use crate::wearables::{WearableFormat, WearableImportReport};
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

impl From<morning::MorningUpdate> for MorningUpdate {
    fn from(u: morning::MorningUpdate) -> Self {
        Self {
            wearable_import: u.wearable_import.map(Into::into),
            recovery: u.recovery.into(),
            forecast: u.forecast.into_iter().map(Into::into).collect(),
            coaching: u.coaching.into_iter().map(Into::into).collect(),
            queue: QueueStatus {
                pending: u.queue.pending,
                sent: u.queue.sent,
                rejected: u.queue.rejected,
                cursor: u.sync_cursor,
            },
        }
    }
}

/// Reads the night before the store is locked, then runs the update on it.
pub(crate) fn update(
    coach: &FatigueCoach,
    now: DateTime<Utc>,
    night: Option<WearableData>,
    horizon_hours: u32,
) -> Result<MorningUpdate, CoachError> {
    let night = night
        .map(|n| morning::read(n.format.into(), &n.data[..], &coach.clock, now))
        .transpose()?;
    let update = morning::update(
        &mut coach.store(),
        &coach.clock,
        &coach.pack,
        now,
        night.as_ref(),
        horizon_hours,
    )?;
    Ok(update.into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use mobile_core::morning::synthetic::SyntheticMorning;
    use mobile_core::store::Store;

    use super::*;
    use crate::recovery::RecoveryStatus;
    use crate::types::system_time;

    #[test]
    fn the_record_carries_the_core_update_field_for_field() {
        let m = SyntheticMorning::new().unwrap();
        let mut store = Store::open_in_memory().unwrap();
        m.fill(&mut store).unwrap();
        let core = m.update(&mut store).unwrap();
        let record = MorningUpdate::from(core.clone());

        let import = record.wearable_import.unwrap();
        let core_import = core.wearable_import.unwrap();
        assert_eq!(import.accepted as usize, core_import.accepted);
        assert_eq!(import.sleep_episodes as usize, core_import.sleep_episodes);
        assert_eq!(import.rejected, 0);

        let score = &core.recovery.score;
        assert_eq!(record.recovery.local_date, m.today.to_string());
        assert_eq!(record.recovery.score, score.score);
        assert_eq!(record.recovery.status, RecoveryStatus::Scored);
        assert_eq!(record.recovery.reasons.len(), score.reasons.len());
        assert_eq!(record.recovery.components.len(), score.components.len());
        assert!(record.recovery.summary_queued);

        assert_eq!(record.forecast.len(), core.forecast.len());
        let (shift, core_shift) = (&record.forecast[0], &core.forecast[0].assessment);
        assert_eq!(shift.start, system_time(m.shift.start()));
        assert_eq!(shift.end, system_time(m.shift.end()));
        assert_eq!(shift.fatigue_index, core_shift.fatigue_index);
        assert_eq!(
            shift.above_threshold,
            core_shift.fatigue_index > core_shift.fatigue_index_threshold
        );
        assert!(shift.night_shift);

        let ids: Vec<_> = record.coaching.iter().map(|c| c.id.as_str()).collect();
        let core_ids: Vec<_> = core.coaching.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, core_ids);

        assert_eq!(record.queue.pending, core.queue.pending);
        assert_eq!(record.queue.cursor, core.sync_cursor);
    }
}
