"""FFI overhead and the morning update through the Python bindings.

Run: scripts/mobile/bench-bindings.sh (builds release, generates the
bindings, runs this and the Kotlin twin). Not part of CI; never asserts.

The morning update is what the app does once each morning: import last
night's sleep and the morning's HRV and resting heart rate, forecast the
next 48 hours of shifts, get the coaching messages, and read the sync
queue. The store holds 60 days of history and a 4-on-4-off roster.
"""

import datetime as dt
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.environ["FATIGUE_COACH_BINDINGS"])
import fatigue_coach as fc  # noqa: E402

UTC = dt.timezone.utc
START = dt.datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 60


def roster():
    shifts = []
    for block in range(0, 120, 8):
        for k in range(4):
            d = START + dt.timedelta(days=block + k)
            shifts.append(fc.ShiftInput(start=d + dt.timedelta(hours=7),
                                        end=d + dt.timedelta(hours=17)))
    return shifts


def night(day):
    s = START + dt.timedelta(days=day, hours=23)
    return fc.SleepEpisode(start=s, end=s + dt.timedelta(hours=7, minutes=30))


def main():
    path = os.path.join(tempfile.mkdtemp(), "bench.db")
    coach = fc.FatigueCoach.open(path, "Europe/London")
    coach.set_consent(fc.ConsentLevel.CHECK_INS)
    coach.import_roster(roster(), START)
    coach.import_sleep([night(d) for d in range(DAYS)], START)

    n = 20000
    t0 = time.perf_counter()
    for _ in range(n):
        fc.library_version()
    per_call = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(n // 10):
        coach.queue_status()
    per_read = (time.perf_counter() - t0) / (n // 10)

    samples = []
    for day in range(DAYS, DAYS + 40):
        now = START + dt.timedelta(days=day + 1, hours=7, minutes=45)
        t0 = time.perf_counter()
        coach.import_sleep([night(day)], now)
        coach.import_hrv([fc.Reading(at=now, value=48.0)], now)
        coach.import_resting_heart_rate([fc.Reading(at=now, value=56.0)], now)
        coach.forecast(now, 48)
        coach.coaching_messages(now)
        coach.queue_status()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    print(f"python: trivial call (library_version) {per_call * 1e6:.2f} us/call")
    print(f"python: store read (queue_status) {per_read * 1e6:.1f} us/call")
    print(f"python: morning update median {statistics.median(samples) * 1e3:.2f} ms, "
          f"p90 {samples[int(len(samples) * 0.9)] * 1e3:.2f} ms over {len(samples)} mornings")


if __name__ == "__main__":
    main()
