//! Criterion benchmarks of the fatigue models (written with the foundation issue).
fn main() {}
