//! Group commit of sync batches (`server::sync::service::process`): batches that
//! share a transaction get the answers they would have had alone, and one
//! failing batch costs the others nothing. The groups here are built by hand
//! (the queue forms them only under load), on a real database prepared
//! through the real server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use e2e_tests::*;
use models::sync::{RecordOutcome, SyncAck, SyncBatch};
use serde_json::{Value, json};
use server::error::AppError;
use server::sync::service::{SyncJob, process};
use uuid::Uuid;

/// A force with `n` enrolled phones that share sleep and check-ins.
fn phones(server: &TestServer, slug: &str, n: usize) -> (Force, Vec<Device>) {
    let force = setup_force(server, slug, n);
    let devices = force
        .members
        .iter()
        .map(|staff| {
            let d = enrol(server, &force, staff);
            let r = d.client.send(
                "PUT",
                "/v1/me/consent",
                &json!({ "level": "sleep_and_check_ins" }),
            );
            assert_eq!(r.status, 200);
            d
        })
        .collect();
    (force, devices)
}

#[derive(QueryableByName)]
struct Ids {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    force_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    person_id: Uuid,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn owner(server: &TestServer) -> PgConnection {
    PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap()
}

fn count(c: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(c).unwrap().n
}

/// The job `POST /v1/sync` would queue for this device and body.
fn job(c: &mut PgConnection, device: &Device, body: &Value) -> SyncJob {
    let id = Uuid::parse_str(&device.device_id).unwrap();
    let ids: Ids = diesel::sql_query("SELECT force_id, person_id FROM devices WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(id)
        .get_result(c)
        .unwrap();
    SyncJob {
        force: ids.force_id,
        person: ids.person_id,
        device: id,
        batch: serde_json::from_value::<SyncBatch>(body.clone()).unwrap(),
    }
}

/// A pool on the server's runtime role (row-level security applies).
fn runtime_pool(server: &TestServer) -> server::db::DbPool {
    server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000)
}

fn outcomes(ack: &SyncAck) -> Vec<RecordOutcome> {
    ack.results.iter().map(|r| r.outcome.clone()).collect()
}

#[test]
fn batches_applied_together_get_the_answers_they_would_get_alone() {
    let server = TestServer::start();
    let (_kent, kent) = phones(&server, "kent", 3);
    let (_essex, essex) = phones(&server, "essex", 1);
    let mut db = owner(&server);
    let day = days_ago(3);
    let a1 = batch(
        &kent[0],
        "a-1",
        1,
        vec![summary(&day, 400), check_in(&day, 5)],
    );
    // The same device's next batch, changing its summary: applied after a-1.
    let a2 = batch(&kent[0], "a-2", 2, vec![summary(&day, 460)]);
    let b = batch(&kent[1], "b-1", 7, vec![summary(&day, 420)]);
    // Claims kent[2]'s device for kent[1]'s person: refused as not found.
    let mut forged = job(&mut db, &kent[2], &batch(&kent[2], "c-1", 1, vec![]));
    forged.person = job(&mut db, &kent[1], &b).person;
    // A device that does not exist (withdrawn since its token was issued).
    let mut gone = job(&mut db, &kent[2], &batch(&kent[2], "g-1", 1, vec![]));
    gone.device = Uuid::new_v4();
    let e = batch(&essex[0], "e-1", 1, vec![summary(&day, 380)]);
    // Essex's device claimed under Kent's force (the token's): not found.
    let mut cross = job(&mut db, &essex[0], &batch(&essex[0], "x-1", 2, vec![]));
    cross.force = job(&mut db, &kent[0], &a1).force;
    let jobs = vec![
        job(&mut db, &kent[0], &a1),
        job(&mut db, &kent[1], &b),
        job(&mut db, &kent[0], &a1), // a duplicate delivery in the same group
        forged,
        job(&mut db, &essex[0], &e), // another force, in the same transaction
        gone,
        job(&mut db, &kent[0], &a2),
        cross,
    ];
    let answers = process(&runtime_pool(&server), jobs);
    assert_eq!(answers.len(), 8);
    assert!(
        matches!(answers[7], Err(AppError::NotFound)),
        "{:?}",
        answers[7]
    );
    let ok = |i: usize| -> &SyncAck {
        answers[i]
            .as_ref()
            .unwrap_or_else(|e| panic!("job {i}: {e:?}"))
    };
    use RecordOutcome::Stored;
    assert_eq!(outcomes(ok(0)), [Stored, Stored]);
    assert!(!ok(0).replayed);
    assert_eq!(ok(0).cursor, 1);
    assert_eq!(outcomes(ok(1)), [Stored]);
    assert_eq!(ok(1).cursor, 7);
    // The duplicate is answered as a replay of the first delivery.
    assert!(ok(2).replayed);
    assert_eq!(outcomes(ok(2)), outcomes(ok(0)));
    assert!(
        matches!(answers[3], Err(AppError::NotFound)),
        "{:?}",
        answers[3]
    );
    assert_eq!(outcomes(ok(4)), [Stored]);
    assert!(
        matches!(answers[5], Err(AppError::NotFound)),
        "{:?}",
        answers[5]
    );
    assert_eq!(outcomes(ok(6)), [Stored]);
    assert_eq!(ok(6).cursor, 2);

    // All four applied batches, of both forces, were one transaction (one
    // xmin), not the one-by-one fallback.
    assert_eq!(
        count(
            &mut db,
            "SELECT count(DISTINCT xmin::text) AS n FROM sync_batches"
        ),
        1
    );

    // What is held: kent[0]'s newer summary and its check-in, kent[1]'s and
    // essex's summaries; one batch row per applied batch; the cursors moved.
    let held = kent[0].client.get("/v1/me/export").body["records"].clone();
    let summary_minutes: Vec<i64> = held
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "daily_summary")
        .map(|r| r["sleep_minutes"].as_i64().unwrap())
        .collect();
    assert_eq!(summary_minutes, [460]);
    assert_eq!(count(&mut db, "SELECT count(*) AS n FROM sync_records"), 4);
    assert_eq!(count(&mut db, "SELECT count(*) AS n FROM sync_batches"), 4);
    assert_eq!(
        count(
            &mut db,
            "SELECT sum(sync_cursor)::bigint AS n FROM devices WHERE sync_cursor > 0"
        ),
        2 + 7 + 1
    );

