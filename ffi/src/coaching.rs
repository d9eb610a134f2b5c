//! Coaching messages for now as uniffi records: the engine's selection over
//! what the store holds ([`mobile_core::morning::coaching`]), leaving out
//! messages shown within their cool-down.

use mobile_core::coaching::engine;

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

impl From<engine::CoachingMessage> for CoachingMessage {
    fn from(m: engine::CoachingMessage) -> Self {
        Self {
            id: m.id,
            trigger: m.trigger.as_str().to_string(),
            priority: m.priority,
            title: m.title,
            body: m.body,
            sources: m.sources.into_iter().map(|s| s.title).collect(),
            locale: m.locale,
        }
    }
}
