"""Every coaching trigger through the phone library, as an app drives it:
import a roster, sleep, wearable data and check-ins, score mornings, set
the planned bedtime, then ask for the coaching messages. For each trigger
(mobile-core/src/coaching/trigger.rs, `Trigger::ALL`) a scenario where its
message is shown and a near miss where it is not; the rules and thresholds
are in docs/coaching.md. Times are UTC; Europe/London is on GMT in early
March 2025, so local clock times equal the UTC ones."""

import datetime as dt
import json

import pytest

import fatigue_coach as fc

UTC = dt.timezone.utc
ZONE = "Europe/London"
ALL_TRIGGERS = {
    "first_night", "between_nights", "quick_return", "long_shift", "sleep_debt",
    "drive_home_after_nights", "caffeine_cutoff", "light_exposure",
    "persistent_red_recovery", "persistent_high_sleepiness",
}


def at(day, hour, minute=0):
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def coach(tmp_path):
    return fc.FatigueCoach.open(str(tmp_path / "coach.db"), ZONE)


def shifts(*spans):
    return [fc.ShiftInput(start=s, end=e) for s, e in spans]


def shown(c, now):
    """The triggers of the messages the app would show at `now`."""
    return [m.trigger for m in c.coaching_messages(now)]


def message(c, now, trigger):
    return next(m for m in c.coaching_messages(now) if m.trigger == trigger)


def test_the_tests_below_cover_every_trigger_the_content_pack_uses():
    # A trigger added to the engine needs a scenario here.
    assert len(ALL_TRIGGERS) == 10


# --- first_night: a night shift within 18 h, no night in the 48 h before it ---


def test_first_night_fires_14_hours_before_a_first_night(coach):
    coach.import_roster(shifts((at(10, 22), at(11, 7))), at(10, 8))
    assert "first_night" in shown(coach, at(10, 8))


def test_first_night_is_silent_18_hours_and_a_minute_before(coach):
    coach.import_roster(shifts((at(10, 22), at(11, 7))), at(10, 3))
    assert "first_night" not in shown(coach, at(10, 3, 59))
    assert "first_night" in shown(coach, at(10, 4, 0))


def test_first_night_is_silent_before_the_second_night_of_a_run(coach):
    coach.import_roster(shifts((at(9, 22), at(10, 7)), (at(10, 22), at(11, 7))), at(9, 8))
    assert "first_night" not in shown(coach, at(10, 14))


# --- between_nights: off duty between two nights under 24 h apart ---


def test_between_nights_fires_on_the_afternoon_between_two_nights(coach):
    coach.import_roster(shifts((at(9, 22), at(10, 7)), (at(10, 22), at(11, 7))), at(9, 8))
    assert "between_nights" in shown(coach, at(10, 14))


def test_between_nights_is_silent_with_a_rest_day_between(coach):
    # 39 hours from the end of one night to the start of the next.
    coach.import_roster(shifts((at(9, 22), at(10, 7)), (at(11, 22), at(12, 7))), at(9, 8))
    assert "between_nights" not in shown(coach, at(10, 14))


# --- quick_return: under 11 h between shifts, the second within 24 h ---


def test_quick_return_fires_for_a_late_then_an_early(coach):
    # 22:00 to 06:00: 8 hours' rest.
    coach.import_roster(shifts((at(10, 14), at(10, 22)), (at(11, 6), at(11, 14))), at(10, 8))
    assert "quick_return" in shown(coach, at(10, 8))


def test_quick_return_is_silent_with_exactly_11_hours(coach):
    coach.import_roster(shifts((at(10, 14), at(10, 22)), (at(11, 9), at(11, 17))), at(10, 8))
    assert "quick_return" not in shown(coach, at(10, 8))


# --- long_shift: a current or coming shift over 12 h ---


def test_long_shift_fires_for_13_hours(coach):
    coach.import_roster(shifts((at(10, 7), at(10, 20))), at(10, 6))
    assert "long_shift" in shown(coach, at(10, 6))


def test_long_shift_is_silent_for_exactly_12_hours(coach):
    coach.import_roster(shifts((at(10, 7), at(10, 19))), at(10, 6))
    assert "long_shift" not in shown(coach, at(10, 6))


# --- sleep_debt: the week's debt against the officer's need ≥ 300 min, or
# --- 3+ recorded main sleeps in 7 days averaging under 6 h ---


def test_sleep_debt_fires_for_three_short_nights(coach):
    now = at(10, 8)
    coach.import_sleep([fc.SleepEpisode(start=at(d, 1), end=at(d, 6, 59)) for d in (8, 9, 10)], now)
    assert "sleep_debt" in shown(coach, now)


def test_sleep_debt_is_silent_for_three_nights_of_exactly_6_hours(coach):
    now = at(10, 8)
    coach.import_sleep([fc.SleepEpisode(start=at(d, 1), end=at(d, 7)) for d in (8, 9, 10)], now)
    assert "sleep_debt" not in shown(coach, now)


