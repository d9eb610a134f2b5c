//! Roster upload (CSV, iCalendar, per-line errors), the team risk view, the
//! what-if, wellbeing aggregates (k >= 5), the officer's own risk and the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e_tests::*;
use serde_json::{Value, json};

const ROSTER: &str = "staff_id,start,end,team,role,activity
kent-001,2025-06-02T14:00,2025-06-02T22:00,A,response,
kent-001,2025-06-03T06:00,2025-06-03T14:00,A,response,
kent-002,2025-06-02T22:00,2025-06-03T07:00,A,response,
kent-002,2025-06-03T22:00,2025-06-04T07:00,A,response,
kent-002,2025-06-04T22:00,2025-06-05T07:00,A,response,
kent-002,2025-06-05T22:00,2025-06-06T07:00,A,response,
kent-002,2025-06-06T22:00,2025-06-07T07:00,A,response,
kent-003,2025-06-03T07:00,2025-06-03T20:00,A,response,
kent-003,2025-06-04T07:00,2025-06-04T17:00,A,response,rest day
";

fn upload(client: &Client, team: &str, content_type: &str, body: &str) -> Reply {
    client.post_raw(
        &format!("/v1/teams/{team}/roster"),
        &[("content-type", content_type)],
        body.as_bytes(),
    )
}

fn officer<'a>(risk: &'a Value, staff: &str) -> &'a Value {
    risk["officers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["staff_number"] == staff)
        .unwrap()
}

fn flag_codes(shift: &Value) -> Vec<String> {
    shift["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

fn any_flag(officer: &Value, code: &str) -> bool {
    officer["assessment"]["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| flag_codes(s).iter().any(|c| c == code))
}

#[test]
fn roster_upload_team_risk_and_what_if() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 6);
    let r = upload(&force.supervisor, &force.team, "text/csv", ROSTER);
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["shifts_stored"], 8, "the rest day is not a duty");

    let risk = force.supervisor.get(&format!(
        "/v1/teams/{}/risk?from=2025-06-01&to=2025-06-08",
        force.team
    ));
    assert_eq!(risk.status, 200, "{:?}", risk.body);
    assert_eq!(risk.body["officers"].as_array().unwrap().len(), 6);
    let one = officer(&risk.body, "kent-001");
    let shifts = one["assessment"]["shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 2);
    for s in shifts {
        let fi = s["fatigue_index"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&fi), "{fi}");
        assert!(s["hri_mean"].as_f64().unwrap() > 0.0);
        assert_eq!(
            s["sleep_basis"], "predicted",
            "a supervisor sees roster-derived risk only"
        );
    }
    assert!(
        flag_codes(&shifts[1]).contains(&"quick_return".to_owned()),
        "{:?}",
        shifts[1]["flags"]
    );
    assert!(any_flag(
        officer(&risk.body, "kent-002"),
        "consecutive_nights"
    ));
    assert!(any_flag(officer(&risk.body, "kent-003"), "long_shift"));
    assert!(!any_flag(
        officer(&risk.body, "kent-001"),
        "consecutive_nights"
    ));
    assert_eq!(
        officer(&risk.body, "kent-004")["assessment"]["shifts"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // What-if: moving the early to a late removes the quick return.
    let w = force.supervisor.post(
        &format!("/v1/teams/{}/risk/what-if", force.team),
        &json!({
            "staff_number": "kent-001", "from": "2025-06-01", "to": "2025-06-08",
            "remove": ["2025-06-03T05:00:00Z"],
            "add": [{"start": "2025-06-03T13:00:00Z", "end": "2025-06-03T21:00:00Z"}]
        }),
    );
    assert_eq!(w.status, 200, "{:?}", w.body);
    let before = &w.body["before"]["shifts"];
    let after = &w.body["after"]["shifts"];
    assert!(flag_codes(&before[1]).contains(&"quick_return".to_owned()));
    assert!(
        !flag_codes(&after[1]).contains(&"quick_return".to_owned()),
        "{:?}",
        after[1]
    );
    // Nothing was stored by the what-if.
    let again = force.supervisor.get(&format!(
        "/v1/teams/{}/risk?from=2025-06-01&to=2025-06-08",
        force.team
    ));
    assert_eq!(
        officer(&again.body, "kent-001")["assessment"]["shifts"],
        risk.body["officers"][0]["assessment"]["shifts"]
    );

    let bad_period = force.supervisor.get(&format!(
        "/v1/teams/{}/risk?from=2025-06-08&to=2025-06-01",
        force.team
    ));
    assert_eq!(bad_period.code(), "invalid_period");

    // Reads are audited.
    let audit = force.admin.get("/v1/force/audit");
    let actions: Vec<&str> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["read_team_risk", "upload_roster", "what_if"] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
}

#[test]
fn bad_roster_lines_are_all_reported_and_nothing_is_stored() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 2);
    let bad = "staff_id,start,end\nkent-001,2025-06-02T07:00,2025-06-02T17:00\nkent-001,yesterday,2025-06-03T17:00\nkent-999,2025-06-04T07:00,2025-06-04T17:00\n";
    let r = upload(&force.admin, &force.team, "text/csv", bad);
    assert_eq!(
        (r.status, r.code()),
        (422, "invalid_roster"),
        "{:?}",
        r.body
    );
    assert_eq!(r.content_type, "application/problem+json");
    let errors = r.body["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["line"] == 3 && e["column"] == "start"),
        "{errors:?}"
    );
    let risk = force.admin.get(&format!(
        "/v1/teams/{}/risk?from=2025-06-01&to=2025-06-08",
        force.team
    ));
    assert_eq!(
        officer(&risk.body, "kent-001")["assessment"]["shifts"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // A file whose only problem is a non-member is refused, naming the line.
    let stranger = "staff_id,start,end\nkent-999,2025-06-04T07:00,2025-06-04T17:00\n";
    let r = upload(&force.admin, &force.team, "text/csv", stranger);
    assert_eq!(r.body["errors"][0]["line"], 2);
    assert_eq!(r.body["errors"][0]["column"], "staff_id");
    assert_eq!(
        upload(&force.admin, &force.team, "application/pdf", "x").code(),
        "unsupported_media_type"
    );
}

#[test]
fn icalendar_rosters_are_accepted() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 1);
    let ical = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1@test\r\nDTSTAMP:20250601T000000Z\r\nDTSTART;TZID=Europe/London:20250602T220000\r\nDTEND;TZID=Europe/London:20250603T070000\r\nX-STAFF-ID:kent-001\r\nSUMMARY:Night\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let r = upload(&force.admin, &force.team, "text/calendar", ical);
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["format"], "ical");
    let risk = force.frm_lead.get(&format!(
        "/v1/teams/{}/risk?from=2025-06-01&to=2025-06-08",
        force.team
    ));
    let shifts = officer(&risk.body, "kent-001")["assessment"]["shifts"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(shifts.len(), 1);
    assert_eq!(shifts[0]["shift_type"], "night");
}

