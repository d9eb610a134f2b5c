#!/usr/bin/env bash
# A real SMTP server for the report-delivery tests (tests/tests/delivery.rs):
# aiosmtpd from PyPI, pinned. Idempotent and quick when already installed.
set -euo pipefail
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6'
fi
