//! The data lifecycle on a real database: a batch replayed after its month
//! has passed is answered from its first acknowledgement and stored once;
//! the lifecycle round (controlled clock) drops whole months every force's
//! period has passed, deletes per force within the months kept, keeps the
//! audit log its longer period, does nothing the second time, and leaves
//! the coming months made; a server start makes missing coming months; a
//! force admin sets the force's periods.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use e2e_tests::{TestServer, batch, check_in, cluster, days_ago, enrol, setup_force, summary};
use serde_json::json;
use server::lifecycle::service::{self, Retention};
use server::lifecycle::store::{self as lifecycle_store, Partitioned};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(c: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(c).unwrap().n
}

#[derive(QueryableByName)]
struct Label {
    #[diesel(sql_type = Text)]
    label: String,
}

fn labels(c: &mut PgConnection, sql: &str) -> BTreeSet<String> {
    diesel::sql_query(sql)
        .load::<Label>(c)
        .unwrap()
        .into_iter()
        .map(|l| l.label)
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn month_name(table: &str, month: NaiveDate) -> String {
    format!("{table}_p{:04}_{:02}", month.year(), month.month())
}

#[test]
fn a_replay_after_the_month_boundary_returns_the_first_ack_and_stores_nothing_twice() {
    let server = TestServer::start();
    let force = setup_force(&server, "lc-replay", 1);
    let phone = enrol(&server, &force, &force.members[0]);
    let r = phone.client.send(
        "PUT",
        "/v1/me/consent",
        &json!({ "level": "sleep_and_check_ins" }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    let body = batch(
        &phone,
        "replay-across-months",
        1,
        vec![summary(&days_ago(1), 420), check_in(&days_ago(1), 6)],
    );
    let first = phone.client.post("/v1/sync", &body);
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["replayed"], false);

    // The batch was applied in the previous month: move it there (the key
    // row goes first, and the trigger writes it again with the new instant,
    // as an insert of that month would have).
    let mut owner =
        PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap();
    owner
        .batch_execute(
            "SET TIME ZONE 'UTC'; BEGIN; \
             DELETE FROM sync_batch_keys WHERE idempotency_key = 'replay-across-months'; \
             UPDATE sync_batches SET received_at = date_trunc('month', received_at) - interval '20 days' \
               WHERE idempotency_key = 'replay-across-months'; COMMIT;",
        )
        .unwrap();
    let today = Utc::now().date_naive();
    let previous = today.with_day(1).unwrap() - chrono::Duration::days(1);
    let previous = previous.with_day(1).unwrap();
    assert_eq!(
        labels(
            &mut owner,
            "SELECT tableoid::regclass::text AS label FROM sync_batches \
             WHERE idempotency_key = 'replay-across-months'"
        ),
        set(&[&month_name("sync_batches", previous)])
    );
    assert_eq!(
        count(
            &mut owner,
            "SELECT count(*) AS n FROM sync_batch_keys k JOIN sync_batches b USING \
             (force_id, device_id, idempotency_key, received_at) \
             WHERE k.idempotency_key = 'replay-across-months'"
        ),
        1
    );

    // Replayed now, in a later month: the first answer, marked replayed.
    let replay = phone.client.post("/v1/sync", &body);
    assert_eq!(replay.status, 200, "{:?}", replay.body);
    assert_eq!(replay.body["replayed"], true);
    assert_eq!(replay.body["results"], first.body["results"]);
    assert_eq!(replay.body["cursor"], first.body["cursor"]);
    assert_eq!(replay.body["idempotency_key"], "replay-across-months");
    // Two records were stored (both results "stored"), once.
    assert_eq!(
        first.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "stored")
            .count(),
        2,
        "{:?}",
        first.body["results"]
    );
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM sync_records"),
        2
    );
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM sync_batches"),
        1
    );
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM sync_batch_keys"),
        1
    );

    // Uniqueness does not rest on the months: the same key in this month is
    // refused even by the owner.
    let err = owner
        .batch_execute(
            "INSERT INTO sync_batches (force_id, device_id, idempotency_key, sequence, ack) \
             SELECT force_id, device_id, idempotency_key, 2, ack FROM sync_batches",
        )
        .unwrap_err();
    assert!(err.to_string().contains("sync_batch_keys_pkey"), "{err}");

    // When retention has dropped the month holding the acknowledgement, the
    // key still stops a second application: "already applied", no results.
    owner
        .batch_execute(&format!(
            "DROP TABLE {}",
            month_name("sync_batches", previous)
        ))
        .unwrap();
    let late = phone.client.post("/v1/sync", &body);
    assert_eq!(late.status, 200, "{:?}", late.body);
    assert_eq!(late.body["replayed"], true);
    assert_eq!(late.body["results"], json!([]));
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM sync_records"),
        2
    );
    assert_eq!(
        count(&mut owner, "SELECT count(*) AS n FROM sync_batches"),
        0
    );
}

