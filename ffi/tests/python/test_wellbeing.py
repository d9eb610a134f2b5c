"""The wellbeing surface through the generated Python module: wearable
import in the platforms' formats, the morning recovery score and the daily
summary queued from it, sleep regularity, the officer learning track, and
peer-support call-backs through a fake API transport. Every error path."""

import datetime as dt
import itertools
import json
import pathlib

import pytest

import fatigue_coach as fc

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
DATA = pathlib.Path(__file__).resolve().parents[3] / "mobile-core" / "tests" / "data" / "wearables"


@pytest.fixture
def coach(tmp_path):
    return fc.FatigueCoach.open(str(tmp_path / "coach.db"), "Europe/London")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def hk_night(end_day, hours=7.5, source="com.apple.health.watch", hrv=50.0, rhr=55.0,
             month=3):
    """One HealthKit night ending 06:30 UTC on `end_day`, with HRV and resting HR."""
    end = dt.datetime(2025, month, 1, 6, 30, tzinfo=UTC) + dt.timedelta(days=end_day - 1)
    start = end - dt.timedelta(hours=hours)
    records = [
        {"type": "HKCategoryTypeIdentifierSleepAnalysis", "value": 3, "startDate": iso(start),
         "endDate": iso(end), "sourceBundle": source, "device": "Watch", "timeZone": "Europe/London"},
    ]
    if hrv is not None:
        t = start + dt.timedelta(hours=3)
        records.append({"type": "HKQuantityTypeIdentifierHeartRateVariabilitySDNN", "value": hrv,
                        "unit": "ms", "startDate": iso(t), "endDate": iso(t + dt.timedelta(minutes=1)),
                        "sourceBundle": source, "device": "Watch"})
    if rhr is not None:
        t = end + dt.timedelta(minutes=30)
        records.append({"type": "HKQuantityTypeIdentifierRestingHeartRate", "value": rhr,
                        "unit": "count/min", "startDate": iso(t), "endDate": iso(t),
                        "sourceBundle": source, "device": "Watch"})
    return records


def hk(records):
    return json.dumps(records).encode()


# --- wearable import ------------------------------------------------------------


def test_healthkit_import_builds_an_episode_and_counts_rejections_by_reason(coach):
    report = coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON,
                                        (DATA / "healthkit_night.json").read_bytes(), NOW)
    assert report.accepted > 0 and report.sleep_episodes == 1
    assert report.skipped >= 1  # the step count
    reasons = {r.reason: r.count for r in report.rejected_by_reason}
    assert reasons.get("out_of_range") == 2  # HRV 0 and 5000
    assert report.rejected == sum(reasons.values())
    again = coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON,
                                       (DATA / "healthkit_night.json").read_bytes(), NOW)
    assert again.sleep_episodes == 0
    assert again.duplicates > 0
    doc = json.loads(coach.export_json())
    assert len(doc["sleep_episodes"]) == 1
    assert doc["sleep_episodes"][0]["episode"]["local_date"] == "2025-03-02"


@pytest.mark.parametrize("fmt, name", [
    (fc.WearableFormat.HEALTH_CONNECT_JSON, "health_connect_night.json"),
    (fc.WearableFormat.OPEN_M_HEALTH_JSON, "open_mhealth.json"),
    (fc.WearableFormat.APPLE_EXPORT_XML, "export_small.xml"),
])
def test_every_platform_format_imports(coach, fmt, name):
    report = coach.import_wearable_data(fmt, (DATA / name).read_bytes(), NOW)
    assert report.accepted > 0
    assert report.sleep_episodes >= 1


def test_apple_export_is_read_from_a_path(coach):
    report = coach.import_apple_health_export(str(DATA / "export_small.xml"), NOW)
    assert report.accepted > 0 and report.sleep_episodes >= 1


