"""The whole-product scenarios: each file in ffi/tests/scenarios/ (the
format and the list are in docs/scenarios.md) is run here as an officer's
phone would run it, through the generated Python bindings, one step at a
time (import the roster, the watch's files, sleep; look at the forecast,
the morning score and the coaching at a given instant; sync), checking the
figures the file expects at every look. Where a file has a `server` part,
its officers are enrolled on the real server (the session's `server`
fixture, conftest.py), their roster is uploaded for their team, and the
figures are checked there too: the officer's `GET /v1/me/risk` and the
supervisor's team view give the phone's uncalibrated Fatigue Index for
every shift (1e-6), and a scenario that syncs reaches the FRM lead's force
report for its ISO week.

The expected figures are literals in the files; a second test checks each
literal against `reference.py`, an independent Python implementation of
the science reference (it does not call the library), so a file cannot
drift from the reference it claims.
"""

import datetime as dt
import json
import os
import sys

import pytest
from harness import ADMIN_PASSWORD, PASSWORD, ApiTransport, Client, SyncTransport, fc, http, setup_force

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
import scenario_data as sd  # noqa: E402

# An independent implementation of the same equations: the FI agrees to
# 1e-6 (docs/science.md's tolerance policy for reference figures).
FI_TOLERANCE = 1e-6
FILES = sd.paths()
NAMES = [os.path.basename(p)[:-5] for p in FILES]
CONSENT = {  # phone level, server level
    "sleep_summaries": (fc.ConsentLevel.SLEEP_SUMMARIES, "sleep"),
    "check_ins": (fc.ConsentLevel.CHECK_INS, "sleep_and_check_ins"),
}


def test_the_issues_seven_scenarios_are_here():
    assert len(FILES) >= 7, NAMES
    checks = ("forecast", "morning", "coaching")
    for path in FILES:  # every scenario asserts figures, not just "no error"
        sc = sd.load(path)
        assert any(k in step for steps in sc["phones"].values() for step in steps for k in checks), path


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_the_files_expected_figures_are_the_references(path):
    sc = sd.load(path)
    for look in sd.forecast_looks(sc):
        want = look["step"]["forecast"]["expect"]
        ref = sd.reference_figures(sc, look)
        assert [sd.t(w["start"]) for w in want] == [r["start"] for r in ref], look["label"]
        for w, r in zip(want, ref):
            assert w["fatigue_index"] == pytest.approx(r["fatigue_index"], abs=1e-9), w["start"]
            assert w["night_shift"] == r["night_shift"], w["start"]
            assert w["sleep_basis"] == r["sleep_basis"], w["start"]
            if "sleep_before_hours" in w:
                assert w["sleep_before_hours"] == pytest.approx(r["sleep_before_hours"], abs=1e-9)


class Officers:
    """The scenario's force on the real server: a team of `officers` staff
    (`<force>-001`...), a supervisor, an FRM lead, the roster uploaded for
    every officer, one enrolment code each."""

    def __init__(self, base, sc):
        self.base, self.sc, self.part = base, sc, sc["server"]
        slug = self.part["force"]
        admin = Client(base).login(None, "admin", ADMIN_PASSWORD)
        self.chief, staff, _ = setup_force(base, admin, slug)
        self.sarge = staff["sarge"]
        self.chief.ok("POST", "/v1/force/accounts", {"username": "frm", "password": PASSWORD, "role": "frm_lead"})
        self.frm = Client(base).login(slug, "frm")
        self.staff = [f"{slug}-{i:03}" for i in range(1, self.part["officers"] + 1)]
        self.team = [t for t in self.chief.ok("GET", "/v1/teams") if t["name"] == "Response A"][0]["id"]
        self.chief.ok("PUT", f"/v1/teams/{self.team}/members", {"staff_numbers": self.staff})
        header, *rows = sc["roster_csv"].strip().splitlines()
        csv = [header] + [s + row for s in self.staff for row in rows]  # rows start with the empty staff_id
        status, text = http(base, "POST", f"/v1/teams/{self.team}/roster", ("\n".join(csv) + "\n").encode(),
                            self.chief.token, {"Content-Type": "text/csv"})
        assert status in (200, 201), (status, text)

    def enrol(self, k, coach):
        code = self.chief.ok("POST", "/v1/force/enrolment-codes", {"staff_number": self.staff[k]})["code"]
        return coach.enrol_device(ApiTransport(self.base), self.part["force"], code).access_token

    def period(self, p):
        return f"?from={p['from']}&to={p['to']}"

    def my_risk(self, token):
        return Client(self.base, token).ok("GET", "/v1/me/risk" + self.period(self.part["period"]))

    def team_view(self, period):
        view = self.sarge.ok("GET", f"/v1/teams/{self.team}/risk" + self.period(period))
        return {o["staff_number"]: o["assessment"] for o in view["officers"]}

    def report(self, spec):
        made = self.frm.ok("POST", "/v1/force/reports", {"from": spec["from"], "to": spec["to"]})
        return self.frm.ok("GET", f"/v1/force/reports/{made['id']}?format=json")


def check_forecast(got, step, looks):
    spec = step["forecast"]
    want = spec["expect"]
    assert [(g.start, g.end) for g in got] == [(sd.t(w["start"]), sd.t(w["end"])) for w in want]
    for g, w in zip(got, want):
        where = w["start"]
        assert g.fatigue_index == pytest.approx(w["fatigue_index"], abs=FI_TOLERANCE), where
        assert g.night_shift == w["night_shift"], where
        assert g.threshold == (45.0 if w["night_shift"] else 35.0), where
        assert g.above_threshold == (g.fatigue_index >= g.threshold), where
        assert g.sleep_basis == getattr(fc.SleepBasis, w["sleep_basis"].upper()), where
        assert sorted(f.code for f in g.flags) == sorted(w["flags"]), where
        assert not g.personalised, where  # no check-ins: the standard figures only
        if "hours" in w:
            assert g.end - g.start == dt.timedelta(hours=w["hours"]), where
        if "sleep_before_hours" in w:
            assert g.sleep_before_hours == pytest.approx(w["sleep_before_hours"], abs=1e-9), where
    if "higher_than" in spec:
        earlier = looks[spec["higher_than"]]
        for g, e in zip(got, earlier):
            assert g.fatigue_index > e.fatigue_index, (g.start, g.fatigue_index, e.fatigue_index)


