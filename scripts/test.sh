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
# The server links no SQLite: analytics and server take mobile-core without
# its on-device store. Checked on the dependency tree rather than with a
# second build (features unify across the workspace's test build).
step "server links no SQLite"
server_tree="$(cargo tree -p server -e normal --prefix none)"
if grep -Eq '^(rusqlite|libsqlite3-sys) ' <<<"$server_tree"; then
  echo "server depends on SQLite: mobile-core's store feature reached it:"
  cargo tree -p server -e normal,features -i rusqlite || true
  exit 1
fi
step "cargo clippy";                   cargo clippy --workspace --all-targets -- -D warnings
# The binaries with the workspace's unified features (mobile-core's store
# on, as in the test build below), so nothing is compiled twice; the
# end-to-end tests run target/debug/server from here.
step "cargo build --bins";             cargo build --workspace --bins
step "cargo test";                     cargo test --workspace
step "cargo bench --no-run";           cargo bench --workspace --no-run --profile dev
for suite in scripts/ci/*.sh; do
  [ -e "$suite" ] || continue
  step "$suite"
  bash "$suite"
done
echo; echo "==> all test suites passed"
