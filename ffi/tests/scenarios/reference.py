"""An independent implementation of the fatigue science reference, in plain
Python, for the whole-product scenarios' expected figures. It does NOT call
the phone library or the server: it is written from
`/work/shared/reference/fatigue-science.md` (the project's copy of the
rules is `docs/science.md`), so a figure the product shows and this module
computes agree only when both follow the reference.

- §1 Three Process Model (Ingre et al. 2014 coefficients), §4 the RR446
  mapping of KSS to P(KSS >= 8) and the Fatigue Index (mean P × 100 over a
  shift's epochs), the WTR night rule (>= 3 h in 23:00–06:00 local).
- §6 sleep predicted from a roster, with the choices `docs/science.md` §6
  documents (1-hour commute either side of a shift, pieces under 30 min
  dropped, the longest free piece of a candidate kept).
- The assessment's documented run: 5-minute epochs from 3 days before the
  first shift (floored to the epoch) to the last shift's end (ceiled); a
  shift's epochs are those at instants in [start, end); recorded sleep
  replaces the predicted sleep of every opportunity it, or a span the
  wearable covered, overlaps (§6 "wherever it exists").

Instants are aware `datetime`s; the zone is a `zoneinfo.ZoneInfo`.

Run `python3 reference.py FILE.json` to print the figures of a scenario
file's looks (what its expected numbers were filled from).
"""

import datetime as dt
import math
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
H = dt.timedelta(hours=1)

# §1, Ingre et al. (2014).
LA, HA, D = 2.4, 14.3, -0.0353
G = math.log((14.3 - 14.0) / (14.3 - 7.96)) / 8.0
BL = 12.2
CM, CA, P = 0.0, 2.5, 16.8
UM, UA = -0.5, 0.5
WC, WD = -5.72, -1.51
S0 = 7.96

EPOCH = dt.timedelta(minutes=5)
WARM_UP = dt.timedelta(days=3)

# §6 rules (hours).
USUAL_ONSET, USUAL_WAKE, EARLIEST_ONSET, EARLY_BEFORE = 23.0, 7.0, 22.0, 9.0
WAKE_BEFORE_START, SLEEP_NEED, LATE_END_AFTER = 1.25, 8.0, 22.0
AFTER_LATE_DELAY, AFTER_NIGHT_DELAY, AFTER_NIGHT_SLEEP = 1.5, 1.0, 5.0
NAP, NAP_END_BEFORE, COMMUTE, SHORTEST = 1.5, 3.0, 1.0, 0.5


def hours(h):
    return dt.timedelta(milliseconds=round(h * 3_600_000))


# --- local time ----------------------------------------------------------


def localize(naive, zone):
    """A naive local time in `zone` as UTC: the earlier of a repeated hour,
    None for a skipped one."""
    t = naive.replace(tzinfo=zone, fold=0)
    u = t.astimezone(UTC)
    if u.astimezone(zone).replace(tzinfo=None) != naive:
        return None  # the clocks went forward over it
    return u


def local_instant(day, hour, zone):
    """Local clock hour `hour` (may pass 24) counted from local midnight of `day`."""
    return localize(dt.datetime.combine(day, dt.time()) + hours(hour), zone)


def tod_hours(t, zone):
    loc = t.astimezone(zone)
    return loc.hour + loc.minute / 60 + loc.second / 3600


def night_minutes(start, end, zone):
    """Minutes of [start, end) in 23:00–06:00 local, each night's edges in the zone."""
    total = dt.timedelta()
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    while day <= end.astimezone(zone).date():
        a = local_instant(day, 23, zone)
        b = local_instant(day + dt.timedelta(days=1), 6, zone)
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            total += hi - lo
        day += dt.timedelta(days=1)
    return total.total_seconds() / 60


def is_night(shift, zone):
    return night_minutes(shift[0], shift[1], zone) >= 180


# --- §6 predicted sleep ----------------------------------------------------


