#!/usr/bin/env bash
# NOT RUN HERE (no Apple SDK on this machine). Builds the phone library as an
# XCFramework (device + simulators) with the committed Swift bindings.
# Needs: macOS with Xcode 15+, and
# `rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios`.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-target/ios}"
for t in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  cargo build --release -p ffi --target "$t"
done
mkdir -p "$OUT/sim" "$OUT/headers"
lipo -create target/aarch64-apple-ios-sim/release/libfatigue_coach.a \
  target/x86_64-apple-ios/release/libfatigue_coach.a -output "$OUT/sim/libfatigue_coach.a"
cp ffi/bindings/swift/fatigue_coachFFI.h "$OUT/headers/"
cp ffi/bindings/swift/fatigue_coachFFI.modulemap "$OUT/headers/module.modulemap"
rm -rf "$OUT/FatigueCoachFFI.xcframework"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libfatigue_coach.a -headers "$OUT/headers" \
  -library "$OUT/sim/libfatigue_coach.a" -headers "$OUT/headers" \
  -output "$OUT/FatigueCoachFFI.xcframework"
echo "add $OUT/FatigueCoachFFI.xcframework and ffi/bindings/swift/fatigue_coach.swift to the app target"
