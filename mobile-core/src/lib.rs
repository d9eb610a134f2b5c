//! The engine that runs on the phone.
//!
//! `mobile-core` is the science and the phone's logic in pure Rust, with no
//! network, no async runtime and no FFI: the Three Process Model of alertness
//! and the Unified Model of performance over a person's sleep
//! ([`simulation`]), the Fatigue Index of a shift ([`fatigue_index`]), the
//! hourly roster risk ([`hourly_risk`]), rosters and the sleep predicted from
//! them ([`roster`]). The same code runs on iOS, Android and the server, so
//! phone and server never disagree. Every formula cites its source in its doc
//! comment and in `docs/science.md`; the models reproduce the published FIPS
//! implementation's reference vectors to 1e-6.

pub mod calibration;
pub mod checkin;
pub mod clock;
pub mod coaching;
pub mod education;
pub mod error;
pub mod fatigue_index;
pub mod fips_csv;
pub mod grid;
pub mod hourly_risk;
pub mod model;
#[cfg(feature = "store")]
pub mod morning;
pub mod night_time;
pub mod period;
pub mod plan;
pub mod recovery;
pub mod recurrence;
pub mod regularity;
pub mod roster;
pub mod simulation;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "store")]
pub mod sync_client;
pub mod synthetic;
pub mod wearables;

pub use clock::LocalClock;
pub use error::EngineError;
pub use grid::EpochGrid;
pub use model::{ModelParams, three_process::TpmParams, unified::UnifiedParams};
