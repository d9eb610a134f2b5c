"""One officer, two phones, against the real server (issue 16).

The officer's enrolled phone asks for a pairing code through the library;
their new phone enrols with it (the force admin cannot make one, and a
spent code does not work twice); both phones sync real records, a replay
and a lost answer on either are not doubled, the first phone learns of the
second from its sync acknowledgement, and the officer's export shows one
person with both devices and one set of records.

Run by scripts/ci/45-bindings-server.sh on the session's server (conftest.py),
with the transports and helpers of harness.py; its forces are its own
(gwent, dyfed), as the server is shared by the folder's tests.
"""

import datetime as dt
import json

import pytest

from harness import ADMIN_PASSWORD, ApiTransport, Client, SyncTransport, fc, http, setup_force
from test_bindings_server import healthkit_nights, kinds

UTC = dt.timezone.utc


def test_one_officer_pairs_a_second_phone_and_both_sync_into_one_record(server, tmp_path):
    base = server
    admin = Client(base).login(None, "admin", ADMIN_PASSWORD)
    chief, staff, _ = setup_force(base, admin, "gwent")
    dyfed_chief, _, _ = setup_force(base, admin, "dyfed")
    now = dt.datetime.now(UTC).replace(microsecond=0)

    # Phone A enrols with the force's code.
    code = chief.ok("POST", "/v1/force/enrolment-codes", {"staff_number": "gwent-001"})["code"]
    phone_a = fc.FatigueCoach.open(str(tmp_path / "a.db"), "Europe/London")
    token_a = phone_a.enrol_device(ApiTransport(base), "gwent", code).access_token
    Client(base, token_a).ok("PUT", "/v1/me/consent", {"level": "sleep_and_check_ins"})
    phone_a.set_consent(fc.ConsentLevel.CHECK_INS)

    # A second enrolment code for the same officer is refused: a second
    # phone comes only from the first.
    status, doc = chief.call("POST", "/v1/force/enrolment-codes", {"staff_number": "gwent-001"})
    assert (status, doc["code"]) == (409, "already_enrolled")
    # Nobody without the officer's device can ask for a pairing code.
    for outsider in (chief, staff["sarge"], dyfed_chief):
        status, _ = outsider.call("POST", "/v1/me/pairing-codes")
        assert status == 403

    pairing = phone_a.request_pairing_code(ApiTransport(base, token_a))
    left = (pairing.expires_at - dt.datetime.now(UTC)).total_seconds()
    assert 540 <= left <= 600, left  # 10 minutes

    phone_b = fc.FatigueCoach.open(str(tmp_path / "b.db"), "Europe/London")
    with pytest.raises(fc.CoachError.InvalidInput):
        phone_b.enrol_device(ApiTransport(base), "gwent", "not-the-code")
    with pytest.raises(fc.CoachError.InvalidInput):  # the right code, another force's name
        phone_b.enrol_device(ApiTransport(base), "dyfed", pairing.code)
    enrolment_b = phone_b.enrol_device(ApiTransport(base), "gwent", pairing.code)
    with pytest.raises(fc.CoachError.InvalidInput):  # one-time
        fc.FatigueCoach.open(str(tmp_path / "c.db"), "Europe/London").enrol_device(
            ApiTransport(base), "gwent", pairing.code)
    token_b = enrolment_b.access_token
    phone_b.set_consent(fc.ConsentLevel.CHECK_INS)

    # Both phones list both devices, A first, each marking itself.
    listed_a = phone_a.paired_devices(ApiTransport(base, token_a))
    listed_b = phone_b.paired_devices(ApiTransport(base, token_b))
    assert [d.id for d in listed_a] == [d.id for d in listed_b]
    assert listed_a[1].id == enrolment_b.device_id
    assert [d.this_device for d in listed_a] == [True, False]
    assert [d.this_device for d in listed_b] == [False, True]
    assert listed_a[0].created_at <= listed_a[1].created_at

    # A: a week of nights (this morning scored) and a before-shift check-in.
    report = phone_a.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, healthkit_nights(now, 9), now)
    assert report.sleep_episodes == 9
    morning = phone_a.morning_update(now, None, 48)
    assert morning.recovery.summary_queued
    phone_a.record_check_in(fc.CheckIn(taken_at=now - dt.timedelta(minutes=30), scale=fc.CheckInScale.KSS,
                                       value=5, context=fc.CheckInContext.BEFORE_SHIFT), now)
    # B: a before-drive check-in the same day, and a learning module.
    phone_b.record_check_in(fc.CheckIn(taken_at=now - dt.timedelta(minutes=10), scale=fc.CheckInScale.KSS,
                                       value=7, context=fc.CheckInContext.BEFORE_DRIVE), now)
    module = phone_b.learning_courses()[0].modules[0].id
    n = len(phone_b.learning_module(module).questions)
    right = [f.correct_option for f in phone_b.answer_self_check(module, [0] * n, now).feedback]
    assert phone_b.answer_self_check(module, right, now).completed

    sync_a = SyncTransport(base, token_a)
    done_a = phone_a.sync(sync_a, now)
    assert (done_a.records_stored, done_a.records_rejected) == (2, 0)
    # B answers with a lost reply first: the library resends the same batch.
    sync_b = SyncTransport(base, token_b, lose_answers=1)
    first_b = phone_b.sync(sync_b, now)
    assert isinstance(first_b.status, fc.SyncStatus.RETRY_AFTER)
    done_b = phone_b.sync(sync_b, first_b.status.at)
    assert done_b.status == fc.SyncStatus.UP_TO_DATE() and done_b.batches_acknowledged == 1
    assert sync_b.sent[0] == sync_b.sent[1]
    # Each phone's batches are numbered on their own, from 1.
    assert [json.loads(body)["sequence"] for _, body in sync_a.sent] == [1]
    assert phone_a.queue_status().cursor == 1 and phone_b.queue_status().cursor == 1

    # A learns a device was paired after it; B, paired last, learns of none.
    assert phone_a.new_device_notice() == 1
    assert phone_b.new_device_notice() == 0
    phone_a.dismiss_new_device_notice()
    assert phone_a.new_device_notice() == 0

    # One person: the export from either phone holds both devices and the
    # four records (a summary and a check-in from A, a check-in and a module
    # from B), the two check-ins apart by context.
    export_a = Client(base, token_a).ok("GET", "/v1/me/export")
    export_b = Client(base, token_b).ok("GET", "/v1/me/export")
    assert export_a == export_b
    assert [d["id"] for d in export_a["devices"]] == [d.id for d in listed_a]
    assert kinds(export_a) == {"daily_summary": 1, "check_in": 2, "learning_progress": 1}
    assert sorted(r["context"] for r in export_a["records"] if r["kind"] == "check_in") == [
        "before_drive", "before_shift"]

    # Replays from either phone answer from the store and store nothing new.
    for token, sent in ((token_a, sync_a.sent[0]), (token_b, sync_b.sent[0])):
        key, body = sent
        status, text = http(base, "POST", "/v1/sync", body.encode(), token, {"Idempotency-Key": key})
        assert status == 200 and json.loads(text)["replayed"] is True
    assert Client(base, token_a).ok("GET", "/v1/me/export") == export_a

    # The audit log names the pseudonym and the devices, never the staff number.
    person = export_a["person"]["id"]
    audit = [e for e in chief.ok("GET", "/v1/force/audit")
             if e["action"] in ("issue_pairing_code", "pair_device")]
    assert [(e["action"], e["actor_id"], e["target"]) for e in audit] == [
        ("pair_device", person, f"device:{enrolment_b.device_id}"),
        ("issue_pairing_code", person, f"device:{listed_a[0].id}"),
    ]
    assert "gwent-001" not in json.dumps(audit)
