//! Forced row-level security with a table owner that is not a superuser, as
//! on a managed PostgreSQL (migration `2026-12-05-000400_force_rls`).
//!
//! As the embedded cluster's superuser: a login role with CREATEROLE (no
//! superuser, no BYPASSRLS) and a database it owns. The server migrates as
//! that role and serves as `fatigue_app`; two forces are seeded through the
//! API. Then:
//! - the owner, with no `app.force_id`, sees no force's rows (before the
//!   migration it saw them all: policies bind an owner only when forced);
//!   scoped to one force it sees that force's, and cannot write another's;
//!   a partition read directly shows it nothing;
//! - the NPWS functions (now owned by `fatigue_npws`) still answer across
//!   forces: the overview, the comparisons, the outcome rows;
//! - the lifecycle round runs as that owner and deletes exactly the rows past
//!   each force's own period, reads each force's periods, and moves rows out
//!   of the default partition into a month it makes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use e2e_tests::*;
use serde_json::{Value, json};
use server::lifecycle::service;
use server::lifecycle::store::{self as lifecycle_store, Partitioned};

/// The non-superuser owner (roles are cluster-wide; the cluster is this test
/// process's own).
const OWNER: &str = "frls_owner";

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

/// The force's id, read as the superuser.
fn force_id(su: &mut PgConnection, slug: &str) -> uuid::Uuid {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    diesel::sql_query("SELECT id FROM forces WHERE slug = $1")
        .bind::<Text, _>(slug)
        .get_result::<Id>(su)
        .unwrap()
        .id
}

/// Enrols every member, shares sleep, syncs last night's summary, and
/// uploads a roster of 7 day shifts each (2 to 8 days ago, 08:00-16:00).
fn seed_force(server: &TestServer, slug: &str, members: usize) -> Force {
    let force = setup_force(server, slug, members);
    let mut csv = String::from("staff_id,start,end\n");
    for staff in &force.members {
        let device = enrol(server, &force, staff);
        let r = device
            .client
            .send("PUT", "/v1/me/consent", &json!({ "level": "sleep" }));
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = device.client.post(
            "/v1/sync",
            &batch(
                &device,
                &format!("k-{staff}"),
                1,
                vec![summary(&days_ago(1), 420)],
            ),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
        for d in 2..=8 {
            csv.push_str(&format!(
                "{staff},{}T08:00,{}T16:00\n",
                days_ago(d),
                days_ago(d)
            ));
        }
    }
    let r = force.admin.post_raw(
        &format!("/v1/teams/{}/roster", force.team),
        &[("content-type", "text/csv")],
        csv.as_bytes(),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    force
}

/// The comparison cell of `row` (a force slug) and `column`.
fn cell<'a>(table: &'a Value, row: &str, column: &str) -> &'a Value {
    let c = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|x| x == column)
        .unwrap_or_else(|| panic!("column {column}"));
    let row = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == json!([row]))
        .unwrap_or_else(|| panic!("row {row}: {table}"));
    &row["cells"][c]
}

