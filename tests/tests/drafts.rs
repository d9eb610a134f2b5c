//! Draft rosters (issue 20): started from a file or a copy of the published
//! roster, changed and re-assessed, never seen by officers, published
//! through the upload's code path, over red flags only with a reason
//! (audited, counted in the FRM report), and nobody but the team's
//! supervisor and the FRM lead gets anything of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::Connection;
use e2e_tests::*;
use serde_json::{Value, json};

/// The week of Monday 1 June 2026 (Europe/London, BST).
const FROM: &str = "2026-06-01";
const TO: &str = "2026-06-07";

/// -001 works a late on Monday (14:00-22:00) and an early on Tuesday
/// (06:00-14:00): 8 h of rest, under the 11 h red level (WTR reg. 10).
/// -002 works a late on Tuesday. -003 has Wednesday as a rest day.
fn draft_csv(slug: &str) -> String {
    format!(
        "staff_id,start,end,team,role,activity
{slug}-001,2026-06-01T14:00,2026-06-01T22:00,A,response,
{slug}-001,2026-06-02T06:00,2026-06-02T14:00,A,response,
{slug}-002,2026-06-02T14:00,2026-06-02T22:00,A,response,
{slug}-003,2026-06-03T00:00,2026-06-04T00:00,A,response,rest day
"
    )
}

fn start_from_file(client: &Client, team: &str, csv: &str) -> Reply {
    client.post_raw(
        &format!("/v1/teams/{team}/drafts?from={FROM}&to={TO}"),
        &[("content-type", "text/csv")],
        csv.as_bytes(),
    )
}

fn officer<'a>(view: &'a Value, staff: &str) -> &'a Value {
    view["comparison"]["officers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["staff_number"] == staff)
        .unwrap_or_else(|| panic!("{staff} in {view}"))
}

