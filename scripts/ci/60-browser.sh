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
work="$(mktemp -d)"
# The embedded cluster runs as an unprivileged user when we are root.
chmod 755 "$work"
shots="$root/target/screenshots"
rm -rf "$shots" && mkdir -p "$shots"
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
FATIGUE_DATA_DIR="$work/data" FATIGUE_BIND=127.0.0.1:0 FATIGUE_WORKERS=2 RUST_LOG=warn \
    "$bin" demo --officers 36 >"$work/out" 2>"$work/err" &
pid=$!
url=""
for _ in $(seq 1 600); do
    url="$(grep -m1 -o 'http://[0-9.:]*' "$work/out" || true)"
    [ -n "$url" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "server exited before listening:"; cat "$work/err"; echo "0 passed, 1 failed"; exit 1
    fi
    sleep 0.5
done
[ -n "$url" ] || { echo "server never listened"; echo "0 passed, 1 failed"; exit 1; }
for _ in $(seq 1 120); do
    curl -fsS "$url/ready" >/dev/null 2>&1 && break
    sleep 0.5
done
# The demo prints its logins after seeding; wait for them so the data exists.
for _ in $(seq 1 600); do grep -q 'logins' "$work/out" && break; sleep 0.5; done
node "$root/tests/browser/dashboard.test.js" "$url" "$shots"
