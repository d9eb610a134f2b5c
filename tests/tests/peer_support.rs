//! Peer support end to end: the directory, confidential call-back requests
//! and who may see them, escalation, the retention job and the report
//! figures (the last three through the server's own functions, with the
//! clock as a parameter, against the real database as the server's role).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use e2e_tests::*;
use serde_json::{Value, json};
use server::peer_support::retention::{LOCK_KEY, purge};
use server::peer_support::service::report_figures as report;
use server::peer_support::store::{Actor, Callback};
use uuid::Uuid;

const PHONE: &str = "07700 900123";

/// A force with peer support staffed: two supporters in the directory and a coordinator.
struct Staffed {
    force: Force,
    pat: Client,
    pat_id: String,
    sam: Client,
    sam_id: String,
    cora: Client,
    cora_id: String,
}

fn staff(server: &TestServer, force: &Force, username: &str, role: &str) -> (Client, String) {
    let r = force.admin.post(
        "/v1/force/accounts",
        &json!({ "username": username, "password": PASSWORD, "role": role }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    (
        server.client().login(Some(&force.slug), username, PASSWORD),
        id,
    )
}

fn list_supporter(force: &Force, id: &str, name: &str) {
    let r = force.admin.send(
        "PUT",
        &format!("/v1/support/supporters/{id}"),
        &json!({ "display_name": name, "contact_hours": "Weekdays 08:00-18:00", "channels": ["phone", "app"] }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
}

fn staffed(server: &TestServer, slug: &str) -> Staffed {
    let force = setup_force(server, slug, 3);
    let (pat, pat_id) = staff(server, &force, "pat", "peer_supporter");
    let (sam, sam_id) = staff(server, &force, "sam", "peer_supporter");
    let (cora, cora_id) = staff(server, &force, "cora", "peer_support_coordinator");
    list_supporter(&force, &pat_id, &format!("Pat of {slug}"));
    list_supporter(&force, &sam_id, &format!("Sam of {slug}"));
    Staffed {
        force,
        pat,
        pat_id,
        sam,
        sam_id,
        cora,
        cora_id,
    }
}

fn request(officer: &Client, supporter: Option<&str>, method: &str, detail: Option<&str>) -> Reply {
    let now = Utc::now();
    officer.post(
        "/v1/support/callbacks",
        &json!({
            "supporter_id": supporter, "contact_method": method, "contact_detail": detail,
            "window_start": now + Duration::hours(1), "window_end": now + Duration::hours(3)
        }),
    )
}

/// POST `/v1/support/callbacks/{id}/{action}` as `c`.
fn act(c: &Client, id: &str, action: &str, body: Value) -> Reply {
    c.post(&format!("/v1/support/callbacks/{id}/{action}"), &body)
}

fn ids(r: &Reply) -> Vec<String> {
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_directory_holds_the_forces_entries_and_always_the_national_crisis_lines() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 1);
    let officer = enrol(&server, &force, "kent-001").client;

    // Before the force has entered anything, the crisis lines are there.
    let dir = officer.get("/v1/support/directory");
    assert_eq!(dir.status, 200, "{:?}", dir.body);
    assert_eq!(dir.body["supporters"], json!([]));
    let services = dir.body["services"].as_array().unwrap();
    assert!(services.iter().all(|s| s["force_specific"] == false));
    assert!(
        services
            .iter()
            .any(|s| s["kind"] == "crisis_line"
                && s["contact"].as_str().unwrap().contains("116 123"))
    );

    let (_, pat) = staff(&server, &force, "pat", "peer_supporter");
    let (_, sup) = staff(&server, &force, "sarge2", "supervisor");
    list_supporter(&force, &pat, "Pat");
    // Only peer-support accounts can be listed, with at least one channel.
    let r = force.admin.send(
        "PUT",
        &format!("/v1/support/supporters/{sup}"),
        &json!({ "display_name": "S", "contact_hours": "any", "channels": ["phone"] }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_supporter"));
    let r = force.admin.send(
        "PUT",
        &format!("/v1/support/supporters/{pat}"),
        &json!({ "display_name": "Pat", "contact_hours": "any", "channels": [] }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_supporter"));
    let r = force.admin.send(
        "PUT",
        &format!("/v1/support/supporters/{}", Uuid::new_v4()),
        &json!({ "display_name": "Nobody", "contact_hours": "any", "channels": ["app"] }),
    );
    assert_eq!(r.status, 404);

    let trim = json!({ "kind": "trim", "name": "Kent TRiM", "contact": "01622 000000",
                       "hours": "Office hours", "when_to_use": "After a traumatic incident." });
    let r = force.admin.post("/v1/support/services", &trim);
    assert_eq!(r.status, 201, "{:?}", r.body);
    let service = r.body["id"].as_str().unwrap().to_owned();
    let r = force.admin.post(
        "/v1/support/services",
        &json!({ "kind": "trim", "name": "", "contact": "x", "hours": "x", "when_to_use": "x" }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_service"));
    let r = force.admin.send(
        "PUT",
        &format!("/v1/support/services/{service}"),
        &json!({ "kind": "occupational_health", "name": "Kent OH", "contact": "oh@kent.example",
                 "hours": "Weekdays", "when_to_use": "For health at work." }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);

    let dir = officer.get("/v1/support/directory").body;
    assert_eq!(dir["supporters"][0]["display_name"], "Pat");
    assert_eq!(dir["supporters"][0]["channels"], json!(["app", "phone"]));
    let services = dir["services"].as_array().unwrap();
    assert_eq!(services[0]["name"], "Kent OH");
    assert_eq!(services[0]["force_specific"], true);
    assert!(services[1..].iter().all(|s| s["force_specific"] == false));
    // Any member of the force may read it; a national account may not.
    assert_eq!(force.supervisor.get("/v1/support/directory").status, 200);
    assert_eq!(server.admin().get("/v1/support/directory").status, 403);

    // An inactive supporter is hidden from officers, not from the admin.
    let r = force.admin.send(
        "PUT",
        &format!("/v1/support/supporters/{pat}"),
        &json!({ "display_name": "Pat", "contact_hours": "any", "channels": ["app"], "active": false }),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        officer.get("/v1/support/directory").body["supporters"],
        json!([])
    );
    assert_eq!(
        force.admin.get("/v1/support/directory").body["supporters"][0]["active"],
        false
    );
    // Officers cannot edit the directory.
    assert_eq!(officer.post("/v1/support/services", &trim).status, 403);
    assert_eq!(
        force
            .admin
            .delete(&format!("/v1/support/services/{service}"))
            .status,
        204
    );
    assert_eq!(
        force
            .admin
            .delete(&format!("/v1/support/services/{service}"))
            .status,
        404
    );
    assert_eq!(
        force
            .admin
            .delete(&format!("/v1/support/supporters/{pat}"))
            .status,
        204
    );
    assert_eq!(
        force
            .admin
            .delete(&format!("/v1/support/supporters/{pat}"))
            .status,
        404
    );
}

#[test]
fn a_request_reaches_only_its_supporter_and_moves_through_its_states() {
    let server = TestServer::start();
    let s = staffed(&server, "kent");
    let officer = enrol(&server, &s.force, "kent-001").client;
    let other_officer = enrol(&server, &s.force, "kent-002").client;

    let r = request(&officer, Some(&s.pat_id), "phone", Some(PHONE));
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["status"], "open");
    let id = r.body["id"].as_str().unwrap().to_owned();

    let seen = s.pat.get("/v1/support/callbacks/assigned");
    assert_eq!(ids(&seen), vec![id.clone()]);
    assert_eq!(seen.body[0]["contact_detail"], PHONE);
    assert_eq!(seen.body[0]["contact_method"], "phone");
    assert!(!seen.body.to_string().contains("kent-001"));
    assert!(ids(&s.sam.get("/v1/support/callbacks/assigned")).is_empty());
    assert!(
        ids(&s.cora.get("/v1/support/callbacks/unassigned")).is_empty(),
        "not escalated yet"
    );
    // Another supporter, the coordinator and another officer cannot act on it.
    assert_eq!(act(&s.sam, &id, "acknowledge", json!({})).status, 404);
    assert_eq!(act(&s.cora, &id, "contacted", json!({})).status, 404);
    assert_eq!(act(&other_officer, &id, "cancel", json!({})).status, 404);
    assert!(ids(&other_officer.get("/v1/support/callbacks/mine")).is_empty());
    // Only officers cancel; supporters cannot.
    assert_eq!(act(&s.pat, &id, "cancel", json!({})).status, 403);

    let r = act(&s.pat, &id, "acknowledge", json!({}));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["status"], "acknowledged");
    assert!(r.body["acknowledged_at"].is_string());
    assert_eq!(act(&s.pat, &id, "acknowledge", json!({})).status, 409);

    // Hand-over: to a supporter in the directory other than oneself.
    let r = act(&s.pat, &id, "handover", json!({ "supporter_id": s.pat_id }));
    assert_eq!((r.status, r.code()), (422, "unknown_supporter"));
    let r = act(
        &s.pat,
        &id,
        "handover",
        json!({ "supporter_id": s.cora_id }),
    );
    assert_eq!(
        (r.status, r.code()),
        (422, "unknown_supporter"),
        "cora is not in the directory"
    );
    let r = act(&s.pat, &id, "handover", json!({ "supporter_id": s.sam_id }));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(ids(&s.pat.get("/v1/support/callbacks/assigned")).is_empty());
    let seen = s.sam.get("/v1/support/callbacks/assigned");
    assert_eq!(ids(&seen), vec![id.clone()]);
    assert_eq!(seen.body[0]["status"], "open");

    let r = act(&s.sam, &id, "contacted", json!({}));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["status"], "contacted");
    assert!(ids(&s.sam.get("/v1/support/callbacks/assigned")).is_empty());
    let mine = officer.get("/v1/support/callbacks/mine");
    assert_eq!(ids(&mine), vec![id.clone()]);
    assert_eq!(mine.body[0]["status"], "contacted");
    assert_eq!(act(&officer, &id, "cancel", json!({})).status, 409);

    // "Next available": the coordinator's queue, no supporter's.
    let r = request(&officer, None, "app", None);
    assert_eq!(r.status, 201, "{:?}", r.body);
    let next = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&s.cora.get("/v1/support/callbacks/unassigned")),
        vec![next.clone()]
    );
    assert!(ids(&s.pat.get("/v1/support/callbacks/assigned")).is_empty());
    assert_eq!(act(&s.pat, &next, "acknowledge", json!({})).status, 404);
    let r = act(&s.cora, &next, "handover", json!({}));
    assert_eq!(
        (r.status, r.code()),
        (422, "unknown_supporter"),
        "the coordinator names a supporter"
    );
    let r = act(
        &s.cora,
        &next,
        "handover",
        json!({ "supporter_id": s.pat_id }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        ids(&s.pat.get("/v1/support/callbacks/assigned")),
        vec![next.clone()]
    );
    assert!(ids(&s.cora.get("/v1/support/callbacks/unassigned")).is_empty());
    // A supporter may hand it back to the queue.
    let r = act(&s.pat, &next, "handover", json!({}));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        ids(&s.cora.get("/v1/support/callbacks/unassigned")),
        vec![next.clone()]
    );

    // The officer cancels: the contact detail is erased at once.
    let r = request(&officer, Some(&s.sam_id), "email", Some("me@example.org"));
    let third = r.body["id"].as_str().unwrap().to_owned();
    let r = act(&officer, &third, "cancel", json!({}));
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        (r.body["status"].clone(), r.body["contact_detail"].clone()),
        (json!("cancelled"), Value::Null)
    );
    assert!(ids(&s.sam.get("/v1/support/callbacks/assigned")).is_empty());

    // Bad requests are refused with typed codes, and no more than three stay open.
    assert_eq!(
        request(&officer, Some(&Uuid::new_v4().to_string()), "app", None).code(),
        "unknown_supporter"
    );
    assert_eq!(
        request(&officer, None, "phone", Some("call me")).code(),
        "invalid_contact"
    );
    assert_eq!(
        request(&officer, None, "text", None).code(),
        "invalid_contact"
    );
    let now = Utc::now();
    let backwards = officer.post(
        "/v1/support/callbacks",
        &json!({ "contact_method": "app", "window_start": now + Duration::hours(3), "window_end": now + Duration::hours(1) }),
    );
    assert_eq!(
        (backwards.status, backwards.code()),
        (422, "invalid_window")
    );
    assert_eq!(request(&officer, None, "app", None).status, 201);
    assert_eq!(request(&officer, None, "app", None).status, 201);
    let r = request(&officer, None, "app", None);
    assert_eq!((r.status, r.code()), (409, "conflict"));

    // Every read is in the audit log, and the contact detail never is.
    let audit = s.force.admin.get("/v1/force/audit");
    assert_eq!(audit.status, 200);
    let text = audit.body.to_string();
    assert!(!text.contains(PHONE) && !text.contains("me@example.org"));
    let reads = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "read_callback" && e["target"] == format!("callback:{id}"));
    let readers: std::collections::BTreeSet<String> = reads
        .map(|e| e["actor_role"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        readers,
        ["peer_supporter"].map(str::to_owned).into_iter().collect()
    );
}

/// Every peer-support endpoint, aimed at force A's request and entries.
fn endpoints(id: &str, supporter: &str, service: &str) -> Vec<(&'static str, String, Value)> {
    let now = Utc::now();
    let svc =
        json!({ "kind": "trim", "name": "Mole", "contact": "x", "hours": "x", "when_to_use": "x" });
    vec![
        ("GET", "/v1/support/directory".into(), Value::Null),
        (
            "PUT",
            format!("/v1/support/supporters/{supporter}"),
            json!({ "display_name": "Mole", "contact_hours": "x", "channels": ["app"] }),
        ),
        (
            "DELETE",
            format!("/v1/support/supporters/{supporter}"),
            Value::Null,
        ),
        ("POST", "/v1/support/services".into(), svc.clone()),
        ("PUT", format!("/v1/support/services/{service}"), svc),
        (
            "DELETE",
            format!("/v1/support/services/{service}"),
            Value::Null,
        ),
        (
            "POST",
            "/v1/support/callbacks".into(),
            json!({ "supporter_id": supporter, "contact_method": "app",
            "window_start": now + Duration::hours(1), "window_end": now + Duration::hours(2) }),
        ),
        ("GET", "/v1/support/callbacks/mine".into(), Value::Null),
        ("GET", "/v1/support/callbacks/assigned".into(), Value::Null),
        (
            "GET",
            "/v1/support/callbacks/unassigned".into(),
            Value::Null,
        ),
        (
            "POST",
            format!("/v1/support/callbacks/{id}/acknowledge"),
            json!({}),
        ),
        (
            "POST",
            format!("/v1/support/callbacks/{id}/contacted"),
            json!({}),
        ),
        (
            "POST",
            format!("/v1/support/callbacks/{id}/handover"),
            json!({ "supporter_id": supporter }),
        ),
        (
            "POST",
            format!("/v1/support/callbacks/{id}/cancel"),
            json!({}),
        ),
        (
            "GET",
            "/v1/support/report?from=2026-01-01&to=2026-12-31".into(),
            Value::Null,
        ),
    ]
}

#[test]
fn supervisors_other_supporters_other_forces_and_npws_get_nothing() {
    let server = TestServer::start();
    let a = staffed(&server, "kent");
    let b = staffed(&server, "essex");
    let officer = enrol(&server, &a.force, "kent-001").client;
    let b_officer = enrol(&server, &b.force, "essex-001").client;
    let r = request(&officer, Some(&a.pat_id), "phone", Some(PHONE));
    let id = r.body["id"].as_str().unwrap().to_owned();
    // A second request to the queue, so the coordinators' lists have something to leak.
    assert_eq!(
        request(&officer, None, "text", Some("07700 900999")).status,
        201
    );
    let r = a.force.admin.post(
        "/v1/support/services",
        &json!({ "kind": "trim", "name": "Kent TRiM",
        "contact": "01622 000000", "hours": "x", "when_to_use": "x" }),
    );
    let service = r.body["id"].as_str().unwrap().to_owned();
    let platform = server.admin();
    platform.post(
        "/v1/admin/analysts",
        &json!({ "username": "analyst", "password": PASSWORD }),
    );
    let npws = server.client().login(None, "analyst", PASSWORD);

    let secrets = [
        id.as_str(),
        PHONE,
        "07700 900999",
        "Pat of kent",
        "Kent TRiM",
        a.pat_id.as_str(),
        service.as_str(),
    ];
    let callers: Vec<(&str, &Client)> = vec![
        ("A supervisor", &a.force.supervisor),
        ("A FRM lead", &a.force.frm_lead),
        ("A other supporter", &a.sam),
        ("B force admin", &b.force.admin),
        ("B supporter", &b.pat),
        ("B coordinator", &b.cora),
        ("B officer", &b_officer),
        ("NPWS analyst", &npws),
        ("platform admin", &platform),
    ];
    for (who, client) in &callers {
        for (method, path, body) in endpoints(&id, &a.pat_id, &service) {
            let r = match method {
                "GET" => client.get(&path),
                "DELETE" => client.delete(&path),
                _ => client.send(method, &path, &body),
            };
            if (200..300).contains(&r.status) {
                let text = r.body.to_string();
                // Force A's own staff may read A's directory; never a request.
                let own_directory = who.starts_with("A ") && path == "/v1/support/directory";
                for s in if own_directory {
                    &secrets[..3]
                } else {
                    &secrets[..]
                } {
                    assert!(
                        !text.contains(s),
                        "{who} {method} {path} leaked {s}: {text}"
                    );
                }
            } else {
                assert!(
                    [403, 404, 422].contains(&r.status),
                    "{who} {method} {path}: {} {:?}",
                    r.status,
                    r.body
                );
                assert_eq!(r.content_type, "application/problem+json");
            }
        }
    }
    // The loop cannot pass by everything failing: the request is intact and
    // its supporter still sees it with the contact detail.
    let seen = a.pat.get("/v1/support/callbacks/assigned");
    assert_eq!(ids(&seen), vec![id.clone()]);
    assert_eq!(seen.body[0]["contact_detail"], PHONE);
    assert_eq!(seen.body[0]["status"], "open");
    assert_eq!(
        a.cora
            .get("/v1/support/callbacks/unassigned")
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Specific refusals.
    for c in [
        &a.force.supervisor,
        &a.force.frm_lead,
        &npws,
        &a.force.admin,
    ] {
        assert_eq!(c.get("/v1/support/callbacks/assigned").status, 403);
        assert_eq!(c.get("/v1/support/callbacks/unassigned").status, 403);
    }
    assert_eq!(a.sam.get("/v1/support/callbacks/unassigned").status, 403);
    assert_eq!(
        a.force
            .supervisor
            .get("/v1/support/report?from=2026-01-01&to=2026-01-31")
            .status,
        403
    );
    assert_eq!(npws.get("/v1/support/directory").status, 403);
    assert_eq!(
        b.force
            .admin
            .delete(&format!("/v1/support/services/{service}"))
            .status,
        404
    );
    assert_eq!(act(&b.pat, &id, "acknowledge", json!({})).status, 404);
    // B's directory has B's supporters only.
    let mut names: Vec<String> = b_officer.get("/v1/support/directory").body["supporters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    let mut expected = vec![b.pat_id.clone(), b.sam_id.clone()];
    expected.sort();
    assert_eq!(names, expected);
    assert!(!names.contains(&a.pat_id));
    // A report request by force A's admin works (and hides small numbers).
    let rep = a
        .force
        .admin
        .get("/v1/support/report?from=2019-12-30&to=2020-12-27");
    assert_eq!(rep.status, 200, "{:?}", rep.body);
    // Only whole ISO weeks: a period a day shorter would difference one day out.
    let day_short = a
        .force
        .admin
        .get("/v1/support/report?from=2019-12-30&to=2020-12-26");
    assert_eq!(day_short.code(), "invalid_period");
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(c: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(c).unwrap().n
}

fn force_id(c: &mut PgConnection, slug: &str) -> Uuid {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    diesel::sql_query(format!("SELECT id FROM forces WHERE slug = '{slug}'"))
        .get_result::<Id>(c)
        .unwrap()
        .id
}

fn set_force(c: &mut PgConnection, force: Uuid) {
    diesel::sql_query(format!(
        "SELECT set_config('app.force_id', '{force}', false)"
    ))
    .execute(c)
    .unwrap();
}

#[test]
fn row_level_security_covers_the_peer_support_tables() {
    let server = TestServer::start();
    let a = staffed(&server, "kent");
    let _essex = staffed(&server, "essex");
    let officer = enrol(&server, &a.force, "kent-001").client;
    assert_eq!(
        request(&officer, Some(&a.pat_id), "phone", Some(PHONE)).status,
        201
    );
    let mut c = PgConnection::establish(&cluster().cluster.app_url(&server.database)).unwrap();
    let tables = [
        "peer_supporters",
        "peer_callbacks",
        "support_services",
        "peer_callback_outcomes",
    ];
    for t in tables {
        assert_eq!(
            count(&mut c, &format!("SELECT count(*) AS n FROM {t}")),
            0,
            "{t} without a force"
        );
    }
    let (kent, essex) = (force_id(&mut c, "kent"), force_id(&mut c, "essex"));
    set_force(&mut c, essex);
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM peer_callbacks"), 0);
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM peer_supporters"),
        2,
        "essex's own two"
    );
    let err = diesel::sql_query(format!(
        "UPDATE peer_callbacks SET status = 'cancelled' WHERE force_id = '{kent}'"
    ))
    .execute(&mut c)
    .unwrap();
    assert_eq!(err, 0, "another force's rows cannot even be found");
    let err = diesel::sql_query(format!(
        "INSERT INTO support_services (force_id, id, kind, name, contact, hours, when_to_use) \
         VALUES ('{kent}', gen_random_uuid(), 'trim', 'x', 'x', 'x', 'x')"
    ))
    .execute(&mut c)
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    set_force(&mut c, kent);
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM peer_callbacks"), 1);
    // Withdrawal erases the officer's requests with everything else.
    let r = officer.delete("/v1/me");
    assert!((200..300).contains(&r.status), "{r:?}");
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM peer_callbacks"), 0);
    // The withdrawn officer's access token lives on for minutes: a request
    // made with it is for no one, 404, not a 500 (found by the API fuzzer).
    let after = request(&officer, None, "app", None);
    assert_eq!(after.status, 404, "{after:?}");
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM peer_callbacks"), 0);
}

#[test]
fn escalation_retention_and_report_figures_follow_the_clock_given() {
    let server = TestServer::start();
    let s = staffed(&server, "kent");
    let officer = enrol(&server, &s.force, "kent-001").client;
    let id: Uuid = request(&officer, Some(&s.pat_id), "phone", Some(PHONE)).body["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let db = &server.database;
    let mut app = PgConnection::establish(&cluster().cluster.app_url(db)).unwrap();
    let kent = force_id(&mut app, "kent");
    set_force(&mut app, kent);
    let cora = Actor::Coordinator(s.cora_id.parse().unwrap());
    let four_hours = Duration::hours(4);

    // Escalation: unacknowledged for four hours, the coordinator sees it too.
    let now = Utc::now();
    let early = Callback::visible_to(
        &mut app,
        kent,
        cora,
        None,
        now + Duration::hours(3) - four_hours,
        false,
    )
    .unwrap();
    assert!(early.is_empty());
    let late = Callback::visible_to(
        &mut app,
        kent,
        cora,
        None,
        now + Duration::hours(5) - four_hours,
        false,
    )
    .unwrap();
    assert_eq!(
        late.iter().map(|c| (c.id, c.escalated)).collect::<Vec<_>>(),
        vec![(id, true)]
    );
    // Acknowledged requests do not escalate.
    assert_eq!(
        act(&s.pat, &id.to_string(), "acknowledge", json!({})).status,
        200
    );
    assert!(
        Callback::visible_to(
            &mut app,
            kent,
            cora,
            None,
            now + Duration::hours(5) - four_hours,
            false
        )
        .unwrap()
        .is_empty()
    );

    // Report figures: six requests on 2 June 2025 answered after 10..60
    // minutes (median 35) and five left unanswered (so no published count
    // gives away a complement under five), four on 1 July (withheld). The July ones are made
    // at 00:30 BST, still 30 June in UTC: days are the force's local days,
    // as the FRM report's periods are, before and after retention.
    let mut owner = PgConnection::establish(&cluster().cluster.owner_url(db)).unwrap();
    let june = Utc.with_ymd_and_hms(2025, 6, 2, 9, 0, 0).unwrap();
    let july = Utc.with_ymd_and_hms(2025, 6, 30, 23, 30, 0).unwrap();
    let rows: Vec<(chrono::DateTime<Utc>, Option<i64>)> = (1..=6)
        .map(|k| (june, Some(k * 10)))
        .chain((0..4).map(|_| (july, Some(5))))
        .chain((0..5).map(|_| (june, None)))
        .collect();
    for (created, minutes) in &rows {
        let ack = minutes
            .map(|m| format!("'{}'", (*created + Duration::minutes(m)).to_rfc3339()))
            .unwrap_or("NULL".into());
        diesel::sql_query(format!(
            "INSERT INTO peer_callbacks (force_id, id, person_id, contact_method, window_start, window_end, \
             status, created_at, assigned_at, acknowledged_at) \
             SELECT '{kent}', gen_random_uuid(), id, 'app', '{start}', '{end}', '{status}', '{start}', '{start}', {ack} \
             FROM persons LIMIT 1",
            start = created.to_rfc3339(),
            end = (*created + Duration::hours(2)).to_rfc3339(),
            status = if minutes.is_some() { "contacted" } else { "open" },
        ))
        .execute(&mut owner)
        .unwrap();
    }
    let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
    let june_report = report(&mut app, kent, d(6, 1), d(6, 30)).unwrap();
    assert_eq!(june_report.requests, Some(11));
    assert_eq!(june_report.acknowledged, Some(6));
    assert_eq!(june_report.contacted, Some(6));
    assert_eq!(june_report.median_response_minutes, Some(35.0));
    assert!(!june_report.suppressed);
    let july_report = report(&mut app, kent, d(7, 1), d(7, 31)).unwrap();
    assert_eq!(
        (july_report.requests, july_report.median_response_minutes),
        (None, None)
    );
    assert!(july_report.suppressed);

    // Retention: nothing is due at 29 days, the 2025 rows are long due, and
    // today's request goes 30 days after it was made.
    let total = |c: &mut PgConnection| count(c, "SELECT count(*) AS n FROM peer_callbacks");
    assert_eq!(total(&mut app), 16);
    let thirty = Duration::days(30);
    assert_eq!(
        purge(&mut app, now - Duration::days(600), thirty).unwrap(),
        Some(0)
    );
    assert_eq!(purge(&mut app, now, thirty).unwrap(), Some(15));
    assert_eq!(total(&mut app), 1);
    assert_eq!(
        purge(&mut app, now + Duration::days(29), thirty).unwrap(),
        Some(0)
    );
    // The figures survive as outcome rows without any contact details.
    assert_eq!(
        report(&mut app, kent, d(6, 1), d(6, 30)).unwrap(),
        june_report
    );
    assert_eq!(
        count(&mut app, "SELECT count(*) AS n FROM peer_callback_outcomes"),
        15
    );
    assert_eq!(
        purge(&mut app, now + Duration::days(31), thirty).unwrap(),
        Some(1)
    );
    assert_eq!(total(&mut app), 0);
    assert!(ids(&s.pat.get("/v1/support/callbacks/assigned")).is_empty());
    assert!(ids(&officer.get("/v1/support/callbacks/mine")).is_empty());

    // Only one instance runs a round: while another holds the lock, purge does nothing.
    let mut other = PgConnection::establish(&cluster().cluster.app_url(db)).unwrap();
    diesel::sql_query(format!("SELECT pg_advisory_lock({LOCK_KEY})"))
        .execute(&mut other)
        .unwrap();
    assert_eq!(
        purge(&mut app, now + Duration::days(400), thirty).unwrap(),
        None
    );
    diesel::sql_query(format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
        .execute(&mut other)
        .unwrap();
    assert_eq!(
        purge(&mut app, now + Duration::days(400), thirty).unwrap(),
        Some(0)
    );
}

#[test]
fn the_coordinator_sees_a_stale_request_through_the_api_when_escalation_is_immediate() {
    let server = TestServer::start_with(&[("FATIGUE_SUPPORT_ESCALATE_MINUTES", "0")]);
    let s = staffed(&server, "kent");
    let officer = enrol(&server, &s.force, "kent-001").client;
    let id = request(&officer, Some(&s.pat_id), "phone", Some(PHONE)).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let queue = s.cora.get("/v1/support/callbacks/unassigned");
    assert_eq!(ids(&queue), vec![id.clone()]);
    assert_eq!(queue.body[0]["escalated"], true);
    assert_eq!(queue.body[0]["supporter_id"], json!(s.pat_id));
    // The coordinator can reassign it; once acknowledged it leaves the queue.
    let r = act(
        &s.cora,
        &id,
        "handover",
        json!({ "supporter_id": s.sam_id }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(act(&s.sam, &id, "acknowledge", json!({})).status, 200);
    assert!(ids(&s.cora.get("/v1/support/callbacks/unassigned")).is_empty());
}

#[test]
fn the_officers_export_holds_their_call_back_requests_and_only_theirs() {
    let server = TestServer::start();
    let s = staffed(&server, "kent");
    let officer = enrol(&server, &s.force, "kent-001").client;
    let other = enrol(&server, &s.force, "kent-002").client;
    let mine = request(&officer, Some(&s.pat_id), "phone", Some(PHONE));
    assert_eq!(mine.status, 201, "{:?}", mine.body);
    assert_eq!(request(&other, None, "app", None).status, 201);
    let export = officer.get("/v1/me/export");
    assert_eq!(export.status, 200);
    let callbacks = export.body["callbacks"].as_array().unwrap();
    assert_eq!(callbacks.len(), 1, "{callbacks:?}");
    assert_eq!(callbacks[0]["id"], mine.body["id"]);
    assert_eq!(callbacks[0]["contact_detail"], PHONE);
    assert_eq!(callbacks[0]["status"], "open");
}
