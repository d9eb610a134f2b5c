#!/usr/bin/env bash
# What the binding tests need (scripts/ci/40-bindings.sh): pytest; JNA and
# JUnit 4 from Debian; kotlinc 2.4 from the npm package `kotlin-compiler`
# (Debian's kotlin is too old for uniffi's generated code), installed into
# .tools/kotlin (ignored by git). Idempotent and quick when already done.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! python3 -c 'import pytest' 2>/dev/null; then
  python3 -m pip install --quiet 'pytest>=8,<9'
fi

if [ ! -f /usr/share/java/jna.jar ] || [ ! -f /usr/share/java/junit4.jar ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjna-java junit4 >/dev/null
fi

KOTLIN_VERSION=2.4.20
if [ "$(cat .tools/kotlin/node_modules/kotlin-compiler/build.txt 2>/dev/null)" != "$KOTLIN_VERSION" ]; then
  mkdir -p .tools/kotlin
  (cd .tools/kotlin && npm install --silent --no-audit --no-fund "kotlin-compiler@$KOTLIN_VERSION")
fi

# Keeps the core portable: an Android rlib build needs only the std target.
# rustup's server may be unreachable; the CI step then skips with a message.
if ! rustup target list --installed | grep -qx aarch64-linux-android; then
  rustup target add aarch64-linux-android || echo "note: rustup target add aarch64-linux-android failed; the Android check will be skipped"
fi
