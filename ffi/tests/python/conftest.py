"""Loads the generated `fatigue_coach` module (scripts/ci/40-bindings.sh
generates it, with the shared library beside it, into the folder named by
FATIGUE_COACH_BINDINGS)."""

import os
import sys
import threading

import pytest

_BINDINGS = os.environ.get("FATIGUE_COACH_BINDINGS")
if not _BINDINGS:
    raise pytest.UsageError(
        "set FATIGUE_COACH_BINDINGS to the generated bindings folder "
        "(run scripts/ci/40-bindings.sh)"
    )
sys.path.insert(0, _BINDINGS)


@pytest.fixture
def in_threads():
    """Runs `work(k)` for k in 0..n on n threads at once; returns what they raised."""

    def run(work, n=6):
        errors = []

        def guarded(k):
            try:
                work(k)
            except Exception as e:  # noqa: BLE001 - returned to the test to assert on
                errors.append(e)

        threads = [threading.Thread(target=guarded, args=(k,)) for k in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return errors

    return run