#[test]
fn wellbeing_needs_five_consenting_people_and_own_risk_uses_recorded_sleep() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 6);
    upload(&force.admin, &force.team, "text/csv", ROSTER);
    let mut devices = Vec::new();
    for staff in &force.members[..5] {
        let d = enrol(&server, &force, staff);
        devices.push(d);
    }
    // Two closed ISO weeks (wellbeing periods are whole weeks, read two
    // days after they end): week A three weeks back, week B two.
    let today = chrono::Utc::now().date_naive();
    let monday_b = today
        - chrono::Duration::days(
            i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()) + 14,
        );
    let monday_a = monday_b - chrono::Duration::days(7);
    let (day_a, day_b) = (
        (monday_a + chrono::Duration::days(2)).to_string(),
        (monday_b + chrono::Duration::days(2)).to_string(),
    );
    let share = |d: &Device, days: &[&str]| {
        d.client
            .send("PUT", "/v1/me/consent", &json!({"level":"sleep"}));
        let r = d.client.post(
            "/v1/sync",
            &batch(
                d,
                "w-shared",
                2,
                days.iter().map(|day| summary(day, 360)).collect(),
            ),
        );
        assert_eq!(r.body["results"][0]["status"], "stored");
    };
    for d in &devices[..4] {
        share(d, &[&day_a, &day_b]);
    }
    // The fifth syncs without consent: its summary is refused and not counted.
    let r = devices[4].client.post(
        "/v1/sync",
        &batch(&devices[4], "w-early", 1, vec![summary(&day_b, 360)]),
    );
    assert_eq!(r.body["results"][0]["code"], "not_consented");
    // Then consents and shares week B only.
    share(&devices[4], &[&day_b]);
    let path = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
        format!("/v1/teams/{}/wellbeing?from={from}&to={to}", force.team)
    };
    let week_a = path(monday_a, monday_a + chrono::Duration::days(6));
    let week_b = path(monday_b, monday_b + chrono::Duration::days(6));
    // Not a whole week, or a force admin: refused.
    let bad = path(
        monday_b + chrono::Duration::days(1),
        monday_b + chrono::Duration::days(6),
    );
    assert_eq!(force.supervisor.get(&bad).code(), "invalid_period");
    assert_eq!(force.admin.get(&week_b).status, 403);
    // Week A: four people, withheld.
    let w = force.supervisor.get(&week_a);
    assert_eq!(w.status, 200, "{:?}", w.body);
    assert_eq!(w.body["suppressed"], true);
    assert_eq!(w.body["people"], Value::Null);
    assert_eq!(w.body["mean_sleep_hours"], Value::Null);
    // Week B: five people, 6 h each.
    let w = force.supervisor.get(&week_b);
    assert_eq!(w.body["suppressed"], false);
    assert_eq!(w.body["people"], 5);
    assert!((w.body["mean_sleep_hours"].as_f64().unwrap() - 6.0).abs() < 1e-9);
    // Both weeks: withheld, as week A is (every week needs five people).
    let both = force
        .supervisor
        .get(&path(monday_a, monday_b + chrono::Duration::days(6)));
    assert_eq!(both.body["suppressed"], true);

    // The officer's own view: recorded sleep where synced, predicted otherwise.
    let r = devices[0].client.post(
        "/v1/sync",
        &batch(&devices[0], "june", 3, vec![summary("2025-06-02", 360)]),
    );
    assert_eq!(r.body["results"][0]["status"], "stored");
    let me = devices[0]
        .client
        .get("/v1/me/risk?from=2025-06-01&to=2025-06-08");
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert_eq!(me.body["shifts"].as_array().unwrap().len(), 2);
    assert_ne!(
        me.body["shifts"][0]["sleep_basis"], "predicted",
        "{:?}",
        me.body["shifts"][0]
    );
    // ... while the supervisor still sees only roster-derived risk for the named officer.
    let team = force.supervisor.get(&format!(
        "/v1/teams/{}/risk?from=2025-06-01&to=2025-06-08",
        force.team
    ));
    assert_eq!(
        officer(&team.body, "kent-001")["assessment"]["shifts"][0]["sleep_basis"],
        "predicted"
    );
}

