//! Sign-in, tokens (JWT EdDSA with kid, JWKS, rotation), enrolment, refresh,
//! rate limits, health and the problem-details format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use e2e_tests::*;
use serde_json::{Value, json};

fn sign_with_server_key(server: &TestServer, claims: &Value) -> String {
    #[derive(QueryableByName)]
    struct Key {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kid: String,
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        private_pkcs8: Vec<u8>,
    }
    let mut c = PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap();
    let key: Key = diesel::sql_query(
        "SELECT kid, private_pkcs8 FROM signing_keys ORDER BY created_at DESC LIMIT 1",
    )
    .get_result(&mut c)
    .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(key.kid);
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_ed_der(&key.private_pkcs8),
    )
    .unwrap()
}

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[test]
fn health_ready_and_problem_details() {
    let server = TestServer::start();
    let c = server.client();
    assert_eq!(c.get("/health").status, 200);
    assert_eq!(c.get("/ready").body["status"], "ready");
    let r = c.get("/v1/no-such-thing");
    assert_eq!(r.status, 404);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.code(), "not_found");
    assert_eq!(r.body["status"], 404);
    let r = c.post_raw(
        "/v1/auth/login",
        &[("content-type", "application/json")],
        b"{not json",
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "invalid_body");
}

#[test]
fn tokens_are_eddsa_with_kid_short_lived_and_checked() {
    let server = TestServer::start();
    let admin = server.admin();
    let token = admin.token.clone().unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    let jwks = server.client().get("/.well-known/jwks.json");
    assert_eq!(jwks.body["keys"][0]["kid"], header["kid"]);
    assert_eq!(jwks.body["keys"][0]["crv"], "Ed25519");
    let claims = payload(&token);
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!(lifetime > 0 && lifetime <= 15 * 60, "{lifetime}");

    // A valid token works; each forgery below is refused with 401.
    assert_eq!(
        admin
            .post(
                "/v1/admin/analysts",
                &json!({"username":"a1","password":PASSWORD})
            )
            .status,
        201
    );
    let forged = |t: &str| {
        server
            .client()
            .with_token(t)
            .post("/v1/admin/keys/rotate", &json!({}))
    };

    let mut tampered = claims.clone();
    tampered["role"] = json!("platform_admin");
    tampered["sub"] = json!("00000000-0000-0000-0000-000000000001");
    let parts: Vec<&str> = token.split('.').collect();
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&tampered).unwrap());
    let r = forged(&format!("{}.{}.{}", parts[0], body, parts[2]));
    assert_eq!((r.status, r.code()), (401, "unauthenticated"));

    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    assert_eq!(forged(&format!("{none_header}.{}.", parts[1])).status, 401);
    let hs_header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"HS256","kid":{}}}"#, header["kid"]));
    assert_eq!(
        forged(&format!("{hs_header}.{}.{}", parts[1], parts[2])).status,
        401
    );

    let mut expired = claims.clone();
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    assert_eq!(forged(&sign_with_server_key(&server, &expired)).status, 401);
    let mut wrong_aud = claims.clone();
    wrong_aud["aud"] = json!("someone-else");
    assert_eq!(
        forged(&sign_with_server_key(&server, &wrong_aud)).status,
        401
    );
    let mut wrong_iss = claims.clone();
    wrong_iss["iss"] = json!("evil");
    assert_eq!(
        forged(&sign_with_server_key(&server, &wrong_iss)).status,
        401
    );
    // The same claims signed by the real key are accepted: the refusals above
    // came from the changed claim, not from the test's signing.
    assert_eq!(forged(&sign_with_server_key(&server, &claims)).status, 200);
    assert_eq!(
        server
            .client()
            .with_token("garbage")
            .get("/v1/teams")
            .status,
        401
    );
    assert_eq!(server.client().get("/v1/teams").status, 401);
}

