#!/bin/sh
# PostgreSQL 15+ (the server's embedded default and the end-to-end tests) and
# libpq headers for diesel's pq-sys. Idempotent: quick when already installed.
set -eu
if [ -x /usr/lib/postgresql/15/bin/initdb ] && [ -f /usr/include/postgresql/libpq-fe.h ] \
    && command -v runuser >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql libpq-dev util-linux >/dev/null
# Debian starts a system cluster on install; ours are started per process, so
# the packaged one is not needed (and its port would only be in the way).
if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
fi
