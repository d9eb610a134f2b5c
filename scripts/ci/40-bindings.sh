#!/usr/bin/env bash
# The phone library's binding tests on this machine (no Android NDK or Apple
# SDK here): generates Python and Kotlin bindings in library mode with the
# workspace's pinned uniffi-bindgen, runs the pytest suite and the Kotlin
# JUnit suite on the host JVM, checks the committed Swift bindings are up to
# date, and builds mobile-core for aarch64-linux-android (rlib, no link).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

cargo build -p ffi -p uniffi-bindgen
LIB="$ROOT/target/debug/libfatigue_coach.so"
BINDGEN="$ROOT/target/debug/uniffi-bindgen"
OUT="$ROOT/target/bindings"
rm -rf "$OUT" && mkdir -p "$OUT"

echo "--- Python bindings + pytest"
"$BINDGEN" generate --library "$LIB" --language python --out-dir "$OUT/python" >/dev/null
cp "$LIB" "$OUT/python/"
# Exit 5 (no tests collected) must fail, not pass silently: pytest already
# exits non-zero for it, and set -e stops here on any non-zero status.
FATIGUE_COACH_BINDINGS="$OUT/python" python3 -m pytest -q -p no:cacheprovider ffi/tests/python

echo "--- Kotlin bindings + JUnit"
"$BINDGEN" generate --library "$LIB" --language kotlin --out-dir "$OUT/kotlin" >/dev/null
KOTLINC="$ROOT/.tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc"
CP="/usr/share/java/jna.jar:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar"
# One compile of bindings and tests together keeps kotlinc's start-up to once.
"$KOTLINC" -nowarn -cp "$CP" -d "$OUT/kotlin-tests.jar" \
  $(find "$OUT/kotlin" -name '*.kt') ffi/tests/kotlin/*.kt
java -Djna.library.path="$(dirname "$LIB")" \
  -cp "$OUT/kotlin-tests.jar:$CP:$ROOT/.tools/kotlin/node_modules/kotlin-compiler/lib/kotlin-stdlib.jar" \
  org.junit.runner.JUnitCore FatigueCoachTest

echo "--- Swift bindings up to date"
"$BINDGEN" generate --library "$LIB" --language swift --out-dir "$OUT/swift" >/dev/null
if ! diff -ru ffi/bindings/swift "$OUT/swift"; then
  echo "ffi/bindings/swift is stale: run scripts/mobile/generate-swift.sh and commit" >&2
  exit 1
fi

echo "--- mobile-core for aarch64-linux-android (engine only, rlib, no link)"
# Without the `store` feature: SQLite's C code needs the NDK's clang, which
# this machine lacks; scripts/mobile/build-android.sh builds everything.
if rustup target list --installed | grep -qx aarch64-linux-android; then
  cargo build -p mobile-core --no-default-features --target aarch64-linux-android
else
  echo "SKIPPED: the aarch64-linux-android std target is not installed (rustup could not fetch it)"
fi
