#!/usr/bin/env bash
# Measures FFI overhead and the morning update through the Python and Kotlin
# bindings, on the release library; prints the figures docs/mobile.md quotes,
# and the stripped library's size. Runs here (needs scripts/install/40-bindings.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
cargo build --release -p ffi
cargo build -p ffi -p uniffi-bindgen  # the same feature set as CI: no rebuild
LIB="$ROOT/target/release/libfatigue_coach.so"
OUT="$ROOT/target/bench-bindings"
rm -rf "$OUT" && mkdir -p "$OUT"
strip -o "$OUT/libfatigue_coach.stripped.so" "$LIB"
echo "library: release $(stat -c %s "$LIB") bytes, stripped $(stat -c %s "$OUT/libfatigue_coach.stripped.so") bytes"
target/debug/uniffi-bindgen generate --library "$LIB" --language python --out-dir "$OUT/python" >/dev/null
cp "$LIB" "$OUT/python/"
FATIGUE_COACH_BINDINGS="$OUT/python" python3 ffi/tests/bench/bench.py
target/debug/uniffi-bindgen generate --library "$LIB" --language kotlin --out-dir "$OUT/kotlin" >/dev/null
KOTLIN="$ROOT/.tools/kotlin/node_modules/kotlin-compiler"
"$KOTLIN/bin/kotlinc" -nowarn -cp /usr/share/java/jna.jar -d "$OUT/bench.jar" \
  $(find "$OUT/kotlin" -name '*.kt') ffi/tests/bench/Bench.kt
java -Djna.library.path="$(dirname "$LIB")" \
  -cp "$OUT/bench.jar:/usr/share/java/jna.jar:$KOTLIN/lib/kotlin-stdlib.jar" BenchKt
