#!/usr/bin/env bash
# NOT RUN HERE (no Android NDK on this machine). Builds the phone library for
# Android into jniLibs/ with cargo-ndk and generates the Kotlin bindings.
# Needs: ANDROID_NDK_HOME set to an NDK r26+, `cargo install cargo-ndk`, and
# `rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android`.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-target/android}"
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$OUT/jniLibs" build --release -p ffi
cargo build -p uniffi-bindgen
target/debug/uniffi-bindgen generate --library "$OUT/jniLibs/arm64-v8a/libfatigue_coach.so" \
  --language kotlin --out-dir "$OUT/kotlin"
echo "copy $OUT/jniLibs into app/src/main/ and $OUT/kotlin into app/src/main/java;"
echo "the app depends on net.java.dev.jna:jna:5.x@aar"
