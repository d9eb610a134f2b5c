#!/usr/bin/env bash
# Checks the Rust toolchain's components the suite uses (the machine ships
# cargo with rustfmt and clippy); installs them with rustup when missing.
set -euo pipefail
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    rustup component add "$component"
  fi
done
