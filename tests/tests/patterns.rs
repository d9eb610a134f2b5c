//! Rota pattern comparison end to end: the API's figures for a pattern
//! against `server roster-risk` and the FRM report's indicator functions run
//! on the same pattern written out as a roster file; the dashboard page
//! with three patterns and its CSV; who may compare.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use analytics::indicators::{
    LOOKBACK_DAYS, Level, LocalDuties, REFERENCE_WEEKS, roster_figures, schedule_figures,
    working_time_figures,
};
use analytics::input::{Duty, ShiftRecord};
use chrono::{Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;
use e2e_tests::{Dashboard, PASSWORD, TestServer, enrol, server_binary, setup_force};
use mobile_core::period::Period;
use mobile_core::roster::assess::ShiftAssessment;
use mobile_core::roster::limits::RosterLimits;
use serde_json::{Value, json};

/// A POST of a dashboard form: status, headers we check, body.
fn post_form(
    server: &TestServer,
    dash: &Dashboard,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String, String) {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let r = agent
        .post(&format!("{}{path}", server.url))
        .set("Cookie", &dash.cookie)
        .send_form(form);
    let resp = match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    (
        resp.status(),
        resp.header("content-type").unwrap_or("").to_owned(),
        resp.header("content-disposition").unwrap_or("").to_owned(),
        resp.into_string().unwrap(),
    )
}

/// The API's CSV: status and text.
fn post_csv(client: &e2e_tests::Client, path: &str, body: &Value) -> (u16, String) {
    let r = ureq::post(&format!("{}{path}", client.base))
        .set(
            "Authorization",
            &format!("Bearer {}", client.token.as_deref().unwrap()),
        )
        .send_json(body.clone());
    match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_string().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

/// Writes 4 on 4 off out as a roster file, independently of the server:
/// cycle D D N N R R R R (days 07:00, nights 22:00 local, 10 elapsed hours),
/// officer i of 2 on cycle day (d + 4i) mod 8 on day d, from 14 days before
/// the start to 14 days after the horizon. Starts are local
/// `YYYY-MM-DDTHH:MM` (read in `--tz`), ends RFC 3339 UTC.
fn four_on_four_off_roster(start: NaiveDate, horizon: i64, zone: Tz) -> String {
    let mut csv = String::from("staff_id,start,end\n");
    for officer in 0..2i64 {
        for d in -LOOKBACK_DAYS..horizon + LOOKBACK_DAYS {
            let hour = match (d + 4 * officer).rem_euclid(8) {
                0 | 1 => 7,
                2 | 3 => 22,
                _ => continue,
            };
            let date = start + Duration::days(d);
            let local = date.and_hms_opt(hour, 0, 0).unwrap();
            let begin = zone.from_local_datetime(&local).single().unwrap();
            let end = (begin + Duration::hours(10)).with_timezone(&chrono::Utc);
            csv.push_str(&format!(
                "officer-{:02},{},{}\n",
                officer + 1,
                local.format("%Y-%m-%dT%H:%M"),
                end.to_rfc3339()
            ));
        }
    }
    csv
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 1e-9, "{what}: {a} vs {b}");
}

#[test]
fn one_patterns_figures_match_roster_risk_and_the_reports_indicators() {
    let server = TestServer::start();
    let force = setup_force(&server, "pat-match", 1);
    // 18 weeks from Monday 6 January 2025, over the clocks going forward
    // (30 March): two 17-week periods per officer.
    let start = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    let horizon = 126i64;
    let r = force.frm_lead.post(
        "/v1/patterns/compare",
        &json!({ "team_size": 2, "start": start, "horizon_days": horizon,
                 "patterns": [{ "preset": "four_on_four_off" }] }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    let zone_name = r.body["zone"].as_str().unwrap().to_owned();
    let zone: Tz = zone_name.parse().unwrap();
    let api = &r.body["patterns"][0];
    assert_eq!(api["offsets"], json!([0, 4]));

    let dir = std::env::temp_dir().join(format!("patterns-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("four-on-four-off.csv");
    std::fs::write(&file, four_on_four_off_roster(start, horizon, zone)).unwrap();
    let out = Command::new(server_binary())
        .args(["roster-risk", "--roster", file.to_str().unwrap()])
        .args(["--tz", &zone_name, "--format", "json"])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let people: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(people.len(), 2);

    let period = Period {
        from: start,
        to: start + Duration::days(horizon - 1),
    };
    let (from, to) = period.instants(zone);
    let last = period.to + Duration::days(LOOKBACK_DAYS);
    let known_until = Period {
        from: last,
        to: last,
    }
    .end(zone);
    let limits = RosterLimits::default();
    let (mut shifts, mut nights, mut over, mut minutes) = (0u32, 0u32, 0u32, 0i64);
    let (mut weighted, mut hours) = (0.0, 0.0);
    let (mut quick, mut quick_red, mut long, mut night_run) = (0u32, 0u32, 0u32, 0u32);
    let (mut max_7d, mut work_run) = (0i64, 0u32);
    let (mut weeks, mut weeks_without, mut fortnights_without) = (0u32, 0u32, 0u32);
    let (mut periods, mut periods_amber, mut highest_avg) = (0u32, 0u32, 0.0f64);
    let mut reference = None;
    for person in &people {
        let assessed: Vec<ShiftAssessment> =
            serde_json::from_value(person["shifts"].clone()).unwrap();
        // The reference roster's mean HRI, as the CLI divided by it.
        let r = person["mean_hri"].as_f64().unwrap() / person["risk_index"].as_f64().unwrap();
        reference = Some(r);
        for s in assessed.iter().filter(|s| {
            let t = s.start.with_timezone(&chrono::Utc);
            t >= from && t < to
        }) {
            shifts += 1;
            nights += u32::from(s.night);
            over += u32::from(s.fatigue_index >= s.fatigue_index_threshold);
            weighted += s.hri_mean * s.hours;
            hours += s.hours;
        }
        // The report's indicator functions over the same shifts.
        let records: Vec<ShiftRecord> = assessed.iter().map(ShiftRecord::from).collect();
        let duties: Vec<Duty> = records
            .iter()
            .map(|s| Duty {
                start: s.start,
                end: s.end,
            })
            .collect();
        let rf = roster_figures(&records, from, to, &limits);
        quick += rf.quick_returns;
        quick_red += rf.quick_returns_red;
        long += rf.long_shifts;
        night_run = night_run.max(rf.longest_night_run);
        max_7d = max_7d.max(rf.max_7d_minutes);
        minutes += rf.minutes_in_period;
        let sf = schedule_figures(&records, &duties, from, to, zone, &limits, known_until);
        let local = LocalDuties::in_zone(&duties, zone);
        work_run = work_run.max(sf.longest_work_day_run);
        weeks += sf.weekly_rest.weeks;
        weeks_without += sf.weekly_rest.weeks_without;
        fortnights_without += sf.weekly_rest.fortnights_without;
        for k in REFERENCE_WEEKS..=horizon / 7 {
            let p = Period {
                from: start + Duration::weeks(k - REFERENCE_WEEKS),
                to: start + Duration::weeks(k) - Duration::days(1),
            };
            let w = working_time_figures(&local, &[], &p, &limits, known_until);
            periods += 1;
            periods_amber += u32::from(w.average_week_level >= Level::Amber);
            highest_avg = highest_avg
                .max((w.minutes + w.make_up_minutes) as f64 / 60.0 / REFERENCE_WEEKS as f64);
        }
    }
    let u = |k: &str| u32::try_from(api[k].as_u64().unwrap()).unwrap();
    let f = |k: &str| api[k].as_f64().unwrap();
    // 126 days = 15 cycles and 6 days: officer 1 works 64 shifts, officer 2 62.
    assert_eq!(shifts, 126);
    assert_eq!(u("shifts"), shifts);
    assert_eq!(u("night_shifts"), nights);
    assert_eq!(u("shifts_over_fi_threshold"), over);
    close(
        f("share_over_fi_threshold_percent"),
        f64::from(over) * 100.0 / f64::from(shifts),
        "share over the FI thresholds",
    );
    close(
        f("risk_index"),
        weighted / hours / reference.unwrap(),
        "team Risk Index",
    );
    close(
        f("hours_per_officer_per_week"),
        minutes as f64 / 60.0 / 2.0 / 18.0,
        "hours per officer per week",
    );
    assert_eq!(
        (u("quick_returns"), u("quick_returns_red")),
        (quick, quick_red)
    );
    assert_eq!(u("long_shifts"), long);
    assert_eq!(u("longest_night_run"), night_run);
    assert_eq!(night_run, 2, "D D N N: two nights in a row");
    assert_eq!(u("longest_work_day_run"), work_run);
    close(
        f("max_hours_in_7_days"),
        max_7d as f64 / 60.0,
        "7-day hours",
    );
    assert_eq!(u("weekly_rest_weeks"), weeks);
    assert_eq!(u("weeks_without_weekly_rest"), weeks_without);
    assert_eq!(u("fortnights_without_weekly_rest"), fortnights_without);
    assert_eq!(u("reference_periods"), periods);
    assert_eq!(periods, 4, "two 17-week periods for each of two officers");
    assert_eq!(u("reference_periods_over_amber"), periods_amber);
    close(
        f("highest_17_week_average_hours"),
        highest_avg,
        "17-week average",
    );
}

fn three_patterns<'a>(csrf: &'a str, custom: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("team_size", "10"),
        ("start", "2026-01-05"),
        ("horizon_days", "365"),
        ("kind1", "four_on_four_off"),
        ("kind2", "five_week_rolling"),
        ("kind3", "custom"),
        ("name3", "Earlies and lates"),
        ("cycle3", custom),
        ("kind4", ""),
    ]
}

#[test]
fn the_page_compares_three_patterns_and_the_csv_downloads() {
    let server = TestServer::start();
    let force = setup_force(&server, "pat-page", 1);
    let dash = Dashboard::sign_in(&server, "pat-page", "frm");
    let (status, page) = dash.get("/dashboard/patterns");
    assert_eq!(status, 200);
    assert!(page.contains("Rota patterns"), "the navigation links it");
    assert!(page.contains("07:00+10 07:00+10 22:00+10 22:00+10 R R R R"));
    let csrf = dash.csrf("/dashboard/patterns");
    let custom = "07:00+8 07:00+8 07:00+8 15:00+8 15:00+8 R R";
    let form = three_patterns(&csrf, custom);
    let (status, _, _, html) = post_form(&server, &dash, "/dashboard/patterns", &form);
    assert_eq!(status, 200, "{html}");
    for name in [
        "4 on 4 off (10 h)",
        "5-week rolling (8 h)",
        "Earlies and lates",
    ] {
        assert!(
            html.contains(&format!("<th scope=\"col\" class=\"pattern\">{name}</th>")),
            "{name} is a column"
        );
    }
    assert_eq!(html.matches("class=\"pattern\"").count(), 3);
    assert_eq!(html.matches("<svg").count(), 2, "two charts");
    assert!(html.contains("Team Risk Index"));
    assert!(html.contains("10 officers from 2026-01-05 for 365 days"));

    let (status, content_type, disposition, csv) =
        post_form(&server, &dash, "/dashboard/patterns/patterns.csv", &form);
    assert_eq!(status, 200, "{csv}");
    assert!(content_type.starts_with("text/csv"));
    assert!(disposition.contains("attachment; filename=\"patterns-2026-01-05-365d.csv\""));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], analytics::patterns::CSV_COLUMNS.join(","));
    assert_eq!(lines.len(), 4, "a header and three patterns");
    assert!(lines[1].starts_with("4 on 4 off (10 h),"));
    assert!(lines[2].starts_with("5-week rolling (8 h),"));
    assert!(lines[3].starts_with(&format!("Earlies and lates,{custom},7,10,2026-01-05,365,")));
    // The API gives the same CSV for the same request.
    let body = json!({ "team_size": 10, "start": "2026-01-05", "horizon_days": 365, "patterns": [
        { "preset": "four_on_four_off" }, { "preset": "five_week_rolling" },
        { "name": "Earlies and lates", "cycle": custom } ] });
    let (status, api_csv) = post_csv(&force.frm_lead, "/v1/patterns/compare?format=csv", &body);
    assert_eq!(status, 200);
    assert_eq!(api_csv, csv);
    // Over a year, 10 officers on 4 on 4 off (35 h a week) work 365 / 8 × 4
    // ≈ 182.5 shifts each; the 5-week rolling pattern 38.4 h.
    let r = force.frm_lead.post("/v1/patterns/compare", &body);
    let hours = |i: usize| {
        r.body["patterns"][i]["hours_per_officer_per_week"]
            .as_f64()
            .unwrap()
    };
    assert!((hours(0) - 35.0).abs() < 0.2, "{}", hours(0));
    assert!((hours(1) - 38.4).abs() < 0.2, "{}", hours(1));
    assert!((hours(2) - 40.0).abs() < 0.2, "{}", hours(2));

    // Bad input: a clear 422 naming the field, on the page and the API.
    let bad = three_patterns(&csrf, "07:00+8 25:00+8");
    let (status, _, _, html) = post_form(&server, &dash, "/dashboard/patterns", &bad);
    assert_eq!(status, 422);
    assert!(html.contains("patterns[2].days[1].start"), "{html}");
    let r = force.frm_lead.post(
        "/v1/patterns/compare",
        &json!({ "patterns": [{ "days": [{ "start": "07:00", "hours": 0 }] }] }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_pattern"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("patterns[0].days[0].hours:")
    );
    let r = force.frm_lead.post(
        "/v1/patterns/compare",
        &json!({ "team_size": 0, "patterns": [{ "preset": "two_two_three" }] }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_pattern"));
    assert!(r.body["detail"].as_str().unwrap().starts_with("team_size:"));
    // A form without its CSRF token is refused.
    let mut forged = form.clone();
    forged[0] = ("csrf", "forged");
    let (status, _, _, _) = post_form(&server, &dash, "/dashboard/patterns", &forged);
    assert_eq!(status, 403);
}

#[test]
fn officers_npws_and_force_admins_are_refused_and_supervisors_may_compare() {
    let server = TestServer::start();
    let force = setup_force(&server, "pat-roles", 1);
    let body = json!({ "horizon_days": 7, "team_size": 1,
                       "patterns": [{ "preset": "two_two_three" }] });
    let r = force.supervisor.post("/v1/patterns/compare", &body);
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["patterns"][0]["cycle_days"], 28);
    let officer = enrol(&server, &force, &force.members[0]);
    let r = officer.client.post("/v1/patterns/compare", &body);
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = force.admin.post("/v1/patterns/compare", &body);
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = server.admin().post(
        "/v1/admin/analysts",
        &json!({ "username": "analyst", "password": PASSWORD }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let analyst = server.client().login(None, "analyst", PASSWORD);
    let r = analyst.post("/v1/patterns/compare", &body);
    assert_eq!(r.status, 403);
    // On the dashboard: the analyst's page is refused and not in the menu.
    let dash = Dashboard::sign_in(&server, "", "analyst");
    let (status, _) = dash.get("/dashboard/patterns");
    assert_eq!(status, 403);
    let (_, home) = dash.get("/dashboard");
    assert!(!home.contains("/dashboard/patterns"));
    // The route is in the served OpenAPI document.
    let doc = server.client().get("/v1/openapi.json").body;
    assert!(doc["paths"]["/v1/patterns/compare"]["post"].is_object());
    // The supervisor's page opens.
    let dash = Dashboard::sign_in(&server, "pat-roles", "sarge");
    let (status, page) = dash.get("/dashboard/patterns");
    assert_eq!(status, 200);
    assert!(page.contains("name=\"csrf\""));
}
