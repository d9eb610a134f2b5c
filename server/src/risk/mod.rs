//! Risk: the supervisor's team risk view, what-if, wellbeing aggregates,
//! and the officer's own forecast.

pub mod api;
pub mod pages;
pub mod service;
pub mod store;
