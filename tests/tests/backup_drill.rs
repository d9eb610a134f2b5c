//! The restore drill: the server on its embedded default archives its WAL
//! with pgBackRest; a base backup is taken while phones sync, more batches
//! arrive, an instant is written down, then more syncs and a damaging
//! change follow. `server restore --to` that instant, into a fresh folder,
//! must give back exactly what was committed before it: the same counts and
//! the same checksum over every synced record, nothing from after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use e2e_tests::*;
use serde_json::json;
use server::embedded_pg::EmbeddedCluster;

/// `server ARGS` on the data folder; panics with its output unless it succeeds.
fn server_cli(data: &Path, args: &[&str]) -> String {
    let out = Command::new(server_binary())
        .args(args)
        .env_remove("DATABASE_URL")
        .env("FATIGUE_DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "server {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    text: String,
}

#[test]
fn a_restore_to_an_instant_holds_exactly_what_was_committed_before_it() {
    assert!(
        server::backup::installed(),
        "pgbackrest is not installed: run scripts/install/12-backup.sh"
    );
    let began = Instant::now();
    let data = std::env::temp_dir().join(format!("fatigue-e2e-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let cluster_dir = data.join("postgres");
    let server = TestServer::spawn_embedded(&data, &[]);
    let force = setup_force(&server, "wessex", 3);
    let devices: Vec<Device> = force
        .members
        .iter()
        .map(|s| enrol(&server, &force, s))
        .collect();
    for d in &devices {
        let r = d.client.send(
            "PUT",
            "/v1/me/consent",
            &json!({ "level": "sleep_and_check_ins" }),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    // Batch i of each phone: day i's summary and check-in (two records).
    let sync = |from: u64, to: u64| {
        for d in &devices {
            for i in from..=to {
                let day = days_ago(i as i64);
                let b = batch(
                    d,
                    &format!("{}-{i}", d.device_id),
                    i,
                    vec![summary(&day, 400 + i as u32), check_in(&day, 3)],
                );
                let r = d.client.post("/v1/sync", &b);
                assert_eq!(r.status, 200, "{:?}", r.body);
                assert_eq!(r.body["results"][1]["status"], "stored", "{:?}", r.body);
            }
        }
    };

    sync(1, 5);
    let out = server_cli(&data, &["backup", "--info"]);
    assert!(out.starts_with("full backup taken"), "{out}");
    assert!(out.contains("full backup: "), "{out}");
    eprintln!("backup taken at {:.1} s", began.elapsed().as_secs_f64());
    // pgBackRest picks the backup for a target time by its stop time in
    // whole seconds: an instant in the same second as the stop finds none.
    std::thread::sleep(Duration::from_millis(1100));
    sync(6, 10);

    let owner = owner_url_of_running(&cluster_dir, "fatigue");
    let before = sync_totals(&owner);
    // 3 phones x 10 batches, each batch 2 records on its own day.
    assert_eq!((before.batches, before.records), (30, 60));
    // Every batch above was acknowledged, so committed, before this instant.
    let mut c = diesel::PgConnection::establish(&owner).unwrap();
    let instant = diesel::sql_query("SELECT clock_timestamp()::text AS text")
        .get_result::<Text>(&mut c)
        .unwrap()
        .text;
    std::thread::sleep(Duration::from_millis(50));

    // After the instant: one more batch each, then rows deleted as the owner.
    sync(11, 11);
    let deleted = diesel::sql_query("DELETE FROM sync_records WHERE kind = 'daily_summary'")
        .execute(&mut c)
        .unwrap();
    assert_eq!(deleted, 33, "3 phones x 11 days");
    drop(c);
    let damaged = sync_totals(&owner);
    assert_eq!((damaged.batches, damaged.records), (33, 33));
    // Close the WAL segment holding the damage, so the archive reaches past
    // the instant (recovery must see a commit after it to know it is there).
    let out = server_cli(&data, &["backup", "--flush-wal"]);
    assert!(out.starts_with("WAL archived"), "{out}");

    // The disaster: the server (and with it the cluster) goes.
    drop(server);
    let gone = Instant::now();
    while server::backup::running_port(&cluster_dir).is_some() {
        assert!(gone.elapsed() < Duration::from_secs(30), "cluster still up");
        std::thread::sleep(Duration::from_millis(100));
    }

    eprintln!("cluster stopped at {:.1} s", began.elapsed().as_secs_f64());
    let restored = data.join("restored");
    let out = server_cli(
        &data,
        &[
            "restore",
            "--to",
            &instant,
            "--into",
            restored.to_str().unwrap(),
        ],
    );
    assert!(out.starts_with("restored to "), "{out}");
    eprintln!("restored at {:.1} s", began.elapsed().as_secs_f64());
    let cluster = EmbeddedCluster::start(&restored).unwrap();
    let after = sync_totals(&cluster.owner_url("fatigue"));
    assert_eq!(
        after, before,
        "the restore holds what was committed before {instant}"
    );
    assert_ne!(after.checksum, damaged.checksum);
    cluster.stop();
    let _ = std::fs::remove_dir_all(&data);
    eprintln!("backup drill: {:.1} s", began.elapsed().as_secs_f64());
}
