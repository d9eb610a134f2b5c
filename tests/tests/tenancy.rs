//! Tenancy and roles: every endpoint tried across forces and across roles,
//! and row-level security checked directly as the server's database role.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use e2e_tests::*;
use serde_json::{Value, json};

const ROSTER: &str = "staff_id,start,end\nkent-001,2025-06-02T07:00,2025-06-02T17:00\n";

struct World {
    server: TestServer,
    a: Force,
    a_device: Device,
    b: Force,
    b_device: Device,
    npws: Client,
    platform: Client,
}

fn world() -> World {
    let server = TestServer::start();
    let a = setup_force(&server, "kent", 2);
    let b = setup_force(&server, "essex", 2);
    let a_device = enrol(&server, &a, "kent-001");
    let b_device = enrol(&server, &b, "essex-001");
    for d in [&a_device, &b_device] {
        d.client.send(
            "PUT",
            "/v1/me/consent",
            &json!({"level":"sleep_and_check_ins"}),
        );
        let r = d.client.post(
            "/v1/sync",
            &batch(
                d,
                "t",
                1,
                vec![summary(&days_ago(1), 400), check_in(&days_ago(1), 7)],
            ),
        );
        assert_eq!(r.status, 200);
    }
    let r = a.admin.post_raw(
        &format!("/v1/teams/{}/roster", a.team),
        &[("content-type", "text/csv")],
        ROSTER.as_bytes(),
    );
    assert_eq!(r.status, 201);
    let platform = server.admin();
    platform.post(
        "/v1/admin/analysts",
        &json!({"username":"analyst","password":PASSWORD}),
    );
    let npws = server.client().login(None, "analyst", PASSWORD);
    World {
        server,
        a,
        a_device,
        b,
        b_device,
        npws,
        platform,
    }
}

/// Every endpoint, aimed at force A's resources.
fn endpoints(w: &World) -> Vec<(&'static str, String, Value)> {
    let t = &w.a.team;
    let period = "from=2025-06-01&to=2025-06-08";
    vec![
        ("GET", "/v1/teams".into(), Value::Null),
        ("GET", format!("/v1/teams/{t}/risk?{period}"), Value::Null),
        (
            "GET",
            format!("/v1/teams/{t}/wellbeing?{period}"),
            Value::Null,
        ),
        (
            "POST",
            format!("/v1/teams/{t}/risk/what-if"),
            json!({"staff_number":"kent-001","from":"2025-06-01","to":"2025-06-08"}),
        ),
        (
            "PUT",
            format!("/v1/teams/{t}/members"),
            json!({"staff_numbers":["x"]}),
        ),
        (
            "POST",
            format!("/v1/teams/{t}/supervisors"),
            json!({"account_id":"00000000-0000-0000-0000-000000000000"}),
        ),
        (
            "POST",
            "/v1/force/enrolment-codes".into(),
            json!({"staff_number":"kent-002"}),
        ),
        (
            "POST",
            "/v1/force/accounts".into(),
            json!({"username":"mole","password":PASSWORD,"role":"force_admin"}),
        ),
        ("POST", "/v1/force/teams".into(), json!({"name":"Moles"})),
        ("GET", "/v1/force/audit".into(), Value::Null),
        ("GET", "/v1/me/export".into(), Value::Null),
        ("GET", "/v1/me/consent".into(), Value::Null),
        ("GET", format!("/v1/me/risk?{period}"), Value::Null),
        (
            "POST",
            "/v1/admin/forces".into(),
            json!({"slug":"mole","name":"Mole"}),
        ),
        (
            "POST",
            "/v1/admin/forces/kent/admins".into(),
            json!({"username":"mole","password":PASSWORD}),
        ),
        (
            "POST",
            "/v1/admin/analysts".into(),
            json!({"username":"mole2","password":PASSWORD}),
        ),
        ("POST", "/v1/admin/keys/rotate".into(), json!({})),
        ("GET", "/v1/npws/overview".into(), Value::Null),
        ("GET", format!("/v1/npws/cohorts?{period}"), Value::Null),
        ("GET", format!("/v1/npws/cohorts.csv?{period}"), Value::Null),
        (
            "GET",
            format!("/v1/npws/comparisons?{period}&by=force_function"),
            Value::Null,
        ),
        (
            "GET",
            format!("/v1/npws/comparisons.csv?{period}"),
            Value::Null,
        ),
    ]
}