def hk_night(end_day, hours, hrv=50.0, rhr=55.0):
    """A HealthKit night ending 06:30 UTC on March `end_day` (0 and below
    are February), with an HRV and a resting heart rate reading."""
    end = dt.datetime(2025, 3, 1, 6, 30, tzinfo=UTC) + dt.timedelta(days=end_day - 1)
    start = end - dt.timedelta(hours=hours)
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    hrv_at = start + dt.timedelta(hours=3)
    return [
        {"type": "HKCategoryTypeIdentifierSleepAnalysis", "value": 3, "startDate": iso(start),
         "endDate": iso(end), "sourceBundle": "watch", "device": "Watch", "timeZone": ZONE},
        {"type": "HKQuantityTypeIdentifierHeartRateVariabilitySDNN", "value": hrv, "unit": "ms",
         "startDate": iso(hrv_at), "endDate": iso(hrv_at + dt.timedelta(minutes=1)),
         "sourceBundle": "watch", "device": "Watch"},
        {"type": "HKQuantityTypeIdentifierRestingHeartRate", "value": rhr, "unit": "count/min",
         "startDate": iso(end + dt.timedelta(minutes=30)),
         "endDate": iso(end + dt.timedelta(minutes=30)), "sourceBundle": "watch", "device": "Watch"},
    ]


def wear(c, nights, now):
    records = [r for n in nights for r in n]
    c.import_wearable_data(fc.WearableFormat.HEALTH_KIT_JSON, json.dumps(records).encode(), now)


def scored_week_of(c, hours, need):
    """Four weeks of nights of `hours` asleep, the officer's sleep need set
    to `need`, this morning scored: the week's debt is 7 × (need − hours)."""
    now = at(10, 8)
    c.set_sleep_need_hours(need)
    wear(c, [hk_night(d, hours) for d in range(-17, 11)], now)
    assert c.morning_recovery(now).status == fc.RecoveryStatus.SCORED
    return now


def test_sleep_debt_fires_from_the_scored_weeks_debt_against_the_officers_need(coach):
    # 6.5 h a night against a need of 8 h: 7 × 90 = 630 min of debt; the
    # nights average over 6 h, so only the debt can fire it.
    now = scored_week_of(coach, 6.5, 8.0)
    assert "sleep_debt" in shown(coach, now)


def test_sleep_debt_is_silent_when_the_debt_is_under_300_minutes(coach):
    # The same nights against the default 7 h: 7 × 30 = 210 min.
    now = scored_week_of(coach, 6.5, 7.0)
    assert "sleep_debt" not in shown(coach, now)


# --- drive_home_after_nights: within 1 h of a night's end, predicted or
# --- reported KSS ≥ 7 ---


def sleepy_after(c, value):
    c.record_check_in(fc.CheckIn(taken_at=at(10, 7, 10), scale=fc.CheckInScale.KSS, value=value,
                                 context=fc.CheckInContext.BEFORE_DRIVE), at(10, 7, 10))


def test_drive_home_fires_after_a_first_night_with_a_check_in_of_7(coach):
    coach.import_roster(shifts((at(9, 22), at(10, 7))), at(9, 8))
    # The model's KSS at the end of a first night (after a nap) is under 7,
    # so the check-in decides.
    (night,) = coach.forecast(at(9, 8), 48)
    assert night.kss_at_end < 7.0
    sleepy_after(coach, 7)
    assert "drive_home_after_nights" in shown(coach, at(10, 7, 30))


def test_drive_home_is_silent_after_a_first_night_with_a_check_in_of_6(coach):
    coach.import_roster(shifts((at(9, 22), at(10, 7))), at(9, 8))
    sleepy_after(coach, 6)
    assert "drive_home_after_nights" not in shown(coach, at(10, 7, 30))


def test_drive_home_fires_on_the_predicted_kss_after_a_second_night(coach):
    coach.import_roster(shifts((at(8, 22), at(9, 7)), (at(9, 22), at(10, 7))), at(8, 8))
    second = coach.forecast(at(9, 8), 48)[-1]
    # After only the 5-hour day sleep the model's KSS at 07:00 is over 7.
    assert second.kss_at_end >= 7.0
    assert "drive_home_after_nights" in shown(coach, at(10, 7, 30))


def test_drive_home_is_silent_61_minutes_after_the_end(coach):
    coach.import_roster(shifts((at(8, 22), at(9, 7)), (at(9, 22), at(10, 7))), at(8, 8))
    assert "drive_home_after_nights" not in shown(coach, at(10, 8, 1))


# --- caffeine_cutoff: the planned sleep within 9 h; cut-off 6 h before it ---


