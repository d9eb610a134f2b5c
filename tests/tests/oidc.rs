//! Dashboard sign-in with a force's identity provider over OpenID Connect,
//! against a real OpenID provider (oidc-provider, tests/oidc/provider.js)
//! on a free loopback port: the browser's part is played by an HTTP client
//! that follows redirects with a cookie jar. Each test runs its own server
//! and provider, so the provider's mode (tests/oidc/provider.js) is that
//! test's: a tampered ID token comes from the provider itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use e2e_tests::*;
use serde_json::{Value, json};

const CLIENT_ID: &str = "fatigue-dashboard";
const CLIENT_SECRET: &str = "test-client-secret";
/// The name the force's configuration gives its secret; the server reads it
/// from `FATIGUE_OIDC_SECRET_<name>`.
const SECRET_NAME: &str = "TEST_PROVIDER";
const SUBJECT: &str = "officer-4711";

/// A port nobody listens on now: the server's callback URL must be known
/// before the server starts (it is registered at the provider).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server whose dashboard address (and so its callback) is known first.
fn server() -> TestServer {
    let port = free_port().to_string();
    let bind = format!("127.0.0.1:{port}");
    let dashboard = format!("http://127.0.0.1:{port}/dashboard");
    let secret_var = format!("FATIGUE_OIDC_SECRET_{SECRET_NAME}");
    TestServer::start_with(&[
        ("FATIGUE_BIND", bind.as_str()),
        ("FATIGUE_DASHBOARD_URL", dashboard.as_str()),
        ("FATIGUE_OIDC_ALLOW_HTTP_LOOPBACK", "true"),
        (secret_var.as_str(), CLIENT_SECRET),
    ])
}

/// The provider process: stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    /// Starts tests/oidc/provider.js for `server`'s callback of force `slug`;
    /// the test person's role claim carries `roles`.
    fn start(server: &TestServer, slug: &str, roles: &str, mode: &str) -> Provider {
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
            .env("OIDC_CLIENT_ID", CLIENT_ID)
            .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
            .env("OIDC_SUBJECT", SUBJECT)
            .env("OIDC_ROLES", roles)
            .env("OIDC_MODE", mode)
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

/// Sets `slug`'s provider as its force admin: frm first, then supervisors.
fn configure(force: &Force, provider: &Provider) -> Reply {
    force.admin.send(
        "PUT",
        "/v1/force/identity-provider",
        &json!({
            "issuer": provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret_ref": SECRET_NAME,
            "role_claim": "fatigue_roles",
            "role_map": [
                { "value": "fatigue-frm", "role": "frm_lead" },
                { "value": "fatigue-supervisors", "role": "supervisor" }
            ]
        }),
    )
}

/// A browser without scripts: one cookie jar for every host (the server
/// and the provider are both 127.0.0.1, and cookies ignore ports).
struct Browser {
    agent: ureq::Agent,
    cookies: BTreeMap<String, String>,
}

/// One response.
struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            cookies: BTreeMap::new(),
        }
    }

    fn get(&mut self, url: &str) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = self.agent.get(url);
        if !cookie.is_empty() {
            req = req.set("Cookie", &cookie);
        }
        let resp = match req.call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {url}: {e}"),
        };
        for set in resp.all("set-cookie") {
            let pair = set.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                let expired = set.contains("Max-Age=0") || set.contains("max-age=0");
                if value.is_empty() || expired {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        let status = resp.status();
        let location = resp.header("location").map(|l| absolute(url, l));
        Page {
            status,
            location,
            body: resp.into_string().unwrap_or_default(),
        }
    }

    /// Follows redirects from `url` until a page that is not one, stopping
    /// before the platform's callback when `stop_at_callback`; returns the
    /// last URL and its page.
    fn follow(&mut self, url: &str, stop_at_callback: bool) -> (String, Page) {
        let mut url = url.to_owned();
        for _ in 0..20 {
            if stop_at_callback && url.contains("/callback?") {
                return (
                    url,
                    Page {
                        status: 0,
                        location: None,
                        body: String::new(),
                    },
                );
            }
            let page = self.get(&url);
            match (&page.location, page.status) {
                (Some(next), 301..=303 | 307 | 308) => url = next.clone(),
                _ => return (url, page),
            }
        }
        panic!("too many redirects from {url}");
    }
}

