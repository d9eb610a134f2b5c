#!/usr/bin/env bash
# The whole test suite (the README's test command; .ci/run calls this).
# Installs what it needs, then: formatting, lints, every Rust test (reference
# vectors and end-to-end tests included), the benchmarks' build, and the
# non-Rust suites in scripts/ci/. One cargo profile (dev) for every build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARGO_TERM_COLOR=never
step() { echo; echo "==> test: $*"; }
step "cargo fmt --check";              cargo fmt --all -- --check
step "cargo clippy";                   cargo clippy --workspace --all-targets -- -D warnings
step "cargo build -p server";          cargo build -p server
step "cargo test";                     cargo test --workspace
step "cargo bench --no-run";           cargo bench --workspace --no-run --profile dev
for suite in scripts/ci/*.sh; do
  [ -e "$suite" ] || continue
  step "$suite"
  bash "$suite"
done
echo; echo "==> all test suites passed"
