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

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::{Value, json};
use server::embedded_pg::EmbeddedCluster;

/// Seconds of load before each crash (and after each recovery).
fn drill_seconds() -> f64 {
    std::env::var("FATIGUE_DRILL_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0)
}

/// Crashes per drill.
fn drill_rounds() -> usize {
    std::env::var("FATIGUE_DRILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// A phone: its outbox holds the one batch not yet acknowledged.
struct Phone {
    base: String,
    token: String,
    device_id: String,
    /// The next batch number (and sequence) to make; batch i carries day
    /// i-ago's summary and check-in, so every batch adds two records.
    next: u64,
    outbox: Option<(u64, Value)>,
    acked: Vec<u64>,
    /// Answers by status (0: no answer, the connection failed).
    statuses: BTreeMap<u16, usize>,
    /// Acknowledgements that came as a replay.
    replayed: usize,
}

impl Phone {
    fn new(device: Device) -> Phone {
        Phone {
            base: device.client.base.clone(),
            token: device.client.token.clone().unwrap(),
            device_id: device.device_id,
            next: 1,
            outbox: None,
            acked: Vec::new(),
            statuses: BTreeMap::new(),
            replayed: 0,
        }
    }

    fn batch(&self, i: u64) -> Value {
        let day = days_ago(i as i64);
        json!({
            "device_id": self.device_id, "idempotency_key": format!("{}-{i}", self.device_id),
            "schema_version": 1, "sequence": i, "created_at": chrono::Utc::now(),
            "records": [summary(&day, 400 + (i % 60) as u32), check_in(&day, 3)]
        })
    }

    fn post(&self, body: &Value) -> Result<(u16, Value), String> {
        let r = ureq::post(&format!("{}/v1/sync", self.base))
            .timeout(Duration::from_secs(30))
            .set("Authorization", &format!("Bearer {}", self.token))
            .send_json(body.clone());
        match r {
            Ok(r) => Ok((200, r.into_json().unwrap_or(Value::Null))),
            Err(ureq::Error::Status(s, r)) => Ok((s, r.into_json().unwrap_or(Value::Null))),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Sends the outbox, or a new batch; the status (0: no answer).
    fn step(&mut self) -> u16 {
        let (i, body) = self.outbox.take().unwrap_or_else(|| {
            let i = self.next;
            self.next += 1;
            (i, self.batch(i))
        });
        let status = match self.post(&body) {
            Ok((200, ack)) => {
                for r in ack["results"].as_array().unwrap() {
                    assert_eq!(r["status"], "stored", "batch {i}: {ack}");
                }
                if ack["replayed"] == true {
                    self.replayed += 1;
                }
                self.acked.push(i);
                200
            }
            Ok((s, _)) => {
                self.outbox = Some((i, body));
                s
            }
            Err(_) => {
                self.outbox = Some((i, body));
                0
            }
        };
        *self.statuses.entry(status).or_default() += 1;
        status
    }

    /// Resends until acknowledged (after a recovery).
    fn flush(&mut self) {
        let began = Instant::now();
        while self.outbox.is_some() {
            if self.step() != 200 {
                assert!(began.elapsed() < Duration::from_secs(30), "never acked");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    fn made(&self) -> u64 {
        self.next - 1
    }
}

/// Every phone syncs on its own connection until `stop`; a phone whose
/// batch failed waits `pause` and resends it. Returns the phones.
fn load(phones: Vec<Phone>, stop: &Arc<AtomicBool>, pause: Duration) -> Vec<Phone> {
    let threads: Vec<_> = phones
        .into_iter()
        .map(|mut p| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if p.step() != 200 {
                        std::thread::sleep(pause);
                    }
                }
                p
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// Runs `load` for `seconds`, calling `crash` half-way through the load.
fn load_with_crash(
    phones: Vec<Phone>,
    seconds: f64,
    pause: Duration,
    crash: impl FnOnce(),
) -> Vec<Phone> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let runner = std::thread::spawn(move || load(phones, &s, pause));
    std::thread::sleep(Duration::from_secs_f64(seconds));
    crash();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    runner.join().unwrap()
}

/// After the drill: each phone's outbox resent and acknowledged; a resend
/// of every acknowledged batch answered as a replay; the tables hold each
/// batch once. Returns (batches made, replays among the resent outboxes).
fn check_nothing_lost_nothing_doubled(phones: &mut [Phone], owner_url: &str) -> u64 {
    for p in phones.iter_mut() {
        p.flush();
    }
    let mut made = 0;
    for p in phones.iter() {
        assert_eq!(p.acked.len() as u64, p.made(), "each batch acked once");
        for &i in &p.acked {
            let (status, ack) = p.post(&p.batch(i)).unwrap();
            assert_eq!(status, 200, "{ack}");
            assert_eq!(ack["replayed"], true, "batch {i} of {}", p.device_id);
        }
        made += p.made();
    }
    let totals = sync_totals(owner_url);
    // Every batch once in sync_batches; two records (its own day) each.
    assert_eq!(
        (totals.batches, totals.records),
        (made as i64, 2 * made as i64)
    );
    made
}

fn enrol_phones(server: &TestServer, slug: &str, n: usize) -> Vec<Phone> {
    let force = setup_force(server, slug, n);
    force
        .members
        .iter()
        .map(|s| {
            let d = enrol(server, &force, s);
            let r = d.client.send(
                "PUT",
                "/v1/me/consent",
                &json!({ "level": "sleep_and_check_ins" }),
            );
            assert_eq!(r.status, 200, "{:?}", r.body);
            Phone::new(d)
        })
        .collect()
}

fn statuses(phones: &[Phone]) -> BTreeMap<u16, usize> {
    let mut all = BTreeMap::new();
    for p in phones {
        for (s, n) in &p.statuses {
            *all.entry(*s).or_default() += n;
        }
    }
    all
}

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
