//! The platform's server: an actix-web API over PostgreSQL (diesel) with
//! tenancy by force (row-level security), consent, pseudonymous sync, rosters
//! and the supervisor's team risk view. Every fatigue figure comes from
//! `mobile-core`. The operator binary (`src/main.rs`) adds the CLI.

pub mod app;
pub mod auth;
pub mod commands;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod embedded_pg;
pub mod error;
pub mod group_commit;
pub mod retention;
pub mod routes;
pub mod scheduler;
