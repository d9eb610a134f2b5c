//! Report figures, suppression in a real report, reproducibility and rendering.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use analytics::input::{Period, PersonRecords, Rejection};
use analytics::render::{csv_text, render_csv, render_html, render_json};
use analytics::report::{ReportRequest, build_report};
use analytics::synthetic::{SyntheticForce, generate};
use chrono::NaiveDate;
use mobile_core::roster::limits::{RosterLimits, WeekStart};
use rust_decimal::Decimal;

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

fn request(trend: u32) -> ReportRequest {
    ReportRequest {
        force: "Testshire".into(),
        zone: "UTC".into(),
        period: Period::new(date(16), date(22)).unwrap(),
        trend_periods: trend,
        limits: RosterLimits::default(),
        roster_horizon: None,
    }
}

fn people(n: usize, seed: u64) -> Vec<PersonRecords> {
    let mut spec = SyntheticForce::new("Testshire", n, date(1), 22, seed);
    spec.team_size = 7;
    spec.teams_per_command = 4;
    generate(&spec)
}

#[test]
fn same_input_in_any_order_gives_byte_identical_json() {
    let input = people(90, 7);
    let a = render_json(&build_report(&request(2), input.clone()).unwrap()).unwrap();
    let mut shuffled = input;
    shuffled.reverse();
    for p in &mut shuffled {
        p.shifts.reverse();
        p.summaries.reverse();
    }
    let b = render_json(&build_report(&request(2), shuffled).unwrap()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_report_built_on_one_thread_is_byte_identical_to_one_built_on_four() {
    // build_report works out people's figures and the periods' tables in
    // parallel (rayon): the sums and the suppression must not depend on how
    // the work was split. 600 people in teams of 7 across 4 commands, a
    // trend of 4 periods: many rows with cells near the suppression line.
    let input = people(600, 21);
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| render_json(&build_report(&request(4), input.clone()).unwrap()).unwrap())
    };
    let serial = on(1);
    assert_eq!(serial, on(4));
    // And it is a real report: everyone counted, five periods in the trend.
    let report = build_report(&request(4), input.clone()).unwrap();
    assert_eq!(report.meta.people, 600);
    assert_eq!(report.trend.len(), 5);
}

#[test]
fn no_published_count_describes_one_to_four_people_in_a_small_team() {
    // Teams of 7 with one team cut to 3 people: its rows are withheld everywhere.
    let mut input = people(84, 3);
    input.retain(|p| !(p.person.team == "C00-T001" && p.person.id.ends_with(['0', '1', '2', '3'])));
    let report = build_report(&request(0), input).unwrap();
    for t in &report.tables {
        let row = t.rows.iter().find(|r| r.label == "C00-T001").unwrap();
        assert!(
            row.cells.iter().all(|c| c.value.is_none()),
            "{}: a team of 3 published {:?}",
            t.id,
            row.cells
        );
        // For each column, command C00 minus its published teams never leaves one unknown.
        for c in 0..t.columns.len() {
            let teams: Vec<_> = t
                .rows
                .iter()
                .filter(|r| r.level == 2 && r.path[0] == "C00")
                .collect();
            let cmd = t
                .rows
                .iter()
                .find(|r| r.level == 1 && r.path[0] == "C00")
                .unwrap();
            let unknown = teams.iter().filter(|r| r.cells[c].suppressed).count();
            if !cmd.cells[c].suppressed {
                assert_ne!(unknown, 1, "{} column {c}", t.id);
            }
        }
    }
}

