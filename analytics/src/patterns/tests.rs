use super::*;
use chrono::TimeZone;

fn london() -> LocalClock {
    LocalClock::new(chrono_tz::Europe::London)
}

fn monday() -> NaiveDate {
    // 6 January 2025 was a Monday; Europe/London is on GMT (UTC) then.
    NaiveDate::from_ymd_opt(2025, 1, 6).unwrap()
}

fn utc(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap()
}

/// One week of 4 on 4 off worked by hand: officer 0 of a team of one, from
/// Monday 6 January 2025 (GMT), 7 days.
///
/// The cycle (day 0 first): D 07:00–17:00, D 07:00–17:00, N 22:00–08:00,
/// N 22:00–08:00, R, R, R, R. Officer 0 is on cycle day 0 on Monday:
///
/// | date      | duty              | rest before        |
/// |-----------|-------------------|--------------------|
/// | Mon 6     | D 07:00–17:00     | 95 h (nights ended Thu 2 Jan 08:00) |
/// | Tue 7     | D 07:00–17:00     | 14 h               |
/// | Wed 8     | N 22:00–Thu 08:00 | 29 h               |
/// | Thu 9     | N 22:00–Fri 08:00 | 14 h               |
/// | Fri–Sun   | rest (and Mon 13) | next duty Tue 14 07:00: 95 h |
///
/// - Shifts 4, nights 2 (22:00–08:00 holds 7 h of 23:00–06:00; 07:00–17:00
///   none). Hours 4 × 10 = 40 in the week: 40.0 per officer per week.
/// - Quick returns (rest under 12 h): none (14, 29, 14). Longest run of
///   nights 2 (within: amber over 3). Long shifts: the two 10 h nights
///   (over 8 h); the 10 h days are not over 12. Work days in a row: Mon–Thu
///   = 4. Hours in 7 days to the last night's end (Fri 08:00): 40.
/// - Weekly rest: one fixed week (Mon 6 00:00 – Mon 13 00:00); the 95 h
///   rest from Fri 10 08:00 begins in it (≥ 35 h), and the fortnight from
///   Mon 30 Dec has the 95 h rest from Thu 2 Jan (≥ 59 h): none without.
/// - 17-week averages: a 7-day horizon holds no 17-week period: 0, none.
/// - Risk Index: the run starts Monday (95 h ≥ 48 h gap), so the
///   cumulative factors are day 1.00, day 1.02, night (3rd of the run)
///   1.17, night (4th) 1.36; no gap under 9 h. With `T(m) = 1.1629 +
///   0.2138 cos(2π(m − 23.55)/24)` at mid-hours and the hours-on-duty
///   profile 0.76 0.91 1.00 1.03 1.04 1.04 1.07 1.15 1.3625 1.575:
///   Σ T×H over 07:00–17:00 = 11.05447, over 22:00–08:00 = 13.57154; so the
///   mean HRI is ((1.00 + 1.02) × 1.105447 + (1.17 + 1.36) × 1.357154) / 4
///   = 1.416651. The reference (09:00–17:00 Mon–Fri: Σ T×H = 8.012106,
///   factors 1.00 1.02 1.07 1.17 1.2794) has mean 1.109546, so the team's
///   Risk Index is 1.416651 / 1.109546 = 1.2768.
#[test]
fn one_week_of_four_on_four_off_worked_by_hand() {
    let pattern = RotaPattern::preset(Preset::FourOnFourOff);
    let run = PatternRun::new(1, monday(), 7).unwrap();
    let shifts = officer_shifts(&pattern, &run, 0, chrono_tz::Europe::London);
    let in_week: Vec<(DateTime<Utc>, DateTime<Utc>)> = shifts
        .iter()
        .filter(|s| s.start() >= utc(6, 0) && s.start() < utc(13, 0))
        .map(|s| (s.start(), s.end()))
        .collect();
    assert_eq!(
        in_week,
        vec![
            (utc(6, 7), utc(6, 17)),
            (utc(7, 7), utc(7, 17)),
            (utc(8, 22), utc(9, 8)),
            (utc(9, 22), utc(10, 8)),
        ]
    );
    // The context: the nights before ended Thu 2 Jan 08:00; the next duty is Tue 14 07:00.
    let before = shifts.iter().rfind(|s| s.start() < utc(6, 0)).unwrap();
    assert_eq!(before.end(), utc(2, 8));
    let after = shifts.iter().find(|s| s.start() >= utc(13, 0)).unwrap();
    assert_eq!(after.start(), utc(14, 7));

    let f = pattern_figures(&pattern, &run, &london(), &AssessmentParams::default()).unwrap();
    assert_eq!(f.shifts, 4);
    assert_eq!(f.night_shifts, 2);
    assert!((f.hours_per_officer_per_week - 40.0).abs() < 1e-9);
    assert_eq!((f.quick_returns, f.quick_returns_red), (0, 0));
    assert_eq!(f.longest_night_run, 2);
    assert_eq!(f.night_run_level, "within");
    assert_eq!(f.long_shifts, 2);
    assert_eq!(f.longest_work_day_run, 4);
    assert!((f.max_hours_in_7_days - 40.0).abs() < 1e-9);
    assert_eq!(f.weekly_rest_weeks, 1);
    assert_eq!(f.weeks_without_weekly_rest, 0);
    assert_eq!(f.fortnights_without_weekly_rest, 0);
    assert_eq!(f.reference_periods, 0);
    assert_eq!(f.highest_17_week_average_hours, None);
    let ri = f.risk_index.unwrap();
    assert!((ri - 1.2768).abs() < 5e-4, "team Risk Index {ri}");
    assert_eq!(f.highest_officer_risk_index, f.risk_index, "a team of one");
    assert!(f.shifts_over_fi_threshold <= f.shifts);
    assert!(
        (f.share_over_fi_threshold_percent - f64::from(f.shifts_over_fi_threshold) * 100.0 / 4.0)
            .abs()
            < 1e-9
    );
}