fn call(c: &Client, method: &str, path: &str, body: &Value) -> Reply {
    match method {
        "GET" => c.get(path),
        _ => c.send(method, path, body),
    }
}

#[test]
fn nothing_of_one_force_reaches_another_force_or_the_wrong_role() {
    let w = world();
    // Things that identify force A's data.
    let secrets = [
        w.a.team.clone(),
        "kent-001".to_owned(),
        w.a_device.device_id.clone(),
    ];
    // Who may legitimately succeed at each path (everyone else must fail or see nothing of A).
    let callers: Vec<(&str, &Client)> = vec![
        ("B force admin", &w.b.admin),
        ("B supervisor", &w.b.supervisor),
        ("B FRM lead", &w.b.frm_lead),
        ("B officer", &w.b_device.client),
        ("A officer", &w.a_device.client),
        ("NPWS analyst", &w.npws),
    ];
    let mut checked = 0;
    for (who, client) in &callers {
        for (method, path, body) in endpoints(&w) {
            let own_data = *who == "A officer" && path.starts_with("/v1/me");
            let r = call(client, method, &path, &body);
            if (200..300).contains(&r.status) {
                let text = r.body.to_string();
                for s in &secrets {
                    assert!(
                        own_data || !text.contains(s.as_str()),
                        "{who} {method} {path} leaked {s}: {text}"
                    );
                }
            } else {
                assert!(
                    [401, 403, 404, 422].contains(&r.status),
                    "{who} {method} {path}: {}",
                    r.status
                );
                assert_eq!(r.content_type, "application/problem+json");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, callers.len() * endpoints(&w).len());

    // Specific expectations, so the loop above cannot pass by everything failing.
    assert_eq!(
        w.b.admin
            .get(&format!(
                "/v1/teams/{}/risk?from=2025-06-01&to=2025-06-08",
                w.a.team
            ))
            .status,
        404
    );
    assert_eq!(
        w.a.admin
            .get(&format!(
                "/v1/teams/{}/risk?from=2025-06-01&to=2025-06-08",
                w.a.team
            ))
            .status,
        200
    );
    assert_eq!(w.a_device.client.get("/v1/teams").status, 403);
    assert_eq!(
        w.a.supervisor
            .post("/v1/force/teams", &json!({"name":"x"}))
            .status,
        403
    );
    assert_eq!(
        w.a.frm_lead
            .post("/v1/force/enrolment-codes", &json!({"staff_number":"x"}))
            .status,
        403
    );
    assert_eq!(
        w.npws
            .get(&format!(
                "/v1/teams/{}/risk?from=2025-06-01&to=2025-06-08",
                w.a.team
            ))
            .status,
        403
    );
    assert_eq!(w.platform.get("/v1/teams").status, 403);
    // A supervisor sees only the teams they supervise.
    let other =
        w.a.admin
            .post("/v1/force/teams", &json!({"name":"Response B"}));
    let other_id = other.body["id"].as_str().unwrap();
    assert_eq!(
        w.a.supervisor
            .get(&format!(
                "/v1/teams/{other_id}/risk?from=2025-06-01&to=2025-06-08"
            ))
            .status,
        403
    );
    assert_eq!(
        w.a.supervisor
            .get("/v1/teams")
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(w.a.admin.get("/v1/teams").body.as_array().unwrap().len(), 2);
    // Each officer's export holds only their own records.
    let b_export = w.b_device.client.get("/v1/me/export").body;
    assert_eq!(b_export["staff_number"], "essex-001");
    assert_eq!(b_export["records"].as_array().unwrap().len(), 2);
    // NPWS sees counts only, and cells under five people are withheld.
    let overview = w.npws.get("/v1/npws/overview");
    assert_eq!(overview.status, 200);
    for row in overview.body.as_array().unwrap() {
        assert_eq!(
            row["enrolled"],
            Value::Null,
            "one enrolled person per force is under 5"
        );
    }
    let _ = &w.server;
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(c: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(c).unwrap().n
}

#[test]
fn row_level_security_is_a_second_wall_for_the_server_role() {
    let w = world();
    let url = cluster().cluster.app_url(&w.server.database);
    let mut c = PgConnection::establish(&url).unwrap();
    // Without a force set, the server's role sees no force-owned rows at all.
    for table in [
        "persons",
        "sync_records",
        "devices",
        "shifts",
        "accounts",
        "teams",
        "staff_links",
        "audit_log",
    ] {
        assert_eq!(
            count(&mut c, &format!("SELECT count(*) AS n FROM {table}")),
            0,
            "{table}"
        );
    }
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    let kent: Id = diesel::sql_query("SELECT id FROM forces WHERE slug = 'kent'")
        .get_result(&mut c)
        .unwrap();
    let essex: Id = diesel::sql_query("SELECT id FROM forces WHERE slug = 'essex'")
        .get_result(&mut c)
        .unwrap();
    c.transaction(|c| {
        diesel::sql_query(format!(
            "SELECT set_config('app.force_id', '{}', true)",
            kent.id
        ))
        .execute(c)?;
        // Even a query that forgets its force filter sees only Kent.
        assert_eq!(count(c, "SELECT count(*) AS n FROM sync_records"), 2);
        assert_eq!(
            count(
                c,
                &format!(
                    "SELECT count(*) AS n FROM sync_records WHERE force_id = '{}'",
                    essex.id
                )
            ),
            0
        );
        assert_eq!(
            count(
                c,
                &format!(
                    "SELECT count(*) AS n FROM persons WHERE force_id <> '{}'",
                    kent.id
                )
            ),
            0
        );
        // Writing into another force is refused.
        let err = diesel::sql_query(format!(
            "INSERT INTO teams (force_id, id, name) VALUES ('{}', gen_random_uuid(), 'x')",
            essex.id
        ))
        .execute(c)
        .unwrap_err();
        assert!(err.to_string().contains("row-level security"), "{err}");
        Err::<(), _>(diesel::result::Error::RollbackTransaction)
    })
    .ok();
    // The role is not the owner and not a superuser, so the policies bind it.
    #[derive(QueryableByName)]
    struct Flags {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        rolsuper: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        rolbypassrls: bool,
    }
    let f: Flags = diesel::sql_query(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .get_result(&mut c)
    .unwrap();
    assert!(!f.rolsuper && !f.rolbypassrls);
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        ),
        0
    );
}

#[test]
fn the_server_role_can_add_to_the_audit_log_but_never_change_or_remove_it() {
    let w = world();
    let url = cluster().cluster.app_url(&w.server.database);
    let mut c = PgConnection::establish(&url).unwrap();
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    let kent: Id = diesel::sql_query("SELECT id FROM forces WHERE slug = 'kent'")
        .get_result(&mut c)
        .unwrap();
    let scoped = |c: &mut PgConnection, sql: &str| {
        in_force(c, kent.id, |c| diesel::sql_query(sql).execute(c))
    };
    let before = scoped(&mut c, "SELECT 1 FROM audit_log").unwrap();
    assert!(before > 0, "the world's set-up left audit entries");
    // Adding an entry works, as every audited action does.
    scoped(
        &mut c,
        &format!(
            "INSERT INTO audit_log (force_id, actor_role, actor_id, action, target) \
             VALUES ('{}', 'force_admin', gen_random_uuid(), 'test', 'x')",
            kent.id
        ),
    )
    .unwrap();
    for sql in [
        "UPDATE audit_log SET target = 'nothing happened'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let e = scoped(&mut c, sql).unwrap_err();
        assert!(e.to_string().contains("permission denied"), "{sql}: {e}");
    }
    assert_eq!(
        scoped(&mut c, "SELECT 1 FROM audit_log").unwrap(),
        before + 1
    );
}

/// Runs `server serve` with `env` and returns its exit status and standard
/// error, or fails if it is still running after a minute.
fn refused_start(env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    let mut cmd = std::process::Command::new(server_binary());
    cmd.arg("serve")
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATE_DATABASE_URL")
        .env("FATIGUE_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started on a role row-level security does not bind");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status, stderr)
}

#[test]
fn the_server_refuses_to_serve_on_a_role_row_level_security_does_not_bind() {
    let database = cluster().fresh_database();
    let owner = cluster().cluster.owner_url(&database);
    // One URL for both: the owner would serve, and policies do not bind owners.
    let (status, stderr) = refused_start(&[("DATABASE_URL", &owner)]);
    assert!(!status.success());
    assert!(
        stderr.contains("MIGRATE_DATABASE_URL is required"),
        "{stderr}"
    );
    // Serving as the owner (here a superuser) is refused after migrating.
    let (status, stderr) =
        refused_start(&[("DATABASE_URL", &owner), ("MIGRATE_DATABASE_URL", &owner)]);
    assert!(!status.success());
    assert!(stderr.contains("is a superuser"), "{stderr}");
}
