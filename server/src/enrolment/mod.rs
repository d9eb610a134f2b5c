//! Enrolment: codes issued for a member of staff, a phone enrolling with
//! one (a pseudonymous person and a device), and the device's tokens.

pub mod api;
pub mod pages;
pub mod service;
pub mod store;
