"""Drives the whole FatigueCoach API through the generated Python module:
construction, imports, roster, check-ins, forecast, consent, the sync
protocol against a fake transport, export and erasure, every error path,
and calls from several threads."""

import datetime as dt
import json
import sqlite3
import threading

import pytest

import fatigue_coach as fc

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 3, 10, 8, 0, tzinfo=UTC)


def at(day, hour, minute=0):
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def coach(tmp_path):
    return fc.FatigueCoach.open(str(tmp_path / "coach.db"), "Europe/London")


def nights(first, last):
    return [fc.SleepEpisode(start=at(d, 23), end=at(d + 1, 7)) for d in range(first, last)]


# --- construction -----------------------------------------------------------


def test_open_creates_a_migrated_store(coach):
    assert coach.schema_version() == 5
    assert coach.time_zone() == "Europe/London"
    assert coach.consent() == fc.ConsentLevel.ROSTER_ONLY
    assert fc.library_version()


def test_unknown_zone_is_invalid_input(tmp_path):
    with pytest.raises(fc.CoachError.InvalidInput) as e:
        fc.FatigueCoach.open(str(tmp_path / "x.db"), "Mars/Olympus")
    assert "zone" in e.value.detail


def test_a_path_that_is_not_a_store_is_a_storage_error(tmp_path):
    with pytest.raises(fc.CoachError.Storage):
        fc.FatigueCoach.open(str(tmp_path), "Europe/London")
    bogus = tmp_path / "not-a-db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(fc.CoachError.Storage):
        fc.FatigueCoach.open(str(bogus), "Europe/London")


def test_a_store_from_a_newer_app_is_refused_not_opened(tmp_path):
    path = tmp_path / "newer.db"
    fc.FatigueCoach.open(str(path), "UTC")
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(fc.CoachError.Storage) as e:
        fc.FatigueCoach.open(str(path), "UTC")
    assert "newer" in e.value.detail


# --- imports ---------------------------------------------------------------


def test_sleep_import_keeps_good_items_and_reports_the_rest(coach):
    good = nights(1, 4)
    bad = [
        fc.SleepEpisode(start=at(6, 7), end=at(6, 1)),  # reversed
        fc.SleepEpisode(start=at(7, 0), end=at(8, 6)),  # 30 h
        fc.SleepEpisode(start=at(2, 3), end=at(2, 5)),  # inside a stored night
    ]
    summary = coach.import_sleep(good + bad, NOW)
    assert summary.accepted == 3
    assert summary.duplicates == 0
    assert [(r.index, r.reason) for r in summary.rejected] == [
        (3, "end_not_after_start"),
        (4, "too_long"),
        (5, "overlaps_existing"),
    ]
    again = coach.import_sleep(good, NOW)
    assert (again.accepted, again.duplicates) == (0, 3)


def test_readings_are_range_checked(coach):
    hrv = coach.import_hrv(
        [fc.Reading(at=at(1, 7), value=45.0), fc.Reading(at=at(2, 7), value=-3.0),
         fc.Reading(at=at(3, 7), value=float("nan"))],
        NOW,
    )
    assert hrv.accepted == 1
    assert [r.reason for r in hrv.rejected] == ["out_of_range", "out_of_range"]
    rhr = coach.import_resting_heart_rate(
        [fc.Reading(at=at(1, 7), value=58.0), fc.Reading(at=at(1, 7), value=58.0)], NOW
    )
    assert (rhr.accepted, rhr.duplicates) == (1, 1)


def test_roster_import_replaces_the_span_it_covers(coach):
    first = [fc.ShiftInput(start=at(d, 7), end=at(d, 15)) for d in (10, 11, 12)]
    assert coach.import_roster(first, NOW).accepted == 3
    changed = [fc.ShiftInput(start=at(11, 14), end=at(11, 22))]
    coach.import_roster(changed, NOW)
    coach.import_sleep(nights(1, 10), NOW)
    starts = [f.start for f in coach.forecast(NOW, 24 * 7)]
    assert starts == [at(10, 7), at(11, 14), at(12, 7)]


def test_roster_file_errors_name_line_and_column_without_values(coach):
    csv_ok = "staff_id,start,end\n,2025-03-10T07:00,2025-03-10T15:00\n,2025-03-11T07:00,2025-03-11T15:00\n"
    assert coach.import_roster_file(csv_ok, fc.RosterFormat.CSV, NOW).accepted == 2
    with pytest.raises(fc.CoachError.InvalidInput) as e:
        coach.import_roster_file("staff_id,start,end\n,banana,2025-03-10T15:00\n",
                                 fc.RosterFormat.CSV, NOW)
    assert "line 2" in e.value.detail and "banana" not in e.value.detail


