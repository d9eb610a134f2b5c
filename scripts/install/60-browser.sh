#!/usr/bin/env bash
# Browser tests' tools: Debian's chromium (apt) and playwright-core (npm,
# into tests/browser/node_modules, ignored by git). Safe to re-run: each step
# is skipped when already done.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
if ! command -v curl >/dev/null 2>&1; then
    # scripts/ci/60-browser.sh polls the server's /ready with curl.
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq curl >/dev/null
fi
if ! command -v node >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
fi
cd "$root/tests/browser"
if [ ! -d node_modules/playwright-core ]; then
    npm install --no-audit --no-fund --silent
fi
echo "browser tools: $(chromium --version 2>/dev/null | head -1), playwright-core $(node -p "require('playwright-core/package.json').version")"
