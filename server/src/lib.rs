//! The platform's server: an actix-web API over PostgreSQL (diesel) with
//! tenancy by force (row-level security), consent, pseudonymous sync, rosters
//! and the supervisor's team risk view. Every fatigue figure comes from
//! `mobile-core`. The operator binary (`src/main.rs`) runs [`cli`].
//!
//! One folder per domain, each with the same layers (docs/architecture.md):
//! `service.rs` (rules, role checks, audit), `store.rs` (SQL only),
//! `api.rs` (actix handlers and their bodies) and `pages.rs` (dashboard
//! pages). Handlers, pages, the CLI and the schedulers call services, never
//! each other.

pub mod accounts;
pub mod enrolment;
pub mod learning;
pub mod npws;
pub mod peer_support;
pub mod reports;
pub mod risk;
pub mod rosters;
pub mod sync;

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod embedded_pg;
pub mod error;
pub mod health;
pub mod openapi;