#[test]
fn figures_add_up_and_percentages_say_what_they_are_of() {
    let report = build_report(&request(1), people(120, 11)).unwrap();
    let t = report.table("quick_returns").unwrap();
    let root = t.root().unwrap();
    let total = root.cells[3].value.unwrap();
    let parts: Decimal = root.cells[..3].iter().filter_map(|c| c.value).sum();
    if root.cells[..3].iter().all(|c| !c.suppressed) {
        assert_eq!(parts, total);
    }
    for c in &root.cells[..3] {
        if let Some(p) = &c.percent {
            assert!(p.of.starts_with("people rostered"));
        }
    }
    // All shifts printed in three tables agree.
    let shifts = |id: &str| {
        let t = report.table(id).unwrap();
        t.root().unwrap().cells[t.column("all shifts").unwrap()].value
    };
    assert_eq!(shifts("fi_thresholds"), shifts("fi_distribution"));
    assert_eq!(shifts("fi_thresholds"), shifts("hourly_risk"));
    assert_eq!(report.trend.len(), 2);
    assert_eq!(report.trend[1].period, report.meta.period);
}

#[test]
fn bad_records_are_counted_and_the_rest_kept() {
    let mut input = people(40, 5);
    let dup = input[0].clone();
    input.push(dup);
    input[1].shifts[0].fatigue_index = f64::NAN;
    let s = input[2].shifts[1].clone();
    input[2].shifts.push(s);
    let good = build_report(&request(0), people(40, 5)).unwrap();
    let report = build_report(&request(0), input).unwrap();
    assert_eq!(
        report.meta.rejections.get(&Rejection::DuplicatePerson),
        Some(&1)
    );
    assert_eq!(
        report.meta.rejections.get(&Rejection::InvalidShift),
        Some(&1)
    );
    assert_eq!(
        report.meta.rejections.get(&Rejection::DuplicateShift),
        Some(&1)
    );
    assert_eq!(report.meta.people, good.meta.people);
    let json = render_json(&report).unwrap();
    assert!(json.contains("\"duplicate_person\": 1"));
}

#[test]
fn bad_requests_are_typed_errors() {
    let mut r = request(0);
    r.zone = "Mars/Olympus".into();
    assert!(build_report(&r, vec![]).is_err());
    let mut r = request(0);
    r.trend_periods = 99;
    assert!(build_report(&r, vec![]).is_err());
    // A force's settings past a legal limit: refused, naming the setting.
    let mut r = request(0);
    r.limits.quick_return_red_under_hours = 10;
    let err = build_report(&r, vec![]).unwrap_err().to_string();
    assert!(err.contains("quick_return_red_under_hours"), "{err}");
    assert!(Period::new(date(5), date(4)).is_err());
}

#[test]
fn html_is_accessible_and_csv_carries_denominators() {
    let report = build_report(&request(1), people(60, 9)).unwrap();
    let html = render_html(&report).unwrap();
    assert!(html.contains("<html lang=\"en-GB\">"));
    assert!(html.contains("<caption>"));
    assert!(html.contains("scope=\"col\""));
    assert!(html.contains("<svg"));
    assert!(html.contains("@media print"));
    assert_eq!(html, render_html(&report).unwrap());
    let csv = render_csv(&report).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("section,table,period_from")
    );
    for line in lines.filter(|l| l.contains("people rostered in this row")) {
        let fields: Vec<&str> = line.split(',').collect();
        assert!(
            !fields[10].is_empty(),
            "a denominator without a percentage: {line}"
        );
    }
}