/// `location` resolved against `base` (same origin when it is a path).
fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_owned();
    }
    let origin_end = base[8..].find('/').map_or(base.len(), |i| i + 8);
    format!("{}{location}", &base[..origin_end])
}

/// Starts a sign-in for `slug` and follows it through the provider up to
/// (not into) the platform's callback; returns the callback URL.
fn to_callback(browser: &mut Browser, server: &TestServer, slug: &str) -> String {
    let start = browser.get(&format!("{}/dashboard/sign-in/oidc/{slug}", server.url));
    assert_eq!(start.status, 303, "{}", start.body);
    let authorise = start.location.unwrap();
    // The authorisation request: code flow, PKCE S256, state and nonce.
    for part in [
        "response_type=code",
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "scope=openid",
    ] {
        assert!(authorise.contains(part), "{part}: {authorise}");
    }
    let (callback, _) = browser.follow(&authorise, true);
    assert!(
        callback.starts_with(&format!(
            "{}/dashboard/sign-in/oidc/{slug}/callback?",
            server.url
        )),
        "{callback}"
    );
    assert!(
        callback.contains("code=") && callback.contains("state="),
        "{callback}"
    );
    callback
}

/// The force's audit log's actions, oldest first.
fn audit_actions(force: &Force) -> Vec<String> {
    let r = force.admin.get("/v1/force/audit");
    assert_eq!(r.status, 200);
    let mut actions: Vec<String> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    actions.reverse();
    actions
}

fn count(actions: &[String], action: &str) -> usize {
    actions.iter().filter(|a| *a == action).count()
}

/// A refused sign-in: the callback's status and the page naming the code,
/// and no session cookie.
fn assert_refused(browser: &mut Browser, callback: &str, status: u16, code: &str) {
    let page = browser.get(callback);
    assert_eq!(page.status, status, "{}", page.body);
    assert!(
        page.body.contains(&format!("({code})")),
        "{code}: {}",
        page.body
    );
    assert!(
        !browser.cookies.contains_key("fatigue_session"),
        "no session"
    );
}