def test_unreadable_wearable_data_is_invalid_input_without_content(coach):
    with pytest.raises(fc.CoachError.InvalidInput) as e:
        coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON,
                                   (DATA / "truncated.json").read_bytes(), NOW)
    assert "line" in e.value.detail and "HKCategory" not in e.value.detail
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, b"{\"not\": \"an array\"}", NOW)
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.import_wearable_data(fc.WearableFormat.HEALTH_CONNECT_JSON, b"\xff\xfe\x00", NOW)
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.import_apple_health_export(str(DATA / "truncated_export.xml"), NOW)
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.import_apple_health_export(str(DATA / "no-such-export.xml"), NOW)
    assert json.loads(coach.export_json())["wearable_samples"] == []


def test_a_built_episode_over_sleep_the_app_entered_is_counted_not_kept(coach):
    coach.import_sleep([fc.SleepEpisode(start=dt.datetime(2025, 3, 1, 23, 30, tzinfo=UTC),
                                        end=dt.datetime(2025, 3, 2, 6, 0, tzinfo=UTC))], NOW)
    report = coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, hk(hk_night(2)), NOW)
    assert (report.sleep_episodes, report.sleep_episodes_overlapping) == (0, 1)


def test_a_night_synced_in_two_parts_is_one_episode(coach):
    night = hk_night(5, hrv=None, rhr=None)[0]
    end = dt.datetime.strptime(night["endDate"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    first = dict(night, endDate=iso(end - dt.timedelta(hours=3)))
    second = dict(night, startDate=iso(end - dt.timedelta(hours=3)))
    assert coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, hk([first]), NOW).sleep_episodes == 1
    assert coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, hk([second]), NOW).sleep_episodes == 1
    episodes = json.loads(coach.export_json())["sleep_episodes"]
    assert len(episodes) == 1
    assert episodes[0]["episode"]["asleep_minutes"] == 450


# --- recovery --------------------------------------------------------------------


def week(coach, last_day=10, first_day=-12, **kw):
    """Nights from `first_day` (days before 1 March count back into February)
    to `last_day`: from -12, the 10 March morning's HRV baseline (60 days
    before its rolling week, at least 14 nights needed) holds 16 nights."""
    records = []
    for d in range(first_day, last_day + 1):
        records += hk_night(d, **kw)
    return coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, hk(records), NOW)


def test_cold_start_has_no_score_and_says_so(coach):
    coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, hk(hk_night(10)), NOW)
    r = coach.morning_recovery(NOW)
    assert r.status == fc.RecoveryStatus.COLD_START
    assert r.score is None and r.band is None
    assert r.local_date == "2025-03-10"
    assert any(isinstance(x, fc.RecoveryReason.COLD_START) and x.nights == 0 for x in r.reasons)


def test_a_full_week_scores_and_queues_the_summary_from_the_score(coach):
    coach.set_consent(fc.ConsentLevel.SLEEP_SUMMARIES)
    week(coach, hrv=52.0, rhr=54.0)
    r = coach.morning_recovery(NOW)
    assert r.status == fc.RecoveryStatus.SCORED, r.reasons
    assert 0 <= r.score <= 100
    expected_band = (fc.RecoveryBand.GREEN if r.score >= 67
                     else fc.RecoveryBand.AMBER if r.score >= 34 else fc.RecoveryBand.RED)
    assert r.band == expected_band
    assert r.sleep_minutes == 450
    assert abs(sum(c.weight for c in r.components) - 0.8) < 1e-9  # no shift: 4 of 5 components
    assert any(isinstance(x, fc.RecoveryReason.NO_SHIFT_SCHEDULED) for x in r.reasons)
    assert r.summary_queued
    payload = coach.sync_payload(NOW)
    record = [x for x in json.loads(payload.body)["records"] if x["kind"] == "daily_summary"][0]
    assert record["local_date"] == "2025-03-10"
    assert record["recovery_score"] == r.score
    assert record["recovery_band"] == r.band.name.lower()
    assert record["sleep_minutes"] == r.sleep_minutes
    assert record["main_sleep_end"] == "2025-03-10T06:30:00Z"
    assert "hrv" not in json.dumps({k: v for k, v in record.items() if not k.endswith("deviation_sd")})


def test_a_poor_night_scores_lower_than_a_good_one(tmp_path):
    def score(hours):
        c = fc.FatigueCoach.open(str(tmp_path / f"{hours}.db"), "Europe/London")
        week(c, last_day=9)
        c.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, hk(hk_night(10, hours=hours)), NOW)
        return c.morning_recovery(NOW).score
    assert score(4.0) < score(8.0)