/// Two forces, `lc-long` on the defaults (records 400 days, audit 2,192)
/// and `lc-short` with 200 and 730, with rows either side of each cutoff.
/// At 2027-03-15T12:00Z the cutoffs are (hand-worked in
/// `server::lifecycle::service`'s unit tests): records 2026-02-08 (long),
/// 2026-08-27 (short); batches the same days at 12:00; audit
/// 2021-03-14T12:00 (long and national), 2025-03-15T12:00 (short).
const SEED: &str = "
SET TIME ZONE 'UTC';
INSERT INTO forces (id, slug, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'lc-long', 'long'),
  ('00000000-0000-0000-0000-00000000000b', 'lc-short', 'short');
INSERT INTO force_settings (force_id, limits, updated_by, records_retention_days, audit_retention_days)
  VALUES ('00000000-0000-0000-0000-00000000000b', '{}', gen_random_uuid(), 200, 730);
INSERT INTO persons (force_id, id) SELECT id, id FROM forces WHERE slug LIKE 'lc-%';
INSERT INTO devices (force_id, id, person_id) SELECT id, id, id FROM forces WHERE slug LIKE 'lc-%';
CREATE TEMP TABLE seed (slug text, label text, day date, instant timestamptz);
INSERT INTO seed VALUES
  ('lc-long', 'l-2025-12', '2025-12-10', '2025-12-10T00:00Z'),
  ('lc-long', 'l-out', '2026-02-07', '2026-02-08T11:59:59Z'),
  ('lc-long', 'l-in', '2026-02-08', '2026-02-08T12:00:00Z'),
  ('lc-long', 'l-new', '2026-09-01', '2027-03-01T00:00Z'),
  ('lc-short', 's-2025-12', '2025-12-10', '2025-12-10T00:00Z'),
  ('lc-short', 's-out', '2026-08-26', '2026-08-27T11:59:59Z'),
  ('lc-short', 's-in', '2026-08-27', '2026-08-27T12:00:00Z'),
  ('lc-short', 's-new', '2027-03-01', '2027-03-01T00:00Z');
INSERT INTO sync_records (force_id, person_id, local_date, kind, discriminator, payload, device_id, source_sequence)
  SELECT f.id, f.id, s.day, 'learning_progress', s.label, '{}', f.id, 1 FROM seed s JOIN forces f USING (slug);
INSERT INTO sync_batches (force_id, device_id, idempotency_key, sequence, ack, received_at)
  SELECT f.id, f.id, s.label, 1, '{}', s.instant FROM seed s JOIN forces f USING (slug);
INSERT INTO audit_log (force_id, actor_role, actor_id, action, target, at)
  SELECT f.id, 'force_admin', f.id, 'test', a.label, a.at::timestamptz
  FROM (VALUES ('lc-long', 'l-ancient', '2021-03-14T11:00Z'), ('lc-long', 'l-2021', '2021-03-14T12:00Z'),
               ('lc-long', 'l-2025-12', '2025-12-10T00:00Z'),
               ('lc-short', 's-2025-03', '2025-03-15T11:00Z'), ('lc-short', 's-2025-04', '2025-04-01T00:00Z'),
               ('lc-short', 's-2025-12', '2025-12-10T00:00Z')) AS a (slug, label, at)
  JOIN forces f USING (slug);
INSERT INTO audit_log (force_id, actor_role, actor_id, action, target, at) VALUES
  (NULL, 'npws_analyst', gen_random_uuid(), 'test', 'n-ancient', '2021-03-01T00:00Z'),
  (NULL, 'npws_analyst', gen_random_uuid(), 'test', 'n-2024', '2024-01-01T00:00Z');
";

