//! End-to-end tests for the platform.
//!
//! The tests in `tests/tests/` start the real `server` binary against a real
//! PostgreSQL and talk to it over HTTP as a phone or a member of staff would.
//! Each test process starts one embedded cluster (in a temporary folder,
//! removed when the process exits) and migrates a template database once;
//! every test then gets its own database copied from the template and its
//! own server process, so tests run in parallel and leave nothing behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};
use server::embedded_pg::EmbeddedCluster;

pub mod drill;

/// The repository root (the workspace directory).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// The `server` binary built by `cargo build -p server` in the same profile
/// as the tests (the README's test command builds it first).
pub fn server_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    target.join(profile).join("server")
}

/// Password of the bootstrap platform admin in every test server.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// Password used for every account the helpers create.
pub const PASSWORD: &str = "a-long-test-password";

/// The process's shared cluster with a migrated template database.
pub struct TestCluster {
    /// The cluster.
    pub cluster: EmbeddedCluster,
    next: AtomicUsize,
    create: Mutex<()>,
}

const TEMPLATE: &str = "e2e_template";

/// The shared cluster, started on first use.
pub fn cluster() -> &'static TestCluster {
    static CLUSTER: OnceLock<TestCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fatigue-e2e-{}", std::process::id()));
        let cluster = EmbeddedCluster::start_ephemeral(&dir).expect("start PostgreSQL");
        cluster.create_database(TEMPLATE, None).unwrap();
        server::db::run_migrations(&cluster.owner_url(TEMPLATE)).unwrap();
        TestCluster {
            cluster,
            next: AtomicUsize::new(0),
            create: Mutex::new(()),
        }
    })
}

impl TestCluster {
    /// A fresh database copied from the migrated template.
    pub fn fresh_database(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let name = format!("e2e_{n}");
        // CREATE DATABASE ... TEMPLATE needs the template to be idle.
        let _guard = self.create.lock().unwrap_or_else(|e| e.into_inner());
        self.cluster.create_database(&name, Some(TEMPLATE)).unwrap();
        name
    }
}

/// A running server process on its own database.
pub struct TestServer {
    child: Child,
    /// Base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its database.
    pub database: String,
}

impl TestServer {
    /// Starts the server binary on a fresh database in the shared cluster.
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    /// As [`TestServer::start`] with extra environment variables.
    pub fn start_with(env: &[(&str, &str)]) -> TestServer {
        let c = cluster();
        let db = c.fresh_database();
        Self::spawn(&c.cluster.app_url(&db), &c.cluster.owner_url(&db), db, env)
    }

    /// Starts the server binary on given database URLs.
    pub fn spawn(
        app_url: &str,
        owner_url: &str,
        database: String,
        env: &[(&str, &str)],
    ) -> TestServer {
        let mut cmd = Command::new(server_binary());
        cmd.env("DATABASE_URL", app_url)
            .env("MIGRATE_DATABASE_URL", owner_url);
        Self::launch(cmd, database, env)
    }

    /// Starts the server binary on its embedded default: the cluster (and
    /// its backup repository) in `data_dir`, started and stopped by the
    /// server itself, database `fatigue`.
    pub fn spawn_embedded(data_dir: &std::path::Path, env: &[(&str, &str)]) -> TestServer {
        let mut cmd = Command::new(server_binary());
        cmd.env_remove("DATABASE_URL")
            .env_remove("MIGRATE_DATABASE_URL")
            .env("FATIGUE_DATA_DIR", data_dir);
        Self::launch(cmd, "fatigue".to_owned(), env)
    }

    fn launch(mut cmd: Command, database: String, env: &[(&str, &str)]) -> TestServer {
        cmd.arg("serve")
            .env("FATIGUE_BIND", "127.0.0.1:0")
            .env("FATIGUE_WORKERS", "2")
            .env("FATIGUE_POOL_SIZE", "4")
            .env("FATIGUE_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn,r2d2=off")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "start {}: {e} (run `cargo build -p server` first)",
                server_binary().display()
            )
        });
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(u) = line.strip_prefix("listening on ") {
                break u.trim().to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        TestServer {
            child,
            url,
            database,
        }
    }

    /// A client for this server.
    pub fn client(&self) -> Client {
        Client {
            base: self.url.clone(),
            token: None,
        }
    }

    /// A platform admin client.
    pub fn admin(&self) -> Client {
        self.client().login(None, "admin", ADMIN_PASSWORD)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client with an optional bearer token.
#[derive(Clone)]
pub struct Client {
    /// Base URL.
    pub base: String,
    /// Bearer token.
    pub token: Option<String>,
}

/// A response: status and JSON body (Null when empty or not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Content-Type.
    pub content_type: String,
    /// Parsed body.
    pub body: Value,
}