def _main_sleep(day, shifts, night, zone):
    onset = local_instant(day, USUAL_ONSET, zone)
    wake = local_instant(day, 24 + USUAL_WAKE, zone)
    noon = local_instant(day, 12, zone)
    late_after = local_instant(day, LATE_END_AFTER, zone)
    early_cut = local_instant(day, 24 + EARLY_BEFORE, zone)
    earliest = local_instant(day, EARLIEST_ONSET, zone)
    if None in (onset, wake, noon, late_after, early_cut, earliest):
        return None
    previous = None
    for i, s in enumerate(shifts):
        if noon < s[1] <= wake:
            previous = i  # the last such duty
    after_late = False
    if previous is not None:
        if night[previous]:
            return None  # the day sleep after a night replaces it
        if shifts[previous][1] > late_after:
            onset = shifts[previous][1] + hours(AFTER_LATE_DELAY)
            wake = onset + hours(SLEEP_NEED)
            after_late = True
    nxt = next((s for s in shifts if s[0] >= onset), None)
    if nxt is not None:
        latest_wake = nxt[0] - hours(WAKE_BEFORE_START)
        if nxt[0] < early_cut:  # every early start
            early_onset = max(earliest, latest_wake - hours(SLEEP_NEED))
            onset = max(onset, early_onset) if after_late else early_onset
        wake = min(wake, latest_wake)
    return (onset, wake) if wake > onset else None


def _longest_free_piece(cand, busy):
    start, end = cand
    free = [(start, end)]
    for bs, be in busy:
        if bs < end and be > start:
            nxt = []
            for s, e in free:
                for a, b in ((s, min(e, bs)), (max(s, be), e)):
                    if a < b:
                        nxt.append((a, b))
            free = nxt
    best = None
    for p in free:  # the last of equal lengths, as a max-by-key scan keeps
        if best is None or p[1] - p[0] >= best[1] - best[0]:
            best = p
    return best


def predict_sleep(shifts, frm, to, zone):
    """§6: predicted sleep for the nights from the local day before `frm` to
    the local day of `to`; sorted, merged, never on a shift or its commute."""
    shifts = sorted(shifts)
    night = [is_night(s, zone) for s in shifts]
    busy = [(s[0] - hours(COMMUTE), s[1] + hours(COMMUTE)) for s in shifts]
    cands = []
    day = frm.astimezone(zone).date() - dt.timedelta(days=1)
    while day <= to.astimezone(zone).date():
        c = _main_sleep(day, shifts, night, zone)
        if c:
            cands.append(c)
        day += dt.timedelta(days=1)
    for i, s in enumerate(shifts):
        if not night[i]:
            continue
        onset = s[1] + hours(AFTER_NIGHT_DELAY)
        cands.append((onset, onset + hours(AFTER_NIGHT_SLEEP)))
        run_continues = any(night[j] and p[1] <= s[0] and s[0] - p[1] < dt.timedelta(hours=24)
                            for j, p in enumerate(shifts[:i]))
        if not run_continues:
            nap_end = s[0] - hours(NAP_END_BEFORE)
            cands.append((nap_end - hours(NAP), nap_end))
    pieces = []
    for c in cands:
        p = _longest_free_piece(c, busy)
        if p and p[1] - p[0] >= hours(SHORTEST) and p[1] > frm and p[0] <= to:
            pieces.append(p)
    pieces.sort()
    merged = []
    for s, e in pieces:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _overlaps(a, b):
    return a[0] < b[1] and b[0] < a[1]


def combine(recorded, covered, predicted):
    """Recorded sleep, and predicted sleep for every opportunity nothing recorded covers."""
    out = [(s, "recorded") for s in recorded]
    out += [(p, "predicted") for p in predicted
            if not any(_overlaps(p, r) for r in recorded)
            and not any(_overlaps(p, c) for c in covered)]
    return sorted(out)


# --- §1 Three Process Model ------------------------------------------------


def s_awake(sw, t):
    return LA + (sw - LA) * math.exp(D * t)


