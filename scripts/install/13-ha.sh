#!/bin/sh
# pg_auto_failover (Debian's pg-auto-failover-cli and the PostgreSQL
# extension): the hot standby of scripts/ha/start.sh and the failover drill
# (tests/tests/failover_drill.rs). Idempotent: quick when already installed.
set -eu
if command -v pg_autoctl >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
pkgs="pg-auto-failover-cli"
for v in $(ls /usr/lib/postgresql 2>/dev/null); do
    pkgs="$pkgs postgresql-$v-auto-failover"
done
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
