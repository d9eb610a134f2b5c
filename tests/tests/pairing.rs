//! Second-phone pairing through HTTP (issue 16): an enrolled phone asks for
//! a pairing code, a new phone redeems it at `POST /v1/enrol` and becomes a
//! second device of the same pseudonym; every refusal looks like a bad
//! enrolment code; both phones sync into one consistent record; the first
//! phone learns of the second.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use e2e_tests::*;
use serde_json::{Value, json};

/// The officer's phone asks for a pairing code.
fn pairing_code(phone: &Device) -> Reply {
    phone.client.post("/v1/me/pairing-codes", &json!({}))
}

/// A new phone redeems `code` with force `slug`.
fn redeem(server: &TestServer, slug: &str, code: &Value) -> Reply {
    server
        .client()
        .post("/v1/enrol", &json!({ "force": slug, "code": code }))
}

/// The phone a successful redemption gives.
fn paired(server: &TestServer, r: &Reply) -> Device {
    assert_eq!(r.status, 200, "{:?}", r.body);
    Device {
        client: server
            .client()
            .with_token(r.body["access_token"].as_str().unwrap()),
        device_id: r.body["device_id"].as_str().unwrap().to_owned(),
        refresh_token: r.body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

fn sync(phone: &Device, key: &str, sequence: u64, records: Vec<Value>) -> Reply {
    let r = phone
        .client
        .post("/v1/sync", &batch(phone, key, sequence, records));
    assert_eq!(r.status, 200, "{:?}", r.body);
    r
}

fn statuses(ack: &Reply) -> Vec<&str> {
    ack.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

/// (status, problem code, detail): what a refused code is told.
fn refusal(r: &Reply) -> (u16, String, String) {
    (
        r.status,
        r.code().to_owned(),
        r.body["detail"].as_str().unwrap_or("").to_owned(),
    )
}

#[test]
fn one_officer_two_phones_paired_and_syncing_keep_one_record() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 1);
    let a = enrol(&server, &force, "kent-001");
    let r = a.client.send(
        "PUT",
        "/v1/me/consent",
        &json!({"level": "sleep_and_check_ins"}),
    );
    assert_eq!(r.status, 200);

    let issued = pairing_code(&a);
    assert_eq!(issued.status, 201, "{:?}", issued.body);
    // Valid 10 minutes: expiry in (9, 10] minutes from now.
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(issued.body["expires_at"].clone()).unwrap();
    let left = (expires - chrono::Utc::now()).num_seconds();
    assert!((540..=600).contains(&left), "{left} s");
    let b = paired(&server, &redeem(&server, "kent", &issued.body["code"]));
    assert_ne!(a.device_id, b.device_id);
    // Single use.
    let again = redeem(&server, "kent", &issued.body["code"]);
    assert_eq!((again.status, again.code()), (401, "invalid_credentials"));

    // Each phone lists both devices, oldest first, itself marked.
    for (phone, mine) in [(&a, 0), (&b, 1)] {
        let list = phone.client.get("/v1/me/devices");
        assert_eq!(list.status, 200, "{:?}", list.body);
        let devices = list.body["devices"].as_array().unwrap();
        let ids: Vec<&str> = devices.iter().map(|d| d["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [a.device_id.as_str(), b.device_id.as_str()]);
        let marked: Vec<bool> = devices
            .iter()
            .map(|d| d["this_device"].as_bool().unwrap())
            .collect();
        assert_eq!(marked, [mine == 0, mine == 1]);
    }

    // Both sync, each with its own sequence from 1. A learns that one
    // device is newer than it (B); B that none is.
    let (d1, d2) = (days_ago(1), days_ago(2));
    let ack_a = sync(&a, "a-1", 1, vec![summary(&d2, 420), check_in(&d2, 4)]);
    assert_eq!(statuses(&ack_a), ["stored", "stored"]);
    assert_eq!(
        (
            ack_a.body["cursor"].as_u64(),
            ack_a.body["newer_devices"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let ack_b = sync(&b, "b-1", 1, vec![summary(&d1, 390), check_in(&d1, 6)]);
    assert_eq!(statuses(&ack_b), ["stored", "stored"]);
    assert_eq!(
        (
            ack_b.body["cursor"].as_u64(),
            ack_b.body["newer_devices"].as_u64()
        ),
        (Some(1), Some(0))
    );

    // A replay from either phone is answered from the store, not doubled;
    // the same idempotency key on the other device is that device's own.
    let replay_a = sync(&a, "a-1", 1, vec![summary(&d2, 420), check_in(&d2, 4)]);
    assert_eq!(replay_a.body["replayed"], true);
    assert_eq!(replay_a.body["newer_devices"], 1);
    let replay_b = sync(&b, "b-1", 1, vec![summary(&d1, 390), check_in(&d1, 6)]);
    assert_eq!(replay_b.body["replayed"], true);
    // B sends A's night again under a new key: one person, one natural key,
    // so it is unchanged, not a second copy.
    let dup = sync(&b, "b-2", 2, vec![summary(&d2, 420)]);
    assert_eq!(
        (dup.body["replayed"].as_bool(), statuses(&dup)),
        (Some(false), vec!["unchanged"])
    );
    // B corrects the night A sent: the newer write wins for the person.
    let fix = sync(&b, "b-3", 3, vec![summary(&d2, 435)]);
    assert_eq!(statuses(&fix), ["stored"]);

    // One export from either phone: both devices (cursors 1 and 3), four
    // records (2 summaries + 2 check-ins), the night of d2 as B corrected it.
    let export_a = a.client.get("/v1/me/export").body;
    let export_b = b.client.get("/v1/me/export").body;
    assert_eq!(export_a, export_b);
    let devices: Vec<(&str, u64)> = export_a["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap(),
                d["sync_cursor"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        devices,
        [(a.device_id.as_str(), 1), (b.device_id.as_str(), 3)]
    );
    let records = export_a["records"].as_array().unwrap();
    assert_eq!(records.len(), 4, "{records:?}");
    let night = records
        .iter()
        .find(|r| r["kind"] == "daily_summary" && r["local_date"] == d2.as_str())
        .unwrap();
    assert_eq!(night["sleep_minutes"], 435);
    assert_eq!(export_a["staff_number"], "kent-001");

    // B's refresh token works and stays B's.
    let refreshed = server.client().post(
        "/v1/auth/refresh",
        &json!({ "refresh_token": b.refresh_token }),
    );
    assert_eq!(refreshed.status, 200);
    assert_eq!(refreshed.body["device_id"], b.device_id.as_str());

    // The audit names the pseudonym and the devices, never the staff number.
    let person = export_a["person"]["id"].as_str().unwrap();
    let audit = force.admin.get("/v1/force/audit").body;
    let entries: Vec<(&str, &str, &str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "issue_pairing_code" || e["action"] == "pair_device")
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor_role"].as_str().unwrap(),
                e["actor_id"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
            )
        })
        .collect();
    let target_a = format!("device:{}", a.device_id);
    let target_b = format!("device:{}", b.device_id);
    assert_eq!(
        entries,
        [
            ("pair_device", "officer", person, target_b.as_str()),
            ("issue_pairing_code", "officer", person, target_a.as_str()),
        ]
    );
    assert!(!audit.to_string().contains("kent-001"));
}

#[test]
fn every_refused_code_gets_the_answer_a_bad_enrolment_code_gets() {
    // Ten redemptions below: room above the per-address limit of 10.
    let server = TestServer::start_with(&[("FATIGUE_ENROL_PER_MINUTE", "100")]);
    let kent = setup_force(&server, "kent", 1);
    let essex = setup_force(&server, "essex", 1);
    let officer = enrol(&server, &kent, "kent-001");
    let other = enrol(&server, &essex, "essex-001");
    let bad_enrolment = refusal(&redeem(&server, "kent", &json!("not-a-code")));
    assert_eq!(
        (bad_enrolment.0, bad_enrolment.1.as_str()),
        (401, "invalid_credentials")
    );

    // A wrong pairing code.
    assert_eq!(
        refusal(&redeem(&server, "kent", &json!("AAAAAAAAAAAAAAAA"))),
        bad_enrolment
    );
    // A used one.
    let used = pairing_code(&officer).body["code"].clone();
    paired(&server, &redeem(&server, "kent", &used));
    assert_eq!(refusal(&redeem(&server, "kent", &used)), bad_enrolment);
    // One replaced by a newer code.
    let replaced = pairing_code(&officer).body["code"].clone();
    let newer = pairing_code(&officer).body["code"].clone();
    assert_ne!(replaced, newer);
    assert_eq!(refusal(&redeem(&server, "kent", &replaced)), bad_enrolment);
    // An expired one (its expiry moved into the past, as the owner).
    let mut owner =
        PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap();
    let moved = diesel::sql_query(
        "UPDATE pairing_codes SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
    )
    .execute(&mut owner)
    .unwrap();
    assert_eq!(moved, 1);
    assert_eq!(refusal(&redeem(&server, "kent", &newer)), bad_enrolment);
    // Another force's, named with this force: refused; with its own force
    // the same code works, so the force alone was the reason.
    let essex_code = pairing_code(&other).body["code"].clone();
    assert_eq!(
        refusal(&redeem(&server, "kent", &essex_code)),
        bad_enrolment
    );
    paired(&server, &redeem(&server, "essex", &essex_code));
    // Nothing of the above added a device to the kent officer: one paired.
    let list = officer.client.get("/v1/me/devices").body;
    assert_eq!(list["devices"].as_array().unwrap().len(), 2);

    // Only the person's own device can ask: not a force admin, supervisor
    // or FRM lead (no device, no person).
    for staff in [&kent.admin, &kent.supervisor, &kent.frm_lead] {
        let r = staff.post("/v1/me/pairing-codes", &json!({}));
        assert_eq!((r.status, r.code()), (403, "forbidden"), "{:?}", r.body);
        assert_eq!(staff.get("/v1/me/devices").status, 403);
    }
    assert_eq!(
        server
            .client()
            .post("/v1/me/pairing-codes", &json!({}))
            .status,
        401
    );
}

#[test]
fn pairing_codes_are_rate_limited_per_person_and_die_with_a_withdrawal() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 2);
    let officer = enrol(&server, &force, "kent-001");
    let colleague = enrol(&server, &force, "kent-002");
    // 3 a minute per person: 7 asks fall in at most two minute windows, so
    // one window holds at least 4 and one ask is refused.
    let asks: Vec<u16> = (0..7).map(|_| pairing_code(&officer).status).collect();
    assert!(asks.contains(&429), "{asks:?}");
    assert!(asks.iter().all(|s| *s == 201 || *s == 429), "{asks:?}");
    assert!(asks.iter().filter(|s| **s == 201).count() <= 6, "{asks:?}");
    // Another person's budget is their own.
    assert_eq!(pairing_code(&colleague).status, 201);

    // A live code dies with the person: withdrawal deletes it.
    let code = pairing_code(&colleague).body["code"].clone();
    assert_eq!(colleague.client.delete("/v1/me").status, 204);
    let gone = redeem(&server, "kent", &code);
    assert_eq!((gone.status, gone.code()), (401, "invalid_credentials"));
    // The withdrawn device's token, still unexpired, can neither ask nor list.
    assert_eq!(pairing_code(&colleague).status, 404);
    assert_eq!(colleague.client.get("/v1/me/devices").status, 404);
}

#[test]
fn the_served_openapi_document_has_the_pairing_routes() {
    let server = TestServer::start();
    let doc = server.client().get("/v1/openapi.json").body;
    assert!(doc["paths"]["/v1/me/pairing-codes"]["post"].is_object());
    assert!(doc["paths"]["/v1/me/devices"]["get"].is_object());
    assert_eq!(
        doc["paths"]["/v1/me/devices"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/DeviceList"
    );
}
