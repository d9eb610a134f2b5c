//! Accounts: forces, staff and national accounts, sign-in, teams and their
//! supervisors, the officer's own record (consent, export, withdrawal), and
//! the force audit log.

pub mod api;
pub mod keys;
pub mod pages;
pub mod rate_limit;
pub mod service;
pub mod store;
