"""Loads the generated `fatigue_coach` module (scripts/ci/40-bindings.sh
generates it, with the shared library beside it, into the folder named by
FATIGUE_COACH_BINDINGS)."""

import os
import sys

import pytest

_BINDINGS = os.environ.get("FATIGUE_COACH_BINDINGS")
if not _BINDINGS:
    raise pytest.UsageError(
        "set FATIGUE_COACH_BINDINGS to the generated bindings folder "
        "(run scripts/ci/40-bindings.sh)"
    )
sys.path.insert(0, _BINDINGS)
