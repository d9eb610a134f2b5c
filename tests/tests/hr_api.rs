//! The HR upload through the JSON API (`POST /v1/force/hr-file`,
//! docs/onboarding.md), as a force's HR system would call it: a joiners
//! file answers with the codes (not cached) and each code enrols a phone; a
//! leavers file closes accounts; a file with a bad row is a 422 naming the
//! row's line and column, and nothing of it is applied; every other role is
//! refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use e2e_tests::*;
use serde_json::json;

const CSV: (&str, &str) = ("Content-Type", "text/csv");

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `SELECT count(*) AS n ...` in the force's scope.
fn count(server: &TestServer, slug: &str, sql: &str) -> i64 {
    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000);
    let mut c = pool.get().unwrap();
    let force = server::accounts::store::Force::by_slug(&mut c, slug)
        .unwrap()
        .id;
    in_force(&mut c, force, |c| diesel::sql_query(sql).get_result::<N>(c))
        .unwrap()
        .n
}

#[test]
fn joiners_get_codes_leavers_are_closed_and_a_bad_row_applies_nothing() {
    let server = TestServer::start_with(&[("FATIGUE_ENROL_PER_MINUTE", "100")]);
    let force = setup_force(&server, "hrapi", 3);
    let stayer = enrol(&server, &force, &force.members[0]);
    let leaver = enrol(&server, &force, &force.members[1]);

    // Joiners: two new staff numbers and one already enrolled (recorded,
    // no code). The header's columns in another order, as the format allows.
    let joiners = format!(
        "status,staff_number,team,employment_type,function\n\
         joiner,HR-1,Response A,police_staff,control_room\n\
         joiner,HR-2,Response A,special_constable,\n\
         joiner,{},Response A,police_officer,\n",
        force.members[0]
    );
    let url = format!("{}/v1/force/hr-file", server.url);
    let token = force.admin.token.clone().unwrap();
    let resp = ureq::post(&url)
        .set("Authorization", &format!("Bearer {token}"))
        .set(CSV.0, CSV.1)
        .send_bytes(joiners.as_bytes())
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("Cache-Control"), Some("no-store"));
    let sheet: serde_json::Value = resp.into_json().unwrap();
    assert_eq!(sheet["force_slug"], "hrapi");
    assert_eq!(sheet["joiners"], 3);
    assert_eq!(sheet["already_enrolled"], 1);
    let codes = sheet["codes"].as_array().unwrap();
    let staff: Vec<&str> = codes
        .iter()
        .map(|c| c["staff_number"].as_str().unwrap())
        .collect();
    assert_eq!(
        staff,
        ["HR-1", "HR-2"],
        "file order, no code for the enrolled"
    );
    assert_eq!(codes[0]["employment_type"], "police_staff");
    assert_eq!(codes[1]["team"], "Response A");
    // Each code enrols a phone.
    for c in codes {
        let r = server
            .client()
            .post("/v1/enrol", &json!({ "force": "hrapi", "code": c["code"] }));
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    assert_eq!(
        count(&server, "hrapi", "SELECT count(*) AS n FROM staff_records"),
        3
    );

    // A bad row (line 3: a type that is not one) among good ones, and a
    // leaver: a 422 naming line 3's column, and nothing applied (the
    // leaver still enrolled, no new record, no new code).
    let bad = format!(
        "staff_number,employment_type,team,status\n\
         HR-3,volunteer,Response A,joiner\n\
         HR-4,constable,Response A,joiner\n\
         {},,,leaver\n",
        force.members[1]
    );
    let codes_before = count(
        &server,
        "hrapi",
        "SELECT count(*) AS n FROM enrolment_codes",
    );
    let r = force
        .admin
        .post_raw("/v1/force/hr-file", &[CSV], bad.as_bytes());
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_hr_file");
    assert!(r.content_type.starts_with("application/problem+json"));
    let errors = r.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["column"], "employment_type");
    assert_eq!(
        count(&server, "hrapi", "SELECT count(*) AS n FROM staff_records"),
        3
    );
    assert_eq!(
        count(
            &server,
            "hrapi",
            "SELECT count(*) AS n FROM enrolment_codes"
        ),
        codes_before
    );
    // A refresh token is single use: each refresh returns the next one.
    let refresh = |refresh_token: &str| {
        let r = server.client().post(
            "/v1/auth/refresh",
            &json!({ "refresh_token": refresh_token }),
        );
        (
            r.status,
            r.body["refresh_token"].as_str().unwrap_or("").to_owned(),
        )
    };
    let (status, leaver_next) = refresh(&leaver.refresh_token);
    assert_eq!(status, 200, "not closed");

    // The leavers file: the account is closed, the other stays.
    let leavers = format!(
        "staff_number,employment_type,team,status\n{},,,leaver\nNEVER-HERE,,,leaver\n",
        force.members[1]
    );
    let r = force
        .admin
        .post_raw("/v1/force/hr-file", &[CSV], leavers.as_bytes());
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["leavers_closed"], 1);
    assert_eq!(r.body["leavers_without_account"], 1);
    assert_eq!(r.body["codes"], json!([]));
    assert_eq!(refresh(&leaver_next).0, 401, "closed");
    assert_eq!(refresh(&stayer.refresh_token).0, 200, "untouched");
    assert_eq!(
        count(
            &server,
            "hrapi",
            "SELECT count(*) AS n FROM audit_log WHERE action = 'close_leaver'"
        ),
        1
    );
    assert_eq!(
        count(
            &server,
            "hrapi",
            "SELECT count(*) AS n FROM audit_log WHERE action = 'issue_enrolment_code'"
        ),
        // Two by enrol() through the API, two by the joiners file.
        4
    );
}

#[test]
fn only_the_force_admin_may_upload() {
    let server = TestServer::start();
    let force = setup_force(&server, "hrapi-roles", 2);
    let file = b"staff_number,employment_type,team,status\nX-1,volunteer,Response A,joiner\n";
    let officer = enrol(&server, &force, &force.members[0]);
    let r = server.admin().post(
        "/v1/admin/analysts",
        &json!({ "username": "analyst", "password": PASSWORD }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let analyst = server.client().login(None, "analyst", PASSWORD);
    for (who, client) in [
        ("supervisor", &force.supervisor),
        ("frm lead", &force.frm_lead),
        ("officer", &officer.client),
        ("analyst", &analyst),
        ("platform admin", &server.admin()),
    ] {
        let r = client.post_raw("/v1/force/hr-file", &[CSV], file);
        assert_eq!(r.status, 403, "{who}: {:?}", r.body);
    }
    assert_eq!(
        server
            .client()
            .post_raw("/v1/force/hr-file", &[CSV], file)
            .status,
        401
    );
    assert_eq!(
        count(
            &server,
            "hrapi-roles",
            "SELECT count(*) AS n FROM staff_records"
        ),
        0
    );
}
