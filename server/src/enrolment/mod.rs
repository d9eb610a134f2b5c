//! Enrolment: codes issued for a member of staff, a phone enrolling with
//! one (a pseudonymous person and a device), and the device's tokens; the
//! force's HR file (codes in bulk, leavers' accounts closed).

pub mod api;
pub mod hr_file;
pub mod pages;
pub mod service;
pub mod store;
