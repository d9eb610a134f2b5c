//! The figures of force FRM reports and NPWS cohorts: pure computation, with
//! no database and no web. The server loads plain-data inputs
//! ([`input::PersonRecords`]) from PostgreSQL, calls these functions and
//! serves what [`render`] produces.
//!
//! - [`report`]: a force's report for a period, by command and team.
//! - [`suppression`]: no cell describes fewer than 5 people, and none can be
//!   recovered by subtraction.
//! - [`render`]: HTML (with SVG charts), CSV and JSON of the same figures.
//! - [`schedule`]: which scheduled report runs are due.
//! - [`cohorts`]: NPWS cohorts across forces (k-means with linfa).
//! - [`comparisons`]: NPWS comparisons by force and policing function, one
//!   suppression problem over the three views.
//! - [`evaluation`]: the national programme's outcome and uptake figures by
//!   reporting month, and the stepped-wedge comparisons with cluster
//!   bootstrap intervals (docs/evaluation.md).
//! - [`partner`]: the partner dataset for NHS bodies and its dictionary
//!   (docs/partner-data.md).
//! - [`patterns`]: rota patterns worked by a team over a year, compared
//!   on the engine's risk and the report's indicators.
//! - [`drafts`]: a team's draft roster beside the published one.
//! - [`synthetic`]: generators of realistic-looking inputs for tests and benches.

pub mod charts;
pub mod cohorts;
pub mod comparisons;
pub mod drafts;
pub mod error;
pub mod evaluation;
pub mod indicators;
pub mod input;
pub mod partner;
pub mod patterns;
pub mod render;
pub mod report;
pub mod round;
pub mod schedule;
pub mod suppression;
pub mod synthetic;
pub mod table;
pub mod wellbeing;

pub use error::AnalyticsError;
