"""Reads the scenario files (`*.json` beside this module; the format is in
docs/scenarios.md) and gives the reference's figures for a look, from the
scenario's own inputs. Plain Python: no phone library, no server."""

import datetime as dt
import json
import os
from zoneinfo import ZoneInfo

import reference

HERE = os.path.dirname(os.path.abspath(__file__))
UTC = dt.timezone.utc
# HealthKit sleep-analysis values (HKCategoryValueSleepAnalysis): 0 in bed,
# 2 awake; 1, 3, 4, 5 asleep (unspecified, core, deep, REM).
ASLEEP = {1, 3, 4, 5}
SLEEP_TYPE = "HKCategoryTypeIdentifierSleepAnalysis"


def paths():
    return sorted(os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith(".json"))


def t(s):
    """An RFC 3339 instant (with its offset) as an aware UTC datetime."""
    return dt.datetime.fromisoformat(s).astimezone(UTC)


def load(path):
    with open(path) as f:
        sc = json.load(f)
    sc["path"] = path
    sc["zone_info"] = ZoneInfo(sc["zone"])
    return sc


def roster_shifts(sc):
    """The roster file's shifts as UTC instants: local `YYYY-MM-DDTHH:MM` in
    the scenario's zone (the roster file format of docs/rosters.md)."""
    zone = sc["zone_info"]
    out = []
    for line in sc["roster_csv"].strip().splitlines()[1:]:
        _, start, end = line.split(",")[:3]
        out.append(tuple(reference.localize(dt.datetime.fromisoformat(x), zone)
                         for x in (start, end)))
    return out


def healthkit_records(step):
    """The HealthKit export records a step imports: its literal `records`,
    and `nights` expanded as docs/scenarios.md says."""
    records = list(step.get("records", []))
    spec = step.get("nights")
    if spec:
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        src = {"sourceBundle": "com.apple.health.watch", "device": "Apple Watch"}
        first, last = t(spec["first_end"]), t(spec["last_end"])
        end = first
        while end <= last:
            start = end - dt.timedelta(hours=spec["hours"])
            records.append({"type": SLEEP_TYPE, "value": 3, "startDate": start.strftime(fmt),
                            "endDate": end.strftime(fmt), "timeZone": spec["zone"], **src})
            at = start + dt.timedelta(hours=3)
            records.append({"type": "HKQuantityTypeIdentifierHeartRateVariabilitySDNN",
                            "value": spec["hrv_sdnn_ms"], "unit": "ms", "startDate": at.strftime(fmt),
                            "endDate": (at + dt.timedelta(minutes=1)).strftime(fmt), **src})
            rhr = end + dt.timedelta(minutes=30)
            records.append({"type": "HKQuantityTypeIdentifierRestingHeartRate",
                            "value": spec["resting_hr"], "unit": "count/min",
                            "startDate": rhr.strftime(fmt), "endDate": rhr.strftime(fmt), **src})
            end += dt.timedelta(days=1)
    return records


def wearable_evidence(sc, phone, upto):
    """(recorded sleeps, covered spans) from the phone's imports before `upto`:
    asleep records are recorded sleep, every sleep-analysis record (in bed
    and awake included) covers its span."""
    recorded, covered = [], []
    for step in sc["phones"][phone]:
        if t(step["at"]) > upto:
            break
        for s, e in step.get("import_sleep", []):
            recorded.append((t(s), t(e)))
            covered.append((t(s), t(e)))
        if "import_healthkit" in step:
            for r in healthkit_records(step["import_healthkit"]):
                if r["type"] != SLEEP_TYPE:
                    continue
                span = (t(r["startDate"]), t(r["endDate"]))
                if span[1] > upto:
                    continue
                covered.append(span)
                if r["value"] in ASLEEP:
                    recorded.append(span)
    return sorted(recorded), sorted(covered)


def forecast_looks(sc):
    """Every forecast step, with its phone's name."""
    for phone, steps in sc["phones"].items():
        for step in steps:
            if "forecast" in step:
                yield {"phone": phone, "at": t(step["at"]), "label": step.get("label", ""),
                       "step": step}


def reference_figures(sc, look):
    """The reference's figures for the shifts a forecast at the look shows:
    the roster's shifts ending after the look and starting within its
    horizon, assessed over the whole roster (all of it is within the week
    before each look, as the phone assesses)."""
    shifts = roster_shifts(sc)
    horizon = look["at"] + dt.timedelta(hours=look["step"]["forecast"]["horizon_hours"])
    # The phone assesses the shifts from a week before the look to its
    # horizon; the reference assesses the whole roster: the same run only
    # when the whole roster is in that window.
    week_before = look["at"] - dt.timedelta(days=7)
    outside = [s for s in shifts if not (s[1] > week_before and s[0] < horizon)]
    assert not outside, f"{look['label']}: shifts outside the look's window: {outside}"
    recorded, covered = wearable_evidence(sc, look["phone"], look["at"])
    figures = reference.assess(shifts, sc["zone_info"], recorded, covered)
    return [f for f in figures if f["end"] > look["at"] and f["start"] < horizon]
