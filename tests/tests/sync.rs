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
