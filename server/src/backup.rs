//! Continuous archiving, base backups and point-in-time restore of the
//! embedded cluster, with pgBackRest (Debian's `pgbackrest`,
//! `scripts/install/12-backup.sh`).
//!
//! Under the data folder: `postgres/` is the cluster and `backup/` the
//! pgBackRest repository, with its `pgbackrest.conf` (rewritten at every
//! start, since the cluster's port changes), `archive/`, `backup/`, `log/`
//! and `lock/`. When the embedded cluster starts, PostgreSQL is told to
//! archive every WAL segment there (`archive_mode=on`,
//! `archive_command=pgbackrest ... archive-push %p`) and to switch segments
//! at least every [`ARCHIVE_TIMEOUT_SECONDS`], so at most that much
//! committed work is only on the cluster's own disk. `server backup` takes a
//! base backup; `server restore` restores one and replays the archive to a
//! chosen instant into a fresh folder (docs/operations.md, "Backup and
//! restore"). A repository on the same disk guards against mistakes (a bad
//! migration, rows deleted), not against losing the disk: copy `backup/`
//! elsewhere, or point `repo1-path` at other storage, in production.
//!
//! With `DATABASE_URL` set the database is the DBA's, and so are its
//! backups: the same tool, configured on the database host.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::embedded_pg::{EmbeddedError, OWNER_ROLE, as_db_user, running_as_root};

/// The pgBackRest stanza (its name for our cluster).
pub const STANZA: &str = "fatigue";

/// PostgreSQL switches to a new WAL segment, and so archives the last one,
/// at least this often: the most committed work a lost disk could take with
/// it, when the repository is elsewhere.
pub const ARCHIVE_TIMEOUT_SECONDS: u32 = 60;

/// Full backups kept; older ones, and the WAL only they need, are expired
/// after each backup.
pub const FULL_BACKUPS_KEPT: u32 = 2;

/// What `server backup` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackupKind {
    /// A copy of the whole cluster.
    Full,
    /// The files changed since the last backup of any kind.
    Incr,
}

impl BackupKind {
    fn as_arg(self) -> &'static str {
        match self {
            BackupKind::Full => "full",
            BackupKind::Incr => "incr",
        }
    }
}

/// The pgBackRest repository beside an embedded cluster.
#[derive(Debug, Clone)]
pub struct Repository {
    dir: PathBuf,
    cluster_dir: PathBuf,
}

