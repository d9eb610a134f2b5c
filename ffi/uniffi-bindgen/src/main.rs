//! `uniffi-bindgen` for this workspace, built from the same `uniffi` version
//! as the `ffi` library so generated bindings always match its scaffolding.
//! Run in library mode:
//! `cargo run -p uniffi-bindgen -- generate --library target/debug/libfatigue_coach.so --language python --out-dir OUT`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
