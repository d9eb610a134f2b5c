//! Coaching messages for now: the engine's selection
//! ([`mobile_core::coaching`]) over what the store holds, with the history
//! of shown messages so the same one is not repeated within its cool-down.

use chrono::{DateTime, Duration, Utc};
use mobile_core::LocalClock;
use mobile_core::checkin;
use mobile_core::coaching::content::ContentPack;
use mobile_core::coaching::engine::{
    CoachingContext, CoachingParams, CoachingShift, ShownMessage, select,
};
use mobile_core::store::Store;

use mobile_core::roster::assess::ShiftAssessment;

use crate::CoachError;

/// How far back the coaching engine looks (sleep, check-ins, history).
const LOOKBACK_DAYS: i64 = 14;

/// A coaching message to show now.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CoachingMessage {
    /// Stable id: pass it to `mark_coaching_shown` once displayed.
    pub id: String,
    /// The situation that selected it (e.g. `first_night_shift`).
    pub trigger: String,
    /// Higher is more important; the list is in this order.
    pub priority: u8,
    /// Short title.
    pub title: String,
    /// Body, with times as local `HH:MM`.
    pub body: String,
    /// Titles of the evidence behind it.
    pub sources: Vec<String>,
    /// Locale of the text.
    pub locale: String,
}

/// Selects the messages for `now`, with the roster `assessment` the caller
/// ran (from a week back to the coaching horizon, [`crate::MORNING_HORIZON_HOURS`]).
pub(crate) fn messages(
    store: &Store,
    clock: &LocalClock,
    pack: &ContentPack,
    now: DateTime<Utc>,
    assessment: &[ShiftAssessment],
) -> Result<Vec<CoachingMessage>, CoachError> {
    let since = now - Duration::days(LOOKBACK_DAYS);
    let mut ctx = CoachingContext::new(now, *clock);
    ctx.shifts = assessment
        .iter()
        .map(CoachingShift::from_assessment)
        .collect::<Result<_, _>>()?;
    ctx.main_sleeps = store.sleeps_between(since, now)?;
    ctx.check_ins = store
        .check_ins_between(since, now + Duration::minutes(1))?
        .into_iter()
        .filter_map(|c| checkin::CheckIn::new(c.taken_at, c.scale, c.value, c.context, now).ok())
        .collect();
    ctx.history = store
        .coaching_shown_since(since)?
        .into_iter()
        .map(|(id, shown_at)| ShownMessage { id, shown_at })
        .collect();
    Ok(select(&ctx, pack, &CoachingParams::default())
        .into_iter()
        .map(|m| CoachingMessage {
            id: m.id,
            trigger: m.trigger.as_str().to_string(),
            priority: m.priority,
            title: m.title,
            body: m.body,
            sources: m.sources.into_iter().map(|s| s.title).collect(),
            locale: m.locale,
        })
        .collect())
}