/// Whether `pgbackrest` can be run.
pub fn installed() -> bool {
    Command::new("pgbackrest")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn io_error(what: &'static str) -> impl Fn(std::io::Error) -> EmbeddedError {
    move |e| EmbeddedError::Command {
        what,
        detail: e.to_string(),
    }
}

impl Repository {
    /// The repository in `<data_dir>/backup` for the cluster in
    /// `<data_dir>/postgres`, created if missing and, as root, given to the
    /// `postgres` user (pgBackRest runs as the cluster's owner).
    ///
    /// # Errors
    /// When the folder cannot be created or handed over.
    pub fn open(data_dir: &Path) -> Result<Self, EmbeddedError> {
        // pgBackRest creates neither its log nor its lock folder.
        for sub in ["log", "lock"] {
            std::fs::create_dir_all(data_dir.join("backup").join(sub))
                .map_err(io_error("creating the backup repository"))?;
        }
        // Absolute paths: pgBackRest and PostgreSQL run in other folders.
        let data_dir = data_dir
            .canonicalize()
            .map_err(io_error("resolving the data folder"))?;
        let dir = data_dir.join("backup");
        let cluster_dir = data_dir.join("postgres");
        if running_as_root() {
            let mut chown = Command::new("chown");
            chown.args(["-R", "postgres:postgres"]).arg(&dir);
            crate::embedded_pg::run("chown of the backup repository", chown)?;
        }
        Ok(Repository { dir, cluster_dir })
    }

    /// The repository's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `pgbackrest.conf`, written by [`Repository::configure`].
    pub fn config_file(&self) -> PathBuf {
        self.dir.join("pgbackrest.conf")
    }

    /// Writes `pgbackrest.conf` for the cluster listening on `port` (its
    /// socket is in its folder).
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn configure(&self, port: u16) -> Result<(), EmbeddedError> {
        let repo = self.dir.display();
        let pg = self.cluster_dir.display();
        let text = format!(
            "# Written by `server` at every start of the embedded cluster (src/backup.rs).\n\
             [global]\n\
             repo1-path={repo}\n\
             repo1-retention-full={FULL_BACKUPS_KEPT}\n\
             log-path={repo}/log\n\
             lock-path={repo}/lock\n\
             log-level-console=warn\n\
             log-level-file=info\n\
             start-fast=y\n\
             compress-type=lz4\n\
             \n\
             [{STANZA}]\n\
             pg1-path={pg}\n\
             pg1-port={port}\n\
             pg1-socket-path={pg}\n\
             pg1-user={OWNER_ROLE}\n"
        );
        let file = self.config_file();
        std::fs::write(&file, text).map_err(io_error("writing pgbackrest.conf"))?;
        if running_as_root() {
            let mut chown = Command::new("chown");
            chown.arg("postgres:postgres").arg(&file);
            crate::embedded_pg::run("chown of pgbackrest.conf", chown)?;
        }
        Ok(())
    }

    /// The PostgreSQL settings that archive into this repository.
    pub fn archive_settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("wal_level", "replica".to_owned()),
            ("archive_mode", "on".to_owned()),
            (
                "archive_command",
                format!(
                    "pgbackrest --config={} --stanza={STANZA} archive-push %p",
                    self.config_file().display()
                ),
            ),
            ("archive_timeout", ARCHIVE_TIMEOUT_SECONDS.to_string()),
        ]
    }

    fn pgbackrest(&self, command: &str) -> Command {
        let mut c = as_db_user(Path::new("pgbackrest"));
        c.arg(format!("--config={}", self.config_file().display()))
            .arg(format!("--stanza={STANZA}"))
            .arg(command);
        c
    }

    fn output(what: &'static str, mut cmd: Command) -> Result<String, EmbeddedError> {
        let out = cmd.output().map_err(|e| EmbeddedError::Command {
            what,
            detail: e.to_string(),
        })?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(EmbeddedError::Command {
                what,
                detail: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            })
        }
    }

    /// Creates the stanza (idempotent: an existing, matching stanza is
    /// left as it is). Needs the cluster running.
    ///
    /// # Errors
    /// pgBackRest's message.
    pub fn create_stanza(&self) -> Result<(), EmbeddedError> {
        Self::output("pgbackrest stanza-create", self.pgbackrest("stanza-create")).map(|_| ())
    }

    /// Takes a base backup of the running cluster, then expires what the
    /// retention no longer needs.
    ///
    /// # Errors
    /// pgBackRest's message.
    pub fn backup(&self, kind: BackupKind) -> Result<(), EmbeddedError> {
        let mut c = self.pgbackrest("backup");
        c.arg(format!("--type={}", kind.as_arg()));
        Self::output("pgbackrest backup", c).map(|_| ())
    }

    /// Switches the running cluster to a new WAL segment and waits until the
    /// last one is in the repository (`pgbackrest check`): afterwards,
    /// everything committed so far can be restored.
    ///
    /// # Errors
    /// pgBackRest's message (archiving broken, or slower than its timeout).
    pub fn flush_wal(&self) -> Result<(), EmbeddedError> {
        Self::output("pgbackrest check", self.pgbackrest("check")).map(|_| ())
    }

    /// The repository's backups and archive range (`pgbackrest info`).
    ///
    /// # Errors
    /// pgBackRest's message.
    pub fn info(&self) -> Result<String, EmbeddedError> {
        Self::output("pgbackrest info", self.pgbackrest("info"))
    }

    /// Restores the newest backup taken before `target` into `into` (which
    /// must be missing or empty) and sets it to replay the archive up to
    /// `target` (a PostgreSQL timestamp with time zone, e.g.
    /// `2026-12-04 09:30:00+00`; `None`: to the end of the archive), then
    /// promote itself. The cluster is not started here.
    ///
    /// # Errors
    /// A non-empty target folder, or pgBackRest's message.
    pub fn restore(&self, into: &Path, target: Option<&str>) -> Result<(), EmbeddedError> {
        let occupied = std::fs::read_dir(into)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if occupied {
            return Err(EmbeddedError::Command {
                what: "restore",
                detail: format!("{} is not empty", into.display()),
            });
        }
        std::fs::create_dir_all(into).map_err(io_error("creating the restore folder"))?;
        if running_as_root() {
            let mut chown = Command::new("chown");
            chown.arg("postgres:postgres").arg(into);
            crate::embedded_pg::run("chown of the restore folder", chown)?;
        }
        let mut chmod = Command::new("chmod");
        chmod.arg("700").arg(into);
        crate::embedded_pg::run("chmod of the restore folder", chmod)?;
        let into = into
            .canonicalize()
            .map_err(io_error("resolving the restore folder"))?;
        let mut c = self.pgbackrest("restore");
        c.arg(format!("--pg1-path={}", into.display()));
        if let Some(t) = target {
            c.args(["--type=time", &format!("--target={t}")])
                .arg("--target-action=promote");
        }
        Self::output("pgbackrest restore", c).map(|_| ())
    }
}

/// Whether a PostgreSQL runs in `cluster_dir` now: its `postmaster.pid`
/// names a live process. Returns the port it listens on.
pub fn running_port(cluster_dir: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(cluster_dir.join("postmaster.pid")).ok()?;
    let mut lines = text.lines();
    let pid = lines.next()?.trim();
    let port = lines.nth(2)?.trim().parse().ok()?;
    Path::new("/proc").join(pid).exists().then_some(port)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_port_comes_from_a_live_postmaster_only() {
        let dir = std::env::temp_dir().join(format!("fatigue-pidfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // postmaster.pid: pid, data dir, start time, port, socket dir, ...
        let me = std::process::id();
        std::fs::write(
            dir.join("postmaster.pid"),
            format!("{me}\n/x\n1700000000\n54321\n/x\n127.0.0.1\n"),
        )
        .unwrap();
        assert_eq!(running_port(&dir), Some(54321));
        // No process has pid 0 under /proc: a stale file from a crash.
        std::fs::write(dir.join("postmaster.pid"), "0\n/x\n1\n54321\n").unwrap();
        assert_eq!(running_port(&dir), None);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(running_port(&dir), None);
    }

    #[test]
    fn archiving_pushes_into_this_repository() {
        let repo = Repository {
            dir: PathBuf::from("/data/backup"),
            cluster_dir: PathBuf::from("/data/postgres"),
        };
        let settings = repo.archive_settings();
        let command = settings
            .iter()
            .find(|(k, _)| *k == "archive_command")
            .map(|(_, v)| v.as_str());
        assert_eq!(
            command,
            Some(
                "pgbackrest --config=/data/backup/pgbackrest.conf --stanza=fatigue archive-push %p"
            )
        );
        assert!(settings.contains(&("archive_mode", "on".to_owned())));
    }
}
