//! A writer killed with SIGKILL in the middle of imports leaves the store
//! consistent: SQLite's integrity check passes and every import is all or
//! nothing (its recorded count equals the rows it wrote).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use mobile_core::store::Store;

const PATH_VAR: &str = "STORE_CRASH_PATH";
const RUN_VAR: &str = "STORE_CRASH_RUN";
const EPISODES_PER_IMPORT: i64 = 500;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap()
}

/// The writer: imports batches of one-hour sleeps in a loop until killed.
/// Run only by `a_killed_writer_leaves_the_store_consistent`.
#[test]
#[ignore = "the child process of the crash test"]
fn writer_child() {
    let (Ok(path), Ok(run)) = (std::env::var(PATH_VAR), std::env::var(RUN_VAR)) else {
        return;
    };
    let run: i64 = run.parse().unwrap();
    let mut store = Store::open(Path::new(&path)).unwrap();
    for i in 0.. {
        let episodes: Vec<_> = (0..EPISODES_PER_IMPORT)
            .map(|j| {
                let k = run * 1_000_000 + i * EPISODES_PER_IMPORT + j;
                let start = base() + chrono::Duration::hours(2 * k);
                (start, start + chrono::Duration::hours(1))
            })
            .collect();
        store.import_sleeps(&episodes, Utc::now()).unwrap();
    }
}

fn check_consistent(path: &Path) -> (i64, i64) {
    let store = Store::open(path).unwrap();
    assert!(store.integrity_ok().unwrap());
    drop(store);
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT i.id, i.accepted, (SELECT count(*) FROM sleep_episodes s WHERE s.import_id = i.id)
             FROM imports i",
        )
        .unwrap();
    let rows: Vec<(i64, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (id, accepted, written) in &rows {
        assert_eq!(accepted, written, "import {id} is partial");
        assert_eq!(*accepted, EPISODES_PER_IMPORT, "import {id} lost rows");
    }
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM sleep_episodes WHERE import_id NOT IN (SELECT id FROM imports)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    (rows.len() as i64, orphans)
}

#[test]
fn a_killed_writer_leaves_the_store_consistent() {
    let dir = std::env::temp_dir().join(format!("store-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.db");
    let exe = std::env::current_exe().unwrap();
    let mut imports_seen = 0;
    // Kill at different points of the write cycle.
    for (run, delay_ms) in [(0_i64, 350_u64), (1, 517), (2, 733), (3, 911)] {
        let mut child = Command::new(&exe)
            .args(["--ignored", "--exact", "writer_child", "--test-threads=1"])
            .env(PATH_VAR, &path)
            .env(RUN_VAR, run.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL on Unix: no destructor, no rollback by us
        child.wait().unwrap();
        let (imports, _) = check_consistent(&path);
        assert!(imports >= imports_seen);
        imports_seen = imports;
    }
    assert!(imports_seen > 0, "the writer never committed an import");
    std::fs::remove_dir_all(&dir).unwrap();
}
