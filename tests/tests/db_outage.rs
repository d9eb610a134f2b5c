//! The database going away and coming back while phones sync: the server
//! reports it (503 `database_unavailable`, not ready), recovers by itself,
//! and no batch is lost or stored twice. This test owns its cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::json;
use server::embedded_pg::EmbeddedCluster;

fn wait_ready(server: &TestServer) {
    let began = Instant::now();
    while server.client().get("/ready").status != 200 {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "server did not recover"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn database_outage_mid_sync_loses_and_duplicates_nothing() {
    let dir = std::env::temp_dir().join(format!("fatigue-e2e-outage-{}", std::process::id()));
    let cluster = EmbeddedCluster::start(&dir).unwrap();
    let port = cluster.port();
    cluster.create_database("outage", None).unwrap();
    server::db::run_migrations(&cluster.owner_url("outage")).unwrap();
    let server = TestServer::spawn(
        &cluster.app_url("outage"),
        &cluster.owner_url("outage"),
        "outage".into(),
        &[("FATIGUE_DATABASE_TIMEOUT_MS", "300")],
    );
    let force = setup_force(&server, "kent", 1);
    let device = enrol(&server, &force, "kent-001");
    device
        .client
        .send("PUT", "/v1/me/consent", &json!({"level":"sleep"}));

    // 20 batches of one day each; a sender thread keeps syncing while the
    // database is stopped under it.
    let batches: Vec<_> = (1..=20u64)
        .map(|i| {
            batch(
                &device,
                &format!("b-{i}"),
                i,
                vec![summary(&days_ago(i as i64), 400 + i as u32)],
            )
        })
        .collect();
    let client = device.client.clone();
    let to_send = batches.clone();
    let sender = std::thread::spawn(move || {
        to_send
            .iter()
            .map(|b| {
                let r = client.post("/v1/sync", b);
                std::thread::sleep(Duration::from_millis(50));
                (r.status, r.code().to_owned())
            })
            .collect::<Vec<_>>()
    });
    std::thread::sleep(Duration::from_millis(400));
    cluster.stop();
    let down = server.client().get("/ready");
    assert_eq!((down.status, down.code()), (503, "database_unavailable"));
    assert_eq!(
        server.client().get("/health").status,
        200,
        "the process itself is alive"
    );
    let outcomes = sender.join().unwrap();
    let failed: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.0 != 200)
        .map(|(i, _)| i)
        .collect();
    assert!(!failed.is_empty(), "some batches must have met the outage");
    for i in &failed {
        assert_eq!(
            outcomes[*i],
            (503, "database_unavailable".to_owned()),
            "batch {i}"
        );
    }

    let cluster = EmbeddedCluster::start_on(&dir, port).unwrap();
    wait_ready(&server);
    // The phone retries what was not acknowledged, and, to be sure, everything.
    for (i, b) in batches.iter().enumerate() {
        let r = device.client.post("/v1/sync", b);
        assert_eq!(r.status, 200, "{:?}", r.body);
        let acked_before = !failed.contains(&i);
        assert_eq!(r.body["replayed"], acked_before, "batch {i}");
        assert_eq!(r.body["results"][0]["status"], "stored", "batch {i}");
    }
    let export = device.client.get("/v1/me/export").body;
    let records = export["records"].as_array().unwrap();
    assert_eq!(records.len(), 20, "each day once");
    assert_eq!(export["devices"][0]["sync_cursor"], 20);
    drop(server);
    cluster.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
