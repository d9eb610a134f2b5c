//! A force's own FRM settings: read by everyone of the force (the phone
//! included), changed only by its FRM lead or admin within the legal limits,
//! audited, and used alike by the team view and the report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Datelike, Duration, Utc};
use e2e_tests::*;
use serde_json::{Value, json};

/// Three nights in a row for every member, in the ISO week before last.
fn upload_three_nights(force: &Force) -> chrono::NaiveDate {
    let today = Utc::now().date_naive();
    let monday = today
        - Duration::days(i64::from(today.weekday().num_days_from_monday()))
        - Duration::weeks(2);
    let mut csv = String::from("staff_id,start,end\n");
    for staff in &force.members {
        for day in 0..3 {
            let start = (monday + Duration::days(day))
                .and_hms_opt(22, 0, 0)
                .unwrap()
                .and_utc();
            csv.push_str(&format!(
                "{staff},{},{}\n",
                start.to_rfc3339(),
                (start + Duration::hours(8)).to_rfc3339()
            ));
        }
    }
    let r = force.admin.post_raw(
        &format!("/v1/teams/{}/roster", force.team),
        &[("content-type", "text/csv")],
        csv.as_bytes(),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    monday
}

/// How many of the team's shifts carry a `consecutive_nights` flag.
fn night_flags(force: &Force, monday: chrono::NaiveDate) -> usize {
    let risk = force.supervisor.get(&format!(
        "/v1/teams/{}/risk?from={monday}&to={}",
        force.team,
        monday + Duration::days(6)
    ));
    assert_eq!(risk.status, 200, "{:?}", risk.body);
    risk.body["officers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["assessment"]["shifts"].as_array().unwrap().clone())
        .filter(|s| {
            s["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "consecutive_nights")
        })
        .count()
}

#[test]
fn a_forces_settings_are_its_own_checked_audited_and_used_by_team_view_and_report() {
    let server = TestServer::start();
    let force = setup_force(&server, "wilts", 5);
    let other = setup_force(&server, "dorset", 5);
    let officer = enrol(&server, &force, &force.members[0]).client;

    // Everyone of the force reads them; the defaults until set.
    for who in [&officer, &force.supervisor, &force.frm_lead, &force.admin] {
        let r = who.get("/v1/force/settings");
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["limits"]["nights_amber_over"], 3);
        assert_eq!(r.body["changed"], json!([]));
        assert_eq!(r.body["updated_at"], Value::Null);
    }

    // Only the FRM lead or the admin changes them.
    let stricter = json!({ "nights_amber_over": 2, "week_start": { "weekday": "Sun", "hour": 6 } });
    for who in [&officer, &force.supervisor] {
        assert_eq!(who.send("PUT", "/v1/force/settings", &stricter).status, 403);
    }
    // Never past a legal limit: every refusal named.
    let r = force.frm_lead.send(
        "PUT",
        "/v1/force/settings",
        &json!({ "quick_return_red_under_hours": 10, "average_week_amber_over_hours": 50 }),
    );
    assert_eq!(
        (r.status, r.code()),
        (422, "invalid_settings"),
        "{:?}",
        r.body
    );
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains("quick_return_red_under_hours"), "{detail}");
    assert!(detail.contains("average_week_amber_over_hours"), "{detail}");
    let r = force.frm_lead.send(
        "PUT",
        "/v1/force/settings",
        &json!({ "no_such_setting": 1 }),
    );
    assert_eq!(
        (r.status, r.code()),
        (422, "invalid_body"),
        "unknown fields are refused: {:?}",
        r.body
    );

    let monday = upload_three_nights(&force);
    assert_eq!(
        night_flags(&force, monday),
        0,
        "3 nights: not over the default 3"
    );

    let r = force.frm_lead.send("PUT", "/v1/force/settings", &stricter);
    assert_eq!(r.status, 200, "{:?}", r.body);
    let mut changed: Vec<&str> = r.body["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    changed.sort();
    assert_eq!(changed, ["nights_amber_over", "week_start"]);
    assert_eq!(
        officer.get("/v1/force/settings").body["limits"]["nights_amber_over"],
        2
    );
    assert_eq!(
        other.frm_lead.get("/v1/force/settings").body["limits"]["nights_amber_over"],
        3,
        "another force keeps its own"
    );
    let audit = force.admin.get("/v1/force/audit");
    assert!(
        audit
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "set_frm_settings"),
        "{:?}",
        audit.body
    );

    // The team view now flags each third night amber...
    assert_eq!(night_flags(&force, monday), 5);
    // ...and the report applies and shows the same settings.
    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000);
    let mut c = pool.get().unwrap();
    let ids = server::accounts::store::Force::all_ids(&mut c).unwrap();
    let mut found = false;
    for id in ids {
        let period = analytics::input::Period::new(monday, monday + Duration::days(6)).unwrap();
        let report = server::reports::service::report_now(&mut c, id, period).unwrap();
        if report.meta.force == "wilts" {
            found = true;
            assert_eq!(report.meta.limits.nights_amber_over, 2);
            let html = analytics::render::render_html(&report).unwrap();
            assert!(
                html.contains("nights_amber_over"),
                "the header names the setting"
            );
        } else {
            assert_eq!(report.meta.limits.nights_amber_over, 3);
        }
    }
    assert!(found);
}

#[test]
fn the_frm_lead_sets_them_on_the_reports_page_too() {
    let server = TestServer::start();
    let force = setup_force(&server, "gloucs", 5);
    let dash = Dashboard::sign_in(&server, "gloucs", "frm");
    let page = || dash.get("/dashboard/reports").1;
    let html = page();
    assert!(
        html.contains("name=\"nights_amber_over\""),
        "the form lists the settings"
    );
    let csrf = dash.csrf("/dashboard/reports");
    // Every field as the page shows it, with two changed.
    let settings = force.frm_lead.get("/v1/force/settings").body["limits"].clone();
    let mut fields: Vec<(String, String)> = settings
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| v.as_u64().map(|n| (k.clone(), n.to_string())))
        .collect();
    for (k, v) in fields.iter_mut() {
        if k == "nights_amber_over" {
            *v = "2".to_owned();
        }
    }
    let post = |fields: &[(String, String)], weekday: &str| {
        let mut form: Vec<(&str, &str)> = vec![
            ("csrf", csrf.as_str()),
            ("week_start_weekday", weekday),
            ("week_start_hour", "6"),
        ];
        form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        dash.post("/dashboard/reports/settings", &form)
    };
    assert_eq!(post(&fields, "Sun"), 303);
    let now = force.frm_lead.get("/v1/force/settings").body;
    assert_eq!(now["limits"]["nights_amber_over"], 2);
    assert_eq!(
        now["limits"]["week_start"],
        json!({ "weekday": "Sun", "hour": 6 })
    );
    assert!(page().contains("Changed from the published defaults: nights_amber_over, week_start"));
    // Past a legal limit: refused, nothing changed.
    for (k, v) in fields.iter_mut() {
        if k == "quick_return_red_under_hours" {
            *v = "9".to_owned();
        }
    }
    assert_eq!(post(&fields, "Sun"), 422);
    assert_eq!(
        force.frm_lead.get("/v1/force/settings").body["limits"]["quick_return_red_under_hours"],
        11
    );
}
