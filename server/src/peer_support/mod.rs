//! Peer support: supporters, services, confidential call-backs, their
//! report and retention.

pub mod api;
pub mod pages;
pub mod retention;
pub mod service;
pub mod store;