def test_caffeine_cutoff_counts_back_from_the_officers_planned_bedtime(coach):
    coach.set_planned_bedtime("22:30")
    assert coach.planned_bedtime() == "22:30"
    m = message(coach, at(10, 14), "caffeine_cutoff")
    assert "16:30" in m.title and "22:30" in m.body


def test_caffeine_cutoff_is_silent_9_hours_and_a_minute_before_the_bedtime(coach):
    coach.set_planned_bedtime("22:30")
    assert "caffeine_cutoff" not in shown(coach, at(10, 13, 29))
    assert "caffeine_cutoff" in shown(coach, at(10, 13, 30))


def test_caffeine_cutoff_without_a_setting_uses_tonights_predicted_sleep(coach):
    # A rest day: the roster rules predict sleep at 23:00, cut-off 17:00.
    assert coach.planned_bedtime() is None
    assert "caffeine_cutoff" not in shown(coach, at(10, 13, 59))
    m = message(coach, at(10, 14, 1), "caffeine_cutoff")
    assert "17:00" in m.title and "23:00" in m.body


def test_caffeine_cutoff_after_a_night_shift_counts_back_from_the_day_sleep(coach):
    # Predicted day sleep after a night ending 07:00: from 08:00, so the
    # cut-off was 02:00, during the shift.
    coach.import_roster(shifts((at(9, 22), at(10, 7))), at(9, 8))
    m = message(coach, at(10, 1), "caffeine_cutoff")
    assert "02:00" in m.title and "08:00" in m.body


def test_a_bedtime_during_a_late_shift_gives_way_to_the_predicted_sleep(coach):
    # 22:30 falls inside a 14:00-23:00 late: the rules predict sleep 1 h 30
    # after it ends, 00:30, so the cut-off is 18:30.
    coach.set_planned_bedtime("22:30")
    coach.import_roster(shifts((at(10, 14), at(10, 23))), at(10, 8))
    m = message(coach, at(10, 16), "caffeine_cutoff")
    assert "18:30" in m.title and "00:30" in m.body


def test_a_bedtime_that_is_not_a_clock_time_is_refused(coach):
    for bad in ("25:00", "10pm", ""):
        with pytest.raises(fc.CoachError.InvalidInput):
            coach.set_planned_bedtime(bad)
    assert coach.planned_bedtime() is None
    coach.set_planned_bedtime("21:15")
    coach.set_planned_bedtime(None)
    assert coach.planned_bedtime() is None


# --- light_exposure: within 3 h after a night shift's end ---


def test_light_exposure_fires_just_under_3_hours_after_a_night(coach):
    coach.import_roster(shifts((at(9, 22), at(10, 7))), at(9, 8))
    assert "light_exposure" in shown(coach, at(10, 9, 59))


def test_light_exposure_is_silent_3_hours_and_a_minute_after(coach):
    coach.import_roster(shifts((at(9, 22), at(10, 7))), at(9, 8))
    assert "light_exposure" not in shown(coach, at(10, 10, 1))


# --- persistent_red_recovery: the last 3 scored mornings red ---


def red_mornings(c, bad_nights):
    """Three weeks of good nights, then `bad_nights` nights of 2.5 h with
    low HRV and high resting heart rate; the mornings of 8 to 10 March
    scored in turn. Returns their bands."""
    nights = [hk_night(d, 7.5, hrv=60.0, rhr=52.0) for d in range(-17, 11 - bad_nights)]
    nights += [hk_night(d, 2.5, hrv=15.0, rhr=75.0) for d in range(11 - bad_nights, 11)]
    wear(c, nights, at(10, 8))
    return [c.morning_recovery(at(d, 8)).band for d in (8, 9, 10)]


def test_persistent_red_recovery_fires_after_three_red_mornings(coach):
    assert red_mornings(coach, 3) == [fc.RecoveryBand.RED] * 3
    assert "persistent_red_recovery" in shown(coach, at(10, 8))


def test_persistent_red_recovery_is_silent_after_two(coach):
    bands = red_mornings(coach, 2)
    assert bands[0] != fc.RecoveryBand.RED and bands[1:] == [fc.RecoveryBand.RED] * 2
    assert "persistent_red_recovery" not in shown(coach, at(10, 8))


# --- persistent_high_sleepiness: the last 3 check-in occasions very high ---


def check_ins(c, values):
    for k, v in enumerate(values):
        t = at(8 + k, 12)
        c.record_check_in(fc.CheckIn(taken_at=t, scale=fc.CheckInScale.KSS, value=v,
                                     context=fc.CheckInContext.OTHER), t)


def test_persistent_high_sleepiness_fires_after_three_kss_of_8(coach):
    check_ins(coach, [8, 8, 9])
    assert "persistent_high_sleepiness" in shown(coach, at(10, 13))


def test_persistent_high_sleepiness_is_silent_when_the_last_is_7(coach):
    check_ins(coach, [8, 9, 7])
    assert "persistent_high_sleepiness" not in shown(coach, at(10, 13))
