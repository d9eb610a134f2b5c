//! The failover drill: a primary and a hot standby managed by
//! pg_auto_failover (`scripts/ha/start.sh`), the server on a libpq
//! multi-host URL with `target_session_attrs=read-write`, 8 phones syncing.
//! The primary stops at once (`scripts/ha/fail-primary.sh`); the monitor
//! promotes the standby; the server carries on against it by itself. Every
//! batch a phone made is then stored exactly once and every acknowledged
//! one answers as a replay (synchronous replication: an acknowledged commit
//! is on the standby too); meanwhile the server answered only 200 or 503.
//!
//! Skipped, with a message, only where pg_auto_failover is not installed
//! (`scripts/install/13-ha.sh` installs it; the test suite's setup runs it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e_tests::drill::*;
use e2e_tests::*;

/// A pg_auto_failover pair under a temporary folder, stopped on drop.
struct Pair {
    dir: std::path::PathBuf,
    port: u16,
    urls: BTreeMap<String, String>,
}

impl Pair {
    fn script(&self, name: &str) -> std::process::Output {
        Command::new("bash")
            .arg(workspace_root().join("scripts/ha").join(name))
            .env("HA_DIR", &self.dir)
            .env("HA_PORT", self.port.to_string())
            // The data is deleted next: no need for clean shutdowns.
            .env("HA_STOP_MODE", "--immediate")
            .output()
            .unwrap()
    }

    fn start() -> Pair {
        let dir = std::env::temp_dir().join(format!("fatigue-e2e-ha-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // Three ports in a row: the monitor's and the two nodes'.
        let port = (0..50)
            .map(|_| server::embedded_pg::free_port().unwrap())
            .find(|p| {
                *p < 65000
                    && (1..=2).all(|i| std::net::TcpListener::bind(("127.0.0.1", p + i)).is_ok())
            })
            .unwrap();
        let mut pair = Pair {
            dir,
            port,
            urls: BTreeMap::new(),
        };
        let out = pair.script("start.sh");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "scripts/ha/start.sh: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        pair.urls = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        pair
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = self.script("stop.sh");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn the_server_carries_on_against_the_promoted_standby_and_loses_nothing() {
    let installed = Command::new("pg_autoctl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        eprintln!(
            "SKIPPED failover drill: pg_auto_failover is not installed (scripts/install/13-ha.sh)"
        );
        return;
    }
    let began = Instant::now();
    let pair = Pair::start();
    let started = began.elapsed();
    let app = pair.urls["DATABASE_URL"].clone();
    let owner = pair.urls["MIGRATE_DATABASE_URL"].clone();
    assert!(app.contains(",127.0.0.1:") && app.ends_with("target_session_attrs=read-write"));
    let server = TestServer::spawn(
        &app,
        &owner,
        "fatigue".into(),
        &[
            ("FATIGUE_ENROL_PER_MINUTE", "1000"),
            ("FATIGUE_POOL_SIZE", "6"),
            ("FATIGUE_DATABASE_TIMEOUT_MS", "1000"),
        ],
    );
    let mut phones = enrol_phones(&server, "failover", 8);
    let mut failover = Duration::ZERO;
    phones = load_with_crash(phones, drill_seconds(), Duration::from_millis(200), || {
        let out = pair.script("fail-primary.sh");
        assert!(out.status.success(), "{out:?}");
        let failed = Instant::now();
        // Ready again: the pool reached the promoted standby. A liveness
        // bound, not a timing claim (the failover time is printed): about
        // 9 s on an idle machine, but once over 60 s with the machine's
        // load at 4-8, so the bound is generous.
        while server.client().get("/ready").status != 200 {
            assert!(failed.elapsed() < Duration::from_secs(180), "no failover");
            std::thread::sleep(Duration::from_millis(200));
        }
        failover = failed.elapsed();
        // The phones resend what the failover cut off, and sync on.
        std::thread::sleep(Duration::from_secs(1));
    });
    let all = statuses(&phones);
    assert!(
        all.keys().all(|s| *s == 200 || *s == 503),
        "only 200 and 503 (never 500, never a dropped connection): {all:?}"
    );
    let made = check_nothing_lost_nothing_doubled(&mut phones, &owner);
    drop(server);
    eprintln!(
        "failover drill: pair up in {:.1} s, server ready on the new primary {:.1} s after the \
         primary failed, {made} batches, answers {all:?}, {:.1} s in all",
        started.as_secs_f64(),
        failover.as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
}
