"""Second-phone pairing through the bindings, against fakes: the pairing code
and the device list read from the server's answers, and the new-device
notice kept from sync acknowledgements (the real server: ffi/tests/e2e)."""

import datetime as dt
import json

import pytest

import fatigue_coach as fc

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 3, 10, 8, 0, tzinfo=UTC)


@pytest.fixture
def coach(tmp_path):
    return fc.FatigueCoach.open(str(tmp_path / "coach.db"), "Europe/London")


class Answer(fc.ApiTransport):
    """Answers every request with one reply, and records the requests."""

    def __init__(self, status, body):
        self.status, self.body, self.calls = status, body, []

    def request(self, method, path, body):
        self.calls.append((method, path, body))
        return fc.HttpResponse(status=self.status, body=json.dumps(self.body))


def test_a_pairing_code_and_the_device_list_come_from_the_server(coach):
    api = Answer(201, {"code": "Xy7-code", "expires_at": "2025-03-10T08:10:00Z"})
    code = coach.request_pairing_code(api)
    assert api.calls == [("POST", "/v1/me/pairing-codes", None)]
    assert (code.code, code.expires_at) == ("Xy7-code", NOW + dt.timedelta(minutes=10))

    api = Answer(200, {"devices": [
        {"id": "a", "created_at": "2025-03-01T09:00:00Z", "this_device": True},
        {"id": "b", "created_at": "2025-03-10T07:55:00Z", "this_device": False}]})
    devices = coach.paired_devices(api)
    assert api.calls == [("GET", "/v1/me/devices", None)]
    assert [(d.id, d.this_device) for d in devices] == [("a", True), ("b", False)]
    assert devices[1].created_at == NOW - dt.timedelta(minutes=5)


@pytest.mark.parametrize("status, body, error", [
    (403, {"code": "forbidden"}, fc.CoachError.NotReady),  # not a device token
    (429, {"code": "rate_limited"}, fc.CoachError.NotReady),
    (404, {"code": "not_found"}, fc.CoachError.InvalidInput),  # withdrawn
    (201, {"code": "x"}, fc.CoachError.NotReady),  # no expiry: unreadable
])
def test_pairing_refusals(coach, status, body, error):
    with pytest.raises(error):
        coach.request_pairing_code(Answer(status, body))


def ack(payload, newer):
    return json.dumps({"idempotency_key": payload.idempotency_key,
                       "results": [{"index": 0, "status": "stored"}],
                       "cursor": payload.sequence, "replayed": False, "newer_devices": newer})


def test_the_new_device_notice_follows_the_acknowledgements(coach):
    assert coach.new_device_notice() == 0
    coach.record_learning_progress("officer.naps", False, NOW)
    coach.acknowledge_sync(ack(coach.sync_payload(NOW), 1))
    assert coach.new_device_notice() == 1  # one device paired after this one
    coach.dismiss_new_device_notice()
    assert coach.new_device_notice() == 0
    coach.record_learning_progress("officer.naps", True, NOW)
    coach.acknowledge_sync(ack(coach.sync_payload(NOW), 3))
    assert coach.new_device_notice() == 2  # 3 newer, 1 seen