#[test]
fn a_force_user_signs_in_with_the_provider_and_lands_with_the_mapped_role() {
    let server = server();
    let force = setup_force(&server, "oidc-ok", 1);
    let provider = Provider::start(
        &server,
        "oidc-ok",
        "everyone,fatigue-supervisors,fatigue-frm",
        "normal",
    );
    // Who may set it, and what: a supervisor may not; a national role
    // cannot be mapped; an unknown secret name is refused.
    let r = force
        .supervisor
        .send("PUT", "/v1/force/identity-provider", &json!({}));
    assert!(r.status == 403 || r.status == 422, "{}", r.status);
    let mut bad = json!({
        "issuer": provider.issuer, "client_id": CLIENT_ID, "role_claim": "fatigue_roles",
        "role_map": [{ "value": "fatigue-frm", "role": "npws_analyst" }]
    });
    let r = force.admin.send("PUT", "/v1/force/identity-provider", &bad);
    assert_eq!((r.status, r.code()), (422, "invalid_identity_provider"));
    bad["role_map"][0]["role"] = json!("frm_lead");
    bad["client_secret_ref"] = json!("NOT_ON_THIS_SERVER");
    let r = force.admin.send("PUT", "/v1/force/identity-provider", &bad);
    assert_eq!((r.status, r.code()), (422, "invalid_identity_provider"));
    let r = configure(&force, &provider);
    assert_eq!(r.status, 200, "{:?}", r.body);
    // The admin is told what to register at the provider.
    let callback_uri = format!("{}/dashboard/sign-in/oidc/oidc-ok/callback", server.url);
    assert_eq!(r.body["redirect_uri"], Value::from(callback_uri.clone()));
    assert_eq!(
        force.admin.get("/v1/force/identity-provider").body["issuer"],
        Value::from(provider.issuer.clone())
    );

    let mut browser = Browser::new();
    // The way in: the sign-in page links to the force form, which starts
    // the named force's sign-in; a force without a provider is told so.
    let page = browser.get(&format!("{}/dashboard/sign-in", server.url));
    assert!(page.body.contains("href=\"/dashboard/sign-in/oidc\""));
    let page = browser.get(&format!(
        "{}/dashboard/sign-in/oidc?force=oidc-ok",
        server.url
    ));
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location,
        Some(format!("{}/dashboard/sign-in/oidc/oidc-ok", server.url))
    );
    let page = browser.get(&format!(
        "{}/dashboard/sign-in/oidc/no-such-force",
        server.url
    ));
    assert_eq!(page.status, 404);
    assert!(
        page.body
            .contains("does not sign in with an identity provider")
    );
    let callback = to_callback(&mut browser, &server, "oidc-ok");
    // The state cookie is set for the callback.
    assert!(browser.cookies.contains_key("fatigue_oidc_state"));
    let page = browser.get(&callback);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("url=/dashboard"), "{}", page.body);
    assert!(browser.cookies.contains_key("fatigue_session"));
    assert!(
        !browser.cookies.contains_key("fatigue_oidc_state"),
        "state cookie cleared"
    );
    // The claim carries both mapped values; the map lists fatigue-frm
    // first, so the role is frm_lead (home shows "frm lead").
    let home = browser.get(&format!("{}/dashboard", server.url));
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains("<strong id=\"role\">frm lead</strong>"),
        "{}",
        home.body
    );
    // FRM lead pages open; the force admin's do not.
    assert_eq!(
        browser
            .get(&format!("{}/dashboard/reports", server.url))
            .status,
        200
    );
    assert_eq!(
        browser
            .get(&format!("{}/dashboard/admin", server.url))
            .status,
        403
    );

    // A second sign-in is the same account: created once, signed in twice.
    let mut again = Browser::new();
    let callback = to_callback(&mut again, &server, "oidc-ok");
    assert_eq!(again.get(&callback).status, 200);
    let actions = audit_actions(&force);
    assert_eq!(count(&actions, "set_identity_provider"), 1);
    assert_eq!(count(&actions, "create_account_oidc"), 1, "{actions:?}");
    assert_eq!(count(&actions, "sign_in_oidc"), 2, "{actions:?}");

    // Signing out ends the provider-started session as it does a password one.
    let csrf = home
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let session = browser.cookies["fatigue_session"].clone();
    let out = ureq::AgentBuilder::new()
        .redirects(0)
        .build()
        .post(&format!("{}/dashboard/sign-out", server.url))
        .set("Cookie", &format!("fatigue_session={session}"))
        .send_form(&[("csrf", &csrf)]);
    let out = match out {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(out.status(), 303);
    let after = ureq::AgentBuilder::new()
        .redirects(0)
        .build()
        .get(&format!("{}/dashboard", server.url))
        .set("Cookie", &format!("fatigue_session={session}"))
        .call()
        .unwrap();
    assert_eq!(after.header("location"), Some("/dashboard/sign-in"));
}

#[test]
fn a_person_whose_claim_maps_to_no_role_is_refused() {
    let server = server();
    let force = setup_force(&server, "oidc-norole", 1);
    let provider = Provider::start(&server, "oidc-norole", "everyone,FATIGUE-FRM", "normal");
    assert_eq!(configure(&force, &provider).status, 200);
    let mut browser = Browser::new();
    let callback = to_callback(&mut browser, &server, "oidc-norole");
    // Values match exactly: "FATIGUE-FRM" is not "fatigue-frm".
    assert_refused(&mut browser, &callback, 403, "no_mapped_role");
    assert_eq!(count(&audit_actions(&force), "create_account_oidc"), 0);
}

