//! The operator's `/metrics`: served only with the operator's token and from
//! an allowed network, in Prometheus text format, with request latency by
//! route pattern (never an id), the sync group commit, pool use and the
//! report scheduler's visits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use e2e_tests::*;

const TOKEN: &str = "operator-metrics-token-0123456789abcdef";

fn scrape(server: &TestServer, token: Option<&str>) -> (u16, String) {
    let mut req = ureq::get(&format!("{}/metrics", server.url));
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    match req.call() {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{e}"),
    }
}

/// The value of the sample line that starts with `prefix`.
fn sample(body: &str, prefix: &str) -> Option<f64> {
    body.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn metrics_are_for_the_operator_only_and_name_routes_not_ids() {
    let server = TestServer::start_with(&[("FATIGUE_METRICS_TOKEN", TOKEN)]);
    let force = setup_force(&server, "surrey", 5);
    assert_eq!(scrape(&server, None).0, 403);
    assert_eq!(
        scrape(&server, Some("operator-metrics-token-wrong-0123456789")).0,
        403
    );
    // A force's own staff token is not the operator's.
    let frm = force.frm_lead.token.clone().unwrap();
    assert_eq!(scrape(&server, Some(&frm)).0, 403);

    let team_risk = format!(
        "/v1/teams/{}/risk?from=2026-11-30&to=2026-12-06",
        force.team
    );
    assert_eq!(force.supervisor.get(&team_risk).status, 200);
    let device = enrol(&server, &force, &force.members[0]);
    let today = Utc::now().date_naive().to_string();
    let r = device.client.post(
        "/v1/sync",
        &batch(&device, "metrics-1", 1, vec![summary(&today, 420)]),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);

    let (status, body) = scrape(&server, Some(TOKEN));
    assert_eq!(status, 200);
    let logins = sample(
        &body,
        "fatigue_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/auth/login\",status=\"2xx\"}",
    )
    .unwrap();
    assert!(
        logins >= 4.0,
        "setup_force signs in four accounts: {logins}"
    );
    assert!(
        body.contains("route=\"/v1/teams/{team}/risk\""),
        "the route's pattern"
    );
    assert!(!body.contains(&force.team), "never a team's id");
    assert!(sample(&body, "fatigue_sync_group_size_count").unwrap() >= 1.0);
    assert!(sample(&body, "fatigue_db_pool_connections{state=\"idle\"}").is_some());
    assert!(body.contains("# TYPE fatigue_sync_queue_depth gauge"));

    // No token configured: not served at all.
    let plain = TestServer::start();
    assert_eq!(scrape(&plain, Some(TOKEN)).0, 404);
    // The right token from outside the allowed networks: refused.
    let fenced = TestServer::start_with(&[
        ("FATIGUE_METRICS_TOKEN", TOKEN),
        ("FATIGUE_METRICS_ALLOW", "10.0.0.0/8"),
    ]);
    assert_eq!(scrape(&fenced, Some(TOKEN)).0, 403);
}

#[test]
fn the_report_scheduler_counts_its_visits() {
    let server = TestServer::start();
    setup_force(&server, "sussex", 5);
    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000);
    let m = server::metrics::get().unwrap();
    let before = m.scheduler_visits.with_label_values(&["not_due"]).get();
    // A force made just now has nothing due.
    server::reports::scheduler::run_due(&pool, None, Utc::now()).unwrap();
    assert_eq!(
        m.scheduler_visits.with_label_values(&["not_due"]).get(),
        before + 1
    );
    assert!(
        m.render()
            .contains("fatigue_report_scheduler_visits_total{outcome=\"not_due\"}")
    );
}