#[test]
fn a_non_superuser_owner_is_bound_and_its_maintenance_still_works() {
    let tc = cluster();
    let db = format!("frls_{}", std::process::id());
    let mut su = PgConnection::establish(&tc.cluster.owner_url("postgres")).unwrap();
    su.batch_execute(&format!(
        "DO $$ BEGIN \
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{OWNER}') THEN \
             CREATE ROLE {OWNER} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS; \
           END IF; END $$"
    ))
    .unwrap();
    su.batch_execute(&format!("CREATE DATABASE {db} OWNER {OWNER}"))
        .unwrap();
    let su_url = tc.cluster.owner_url(&db);
    let owner_url = su_url.replacen("postgres://postgres@", &format!("postgres://{OWNER}@"), 1);
    assert_ne!(owner_url, su_url);

    // The server migrates as the owner (and makes the months, and runs its
    // first lifecycle round as it) and serves as fatigue_app.
    let server = TestServer::spawn(
        &tc.cluster.app_url(&db),
        &owner_url,
        db.clone(),
        &[("FATIGUE_ENROL_PER_MINUTE", "1000")],
    );
    let a = seed_force(&server, "frls-a", 6);
    let b = seed_force(&server, "frls-b", 7);
    let mut su = PgConnection::establish(&su_url).unwrap();
    let mut owner = PgConnection::establish(&owner_url).unwrap();
    let (a_id, b_id) = (force_id(&mut su, &a.slug), force_id(&mut su, &b.slug));

    // The owner is who the migrations ran as, and is bound.
    assert_eq!(
        count(
            &mut su,
            "SELECT count(*) AS n FROM pg_class WHERE relname = 'persons' \
             AND relowner = 'frls_owner'::regrole AND relforcerowsecurity"
        ),
        1
    );
    // 6 + 7 people, one summary each: the superuser sees them all; the
    // owner outside any force sees none (it saw 13 and 13 before FORCE).
    assert_eq!(count(&mut su, "SELECT count(*) AS n FROM persons"), 13);
    assert_eq!(count(&mut su, "SELECT count(*) AS n FROM sync_records"), 13);
    for table in [
        "persons",
        "sync_records",
        "accounts",
        "staff_links",
        "shifts",
    ] {
        assert_eq!(
            count(&mut owner, &format!("SELECT count(*) AS n FROM {table}")),
            0,
            "{table} as the owner with no force"
        );
    }
    // Scoped to frls-a: its 6 people and 6 records only.
    let (people, records) = in_force(&mut owner, a_id, |c| {
        Ok::<_, diesel::result::Error>((
            count(c, "SELECT count(*) AS n FROM persons"),
            count(c, "SELECT count(*) AS n FROM sync_records"),
        ))
    })
    .unwrap();
    assert_eq!((people, records), (6, 6));
    // ... and cannot write frls-b's rows.
    let err = in_force(&mut owner, a_id, |c| {
        diesel::sql_query(format!(
            "INSERT INTO persons (force_id, id) VALUES ('{b_id}', gen_random_uuid())"
        ))
        .execute(c)
    })
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    // A month read directly (not through the parent) has no policy: nothing,
    // even scoped. The superuser finds the 13 summaries of yesterday there.
    let yesterday = Utc::now().date_naive() - Duration::days(1);
    let month = format!("sync_records_p{}", yesterday.format("%Y_%m"));
    assert_eq!(
        count(&mut su, &format!("SELECT count(*) AS n FROM {month}")),
        13
    );
    let direct = in_force(&mut owner, a_id, |c| {
        Ok::<_, diesel::result::Error>(count(c, &format!("SELECT count(*) AS n FROM {month}")))
    })
    .unwrap();
    assert_eq!(direct, 0);

    // NPWS across forces, through fatigue_npws's functions.
    let r = server.admin().post(
        "/v1/admin/analysts",
        &json!({ "username": "analyst", "password": PASSWORD }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let analyst = server.client().login(None, "analyst", PASSWORD);
    let r = analyst.get("/v1/npws/overview");
    assert_eq!(r.status, 200, "{:?}", r.body);
    let enrolled: Vec<(String, Value)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["force_slug"].as_str().unwrap().to_owned(),
                f["enrolled"].clone(),
            )
        })
        .collect();
    assert_eq!(
        enrolled,
        vec![
            ("frls-a".to_owned(), json!(6)),
            ("frls-b".to_owned(), json!(7))
        ]
    );
    // Each person has 7 shifts in the 14 days to yesterday: all 13 counted,
    // 6 and 7 by force (both at least 5, so published).
    let q = format!("from={}&to={}", days_ago(14), days_ago(1));
    let r = analyst.get(&format!("/v1/npws/comparisons?{q}&by=force"));
    assert_eq!(r.status, 200, "{:?}", r.body);
    let table = &r.body["table"];
    let total = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == json!([]))
        .unwrap();
    let people_col = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|x| x == "people")
        .unwrap();
    assert_eq!(total["cells"][people_col]["value"], "13");
    assert_eq!(cell(table, "frls-a", "people")["value"], "6");
    assert_eq!(cell(table, "frls-b", "people")["value"], "7");
    // The evaluation's functions, called as the serving role outside any
    // force: 13 people enrolled by today, one month; the roster rows of
    // the 11 days to today (every shift is 2 to 8 days ago) from both
    // forces; no sickness rows, no error.
    let mut app = PgConnection::establish(&tc.cluster.app_url(&db)).unwrap();
    assert_eq!(
        count(
            &mut app,
            "SELECT count(*) AS n FROM npws_person_outcomes(ARRAY[current_date - 27], ARRAY[current_date])"
        ),
        13
    );
    assert_eq!(
        count(
            &mut app,
            "SELECT count(DISTINCT force_slug) AS n FROM npws_roster_months(ARRAY[current_date - 10], ARRAY[current_date]) WHERE shifts > 0"
        ),
        2
    );
    assert_eq!(
        count(
            &mut app,
            "SELECT count(*) AS n FROM npws_sickness(current_date - 90, current_date)"
        ),
        0
    );
    drop(server);

    // Retention as the owner, on a controlled clock (the server is stopped,
    // so its own daily round cannot take the lock): frls-a on the defaults
    // (records 400 days, audit 2,192), frls-b with 200 and 730 (its settings
    // row written as the superuser, as the other old rows are). At 2027-03-15T12:00Z
    // the cutoffs are (hand-worked in server::lifecycle::service's unit
    // tests): records 2026-02-08 (a), 2026-08-27 (b); audit
    // 2021-03-14T12:00 (a and national), 2025-03-15T12:00 (b).
    su.batch_execute(&format!(
        "SET TIME ZONE 'UTC';
         INSERT INTO force_settings (force_id, limits, updated_by, records_retention_days, audit_retention_days)
           VALUES ('{b_id}', '{{}}', gen_random_uuid(), 200, 730);
         CREATE TEMP TABLE one AS SELECT DISTINCT ON (force_id) force_id, person_id, id AS device_id
           FROM devices ORDER BY force_id, id;
         INSERT INTO sync_records (force_id, person_id, local_date, kind, discriminator, payload, device_id, source_sequence)
           SELECT o.force_id, o.person_id, s.day::date, 'learning_progress', s.label, '{{}}', o.device_id, 9
           FROM one o JOIN (VALUES
             ('{a_id}'::uuid, 'a-2025-06', '2025-06-10'), ('{a_id}'::uuid, 'a-out', '2026-02-07'),
             ('{a_id}'::uuid, 'a-in', '2026-02-08'), ('{b_id}'::uuid, 'b-out', '2026-08-26'),
             ('{b_id}'::uuid, 'b-in', '2026-08-27')) AS s (force_id, label, day) USING (force_id);
         INSERT INTO audit_log (force_id, actor_role, actor_id, action, target, at) VALUES
           ('{a_id}', 'force_admin', gen_random_uuid(), 'test', 'a-ancient', '2021-03-14T11:00Z'),
           ('{a_id}', 'force_admin', gen_random_uuid(), 'test', 'a-2024', '2024-01-01T00:00Z'),
           ('{b_id}', 'force_admin', gen_random_uuid(), 'test', 'b-2025-03', '2025-03-15T11:00Z'),
           ('{b_id}', 'force_admin', gen_random_uuid(), 'test', 'b-2025-04', '2025-04-01T00:00Z'),
           (NULL, 'npws_analyst', gen_random_uuid(), 'test', 'n-ancient', '2021-03-01T00:00Z'),
           (NULL, 'npws_analyst', gen_random_uuid(), 'test', 'n-2024', '2024-01-01T00:00Z');"
    ))
    .unwrap();
    // June 2025 was not made (the migration made months from 400 days back):
    // its row waits in the default partition until the owner makes the
    // month, which moves it there although the default is forced.
    let where_june = "SELECT tableoid::regclass::text AS label FROM sync_records \
                      WHERE discriminator = 'a-2025-06'";
    assert_eq!(labels(&mut su, where_june), set(&["sync_records_default"]));
    let june = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let made =
        lifecycle_store::ensure_months(&mut owner, Partitioned::SyncRecords, june, june).unwrap();
    assert_eq!(made, 1);
    assert_eq!(labels(&mut su, where_june), set(&["sync_records_p2025_06"]));
    assert_eq!(
        count(
            &mut su,
            "SELECT count(*) AS n FROM pg_class WHERE relname = 'sync_records_p2025_06' \
             AND relrowsecurity AND relforcerowsecurity"
        ),
        1
    );

    let now = DateTime::parse_from_rfc3339("2027-03-15T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let round = service::run(&mut owner, now).unwrap().unwrap();
    // June 2025 ends before the earliest cutoff (a's 2026-02-08): dropped.
    assert!(
        round.dropped.contains(&"sync_records_p2025_06".to_owned()),
        "{:?}",
        round.dropped
    );
    // Deleted: a-out and b-out (each a day before its own force's cutoff;
    // b-out is inside a's period, so only b's 200 days, read in b's scope,
    // removes it); no batch (all applied today); of the audit, a-ancient,
    // b-2025-03 and the national n-ancient.
    assert_eq!(
        round.deleted,
        vec![("sync_records", 2), ("sync_batches", 0), ("audit_log", 3)]
    );
    assert_eq!(
        labels(
            &mut su,
            "SELECT discriminator AS label FROM sync_records WHERE kind = 'learning_progress'"
        ),
        set(&["a-in", "b-in"])
    );
    assert_eq!(
        labels(
            &mut su,
            "SELECT target AS label FROM audit_log WHERE action = 'test'"
        ),
        set(&["a-2024", "b-2025-04", "n-2024"])
    );
    // Yesterday's 13 summaries and 13 batches stay.
    assert_eq!(
        count(
            &mut su,
            "SELECT count(*) AS n FROM sync_records WHERE kind = 'daily_summary'"
        ),
        13
    );
    assert_eq!(count(&mut su, "SELECT count(*) AS n FROM sync_batches"), 13);

    drop((owner, app, su));
    let mut su = PgConnection::establish(&tc.cluster.owner_url("postgres")).unwrap();
    su.batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .unwrap();
}
