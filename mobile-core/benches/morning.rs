//! Criterion benchmarks of wearable ingestion and the morning recovery score.
fn main() {}