def test_overlapping_shifts_in_one_roster_are_rejected(coach):
    shifts = [fc.ShiftInput(start=at(10, 7), end=at(10, 15)),
              fc.ShiftInput(start=at(10, 14), end=at(10, 22)),
              fc.ShiftInput(start=at(10, 7), end=at(12, 7))]
    s = coach.import_roster(shifts, NOW)
    assert s.accepted == 1
    assert sorted(r.reason for r in s.rejected) == ["overlaps_input", "too_long"]


# --- forecast ---------------------------------------------------------------


def test_forecast_uses_recorded_sleep_and_flags_short_sleep(tmp_path):
    rested = fc.FatigueCoach.open(str(tmp_path / "a.db"), "Europe/London")
    tired = fc.FatigueCoach.open(str(tmp_path / "b.db"), "Europe/London")
    night_shift = [fc.ShiftInput(start=at(10, 22), end=at(11, 7))]
    for c in (rested, tired):
        c.import_roster(night_shift, NOW)
    rested.import_sleep(nights(1, 10), NOW)
    short = [fc.SleepEpisode(start=at(d + 1, 3), end=at(d + 1, 6)) for d in range(1, 10)]
    tired.import_sleep(short, NOW)
    (a,) = rested.forecast(NOW, 48)
    (b,) = tired.forecast(NOW, 48)
    assert a.shift_type == fc.ShiftType.NIGHT and a.night_shift
    assert a.threshold == 45.0
    assert 0.0 <= a.fatigue_index <= 100.0
    assert b.fatigue_index > a.fatigue_index
    assert b.sleep_before_hours < a.sleep_before_hours
    assert a.sleep_basis in (fc.SleepBasis.RECORDED, fc.SleepBasis.MIXED)
    assert a.above_threshold == (a.fatigue_index > a.threshold)


# The roster and figures of mobile-core/tests/forecast_recorded_nights.rs
# (BINDING_ROSTER, BINDING_NIGHTS_FI): what `server roster-risk --tz
# Europe/London` gives the two nights, which that test checks against the
# engine.
ROSTER_BEFORE_FIRST_NIGHTS = """staff_id,start,end
,2025-03-06T07:00,2025-03-06T15:00
,2025-03-07T07:00,2025-03-07T15:00
,2025-03-10T22:00,2025-03-11T07:00
,2025-03-11T22:00,2025-03-12T07:00
"""
SERVER_NIGHTS_FI = [27.234872126515437, 39.82489497915798]


def test_forecast_without_a_wearable_equals_the_server_figures(coach):
    coach.import_roster_file(ROSTER_BEFORE_FIRST_NIGHTS, fc.RosterFormat.CSV, NOW)
    # The morning before the first night: nothing recorded, ever.
    nights = coach.forecast(NOW, 48)
    assert [n.start for n in nights] == [at(10, 22), at(11, 22)]
    for n, want in zip(nights, SERVER_NIGHTS_FI):
        assert n.fatigue_index == pytest.approx(want, abs=1e-6)
        assert n.sleep_basis == fc.SleepBasis.PREDICTED
        assert not n.above_threshold
    # The update shows the same forecast.
    update = coach.morning_update(NOW, None, 48)
    assert [n.fatigue_index for n in update.forecast] == pytest.approx(SERVER_NIGHTS_FI, abs=1e-6)


def test_forecast_without_a_roster_is_empty(coach):
    assert coach.forecast(NOW, 48) == []


# --- check-ins and consent ----------------------------------------------------


def checkin(value, scale=fc.CheckInScale.KSS, when=None):
    return fc.CheckIn(taken_at=when or at(10, 6, 7), scale=scale, value=value,
                      context=fc.CheckInContext.BEFORE_SHIFT)


def test_sleep_need_is_7_hours_until_set_and_refused_out_of_range(coach, tmp_path):
    assert coach.sleep_need_hours() == pytest.approx(7.0)
    coach.set_sleep_need_hours(8.5)
    assert coach.sleep_need_hours() == pytest.approx(8.5)
    for bad in (6.4, 10.1, 0.0, float("nan")):
        with pytest.raises(fc.CoachError.InvalidInput) as e:
            coach.set_sleep_need_hours(bad)
        assert "sleep_need_hours is outside 6.5..=10" in str(e.value)
        assert coach.sleep_need_hours() == pytest.approx(8.5)
    # Kept on the device: a second handle on the same file sees it.
    again = fc.FatigueCoach.open(str(tmp_path / "coach.db"), "Europe/London")
    assert again.sleep_need_hours() == pytest.approx(8.5)