#[test]
fn retention_drops_whole_months_deletes_per_force_and_keeps_the_audit_longer() {
    let tc = cluster();
    let db = tc.fresh_database();
    let mut c = PgConnection::establish(&tc.cluster.owner_url(&db)).unwrap();
    // The months the rows fall in, whatever today's date made at migration.
    for table in Partitioned::ALL {
        lifecycle_store::ensure_months(
            &mut c,
            table,
            NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        )
        .unwrap();
    }
    c.batch_execute(SEED).unwrap();
    assert_eq!(
        labels(
            &mut c,
            "SELECT tableoid::regclass::text AS label FROM sync_records WHERE discriminator = 'l-2025-12'"
        ),
        set(&["sync_records_p2025_12"])
    );

    let now = at("2027-03-15T12:00:00Z");
    let round = service::run(&mut c, now).unwrap().unwrap();

    // December 2025 of records and batches is past every force's period
    // (the earliest cutoff, the long force's 2026-02-08, is after it ends):
    // dropped whole. February 2026 holds rows the long force keeps.
    for name in ["sync_records_p2025_12", "sync_batches_p2025_12"] {
        assert!(
            round.dropped.contains(&name.to_owned()),
            "{:?}",
            round.dropped
        );
    }
    let records_months: Vec<NaiveDate> = lifecycle_store::months(&mut c, Partitioned::SyncRecords)
        .unwrap()
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    assert_eq!(
        records_months.first(),
        Some(&NaiveDate::from_ymd_opt(2026, 2, 1).unwrap())
    );
    // The audit log's months all stay: its shortest period reaches back to
    // March 2025.
    assert!(!round.dropped.iter().any(|d| d.starts_with("audit_log")));
    assert!(
        lifecycle_store::months(&mut c, Partitioned::AuditLog)
            .unwrap()
            .iter()
            .any(|(n, _)| n == "audit_log_p2025_12")
    );
    // Deleted from the months kept (and the default partition): per table,
    // one row of each force just before its cutoff; the audit log's three
    // entries past their periods (l-ancient, s-2025-03, n-ancient).
    assert_eq!(
        round.deleted,
        vec![("sync_records", 2), ("sync_batches", 2), ("audit_log", 3)]
    );

    let kept = set(&["l-in", "l-new", "s-in", "s-new"]);
    assert_eq!(
        labels(&mut c, "SELECT discriminator AS label FROM sync_records"),
        kept
    );
    assert_eq!(
        labels(&mut c, "SELECT idempotency_key AS label FROM sync_batches"),
        kept
    );
    // Batch keys stay (uniqueness is for ever, or until the device goes).
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM sync_batch_keys"),
        8
    );
    assert_eq!(
        labels(&mut c, "SELECT target AS label FROM audit_log"),
        set(&["l-2021", "l-2025-12", "s-2025-04", "s-2025-12", "n-2024"])
    );

    // A second round at the same instant finds nothing to do.
    let again = service::run(&mut c, now).unwrap().unwrap();
    assert!(again.is_idle(), "{again:?}");

    // The coming months exist: April to June 2027 (3 ahead of March).
    for table in Partitioned::ALL {
        let months: BTreeSet<String> = lifecycle_store::months(&mut c, table)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        for m in [4, 5, 6] {
            let name = month_name(table.table(), NaiveDate::from_ymd_opt(2027, m, 1).unwrap());
            assert!(months.contains(&name), "{name} missing");
        }
    }
}

#[test]
fn a_server_start_makes_missing_months_and_a_force_admin_sets_the_periods() {
    let tc = cluster();
    let db = tc.fresh_database();
    let mut owner = PgConnection::establish(&tc.cluster.owner_url(&db)).unwrap();
    let ahead = Utc::now()
        .date_naive()
        .with_day(1)
        .unwrap()
        .checked_add_months(Months::new(service::MONTHS_AHEAD))
        .unwrap();
    for table in Partitioned::ALL {
        owner
            .batch_execute(&format!("DROP TABLE {}", month_name(table.table(), ahead)))
            .unwrap();
    }
    let server = TestServer::spawn(
        &tc.cluster.app_url(&db),
        &tc.cluster.owner_url(&db),
        db.clone(),
        &[],
    );
    for table in Partitioned::ALL {
        let months: Vec<String> = lifecycle_store::months(&mut owner, table)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(
            months.contains(&month_name(table.table(), ahead)),
            "{} not made at start: {months:?}",
            table.table()
        );
    }

    let force = setup_force(&server, "lc-settings", 1);
    let phone = enrol(&server, &force, &force.members[0]);
    // Anyone of the force reads the periods in effect: the defaults.
    let r = phone.client.get("/v1/force/settings/retention");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body, json!({ "records_days": 400, "audit_days": 2192 }));
    // Only the force admin sets them, within the ranges.
    let periods = json!({ "records_days": 200, "audit_days": 730 });
    let r = force
        .frm_lead
        .send("PUT", "/v1/force/settings/retention", &periods);
    assert_eq!(r.status, 403, "{:?}", r.body);
    let r = force.admin.send(
        "PUT",
        "/v1/force/settings/retention",
        &json!({ "records_days": 100, "audit_days": 90 }),
    );
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_retention");
    let r = force
        .admin
        .send("PUT", "/v1/force/settings/retention", &periods);
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body, periods);
    // The lifecycle job reads them (as the owner), and the change is audited.
    let policies = service::policies(&mut owner).unwrap();
    assert_eq!(
        policies.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
        vec![Retention {
            records_days: 200,
            audit_days: 730
        }]
    );
    assert_eq!(
        count(
            &mut owner,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'set_retention'"
        ),
        1
    );
    // The FRM levels of a force that set only its periods stay the defaults.
    let r = force.frm_lead.get("/v1/force/settings");
    assert_eq!(r.status, 200, "{:?}", r.body);
}