    // Alone, a resent a-1 gets the same answer the group gave its duplicate.
    let again = kent[0].client.post("/v1/sync", &a1);
    assert_eq!(again.status, 200);
    assert_eq!(again.body["replayed"], true);
    assert_eq!(again.body["cursor"], 2);
    assert_eq!(
        again.body["results"],
        serde_json::to_value(&ok(0).results).unwrap()
    );
}

#[test]
fn one_failing_batch_does_not_fail_the_others_of_its_group() {
    let server = TestServer::start();
    let (_kent, kent) = phones(&server, "kent", 3);
    let mut db = owner(&server);
    // A fault only one batch meets, at the last statement of the shared
    // transaction, after every record of the group was written.
    diesel::sql_query(
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.idempotency_key = 'poison' THEN RAISE EXCEPTION 'poisoned batch'; END IF; \
         RETURN NEW; END $$",
    )
    .execute(&mut db)
    .unwrap();
    diesel::sql_query(
        "CREATE TRIGGER poison BEFORE INSERT ON sync_batches FOR EACH ROW EXECUTE FUNCTION poison()",
    )
    .execute(&mut db)
    .unwrap();
    let day = days_ago(1);
    let bodies = [
        batch(&kent[0], "fine-0", 1, vec![summary(&day, 400)]),
        batch(&kent[1], "poison", 1, vec![summary(&day, 410)]),
        batch(&kent[2], "fine-2", 1, vec![summary(&day, 420)]),
    ];
    let jobs = kent
        .iter()
        .zip(&bodies)
        .map(|(d, body)| job(&mut db, d, body))
        .collect();
    let answers = process(&runtime_pool(&server), jobs);
    assert!(answers[0].is_ok(), "{:?}", answers[0]);
    assert!(
        matches!(answers[1], Err(AppError::Internal(_))),
        "{:?}",
        answers[1]
    );
    assert!(answers[2].is_ok(), "{:?}", answers[2]);
    // The failed batch stored nothing, its neighbours everything, once.
    assert_eq!(count(&mut db, "SELECT count(*) AS n FROM sync_records"), 2);
    assert_eq!(count(&mut db, "SELECT count(*) AS n FROM sync_batches"), 2);
    assert!(
        kent[1].client.get("/v1/me/export").body["records"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Once the fault is gone, the phone's retry of the same batch is stored.
    diesel::sql_query("DROP TRIGGER poison ON sync_batches")
        .execute(&mut db)
        .unwrap();
    let retry = kent[1].client.post("/v1/sync", &bodies[1]);
    assert_eq!(retry.status, 200, "{:?}", retry.body);
    assert_eq!(retry.body["replayed"], false);
    assert_eq!(count(&mut db, "SELECT count(*) AS n FROM sync_records"), 3);
}

#[test]
fn many_phones_syncing_at_once_each_get_their_own_answers() {
    // Through HTTP with more phones than sync workers, so batches queue and
    // share transactions; each phone sends 5 batches in order, each twice.
    let server = TestServer::start_with(&[
        ("FATIGUE_SYNC_WORKERS", "1"),
        ("FATIGUE_ENROL_PER_MINUTE", "100"),
    ]);
    let (_kent, kent) = phones(&server, "kent", 12);
    std::thread::scope(|s| {
        for device in &kent {
            s.spawn(move || {
                for seq in 1..=5u64 {
                    let day = days_ago(seq as i64);
                    let body = batch(
                        device,
                        &format!("k-{seq}"),
                        seq,
                        vec![summary(&day, 400 + seq as u32), check_in(&day, 5)],
                    );
                    let first = device.client.post("/v1/sync", &body);
                    assert_eq!(first.status, 200, "{:?}", first.body);
                    assert_eq!(first.body["replayed"], false);
                    assert_eq!(first.body["cursor"], seq);
                    let again = device.client.post("/v1/sync", &body);
                    assert_eq!(again.body["replayed"], true);
                    assert_eq!(again.body["results"], first.body["results"]);
                }
            });
        }
    });
    let mut db = owner(&server);
    assert_eq!(
        count(&mut db, "SELECT count(*) AS n FROM sync_records"),
        12 * 5 * 2
    );
    assert_eq!(
        count(&mut db, "SELECT count(*) AS n FROM sync_batches"),
        12 * 5
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) AS n FROM devices WHERE sync_cursor = 5"
        ),
        12
    );
}

