//! `POST /v1/sync`: idempotency, ordering, partial failure, consent, limits,
//! gzip; and the officer's consent, export and withdrawal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use e2e_tests::*;
use serde_json::{Value, json};

fn statuses(ack: &Value) -> Vec<String> {
    ack["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect()
}

fn records_held(device: &Device) -> Vec<Value> {
    device.client.get("/v1/me/export").body["records"]
        .as_array()
        .unwrap()
        .clone()
}

fn consented_device(server: &TestServer, level: &str) -> (Force, Device) {
    let force = setup_force(server, "kent", 1);
    let device = enrol(server, &force, "kent-001");
    let r = device
        .client
        .send("PUT", "/v1/me/consent", &json!({ "level": level }));
    assert_eq!(r.status, 200);
    (force, device)
}

#[test]
fn a_batch_is_stored_once_and_a_replay_changes_nothing() {
    let server = TestServer::start();
    let (_f, device) = consented_device(&server, "sleep_and_check_ins");
    let body = batch(
        &device,
        "k-1",
        1,
        vec![summary(&days_ago(2), 420), check_in(&days_ago(2), 6)],
    );
    let first = device.client.post("/v1/sync", &body);
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(statuses(&first.body), ["stored", "stored"]);
    assert_eq!(first.body["cursor"], 1);
    assert_eq!(first.body["replayed"], false);
    let replay = device.client.post("/v1/sync", &body);
    assert_eq!(replay.body["replayed"], true);
    assert_eq!(replay.body["results"], first.body["results"]);
    // The same records under a new key: nothing new is written.
    let dup = device.client.post(
        "/v1/sync",
        &batch(&device, "k-2", 2, vec![summary(&days_ago(2), 420)]),
    );
    assert_eq!(statuses(&dup.body), ["unchanged"]);
    assert_eq!(records_held(&device).len(), 2);
}

#[test]
fn a_bad_record_is_reported_and_the_rest_stored() {
    let server = TestServer::start();
    let (_f, device) = consented_device(&server, "sleep");
    let mut unrounded = summary(&days_ago(3), 400);
    unrounded["main_sleep_start"] = json!(format!("{}T23:07:00Z", days_ago(4)));
    let mut out_of_range = summary(&days_ago(4), 400);
    out_of_range["sleep_minutes"] = json!(2000);
    let body = batch(
        &device,
        "k-p",
        1,
        vec![
            summary(&days_ago(1), 450),
            unrounded,
            out_of_range,
            check_in(&days_ago(1), 5),
            summary(
                &chrono::Utc::now()
                    .date_naive()
                    .checked_add_days(chrono::Days::new(30))
                    .unwrap()
                    .to_string(),
                400,
            ),
            json!({"kind":"learning_progress","local_date":days_ago(1),"module_id":"sleep-101","completed":true}),
        ],
    );
    let r = device.client.post("/v1/sync", &body);
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        statuses(&r.body),
        [
            "stored", "rejected", "rejected", "rejected", "rejected", "stored"
        ]
    );
    let codes: Vec<&str> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "not_rounded",
            "out_of_range",
            "not_consented",
            "future_date"
        ]
    );
    assert_eq!(records_held(&device).len(), 2);
}

#[test]
fn out_of_order_delivery_and_clock_skew_converge_on_the_newest() {
    let server = TestServer::start();
    let (_f, device) = consented_device(&server, "sleep");
    let day = days_ago(5);
    // Sequence 2 (newer content) arrives before sequence 1; the phone's clock
    // says the batches were built three days in the future.
    let mut newer = batch(&device, "k-b", 2, vec![summary(&day, 480)]);
    newer["created_at"] = json!(chrono::Utc::now() + chrono::Duration::days(3));
    let older = batch(&device, "k-a", 1, vec![summary(&day, 300)]);
    let r2 = device.client.post("/v1/sync", &newer);
    assert_eq!(statuses(&r2.body), ["stored"]);
    let r1 = device.client.post("/v1/sync", &older);
    assert_eq!(statuses(&r1.body), ["unchanged"]);
    assert_eq!(r1.body["cursor"], 2, "the cursor never goes back");
    let held = records_held(&device);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["sleep_minutes"], 480);
    // A later correction from the same device does replace it.
    let r3 = device.client.post(
        "/v1/sync",
        &batch(&device, "k-c", 3, vec![summary(&day, 460)]),
    );
    assert_eq!(statuses(&r3.body), ["stored"]);
    assert_eq!(records_held(&device)[0]["sleep_minutes"], 460);
}

#[test]
fn ninety_days_offline_catch_up_in_a_few_calls() {
    let server = TestServer::start();
    let (_f, device) = consented_device(&server, "sleep_and_check_ins");
    let records: Vec<Value> = (1..=90)
        .flat_map(|d| [summary(&days_ago(d), 420), check_in(&days_ago(d), 4)])
        .collect();
    let mut calls = 0;
    for (i, chunk) in records.chunks(100).enumerate() {
        let r = device.client.post(
            "/v1/sync",
            &batch(&device, &format!("c-{i}"), i as u64 + 1, chunk.to_vec()),
        );
        assert_eq!(r.status, 200);
        assert!(statuses(&r.body).iter().all(|s| s == "stored"));
        calls += 1;
    }
    assert!(calls <= 2 * records.len().div_ceil(500) + 1);
    assert_eq!(records_held(&device).len(), 180);
}

