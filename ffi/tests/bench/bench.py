"""FFI overhead and the morning update through the Python bindings.

Run: scripts/mobile/bench-bindings.sh (builds release, generates the
bindings, runs this and the Kotlin twin). Not part of CI; never asserts.

Two stores hold the same 60 nights and a 4-on-4-off roster of 10-hour day
shifts; each then runs 40 mornings:
- "separate calls" (the workload of the first measurement): import last
  night's sleep, HRV and resting HR with the plain imports, forecast the
  next 48 hours, select coaching, read the queue: three commits and two
  roster assessments;
- "morning_update": one call given last night's HealthKit hand-off (sleep,
  HRV SDNN, resting HR): import, recovery score, queued daily summary,
  forecast, coaching and queue, from one roster assessment and one commit.
"""

import datetime as dt
import json
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
MORNINGS = 40


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


def healthkit(day):
    """Night `day` as HealthKit hands it over: sleep, an SDNN reading, resting HR."""
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    s = START + dt.timedelta(days=day, hours=23)
    e = s + dt.timedelta(hours=7, minutes=30)
    src = {"sourceBundle": "com.apple.health.watch", "device": "Apple Watch"}
    t = s + dt.timedelta(hours=3)
    return json.dumps([
        {"type": "HKCategoryTypeIdentifierSleepAnalysis", "value": 3, "startDate": s.strftime(fmt),
         "endDate": e.strftime(fmt), "timeZone": "Europe/London", **src},
        {"type": "HKQuantityTypeIdentifierHeartRateVariabilitySDNN", "value": 45.0 + day % 7,
         "unit": "ms", "startDate": t.strftime(fmt), "endDate": t.strftime(fmt), **src},
        {"type": "HKQuantityTypeIdentifierRestingHeartRate", "value": 55.0 + day % 3,
         "unit": "count/min", "startDate": e.strftime(fmt), "endDate": e.strftime(fmt), **src},
    ]).encode()


def coach():
    c = fc.FatigueCoach.open(os.path.join(tempfile.mkdtemp(), "bench.db"), "Europe/London")
    c.set_consent(fc.ConsentLevel.CHECK_INS)
    c.import_roster(roster(), START)
    return c


def morning(day):
    return START + dt.timedelta(days=day + 1, hours=7, minutes=45)


def report(name, samples):
    samples.sort()
    print(f"python: {name} median {statistics.median(samples) * 1e3:.2f} ms, "
          f"p90 {samples[int(len(samples) * 0.9)] * 1e3:.2f} ms over {len(samples)} mornings")


def main():
    separate = coach()
    separate.import_sleep([night(d) for d in range(DAYS)], START)
    single = coach()
    for d in range(DAYS):
        single.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, healthkit(d), morning(d))

    n = 20000
    t0 = time.perf_counter()
    for _ in range(n):
        fc.library_version()
    per_call = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(n // 10):
        separate.queue_status()
    per_read = (time.perf_counter() - t0) / (n // 10)
    print(f"python: trivial call (library_version) {per_call * 1e6:.2f} us/call")
    print(f"python: store read (queue_status) {per_read * 1e6:.1f} us/call")

    old, new = [], []
    for day in range(DAYS, DAYS + MORNINGS):
        now = morning(day)
        t0 = time.perf_counter()
        separate.import_sleep([night(day)], now)
        separate.import_hrv([fc.Reading(at=now, value=48.0)], now)
        separate.import_resting_heart_rate([fc.Reading(at=now, value=56.0)], now)
        separate.forecast(now, 48)
        separate.coaching_messages(now)
        separate.queue_status()
        old.append(time.perf_counter() - t0)
        data = fc.WearableData(format=fc.WearableFormat.HEALTH_KIT_JSON, data=healthkit(day))
        t0 = time.perf_counter()
        single.morning_update(now, data, 48)
        new.append(time.perf_counter() - t0)
    report("morning, separate calls", old)
    report("morning_update", new)


if __name__ == "__main__":
    main()