#[test]
fn the_sync_scope_admits_only_the_forces_it_names_and_only_for_sync_tables() {
    // Row-level security through the runtime role, as the sync worker uses
    // it: app.sync_forces names Kent, so Essex's rows stay invisible, and
    // tables other than sync's four admit nothing through it.
    let server = TestServer::start();
    let (_kent, kent) = phones(&server, "kent", 1);
    let (_essex, essex) = phones(&server, "essex", 1);
    for (d, key) in [(&kent[0], "k"), (&essex[0], "e")] {
        let r = d.client.post(
            "/v1/sync",
            &batch(d, key, 1, vec![summary(&days_ago(1), 400)]),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    let mut db = owner(&server);
    let kent_force = job(&mut db, &kent[0], &batch(&kent[0], "q", 9, vec![])).force;
    let mut app = PgConnection::establish(&cluster().cluster.app_url(&server.database)).unwrap();
    let n =
        |c: &mut PgConnection, table: &str| count(c, &format!("SELECT count(*) AS n FROM {table}"));
    app.transaction::<(), diesel::result::Error, _>(|c| {
        for table in [
            "persons",
            "devices",
            "sync_batches",
            "sync_records",
            "staff_links",
            "audit_log",
        ] {
            assert_eq!(n(c, table), 0, "{table} with no scope");
        }
        diesel::sql_query(format!(
            "SELECT set_config('app.sync_forces', '{{{kent_force}}}', true)"
        ))
        .execute(c)?;
        for table in ["persons", "devices", "sync_batches", "sync_records"] {
            assert_eq!(n(c, table), 1, "{table}: Kent's row only");
        }
        for table in [
            "staff_links",
            "enrolment_codes",
            "refresh_tokens",
            "accounts",
        ] {
            assert_eq!(n(c, table), 0, "{table} is not sync's");
        }
        // Another force's device can be neither seen nor updated.
        let err = diesel::sql_query(format!(
            "UPDATE devices SET sync_cursor = 99 WHERE force_id <> '{kent_force}'"
        ))
        .execute(c)?;
        assert_eq!(err, 0, "Essex's device is not even visible");
        Err(diesel::result::Error::RollbackTransaction)
    })
    .unwrap_err();
}

#[test]
fn a_batch_being_applied_holds_its_person_against_a_change_of_consent() {
    let server = TestServer::start();
    let (_force, devices) = phones(&server, "kent", 1);
    let device = &devices[0];
    let mut o = owner(&server);
    let j = job(&mut o, device, &batch(device, "k-hold", 1, vec![]));
    let url = cluster().cluster.app_url(&server.database);
    let (mut syncing, mut consenting) = (
        PgConnection::establish(&url).unwrap(),
        PgConnection::establish(&url).unwrap(),
    );
    // Connection 1 is part-way through a batch: its device lock is taken.
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    AnsiTransactionManager::begin_transaction_sql(
        &mut syncing,
        &format!(
            "BEGIN; SELECT set_config('app.force_id', '{}', true)",
            j.force
        ),
    )
    .unwrap();
    let locked = server::sync::store::lock_devices(&mut syncing, &[(j.force, j.device)]).unwrap();
    assert_eq!(locked.len(), 1);
    // Connection 2 narrows the officer's consent: it must wait for the
    // batch, so no record the batch stores can outlive the narrowing.
    let narrowed = in_force(&mut consenting, j.force, |c| {
        diesel::sql_query("SET LOCAL lock_timeout = '300ms'").execute(c)?;
        server::accounts::store::set_consent(
            c,
            j.force,
            j.person,
            server::accounts::store::Consent::RosterOnly,
        )
    });
    let e = narrowed.unwrap_err();
    assert!(e.to_string().contains("lock timeout"), "{e}");
    AnsiTransactionManager::commit_transaction(&mut syncing).unwrap();
    // Once the batch is done, the change goes through.
    in_force(&mut consenting, j.force, |c| {
        server::accounts::store::set_consent(
            c,
            j.force,
            j.person,
            server::accounts::store::Consent::RosterOnly,
        )
    })
    .unwrap();
}
