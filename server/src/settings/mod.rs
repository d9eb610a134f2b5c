//! A force's own FRM settings: the amber and red levels it chose where the
//! regulations allow a choice, and the start of its reg. 11 week
//! (`mobile_core::roster::limits::RosterLimits`, validated there). The team
//! view, the what-if, the officer's own risk, the FRM report and the phone
//! all read them from here.

pub mod api;
pub mod service;
pub mod store;
