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
# Generous limits: the fuzzer signs in and enrols far more than a person.
DEMO_ENV="FATIGUE_SIGN_IN_PER_MINUTE=100000 FATIGUE_ENROL_PER_MINUTE=100000"
# shellcheck source=scripts/ci/lib/demo-server.sh
. "$root/scripts/ci/lib/demo-server.sh"
cd "$work"
python3 "$root/tests/fuzz/api_fuzz.py" "$url"
