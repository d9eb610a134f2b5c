//! NPWS: the national overview, cohorts and comparisons, with no ids; the
//! programme's evaluation and the partner dataset.

pub mod api;
pub mod evaluation;
pub mod evaluation_pages;
pub mod evaluation_store;
pub mod pages;
pub mod service;
pub mod store;