def test_out_of_scale_check_ins_are_invalid_input(coach):
    with pytest.raises(fc.CoachError.InvalidInput) as e:
        coach.record_check_in(checkin(10), NOW)
    assert "value" in e.value.detail
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.record_check_in(checkin(8, fc.CheckInScale.SAMN_PERELLI), NOW)
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.record_learning_progress("no spaces allowed", True, NOW)


def test_only_consented_kinds_are_queued(coach):
    coach.record_check_in(checkin(5), NOW)
    coach.record_learning_progress("sleep-basics", True, NOW)
    assert coach.queue_status().pending == 1  # learning progress only
    coach.set_consent(fc.ConsentLevel.CHECK_INS)
    coach.record_check_in(checkin(6, when=at(11, 6)), NOW)
    assert coach.queue_status().pending == 2
    coach.set_consent(fc.ConsentLevel.SLEEP_SUMMARIES)
    assert coach.queue_status().pending == 1  # withdrawn at once
    body = json.loads(coach.sync_payload(NOW).body)
    assert [r["kind"] for r in body["records"]] == ["learning_progress"]


# --- sync -------------------------------------------------------------------


class FakeServer(fc.SyncTransport):
    """The server's side of POST /v1/sync, in memory: idempotent by key."""

    def __init__(self, script=()):
        self.script = list(script)  # per call: "ok", "drop", 500, 401, 400, "raise"
        self.calls = []
        self.stored = {}
        self.acks = {}
        self.cursor = 0

    def post_batch(self, idempotency_key, body):
        self.calls.append((idempotency_key, body))
        step = self.script.pop(0) if self.script else "ok"
        if step == "raise":
            raise fc.TransportError.Unreachable()
        if isinstance(step, int):
            return fc.HttpResponse(status=step, body="{}")
        if idempotency_key in self.acks:
            ack = dict(self.acks[idempotency_key], replayed=True)
        else:
            batch = json.loads(body)
            results = []
            for i, r in enumerate(batch["records"]):
                key = (r["kind"], r["local_date"])
                if r.get("module_id") == "refused":
                    results.append({"index": i, "status": "rejected",
                                    "code": "not_consented", "message": "no"})
                    continue
                status = "unchanged" if self.stored.get(key) == r else "stored"
                self.stored[key] = r
                results.append({"index": i, "status": status})
            self.cursor = max(self.cursor, batch["sequence"])
            ack = {"idempotency_key": idempotency_key, "results": results,
                   "cursor": self.cursor, "replayed": False}
            self.acks[idempotency_key] = ack
        if step == "drop":  # stored, but the answer is lost on the way back
            raise fc.TransportError.Unreachable()
        return fc.HttpResponse(status=200, body=json.dumps(ack))


def queue_learning(coach, n):
    for d in range(n):
        coach.record_learning_progress(f"module-{d}", d % 2 == 0,
                                       NOW + dt.timedelta(days=d))


def test_sync_sends_batches_and_marks_sent_only_on_ack(coach):
    queue_learning(coach, 3)
    server = FakeServer()
    report = coach.sync(server, NOW)
    assert report.status == fc.SyncStatus.UP_TO_DATE()
    assert (report.batches_acknowledged, report.records_stored) == (1, 3)
    assert len(server.stored) == 3
    status = coach.queue_status()
    assert (status.pending, status.sent, status.cursor) == (0, 3, 1)
    batch = json.loads(server.calls[0][1])
    assert batch["schema_version"] == 1 and batch["sequence"] == 1
    assert coach.sync(server, NOW).batches_acknowledged == 0


def test_a_lost_answer_is_retried_with_the_same_key_and_body(coach):
    queue_learning(coach, 2)
    server = FakeServer(["drop"])
    first = coach.sync(server, NOW)
    assert isinstance(first.status, fc.SyncStatus.RETRY_AFTER)
    assert first.status.at > NOW
    assert coach.queue_status().pending == 2  # stored remotely, but not acknowledged
    # Before the back-off passes nothing is sent.
    coach.sync(server, NOW + dt.timedelta(seconds=1))
    assert len(server.calls) == 1
    later = coach.sync(server, first.status.at)
    assert later.batches_acknowledged == 1
    assert server.calls[0] == server.calls[1]
    assert coach.queue_status().sent == 2


