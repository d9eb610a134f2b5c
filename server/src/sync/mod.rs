//! Sync: a phone's batches of daily summaries, check-ins and learning
//! progress, applied once each, in order, with group commit.

pub mod api;
pub mod group_commit;
pub mod service;
pub mod store;