#[test]
fn an_id_token_with_a_bad_signature_is_refused() {
    let server = server();
    let force = setup_force(&server, "oidc-sig", 1);
    // The provider signs the ID token with a key it does not publish, under
    // the published key's kid.
    let provider = Provider::start(&server, "oidc-sig", "fatigue-frm", "bad-signature");
    assert_eq!(configure(&force, &provider).status, 200);
    let mut browser = Browser::new();
    let callback = to_callback(&mut browser, &server, "oidc-sig");
    assert_refused(&mut browser, &callback, 401, "bad_signature");
    assert_eq!(count(&audit_actions(&force), "sign_in_oidc"), 0);
}

#[test]
fn an_id_token_for_another_client_is_refused() {
    let server = server();
    let force = setup_force(&server, "oidc-aud", 1);
    // Validly signed by the provider, but `aud` names another client.
    let provider = Provider::start(&server, "oidc-aud", "fatigue-frm", "wrong-audience");
    assert_eq!(configure(&force, &provider).status, 200);
    let mut browser = Browser::new();
    let callback = to_callback(&mut browser, &server, "oidc-aud");
    assert_refused(&mut browser, &callback, 401, "wrong_audience");
    assert_eq!(count(&audit_actions(&force), "sign_in_oidc"), 0);
}

#[test]
fn an_id_token_without_the_nonce_is_refused() {
    let server = server();
    let force = setup_force(&server, "oidc-nonce", 1);
    // Validly signed by the provider, but without the nonce the request sent.
    let provider = Provider::start(&server, "oidc-nonce", "fatigue-frm", "no-nonce");
    assert_eq!(configure(&force, &provider).status, 200);
    let mut browser = Browser::new();
    let callback = to_callback(&mut browser, &server, "oidc-nonce");
    assert_refused(&mut browser, &callback, 401, "nonce_mismatch");
    assert_eq!(count(&audit_actions(&force), "sign_in_oidc"), 0);
}

#[test]
fn a_replayed_or_foreign_state_is_refused() {
    let server = server();
    let force = setup_force(&server, "oidc-replay", 1);
    let provider = Provider::start(&server, "oidc-replay", "fatigue-supervisors", "normal");
    assert_eq!(configure(&force, &provider).status, 200);

    // A callback from another browser's sign-in: its state is not this
    // browser's cookie (login CSRF).
    let mut victim = Browser::new();
    let mut attacker = Browser::new();
    let attackers_callback = to_callback(&mut attacker, &server, "oidc-replay");
    let _ = to_callback(&mut victim, &server, "oidc-replay");
    assert_refused(&mut victim, &attackers_callback, 401, "state_mismatch");

    // The real sign-in works once...
    let mut browser = Browser::new();
    let callback = to_callback(&mut browser, &server, "oidc-replay");
    let state = browser.cookies["fatigue_oidc_state"].clone();
    let page = browser.get(&callback);
    assert_eq!(page.status, 200, "{}", page.body);
    let home = browser.get(&format!("{}/dashboard", server.url));
    assert!(
        home.body
            .contains("<strong id=\"role\">supervisor</strong>"),
        "{}",
        home.body
    );
    // ...and the same callback again, even with the state cookie put back
    // (a replay by whoever saw both), finds no sign-in under way.
    let mut replay = Browser::new();
    replay
        .cookies
        .insert("fatigue_oidc_state".to_owned(), state);
    assert_refused(&mut replay, &callback, 401, "state_unknown");
    let actions = audit_actions(&force);
    assert_eq!(count(&actions, "sign_in_oidc"), 1, "{actions:?}");
}
