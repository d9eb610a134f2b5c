//! Coaching: short, sourced advice chosen for the situation the officer is in.
//!
//! The advice itself is data, not code: a versioned content pack
//! ([`content`]) of messages, each tied to a [`Trigger`], with a priority and
//! its published sources (HSE HSG256, NIOSH, sleep research). The engine
//! ([`engine`]) decides from plain data (the roster, recorded sleep, sleep
//! debt, recovery bands, check-ins, the planned sleep and what was shown
//! recently) which triggers hold now and picks the few messages to show.
//! The rules, thresholds and sources are in `docs/coaching.md`.

pub mod content;
pub mod engine;
pub mod trigger;

pub use content::{ContentError, ContentPack, Message, Source};
pub use engine::{
    CoachingContext, CoachingMessage, CoachingParams, CoachingShift, FiredTrigger, ShownMessage,
    fired_triggers, select,
};
pub use trigger::{Placeholder, Trigger};
