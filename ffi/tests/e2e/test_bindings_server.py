"""The phone library against the real server, end to end.

Starts the real `server` binary (debug build) on its own embedded PostgreSQL
in a temporary folder and a free port, then drives the generated Python
bindings with transports written here on urllib, as an app does on its own
HTTP stack: enrol with a one-time code from the force admin API, sync real
records (the daily summary scored from an imported night, a check-in,
learning progress), replay a batch and lose an answer without creating
duplicates, then ask for a peer-support call-back and check, through the
API and the supporter's dashboard page, that only the chosen supporter sees
it and that their acknowledgement on that page reaches the phone.

Run by scripts/ci/45-bindings-server.sh (after 40-bindings.sh generated the
bindings): FATIGUE_COACH_BINDINGS names the bindings folder, FATIGUE_SERVER
the server binary. The server fixture is in conftest.py, the transports and
clients in harness.py (shared with the scenario runner).
"""

import datetime as dt
import json

import pytest
from harness import (
    ADMIN_PASSWORD,
    PASSWORD,
    ApiTransport,
    Client,
    Dashboard,
    SyncTransport,
    fc,
    http,
    setup_force,
)

UTC = dt.timezone.utc
PHONE = "07700 900123"


def healthkit_nights(now, nights):
    """HealthKit sleep, HRV and resting HR for `nights` nights, the last ending an hour ago."""
    records = []
    for k in range(nights):
        end = now - dt.timedelta(hours=1, days=k)
        start = end - dt.timedelta(hours=7, minutes=30)
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        src = {"sourceBundle": "com.apple.health.watch", "device": "Apple Watch"}
        records.append({"type": "HKCategoryTypeIdentifierSleepAnalysis", "value": 3,
                        "startDate": start.strftime(fmt), "endDate": end.strftime(fmt),
                        "timeZone": "Europe/London", **src})
        t = start + dt.timedelta(hours=3)
        records.append({"type": "HKQuantityTypeIdentifierHeartRateVariabilitySDNN",
                        "value": 50.0 + k, "unit": "ms", "startDate": t.strftime(fmt),
                        "endDate": (t + dt.timedelta(minutes=1)).strftime(fmt), **src})
        records.append({"type": "HKQuantityTypeIdentifierRestingHeartRate", "value": 55.0 - k % 3,
                        "unit": "count/min", "startDate": end.strftime(fmt),
                        "endDate": end.strftime(fmt), **src})
    return json.dumps(records).encode()


def kinds(export):
    out = {}
    for r in export["records"]:
        out[r["kind"]] = out.get(r["kind"], 0) + 1
    return out