#[test]
fn key_rotation_publishes_the_new_key_and_keeps_old_tokens_valid() {
    let server = TestServer::start();
    let admin = server.admin();
    let old_kid = server.client().get("/.well-known/jwks.json").body["keys"][0]["kid"].clone();
    let r = admin.post("/v1/admin/keys/rotate", &json!({}));
    assert_eq!(r.status, 200);
    let new_kid = r.body["kid"].clone();
    assert_ne!(new_kid, old_kid);
    let jwks = server.client().get("/.well-known/jwks.json").body;
    let kids: Vec<&Value> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["kid"])
        .collect();
    assert!(kids.contains(&&old_kid) && kids.contains(&&new_kid));
    // The token signed with the old key still works; a new sign-in uses the new key.
    assert_eq!(
        admin
            .post(
                "/v1/admin/analysts",
                &json!({"username":"a2","password":PASSWORD})
            )
            .status,
        201
    );
    let fresh = server.admin().token.unwrap();
    let h: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(fresh.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(h["kid"], new_kid);
}

#[test]
fn sign_in_failures_and_rate_limit() {
    let server = TestServer::start_with(&[("FATIGUE_SIGN_IN_PER_MINUTE", "3")]);
    let c = server.client();
    let bad = c.post(
        "/v1/auth/login",
        &json!({"username":"admin","password":"wrong"}),
    );
    assert_eq!((bad.status, bad.code()), (401, "invalid_credentials"));
    let unknown_force = c.post(
        "/v1/auth/login",
        &json!({"force":"nope","username":"admin","password":"x"}),
    );
    assert_eq!(unknown_force.status, 401);
    for _ in 0..2 {
        c.post(
            "/v1/auth/login",
            &json!({"username":"admin","password":"wrong"}),
        );
    }
    // The 4th attempt for this username in the minute is refused, even with the right password.
    let r = c.post(
        "/v1/auth/login",
        &json!({"username":"admin","password":ADMIN_PASSWORD}),
    );
    assert_eq!((r.status, r.code()), (429, "rate_limited"));
}

#[test]
fn enrolment_codes_are_single_use_and_refresh_tokens_rotate() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 2);
    let code = force.admin.post(
        "/v1/force/enrolment-codes",
        &json!({"staff_number":"kent-001"}),
    );
    let body = json!({"force":"kent","code":code.body["code"]});
    let first = server.client().post("/v1/enrol", &body);
    assert_eq!(first.status, 200);
    let again = server.client().post("/v1/enrol", &body);
    assert_eq!((again.status, again.code()), (401, "invalid_credentials"));
    let wrong_force = server.client().post(
        "/v1/enrol",
        &json!({"force":"other","code":code.body["code"]}),
    );
    assert_eq!(wrong_force.status, 401);

    let rt = first.body["refresh_token"].as_str().unwrap();
    let r1 = server
        .client()
        .post("/v1/auth/refresh", &json!({"refresh_token": rt}));
    assert_eq!(r1.status, 200);
    let rt2 = r1.body["refresh_token"].as_str().unwrap();
    assert_ne!(rt, rt2);
    let officer = server
        .client()
        .with_token(r1.body["access_token"].as_str().unwrap());
    assert_eq!(officer.get("/v1/me/consent").body["level"], "roster_only");
    // Reusing a spent token is refused and revokes the device's newer token too.
    assert_eq!(
        server
            .client()
            .post("/v1/auth/refresh", &json!({"refresh_token": rt}))
            .status,
        401
    );
    assert_eq!(
        server
            .client()
            .post("/v1/auth/refresh", &json!({"refresh_token": rt2}))
            .status,
        401
    );
    assert_eq!(
        server
            .client()
            .post("/v1/auth/refresh", &json!({"refresh_token": "x.y"}))
            .status,
        401
    );
}

#[test]
fn enrolment_is_rate_limited_per_address() {
    let server = TestServer::start_with(&[("FATIGUE_ENROL_PER_MINUTE", "2")]);
    let c = server.client();
    let body = json!({"force":"none","code":"guess"});
    assert_eq!(c.post("/v1/enrol", &body).status, 401);
    assert_eq!(c.post("/v1/enrol", &body).status, 401);
    assert_eq!(c.post("/v1/enrol", &body).code(), "rate_limited");
}

#[test]
fn the_openapi_document_lists_every_route() {
    let server = TestServer::start();
    let doc = server.client().get("/v1/openapi.json").body;
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/health",
        "/ready",
        "/.well-known/jwks.json",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/enrol",
        "/v1/sync",
        "/v1/me/consent",
        "/v1/me/export",
        "/v1/me",
        "/v1/teams/{team}/risk",
        "/v1/teams/{team}/risk/what-if",
        "/v1/teams/{team}/roster",
        "/v1/teams/{team}/wellbeing",
        "/v1/npws/overview",
        "/v1/admin/forces",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
}

