//! Report delivery by email against a real SMTP server (aiosmtpd, started
//! here): a scheduled run emails each FRM lead who gave an address, once,
//! with a link and no figures; a relay that refuses the connection leaves
//! the report stored and the failure on the dashboard; a run that fails
//! sends nothing. Addresses are validated and their changes audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use e2e_tests::*;
use serde_json::json;
use server::mail::{MailSettings, Mailer};
use server::reports::scheduler::run_due;
use server::reports::service::{ReportSchedule, Visit};
use server::reports::store::RunSummary;
use uuid::Uuid;

fn mailer_at(port: u16) -> Mailer {
    MailSettings {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        dashboard_url: "https://frm.example.police.uk/dashboard".to_owned(),
        ..MailSettings::default()
    }
    .mailer()
    .unwrap()
    .unwrap()
}

/// The header `name` of a raw message.
fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

fn pool(server: &TestServer) -> server::db::DbPool {
    server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000)
}

fn force_id(pool: &server::db::DbPool) -> Uuid {
    let mut c = pool.get().unwrap();
    server::accounts::store::Force::all_ids(&mut c).unwrap()[0]
}

/// The force's first scheduled slot after it was created.
fn first_slot(pool: &server::db::DbPool, force: Uuid) -> chrono::DateTime<Utc> {
    let mut c = pool.get().unwrap();
    let created = in_force(&mut c, force, |c| RunSummary::last_slot(c, force)).unwrap();
    ReportSchedule::default()
        .validate()
        .unwrap()
        .next_after(created)
        .unwrap()
}

/// A second FRM lead and a supervisor with addresses, and the first FRM
/// lead's own address; returns the FRM leads' addresses.
fn give_addresses(server: &TestServer, force: &Force) -> [&'static str; 2] {
    let r = force.frm_lead.send(
        "PUT",
        "/v1/me/email",
        &json!({ "email": "frm.one@example.police.uk" }),
    );
    assert_eq!(r.status, 204, "{:?}", r.body);
    let second = force.admin.post(
        "/v1/force/accounts",
        &json!({ "username": "frm2", "password": PASSWORD, "role": "frm_lead" }),
    );
    assert_eq!(second.status, 201);
    let id = second.body["id"].as_str().unwrap();
    let r = force.admin.send(
        "PUT",
        &format!("/v1/force/accounts/{id}/email"),
        &json!({ "email": "frm.two@example.police.uk" }),
    );
    assert_eq!(r.status, 204, "{:?}", r.body);
    // A supervisor's address gets no report notice.
    let r = force.supervisor.send(
        "PUT",
        "/v1/me/email",
        &json!({ "email": "sarge@example.police.uk" }),
    );
    assert_eq!(r.status, 204, "{:?}", r.body);
    let _ = server;
    ["frm.one@example.police.uk", "frm.two@example.police.uk"]
}

#[test]
fn addresses_are_validated_scoped_and_audited() {
    let server = TestServer::start();
    let force = setup_force(&server, "dyfed", 5);
    for bad in ["not an address", "a@", "@b.uk", "x@y@z"] {
        let r = force
            .frm_lead
            .send("PUT", "/v1/me/email", &json!({ "email": bad }));
        assert_eq!(
            (r.status, r.code()),
            (422, "invalid_email"),
            "{bad}: {:?}",
            r.body
        );
    }
    // A supervisor may not set another account's address; an admin may
    // (give_addresses), but only of an account of the force.
    let lead = force.admin.post(
        "/v1/force/accounts",
        &json!({ "username": "frm3", "password": PASSWORD, "role": "frm_lead" }),
    );
    assert_eq!(lead.status, 201);
    let r = force.supervisor.send(
        "PUT",
        &format!(
            "/v1/force/accounts/{}/email",
            lead.body["id"].as_str().unwrap()
        ),
        &json!({ "email": "someone@example.police.uk" }),
    );
    assert_eq!(r.status, 403, "{:?}", r.body);
    let r = force.admin.send(
        "PUT",
        &format!("/v1/force/accounts/{}/email", Uuid::new_v4()),
        &json!({ "email": "someone@example.police.uk" }),
    );
    assert_eq!(r.status, 404, "{:?}", r.body);
    give_addresses(&server, &force);
    // Cleared with null.
    let r = force
        .supervisor
        .send("PUT", "/v1/me/email", &json!({ "email": null }));
    assert_eq!(r.status, 204);
    let audit = force.admin.get("/v1/force/audit");
    let set: Vec<&serde_json::Value> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "set_email")
        .collect();
    assert_eq!(set.len(), 4, "{set:?}");
    // The address is not written to the audit log.
    assert!(!audit.body.to_string().contains("example.police.uk"));
}