#[test]
fn a_forces_own_settings_are_applied_and_shown_in_the_header() {
    let mut r = request(0);
    r.limits = RosterLimits {
        average_week_amber_over_hours: 40,
        week_start: WeekStart {
            weekday: chrono::Weekday::Sun,
            hour: 6,
        },
        ..RosterLimits::default()
    };
    let report = build_report(&r, people(60, 9)).unwrap();
    assert_eq!(report.meta.limits, r.limits);
    let table = report.table("average_week_17w").unwrap();
    assert_eq!(table.columns[0], "40 h or less");
    let html = render_html(&report).unwrap();
    assert!(html.contains("average_week_amber_over_hours 40"), "header");
    assert!(html.contains("week_start"), "header");
    // The CSV says the same: every setting, the force's own among them.
    let csv = render_csv(&report).unwrap();
    let settings: Vec<&str> = csv.lines().filter(|l| l.starts_with("settings,")).collect();
    assert!(
        settings
            .iter()
            .any(|l| l.contains(",average_week_amber_over_hours,setting,40,false")),
        "{settings:?}"
    );
    assert!(
        settings
            .iter()
            .any(|l| l.contains(",week_start,setting,Sun 06:00,false")),
        "{settings:?}"
    );
    assert!(
        settings
            .iter()
            .any(|l| l.contains(",nights_amber_over,setting,3,false")),
        "the defaults too: {settings:?}"
    );
    let defaults = build_report(&request(0), people(60, 9)).unwrap();
    assert!(
        render_html(&defaults)
            .unwrap()
            .contains("Roster settings: the defaults")
    );
}

#[test]
fn empty_force_gives_an_empty_but_valid_report() {
    let report = build_report(&request(0), vec![]).unwrap();
    assert_eq!(report.meta.people, 0);
    assert!(render_html(&report).is_ok());
}

/// No relation "parent = sum of its children" at either level has a
/// single withheld cell ([`analytics::table::Table::single_unknowns`]).
fn assert_no_single_unknown(report: &analytics::report::Report) {
    for t in &report.tables {
        assert_eq!(t.single_unknowns(), [], "{}", t.id);
    }
}

#[test]
fn a_command_subtotal_never_reveals_a_withheld_team() {
    // Three commands of 2 teams of 7; in C01 one team is cut to 3 people
    // and in C02 one to 2, so those team rows are withheld and the command
    // subtotals must not give them away (nor the force total a command).
    let mut input = people(42, 11);
    input.retain(|p| {
        !((p.person.team == "C00-T001" && p.person.id.ends_with(['0', '1', '2', '3']))
            || (p.person.team == "C01-T000" && !p.person.id.ends_with(['7', '8'])))
    });
    let mut spec_request = request(0);
    spec_request.trend_periods = 0;
    let input: Vec<PersonRecords> = input
        .into_iter()
        .map(|mut p| {
            // 2 teams per command instead of 4.
            let team: usize = p.person.team[5..].parse().unwrap();
            let command: usize = p.person.command[1..].parse().unwrap();
            let flat = command * 4 + team;
            p.person.command = format!("C{:02}", flat / 2);
            p.person.team = format!("C{:02}-T{:03}", flat / 2, flat % 2);
            p
        })
        .collect();
    let report = build_report(&spec_request, input).unwrap();
    let commands: Vec<&str> = report.tables[0]
        .rows
        .iter()
        .filter(|r| r.level == 1)
        .map(|r| r.label.as_str())
        .collect();
    assert!(commands.len() >= 3, "{commands:?}");
    let mut small_rows = 0;
    for t in &report.tables {
        for r in t.rows.iter().filter(|r| r.level == 2) {
            if r.cells.iter().all(|c| c.suppressed) {
                small_rows += 1;
            }
        }
    }
    assert!(small_rows > 0, "the cut teams are withheld somewhere");
    assert_no_single_unknown(&report);
}

#[test]
fn learning_is_counted_by_team_with_the_small_number_rule() {
    let report = build_report(&request(0), people(84, 5)).unwrap();
    let t = report.table("learning").unwrap();
    assert_eq!(t.unit, "people");
    let of = t.percent_of.as_deref().unwrap();
    assert!(of.contains("opened at least one module"), "{of}");
    let root = t.root().unwrap();
    let total = t.column("people who opened a module").unwrap();
    let n = root.cells[total].value.unwrap();
    assert!(n > Decimal::from(10) && n < Decimal::from(84), "{n}");
    for r in &t.rows {
        // Within a row the parts sum to the total: either all published
        // and adding up, or at least two withheld.
        let withheld = r.cells.iter().filter(|c| c.suppressed).count();
        assert_ne!(withheld, 1, "{}", r.label);
        if withheld == 0 {
            let parts: Decimal = (0..3).map(|c| r.cells[c].value.unwrap()).sum();
            assert_eq!(Some(parts), r.cells[total].value);
        }
    }
    for r in &t.rows {
        for c in &r.cells {
            if let Some(v) = c.value {
                assert!(
                    v == Decimal::ZERO || v >= Decimal::from(5),
                    "{} {:?}",
                    r.label,
                    c
                );
            }
        }
    }
    assert_no_single_unknown(&report);
}

