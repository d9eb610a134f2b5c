//! Learning: the supervisors' course on the dashboard and training counts.

pub mod pages;
pub mod service;
pub mod store;