def test_without_consent_the_summary_is_not_queued_and_a_shift_counts(coach):
    week(coach)
    coach.import_roster([fc.ShiftInput(start=dt.datetime(2025, 3, 10, 19, tzinfo=UTC),
                                       end=dt.datetime(2025, 3, 11, 5, tzinfo=UTC))], NOW)
    r = coach.morning_recovery(NOW)
    assert not r.summary_queued
    assert coach.queue_status().pending == 0
    fatigue = [x for x in r.reasons if isinstance(x, fc.RecoveryReason.NEXT_SHIFT_FATIGUE)]
    assert fatigue and fatigue[0].threshold == 45.0  # a night shift


def test_no_sleep_last_night_is_missing_metrics_without_a_score(coach):
    week(coach, last_day=9)
    r = coach.morning_recovery(NOW)
    assert r.status == fc.RecoveryStatus.MISSING_METRICS and r.score is None
    assert any(isinstance(x, fc.RecoveryReason.MISSING) and x.metric == fc.RecoveryMetric.SLEEP
               for x in r.reasons)


def test_a_new_watch_is_new_device_and_scored_without_it(coach):
    week(coach, last_day=9)
    coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON,
                               hk(hk_night(10, source="com.other.ring")), NOW)
    r = coach.morning_recovery(NOW)
    assert r.status == fc.RecoveryStatus.NEW_DEVICE
    assert r.score is not None
    assert fc.RecoveryMetric.HRV not in [c.metric for c in r.components]


def test_sleep_regularity_of_a_fixed_schedule_is_high(coach):
    week(coach)
    reg = coach.sleep_regularity(NOW, 7)
    assert reg.days == 7
    assert reg.sleep_regularity_index > 90
    assert reg.social_jet_lag == []  # no roster: no work days
    for bad in (0, 1, 400):
        with pytest.raises(fc.CoachError.InvalidInput):
            coach.sleep_regularity(NOW, bad)


# --- education -------------------------------------------------------------------


def test_a_cold_start_hrv_baseline_is_building_and_scored_without_hrv(coach):
    # Nights 2-10 March only: past the 7-night cold start, but the HRV
    # baseline (to 3 March) holds 2 nights of the 14 needed.
    week(coach, first_day=2)
    r = coach.morning_recovery(NOW)
    assert r.status == fc.RecoveryStatus.BASELINE_BUILDING
    assert r.score is not None and r.hrv_deviation_sd is None
    assert fc.RecoveryMetric.HRV not in [c.metric for c in r.components]
    why = [x for x in r.reasons if isinstance(x, fc.RecoveryReason.HRV_NOT_JUDGED)]
    assert len(why) == 1
    assert (why[0].rolling_nights, why[0].rolling_needed) == (7, 3)
    assert (why[0].baseline_nights, why[0].baseline_needed) == (2, 14)


def test_history_has_every_day_with_gaps_and_the_scores_baselines(coach):
    # Nights from 14 February to 10 March at SDNN 50 ms and resting HR 55,
    # except 7 March (watch off).
    records = []
    for d in range(-14, 11):
        if d != 7:
            records += hk_night(d)
    coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, hk(records), NOW)
    today = coach.morning_recovery(NOW)
    h = coach.recovery_history(NOW, fc.HistoryPeriod.WEEK)
    assert h.sleep_need_minutes == 420
    assert [d.local_date for d in h.days] == [f"2025-03-{d:02d}" for d in range(4, 11)]
    gap = h.days[3]
    assert gap.local_date == "2025-03-07"
    assert (gap.sleep_minutes, gap.hrv_ms, gap.hrv_rolling_ms, gap.resting_hr_bpm,
            gap.recovery_score) == (None, None, None, None, None)
    last = h.days[-1]
    assert last.recovery_score == today.score and last.recovery_band == today.band
    assert all(d.recovery_score is None for d in h.days[:-1])  # never scored
    assert last.sleep_minutes == 450
    assert last.hrv_statistic == fc.HrvStatistic.SDNN
    # Every night 50 ms: rolling and baseline 50, the baseline SD floored
    # at 0.05 ln units, so the normal range is 50·e^(∓0.025) = 48.766-51.266.
    assert abs(last.hrv_ms - 50.0) < 1e-9 and abs(last.hrv_rolling_ms - 50.0) < 1e-9
    assert abs(last.hrv_baseline_ms - 50.0) < 1e-9
    assert abs(last.hrv_normal_low_ms - 48.7655) < 1e-3
    assert abs(last.hrv_normal_high_ms - 51.2658) < 1e-3
    assert last.hrv_range == fc.HrvRange.WITHIN
    assert (last.resting_hr_bpm, last.resting_hr_baseline_bpm) == (55.0, 55.0)
    assert len(coach.recovery_history(NOW, fc.HistoryPeriod.MONTH).days) == 30
    quarter = coach.recovery_history(NOW, fc.HistoryPeriod.QUARTER).days
    assert len(quarter) == 90 and quarter[0].local_date == "2024-12-11"
    assert sum(d.sleep_minutes is not None for d in quarter) == 24


