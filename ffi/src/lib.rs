//! The phone library's foreign-function interface.
//!
//! `ffi` is the one `cdylib`/`staticlib` of the workspace: it wraps
//! `mobile-core` in thin exported objects so the iOS (Swift) and Android
//! (Kotlin) apps, and the Python test suite, call the same Rust engine. It adds
//! no science of its own; it maps types across the boundary and maps the
//! engine's rich errors to a small public error enum with no personal data.

/// Version of the engine this library wraps.
pub fn engine_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