/// The fatigue index of each shift in an assessment's JSON.
fn fatigue_indices(assessment: &Value) -> Vec<f64> {
    assessment["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["fatigue_index"].as_f64().unwrap())
        .collect()
}

#[test]
fn own_risk_without_synced_nights_equals_the_team_view() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 6);
    upload(&force.admin, &force.team, "text/csv", ROSTER);
    let device = enrol(&server, &force, "kent-001");
    let period = "from=2025-06-01&to=2025-06-08";
    let team = force
        .supervisor
        .get(&format!("/v1/teams/{}/risk?{period}", force.team));
    assert_eq!(team.status, 200, "{:?}", team.body);
    let team_fi = fatigue_indices(&officer(&team.body, "kent-001")["assessment"]);
    assert_eq!(team_fi.len(), 2);

    // Enrolled, nothing synced: every night keeps its predicted sleep.
    let me = device.client.get(&format!("/v1/me/risk?{period}"));
    assert_eq!(me.status, 200, "{:?}", me.body);
    let me_fi = fatigue_indices(&me.body);
    assert_eq!(me_fi.len(), team_fi.len());
    for (m, t) in me_fi.iter().zip(&team_fi) {
        assert!((m - t).abs() < 1e-6, "own {m} team {t}");
    }
    for s in me.body["shifts"].as_array().unwrap() {
        assert_eq!(s["sleep_basis"], "predicted", "{s:?}");
    }

    // One synced night, slept exactly as predicted (23:00-07:00 BST before
    // the first shift): the nights before it, not synced, keep their
    // predicted sleep, so the figures stay the team view's.
    device
        .client
        .send("PUT", "/v1/me/consent", &json!({"level":"sleep"}));
    let night = json!({
        "kind": "daily_summary", "local_date": "2025-06-02",
        "main_sleep_start": "2025-06-01T22:00:00Z", "main_sleep_end": "2025-06-02T06:00:00Z",
        "sleep_minutes": 480, "sleep_debt_minutes": 0,
        "recovery_score": 70, "recovery_band": "green",
        "hrv_deviation_sd": 0.1, "resting_hr_deviation_bpm": -1.0
    });
    let r = device
        .client
        .post("/v1/sync", &batch(&device, "one-night", 1, vec![night]));
    assert_eq!(r.body["results"][0]["status"], "stored", "{:?}", r.body);
    let me = device.client.get(&format!("/v1/me/risk?{period}"));
    assert_eq!(me.status, 200, "{:?}", me.body);
    for (m, t) in fatigue_indices(&me.body).iter().zip(&team_fi) {
        assert!((m - t).abs() < 1e-6, "own {m} team {t}");
    }
    assert_ne!(me.body["shifts"][0]["sleep_basis"], "predicted");
}