def test_social_jet_lag_is_given_per_shift_type(coach):
    # Earlies 07-15 on 2 and 3 March, nights 22-06 on 6 and 7 March
    # (Europe/London is on GMT). Main sleeps by the day they end:
    # 2, 3: 22:00-06:00 (mid 02:00, early work days); 4, 5: 00:00-08:00
    # (mid 04:00, free after earlies); 6: 00:00-08:00 (mid 04:00) and
    # 7: 07:00-14:00 (mid 10:30), night work days; 8: 07:00-12:00 (mid
    # 09:30) and 9: 00:30-08:30 (mid 04:30), free after nights.
    # Early: 02:00 vs 04:00, 2 h. Night: 07:15 vs 07:00, 0.25 h.
    def t(day, h, m=0):
        return dt.datetime(2025, 3, day, h, m, tzinfo=UTC)

    sleeps = [(t(1, 22), t(2, 6)), (t(2, 22), t(3, 6)), (t(4, 0), t(4, 8)), (t(5, 0), t(5, 8)),
              (t(6, 0), t(6, 8)), (t(7, 7), t(7, 14)), (t(8, 7), t(8, 12)),
              (t(9, 0, 30), t(9, 8, 30))]
    coach.import_sleep([fc.SleepEpisode(start=a, end=b) for a, b in sleeps], NOW)
    coach.import_roster([fc.ShiftInput(start=t(d, h), end=t(d, h) + dt.timedelta(hours=8))
                         for d, h in ((2, 7), (3, 7), (6, 22), (7, 22))], NOW)
    reg = coach.sleep_regularity(NOW, 9)
    got = {j.shift_type: j for j in reg.social_jet_lag}
    assert set(got) == {fc.ShiftType.EARLY, fc.ShiftType.NIGHT}
    early, night = got[fc.ShiftType.EARLY], got[fc.ShiftType.NIGHT]
    assert (early.work_sleeps, early.free_sleeps) == (2, 2)
    assert abs(early.mid_sleep_work_hours - 2.0) < 1e-9 and abs(early.mid_sleep_free_hours - 4.0) < 1e-9
    assert abs(early.jet_lag_hours - 2.0) < 1e-9
    assert (night.work_sleeps, night.free_sleeps) == (2, 2)
    assert abs(night.mid_sleep_work_hours - 7.25) < 1e-9 and abs(night.mid_sleep_free_hours - 7.0) < 1e-9
    assert abs(night.jet_lag_hours - 0.25) < 1e-9


def test_officer_courses_and_modules(coach):
    courses = coach.learning_courses()
    assert courses and all(c.modules for c in courses)
    first = courses[0].modules[0]
    assert not first.started and not first.completed
    module = coach.learning_module(first.id)
    assert module.text and module.key_points and module.questions and module.sources
    assert all(len(q.options) >= 2 for q in module.questions)
    for bad in ("no-such-module", "supervisor.frm-basics", ""):
        with pytest.raises(fc.CoachError.InvalidInput):
            coach.learning_module(bad)