impl Reply {
    /// The problem `code`, when this is a problem body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

fn reply(r: Result<ureq::Response, ureq::Error>) -> Reply {
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    let content_type = resp.header("content-type").unwrap_or("").to_owned();
    let text = resp.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        body,
    }
}

impl Client {
    /// The same server with another token.
    pub fn with_token(&self, token: &str) -> Client {
        Client {
            base: self.base.clone(),
            token: Some(token.to_owned()),
        }
    }

    fn req(&self, method: &str, path: &str) -> ureq::Request {
        let r = ureq::request(method, &format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => r.set("Authorization", &format!("Bearer {t}")),
            None => r,
        }
    }

    /// GET.
    pub fn get(&self, path: &str) -> Reply {
        reply(self.req("GET", path).call())
    }

    /// DELETE.
    pub fn delete(&self, path: &str) -> Reply {
        reply(self.req("DELETE", path).call())
    }

    /// A JSON request.
    pub fn send(&self, method: &str, path: &str, body: &Value) -> Reply {
        reply(self.req(method, path).send_json(body.clone()))
    }

    /// POST JSON.
    pub fn post(&self, path: &str, body: &Value) -> Reply {
        self.send("POST", path, body)
    }

    /// POST raw bytes with headers.
    pub fn post_raw(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut r = self.req("POST", path);
        for (k, v) in headers {
            r = r.set(k, v);
        }
        reply(r.send_bytes(body))
    }

    /// Signs in and returns a client holding the access token.
    pub fn login(&self, force: Option<&str>, username: &str, password: &str) -> Client {
        let r = self.post(
            "/v1/auth/login",
            &json!({ "force": force, "username": username, "password": password }),
        );
        assert_eq!(r.status, 200, "login {username}: {:?}", r.body);
        self.with_token(r.body["access_token"].as_str().unwrap())
    }
}

/// A force set up for tests: its admin, a team with members, a supervisor.
pub struct Force {
    /// Slug.
    pub slug: String,
    /// Force admin client.
    pub admin: Client,
    /// Supervisor client (supervises `team`).
    pub supervisor: Client,
    /// FRM lead client.
    pub frm_lead: Client,
    /// The team's id.
    pub team: String,
    /// The team's staff numbers.
    pub members: Vec<String>,
}

