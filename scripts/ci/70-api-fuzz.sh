#!/usr/bin/env bash
# Fuzzes the API with schemathesis (tests/fuzz/api_fuzz.py) against the real
# server (`server demo` on a throwaway embedded PostgreSQL, free port), as
# each role: no 5xx, no response that breaks its documented schema. Bounded
# for CI (FUZZ_EXAMPLES=5 per operation); for a longer pass by hand:
#   FUZZ_EXAMPLES=200 bash scripts/ci/70-api-fuzz.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/target/debug/server"
[ -x "$bin" ] || (cd "$root" && cargo build -p server)
bash "$root/scripts/install/70-fuzz.sh"
work="$(mktemp -d)"
chmod 755 "$work"
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
# Generous limits: the fuzzer signs in and enrols far more than a person.
FATIGUE_DATA_DIR="$work/data" FATIGUE_BIND=127.0.0.1:0 FATIGUE_WORKERS=2 RUST_LOG=warn \
    FATIGUE_SIGN_IN_PER_MINUTE=100000 FATIGUE_ENROL_PER_MINUTE=100000 \
    "$bin" demo --officers 12 >"$work/out" 2>"$work/err" &
pid=$!
url=""
for _ in $(seq 1 600); do
    url="$(grep -m1 -o 'http://[0-9.:]*' "$work/out" || true)"
    [ -n "$url" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "server exited before listening:"; cat "$work/err"; exit 1
    fi
    sleep 0.5
done
[ -n "$url" ] || { echo "server never listened"; exit 1; }
for _ in $(seq 1 600); do grep -q 'logins' "$work/out" && break; sleep 0.5; done
cd "$work"
python3 "$root/tests/fuzz/api_fuzz.py" "$url"