def s_asleep(ss, t):
    tb = (BL - ss) / (G * (BL - HA))
    if t <= tb:
        return ss + t * G * (BL - HA)
    return HA - (HA - BL) * math.exp(G * (t - tb))


def kss_series(sleeps, start, end, zone):
    """TPM KSS (W included) at every epoch of [start, end]."""
    sleeps = sorted(sleeps)
    asleep, since, carry = False, start, S0
    if sleeps and sleeps[0][0] <= start < sleeps[0][1]:
        asleep = True
        events = [(sleeps[0][1], "wake")]
        rest = sleeps[1:]
    else:
        events, rest = [], sleeps
    for s, e in rest:
        events += [(s, "sleep"), (e, "wake")]
    out, k, t = [], 0, start
    while t <= end:
        while k < len(events) and events[k][0] <= t:
            at, what = events[k]
            h = (at - since).total_seconds() / 3600
            carry = s_asleep(carry, h) if asleep else s_awake(carry, h)
            asleep, since = what == "sleep", at
            k += 1
        h = (t - since).total_seconds() / 3600
        s = s_asleep(carry, h) if asleep else s_awake(carry, h)
        w = 0.0 if asleep else WC * math.exp(WD * h)
        tod = tod_hours(t, zone)
        c = CM + CA * math.cos(2 * math.pi / 24 * (tod - P))
        u = UM + UA * math.cos(2 * math.pi / 12 * (tod - P - 3))
        out.append(10.6 - 0.6 * (s + c + u + w))
        t += EPOCH
    return out


def p_sleepy(kss):
    """§4, RR446: P(KSS >= 8), capped at 1."""
    return min(1.0, 1.26 / (1 + 3670 * math.exp(-1.06 * kss)))


# --- the assessment --------------------------------------------------------


def _floor(t):
    e = int(EPOCH.total_seconds())
    ts = int(t.timestamp())
    return dt.datetime.fromtimestamp(ts - ts % e, UTC)


def _ceil(t):
    f = _floor(t)
    return f if f == t else f + EPOCH


def assess(shifts, zone, recorded=(), covered=()):
    """Per shift (in order): Fatigue Index, KSS at the end, night by WTR,
    sleep in the 24 h before (hours) and its basis."""
    shifts = sorted(set(shifts))
    start = _floor(shifts[0][0] - WARM_UP)
    end = _ceil(max(s[1] for s in shifts))
    predicted = predict_sleep(shifts, start, end, zone)
    sleep = [(s, src) for s, src in combine(sorted(recorded), list(covered), predicted)
             if s[1] > start and s[0] <= end]
    kss = kss_series([s for s, _ in sleep], start, end, zone)
    e = EPOCH.total_seconds()
    out = []
    for a, b in shifts:
        i = math.ceil((a - start).total_seconds() / e)
        j = math.ceil((b - start).total_seconds() / e)
        epochs = kss[i:j]
        window = a - dt.timedelta(hours=24)
        total, rec, pred = 0.0, any(_overlaps((window, a), c) for c in covered), False
        for (s, f), src in sleep:
            overlap = (min(f, a) - max(s, window)).total_seconds() / 3600
            if overlap > 0:
                total += overlap
                rec, pred = rec or src == "recorded", pred or src == "predicted"
        basis = "mixed" if rec and pred else "recorded" if rec else "predicted"
        out.append({
            "start": a, "end": b,
            "fatigue_index": 100 * sum(map(p_sleepy, epochs)) / len(epochs),
            "kss_at_end": epochs[-1], "night_shift": is_night((a, b), zone),
            "sleep_before_hours": total, "sleep_basis": basis,
        })
    return out


if __name__ == "__main__":
    import json
    import sys

    import scenario_data

    for path in sys.argv[1:]:
        sc = scenario_data.load(path)
        print(f"# {sc['name']}")
        for look in scenario_data.forecast_looks(sc):
            print(f"look at {look['at'].isoformat()} ({look.get('label', '')})")
            for r in scenario_data.reference_figures(sc, look):
                print(json.dumps({k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                                  for k, v in r.items()}))