#[test]
fn a_force_admin_cannot_take_over_an_enrolled_officer_with_a_new_code() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 2);
    // Two codes issued before the officer enrols: the second would have
    // attached a new device to the officer's pseudonym.
    let issue = || {
        force.admin.post(
            "/v1/force/enrolment-codes",
            &json!({"staff_number":"kent-001"}),
        )
    };
    let (first, spare) = (issue(), issue());
    assert_eq!((first.status, spare.status), (201, 201));
    let phone = server.client().post(
        "/v1/enrol",
        &json!({"force":"kent","code":first.body["code"]}),
    );
    assert_eq!(phone.status, 200);
    // A code held back from before the enrolment attaches nothing.
    let takeover = server.client().post(
        "/v1/enrol",
        &json!({"force":"kent","code":spare.body["code"]}),
    );
    assert_eq!(
        (takeover.status, takeover.code()),
        (409, "already_enrolled")
    );
    assert!(takeover.body.get("access_token").is_none());
    // And no new code is issued for an enrolled staff number.
    let refused = issue();
    assert_eq!((refused.status, refused.code()), (409, "already_enrolled"));
    // The officer still has exactly one device.
    let officer = server
        .client()
        .with_token(phone.body["access_token"].as_str().unwrap());
    let export = officer.get("/v1/me/export");
    assert_eq!(export.body["devices"].as_array().unwrap().len(), 1);
    // The audit names the staff number only by its hash.
    let audit = force.admin.get("/v1/force/audit").body;
    let targets: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "issue_enrolment_code")
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert!(targets.len() >= 2, "{targets:?}");
    for t in targets {
        assert!(t.starts_with("staff:") && !t.contains("kent-001"), "{t}");
        assert_eq!(t.len(), "staff:".len() + 64, "{t}");
    }
}

#[test]
fn accounts_teams_membership_and_supervisors_are_audited_with_their_targets() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 2);
    let log = force.admin.get("/v1/force/audit").body;
    let entries: Vec<(String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let has = |action: &str, prefix: &str| {
        entries
            .iter()
            .filter(|(a, t)| a == action && t.starts_with(prefix))
            .count()
    };
    // The force admin (by the platform admin), the supervisor and the FRM lead.
    assert_eq!(has("create_account", "account:"), 3, "{entries:?}");
    let team = format!("team:{}", force.team);
    assert_eq!(has("create_team", &team), 1, "{entries:?}");
    assert_eq!(has("set_team_members", &team), 1, "{entries:?}");
    assert_eq!(
        has("add_supervisor", &format!("{team}/account:")),
        1,
        "{entries:?}"
    );
}

#[test]
fn sign_ins_are_audited_and_a_what_if_is_bounded() {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 2);
    // setup_force signed in the force admin, the supervisor and the FRM lead.
    let log = force.admin.get("/v1/force/audit").body;
    let sign_ins = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "sign_in")
        .count();
    assert_eq!(sign_ins, 3, "{log}");
    // A wrong password is not a sign-in.
    let r = server.client().post(
        "/v1/auth/login",
        &json!({"force":"kent","username":"chief","password":"wrong-password-here"}),
    );
    assert_eq!(r.status, 401);
    let again = force.admin.get("/v1/force/audit").body;
    let after = again
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "sign_in")
        .count();
    assert_eq!(after, 3);

    let many: Vec<serde_json::Value> = (0..63)
        .map(|i| json!({"start": format!("2030-01-{:02}T07:00:00Z", i % 28 + 1), "end": format!("2030-01-{:02}T17:00:00Z", i % 28 + 1)}))
        .collect();
    let r = force.supervisor.post(
        &format!("/v1/teams/{}/risk/what-if", force.team),
        &json!({"staff_number":"kent-001","from":"2030-01-01","to":"2030-01-28","add": many}),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_shift"), "{:?}", r.body);
}

/// Enrolment attempts from `address` as a proxy would forward them.
fn enrol_via(c: &Client, forwarded_for: &str) -> u16 {
    c.post_raw(
        "/v1/enrol",
        &[
            ("content-type", "application/json"),
            ("x-forwarded-for", forwarded_for),
        ],
        br#"{"force":"none","code":"guess"}"#,
    )
    .status
}

