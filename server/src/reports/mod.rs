//! FRM reports: schedules, the scheduled runs, and building and rendering a
//! force's report.

pub mod api;
pub mod pages;
pub mod scheduler;
pub mod service;
pub mod store;
