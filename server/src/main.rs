//! The operator binary (placeholder until the CLI lands).
fn main() {}