def run_phone(sc, steps, coach, at_server=None):
    """Runs one phone's steps; returns its forecasts by look label."""
    looks = {}
    token = None
    if at_server:
        officers, k = at_server
        token = officers.enrol(k, coach)
    for step in steps:
        at = sd.t(step["at"])
        if "consent" in step:
            phone_level, server_level = CONSENT[step["consent"]]
            coach.set_consent(phone_level)
            if token:
                Client(officers.base, token).ok("PUT", "/v1/me/consent", {"level": server_level})
        if step.get("import_roster"):
            rows = len(sc["roster_csv"].strip().splitlines()) - 1
            assert coach.import_roster_file(sc["roster_csv"], fc.RosterFormat.CSV, at).accepted == rows
        if "import_healthkit" in step:
            records = sd.healthkit_records(step["import_healthkit"])
            report = coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, json.dumps(records).encode(), at)
            assert report.rejected == 0, report
        if "import_sleep" in step:
            episodes = [fc.SleepEpisode(start=sd.t(s), end=sd.t(e)) for s, e in step["import_sleep"]]
            assert coach.import_sleep(episodes, at).accepted == len(episodes)
        if "forecast" in step:
            got = coach.forecast(at, step["forecast"]["horizon_hours"])
            check_forecast(got, step, looks)
            looks[step.get("label", step["at"])] = got
        if "morning" in step:
            want = step["morning"]
            m = coach.morning_recovery(at)
            assert m.status == getattr(fc.RecoveryStatus, want["status"].upper()), (step["at"], m.status, m.reasons)
            assert m.band == getattr(fc.RecoveryBand, want["band"].upper()), (step["at"], m.band)
            assert (m.score, m.sleep_minutes, m.sleep_debt_minutes) == (
                want["score"], want["sleep_minutes"], want["sleep_debt_minutes"]), step["at"]
        if "coaching" in step:
            messages = coach.coaching_messages(at)
            ids, triggers = [m.id for m in messages], [m.trigger for m in messages]
            for message_id in step["coaching"]["fires"]:
                assert message_id in ids, (step["at"], ids)
            for trigger in step["coaching"]["silent"]:
                assert trigger not in triggers, (step["at"], triggers)
        if "sync" in step:
            assert token, "a sync step needs the scenario's server part"
            result = coach.sync(SyncTransport(officers.base, token), at)
            assert result.status == fc.SyncStatus.UP_TO_DATE(), result
            assert (result.records_stored, result.records_rejected) == (step["sync"]["records_stored"], 0)
    return looks, token


def same_figures(assessment, phone):
    """The server's assessment has the phone's shifts, Fatigue Index (1e-6),
    flags and basis (no wearable on the server's side: predicted)."""
    server = {dt.datetime.fromisoformat(s["start"]): s for s in assessment["shifts"]}
    assert sorted(server) == sorted(g.start for g in phone), (sorted(server), [g.start for g in phone])
    for g in phone:
        s = server[g.start]
        assert dt.datetime.fromisoformat(s["end"]) == g.end
        assert s["fatigue_index"] == pytest.approx(g.fatigue_index, abs=FI_TOLERANCE), g.start
        assert sorted(f["code"] for f in s["flags"]) == sorted(f.code for f in g.flags), g.start
        assert s["sleep_basis"] == "predicted"


def check_server(officers, looks, token):
    part = officers.part
    if "same_as_look" in part:
        phone = looks[part["same_as_look"]]
        same_figures(officers.my_risk(token), phone)
        view = officers.team_view(part["period"])
        same_figures(view[officers.staff[0]], phone)
        for staff in officers.staff[1:]:  # the same roster: the same figures
            same_figures(view[staff], phone)
        shown = {(s["start"], s["end"]) for s in view[officers.staff[0]]["shifts"]}
        for start, end in part.get("local_times", []):
            assert (start, end) in shown, (start, end, sorted(shown))
    if "empty_period" in part:
        assert officers.team_view(part["empty_period"])[officers.staff[0]]["shifts"] == []
    if "report" in part:
        report = officers.report(part["report"])
        tables = {t["id"]: t for t in report["tables"]}
        for cell in part["report"]["cells"]:
            table = tables[cell["table"]]
            column = table["columns"].index(cell["column"])
            force_row = table["rows"][0]
            assert force_row["cells"][column]["value"] == cell["value"], (cell, force_row)
        text = json.dumps(report)
        assert not any(s in text for s in officers.staff)  # counts only


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_scenario(path, tmp_path, request):
    sc = sd.load(path)
    officers = Officers(request.getfixturevalue("server"), sc) if "server" in sc else None
    # With a server part every officer's phone runs the steps (the report
    # needs five people); the first is the one compared with the server.
    phones = officers.part["officers"] if officers else 1
    first = None
    for k in range(phones):
        for name, steps in sc["phones"].items():
            coach = fc.FatigueCoach.open(str(tmp_path / f"{name}-{k}.db"), sc["zone"])
            result = run_phone(sc, steps, coach, (officers, k) if officers else None)
            first = first or result
    if officers:
        check_server(officers, *first)
