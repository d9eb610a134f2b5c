#!/usr/bin/env bash
# Short fuzzing run of every wearable parser (not part of the test suite).
#
#   bash scripts/fuzz/run-all.sh [SECONDS_PER_TARGET]   (default 60)
#
# Seeds each target's corpus with its format's fixtures, builds the fuzz crate
# once (cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on
# the stable toolchain) and runs each target for the given time. A crash
# stops the script with libFuzzer's report and the input under
# mobile-core/fuzz/artifacts/<target>/.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
fixtures=$root/mobile-core/tests/data/wearables
cd "$root/mobile-core/fuzz"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

declare -A seeds=(
  [healthkit_json]="healthkit_night.json truncated.json"
  [apple_export_xml]="export_small.xml truncated_export.xml"
  [health_connect_json]="health_connect_night.json"
  [open_mhealth_json]="open_mhealth.json"
)
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
for target in healthkit_json apple_export_xml health_connect_json open_mhealth_json; do
  mkdir -p "corpus/$target"
  for seed in ${seeds[$target]}; do cp "$fixtures/$seed" "corpus/$target/"; done
  echo "== $target (${seconds}s)"
  log=$(mktemp)
  if ! cargo fuzz run -O "$target" "corpus/$target" -- -max_total_time="$seconds" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "$target: crash (input under mobile-core/fuzz/artifacts/$target)"
    exit 1
  fi
  grep -E 'DONE|^Done' "$log"
  rm -f "$log"
done
