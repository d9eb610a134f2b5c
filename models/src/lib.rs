//! Shared domain and sync types for the fatigue coaching platform.
//!
//! This crate holds the data that crosses a boundary, between the phone engine
//! (`mobile-core`), its FFI layer and the server: sleep periods, roster shifts
//! and (later) the versioned sync payload. It carries validation only: no I/O,
//! no science, no heavy derives. Every constructor that takes outside input
//! validates it and returns a typed [`ValidationError`] instead of panicking.

pub mod api;
pub mod roster;
pub mod sleep;
pub mod staff;
pub mod support;
pub mod sync;

mod error;
mod period;

pub use error::ValidationError;
pub use roster::{Shift, ShiftType};
pub use sleep::SleepPeriod;
pub use sync::{SyncBatch, SyncRecord};
