#!/usr/bin/env bash
# The API fuzzer (scripts/ci/70-api-fuzz.sh): schemathesis from PyPI, pinned
# to the 3.x command line the script uses, with the last Hypothesis that 3.x
# supports (later ones fail inside schemathesis: "'many' object has no
# attribute 'more'", fixed only in 4.x, schemathesis PR #2832). Idempotent.
set -euo pipefail
if [ "$(schemathesis --version 2>/dev/null)" != "schemathesis, version 3.39.16" ] \
  || [ "$(python3 -c 'import hypothesis; print(hypothesis.__version__)' 2>/dev/null)" != "6.131.14" ]; then
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
    'schemathesis==3.39.16' 'hypothesis==6.131.14'
fi