/// Creates a force with an admin, an FRM lead, a supervisor and one team of
/// `members` staff numbers (`<slug>-001`, ...).
pub fn setup_force(server: &TestServer, slug: &str, members: usize) -> Force {
    let admin = server.admin();
    let r = admin.post("/v1/admin/forces", &json!({ "slug": slug, "name": slug }));
    assert_eq!(r.status, 201, "{:?}", r.body);
    let r = admin.post(
        &format!("/v1/admin/forces/{slug}/admins"),
        &json!({ "username": "chief", "password": PASSWORD }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let fa = server.client().login(Some(slug), "chief", PASSWORD);
    let sup = fa.post(
        "/v1/force/accounts",
        &json!({ "username": "sarge", "password": PASSWORD, "role": "supervisor" }),
    );
    assert_eq!(sup.status, 201, "{:?}", sup.body);
    let r = fa.post(
        "/v1/force/accounts",
        &json!({ "username": "frm", "password": PASSWORD, "role": "frm_lead" }),
    );
    assert_eq!(r.status, 201);
    let team = fa.post(
        "/v1/force/teams",
        &json!({ "name": "Response A", "command": "North", "policing_function": "response" }),
    );
    assert_eq!(team.status, 201);
    let team_id = team.body["id"].as_str().unwrap().to_owned();
    let members: Vec<String> = (1..=members).map(|i| format!("{slug}-{i:03}")).collect();
    let r = fa.send(
        "PUT",
        &format!("/v1/teams/{team_id}/members"),
        &json!({ "staff_numbers": members }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = fa.post(
        &format!("/v1/teams/{team_id}/supervisors"),
        &json!({ "account_id": sup.body["id"] }),
    );
    assert_eq!(r.status, 204, "{:?}", r.body);
    Force {
        slug: slug.to_owned(),
        supervisor: server.client().login(Some(slug), "sarge", PASSWORD),
        frm_lead: server.client().login(Some(slug), "frm", PASSWORD),
        admin: fa,
        team: team_id,
        members,
    }
}

/// An enrolled phone.
pub struct Device {
    /// Client with the device's access token.
    pub client: Client,
    /// Device id for batches.
    pub device_id: String,
    /// Current refresh token.
    pub refresh_token: String,
}

/// Issues a code for `staff` and enrols a phone with it.
pub fn enrol(server: &TestServer, force: &Force, staff: &str) -> Device {
    let code = force.admin.post(
        "/v1/force/enrolment-codes",
        &json!({ "staff_number": staff }),
    );
    assert_eq!(code.status, 201, "{:?}", code.body);
    let r = server.client().post(
        "/v1/enrol",
        &json!({ "force": force.slug, "code": code.body["code"] }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    Device {
        client: server
            .client()
            .with_token(r.body["access_token"].as_str().unwrap()),
        device_id: r.body["device_id"].as_str().unwrap().to_owned(),
        refresh_token: r.body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

/// A daily summary record for `date` (YYYY-MM-DD) with `minutes` of sleep
/// ending 06:45 UTC that day.
pub fn summary(date: &str, minutes: u32) -> Value {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let end = d.and_hms_opt(6, 45, 0).unwrap().and_utc();
    let start = end - chrono::Duration::minutes(i64::from(minutes / 15 * 15));
    json!({
        "kind": "daily_summary", "local_date": date,
        "main_sleep_start": start, "main_sleep_end": end,
        "sleep_minutes": minutes, "sleep_debt_minutes": 30,
        "recovery_score": 70, "recovery_band": "green",
        "hrv_deviation_sd": 0.1, "resting_hr_deviation_bpm": -1.0
    })
}

/// A KSS check-in record for `date`, before the shift.
pub fn check_in(date: &str, value: u8) -> Value {
    json!({ "kind": "check_in", "local_date": date, "taken_at": format!("{date}T07:00:00Z"),
            "scale": "kss", "value": value, "context": "before_shift" })
}

/// A batch body.
pub fn batch(device: &Device, key: &str, sequence: u64, records: Vec<Value>) -> Value {
    json!({
        "device_id": device.device_id, "idempotency_key": key, "schema_version": 1,
        "sequence": sequence, "created_at": chrono::Utc::now(), "records": records
    })
}

/// Days before today as YYYY-MM-DD.
pub fn days_ago(n: i64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Duration::days(n)).to_string()
}

/// What the sync tables hold, read as the embedded cluster's owner (a
/// superuser, so row-level security, forced or not, does not apply):
/// the drills compare these before and after a crash or a restore.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct SyncTotals {
    /// Rows in `sync_batches` (one per idempotency key stored).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub batches: i64,
    /// Rows in `sync_records`.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub records: i64,
    /// md5 of every record (key, payload, device and sequence) in key order:
    /// equal only if the same records hold the same values.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub checksum: String,
}

/// [`SyncTotals`] of the database at `owner_url`.
pub fn sync_totals(owner_url: &str) -> SyncTotals {
    use diesel::{Connection, RunQueryDsl};
    let mut c = diesel::PgConnection::establish(owner_url).unwrap();
    diesel::sql_query(
        "SELECT (SELECT count(*) FROM sync_batches) AS batches, \
                (SELECT count(*) FROM sync_records) AS records, \
                (SELECT coalesce(md5(string_agg(concat_ws('|', force_id, person_id, local_date, \
                    kind, discriminator, payload::text, device_id, source_sequence), ',' \
                    ORDER BY force_id, person_id, local_date, kind, discriminator)), '') \
                 FROM sync_records) AS checksum",
    )
    .get_result(&mut c)
    .unwrap()
}

/// The owner's URL for database `database` of the PostgreSQL running in
/// `cluster_dir` (port from its `postmaster.pid`, socket in the folder).
pub fn owner_url_of_running(cluster_dir: &std::path::Path, database: &str) -> String {
    let port = server::backup::running_port(cluster_dir).expect("a running cluster");
    format!(
        "postgres://postgres@/{database}?host={}&port={port}",
        cluster_dir.display()
    )
}

/// Runs `f` in a transaction scoped to `force` (row-level security), through
/// the server's one transaction helper: for tests that read or write a
/// store directly.
pub fn in_force<T, E: From<diesel::result::Error>>(
    c: &mut diesel::PgConnection,
    force: uuid::Uuid,
    f: impl FnOnce(&mut diesel::PgConnection) -> Result<T, E>,
) -> Result<T, E> {
    server::db::transaction(c, server::db::Scope::Force(force), f)
}

/// A signed-in dashboard session: an agent that does not follow redirects
/// and the session cookie.
pub struct Dashboard {
    agent: ureq::Agent,
    base: String,
    /// `name=value` of the session cookie.
    pub cookie: String,
}

fn status_of(r: Result<ureq::Response, ureq::Error>) -> ureq::Response {
    match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    }
}

impl Dashboard {
    /// Signs in as `username` of force `slug`.
    pub fn sign_in(server: &TestServer, slug: &str, username: &str) -> Dashboard {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let resp = status_of(
            agent
                .post(&format!("{}/dashboard/sign-in", server.url))
                .send_form(&[
                    ("force", slug),
                    ("username", username),
                    ("password", PASSWORD),
                ]),
        );
        let cookie = resp
            .all("set-cookie")
            .iter()
            .find_map(|c| c.split(';').next().map(str::to_owned))
            .unwrap_or_else(|| panic!("no session cookie: {}", resp.status()));
        Dashboard {
            agent,
            base: server.url.clone(),
            cookie,
        }
    }

    /// GET `path` with the session: status and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let r = status_of(
            self.agent
                .get(&format!("{}{path}", self.base))
                .set("Cookie", &self.cookie)
                .call(),
        );
        (r.status(), r.into_string().unwrap_or_default())
    }

    /// GET `path` with the session: the `Location` it redirects to, if any.
    pub fn location(&self, path: &str) -> Option<String> {
        let r = status_of(
            self.agent
                .get(&format!("{}{path}", self.base))
                .set("Cookie", &self.cookie)
                .call(),
        );
        r.header("location").map(str::to_owned)
    }

    /// The CSRF token in the page at `path`.
    pub fn csrf(&self, path: &str) -> String {
        let (_, html) = self.get(path);
        html.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a form with a CSRF token")
            .to_owned()
    }

    /// POSTs a form to `path` with the session; the status.
    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> u16 {
        status_of(
            self.agent
                .post(&format!("{}{path}", self.base))
                .set("Cookie", &self.cookie)
                .send_form(form),
        )
        .status()
    }
}

/// Signs in to the dashboard as `username` of force `slug` and returns the
/// HTML of the page at `path` (status 200 asserted).
pub fn dashboard_page(server: &TestServer, slug: &str, username: &str, path: &str) -> String {
    let (status, html) = Dashboard::sign_in(server, slug, username).get(path);
    assert_eq!(status, 200);
    html
}

/// A local SMTP server (aiosmtpd, `scripts/install/15-mail.sh`) writing
/// every message it accepts into a Maildir: the sink of the email tests.
pub struct Smtp {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    maildir: PathBuf,
}

impl Smtp {
    /// Starts one, named `name` for its Maildir, and waits until it listens.
    pub fn start(name: &str) -> Smtp {
        let port = free_port();
        let maildir =
            std::env::temp_dir().join(format!("fatigue-mail-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&maildir);
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (scripts/install/15-mail.sh)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "aiosmtpd did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Smtp {
            child,
            port,
            maildir,
        }
    }

    /// Every message received, as text, quoted-printable soft line breaks
    /// and `=3D` undone (lettre encodes long lines so).
    pub fn messages(&self) -> Vec<String> {
        let new = self.maildir.join("new");
        let mut out: Vec<String> = std::fs::read_dir(&new)
            .map(|d| {
                d.map(|e| {
                    std::fs::read_to_string(e.unwrap().path())
                        .unwrap()
                        .replace("=\r\n", "")
                        .replace("=\n", "")
                        .replace("=3D", "=")
                })
                .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

/// A TCP port free on 127.0.0.1 just now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
