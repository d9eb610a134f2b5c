"""The personal plan through the generated Python module (docs/plan.md):
for a block of nights and for the roster of every whole-product scenario,
every window has a reason and a source, the Fatigue Index with the plan is
lower than without it on every night, and no reminder falls in planned
sleep."""

import datetime as dt
import glob
import json
import os
from zoneinfo import ZoneInfo

import pytest

import fatigue_coach as fc

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
SCENARIOS = sorted(
    glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios", "*.json"))
)
SLEEP = {
    fc.PlanWindowKind.MAIN_SLEEP,
    fc.PlanWindowKind.NAP,
    fc.PlanWindowKind.RECOVERY_SLEEP,
}


def at(day, hour, minute=0):
    return dt.datetime(2025, 1, day, hour, minute, tzinfo=UTC)


def check(plan, days, zone):
    """The properties every plan must have, whatever the roster."""
    assert len(plan.days) == days
    sleeps = [(w.start, w.end) for d in plan.days for w in d.windows if w.kind in SLEEP]
    assert sleeps
    for d in plan.days:
        for w in d.windows:
            assert w.reason.strip() and w.source.strip(), w
            assert w.start <= w.end
    per_day = {}
    for r in plan.reminders:
        assert not any(s <= r.at < e for s, e in sleeps), r
        local = r.at.astimezone(zone).date()
        per_day[local] = per_day.get(local, 0) + 1
        assert r.message and r.why
    assert all(n <= 3 for n in per_day.values()), per_day
    nights = [b for b in plan.benefits if b.night_shift]
    for b in nights:
        assert b.fatigue_index_with_plan < b.fatigue_index_without_plan, b
    return nights


@pytest.fixture
def coach(tmp_path):
    return fc.FatigueCoach.open(str(tmp_path / "coach.db"), "UTC")


def test_a_block_of_nights(coach):
    shifts = [fc.ShiftInput(start=at(d, 22), end=at(d + 1, 7)) for d in range(13, 17)]
    coach.import_roster(shifts, NOW)
    plan = coach.plan(NOW, 14)
    nights = check(plan, 14, UTC)
    # Model-derived (mobile-core plan::tests), without -> with the plan.
    want = [(27.27, 24.15), (39.84, 22.60), (47.25, 22.27), (51.22, 22.19)]
    assert [(round(b.fatigue_index_without_plan, 2), round(b.fatigue_index_with_plan, 2))
            for b in nights] == want
    # "Without" is the forecast's own figure.
    forecast = coach.forecast(NOW, 24 * 14)
    assert [f.fatigue_index for f in forecast] == pytest.approx(
        [b.fatigue_index_without_plan for b in nights], abs=1e-9)
    # Hand-worked windows: the 90-min nap ends 22:00 - 1 h - 30 min; the
    # day sleep starts 15 min after the drive home, for the 7 h need.
    day13 = next(d for d in plan.days if d.date == "2025-01-13")
    nap = [w for w in day13.windows if w.kind == fc.PlanWindowKind.NAP]
    assert [(w.start, w.end) for w in nap] == [(at(13, 19), at(13, 20, 30))]
    assert "Schweitzer" in nap[0].source
    day14 = next(d for d in plan.days if d.date == "2025-01-14")
    assert (at(14, 8, 15), at(14, 15, 15)) in [
        (w.start, w.end) for w in day14.windows if w.kind == fc.PlanWindowKind.MAIN_SLEEP]
    assert any(w.kind == fc.PlanWindowKind.CAFFEINE_CUTOFF and w.start == at(14, 2, 15)
               and "Drake" in w.source for w in day14.windows)
    kinds = {r.kind for r in plan.reminders}
    assert fc.PlanReminderKind.DRIVE_HOME in kinds and fc.PlanReminderKind.NAP in kinds
    assert (plan.sleep_need_hours, plan.commute_hours) == (7.0, 1.0)
    assert plan.chronotype_basis == fc.ChronotypeBasis.ASSUMED
    # The days are kept for plan against actual.
    assert len(coach.planned_days("2025-01-10", "2025-01-23")) == 14


def test_preferences_change_the_plan_and_bad_ones_are_refused(coach):
    coach.import_roster([fc.ShiftInput(start=at(13, 22), end=at(14, 7))], NOW)
    prefs = coach.plan_preferences()
    assert prefs.commute_hours is None and prefs.reminders_per_day == 3
    prefs.commute_hours = 0.5
    prefs.chronotype = fc.Chronotype.LATE
    coach.set_plan_preferences(prefs)
    assert coach.plan_preferences() == prefs
    plan = coach.plan(NOW, 14)
    assert plan.commute_hours == 0.5
    assert (plan.chronotype, plan.chronotype_basis) == (fc.Chronotype.LATE, fc.ChronotypeBasis.STATED)
    # Leaving at 21:30 now: the nap ends 21:00.
    naps = [w for d in plan.days for w in d.windows if w.kind == fc.PlanWindowKind.NAP]
    assert [(w.start, w.end) for w in naps] == [(at(13, 19, 30), at(13, 21))]
    prefs.commitments = [fc.PlanCommitment(weekdays=[8], start="08:00", end="09:00")]
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.set_plan_preferences(prefs)
    prefs.commitments = []
    prefs.commute_hours = 5.0
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.set_plan_preferences(prefs)
    assert coach.plan_preferences().commute_hours == 0.5


@pytest.mark.parametrize("path", SCENARIOS, ids=os.path.basename)
def test_every_scenario_roster(tmp_path, path):
    with open(path) as f:
        sc = json.load(f)
    zone = ZoneInfo(sc["zone"])
    coach = fc.FatigueCoach.open(str(tmp_path / "coach.db"), sc["zone"])
    first = sc["roster_csv"].strip().splitlines()[1].split(",")[1]
    start = dt.datetime.fromisoformat(first).replace(tzinfo=zone).astimezone(UTC)
    now = start - dt.timedelta(days=2)
    coach.import_roster_file(sc["roster_csv"], fc.RosterFormat.CSV, now)
    plan = coach.plan(now, 14)
    nights = check(plan, 14, zone)
    # So the night assertion is not vacuous: the nights each roster holds
    # (WTR rule; 07's 00:30 duties are nights).
    want = {"01": 4, "05": 1, "06": 3, "07": 2}.get(os.path.basename(path)[:2], 0)
    assert len(nights) == want
