#!/usr/bin/env bash
# The API fuzzer (scripts/ci/70-api-fuzz.sh): schemathesis from PyPI, pinned
# to the 3.x command line the script uses. Idempotent.
set -euo pipefail
if [ "$(schemathesis --version 2>/dev/null)" != "schemathesis, version 3.39.16" ]; then
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check 'schemathesis==3.39.16'
fi
