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
the server binary.
"""

import datetime as dt
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.environ["FATIGUE_COACH_BINDINGS"])
import fatigue_coach as fc  # noqa: E402

UTC = dt.timezone.utc
ADMIN_PASSWORD = "admin-password-for-bindings-e2e"
PASSWORD = "a-long-test-password"
PHONE = "07700 900123"


def http(base, method, path, body=None, token=None, headers=None):
    """One request; returns (status, text). Raises URLError when unreachable."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Dashboard:
    """A signed-in dashboard session (the cookie is `Secure`, so it is kept by
    hand over the test's plain-HTTP loopback)."""

    def __init__(self, base, force, username, password=PASSWORD):
        self.base, self.opener = base, urllib.request.build_opener(_NoRedirect)
        form = urllib.parse.urlencode({"force": force, "username": username, "password": password})
        status, headers, _ = self._send("POST", "/dashboard/sign-in", form.encode())
        assert status == 303, status
        self.cookie = headers["Set-Cookie"].split(";")[0]
        self.csrf = None

    def _send(self, method, path, data=None, cookie=None):
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        if cookie:
            req.add_header("Cookie", cookie)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def get(self, path):
        status, _, page = self._send("GET", path, cookie=self.cookie)
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        self.csrf = found.group(1) if found else self.csrf
        return status, page

    def post(self, path, fields):
        form = urllib.parse.urlencode({"csrf": self.csrf, **fields}).encode()
        status, _, page = self._send("POST", path, form, cookie=self.cookie)
        return status, page


class Client:
    def __init__(self, base, token=None):
        self.base, self.token = base, token

    def call(self, method, path, body=None):
        status, text = http(self.base, method, path, body, self.token)
        try:
            return status, json.loads(text) if text else None
        except json.JSONDecodeError:
            return status, text

    def ok(self, method, path, body=None, expect=(200, 201, 204)):
        status, doc = self.call(method, path, body)
        assert status in expect, f"{method} {path}: {status} {doc}"
        return doc

    def login(self, force, username, password=PASSWORD):
        doc = Client(self.base).ok("POST", "/v1/auth/login",
                                   {"force": force, "username": username, "password": password})
        return Client(self.base, doc["access_token"])


class SyncTransport(fc.SyncTransport):
    """`POST /v1/sync` on urllib, as an app would on URLSession or OkHttp."""

    def __init__(self, base, token, lose_answers=0):
        self.base, self.token, self.lose_answers = base, token, lose_answers
        self.sent = []

    def post_batch(self, idempotency_key, body):
        self.sent.append((idempotency_key, body))
        try:
            status, text = http(self.base, "POST", "/v1/sync", body.encode(), self.token,
                                {"Idempotency-Key": idempotency_key})
        except urllib.error.URLError:
            raise fc.TransportError.Unreachable()
        if self.lose_answers:
            # The server stored it; the answer is lost on the way back.
            self.lose_answers -= 1
            raise fc.TransportError.Unreachable()
        return fc.HttpResponse(status=status, body=text)


class ApiTransport(fc.ApiTransport):
    """The API's JSON endpoints on urllib."""

    def __init__(self, base, token=None):
        self.base, self.token = base, token

    def request(self, method, path, body):
        try:
            status, text = http(self.base, method, path,
                                None if body is None else body.encode(), self.token)
        except urllib.error.URLError:
            raise fc.TransportError.Unreachable()
        return fc.HttpResponse(status=status, body=text)


@pytest.fixture(scope="module")
def server():
    """The real server on an embedded cluster in a temporary folder."""
    binary = os.environ["FATIGUE_SERVER"]
    # The cluster runs as the `postgres` user, who must be able to enter the folder.
    data = tempfile.mkdtemp(prefix="fatigue-bindings-e2e-", dir="/var/tmp")
    os.chmod(data, 0o755)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "MIGRATE_DATABASE_URL", "FATIGUE_CONFIG")}
    env.update(FATIGUE_DATA_DIR=data, FATIGUE_BIND="127.0.0.1:0", FATIGUE_WORKERS="2",
               FATIGUE_POOL_SIZE="4", FATIGUE_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
               RUST_LOG="warn")
    proc = subprocess.Popen([binary, "serve"], stdout=subprocess.PIPE, env=env, text=True)
    lines = queue.Queue()

    def drain():
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    url = None
    try:
        while url is None:
            line = lines.get(timeout=60)
            assert line is not None, "the server exited before listening"
            if line.startswith("listening on "):
                url = line.split("listening on ", 1)[1].strip()
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(data, ignore_errors=True)


def setup_force(base, admin, slug):
    """A force with an admin, a supervised team of officers, and two peer supporters."""
    admin.ok("POST", "/v1/admin/forces", {"slug": slug, "name": slug})
    admin.ok("POST", f"/v1/admin/forces/{slug}/admins", {"username": "chief", "password": PASSWORD})
    chief = Client(base).login(slug, "chief")
    ids = {}
    for name, role in [("sarge", "supervisor"), ("pat", "peer_supporter"), ("sam", "peer_supporter")]:
        ids[name] = chief.ok("POST", "/v1/force/accounts",
                             {"username": name, "password": PASSWORD, "role": role})["id"]
    team = chief.ok("POST", "/v1/force/teams", {"name": "Response A"})["id"]
    chief.ok("PUT", f"/v1/teams/{team}/members", {"staff_numbers": [f"{slug}-001", f"{slug}-002"]})
    chief.ok("POST", f"/v1/teams/{team}/supervisors", {"account_id": ids["sarge"]})
    for name in ("pat", "sam"):
        chief.ok("PUT", f"/v1/support/supporters/{ids[name]}",
                 {"display_name": f"{name.title()} of {slug}", "contact_hours": "Weekdays 08:00-18:00",
                  "channels": ["phone", "app"]})
    staff = {name: Client(base).login(slug, name) for name in ("sarge", "pat", "sam")}
    return chief, staff, ids


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
    today = dt.datetime.now(UTC).date()
    monday = today - dt.timedelta(days=today.weekday())
    rows = ["staff_id,start,end"]
    for s in staff:
        # A fortnight of days around today, so this ISO week has some
        # whatever today's weekday.
        for back in range(-6, 7):
            day = (today - dt.timedelta(days=back)).isoformat()
            rows.append(f"{s},{day}T07:00,{day}T17:00")
    status, text = http(base, "POST", f"/v1/teams/{team}/roster", ("\n".join(rows) + "\n").encode(),
                        chief.token, {"Content-Type": "text/csv"})
    assert status in (200, 201), (status, text)

    now = dt.datetime.now(UTC).replace(microsecond=0)
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
                  # Reports are on the calendar grid: this ISO week.
                  {"from": monday.isoformat(), "to": (monday + dt.timedelta(days=6)).isoformat()})
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