def correct_answers(coach, module_id):
    """One failed attempt shows the correct options (as the app would)."""
    q = coach.learning_module(module_id).questions
    wrong = coach.answer_self_check(module_id, [0] * len(q), NOW)
    return [f.correct_option for f in wrong.feedback]


def test_a_self_check_completes_a_module_and_progress_syncs_per_module(coach):
    ids = [m.id for m in coach.learning_courses()[0].modules][:2]
    coach.start_module(ids[0], NOW)
    assert coach.learning_courses()[0].modules[0].started
    for module_id in ids:
        result = coach.answer_self_check(module_id, correct_answers(coach, module_id), NOW)
        assert result.passed and result.completed and result.correct == result.total
        assert all(f.correct and f.explanation for f in result.feedback)
    again = coach.answer_self_check(ids[0], correct_answers(coach, ids[0]), NOW)
    assert again.completed and not again.newly_completed
    summary = coach.learning_summary()
    assert (summary.started, summary.completed) == (2, 2)
    assert summary.attempts == 6 and summary.modules == sum(len(c.modules) for c in coach.learning_courses())
    body = json.loads(coach.sync_payload(NOW).body)
    progress = {r["module_id"]: r for r in body["records"] if r["kind"] == "learning_progress"}
    assert set(progress) == set(ids)  # two modules on one day are two records
    assert all(p["completed"] for p in progress.values())


def test_self_check_errors_record_nothing(coach):
    module_id = coach.learning_courses()[0].modules[0].id
    n = len(coach.learning_module(module_id).questions)
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.answer_self_check(module_id, [0] * (n + 1), NOW)
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.answer_self_check(module_id, [99] * n, NOW)
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.answer_self_check("nope", [0], NOW)
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.start_module("nope", NOW)
    assert coach.learning_summary().started == 0
    assert coach.queue_status().pending == 0


def test_suggestion_before_a_first_block_of_nights(coach):
    first = coach.suggest_module(NOW)
    assert first.kind == fc.SuggestionKind.NEXT_IN_COURSE and first.title and first.message
    nights = [fc.ShiftInput(start=dt.datetime(2025, 3, 11 + k, 21, tzinfo=UTC),
                            end=dt.datetime(2025, 3, 12 + k, 7, tzinfo=UTC)) for k in range(3)]
    coach.import_roster(nights, NOW)
    s = coach.suggest_module(NOW)
    assert s.kind == fc.SuggestionKind.FIRST_NIGHTS_AHEAD
    assert s.module_id in [m.id for c in coach.learning_courses() for m in c.modules]


def test_persistent_red_mornings_suggest_support(coach):
    # Nights of 2.5 hours with falling HRV: red mornings in a row. Nights
    # from 14 February, so HRV has its 14-night baseline by 8 March.
    records = []
    for d in range(-14, 11):
        records += hk_night(d, hours=7.5 if d < 8 else 2.5, hrv=60.0 if d < 8 else 15.0,
                            rhr=52.0 if d < 8 else 75.0)
    coach.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, hk(records), NOW)
    bands = []
    for d in (8, 9, 10):
        bands.append(coach.morning_recovery(dt.datetime(2025, 3, d, 8, tzinfo=UTC)).band)
    assert bands == [fc.RecoveryBand.RED] * 3
    assert coach.suggest_module(NOW).kind == fc.SuggestionKind.PERSISTENT_RED_RECOVERY


# --- peer support ------------------------------------------------------------------

SUPPORTER = "7c1e6f0a-5a43-4c55-9a4e-2f5b8f1d2c3b"
DIRECTORY = {
    "supporters": [
        {"id": SUPPORTER, "display_name": "Pat", "contact_hours": "Weekdays", "channels": ["phone"], "active": True},
        {"id": "00000000-0000-0000-0000-000000000001", "display_name": "Gone", "contact_hours": "",
         "channels": ["app"], "active": False},
    ],
    "services": [
        {"id": None, "kind": "trim", "name": "TRiM", "contact": "x1234", "hours": "24h",
         "when_to_use": "after an incident", "force_specific": True},
        {"id": None, "kind": "crisis_line", "name": "Samaritans", "contact": "116 123",
         "hours": "24 hours", "when_to_use": "any time", "force_specific": False},
    ],
}


