#!/usr/bin/env bash
# The main job (the README's run command): builds the operator binary and
# shows the engine on the bundled examples: a roster's per-shift risk and the
# models over a week of nights. Idempotent; installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -p server
echo "==> server roster-risk --roster examples/roster.csv"
./target/release/server roster-risk --roster examples/roster.csv
echo "==> server simulate (first rows of a block of nights; full CSV with > file)"
./target/release/server simulate --sleeps mobile-core/tests/data/fips/night_block.sleeps.csv \
  --start 2025-03-02T07:00:00Z --end 2025-03-08T20:00:00Z --tz UTC | head -n 6
