#!/usr/bin/env bash
# pyHRV, for the HRV cross-check in scripts/ci/20-hrv-crosscheck.sh: its
# wheel ships its own sample NN-interval series, so the check runs on data
# nobody here wrote, installed from PyPI at test time (not vendored).
#
# Pins, and why:
# - pyhrv 0.5.0: the version the cross-check was written against.
# - nolds < 0.6.3: nolds 0.6.3 fails to import on Python 3.11
#   (`resources.files` on a module), and pyhrv imports nolds at import time.
# - peakutils: biosppy (a pyhrv dependency) imports it without declaring it.
# pyhrv's declared dependencies (biosppy, matplotlib, scipy, ...) are heavy
# but install from wheels in under a minute; the time-domain module imports
# biosppy and matplotlib itself, so --no-deps would not save them.
set -euo pipefail

if MPLBACKEND=Agg python3 -c "import pyhrv.time_domain" >/dev/null 2>&1; then
    exit 0
fi
python3 -m pip install --quiet --disable-pip-version-check \
    "pyhrv==0.5.0" "nolds<0.6.3" "peakutils"
MPLBACKEND=Agg python3 -c "import pyhrv.time_domain"