#[test]
fn officers_are_spread_evenly_through_the_cycle() {
    // ⌊i × L / N⌋: 8-day cycle, 10 officers: 0 0 1 2 3 4 4 5 6 7.
    let offsets: Vec<usize> = (0..10).map(|i| offset_of(i, 10, 8)).collect();
    assert_eq!(offsets, vec![0, 0, 1, 2, 3, 4, 4, 5, 6, 7]);
    // 35-day weekly lines, 5 officers: a line each (0, 7, 14, 21, 28).
    let lines: Vec<usize> = (0..5).map(|i| offset_of(i, 5, 35)).collect();
    assert_eq!(lines, vec![0, 7, 14, 21, 28]);
    // Officer 1 of 2 on 4 on 4 off starts on cycle day 4 (a rest day): their
    // first duty is cycle day 0 four days later, Friday 10 January 07:00.
    let pattern = RotaPattern::preset(Preset::FourOnFourOff);
    let run = PatternRun::new(2, monday(), 7).unwrap();
    let shifts = officer_shifts(&pattern, &run, offset_of(1, 2, 8), chrono_tz::UTC);
    let first = shifts.iter().find(|s| s.start() >= utc(6, 0)).unwrap();
    assert_eq!(first.start(), utc(10, 7));
}

#[test]
fn presets_are_as_documented() {
    // Hours per 7 days over a cycle: 4 on 4 off 40 h / 8 days = 35 h a week;
    // 5-week rolling 24 shifts × 8 h / 35 days = 38.4 h; 2-2-3 14 × 12 h /
    // 28 days = 42 h.
    for (preset, cycle, shifts, weekly) in [
        (Preset::FourOnFourOff, 8, 4, 35.0),
        (Preset::FiveWeekRolling, 35, 24, 38.4),
        (Preset::TwoTwoThree, 28, 14, 42.0),
    ] {
        let p = RotaPattern::preset(preset);
        assert_eq!(p.cycle_days(), cycle, "{}", p.name);
        let on: Vec<&ShiftSpec> = p.days.iter().flatten().collect();
        assert_eq!(on.len(), shifts, "{}", p.name);
        let hours: f64 = on.iter().map(|s| f64::from(s.minutes) / 60.0).sum();
        assert!(
            (hours * 7.0 / cycle as f64 - weekly).abs() < 1e-9,
            "{}",
            p.name
        );
        // The notation reads back to the same cycle.
        assert_eq!(RotaPattern::parse(&p.name, &p.notation()).unwrap(), p);
        assert_eq!(Preset::from_key(preset.key()), Some(preset));
    }
    assert_eq!(
        RotaPattern::preset(Preset::FourOnFourOff).notation(),
        "07:00+10 07:00+10 22:00+10 22:00+10 R R R R"
    );
    let rolling = RotaPattern::preset(Preset::FiveWeekRolling).notation();
    assert!(rolling.starts_with("07:00+8 07:00+8 07:00+8 07:00+8 07:00+8 R R 15:00+8"));
    let panama = RotaPattern::preset(Preset::TwoTwoThree).notation();
    assert!(panama.starts_with("07:00+12 07:00+12 R R 07:00+12 07:00+12 07:00+12 R R"));
    assert!(panama.ends_with("19:00+12 19:00+12 R R R"));
}

