//! The phones of the failure drills (`tests/tests/crash_drills.rs`,
//! `failover_drill.rs`): each syncs on its own connection and keeps a batch
//! in its outbox until the server acknowledges it, resending it with the
//! same idempotency key after any failure, as the app does.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Device, TestServer, check_in, days_ago, enrol, setup_force, summary, sync_totals};

/// Seconds of load before each crash (and after each recovery).
pub fn drill_seconds() -> f64 {
    std::env::var("FATIGUE_DRILL_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0)
}

/// Crashes per drill.
pub fn drill_rounds() -> usize {
    std::env::var("FATIGUE_DRILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// A phone: its outbox holds the one batch not yet acknowledged.
pub struct Phone {
    /// The server's base URL (changed when a server is restarted on another port).
    pub base: String,
    token: String,
    /// The device.
    pub device_id: String,
    /// The next batch number (and sequence) to make; batch i carries day
    /// i-ago's summary and check-in, so every batch adds two records.
    pub next: u64,
    /// The batch not yet acknowledged, if any.
    pub outbox: Option<(u64, Value)>,
    /// Acknowledged batch numbers.
    pub acked: Vec<u64>,
    /// Answers by status (0: no answer, the connection failed).
    pub statuses: BTreeMap<u16, usize>,
    /// Acknowledgements that came as a replay.
    pub replayed: usize,
}

impl Phone {
    /// The phone of an enrolled device.
    pub fn new(device: Device) -> Phone {
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

    /// Batch number `i` (same key and body every time).
    pub fn batch(&self, i: u64) -> Value {
        let day = days_ago(i as i64);
        json!({
            "device_id": self.device_id, "idempotency_key": format!("{}-{i}", self.device_id),
            "schema_version": 1, "sequence": i, "created_at": chrono::Utc::now(),
            "records": [summary(&day, 400 + (i % 60) as u32), check_in(&day, 3)]
        })
    }

    /// POSTs a batch: status and body, or the transport error.
    pub fn post(&self, body: &Value) -> Result<(u16, Value), String> {
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
    pub fn step(&mut self) -> u16 {
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
    pub fn flush(&mut self) {
        let began = Instant::now();
        while self.outbox.is_some() {
            if self.step() != 200 {
                assert!(began.elapsed() < Duration::from_secs(30), "never acked");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// Batches made so far.
    pub fn made(&self) -> u64 {
        self.next - 1
    }
}

/// Every phone syncs on its own connection until `stop`; a phone whose
/// batch failed waits `pause` and resends it. Returns the phones.
pub fn load(phones: Vec<Phone>, stop: &Arc<AtomicBool>, pause: Duration) -> Vec<Phone> {
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
pub fn load_with_crash(
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
pub fn check_nothing_lost_nothing_doubled(phones: &mut [Phone], owner_url: &str) -> u64 {
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

/// A force `slug` with `n` enrolled phones that consent to summaries and check-ins.
pub fn enrol_phones(server: &TestServer, slug: &str, n: usize) -> Vec<Phone> {
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

/// Every phone's answers by status, summed.
pub fn statuses(phones: &[Phone]) -> BTreeMap<u16, usize> {
    let mut all = BTreeMap::new();
    for p in phones {
        for (s, n) in &p.statuses {
            *all.entry(*s).or_default() += n;
        }
    }
    all
}
