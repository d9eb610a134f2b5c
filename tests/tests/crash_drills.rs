//! Crash drills under load: `kill -9` of the server while 32 phones sync,
//! and `kill -9` of PostgreSQL's postmaster mid-sync. A phone keeps a batch
//! in its outbox until the server acknowledges it and resends it, with the
//! same idempotency key, after any failure. Afterwards every batch a phone
//! made is stored exactly once (the sync tables' counts), every one
//! acknowledged before the crash is answered as a replay, and (for the
//! database) the server only ever answered 200 or 503.
//!
//! Small in CI. The long version, more seconds of load between crashes and
//! more crashes (README, "Drills"):
//! `FATIGUE_DRILL_SECONDS=20 FATIGUE_DRILL_ROUNDS=10 cargo test -p e2e-tests --test crash_drills -- --nocapture`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use e2e_tests::drill::*;
use e2e_tests::*;
use server::embedded_pg::EmbeddedCluster;

const SERVER_ENV: [(&str, &str); 2] = [
    ("FATIGUE_ENROL_PER_MINUTE", "1000"),
    ("FATIGUE_POOL_SIZE", "6"),
];

#[test]
fn kill_9_of_the_server_under_32_connections_loses_and_doubles_nothing() {
    let began = Instant::now();
    let c = cluster();
    let mut server = TestServer::start_with(&SERVER_ENV);
    let db = server.database.clone();
    let (app, owner) = (c.cluster.app_url(&db), c.cluster.owner_url(&db));
    let mut phones = enrol_phones(&server, "crash-server", 32);
    let mut in_flight_replays = 0;
    for round in 0..drill_rounds() {
        // SIGKILL (TestServer's drop): no shutdown, answers in flight lost.
        phones = load_with_crash(phones, drill_seconds(), Duration::from_millis(100), || {
            drop(server)
        });
        let unacked = phones.iter().filter(|p| p.outbox.is_some()).count();
        server = TestServer::spawn(&app, &owner, db.clone(), &SERVER_ENV);
        for p in phones.iter_mut() {
            p.base.clone_from(&server.url);
        }
        let replays_before: usize = phones.iter().map(|p| p.replayed).sum();
        for p in phones.iter_mut() {
            p.flush();
        }
        let replays: usize = phones.iter().map(|p| p.replayed).sum::<usize>() - replays_before;
        in_flight_replays += replays;
        eprintln!(
            "round {round}: {unacked} phones held an unacknowledged batch; {replays} of them \
             had been stored before the kill (answered as replays)"
        );
    }
    let all = statuses(&phones);
    assert!(
        all.get(&0).copied().unwrap_or(0) >= 1,
        "the kill must have cut some phones off: {all:?}"
    );
    let made = check_nothing_lost_nothing_doubled(&mut phones, &owner);
    eprintln!(
        "server kill -9 drill: {} round(s), {made} batches, answers {all:?}, {in_flight_replays} \
         stored-but-unacknowledged, {:.1} s",
        drill_rounds(),
        began.elapsed().as_secs_f64()
    );
}

fn postmaster_pid(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_owned()
}

/// Starts PostgreSQL again after a crash: crash recovery runs; orphaned
/// backends may hold the old shared memory for a moment, so retry.
fn restart(dir: &std::path::Path, port: u16) -> EmbeddedCluster {
    let began = Instant::now();
    loop {
        match EmbeddedCluster::start_on(dir, port) {
            Ok(c) => return c,
            Err(e) => {
                assert!(began.elapsed() < Duration::from_secs(30), "restart: {e}");
                std::thread::sleep(Duration::from_millis(300));
            }
        }
    }
}

#[test]
fn kill_9_of_the_postmaster_mid_sync_answers_503_and_loses_and_doubles_nothing() {
    let began = Instant::now();
    let dir = std::env::temp_dir().join(format!("fatigue-e2e-crash-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cluster = EmbeddedCluster::start(&dir).unwrap();
    let port = cluster.port();
    cluster.create_database("crash", None).unwrap();
    let owner = cluster.owner_url("crash");
    server::db::run_migrations(&owner).unwrap();
    let mut env = SERVER_ENV.to_vec();
    env.push(("FATIGUE_DATABASE_TIMEOUT_MS", "300"));
    let server = TestServer::spawn(&cluster.app_url("crash"), &owner, "crash".into(), &env);
    let mut phones = enrol_phones(&server, "crash-db", 16);
    for round in 0..drill_rounds() {
        let pid = postmaster_pid(&dir);
        phones = load_with_crash(phones, drill_seconds(), Duration::from_millis(100), || {
            let out = std::process::Command::new("kill")
                .args(["-9", &pid])
                .output()
                .unwrap();
            assert!(out.status.success(), "kill -9 {pid}");
        });
        let down = server.client().get("/ready");
        assert_eq!((down.status, down.code()), (503, "database_unavailable"));
        drop(cluster);
        cluster = restart(&dir, port);
        let back = Instant::now();
        while server.client().get("/ready").status != 200 {
            assert!(back.elapsed() < Duration::from_secs(30), "no reconnect");
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "round {round}: server ready {:.1} s after PostgreSQL restarted",
            back.elapsed().as_secs_f64()
        );
    }
    let all = statuses(&phones);
    assert!(
        all.get(&503).copied().unwrap_or(0) >= 1,
        "some batches met the crash: {all:?}"
    );
    assert!(
        all.keys().all(|s| *s == 200 || *s == 503),
        "only 200 and 503 (never 500, never a dropped connection): {all:?}"
    );
    let made = check_nothing_lost_nothing_doubled(&mut phones, &owner);
    drop(server);
    cluster.stop();
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "postmaster kill -9 drill: {} round(s), {made} batches, answers {all:?}, {:.1} s",
        drill_rounds(),
        began.elapsed().as_secs_f64()
    );
}