#[test]
fn teams_carry_their_command_and_function() {
    let server = TestServer::start();
    let force = setup_force(&server, "placed", 5);
    let teams = force.admin.get("/v1/teams");
    assert_eq!(teams.status, 200, "{:?}", teams.body);
    assert_eq!(teams.body[0]["command"], "North");
    assert_eq!(teams.body[0]["policing_function"], "response");

    let plain = force
        .admin
        .post("/v1/force/teams", &json!({ "name": "Misc" }));
    assert_eq!(plain.status, 201, "{:?}", plain.body);
    assert_eq!(plain.body["command"], "Unassigned");
    assert_eq!(plain.body["policing_function"], "other");

    let unknown = force.admin.post(
        "/v1/force/teams",
        &json!({ "name": "Odd", "policing_function": "astronauts" }),
    );
    assert_eq!(unknown.status, 422, "{:?}", unknown.body);
    let blank = force.admin.post(
        "/v1/force/teams",
        &json!({ "name": "Blank", "command": " " }),
    );
    assert_eq!(blank.status, 422, "{:?}", blank.body);
    assert!(
        blank.body.to_string().contains("command"),
        "{:?}",
        blank.body
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(c: &mut diesel::PgConnection, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    diesel::sql_query(sql).get_result::<Count>(c).unwrap().n
}

#[test]
fn rest_days_worked_and_starts_brought_forward_are_recorded_and_reported() {
    use chrono::{Duration, Utc};
    use diesel::Connection;
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 5);
    let now = Utc::now();
    let at = |days: i64, hour: u32| {
        (now.date_naive() + Duration::days(days))
            .and_hms_opt(hour, 0, 0)
            .unwrap()
            .and_utc()
    };
    let csv = |rows: &[(chrono::DateTime<Utc>, i64, &str)]| {
        let mut out = String::from("staff_id,start,end,team,role,activity\n");
        for staff in &force.members {
            for (start, hours, activity) in rows {
                let end = *start + Duration::hours(*hours);
                out.push_str(&format!(
                    "{staff},{},{},A,response,{activity}\n",
                    start.to_rfc3339(),
                    end.to_rfc3339()
                ));
            }
        }
        out
    };
    // Published first: days on +8, +9, +10 and a 3-hour duty starting in 6
    // hours; rest days on +5 (under 15 days ahead) and +20.
    let first = csv(&[
        (at(8, 7), 10, ""),
        (at(9, 7), 10, ""),
        (at(10, 7), 10, ""),
        (now + Duration::hours(6), 3, ""),
        (at(5, 9), 8, "rest day"),
        (at(20, 9), 8, "rest"),
    ]);
    let r = upload(&force.admin, &force.team, "text/csv", &first);
    assert_eq!(r.status, 201, "{:?}", r.body);
    // Then: duties on both rest days; +10 and the imminent duty brought
    // forward two hours (the latter with 4 hours' notice); +9 made a rest day.
    let second = csv(&[
        (at(10, 5), 10, ""),
        (now + Duration::hours(4), 3, ""),
        (at(5, 7), 10, ""),
        (at(20, 7), 10, ""),
        (at(9, 9), 8, "rest day"),
    ]);
    let r = upload(&force.admin, &force.team, "text/csv", &second);
    assert_eq!(r.status, 201, "{:?}", r.body);

    let mut owner =
        diesel::PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap();
    let n = |c: &mut diesel::PgConnection, sql: &str| count(c, sql);
    assert_eq!(
        n(
            &mut owner,
            "SELECT count(*) AS n FROM roster_changes WHERE kind = 'rest_day_worked'"
        ),
        10,
        "two per person"
    );
    assert_eq!(
        n(
            &mut owner,
            "SELECT count(*) AS n FROM roster_changes WHERE kind = 'start_advanced'"
        ),
        10,
        "two per person"
    );
    // Moved duties replace the old ones; the new rest day cancels +9's duty.
    assert_eq!(n(&mut owner, "SELECT count(*) AS n FROM shifts"), 5 * 5);
    for gone in [now + Duration::hours(6), at(10, 7), at(9, 7)] {
        let sql = format!(
            "SELECT count(*) AS n FROM shifts WHERE start_at BETWEEN '{}' AND '{}'",
            (gone - Duration::seconds(1)).to_rfc3339(),
            (gone + Duration::seconds(1)).to_rfc3339()
        );
        assert_eq!(n(&mut owner, &sql), 0, "{gone}");
    }
    assert_eq!(
        n(&mut owner, "SELECT count(*) AS n FROM rest_days"),
        5,
        "+9 only"
    );

    // The officer's export holds their rest day and their four changes.
    let export = enrol(&server, &force, &force.members[0])
        .client
        .get("/v1/me/export");
    assert_eq!(export.status, 200);
    assert_eq!(export.body["rest_days"].as_array().unwrap().len(), 1);
    let kinds: Vec<&str> = export.body["roster_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "rest_day_worked").count(), 2);

    // The report for the four weeks from today.
    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000);
    let mut c = pool.get().unwrap();
    let id = server::accounts::store::Force::all_ids(&mut c).unwrap()[0];
    let today = now.date_naive();
    let period = analytics::input::Period::new(today, today + Duration::days(27)).unwrap();
    let report = server::reports::service::report_now(&mut c, id, period).unwrap();
    let cell = |table: &str, column: &str| {
        let t = report.table(table).unwrap();
        let i = t.column(column).unwrap();
        t.root().unwrap().cells[i]
            .value
            .map(|v| v.to_string())
            .unwrap_or_else(|| "withheld".into())
    };
    assert_eq!(cell("rest_days_worked", "2 or 3 (amber)"), "5");
    assert_eq!(cell("rest_days_worked", "none or 1"), "0");
    assert_eq!(
        cell(
            "short_notice_changes",
            "rest days worked with under 15 clear days' notice (reg. 26, Annex H)"
        ),
        "5",
        "the +5 ones; +20 had 20 days' notice"
    );
    assert_eq!(
        cell(
            "short_notice_changes",
            "starts brought forward with under 8 h notice (reg. 25, Annex G)"
        ),
        "5",
        "the imminent ones; +10's had days of notice"
    );
}

#[test]
fn a_bad_line_beside_rest_days_stores_neither_rest_days_nor_duties() {
    use chrono::{Duration, Utc};
    use diesel::Connection;
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 1);
    let day = (Utc::now().date_naive() + Duration::days(5)).to_string();
    let good = format!(
        "staff_id,start,end,team,role,activity\n\
         kent-001,{day}T07:00,{day}T17:00,A,response,\n"
    );
    assert_eq!(
        upload(&force.admin, &force.team, "text/csv", &good).status,
        201
    );
    // A rest day on the same date (which would cancel the duty), and a rest
    // day whose end is before its start.
    let bad = format!(
        "staff_id,start,end,team,role,activity\n\
         kent-001,{day}T09:00,{day}T17:00,A,response,rest day\n\
         kent-001,{day}T17:00,{day}T09:00,A,response,rest day\n"
    );
    let r = upload(&force.admin, &force.team, "text/csv", &bad);
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_roster");
    assert_eq!(r.body["errors"][0]["line"], 3, "{:?}", r.body);
    let mut owner =
        diesel::PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap();
    assert_eq!(count(&mut owner, "SELECT count(*) AS n FROM rest_days"), 0);
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM roster_changes"),
        0
    );
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM shifts"),
        1,
        "the duty is kept"
    );
}