def test_server_errors_back_off_exponentially(coach):
    queue_learning(coach, 1)
    server = FakeServer([500, 503, "raise"])
    t = NOW
    waits = []
    for _ in range(3):
        r = coach.sync(server, t)
        assert isinstance(r.status, fc.SyncStatus.RETRY_AFTER)
        waits.append((r.status.at - t).total_seconds())
        t = r.status.at
    assert 24 <= waits[0] <= 36 and 48 <= waits[1] <= 72 and 96 <= waits[2] <= 144
    assert coach.sync(server, t).records_stored == 1
    assert len({k for k, _ in server.calls}) == 1


def test_unauthorised_asks_for_authentication(coach):
    queue_learning(coach, 1)
    r = coach.sync(FakeServer([401]), NOW)
    assert isinstance(r.status, fc.SyncStatus.NEEDS_AUTHENTICATION)
    assert coach.queue_status().pending == 1


def test_a_batch_the_server_refuses_does_not_block_the_queue(coach):
    queue_learning(coach, 1)
    r = coach.sync(FakeServer([400]), NOW)
    assert r.records_rejected == 1
    assert coach.queue_status().rejected == 1
    queue_learning(coach, 2)  # module-1 is new, module-0 unchanged (still rejected)
    assert coach.sync(FakeServer(), NOW).records_stored == 1


def test_per_record_rejections_are_kept_and_counted(coach):
    coach.record_learning_progress("refused", True, NOW)
    coach.record_learning_progress("fine", True, NOW + dt.timedelta(days=1))
    r = coach.sync(FakeServer(), NOW)
    assert (r.records_stored, r.records_rejected) == (1, 1)
    s = coach.queue_status()
    assert (s.sent, s.rejected) == (1, 1)


def test_an_undeclared_exception_in_the_transport_counts_as_unreachable(coach):
    class Broken(fc.SyncTransport):
        def post_batch(self, idempotency_key, body):
            raise RuntimeError("socket closed")

    queue_learning(coach, 1)
    r = coach.sync(Broken(), NOW)
    assert isinstance(r.status, fc.SyncStatus.RETRY_AFTER)


def test_manual_payload_and_acknowledgement(coach):
    assert coach.sync_payload(NOW) is None
    queue_learning(coach, 2)
    p = coach.sync_payload(NOW)
    assert coach.sync_payload(NOW).idempotency_key == p.idempotency_key
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.acknowledge_sync(json.dumps({"idempotency_key": "other", "results": [],
                                           "cursor": 1, "replayed": False}))
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.acknowledge_sync("not json")
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.acknowledge_sync(json.dumps({"idempotency_key": p.idempotency_key,
                                           "results": [{"index": 5, "status": "stored"}],
                                           "cursor": 1, "replayed": False}))
    assert coach.queue_status().pending == 2
    ack = {"idempotency_key": p.idempotency_key, "cursor": p.sequence, "replayed": False,
           "results": [{"index": 0, "status": "stored"}, {"index": 1, "status": "unchanged"}]}
    status = coach.acknowledge_sync(json.dumps(ack))
    assert (status.pending, status.sent, status.cursor) == (0, 2, p.sequence)


def test_a_second_concurrent_sync_is_not_ready(coach):
    queue_learning(coach, 1)
    entered, release = threading.Event(), threading.Event()

    class Slow(FakeServer):
        def post_batch(self, idempotency_key, body):
            entered.set()
            release.wait(10)
            return super().post_batch(idempotency_key, body)

    results = []
    t = threading.Thread(target=lambda: results.append(coach.sync(Slow(), NOW)))
    t.start()
    assert entered.wait(10)
    with pytest.raises(fc.CoachError.NotReady):
        coach.sync(FakeServer(), NOW)
    # The store is not held during the network call.
    assert coach.queue_status().pending == 1
    release.set()
    t.join()
    assert results[0].records_stored == 1


# --- export and erasure ---------------------------------------------------------