#[test]
fn names_a_spreadsheet_would_run_are_written_as_text() {
    for (name, cell) in [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+44", "'+44"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("Response North", "Response North"),
        ("A=B", "A=B"),
    ] {
        assert_eq!(csv_text(name), cell, "{name}");
    }
    // Through the report: teams and commands named by a force admin.
    let mut input = people(60, 9);
    for p in &mut input {
        p.person.team = format!("=cmd|{}", p.person.team);
        p.person.command = format!("@{}", p.person.command);
    }
    let csv = render_csv(&build_report(&request(0), input).unwrap()).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let path = headers.iter().position(|h| h == "row_path").unwrap();
    let mut seen = 0;
    for record in reader.records() {
        let field = record.unwrap()[path].to_owned();
        assert!(!field.starts_with(['=', '+', '-', '@']), "{field}");
        seen += usize::from(field.starts_with("'@"));
    }
    assert!(seen > 0, "no command rows were written");
}

#[test]
fn a_period_of_two_weeks_withholds_a_health_figure_when_one_week_is_thin() {
    // Two ISO weeks, 9-15 and 16-22 March 2026. In team C00-T001 everyone
    // keeps their first week of summaries, but only two keep their second:
    // the two-week figure for the team, less the first week's, would be
    // two people's nights (docs/security.md, "Differencing").
    let mut input = people(84, 3);
    let in_team = |p: &PersonRecords| p.person.team == "C00-T001";
    let template = input
        .iter()
        .flat_map(|p| p.summaries.iter())
        .next()
        .unwrap()
        .clone();
    let night = |d: u32| {
        let mut s = template.clone();
        s.local_date = date(d);
        s.main_sleep_start = None;
        s.main_sleep_end = None;
        s
    };
    let mut members = 0;
    for p in input.iter_mut().filter(|p| in_team(p)) {
        members += 1;
        // Everyone: the nights of 10 and 12 March; the first two also 17 and 19.
        p.summaries = vec![night(10), night(12)];
        if members <= 2 {
            p.summaries.extend([night(17), night(19)]);
        }
    }
    assert_eq!(members, 7);
    let report_for = |from: u32, to: u32| {
        let mut r = request(0);
        r.period = Period::new(date(from), date(to)).unwrap();
        build_report(&r, input.clone()).unwrap()
    };
    let sleep_cell = |report: &analytics::report::Report, label: &str| {
        let t = report.tables.iter().find(|t| t.id == "sleep").unwrap();
        let row = t.rows.iter().find(|r| r.label == label).unwrap();
        row.cells[0].clone()
    };
    // The first week alone: published. Both weeks: withheld, though the
    // team has at least five people with nights over the two.
    assert!(sleep_cell(&report_for(9, 15), "C00-T001").value.is_some());
    let both = report_for(9, 22);
    let cell = sleep_cell(&both, "C00-T001");
    assert!(cell.value.is_none() && cell.suppressed, "{cell:?}");
    // The force's row has plenty in every week and stays published.
    assert!(sleep_cell(&both, "Testshire").value.is_some());
    // Roster tables are not under the rule (their readers see the roster).
    let fi = both.tables.iter().find(|t| t.id == "fi_mean").unwrap();
    let team = fi.rows.iter().find(|r| r.label == "C00-T001").unwrap();
    assert!(team.cells.iter().any(|c| c.value.is_some()));
    assert_no_single_unknown(&both);
}