def test_phone_library_against_the_real_server(server, tmp_path):
    base = server
    admin = Client(base).login(None, "admin", ADMIN_PASSWORD)
    kent_admin, kent, kent_ids = setup_force(base, admin, "kent")
    essex_admin, essex, _ = setup_force(base, admin, "essex")
    admin.ok("POST", "/v1/admin/analysts", {"username": "analyst", "password": PASSWORD})
    npws = Client(base).login(None, "analyst")

    # Enrol the phone through the library with a code from the force admin API.
    code = kent_admin.ok("POST", "/v1/force/enrolment-codes", {"staff_number": "kent-001"})["code"]
    coach = fc.FatigueCoach.open(str(tmp_path / "coach.db"), "Europe/London")
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.enrol_device(ApiTransport(base), "kent", "not-the-code")
    enrolment = coach.enrol_device(ApiTransport(base), "kent", code)
    with pytest.raises(fc.CoachError.InvalidInput):  # one-time
        coach.enrol_device(ApiTransport(base), "kent", code)
    token = enrolment.access_token
    officer = Client(base, token)
    officer.ok("PUT", "/v1/me/consent", {"level": "sleep_and_check_ins"})
    coach.set_consent(fc.ConsentLevel.CHECK_INS)

    # A week of nights from HealthKit, this morning scored, a check-in, a module.
    now = dt.datetime.now(UTC).replace(microsecond=0)
    report = coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, healthkit_nights(now, 9), now)
    assert report.sleep_episodes == 9 and report.rejected == 0
    morning = coach.morning_update(now, None, 48)
    assert morning.recovery.score is not None and morning.recovery.summary_queued
    coach.record_check_in(fc.CheckIn(taken_at=now - dt.timedelta(minutes=20), scale=fc.CheckInScale.KSS,
                                     value=6, context=fc.CheckInContext.BEFORE_SHIFT), now)
    module = coach.learning_courses()[0].modules[0].id
    n = len(coach.learning_module(module).questions)
    right = [f.correct_option for f in coach.answer_self_check(module, [0] * n, now).feedback]
    assert coach.answer_self_check(module, right, now).completed

    sync = SyncTransport(base, token)
    result = coach.sync(sync, now)
    assert result.status == fc.SyncStatus.UP_TO_DATE()
    assert (result.batches_acknowledged, result.records_stored, result.records_rejected) == (1, 3, 0)
    assert coach.queue_status().sent == 3 and coach.queue_status().pending == 0
    export = officer.ok("GET", "/v1/me/export")
    assert kinds(export) == {"daily_summary": 1, "check_in": 1, "learning_progress": 1}
    summary = [r for r in export["records"] if r["kind"] == "daily_summary"][0]
    assert summary["recovery_score"] == morning.recovery.score
    assert summary["local_date"] == morning.recovery.local_date
    progress = [r for r in export["records"] if r["kind"] == "learning_progress"][0]
    assert progress["module_id"] == module and progress["completed"] is True

    # A replayed batch changes nothing and gets the original acknowledgement.
    key, body = sync.sent[0]
    status, text = http(base, "POST", "/v1/sync", body.encode(), token, {"Idempotency-Key": key})
    assert status == 200 and json.loads(text)["replayed"] is True
    assert kinds(officer.ok("GET", "/v1/me/export")) == kinds(export)

    # A lost answer: the library resends the same batch, the server replays it.
    coach.record_check_in(fc.CheckIn(taken_at=now - dt.timedelta(minutes=5), scale=fc.CheckInScale.KSS,
                                     value=7, context=fc.CheckInContext.BEFORE_SHIFT), now)
    lossy = SyncTransport(base, token, lose_answers=1)
    first = coach.sync(lossy, now)
    assert isinstance(first.status, fc.SyncStatus.RETRY_AFTER)
    second = coach.sync(lossy, first.status.at)
    assert second.status == fc.SyncStatus.UP_TO_DATE() and second.batches_acknowledged == 1
    assert lossy.sent[0] == lossy.sent[1]  # same key, same body
    after = officer.ok("GET", "/v1/me/export")
    assert kinds(after) == kinds(export)
    assert [r["value"] for r in after["records"] if r["kind"] == "check_in"] == [7]

    # A confidential call-back to Pat.
    api = ApiTransport(base, token)
    directory = coach.support_directory(api)
    pat = [s for s in directory.supporters if s.display_name == "Pat of kent"][0]
    assert pat.id == kent_ids["pat"]
    assert any(s.name == "Samaritans" for s in directory.crisis_lines)
    made = coach.request_callback(api, fc.CallbackRequest(
        supporter_id=pat.id, contact_method=fc.ContactMethod.PHONE, contact_detail=PHONE,
        window_start=now + dt.timedelta(hours=1), window_end=now + dt.timedelta(hours=3)), now)
    assert made.status == fc.CallbackStatus.OPEN
    with pytest.raises(fc.CoachError.InvalidInput) as refused:
        coach.request_callback(api, fc.CallbackRequest(
            supporter_id=pat.id, contact_method=fc.ContactMethod.PHONE, contact_detail="call me maybe",
            window_start=now + dt.timedelta(hours=1), window_end=now + dt.timedelta(hours=3)), now)
    assert "invalid_contact" in refused.value.detail and "maybe" not in refused.value.detail

    assigned = kent["pat"].ok("GET", "/v1/support/callbacks/assigned")
    assert [c["id"] for c in assigned] == [made.id]
    assert assigned[0]["contact_detail"] == PHONE
    assert "staff_number" not in json.dumps(assigned) and "kent-001" not in json.dumps(assigned)
    # Nobody else sees it: another supporter, the officer's supervisor, the
    # force admin, another force, NPWS.
    assert kent["sam"].ok("GET", "/v1/support/callbacks/assigned") == []
    assert essex["pat"].ok("GET", "/v1/support/callbacks/assigned") == []
    for outsider in (kent["sarge"], kent_admin, essex_admin, npws):
        status, doc = outsider.call("GET", "/v1/support/callbacks/assigned")
        assert status == 403, (status, doc)
        assert PHONE not in json.dumps(doc)
    for outsider in (kent["sam"], kent["sarge"], essex["pat"], essex_admin, npws):
        status, doc = outsider.call("POST", f"/v1/support/callbacks/{made.id}/acknowledge", {})
        assert status in (403, 404), (status, doc)
    assert coach.refresh_callbacks(api)[0].status == fc.CallbackStatus.OPEN

    # Pat sees it on the dashboard's support page; Sam and the supervisor don't.
    pat_page = Dashboard(base, "kent", "pat")
    status, page = pat_page.get("/dashboard/support")
    assert status == 200 and PHONE in page and made.id in page, status
    status, page = Dashboard(base, "kent", "sam").get("/dashboard/support")
    assert status == 200 and PHONE not in page and made.id not in page
    status, page = Dashboard(base, "kent", "sarge").get("/dashboard/support")
    assert status == 403 and PHONE not in page

    # Bad forms are refused and change nothing: an unknown action, a
    # hand-over to something that is not a supporter id, a missing CSRF token.
    status, page = pat_page.post(f"/dashboard/support/{made.id}", {"action": "delete"})
    assert status == 422 and "acknowledge, contacted or handover" in page, status
    status, _ = pat_page.post(f"/dashboard/support/{made.id}", {"action": "handover", "supporter": "x"})
    assert status == 422, status
    forged = Dashboard(base, "kent", "pat")
    forged.csrf = "not-the-token"
    status, _ = forged.post(f"/dashboard/support/{made.id}", {"action": "acknowledge"})
    assert status == 403, status
    assert coach.refresh_callbacks(api)[0].status == fc.CallbackStatus.OPEN

    # Pat acknowledges there; the phone sees it.
    status, _ = pat_page.post(f"/dashboard/support/{made.id}", {"action": "acknowledge"})
    assert status == 303, status
    mine = coach.refresh_callbacks(api)
    assert [(c.id, c.status) for c in mine] == [(made.id, fc.CallbackStatus.ACKNOWLEDGED)]
    assert coach.callbacks()[0].status == fc.CallbackStatus.ACKNOWLEDGED

    # The officer erases the phone's copy: nothing personal stays on the phone.
    coach.erase_all()
    assert PHONE not in coach.export_json()


