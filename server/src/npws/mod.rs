//! NPWS: the national overview, cohorts and comparisons, with no ids.

pub mod api;
pub mod pages;
pub mod service;
pub mod store;
