//! Rota pattern comparison: the FRM lead (or a supervisor) weighs repeating
//! rota patterns for a team over a horizon before a force adopts one
//! (`analytics::patterns`, `docs/patterns.md`). Nothing is stored: the
//! figures come from the pattern, the force's zone and its settings.

pub mod api;
pub mod pages;
pub mod service;
