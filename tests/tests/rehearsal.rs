//! `server rehearse` at CI size: 600 people in 3 forces, 30 days of phone
//! records and 30 of roster, 20 phones through the sync service. Counts are
//! worked by hand from the rules in `server::rehearsal` (its module doc).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use e2e_tests::{TestServer, cluster, server_binary};
use serde_json::Value;

const TODAY: &str = "2026-03-18";

/// Fills a fresh database with `seed`; returns its name.
fn rehearse(seed: u64) -> String {
    let c = cluster();
    let db = c.fresh_database();
    // Where the sign-ins file goes; removed once the run is done.
    let data = std::env::temp_dir().join(format!("rehearsal-{db}-{}", std::process::id()));
    let out = Command::new(server_binary())
        .args([
            "rehearse", "--people", "600", "--forces", "3", "--days", "30",
        ])
        .args([
            "--roster-days",
            "30",
            "--sync-sample",
            "20",
            "--today",
            TODAY,
        ])
        .args(["--seed", &seed.to_string()])
        .env("DATABASE_URL", c.cluster.app_url(&db))
        .env("MIGRATE_DATABASE_URL", c.cluster.owner_url(&db))
        .env("FATIGUE_DATA_DIR", &data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&data);
    assert!(
        out.status.success(),
        "rehearse failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Sum {
    #[diesel(sql_type = Text)]
    sum: String,
}

fn count(c: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<N>(c).unwrap().n
}

/// The content, without salted hashes or the clock's timestamps.
fn checksum(c: &mut PgConnection) -> String {
    diesel::sql_query(
        "SELECT md5(concat( \
           (SELECT string_agg(id::text || consent || created_at::text, ',' ORDER BY id) FROM persons), \
           (SELECT string_agg(staff_number || person_id::text, ',' ORDER BY staff_number) FROM staff_links), \
           (SELECT string_agg(staff_number || start_at::text || end_at::text, ',' ORDER BY staff_number, start_at) FROM shifts), \
           (SELECT string_agg(staff_number || local_date::text || category, ',' ORDER BY staff_number, local_date) FROM absence_days), \
           (SELECT string_agg(person_id::text || local_date::text || kind || discriminator || payload::text, ',' \
              ORDER BY person_id, local_date, kind, discriminator) FROM sync_records))) AS sum",
    )
    .get_result::<Sum>(c)
    .unwrap()
    .sum
}

#[test]
fn the_rehearsal_is_what_its_flags_say_and_the_reports_run_on_it() {
    let owner = |db: &str| PgConnection::establish(&cluster().cluster.owner_url(db)).unwrap();
    let db = rehearse(5);
    let mut c = owner(&db);
    // Forces of 600 as 1/k over 3: 327, 164, 109 (largest remainder).
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) FILTER (WHERE n = 327) * 100 + count(*) FILTER (WHERE n = 164) * 10 + count(*) FILTER (WHERE n = 109) AS n FROM (SELECT count(*) AS n FROM persons GROUP BY force_id) x"
        ),
        111
    );
    for (table, expected) in [
        ("forces", 3),
        ("persons", 600),
        ("staff_links", 600),
        ("devices", 600),
        ("enrolment_codes", 600),
        ("team_members", 600),
        // Every force is under 12 × 30: 12 teams each.
        ("teams", 36),
        ("team_supervisors", 36),
        // A force admin and an FRM lead per force, a supervisor per team.
        ("accounts", 3 * 2 + 36),
        // The first roster and ceil(30 / 7) = 5 weeks of changes, per force.
        ("roster_uploads", 3 * 6),
        // A read of each team's risk on each of the 30 days.
        ("audit_log", 36 * 30),
    ] {
        assert_eq!(
            count(&mut c, &format!("SELECT count(*) AS n FROM {table}")),
            expected,
            "{table}"
        );
    }
    // Every person-day is one duty, rest day or absence: 600 × 30.
    assert_eq!(
        count(
            &mut c,
            "SELECT (SELECT count(*) FROM shifts) + (SELECT count(*) FROM rest_days) + (SELECT count(*) FROM absence_days) AS n"
        ),
        18_000
    );
    // Consent by i mod 20: 7, 5 and 8 of every 20.
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM persons WHERE consent = 'roster_only'"
        ),
        210
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM persons WHERE consent = 'sleep'"
        ),
        150
    );
    // 390 sharing sleep, each missing 3 of 30 nights ((i + d) mod 10 = 0).
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM sync_records WHERE kind = 'daily_summary'"
        ),
        390 * 27
    );
    // 240 sharing check-ins, one on each of 10 days ((i + d) mod 3 = 0).
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM sync_records WHERE kind = 'check_in'"
        ),
        240 * 10
    );
    // Of every 20 people, the 16 with i mod 5 ≠ 0 take 1 + i mod 4
    // modules: 4 × (1 + 2 + 3 + 4) = 40; × 30 groups.
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM sync_records WHERE kind = 'learning_progress'"
        ),
        1_200
    );
    // One batch per phone per day with records.
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM sync_batches"),
        count(
            &mut c,
            "SELECT count(DISTINCT (person_id, local_date)) AS n FROM sync_records"
        )
    );
    // The 20 sampled phones (people 0-19 of the largest force) synced
    // through the service today; people 0 and 5 share nothing and learn
    // nothing (roster only, i mod 5 = 0), so 18 phones sent batches, each
    // as many as its dates, and each device's cursor moved to its last.
    assert_eq!(
        count(
            &mut c,
            "SELECT count(DISTINCT device_id) AS n FROM sync_batches WHERE received_at > now() - interval '1 hour'"
        ),
        18
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM sync_batches b JOIN devices d ON d.force_id = b.force_id AND d.id = b.device_id \
            WHERE b.received_at > now() - interval '1 hour' AND b.sequence > d.sync_cursor"
        ),
        0
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM sync_records r JOIN sync_batches b ON b.force_id = r.force_id \
            AND b.device_id = r.device_id AND b.sequence = r.source_sequence \
            WHERE b.received_at > now() - interval '1 hour'"
        ),
        count(
            &mut c,
            "SELECT count(*) AS n FROM sync_records r JOIN devices d ON d.force_id = r.force_id AND d.id = r.device_id \
            JOIN staff_links l ON l.force_id = r.force_id AND l.person_id = r.person_id \
            WHERE l.staff_number BETWEEN 'R01000001' AND 'R01000020'"
        ),
    );

    // The same seed, the same content; another seed, another.
    let sum = checksum(&mut c);
    assert_eq!(checksum(&mut owner(&rehearse(5))), sum);
    assert_ne!(checksum(&mut owner(&rehearse(6))), sum);

    // The largest force's FRM report for the last full week before today.
    let cl = &cluster().cluster;
    let out = Command::new(server_binary())
        .args([
            "report",
            "--force",
            "rehearsal-01",
            "--from",
            "2026-03-09",
            "--to",
            "2026-03-15",
            "--format",
            "json",
        ])
        .env("DATABASE_URL", cl.app_url(&db))
        .env("MIGRATE_DATABASE_URL", cl.owner_url(&db))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tables = report["tables"].as_array().unwrap();
    assert!(!tables.is_empty());
    assert!(
        tables
            .iter()
            .all(|t| !t["rows"].as_array().unwrap().is_empty())
    );
    // Some figure is published (327 people rostered that week).
    assert!(
        tables
            .iter()
            .any(|t| t["rows"].as_array().unwrap().iter().any(|r| r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| !c["value"].is_null())))
    );

    // NPWS over the three forces, through the API.
    let server = TestServer::spawn(&cl.app_url(&db), &cl.owner_url(&db), db.clone(), &[]);
    let analyst = server
        .client()
        .login(None, "rehearsal-analyst", "rehearsal-password-1");
    let q = "from=2026-02-17&to=2026-03-16";
    // k fixed: choosing it by silhouette is the slow part in a debug build.
    let cohorts = analyst.get(&format!("/v1/npws/cohorts?{q}&k=3"));
    assert_eq!(cohorts.status, 200, "{:?}", cohorts.body);
    assert!(!cohorts.body["cohorts"].as_array().unwrap().is_empty());
    let mut people_cells = 0;
    for by in ["force", "function", "force_function"] {
        let r = analyst.get(&format!("/v1/npws/comparisons?{q}&by={by}"));
        assert_eq!(r.status, 200, "{by}: {:?}", r.body);
        let t = &r.body["table"];
        let col = t["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == "people")
            .unwrap();
        assert!(!t["rows"].as_array().unwrap().is_empty());
        for row in t["rows"].as_array().unwrap() {
            let cell = &row["cells"][col];
            // A published count describes at least 5 people (or none);
            // anything smaller is withheld.
            let value = cell["value"]
                .as_str()
                .and_then(|v| v.parse::<f64>().ok())
                .or(cell["value"].as_f64());
            match value {
                Some(v) => {
                    assert!(v == 0.0 || v >= 5.0, "{by}: {cell}");
                    people_cells += 1;
                }
                None => assert_eq!(cell["suppressed"], true, "{by}: {cell}"),
            }
        }
    }
    // 1 + 3 forces, 1 + functions, force × function rows: many published.
    assert!(people_cells >= 10, "{people_cells}");

    // The server reads the national features in groups of forces on
    // several connections and puts the rows in the function's order: the
    // same rows in the same order as one national call, however shared out.
    use server::db::{Scope, transaction};
    use server::npws::{service::share_out, store};
    let pool = server::db::pool(&cl.app_url(&db), 2, 3000);
    let mut c = pool.get().unwrap();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let (from, to) = (day("2026-02-17"), day("2026-03-16"));
    let read = |c: &mut PgConnection, forces: Option<&[uuid::Uuid]>| {
        transaction(c, Scope::Platform, |c| {
            store::person_features(c, from, to, forces)
        })
        .unwrap()
    };
    let whole = read(&mut c, None);
    assert!(whole.len() > 100, "{}", whole.len());
    let mut sorted = whole.clone();
    store::in_function_order(&mut sorted);
    assert!(sorted == whole, "the server's order is the function's");
    let sizes = transaction(&mut c, Scope::Platform, store::force_sizes).unwrap();
    assert_eq!(sizes.len(), 3);
    for n in 1..=4 {
        let groups = share_out(sizes.clone(), n);
        assert_eq!(groups.len(), n.min(3));
        let mut rows = Vec::new();
        for g in &groups {
            rows.extend(read(&mut c, Some(g)));
        }
        store::in_function_order(&mut rows);
        if rows != whole {
            eprintln!("{} vs {}", rows.len(), whole.len());
            for (a, b) in rows.iter().zip(&whole) {
                if a != b {
                    eprintln!("{a:?}\n{b:?}");
                }
            }
        }
        assert!(rows == whole, "{n} groups");
    }
}