class FakeApi(fc.ApiTransport):
    """The server's peer-support endpoints, as far as the phone uses them."""

    def __init__(self, answer=None):
        self.calls = []
        self.answer = answer
        self.requests = {}
        self.ids = itertools.count(10)

    def request(self, method, path, body):
        self.calls.append((method, path, body))
        if self.answer == "unreachable":
            raise fc.TransportError.Unreachable()
        if isinstance(self.answer, tuple):
            return fc.HttpResponse(status=self.answer[0], body=self.answer[1])
        if (method, path) == ("POST", "/v1/enrol"):
            sent = json.loads(body)
            if sent["code"] != "GOOD-CODE":
                return fc.HttpResponse(status=401, body=json.dumps({"code": "unauthorized"}))
            return fc.HttpResponse(status=200, body=json.dumps({
                "access_token": "a.b.c", "refresh_token": "r", "token_type": "Bearer",
                "expires_in": 900, "device_id": "5f0c7c1e-0000-4000-8000-00000000abcd"}))
        if (method, path) == ("GET", "/v1/support/directory"):
            return fc.HttpResponse(status=200, body=json.dumps(DIRECTORY))
        if (method, path) == ("POST", "/v1/support/callbacks"):
            sent = json.loads(body)
            made = dict(sent, id=f"00000000-0000-0000-0000-{next(self.ids):012d}",
                        status="open", created_at="2025-03-10T08:00:00Z", acknowledged_at=None,
                        contacted_at=None, escalated=False)
            self.requests[made["id"]] = made
            return fc.HttpResponse(status=201, body=json.dumps(made))
        if (method, path) == ("GET", "/v1/support/callbacks/mine"):
            return fc.HttpResponse(status=200, body=json.dumps(list(self.requests.values())))
        if method == "POST" and path.endswith("/cancel"):
            cid = path.split("/")[-2]
            self.requests[cid].update(status="cancelled", contact_detail=None)
            return fc.HttpResponse(status=200, body=json.dumps(self.requests[cid]))
        return fc.HttpResponse(status=404, body=json.dumps({"code": "not_found"}))


def request(**kw):
    base = dict(supporter_id=SUPPORTER, contact_method=fc.ContactMethod.PHONE,
                contact_detail="07700 900123",
                window_start=NOW + dt.timedelta(hours=2), window_end=NOW + dt.timedelta(hours=4))
    base.update(kw)
    return fc.CallbackRequest(**base)


def test_directory_lists_active_supporters_and_crisis_lines(coach):
    d = coach.support_directory(FakeApi())
    assert [s.display_name for s in d.supporters] == ["Pat"]
    assert [s.name for s in d.crisis_lines] == ["Samaritans"]
    assert len(d.services) == 2


def test_crisis_lines_are_built_in_for_when_there_is_no_signal(coach):
    with pytest.raises(fc.CoachError.NotReady):
        coach.support_directory(FakeApi("unreachable"))
    lines = fc.offline_crisis_lines()
    assert [s.contact for s in lines][:2] == ["999", "116 123 (free)"]
    assert all(s.kind == "crisis_line" and not s.force_specific for s in lines)
    assert all(s.when_to_use for s in lines)


def test_a_callback_sends_only_what_the_officer_typed_and_erase_removes_it(coach):
    api = FakeApi()
    made = coach.request_callback(api, request(), NOW)
    assert made.status == fc.CallbackStatus.OPEN and made.supporter_id == SUPPORTER
    method, path, body = api.calls[0]
    assert (method, path) == ("POST", "/v1/support/callbacks")
    assert set(json.loads(body)) == {"supporter_id", "contact_method", "contact_detail",
                                     "window_start", "window_end"}
    assert json.loads(body)["window_start"] == "2025-03-10T10:00:00Z"
    kept = coach.callbacks()
    assert [c.id for c in kept] == [made.id] and kept[0].contact_detail == "07700 900123"
    anyone = coach.request_callback(api, request(supporter_id=None, contact_method=fc.ContactMethod.APP,
                                                 contact_detail=None), NOW)
    assert anyone.supporter_id is None
    coach.cancel_callback(api, made.id)
    cancelled = [c for c in coach.callbacks() if c.id == made.id][0]
    assert cancelled.status == fc.CallbackStatus.CANCELLED and cancelled.contact_detail is None
    assert {c.status for c in coach.refresh_callbacks(api)} == {fc.CallbackStatus.OPEN,
                                                                fc.CallbackStatus.CANCELLED}
    coach.erase_all()
    assert coach.callbacks() == []
    assert "07700" not in coach.export_json()


