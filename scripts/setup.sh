#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine (as root), by
# running each idempotent installer in scripts/install/ in order. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
for installer in scripts/install/*.sh; do
  [ -e "$installer" ] || continue
  echo "==> setup: $installer"
  bash "$installer"
done
