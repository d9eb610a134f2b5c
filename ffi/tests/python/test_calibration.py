"""The personal calibration through the phone library, on synthetic
officers: the app records KSS check-ins at the end of shifts, and once
there are enough of them the forecast carries personalised figures beside
the standard ones (docs/coaching.md, "Personal calibration in use"). The
model's KSS at each check-in is read from the library's own forecast
(`kss_at_end` of the shift the check-in ends), so each officer's offset
from the model is known by construction."""

import datetime as dt

import pytest

import fatigue_coach as fc

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 2, 1, 6, 0, tzinfo=UTC)
FIVE_MIN = dt.timedelta(minutes=5)
# n0 of the evidence weight n / (n + n0) (CalibrationParams::prior_check_ins).
N0 = 10


def day(d, hour):
    return dt.datetime(2025, 1, 1, hour, tzinfo=UTC) + dt.timedelta(days=d)


def roster():
    """From 1 January to 4 February: early (07-15), late (14-22), day
    (09-17), rest, in turn; GMT, so local times are UTC."""
    spans = []
    for d in range(35):
        kind = d % 4
        if kind == 3:
            continue
        start, end = [(7, 15), (14, 22), (9, 17)][kind]
        spans.append((day(d, start), day(d, end)))
    return spans


def officer(tmp_path, name, n, bias):
    """An officer who checks in 5 minutes before the end of each of their
    first `n` shifts from 2 January, reporting the model's KSS there plus
    `bias`, rounded to the scale. Returns the coach and the mean of
    reported − predicted."""
    c = fc.FatigueCoach.open(str(tmp_path / f"{name}.db"), "Europe/London")
    c.import_roster([fc.ShiftInput(start=s, end=e) for s, e in roster()], NOW)
    residuals = []
    for start, end in [s for s in roster() if s[0] >= day(1, 0)][:n]:
        (shift,) = [f for f in c.forecast(start, 1) if f.start == start]
        k = shift.kss_at_end  # the model's KSS at end − 5 min
        value = min(9, max(1, round(k + bias)))
        residuals.append(value - k)
        c.record_check_in(fc.CheckIn(taken_at=end - FIVE_MIN, scale=fc.CheckInScale.KSS,
                                     value=value, context=fc.CheckInContext.DURING_SHIFT), NOW)
    return c, sum(residuals) / len(residuals)


def test_an_officer_1_5_above_the_model_gets_figures_about_that_much_higher(tmp_path):
    c, mean = officer(tmp_path, "above", 20, 1.5)
    assert mean == pytest.approx(1.5, abs=0.5)  # rounding moves each report ≤ 0.5
    cal = c.personal_calibration(NOW)
    assert cal.personalised and cal.check_ins == 20 and cal.check_ins_needed == 10
    # The library pairs each check-in with the same model KSS (its run
    # starts earlier, so the figures agree to well under 0.01).
    assert cal.mean_offset == pytest.approx(mean, abs=0.01)
    # Carried at n / (n + n0) = 20/30; too few check-ins for a slope.
    assert cal.evidence_weight == pytest.approx(20 / 30)
    assert cal.offset == pytest.approx(cal.mean_offset * 20 / 30, abs=1e-9)
    assert cal.slope == 1.0 and not cal.slope_fitted

    coming = c.forecast(NOW, 96)
    assert len(coming) == 3
    for f in coming:
        assert f.personalised
        # Every epoch's KSS moves by the offset: about 1.5 · 2/3 = 1.0.
        assert f.personal_kss_at_end - f.kss_at_end == pytest.approx(cal.offset, abs=1e-9)
        assert f.personal_kss_at_end - f.kss_at_end == pytest.approx(1.5 * 20 / 30, abs=0.35)
        assert f.personal_fatigue_index > f.fatigue_index
        # The standard figure, which thresholds and the server use, stays.
        assert f.above_threshold == (f.fatigue_index > f.threshold)
    # The morning update shows the same personalised forecast.
    update = c.morning_update(NOW, None, 96)
    assert [f.personal_fatigue_index for f in update.forecast] == \
        [f.personal_fatigue_index for f in coming]


def test_the_standard_figures_do_not_move_with_check_ins(tmp_path):
    c, _ = officer(tmp_path, "checked", 20, 1.5)
    plain = fc.FatigueCoach.open(str(tmp_path / "plain.db"), "Europe/London")
    plain.import_roster([fc.ShiftInput(start=s, end=e) for s, e in roster()], NOW)
    assert [f.fatigue_index for f in c.forecast(NOW, 96)] == \
        [f.fatigue_index for f in plain.forecast(NOW, 96)]
    assert not any(f.personalised for f in plain.forecast(NOW, 96))


def test_nine_check_ins_are_not_enough(tmp_path):
    c, _ = officer(tmp_path, "few", 9, 1.5)
    cal = c.personal_calibration(NOW)
    assert not cal.personalised and cal.check_ins == 9 and cal.offset == 0.0
    for f in c.forecast(NOW, 96):
        assert not f.personalised
        assert f.personal_fatigue_index is None and f.personal_kss_at_end is None
    c.record_check_in(fc.CheckIn(taken_at=NOW - FIVE_MIN, scale=fc.CheckInScale.KSS, value=5,
                                 context=fc.CheckInContext.OTHER), NOW)
    assert c.personal_calibration(NOW).personalised  # the tenth


def test_an_officer_matching_the_model_has_an_offset_near_zero(tmp_path):
    c, mean = officer(tmp_path, "match", 20, 0.0)
    assert abs(mean) <= 0.5
    cal = c.personal_calibration(NOW)
    assert cal.personalised
    assert cal.offset == pytest.approx(mean * 20 / 30, abs=0.01)
    assert abs(cal.offset) < 0.2
    for f in c.forecast(NOW, 96):
        assert abs(f.personal_kss_at_end - f.kss_at_end) < 0.2


def test_samn_perelli_check_ins_do_not_calibrate_kss(tmp_path):
    c = fc.FatigueCoach.open(str(tmp_path / "sp.db"), "Europe/London")
    c.import_roster([fc.ShiftInput(start=s, end=e) for s, e in roster()], NOW)
    for d in range(1, 13):
        c.record_check_in(fc.CheckIn(taken_at=day(d, 12), scale=fc.CheckInScale.SAMN_PERELLI,
                                     value=6, context=fc.CheckInContext.OTHER), NOW)
    assert c.personal_calibration(NOW).check_ins == 0
