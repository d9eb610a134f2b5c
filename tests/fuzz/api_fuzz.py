"""Fuzzes the served OpenAPI document with schemathesis, once per role.

Starts nothing itself: scripts/ci/70-api-fuzz.sh starts `server demo` and
passes its URL. Signs in as each role the demo has (platform admin, NPWS
analyst, force admin, FRM lead, supervisor, and an officer enrolled here),
then runs schemathesis against /v1/openapi.json with that role's bearer
token: no response may be a 5xx, and every documented response must match
its schema. The number of examples per operation is bounded
(FUZZ_EXAMPLES, default 5, for CI); run by hand with more for a longer pass.
The platform admin goes last: it may rotate the signing keys.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")
PASSWORD = "demo-password-1"
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "5")


def call(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def login(force, username):
    status, body = call("POST", "/v1/auth/login",
                        {"force": force, "username": username, "password": PASSWORD})
    assert status == 200, (username, status, body)
    return body["access_token"]


def officer(admin_token):
    status, body = call("POST", "/v1/force/enrolment-codes",
                        {"staff_number": "FUZZ00001"}, admin_token)
    assert status == 201, (status, body)
    status, body = call("POST", "/v1/enrol", {"force": "demo", "code": body["code"]})
    assert status == 200, (status, body)
    return body["access_token"]


def main():
    force_admin = login("demo", "force-admin")
    roles = [
        ("officer", officer(force_admin)),
        ("supervisor", login("demo", "supervisor-1")),
        ("frm_lead", login("demo", "frm-lead")),
        ("force_admin", force_admin),
        ("npws_analyst", login(None, "npws-analyst")),
        ("platform_admin", login(None, "admin")),
    ]
    failed = []
    for role, token in roles:
        print(f"--- schemathesis as {role}", flush=True)
        env = dict(os.environ, SCHEMATHESIS_HOOKS="fuzz_hooks",
                   PYTHONPATH=os.path.dirname(os.path.abspath(__file__)))
        rc = subprocess.call([
            "schemathesis", "run", f"{BASE}/v1/openapi.json",
            "--base-url", BASE,
            "--checks", "not_a_server_error,response_schema_conformance",
            "--hypothesis-max-examples", EXAMPLES,
            "--hypothesis-derandomize",
            "--hypothesis-suppress-health-check", "all",
            "--workers", "2",
            "--no-color",
            "--experimental=openapi-3.1",
            "-H", f"Authorization: Bearer {token}",
        ], env=env)
        if rc != 0:
            failed.append(role)
    if failed:
        print(f"schemathesis found failures as: {', '.join(failed)}")
        sys.exit(1)
    print(f"schemathesis: clean as {len(roles)} roles")


if __name__ == "__main__":
    main()