#[test]
fn bad_patterns_name_the_field() {
    let err = |r: Result<RotaPattern, AnalyticsError>| r.unwrap_err().to_string();
    assert!(err(RotaPattern::parse("x", "07:00+10 25:00+8")).starts_with("days[1].start:"));
    assert!(err(RotaPattern::parse("x", "07:00+10 07:00+0")).starts_with("days[1].hours:"));
    assert!(err(RotaPattern::parse("x", "07:00+10 07:00+25")).starts_with("days[1].hours:"));
    assert!(err(RotaPattern::parse("x", "07:00+10 07:00+ten")).starts_with("days[1].hours:"));
    assert!(err(RotaPattern::parse("x", "07:00+10 night")).starts_with("days[1]:"));
    assert!(err(RotaPattern::parse("x", "R R")).starts_with("days:"));
    assert!(err(RotaPattern::parse("x", "")).starts_with("days:"));
    assert!(err(RotaPattern::parse("", "07:00+8 R")).starts_with("name:"));
    // 22:00 + 10 h ends 08:00, after the next day's 07:00 start.
    assert!(err(RotaPattern::parse("x", "22:00+10 07:00+8 R")).starts_with("days[0]:"));
    // The cycle wraps: the last day's night runs into the first day's early.
    assert!(err(RotaPattern::parse("x", "07:00+8 R 22:00+9")).starts_with("days[2]:"));
    // Exactly an hour between is allowed (07:00 + 23 h = 06:00, next 07:00).
    assert!(RotaPattern::parse("x", "07:00+23").is_ok());
    assert!(
        PatternRun::new(0, monday(), 365)
            .unwrap_err()
            .to_string()
            .starts_with("team_size:")
    );
    assert!(
        PatternRun::new(5, monday(), 6)
            .unwrap_err()
            .to_string()
            .starts_with("horizon_days:")
    );
}

#[test]
fn the_roster_file_reads_back_as_the_same_shifts() {
    let pattern = RotaPattern::preset(Preset::TwoTwoThree);
    let run = PatternRun::new(3, NaiveDate::from_ymd_opt(2025, 3, 24).unwrap(), 14).unwrap();
    let zone = chrono_tz::Europe::London;
    let csv = roster_csv(&pattern, &run, zone).unwrap();
    let entries = mobile_core::roster::csv_format::parse(csv.as_bytes(), zone).unwrap();
    let people = mobile_core::roster::shifts_by_person(&entries);
    assert_eq!(people.len(), 3);
    for (i, (id, shifts)) in people.iter().enumerate() {
        let i = u32::try_from(i).unwrap();
        assert_eq!(id, &staff_id(i));
        assert_eq!(
            shifts,
            &officer_shifts(&pattern, &run, offset_of(i, 3, 28), zone)
        );
    }
    // Over the clocks going forward (Sun 30 March 2025), a 12 h night
    // starting 19:00 GMT Saturday ends 08:00 BST Sunday: 12 elapsed hours.
    let nights: Vec<&Shift> = people
        .iter()
        .flat_map(|(_, s)| s)
        .filter(|s| s.start() == Utc.with_ymd_and_hms(2025, 3, 29, 19, 0, 0).unwrap())
        .collect();
    assert!(!nights.is_empty(), "officer 2 (offset 9) works that night");
    for n in nights {
        assert_eq!(n.end(), Utc.with_ymd_and_hms(2025, 3, 30, 7, 0, 0).unwrap());
    }
}

