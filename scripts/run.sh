#!/usr/bin/env bash
# The main job (the README's run command): installs what is needed, builds the
# release binary and starts `server demo`: the API and the web dashboard on the
# embedded PostgreSQL cluster under .data/ (created on first run; DATABASE_URL
# overrides it), seeded with a demonstration force of a few hundred synthetic
# officers. It prints the URL and the demo logins; Ctrl-C stops the server and
# the cluster cleanly. Idempotent: a second run reuses the cluster and data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -p server
exec ./target/release/server demo "$@"
