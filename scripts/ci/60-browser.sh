#!/usr/bin/env bash
# Browser tests of the dashboard: the real server binary (`server demo` on a
# throwaway embedded PostgreSQL, free port) driven by headless Chromium
# through playwright-core. Screenshots go to target/screenshots/. The server
# is stopped whatever happens.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/target/debug/server"
[ -x "$bin" ] || (cd "$root" && cargo build -p server)
[ -d "$root/tests/browser/node_modules/playwright-core" ] || bash "$root/scripts/install/60-browser.sh"
shots="$root/target/screenshots"
rm -rf "$shots" && mkdir -p "$shots"
DEMO_OFFICERS=36
# shellcheck source=scripts/ci/lib/demo-server.sh
. "$root/scripts/ci/lib/demo-server.sh"
node "$root/tests/browser/dashboard.test.js" "$url" "$shots"
