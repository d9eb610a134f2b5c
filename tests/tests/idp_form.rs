//! The force admin's dashboard form for the force's identity provider
//! (`/dashboard/admin/identity-provider`), through a dashboard session as
//! an admin meets it: the settings are set (the issuer's discovery read
//! from a real OpenID provider, tests/oidc/provider.js), shown, refused
//! with a reason and nothing changed, and cleared; each change audited, and
//! what the API reads back is what the form set. A supervisor is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use e2e_tests::*;

const PAGE: &str = "/dashboard/admin/identity-provider";

/// The provider process (only its discovery document and keys are read
/// here): stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    fn start(server: &TestServer, slug: &str) -> Provider {
        let dir = workspace_root().join("tests/oidc");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is not installed: run `bash scripts/install/65-oidc.sh`"
        );
        let mut child = Command::new("node")
            .arg("provider.js")
            .current_dir(&dir)
            .env(
                "OIDC_REDIRECT_URI",
                format!("{}/dashboard/sign-in/oidc/{slug}/callback", server.url),
            )
            .env("OIDC_CLIENT_ID", "fatigue-dashboard")
            .env("OIDC_CLIENT_SECRET", "test-client-secret")
            .env("OIDC_SUBJECT", "someone")
            .env("OIDC_ROLES", "fatigue-frm")
            .env("OIDC_MODE", "normal")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node (scripts/install/65-oidc.sh installs it)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let issuer = loop {
            let line = lines
                .next()
                .expect("the provider exited before listening")
                .unwrap();
            if let Some(u) = line.strip_prefix("listening on ") {
                break u.trim().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Provider { child, issuer }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn audited(server: &TestServer, action: &str) -> i64 {
    let mut c = PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap();
    diesel::sql_query("SELECT count(*) AS n FROM audit_log WHERE action = $1")
        .bind::<diesel::sql_types::Text, _>(action)
        .get_result::<N>(&mut c)
        .unwrap()
        .n
}

/// POSTs a form and returns the status and body (redirects not followed).
fn post(server: &TestServer, dash: &Dashboard, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    match agent
        .post(&format!("{}{path}", server.url))
        .set("Cookie", &dash.cookie)
        .send_form(form)
    {
        Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_string().unwrap_or_default()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_force_admin_sets_and_clears_the_provider_and_a_supervisor_is_refused() {
    let server = TestServer::start_with(&[
        ("FATIGUE_OIDC_ALLOW_HTTP_LOOPBACK", "true"),
        ("FATIGUE_OIDC_SECRET_TEST_PROVIDER", "test-client-secret"),
    ]);
    let force = setup_force(&server, "idp-form", 1);
    let provider = Provider::start(&server, "idp-form");
    let admin = Dashboard::sign_in(&server, "idp-form", "chief");

    let (status, page) = admin.get(PAGE);
    assert_eq!(status, 200);
    assert!(page.contains("No identity provider is set"), "{page}");
    // (Templates escape `/` as `&#x2f;`.)
    let redirect = page.split("id=\"redirect-uri\">").nth(1).unwrap();
    assert!(redirect.starts_with("http"), "{redirect}");
    assert!(
        redirect.contains("idp-form&#x2f;callback</code>"),
        "{redirect}"
    );
    assert_eq!(force.admin.get("/v1/force/identity-provider").status, 404);

    // Set: the role map as lines, the scopes separated by spaces.
    let csrf = admin.csrf(PAGE);
    let form = |map: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("issuer", provider.issuer.clone()),
            ("client_id", "fatigue-dashboard".to_owned()),
            ("client_secret_ref", "TEST_PROVIDER".to_owned()),
            ("extra_scopes", "profile  email".to_owned()),
            ("role_claim", "fatigue_roles".to_owned()),
            ("role_map", map.to_owned()),
        ]
    };
    let send = |f: &[(&'static str, String)]| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        post(&server, &admin, PAGE, &pairs)
    };
    let (status, page) = send(&form(
        "fatigue-frm = frm_lead\r\n\r\nfatigue-supervisors = supervisor\r\n",
    ));
    assert_eq!(status, 303, "{page}");
    // What the API reads back is what the form set.
    let r = force.admin.get("/v1/force/identity-provider");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["issuer"], provider.issuer.as_str());
    assert_eq!(r.body["client_secret_ref"], "TEST_PROVIDER");
    assert_eq!(
        r.body["extra_scopes"],
        serde_json::json!(["profile", "email"])
    );
    assert_eq!(
        r.body["role_map"],
        serde_json::json!([
            { "value": "fatigue-frm", "role": "frm_lead" },
            { "value": "fatigue-supervisors", "role": "supervisor" }
        ])
    );
    assert_eq!(audited(&server, "set_identity_provider"), 1);
    let (_, page) = admin.get(&format!("{PAGE}?saved=1"));
    assert!(page.contains("id=\"idp-saved\""));
    assert!(page.contains("The force signs in with its identity provider"));
    assert!(page.contains(&format!(
        "value=\"{}\"",
        provider.issuer.replace('/', "&#x2f;")
    )));
    assert!(page.contains("fatigue-supervisors = supervisor"));

    // Refused, with the reason, and nothing changed: an officer is not a
    // role a provider may give (the service's rule); a role that is none
    // and a line without `=` are named by their line.
    for (map, reason) in [
        ("everyone = officer", "roles are force staff roles"),
        ("everyone = chief constable", "role map line 1: not a role"),
        ("fatigue-frm = frm_lead\nno equals sign", "role map line 2"),
    ] {
        let (status, page) = send(&form(map));
        assert_eq!(status, 422, "{page}");
        assert!(page.contains(reason), "{page}");
        assert!(page.contains("Nothing was changed"));
    }
    assert_eq!(
        force.admin.get("/v1/force/identity-provider").body["role_map"][1]["role"],
        "supervisor"
    );
    assert_eq!(audited(&server, "set_identity_provider"), 1);

    // A supervisor: the page and both forms refused, nothing changed.
    let sarge = Dashboard::sign_in(&server, "idp-form", "sarge");
    assert_eq!(sarge.get(PAGE).0, 403);
    let sarge_csrf = sarge.csrf("/dashboard/teams");
    let (status, _) = post(
        &server,
        &sarge,
        &format!("{PAGE}/delete"),
        &[("csrf", &sarge_csrf)],
    );
    assert_eq!(status, 403);
    let (status, _) = post(
        &server,
        &sarge,
        PAGE,
        &[
            ("csrf", &sarge_csrf),
            ("issuer", "http://127.0.0.1:1"),
            ("client_id", "x"),
            ("role_claim", "x"),
            ("role_map", "x = supervisor"),
        ],
    );
    assert_eq!(status, 403);
    assert_eq!(force.admin.get("/v1/force/identity-provider").status, 200);
    // Without the session's CSRF token, the admin is refused too.
    assert_eq!(
        post(
            &server,
            &admin,
            &format!("{PAGE}/delete"),
            &[("csrf", "forged")]
        )
        .0,
        403
    );

    // Cleared.
    let (status, _) = post(
        &server,
        &admin,
        &format!("{PAGE}/delete"),
        &[("csrf", &csrf)],
    );
    assert_eq!(status, 303);
    assert_eq!(force.admin.get("/v1/force/identity-provider").status, 404);
    assert_eq!(audited(&server, "delete_identity_provider"), 1);
    let (_, page) = admin.get(PAGE);
    assert!(page.contains("No identity provider is set"));
}