#[test]
fn the_per_address_limit_reads_x_forwarded_for_only_from_trusted_proxies() {
    // Behind the TLS proxy (here: the test itself, 127.0.0.1): each client
    // has its own bucket, so one client's guesses do not lock out the rest.
    let proxied = TestServer::start_with(&[
        ("FATIGUE_ENROL_PER_MINUTE", "2"),
        ("FATIGUE_TRUSTED_PROXIES", "127.0.0.1, ::1"),
    ]);
    let c = proxied.client();
    assert_eq!(enrol_via(&c, "198.51.100.1"), 401);
    assert_eq!(enrol_via(&c, "198.51.100.1"), 401);
    assert_eq!(enrol_via(&c, "198.51.100.1"), 429);
    assert_eq!(enrol_via(&c, "198.51.100.2"), 401, "another client");
    // A client cannot escape its bucket by sending its own header: the
    // proxy appends the address it saw, and that is the one read.
    assert_eq!(enrol_via(&c, "203.0.113.50, 198.51.100.1"), 429);

    // Without configured proxies the header is the caller's to forge and is
    // ignored: every attempt here comes from 127.0.0.1.
    let direct = TestServer::start_with(&[("FATIGUE_ENROL_PER_MINUTE", "2")]);
    let c = direct.client();
    assert_eq!(enrol_via(&c, "198.51.100.1"), 401);
    assert_eq!(enrol_via(&c, "198.51.100.2"), 401);
    assert_eq!(enrol_via(&c, "198.51.100.3"), 429);
}

#[test]
fn signing_out_ends_the_session_as_a_bearer_and_as_a_cookie() {
    let server = TestServer::start();
    let force = setup_force(&server, "avon", 2);
    // The API's sign-out: the bearer stops working at once.
    let frm = server.client().login(Some("avon"), "frm", PASSWORD);
    assert_eq!(frm.get("/v1/force/reports").status, 200);
    assert_eq!(frm.post("/v1/auth/logout", &json!({})).status, 204);
    let after = frm.get("/v1/force/reports");
    assert_eq!(
        (after.status, after.code()),
        (401, "unauthenticated"),
        "{after:?}"
    );
    // Another session of the same account is not touched.
    assert_eq!(force.frm_lead.get("/v1/force/reports").status, 200);

    // The dashboard's sign-out: the cookie's token is also a bearer, and
    // both stop working.
    let page = Dashboard::sign_in(&server, "avon", "sarge");
    let token = page.cookie.split_once('=').unwrap().1.to_owned();
    let bearer = server.client().with_token(&token);
    assert_eq!(bearer.get("/v1/teams").status, 200);
    let csrf = page.csrf("/dashboard/teams");
    assert_eq!(page.post("/dashboard/sign-out", &[("csrf", &csrf)]), 303);
    assert_eq!(
        bearer.get("/v1/teams").status,
        401,
        "the cookie's token as a bearer"
    );
    assert_eq!(
        page.location("/dashboard/teams").as_deref(),
        Some("/dashboard/sign-in"),
        "the cookie itself"
    );
    // Signed out, but the audit shows it.
    let audit = force.admin.get("/v1/force/audit");
    let outs = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "sign_out")
        .count();
    assert_eq!(outs, 2);
}

#[test]
fn text_with_a_nul_character_is_the_callers_mistake_not_a_500() {
    // Found by the API fuzzer (scripts/ci/70-api-fuzz.sh): JSON may carry
    // U+0000, PostgreSQL text may not.
    let server = TestServer::start();
    let force = setup_force(&server, "cleveland", 2);
    let r = force.admin.post(
        "/v1/force/enrolment-codes",
        &json!({ "staff_number": "\u{0}" }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_text"), "{r:?}");
    let r = force.admin.post(
        "/v1/force/teams",
        &json!({ "name": "Response\u{0}B", "command": "North" }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_text"), "{r:?}");
    // In a sync batch the key is checked first: in a group commit one bad
    // batch must not fail the others.
    let device = enrol(&server, &force, &force.members[0]);
    let mut body = batch(&device, "key\u{0}", 1, vec![]);
    let r = device.client.post("/v1/sync", &body);
    assert_eq!((r.status, r.code()), (422, "invalid_body"), "{r:?}");
    body["idempotency_key"] = json!("key-1");
    assert_eq!(device.client.post("/v1/sync", &body).status, 200);
}