#[test]
fn limits_schema_version_device_and_gzip() {
    let server = TestServer::start();
    let (_f, device) = consented_device(&server, "sleep");
    let too_many: Vec<Value> = (0..501).map(|_| summary(&days_ago(1), 400)).collect();
    let r = device
        .client
        .post("/v1/sync", &batch(&device, "big", 1, too_many));
    assert_eq!((r.status, r.code()), (413, "payload_too_large"));
    let mut v2 = batch(&device, "v2", 1, vec![]);
    v2["schema_version"] = json!(2);
    assert_eq!(
        device.client.post("/v1/sync", &v2).code(),
        "unsupported_schema_version"
    );
    let mut other = batch(&device, "o", 1, vec![]);
    other["device_id"] = json!("00000000-0000-0000-0000-000000000000");
    assert_eq!(
        device.client.post("/v1/sync", &other).code(),
        "device_mismatch"
    );
    let mut smuggled = batch(&device, "s", 1, vec![]);
    smuggled["name"] = json!("PC Smith");
    assert_eq!(
        device.client.post("/v1/sync", &smuggled).code(),
        "invalid_body"
    );

    let body =
        serde_json::to_vec(&batch(&device, "gz", 1, vec![summary(&days_ago(1), 400)])).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&body).unwrap();
    let gz = enc.finish().unwrap();
    let r = device.client.post_raw(
        "/v1/sync",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        &gz,
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(statuses(&r.body), ["stored"]);
}