fn red_flag_codes(side: &Value) -> Vec<String> {
    side["assessment"]["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["flags"].as_array().unwrap().iter())
        .filter(|f| f["severity"] == "red")
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

fn starts(assessment: &Value) -> Vec<String> {
    assessment["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap().to_owned())
        .collect()
}

fn count(c: &mut diesel::PgConnection, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(c).unwrap().n
}

#[test]
fn a_draft_is_checked_changed_and_published_and_officers_see_only_the_published_roster() {
    let server = TestServer::start();
    let force = setup_force(&server, "dra", 4);
    let phone = enrol(&server, &force, "dra-001");
    let base = format!("/v1/teams/{}/drafts", force.team);

    let r = start_from_file(&force.supervisor, &force.team, &draft_csv("dra"));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let draft = r.body["id"].as_str().unwrap().to_owned();
    let one = officer(&r.body, "dra-001");
    // Nothing is published yet: the published side has no shifts.
    assert_eq!(starts(&one["published"]["assessment"]).len(), 0);
    assert_eq!(starts(&one["draft"]["assessment"]).len(), 2);
    assert_eq!(one["draft"]["quick_returns_red"], 1, "8 h of rest");
    assert_eq!(one["draft"]["quick_return_level"], "red");
    assert!(red_flag_codes(&one["draft"]).contains(&"quick_return".to_owned()));
    assert_eq!(
        one["added"].as_array().unwrap().len(),
        2,
        "marked as changes"
    );
    let red_before = r.body["comparison"]["draft_red_flags"].as_u64().unwrap();
    assert!(red_before >= 1);
    // Every member, highest draft risk first (FI over its threshold; the
    // two members without duties, ratio null, last).
    let ratios: Vec<f64> = r.body["comparison"]["officers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["draft"]["highest_fi_ratio"].as_f64().unwrap_or(f64::MIN))
        .collect();
    assert_eq!(ratios.len(), 4);
    assert!(ratios.windows(2).all(|w| w[0] >= w[1]), "{ratios:?}");
    assert_eq!(ratios[3], f64::MIN, "-004 has no duty");

    // The officer never sees a draft; nothing was published or recorded.
    let mine = phone
        .client
        .get(&format!("/v1/me/risk?from={FROM}&to={TO}"));
    assert_eq!(mine.status, 200, "{:?}", mine.body);
    assert_eq!(
        starts(&mine.body).len(),
        0,
        "the draft's shifts are not shown"
    );
    let mut owner =
        diesel::PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap();
    assert_eq!(count(&mut owner, "SELECT count(*) AS n FROM shifts"), 0);
    assert_eq!(count(&mut owner, "SELECT count(*) AS n FROM rest_days"), 0);
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM roster_changes"),
        0
    );

    // Red flags: publishing without a reason is refused.
    let r = force
        .supervisor
        .post(&format!("{base}/{draft}/publish"), &json!({}));
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(r.code(), "reason_required");

    // Swap -001's Tuesday early with -002's Tuesday late: 16 h of rest.
    let swap = json!({
        "op": "swap",
        "staff_number": "dra-001", "start": "2026-06-02T05:00:00Z",
        "with_staff_number": "dra-002", "with_start": "2026-06-02T13:00:00Z",
    });
    let r = force
        .supervisor
        .post(&format!("{base}/{draft}/changes"), &swap);
    assert_eq!(r.status, 200, "{:?}", r.body);
    let one = officer(&r.body, "dra-001");
    assert_eq!(one["draft"]["quick_returns"], 0);
    assert!(!red_flag_codes(&one["draft"]).contains(&"quick_return".to_owned()));
    assert_eq!(r.body["comparison"]["draft_red_flags"], 0, "{}", r.body);
    assert_eq!(r.body["history"].as_array().unwrap().len(), 2);
    assert!(
        r.body["history"][1]["change"]
            .as_str()
            .unwrap()
            .starts_with("swapped dra-001's duty")
    );

    // Undo brings the red flag back; the swap again clears it.
    let r = force
        .supervisor
        .post(&format!("{base}/{draft}/undo"), &json!({}));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["comparison"]["draft_red_flags"], red_before);
    let r = force
        .supervisor
        .post(&format!("{base}/{draft}/undo"), &json!({}));
    assert_eq!(r.code(), "nothing_to_undo");
    let r = force
        .supervisor
        .post(&format!("{base}/{draft}/changes"), &swap);
    assert_eq!(r.body["comparison"]["draft_red_flags"], 0);
    // A change the draft cannot take is refused and not kept.
    let r = force.supervisor.post(
        &format!("{base}/{draft}/changes"),
        &json!({ "op": "remove", "staff_number": "dra-004", "start": "2026-06-02T05:00:00Z" }),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "invalid_shift");

    // No red flags: it publishes without a reason.
    let r = force
        .supervisor
        .post(&format!("{base}/{draft}/publish"), &json!({}));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["shifts_stored"], 3);
    let r = force
        .supervisor
        .post(&format!("{base}/{draft}/publish"), &json!({}));
    assert_eq!(r.status, 409, "published once");

    // The officer now sees the published shifts: two lates (BST, +01:00).
    let mine = phone
        .client
        .get(&format!("/v1/me/risk?from={FROM}&to={TO}"));
    assert_eq!(
        starts(&mine.body),
        vec!["2026-06-01T14:00:00+01:00", "2026-06-02T14:00:00+01:00"]
    );
    assert_eq!(count(&mut owner, "SELECT count(*) AS n FROM rest_days"), 1);
    assert_eq!(
        count(
            &mut owner,
            "SELECT count(*) AS n FROM roster_uploads WHERE format = 'draft'"
        ),
        1
    );

    // A copy of the published roster, then a duty on -003's rest day and an
    // early for -001 after Tuesday's late (8 h of rest: red).
    let r = force
        .supervisor
        .post(&base, &json!({ "from": FROM, "to": TO }));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let second = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["comparison"]["draft_red_flags"], 0);
    let one = officer(&r.body, "dra-001");
    assert_eq!(
        one["added"].as_array().unwrap().len(),
        0,
        "a copy changes nothing"
    );
    for change in [
        json!({ "op": "add", "staff_number": "dra-003", "start": "2026-06-03T08:00:00Z", "end": "2026-06-03T16:00:00Z" }),
        json!({ "op": "add", "staff_number": "dra-001", "start": "2026-06-03T05:00:00Z", "end": "2026-06-03T13:00:00Z" }),
    ] {
        let r = force
            .frm_lead
            .post(&format!("{base}/{second}/changes"), &change);
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    let r = force.supervisor.get(&format!("{base}/{second}"));
    assert!(r.body["comparison"]["draft_red_flags"].as_u64().unwrap() >= 1);
    // The draft's changes are still not recorded.
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM roster_changes"),
        0
    );
    let r = force.supervisor.post(
        &format!("{base}/{second}/publish"),
        &json!({ "reason": "  " }),
    );
    assert_eq!(r.code(), "reason_required", "a blank reason is no reason");
    let r = force.supervisor.post(
        &format!("{base}/{second}/publish"),
        &json!({ "reason": "Cover for a sickness absence; agreed with the officer" }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body["red_flags"].as_u64().unwrap() >= 1);
    // Recorded exactly as an upload records: -003 worked a rest day.
    assert_eq!(
        count(
            &mut owner,
            "SELECT count(*) AS n FROM roster_changes WHERE kind = 'rest_day_worked' AND staff_number = 'dra-003'"
        ),
        1
    );
    assert_eq!(count(&mut owner, "SELECT count(*) AS n FROM rest_days"), 0);
    let mine = phone
        .client
        .get(&format!("/v1/me/risk?from={FROM}&to={TO}"));
    assert_eq!(starts(&mine.body).len(), 3);

    // The reason is in the audit log.
    let audit = force.admin.get("/v1/force/audit");
    let targets: Vec<String> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "publish_roster_draft")
        .map(|e| e["target"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(
        targets
            .iter()
            .any(|t| t.ends_with("reason:Cover for a sickness absence; agreed with the officer")),
        "{targets:?}"
    );

    // Counted in the FRM report for the period they were published in.
    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000);
    let mut c = pool.get().unwrap();
    let id = server::accounts::store::Force::all_ids(&mut c).unwrap()[0];
    let today = chrono::Utc::now().date_naive();
    let report = server::reports::service::report_now(
        &mut c,
        id,
        analytics::input::Period::new(
            today - chrono::Duration::days(1),
            today + chrono::Duration::days(1),
        )
        .unwrap(),
    )
    .unwrap();
    let drafts = report
        .published_drafts
        .clone()
        .expect("the report counts drafts");
    assert_eq!(drafts.published.value, Some(2.into()));
    assert_eq!(drafts.over_red_flags.value, Some(1.into()));
    let csv = analytics::render::render_csv(&report).unwrap();
    assert!(csv.contains("published over red flags, with reasons"));
}

#[test]
fn drafts_belong_to_their_team() {
    let server = TestServer::start();
    let force = setup_force(&server, "drb", 3);
    let other = setup_force(&server, "drc", 3);
    let phone = enrol(&server, &force, "drb-001");
    // A second team in the same force, with its own supervisor.
    let team_b = force.admin.post(
        "/v1/force/teams",
        &json!({ "name": "Response B", "command": "North", "policing_function": "response" }),
    );
    let team_b = team_b.body["id"].as_str().unwrap().to_owned();
    let sup_b = force.admin.post(
        "/v1/force/accounts",
        &json!({ "username": "sarge-b", "password": PASSWORD, "role": "supervisor" }),
    );
    let r = force.admin.post(
        &format!("/v1/teams/{team_b}/supervisors"),
        &json!({ "account_id": sup_b.body["id"] }),
    );
    assert_eq!(r.status, 204);
    let sup_b = server.client().login(Some("drb"), "sarge-b", PASSWORD);
    let r = server.admin().post(
        "/v1/admin/analysts",
        &json!({ "username": "analyst", "password": PASSWORD }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let analyst = server.client().login(None, "analyst", PASSWORD);

    let r = start_from_file(&force.supervisor, &force.team, &draft_csv("drb"));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let draft = r.body["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/teams/{}/drafts/{draft}", force.team);

    // Every endpoint, for everyone who may not: status and code.
    let swap =
        json!({ "op": "remove", "staff_number": "drb-001", "start": "2026-06-01T13:00:00Z" });
    let outsiders: [(&str, &Client, u16); 5] = [
        ("another team's supervisor", &sup_b, 403),
        ("an officer", &phone.client, 403),
        ("NPWS", &analyst, 403),
        (
            "the force admin (uploads; drafts are the supervisor's)",
            &force.admin,
            403,
        ),
        ("another force's supervisor", &other.supervisor, 404),
    ];
    for (who, client, status) in outsiders {
        for r in [
            client.get(&path),
            client.get(&format!("/v1/teams/{}/drafts", force.team)),
            client.post(&format!("{path}/changes"), &swap),
            client.post(&format!("{path}/undo"), &json!({})),
            client.post(&format!("{path}/publish"), &json!({ "reason": "x" })),
            start_from_file(client, &force.team, &draft_csv("drb")),
        ] {
            assert_eq!(r.status, status, "{who}: {:?}", r.body);
            assert!(r.body.get("comparison").is_none(), "{who} got nothing");
        }
    }
    // The draft's id under another team's path: not found.
    let r = sup_b.get(&format!("/v1/teams/{team_b}/drafts/{draft}"));
    assert_eq!(r.status, 404, "{:?}", r.body);
    assert_eq!(
        sup_b
            .get(&format!("/v1/teams/{team_b}/drafts"))
            .body
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Nothing changed: the draft is as started, unpublished.
    let r = force.supervisor.get(&path);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["history"].as_array().unwrap().len(), 1);
    assert!(r.body["published_at"].is_null());
    // Every draft route is in the OpenAPI document.
    let doc = server.client().get("/v1/openapi.json").body;
    for p in [
        "/v1/teams/{team}/drafts",
        "/v1/teams/{team}/drafts/{draft}",
        "/v1/teams/{team}/drafts/{draft}/changes",
        "/v1/teams/{team}/drafts/{draft}/undo",
        "/v1/teams/{team}/drafts/{draft}/publish",
    ] {
        assert!(doc["paths"].get(p).is_some(), "missing {p}");
    }
    // The FRM lead works on any team's drafts of the force.
    assert_eq!(force.frm_lead.get(&path).status, 200);
    // A file entry outside the period is refused line by line.
    let outside = "staff_id,start,end\ndrb-001,2026-06-09T09:00,2026-06-09T17:00\n";
    let r = start_from_file(&force.supervisor, &force.team, outside);
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["line"], 2);
}

#[test]
fn a_draft_page_shows_both_sides_and_takes_changes_with_csrf() {
    let server = TestServer::start();
    let force = setup_force(&server, "drd", 3);
    let r = start_from_file(&force.supervisor, &force.team, &draft_csv("drd"));
    let draft = r.body["id"].as_str().unwrap().to_owned();
    let page = format!("/dashboard/teams/{}/drafts/{draft}", force.team);
    let dash = Dashboard::sign_in(&server, "drd", "sarge");
    let (status, html) = dash.get(&page);
    assert_eq!(status, 200);
    assert!(html.contains("quick_return"), "the red flag is shown");
    assert!(html.contains("Published"), "both sides");
    // Without the session's CSRF token a change is refused and not kept.
    let change = format!("{page}/changes");
    let form = [
        ("op", "swap"),
        ("shift", "drd-001|2026-06-02T05:00:00+00:00"),
        ("with_shift", "drd-002|2026-06-02T13:00:00+00:00"),
    ];
    let mut bad = form.to_vec();
    bad.push(("csrf", "wrong"));
    assert_eq!(dash.post(&change, &bad), 403);
    let csrf = dash.csrf(&page);
    let mut good = form.to_vec();
    good.push(("csrf", &csrf));
    assert_eq!(dash.post(&change, &good), 303);
    let r = force
        .supervisor
        .get(&format!("/v1/teams/{}/drafts/{draft}", force.team));
    assert_eq!(r.body["history"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["comparison"]["draft_red_flags"], 0);
}
