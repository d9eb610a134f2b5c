#!/usr/bin/env bash
# The phone library against the real server: the generated Python bindings
# (from 40-bindings.sh) drive enrolment, sync and a peer-support call-back
# against the debug `server` binary, which the test starts on its own
# embedded PostgreSQL (a temporary folder under /var/tmp, a free port) and
# stops with SIGTERM at the end. The same run plays the whole-product
# scenarios (ffi/tests/scenarios/*.json through ffi/tests/e2e/test_scenarios.py,
# docs/scenarios.md) on that server. Needs scripts/install/10-postgres.sh and
# 40-bindings.sh's installers.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

# No-ops when the README's test command and 40-bindings.sh have built them.
cargo build -p server -p ffi -p uniffi-bindgen
BINDINGS="$ROOT/target/bindings/python"
if [ ! -f "$BINDINGS/fatigue_coach.py" ] || [ "$ROOT/target/debug/libfatigue_coach.so" -nt "$BINDINGS/libfatigue_coach.so" ]; then
  mkdir -p "$BINDINGS"
  target/debug/uniffi-bindgen generate --library target/debug/libfatigue_coach.so \
    --language python --out-dir "$BINDINGS" >/dev/null
  cp target/debug/libfatigue_coach.so "$BINDINGS/"
fi

FATIGUE_COACH_BINDINGS="$BINDINGS" FATIGUE_SERVER="$ROOT/target/debug/server" \
  timeout 300 python3 -m pytest -q -p no:cacheprovider ffi/tests/e2e
