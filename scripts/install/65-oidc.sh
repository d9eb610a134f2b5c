#!/usr/bin/env bash
# The single-sign-on tests' OpenID provider: Node (Debian's, when missing)
# and oidc-provider from the npm registry, installed exactly as
# tests/oidc/package-lock.json pins it into tests/oidc/node_modules (ignored
# by git). tests/tests/oidc.rs runs tests/oidc/provider.js with it. Safe to
# re-run: skipped when the lockfile's oidc-provider is already installed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
fi
cd "$root/tests/oidc"
want="$(node -p "require('./package-lock.json').packages['node_modules/oidc-provider'].version")"
have="$(node -p "try { require('./node_modules/oidc-provider/package.json').version } catch { '' }")"
if [ "$want" != "$have" ]; then
    npm ci --no-audit --no-fund --silent
fi
echo "oidc test provider: node $(node --version), oidc-provider $(node -p "require('./node_modules/oidc-provider/package.json').version")"