#[test]
fn seventeen_week_averages_and_the_csv_are_stable() {
    // 4 on 4 off over 18 weeks: two 17-week periods per officer (weeks
    // 1–17 and 2–18). 119 days hold 14 cycles and 7 days, so an officer
    // works 14 × 40 h plus 20 to 40 h: (580 to 600) / 17 = 34.1 to 35.3 h.
    let pattern = RotaPattern::preset(Preset::FourOnFourOff);
    let run = PatternRun::new(2, monday(), 126).unwrap();
    let f = pattern_figures(&pattern, &run, &london(), &AssessmentParams::default()).unwrap();
    assert_eq!(f.reference_periods, 4);
    assert_eq!(f.reference_periods_over_amber, 0);
    let avg = f.highest_17_week_average_hours.unwrap();
    assert!((580.0 / 17.0..=600.0 / 17.0).contains(&avg), "{avg}");
    assert_eq!(f.offsets, vec![0, 4]);
    // 126 days = 15 cycles + 6 days: officer 0 works 60 + 4 (cycle days
    // 0–5 hold all four duties), officer 1 (from cycle day 4) 60 + 2 (days
    // 0 and 1 of the next cycle).
    assert_eq!(f.shifts, 126);
    let csv = figures_csv(std::slice::from_ref(&f)).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), CSV_COLUMNS.join(","));
    let row = lines.next().unwrap();
    assert!(row.starts_with(
        "4 on 4 off (10 h),07:00+10 07:00+10 22:00+10 22:00+10 R R R R,8,2,2025-01-06,126,"
    ));
    assert!(row.ends_with(",0 4"));
    let charts = charts(&[f.clone(), f]).unwrap();
    assert_eq!(charts.len(), 2);
    assert!(charts[0].alt.contains("4 on 4 off (10 h): "));
    assert!(charts[1].svg.contains("<svg"));
}

#[test]
fn twelve_hour_shifts_back_to_back_are_a_short_rest_only_when_the_clocks_go_forward() {
    // 2-2-3 for 10 officers over the fortnight holding Sunday 30 March
    // 2025 (clocks forward at 01:00 GMT): a day 07:00-19:00 GMT on Saturday
    // and the next 07:00 BST (06:00 UTC) leave 11 h; a night 19:00 GMT -
    // 07:00 UTC (08:00 BST) and the next 19:00 BST (18:00 UTC) leave 11 h.
    // Under 12 h (amber), not under 11 h (red). The fortnight after has
    // none: every rest between back-to-back shifts is exactly 12 h.
    let pattern = RotaPattern::preset(Preset::TwoTwoThree);
    let params = AssessmentParams::default();
    let over = PatternRun::new(10, NaiveDate::from_ymd_opt(2025, 3, 24).unwrap(), 14).unwrap();
    let f = pattern_figures(&pattern, &over, &london(), &params).unwrap();
    // Saturday 29 is day 5 of the horizon. Officer offsets ⌊i × 28 / 10⌋ =
    // 0 2 5 8 11 14 16 19 22 25 put them on cycle days (5+o, 6+o) mod 28 on
    // Saturday and Sunday; a fortnight's on-days are 0 1 4 5 6 9 10 (days
    // in the first, nights in the second). Both on: o = 0 (days 5, 6) and
    // o = 14 (nights, fortnight days 5, 6). The rest are off on one of them.
    assert_eq!((f.quick_returns, f.quick_returns_red), (2, 0));
    let after = PatternRun::new(10, NaiveDate::from_ymd_opt(2025, 4, 7).unwrap(), 14).unwrap();
    let f = pattern_figures(&pattern, &after, &london(), &params).unwrap();
    assert_eq!((f.quick_returns, f.quick_returns_red), (0, 0));
}