def test_export_holds_everything_and_erase_removes_it(coach, tmp_path):
    coach.set_consent(fc.ConsentLevel.CHECK_INS)
    coach.import_sleep(nights(1, 3), NOW)
    coach.import_hrv([fc.Reading(at=at(2, 7), value=52.0)], NOW)
    coach.import_roster([fc.ShiftInput(start=at(10, 7), end=at(10, 15))], NOW)
    coach.record_check_in(checkin(4), NOW)
    doc = json.loads(coach.export_json())
    assert len(doc["sleep_episodes"]) == 2
    assert doc["hrv_readings"][0]["rmssd_ms"] == 52.0
    assert doc["shifts"][0]["start_s"] == "2025-03-10T07:00:00+00:00"
    assert doc["sync_queue"][0]["payload"]["kind"] == "check_in"
    assert doc["sync_queue"][0]["payload"]["taken_at"] == "2025-03-10T06:00:00Z"
    coach.erase_all()
    doc = json.loads(coach.export_json())
    assert all(doc[t] == [] for t in doc if t != "schema_version")
    assert coach.consent() == fc.ConsentLevel.ROSTER_ONLY
    con = sqlite3.connect(tmp_path / "coach.db")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# --- threads ------------------------------------------------------------------


def test_calls_from_many_threads_are_safe(coach, in_threads):
    coach.import_roster([fc.ShiftInput(start=at(10, 7), end=at(10, 15))], NOW)

    def work(k):
        for i in range(20):
            start = dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(days=k * 20 + i)
            coach.import_sleep([fc.SleepEpisode(start=start, end=start + dt.timedelta(hours=7))], NOW)
            coach.forecast(NOW, 24)
            coach.queue_status()

    assert in_threads(work) == []
    assert len(json.loads(coach.export_json())["sleep_episodes"]) == 120


# --- coaching -------------------------------------------------------------------


def test_coaching_for_a_first_night_is_not_repeated_once_shown(coach):
    coach.import_sleep(nights(1, 10), NOW)
    coach.import_roster([fc.ShiftInput(start=at(10, 21), end=at(11, 7))], NOW)
    first = coach.coaching_messages(NOW)
    assert first, "a first night shift today should bring advice"
    assert [m.priority for m in first] == sorted((m.priority for m in first), reverse=True)
    assert all(m.title and m.body and m.locale for m in first)
    shown = first[0]
    coach.mark_coaching_shown(shown.id, NOW)
    assert shown.id not in [m.id for m in coach.coaching_messages(NOW + dt.timedelta(minutes=5))]
    assert json.loads(coach.export_json())["coaching_history"][0]["message_id"] == shown.id


def test_no_roster_and_no_data_brings_no_error(coach):
    assert isinstance(coach.coaching_messages(NOW), list)


# --- the force's FRM settings --------------------------------------------------

THREE_NIGHTS = """staff_id,start,end
,2025-03-10T22:00,2025-03-11T07:00
,2025-03-11T22:00,2025-03-12T07:00
,2025-03-12T22:00,2025-03-13T07:00
"""


def night_run_flags(coach):
    return [
        [f.severity for f in s.flags if f.code == "consecutive_nights"]
        for s in coach.forecast(NOW, 24 * 4)
    ]


def test_the_forces_settings_move_the_phones_flags_as_the_supervisors(coach):
    coach.import_roster_file(THREE_NIGHTS, fc.RosterFormat.CSV, NOW)
    # The published defaults: amber over 3 nights in a row, so 3 are not flagged.
    assert json.loads(coach.force_settings())["limits"]["nights_amber_over"] == 3
    assert night_run_flags(coach) == [[], [], []]
    # The body GET /v1/force/settings sends for a force that set amber over 2.
    body = {
        "limits": {"nights_amber_over": 2},
        "changed": ["nights_amber_over"],
        "updated_at": "2025-03-01T09:00:00Z",
    }
    coach.apply_force_settings(json.dumps(body))
    assert night_run_flags(coach) == [[], [], [fc.Severity.AMBER]]
    settings = json.loads(coach.force_settings())
    assert settings["limits"]["nights_amber_over"] == 2
    assert settings["changed"] == ["nights_amber_over"]


def test_settings_the_server_would_refuse_are_not_applied(coach):
    coach.import_roster_file(THREE_NIGHTS, fc.RosterFormat.CSV, NOW)
    for bad in [
        "not json",
        json.dumps({"nights_amber_over": 2}),  # the limits alone, not the body
        json.dumps({"limits": {"quick_return_red_under_hours": 10}}),  # WTR reg. 10
        json.dumps({"limits": {"no_such_setting": 1}}),
    ]:
        with pytest.raises(fc.CoachError.InvalidInput):
            coach.apply_force_settings(bad)
    assert json.loads(coach.force_settings())["limits"]["quick_return_red_under_hours"] == 11
    assert night_run_flags(coach) == [[], [], []]