def test_learning_progress_from_phones_reaches_the_force_report(server, tmp_path):
    """Five officers each finish a module on their phone and sync it; the
    force's FRM report counts them (and only counts: five is the smallest
    cell it publishes), by team."""
    base = server
    admin = Client(base).login(None, "admin", ADMIN_PASSWORD)
    chief, _, _ = setup_force(base, admin, "devon")
    chief.ok("POST", "/v1/force/accounts", {"username": "frm", "password": PASSWORD, "role": "frm_lead"})
    frm = Client(base).login("devon", "frm")
    staff = [f"devon-{i:03}" for i in range(1, 6)]
    team = [t for t in chief.ok("GET", "/v1/teams") if t["name"] == "Response A"][0]["id"]
    # The dashboard's members form refuses an over-long staff number and keeps the team as it was.
    page = Dashboard(base, "devon", "chief")
    page.get("/dashboard/admin")
    status, html = page.post("/dashboard/admin/members", {"team": team, "staff_numbers": "devon-001, " + "9" * 65})
    assert status == 200 and "Nothing was changed" in html and "1 to 64 characters" in html, status
    assert [t for t in chief.ok("GET", "/v1/teams") if t["id"] == team][0]["members"] == ["devon-001", "devon-002"]
    chief.ok("PUT", f"/v1/teams/{team}/members", {"staff_numbers": staff})
    # The report's population is the rostered staff: a week of day shifts.
    # Reports cover whole ISO weeks: the last one that has ended.
    today = dt.datetime.now(UTC).date()
    sunday = today - dt.timedelta(days=today.weekday() + 1)
    monday = sunday - dt.timedelta(days=6)
    rows = ["staff_id,start,end"]
    for s in staff:
        for k in range(6):
            day = (monday + dt.timedelta(days=k)).isoformat()
            rows.append(f"{s},{day}T07:00,{day}T17:00")
    status, text = http(base, "POST", f"/v1/teams/{team}/roster", ("\n".join(rows) + "\n").encode(),
                        chief.token, {"Content-Type": "text/csv"})
    assert status in (200, 201), (status, text)

    now = dt.datetime.combine(sunday, dt.time(12), UTC)  # the modules are done that week
    for i, s in enumerate(staff):
        code = chief.ok("POST", "/v1/force/enrolment-codes", {"staff_number": s})["code"]
        coach = fc.FatigueCoach.open(str(tmp_path / f"phone-{i}.db"), "Europe/London")
        token = coach.enrol_device(ApiTransport(base), "devon", code).access_token
        module = coach.learning_courses()[0].modules[0].id
        n = len(coach.learning_module(module).questions)
        right = [f.correct_option for f in coach.answer_self_check(module, [0] * n, now).feedback]
        assert coach.answer_self_check(module, right, now).completed
        result = coach.sync(SyncTransport(base, token), now)
        assert (result.records_stored, result.records_rejected) == (1, 0), i

    made = frm.ok("POST", "/v1/force/reports",
                  {"from": monday.isoformat(), "to": sunday.isoformat()})
    report = frm.ok("GET", f"/v1/force/reports/{made['id']}?format=json")
    learning = [t for t in report["tables"] if t["id"] == "learning"][0]
    col = {name: k for k, name in enumerate(learning["columns"])}
    for row in (learning["rows"][0], [r for r in learning["rows"] if r["label"] == "Response A"][0]):
        cells = row["cells"]
        assert cells[col["people who opened a module"]]["value"] == "5", row
        assert cells[col["completed some modules"]]["value"] == "5", row
        assert cells[col["completed some modules"]]["percent"] is not None, row
    # Counts only: no staff number, pseudonym or module answer in the report.
    text = json.dumps(report)
    assert not any(s in text for s in staff)