#[test]
fn consent_changes_export_and_withdrawal() {
    let server = TestServer::start();
    let (force, device) = consented_device(&server, "sleep_and_check_ins");
    device.client.post(
        "/v1/sync",
        &batch(
            &device,
            "e",
            1,
            vec![summary(&days_ago(1), 400), check_in(&days_ago(1), 3)],
        ),
    );
    let export = device.client.get("/v1/me/export");
    assert_eq!(export.body["staff_number"], "kent-001");
    assert_eq!(export.body["records"].as_array().unwrap().len(), 2);
    assert_eq!(export.body["person"]["consent"], "sleep_and_check_ins");
    // Narrowing consent deletes what it no longer covers.
    let r = device
        .client
        .send("PUT", "/v1/me/consent", &json!({"level":"sleep"}));
    assert_eq!(r.body["records_deleted"], 1);
    let r = device
        .client
        .send("PUT", "/v1/me/consent", &json!({"level":"everything"}));
    assert_eq!(r.status, 422);
    // Withdrawal deletes the person and everything linked; the token no longer reaches anything.
    assert_eq!(device.client.delete("/v1/me").status, 204);
    assert_eq!(device.client.get("/v1/me/export").status, 404);
    assert_eq!(
        device
            .client
            .post("/v1/sync", &batch(&device, "after", 2, vec![]))
            .status,
        404
    );
    assert_eq!(
        server
            .client()
            .post(
                "/v1/auth/refresh",
                &json!({"refresh_token": device.refresh_token})
            )
            .status,
        401
    );
    // Enrolling again gives a new pseudonym with nothing attached.
    let again = enrol(&server, &force, "kent-001");
    assert_eq!(
        again.client.get("/v1/me/export").body["records"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn a_key_repeated_within_a_batch_applies_in_batch_order() {
    let server = TestServer::start();
    let (_f, device) = consented_device(&server, "sleep_and_check_ins");
    let day = days_ago(6);
    let r = device.client.post(
        "/v1/sync",
        &batch(
            &device,
            "k-rep",
            1,
            vec![
                summary(&day, 420),
                check_in(&day, 3),
                summary(&day, 435),
                summary(&day, 435),
                check_in(&day, 7),
            ],
        ),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    // As if each record were applied on its own, in order: the second copy
    // of a key overwrites the first, an identical third changes nothing.
    assert_eq!(
        statuses(&r.body),
        ["stored", "stored", "stored", "unchanged", "stored"]
    );
    let held = records_held(&device);
    assert_eq!(held.len(), 2, "{held:?}");
    let summary_held = held.iter().find(|r| r["kind"] == "daily_summary").unwrap();
    assert_eq!(summary_held["sleep_minutes"], 435);
    let check_in_held = held.iter().find(|r| r["kind"] == "check_in").unwrap();
    assert_eq!(check_in_held["value"], 7);
}

#[test]
fn the_same_batch_sent_concurrently_is_applied_once() {
    let server = TestServer::start();
    let (_f, device) = consented_device(&server, "sleep_and_check_ins");
    let body = batch(
        &device,
        "k-race",
        1,
        vec![summary(&days_ago(2), 400), check_in(&days_ago(2), 5)],
    );
    let replies: Vec<Reply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| s.spawn(|| device.client.post("/v1/sync", &body)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(replies.iter().all(|r| r.status == 200), "{replies:?}");
    let first: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.body["replayed"] == false)
        .collect();
    assert_eq!(
        first.len(),
        1,
        "exactly one delivery is applied: {replies:?}"
    );
    for r in &replies {
        assert_eq!(r.body["results"], first[0].body["results"]);
        assert_eq!(r.body["cursor"], 1);
    }
    assert_eq!(statuses(&first[0].body), ["stored", "stored"]);
    assert_eq!(records_held(&device).len(), 2);
}

/// The `$ref` target's schema in the document's components.
fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let s = &doc["components"]["schemas"][name];
    assert!(s.is_object(), "no schema {name} in the served document");
    s
}

/// The `kind` an alternative of a tagged union is tagged with.
fn tag_of(alternative: &Value) -> Option<String> {
    if let Some(kind) = alternative["properties"]["kind"]["enum"][0].as_str() {
        return Some(kind.to_owned());
    }
    alternative["allOf"].as_array()?.iter().find_map(tag_of)
}

/// Property names of an object schema, following `allOf` parts.
fn property_names(doc: &Value, s: &Value) -> Vec<String> {
    let mut names: Vec<String> = s["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in s["allOf"].as_array().into_iter().flatten() {
        let part = match part["$ref"].as_str() {
            Some(r) => schema(doc, r.trim_start_matches("#/components/schemas/")),
            None => part,
        };
        names.extend(property_names(doc, part));
    }
    names.sort();
    names
}

#[test]
fn the_served_openapi_document_describes_sync_requests_and_answers() {
    let server = TestServer::start();
    let doc = server.client().get("/v1/openapi.json").body;
    let op = &doc["paths"]["/v1/sync"]["post"];
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/SyncBatch"
    );
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/SyncAck"
    );
    let batch_schema = schema(&doc, "SyncBatch");
    assert_eq!(
        property_names(&doc, batch_schema),
        [
            "created_at",
            "device_id",
            "idempotency_key",
            "records",
            "schema_version",
            "sequence"
        ]
    );
    assert_eq!(
        batch_schema["properties"]["records"]["items"]["$ref"],
        "#/components/schemas/SyncRecord"
    );
    assert_eq!(
        property_names(&doc, schema(&doc, "SyncAck")),
        [
            "cursor",
            "idempotency_key",
            "newer_devices",
            "replayed",
            "results"
        ]
    );
    // Each record kind is one alternative, tagged by `kind`.
    let alternatives = schema(&doc, "SyncRecord")["oneOf"]
        .as_array()
        .expect("SyncRecord is a oneOf");
    let mut kinds: Vec<String> = alternatives.iter().filter_map(tag_of).collect();
    kinds.sort();
    assert_eq!(kinds, ["check_in", "daily_summary", "learning_progress"]);
    let summary_fields = property_names(&doc, schema(&doc, "DailySummary"));
    for field in [
        "local_date",
        "main_sleep_start",
        "main_sleep_end",
        "sleep_minutes",
        "sleep_debt_minutes",
        "recovery_score",
        "recovery_band",
        "hrv_deviation_sd",
        "resting_hr_deviation_bpm",
    ] {
        assert!(summary_fields.iter().any(|f| f == field), "{field}");
    }
    assert_eq!(
        property_names(&doc, schema(&doc, "CheckInRecord")),
        ["context", "local_date", "scale", "taken_at", "value"]
    );
    // A result carries its index and, flattened in, the outcome's status.
    let result_fields = property_names(&doc, schema(&doc, "RecordResult"));
    assert!(
        result_fields.iter().any(|f| f == "index"),
        "{result_fields:?}"
    );
    let outcome = serde_json::to_string(schema(&doc, "RecordOutcome")).unwrap();
    for status in ["stored", "unchanged", "rejected"] {
        assert!(outcome.contains(status), "{status} in {outcome}");
    }
    // The phone's other bodies, from models::api.
    let enrol = &doc["paths"]["/v1/enrol"]["post"];
    assert_eq!(
        enrol["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/EnrolRequest"
    );
    assert_eq!(
        property_names(&doc, schema(&doc, "SessionTokens")),
        [
            "access_token",
            "device_id",
            "expires_in",
            "refresh_token",
            "token_type"
        ]
    );
    assert_eq!(property_names(&doc, schema(&doc, "ConsentBody")), ["level"]);
}

#[test]
fn a_record_dated_where_no_database_can_hold_it_is_refused_alone() {
    let server = TestServer::start();
    let (_f, device) = consented_device(&server, "sleep");
    let mut ancient = summary(&days_ago(2), 400);
    ancient["local_date"] = json!("-5000-01-01");
    ancient["main_sleep_start"] = Value::Null;
    ancient["main_sleep_end"] = Value::Null;
    let r = device.client.post(
        "/v1/sync",
        &batch(
            &device,
            "k-old",
            1,
            vec![ancient, summary(&days_ago(1), 450)],
        ),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(statuses(&r.body), ["rejected", "stored"]);
    assert_eq!(r.body["results"][0]["code"], "out_of_range");
    assert_eq!(records_held(&device).len(), 1);
}
