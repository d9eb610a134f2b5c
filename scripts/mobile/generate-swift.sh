#!/usr/bin/env bash
# Regenerates the committed Swift bindings (ffi/bindings/swift) from the
# library, in library mode with the workspace's pinned uniffi-bindgen. Run it
# after changing the exported API; CI fails while they are stale. Runs here.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -p ffi -p uniffi-bindgen
rm -rf ffi/bindings/swift
target/debug/uniffi-bindgen generate --library target/debug/libfatigue_coach.so \
  --language swift --out-dir ffi/bindings/swift