@pytest.mark.parametrize("bad", [
    dict(window_end=NOW + dt.timedelta(hours=1), window_start=NOW + dt.timedelta(hours=3)),
    dict(window_start=NOW - dt.timedelta(hours=3), window_end=NOW - dt.timedelta(hours=1)),
    dict(contact_detail=None),
    dict(contact_detail="   "),
    dict(contact_detail="1" * 201),
    dict(supporter_id=""),
])
def test_bad_requests_are_refused_on_the_phone(coach, bad):
    api = FakeApi()
    with pytest.raises(fc.CoachError.InvalidInput) as e:
        coach.request_callback(api, request(**bad), NOW)
    assert api.calls == [] and coach.callbacks() == []
    assert "07700" not in e.value.detail


@pytest.mark.parametrize("answer, error, words", [
    ((422, json.dumps({"code": "invalid_contact", "detail": "x"})), fc.CoachError.InvalidInput, "invalid_contact"),
    ((409, json.dumps({"code": "conflict"})), fc.CoachError.InvalidInput, "conflict"),
    ((404, "not json"), fc.CoachError.InvalidInput, "status_404"),
    ((401, ""), fc.CoachError.NotReady, "sign in"),
    ((503, ""), fc.CoachError.NotReady, "unavailable"),
    ((201, "{\"id\": 5}"), fc.CoachError.NotReady, "could not be read"),
    ("unreachable", fc.CoachError.NotReady, "reached"),
])
def test_server_answers_map_to_typed_errors(coach, answer, error, words):
    with pytest.raises(error) as e:
        coach.request_callback(FakeApi(answer), request(), NOW)
    assert words in e.value.detail
    assert coach.callbacks() == []
    with pytest.raises(error):
        coach.support_directory(FakeApi(answer if answer != (201, "{\"id\": 5}") else (200, "[]")))


def test_cancel_refuses_an_id_that_is_not_a_server_id(coach):
    api = FakeApi()
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.cancel_callback(api, "../../admin")
    assert api.calls == []


def test_support_calls_from_several_threads(coach, in_threads):
    api = FakeApi()

    def work(k):
        coach.request_callback(api, request(contact_detail=f"0770090012{k}"), NOW)
        coach.support_directory(api)
        coach.morning_recovery(NOW)

    assert in_threads(work) == []
    assert len(coach.callbacks()) == 6


# --- the morning in one call -----------------------------------------------------


def morning_setup(c):
    c.set_consent(fc.ConsentLevel.SLEEP_SUMMARIES)
    week(c, last_day=9)
    c.import_roster([fc.ShiftInput(start=dt.datetime(2025, 3, 10, 21, tzinfo=UTC),
                                   end=dt.datetime(2025, 3, 11, 7, tzinfo=UTC))], NOW)


def test_morning_update_equals_the_separate_calls(tmp_path):
    one = fc.FatigueCoach.open(str(tmp_path / "one.db"), "Europe/London")
    many = fc.FatigueCoach.open(str(tmp_path / "many.db"), "Europe/London")
    for c in (one, many):
        morning_setup(c)
    night = hk(hk_night(10, hrv=47.0, rhr=57.0))
    update = one.morning_update(NOW, fc.WearableData(format=fc.WearableFormat.HEALTH_KIT_JSON, data=night), 48)
    report = many.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, night, NOW)
    recovery = many.morning_recovery(NOW)
    assert update.wearable_import == report
    assert update.recovery == recovery
    assert update.recovery.status == fc.RecoveryStatus.SCORED and update.recovery.summary_queued
    assert [f.start for f in update.forecast] == [f.start for f in many.forecast(NOW, 48)]
    assert [f.fatigue_index for f in update.forecast] == [f.fatigue_index for f in many.forecast(NOW, 48)]
    assert [m.id for m in update.coaching] == [m.id for m in many.coaching_messages(NOW)]
    assert update.coaching, "a first night shift tonight brings advice"
    assert update.queue == many.queue_status()
    assert update.queue.pending == 1