#[test]
fn a_scheduled_run_emails_each_frm_lead_once_with_a_link_and_no_figures() {
    let smtp = Smtp::start("sent");
    let server = TestServer::start();
    let force = setup_force(&server, "gwent", 6);
    let addresses = give_addresses(&server, &force);
    let pool = pool(&server);
    let id = force_id(&pool);
    let slot = first_slot(&pool, id);

    // Not due yet: nothing sent.
    let mailer = mailer_at(smtp.port);
    let v = run_due(&pool, Some(&mailer), slot - Duration::minutes(1)).unwrap();
    assert!(matches!(v[..], [(_, Visit::NotDue)]), "{v:?}");
    assert!(smtp.messages().is_empty());

    let v = run_due(&pool, Some(&mailer), slot + Duration::seconds(30)).unwrap();
    let [(_, Visit::Ran { run, period, .. })] = v[..] else {
        panic!("{v:?}")
    };
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2, "one per FRM lead with an address");
    let mut to: Vec<&str> = messages.iter().map(|m| header(m, "To").unwrap()).collect();
    to.sort();
    assert_eq!(to, addresses);
    for m in &messages {
        let subject = header(m, "Subject").unwrap();
        assert_eq!(
            subject,
            format!("FRM report ready: gwent, {} to {}", period.from, period.to)
        );
        assert!(
            m.contains(&format!(
                "https://frm.example.police.uk/dashboard/reports/{run}/report.html"
            )),
            "{m}"
        );
        // No figures: the body is the fixed text, its only numbers the
        // dates and the run's id.
        let body = m
            .split("\r\n\r\n")
            .nth(1)
            .or_else(|| m.split("\n\n").nth(1))
            .unwrap();
        let stripped = body
            .replace(&run.to_string(), "")
            .replace(&period.from.to_string(), "")
            .replace(&period.to.to_string(), "");
        assert!(!stripped.chars().any(|c| c.is_ascii_digit()), "{body}");
    }
    // The next tick sends nothing more.
    run_due(&pool, Some(&mailer), slot + Duration::minutes(2)).unwrap();
    assert_eq!(smtp.messages().len(), 2);
    let page = dashboard_page(&server, "gwent", "frm", "/dashboard/reports");
    assert!(page.contains("sent to 2 FRM leads"), "{page}");
}

#[test]
fn a_refused_connection_keeps_the_report_and_shows_on_the_dashboard() {
    let server = TestServer::start();
    let force = setup_force(&server, "essex", 6);
    give_addresses(&server, &force);
    let pool = pool(&server);
    let id = force_id(&pool);
    let slot = first_slot(&pool, id);
    // Nothing listens on this port: the relay refuses the connection.
    let refused = mailer_at(free_port());
    let v = run_due(&pool, Some(&refused), slot + Duration::seconds(30)).unwrap();
    assert!(matches!(v[..], [(_, Visit::Ran { .. })]), "{v:?}");
    let mut c = pool.get().unwrap();
    let runs = in_force(&mut c, id, |c| RunSummary::list(c, id, 10)).unwrap();
    assert_eq!(runs.len(), 1, "the report is stored");
    let notices = in_force(&mut c, id, |c| {
        server::reports::store::notices(c, id, &[runs[0].id])
    })
    .unwrap();
    assert_eq!(notices.len(), 2);
    assert!(
        notices
            .iter()
            .all(|n| n.outcome == "failed" && n.detail.is_some())
    );
    let page = dashboard_page(&server, "essex", "frm", "/dashboard/reports");
    assert_eq!(page.matches("Not sent:").count(), 2, "{page}");
}

#[test]
fn a_failed_run_sends_nothing() {
    let smtp = Smtp::start("failed");
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 6);
    give_addresses(&server, &force);
    let pool = pool(&server);
    let id = force_id(&pool);
    let slot = first_slot(&pool, id);
    // A stored schedule the server would never accept (written as the
    // owner, past validation): the run fails.
    let mut owner = <diesel::PgConnection as diesel::Connection>::establish(
        &cluster().cluster.owner_url(&server.database),
    )
    .unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO report_schedules (force_id, cron, time_zone, period_days) \
             VALUES ('{id}', 'not a cron', 'Europe/London', 7)"
        )),
        &mut owner,
    )
    .unwrap();
    let v = run_due(
        &pool,
        Some(&mailer_at(smtp.port)),
        slot + Duration::seconds(30),
    )
    .unwrap();
    assert!(v.is_empty(), "the force failed and was skipped: {v:?}");
    assert!(smtp.messages().is_empty());
}
