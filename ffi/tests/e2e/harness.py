"""What the end-to-end binding tests share: the real server on its own
embedded PostgreSQL (the `server` fixture, in conftest.py), HTTP on urllib
as an app's own stack would do it, the sync and API transports the phone
library calls, a signed-in dashboard session, and a force set up through
the admin API. Used by test_bindings_server.py and the whole-product
scenario runner (test_scenarios.py).

FATIGUE_COACH_BINDINGS names the generated bindings folder, FATIGUE_SERVER
the server binary (scripts/ci/45-bindings-server.sh sets both).
"""

import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.environ["FATIGUE_COACH_BINDINGS"])
import fatigue_coach as fc  # noqa: E402

ADMIN_PASSWORD = "admin-password-for-bindings-e2e"
PASSWORD = "a-long-test-password"

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

