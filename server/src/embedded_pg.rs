//! The embedded PostgreSQL cluster: what `server serve` and `server demo` use
//! when `DATABASE_URL` is unset, and what the end-to-end tests start.
//!
//! Debian's binaries (`/usr/lib/postgresql/<15+>/bin`, or `PG_BIN_DIR`) build
//! a cluster with `initdb` on first use and run `postgres` on a free loopback
//! port. `initdb` refuses to run as root, so as root both run as the
//! `postgres` OS user through `runuser`, and the folder is given to that user.
//!
//! `postgres` runs under a small keeper shell whose standard input is a pipe
//! from this process: when the pipe closes (a clean [`EmbeddedCluster::stop`],
//! a drop, or this process dying in any way, even `SIGKILL`), the keeper sends
//! PostgreSQL a fast shutdown. So no cluster outlives the process that
//! started it. Authentication is `trust` on 127.0.0.1 and on the Unix socket in
//! the cluster's folder (mode 700) only: a development and
//! demonstration database, never production (docs/operations.md).

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};

/// The runtime role (non-owner, non-superuser) the server connects as.
pub const APP_ROLE: &str = "fatigue_app";
/// The superuser `initdb` creates; owns the schema in the embedded cluster.
pub const OWNER_ROLE: &str = "postgres";

/// Why the cluster could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// No PostgreSQL 15+ binaries were found.
    #[error(
        "no PostgreSQL 15 or newer found in /usr/lib/postgresql (set PG_BIN_DIR; install with scripts/install/10-postgres.sh)"
    )]
    NoBinaries,
    /// A command failed to run or exited with an error.
    #[error("{what} failed: {detail}")]
    Command {
        /// Which step.
        what: &'static str,
        /// Its output or error.
        detail: String,
    },
    /// PostgreSQL did not accept connections in time.
    #[error("PostgreSQL did not start within {0:?}; see {1}")]
    NotReady(Duration, PathBuf),
    /// A SQL step failed.
    #[error("setting up the database: {0}")]
    Sql(String),
}

/// A running cluster owned by this process.
#[derive(Debug)]
pub struct EmbeddedCluster {
    dir: PathBuf,
    port: u16,
    keeper: Option<Child>,
    pipe: Option<ChildStdin>,
}