/// A period is the force's local days: in Europe/London, Monday 19 October
/// 2026 begins at 23:00 UTC on the Sunday (BST), and a period ending on
/// Saturday 24 October ends at 23:00 UTC, before the clocks go back on the
/// 25th. Reading the dates as UTC midnights would drop the duty at 00:30
/// on the 19th and take in the one at 00:15 on the 25th.
#[test]
fn team_risk_periods_are_local_days_across_the_october_clock_change() {
    let server = TestServer::start();
    let force = setup_force(&server, "surrey", 1);
    let roster = "staff_id,start,end
surrey-001,2026-10-18T21:00,2026-10-18T23:30
surrey-001,2026-10-19T00:30,2026-10-19T08:30
surrey-001,2026-10-25T00:15,2026-10-25T08:15
surrey-001,2026-10-25T22:00,2026-10-26T06:00
";
    let r = upload(&force.supervisor, &force.team, "text/csv", roster);
    assert_eq!(r.status, 201, "{:?}", r.body);
    let starts = |to: &str| -> Vec<chrono::DateTime<chrono::Utc>> {
        let risk = force.supervisor.get(&format!(
            "/v1/teams/{}/risk?from=2026-10-19&to={to}",
            force.team
        ));
        assert_eq!(risk.status, 200, "{:?}", risk.body);
        officer(&risk.body, "surrey-001")["assessment"]["shifts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                chrono::DateTime::parse_from_rfc3339(s["start"].as_str().unwrap())
                    .unwrap()
                    .to_utc()
            })
            .collect()
    };
    let utc = |d: u32, h: u32, m: u32| {
        use chrono::TimeZone;
        chrono::Utc.with_ymd_and_hms(2026, 10, d, h, m, 0).unwrap()
    };
    // 00:30 BST on the 19th is 23:30 UTC on the 18th: in the period.
    assert_eq!(starts("2026-10-24"), vec![utc(18, 23, 30)]);
    // To Sunday the 25th (25 hours long): up to 00:00 GMT on Monday.
    assert_eq!(
        starts("2026-10-25"),
        vec![utc(18, 23, 30), utc(24, 23, 15), utc(25, 22, 0)]
    );
}

