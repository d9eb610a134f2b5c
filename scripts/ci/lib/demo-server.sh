# Sourced by the suites that drive `server demo` (60-browser.sh, 70-api-fuzz.sh):
# starts it on a throwaway embedded PostgreSQL and a free port, waits until
# it listens, is ready and has seeded its logins, and stops it (and removes
# the folder) when the suite exits. Needs $bin; sets $work, $pid and $url.
# Extra environment for the server goes in DEMO_ENV (e.g. "A=1 B=2").
work="$(mktemp -d)"
# The embedded cluster runs as an unprivileged user when we are root.
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
# shellcheck disable=SC2086 # DEMO_ENV is a list of NAME=value words
env FATIGUE_DATA_DIR="$work/data" FATIGUE_BIND=127.0.0.1:0 FATIGUE_WORKERS=2 RUST_LOG=warn \
    ${DEMO_ENV:-} "$bin" demo --officers "${DEMO_OFFICERS:-12}" >"$work/out" 2>"$work/err" &
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