def test_morning_update_without_data_and_a_short_horizon(coach):
    morning_setup(coach)
    update = coach.morning_update(NOW, None, 6)
    assert update.wearable_import is None
    assert update.forecast == []  # the shift starts in 13 hours
    assert update.recovery.status == fc.RecoveryStatus.MISSING_METRICS
    # The next-shift component still sees tonight's shift.
    assert any(isinstance(x, fc.RecoveryReason.NEXT_SHIFT_FATIGUE) for x in update.recovery.reasons)


def test_an_unreadable_night_leaves_the_morning_untouched(coach):
    morning_setup(coach)
    before = coach.export_json()
    with pytest.raises(fc.CoachError.InvalidInput):
        coach.morning_update(NOW, fc.WearableData(format=fc.WearableFormat.HEALTH_KIT_JSON,
                                                  data=b"[{\"type\": "), 48)
    assert coach.export_json() == before


# --- enrolment ---------------------------------------------------------------------


def test_enrolment_keeps_the_servers_device_id_for_sync(coach):
    coach.record_learning_progress("officer.naps", False, NOW)
    before = json.loads(coach.sync_payload(NOW).body)  # an in-flight batch under the old id
    e = coach.enrol_device(FakeApi(), "kent", "GOOD-CODE")
    assert e.device_id == "5f0c7c1e-0000-4000-8000-00000000abcd"
    assert (e.access_token, e.refresh_token) == ("a.b.c", "r")
    assert "a.b.c" not in coach.export_json()  # tokens are the app's to keep
    after = json.loads(coach.sync_payload(NOW).body)
    assert after["device_id"] == e.device_id != before["device_id"]
    assert after["idempotency_key"] != before["idempotency_key"]
    assert after["records"] == before["records"]


@pytest.mark.parametrize("force, code, answer, error", [
    ("kent", "WRONG", None, fc.CoachError.InvalidInput),
    ("", "GOOD-CODE", None, fc.CoachError.InvalidInput),
    ("kent", "", None, fc.CoachError.InvalidInput),
    ("kent", "GOOD-CODE", (200, json.dumps({"access_token": "a", "refresh_token": "r",
                                            "token_type": "Bearer", "expires_in": 900,
                                            "device_id": None})), fc.CoachError.NotReady),
    ("kent", "GOOD-CODE", (200, json.dumps({"access_token": "a", "refresh_token": "r",
                                            "token_type": "Bearer", "expires_in": 900,
                                            "device_id": "not an id!"})), fc.CoachError.InvalidInput),
    ("kent", "GOOD-CODE", "unreachable", fc.CoachError.NotReady),
])
def test_enrolment_errors(coach, force, code, answer, error):
    with pytest.raises(error):
        coach.enrol_device(FakeApi(answer), force, code)


@pytest.mark.parametrize("answer, error", [
    ((401, ""), fc.CoachError.NotReady),
    ((500, ""), fc.CoachError.NotReady),
    ("unreachable", fc.CoachError.NotReady),
    ((200, "{\"not\": \"a list\"}"), fc.CoachError.NotReady),
    ((409, json.dumps({"code": "conflict"})), fc.CoachError.InvalidInput),
])
def test_refresh_and_cancel_map_server_answers_and_keep_the_copy(coach, answer, error):
    made = coach.request_callback(FakeApi(), request(), NOW)
    with pytest.raises(error):
        coach.refresh_callbacks(FakeApi(answer))
    if answer[0] != 200:
        with pytest.raises(error):
            coach.cancel_callback(FakeApi(answer), made.id)
    kept = coach.callbacks()
    assert [(c.id, c.status, c.contact_detail) for c in kept] == [(made.id, fc.CallbackStatus.OPEN, "07700 900123")]