#[test]
fn absences_are_kept_as_days_with_their_category_only() {
    use chrono::{Duration, Utc};
    use diesel::Connection;
    let server = TestServer::start();
    let force = setup_force(&server, "suffolk", 5);
    let day = |d: i64| Utc::now().date_naive() + Duration::days(d);
    let row = |staff: &str, d: i64, activity: &str| {
        let start = day(d).and_hms_opt(8, 0, 0).unwrap().and_utc();
        format!(
            "{staff},{},{},A,response,{activity}\n",
            start.to_rfc3339(),
            (start + Duration::hours(8)).to_rfc3339()
        )
    };
    let staff = &force.members[0];
    // Days on +1 and +2 and a rest day on +4, then: leave on +1, sickness
    // on +2, maternity leave on +3, "Annual Leave" on the rest day +4.
    let mut first = String::from("staff_id,start,end,team,role,activity\n");
    for (d, a) in [(1, ""), (2, ""), (4, "rest")] {
        first.push_str(&row(staff, d, a));
    }
    let r = upload(&force.admin, &force.team, "text/csv", &first);
    assert_eq!(r.status, 201, "{:?}", r.body);
    let mut second = String::from("staff_id,start,end,team,role,activity\n");
    for (d, a) in [
        (1, "leave"),
        (2, "Sick"),
        (3, "maternity"),
        (4, "Annual Leave"),
    ] {
        second.push_str(&row(staff, d, a));
    }
    let r = upload(&force.admin, &force.team, "text/csv", &second);
    assert_eq!(r.status, 201, "{:?}", r.body);

    let mut owner =
        diesel::PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap();
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM shifts"),
        0,
        "the absences cancelled both duties"
    );
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM rest_days"),
        0,
        "leave replaced the rest day"
    );
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM roster_changes"),
        0,
        "leave on a rest day is not a rest day worked"
    );
    let export = enrol(&server, &force, staff).client.get("/v1/me/export");
    assert_eq!(export.status, 200);
    let absences: Vec<(String, String)> = export.body["absence_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["date"].as_str().unwrap().to_owned(),
                a["category"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        absences,
        [
            (day(1).to_string(), "leave".to_owned()),
            (day(2).to_string(), "sickness".to_owned()),
            (day(3).to_string(), "parental".to_owned()),
            (day(4).to_string(), "leave".to_owned()),
        ]
    );
    // A duty on +1 in a later file ends that absence.
    let third = format!(
        "staff_id,start,end,team,role,activity\n{}",
        row(staff, 1, "")
    );
    let r = upload(&force.admin, &force.team, "text/csv", &third);
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM absence_days"),
        3
    );
}