fn bin_dir() -> Result<PathBuf, EmbeddedError> {
    if let Some(dir) = std::env::var_os("PG_BIN_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| EmbeddedError::NoBinaries)?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|v| *v >= 15)
        .collect();
    versions.sort_unstable();
    let newest = versions.pop().ok_or(EmbeddedError::NoBinaries)?;
    Ok(PathBuf::from(format!("/usr/lib/postgresql/{newest}/bin")))
}

pub(crate) fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command run as the `postgres` user when we are root.
pub(crate) fn as_db_user(program: &Path) -> Command {
    if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

pub(crate) fn run(what: &'static str, mut cmd: Command) -> Result<(), EmbeddedError> {
    let out = cmd.output().map_err(|e| EmbeddedError::Command {
        what,
        detail: e.to_string(),
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(EmbeddedError::Command {
            what,
            detail: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// Memory settings for the main job's embedded cluster, sized from this
/// machine's memory as PostgreSQL's manual suggests (§20.4.1: "a
/// reasonable starting value for `shared_buffers` is 25% of the memory in
/// your system"; `effective_cache_size` tells the planner how much the
/// operating system caches besides, here half the memory). PostgreSQL's
/// own default, 128 MB, left a large force's report reading from the page
/// cache, which this machine's kernel reclaims between runs: the same
/// report took 25 to 48 s as the first after a pause (docs/scaling.md).
/// Capped at 8 GB of buffers; none when the memory cannot be read.
pub fn memory_settings() -> Vec<(&'static str, String)> {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| memory_settings_for(&m))
        .unwrap_or_default()
}

/// [`memory_settings`] for a `/proc/meminfo` text.
fn memory_settings_for(meminfo: &str) -> Option<Vec<(&'static str, String)>> {
    let kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    let mb = kb / 1024;
    let shared = (mb / 4).clamp(128, 8192);
    Some(vec![
        ("shared_buffers", format!("{shared}MB")),
        (
            "effective_cache_size",
            format!("{}MB", (mb / 2).max(shared)),
        ),
    ])
}

/// A loopback port nobody listens on now.
///
/// # Errors
/// [`EmbeddedError::Command`] when no socket can be bound.
pub fn free_port() -> Result<u16, EmbeddedError> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| EmbeddedError::Command {
            what: "finding a free port",
            detail: e.to_string(),
        })
}

impl EmbeddedCluster {
    /// Creates the cluster in `dir` if it does not exist, starts it on a free
    /// loopback port, and makes sure the runtime role exists.
    ///
    /// # Errors
    /// [`EmbeddedError`] for a missing binary, a failed step or a timeout.
    pub fn start(dir: &Path) -> Result<Self, EmbeddedError> {
        Self::start_on(dir, free_port()?)
    }

    /// As [`EmbeddedCluster::start`], on a given port (a restart keeps the URLs).
    ///
    /// # Errors
    /// As [`EmbeddedCluster::start`].
    pub fn start_on(dir: &Path, port: u16) -> Result<Self, EmbeddedError> {
        Self::launch(dir, port, false, &[])
    }

    /// As [`EmbeddedCluster::start_on`], with server settings given on
    /// `postgres`'s command line (`-c name=value`; they win over the
    /// cluster's own files): continuous archiving uses this
    /// ([`crate::backup`]).
    ///
    /// # Errors
    /// As [`EmbeddedCluster::start`].
    pub fn start_with(
        dir: &Path,
        port: u16,
        settings: &[(&str, String)],
    ) -> Result<Self, EmbeddedError> {
        Self::launch(dir, port, false, settings)
    }

    /// As [`EmbeddedCluster::start`], for tests: the folder is deleted when
    /// PostgreSQL stops (including when this process dies).
    ///
    /// # Errors
    /// As [`EmbeddedCluster::start`].
    pub fn start_ephemeral(dir: &Path) -> Result<Self, EmbeddedError> {
        Self::launch(dir, free_port()?, true, &[])
    }

    fn launch(
        dir: &Path,
        port: u16,
        ephemeral: bool,
        settings: &[(&str, String)],
    ) -> Result<Self, EmbeddedError> {
        let bin = bin_dir()?;
        std::fs::create_dir_all(dir).map_err(|e| EmbeddedError::Command {
            what: "creating the cluster folder",
            detail: e.to_string(),
        })?;
        let dir = dir.canonicalize().map_err(|e| EmbeddedError::Command {
            what: "resolving the cluster folder",
            detail: e.to_string(),
        })?;
        if running_as_root() {
            let mut chown = Command::new("chown");
            chown.args(["-R", "postgres:postgres"]).arg(&dir);
            run("chown of the cluster folder", chown)?;
            let mut chmod = Command::new("chmod");
            chmod.arg("700").arg(&dir);
            run("chmod of the cluster folder", chmod)?;
        }
        if !dir.join("PG_VERSION").exists() {
            let mut initdb = as_db_user(&bin.join("initdb"));
            initdb
                .arg("-D")
                .arg(&dir)
                .args(["--auth=trust", "--username", OWNER_ROLE])
                .args(["--encoding=UTF8", "--no-locale", "--no-sync"]);
            run("initdb", initdb)?;
        }
        let log = dir.join("server.log");
        // The keeper: postgres in the background, and a reader of our pipe
        // that shuts postgres down when the pipe closes.
        // A background job's standard input is /dev/null in sh, hence fd 3.
        let script = format!(
            "exec 3<&0; '{pg}' -D '{d}' -p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{d}' \
             -c fsync=on -c max_connections=200{extra} >>'{log}' 2>&1 & pid=$!; \
             (cat <&3 >/dev/null; kill -INT $pid 2>/dev/null) & wait $pid{cleanup}",
            pg = bin.join("postgres").display(),
            d = dir.display(),
            log = log.display(),
            extra = settings
                .iter()
                .map(|(k, v)| format!(" -c '{k}={v}'"))
                .collect::<String>(),
            cleanup = if ephemeral {
                format!("; rm -rf '{}'", dir.display())
            } else {
                String::new()
            },
        );
        let mut keeper = as_db_user(Path::new("/bin/sh"));
        keeper
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = keeper.spawn().map_err(|e| EmbeddedError::Command {
            what: "starting postgres",
            detail: e.to_string(),
        })?;
        let pipe = child.stdin.take();
        let mut cluster = EmbeddedCluster {
            dir,
            port,
            keeper: Some(child),
            pipe,
        };
        cluster.wait_ready(Duration::from_secs(60), &log)?;
        cluster.wait_recovered(&log)?;
        cluster.ensure_app_role()?;
        Ok(cluster)
    }

    fn wait_ready(&mut self, limit: Duration, log: &Path) -> Result<(), EmbeddedError> {
        self.wait_until(limit, Duration::from_millis(100), log, |url| {
            PgConnection::establish(url).is_ok()
        })
    }

    /// A restored cluster ([`crate::backup`]) accepts read-only connections
    /// while it replays archived WAL; wait until it has promoted itself.
    /// Replaying a day of WAL can take a while, so the limit is generous;
    /// a cluster that stops instead (its recovery target not reached) ends
    /// the wait at once.
    fn wait_recovered(&mut self, log: &Path) -> Result<(), EmbeddedError> {
        self.wait_until(
            Duration::from_secs(3600),
            Duration::from_millis(200),
            log,
            |url| {
                PgConnection::establish(url).ok().is_some_and(|mut c| {
                    diesel::sql_query("SELECT pg_is_in_recovery() AS found")
                        .get_result::<crate::db::Found>(&mut c)
                        .is_ok_and(|r| !r.found)
                })
            },
        )
    }

    /// Polls `ready` with the owner's URL every `every` until it holds;
    /// fails when the cluster's keeper has exited or `limit` has passed.
    fn wait_until(
        &mut self,
        limit: Duration,
        every: Duration,
        log: &Path,
        mut ready: impl FnMut(&str) -> bool,
    ) -> Result<(), EmbeddedError> {
        let began = Instant::now();
        let url = self.owner_url("postgres");
        loop {
            if ready(&url) {
                return Ok(());
            }
            let exited = self
                .keeper
                .as_mut()
                .and_then(|k| k.try_wait().ok().flatten())
                .is_some();
            if exited || began.elapsed() > limit {
                return Err(EmbeddedError::NotReady(limit, log.to_owned()));
            }
            std::thread::sleep(every);
        }
    }

    fn ensure_app_role(&self) -> Result<(), EmbeddedError> {
        let mut conn = PgConnection::establish(&self.owner_url("postgres"))
            .map_err(|e| EmbeddedError::Sql(e.to_string()))?;
        diesel::sql_query(format!(
            "DO $$ BEGIN \
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN \
                 CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE; \
               ELSE ALTER ROLE {APP_ROLE} LOGIN; END IF; END $$"
        ))
        .execute(&mut conn)
        .map_err(|e| EmbeddedError::Sql(e.to_string()))?;
        Ok(())
    }

    /// Creates database `name` (owned by the owner role) unless it exists,
    /// optionally as a copy of `template`.
    ///
    /// # Errors
    /// [`EmbeddedError::Sql`].
    pub fn create_database(&self, name: &str, template: Option<&str>) -> Result<(), EmbeddedError> {
        let mut conn = PgConnection::establish(&self.owner_url("postgres"))
            .map_err(|e| EmbeddedError::Sql(e.to_string()))?;
        let exists: crate::db::Found = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found",
        )
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result(&mut conn)
        .map_err(|e| EmbeddedError::Sql(e.to_string()))?;
        if !exists.found {
            let template = template
                .map(|t| format!(" TEMPLATE \"{t}\""))
                .unwrap_or_default();
            diesel::sql_query(format!("CREATE DATABASE \"{name}\"{template}"))
                .execute(&mut conn)
                .map_err(|e| EmbeddedError::Sql(e.to_string()))?;
        }
        Ok(())
    }

    /// URL for the owner (superuser) role: migrations and set-up only.
    pub fn owner_url(&self, database: &str) -> String {
        self.url(OWNER_ROLE, database)
    }

    /// URL for the runtime role the server uses.
    pub fn app_url(&self, database: &str) -> String {
        self.url(APP_ROLE, database)
    }

    /// Connections go through the cluster's Unix socket (in its folder), not
    /// loopback TCP: a query's round trip costs less kernel time on both
    /// sides, which the sync load bench showed to matter (docs/operations.md).
    /// The TCP port stays open for other clients.
    fn url(&self, role: &str, database: &str) -> String {
        let dir: String = self
            .dir
            .to_string_lossy()
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
        format!(
            "postgres://{role}@/{database}?host={dir}&port={}",
            self.port
        )
    }

    /// The loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Fast shutdown, waiting for PostgreSQL to exit.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(mut pipe) = self.pipe.take() {
            let _ = pipe.flush();
        }
        if let Some(mut keeper) = self.keeper.take() {
            let _ = keeper.wait();
        }
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_settings_are_a_quarter_and_a_half_of_the_machine() {
        let on = |text: &str| super::memory_settings_for(text);
        let set = on("MemTotal:       24576000 kB\nMemFree: 1 kB\n").unwrap();
        assert_eq!(set[0], ("shared_buffers", "6000MB".to_owned()));
        assert_eq!(set[1], ("effective_cache_size", "12000MB".to_owned()));
        // Never under PostgreSQL's default, never over 8 GB of buffers.
        assert_eq!(on("MemTotal: 262144 kB").unwrap()[0].1, "128MB");
        assert_eq!(on("MemTotal: 134217728 kB").unwrap()[0].1, "8192MB");
        assert_eq!(on("MemFree: 1 kB"), None);
        assert_eq!(on("MemTotal: lots"), None);
    }
}
