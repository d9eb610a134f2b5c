#!/bin/sh
# pgBackRest: continuous WAL archiving, base backups and point-in-time restore
# of the embedded cluster (`server backup`, `server restore`,
# tests/tests/backup_drill.rs). Idempotent: quick when already installed.
set -eu
if command -v pgbackrest >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends pgbackrest >/dev/null
