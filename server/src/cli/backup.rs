//! `server backup`: a base backup of the embedded cluster into its
//! pgBackRest repository ([`crate::backup`]), or, with `--flush-wal`, the
//! WAL written so far pushed into the archive.

use crate::backup::{BackupKind, Repository, running_port};
use crate::config::Config;

/// Arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: super::CommonArgs,
    /// A full copy, or only what changed since the last backup.
    #[arg(long, value_enum, default_value = "full")]
    pub kind: BackupKind,
    /// Instead of a backup: close the current WAL segment and wait until it
    /// is archived, so everything committed so far can be restored.
    #[arg(long)]
    pub flush_wal: bool,
    /// Then print the repository's backups and archive range.
    #[arg(long)]
    pub info: bool,
}

/// Backs up the cluster where a running server has it (found by its
/// `postmaster.pid`), or starts it for the backup and stops it after.
///
/// # Errors
/// With `DATABASE_URL` set (the DBA's backups), without pgBackRest, or
/// pgBackRest's message.
pub fn run(args: &BackupArgs) -> anyhow::Result<()> {
    let config = Config::load(args.common.config.as_deref())?;
    super::init_logging(config.log_json);
    anyhow::ensure!(
        config.database_url.is_none(),
        "DATABASE_URL is set: that database's backups are configured on its host \
         (docs/operations.md, \"Backup and restore\"); `server backup` covers the embedded cluster"
    );
    anyhow::ensure!(
        crate::backup::installed(),
        "pgbackrest not found (install with scripts/install/12-backup.sh)"
    );
    let started = match running_port(&config.data_dir.join("postgres")) {
        Some(_) => None,
        None => Some(super::start_embedded(&config.data_dir)?),
    };
    let repo = Repository::open(&config.data_dir)?;
    let done = if args.flush_wal {
        repo.flush_wal()
            .map(|()| "WAL archived up to now".to_owned())
    } else {
        repo.backup(args.kind)
            .map(|()| format!("{:?} backup taken", args.kind).to_lowercase())
    };
    let info = if args.info {
        repo.info().map(Some)
    } else {
        Ok(None)
    };
    if let Some(c) = started {
        c.stop();
    }
    println!("{} ({})", done?, repo.dir().display());
    if let Some(text) = info? {
        print!("{text}");
    }
    Ok(())
}
