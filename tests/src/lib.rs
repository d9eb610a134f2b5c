//! End-to-end tests for the platform.
//!
//! The tests in `tests/tests/` build and start the real `server` binary (and,
//! once the backend exists, a real PostgreSQL) and talk to it as an operator or
//! a phone would. This library holds the helpers they share: where the built
//! binary is and where the repository's test data lives.

use std::path::PathBuf;

/// The repository root (the workspace directory).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// The `server` binary built by `cargo build -p server` in the same profile
/// as the tests (the README's test command builds it first).
pub fn server_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    target.join(profile).join("server")
}
