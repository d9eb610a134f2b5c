//! Rosters: roster files published for a team, rest days and changes.

pub mod api;
pub mod pages;
pub mod service;
pub mod store;
