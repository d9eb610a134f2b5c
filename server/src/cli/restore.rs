//! `server restore`: the embedded cluster's newest suitable backup,
//! replayed to an instant, into a fresh folder ([`crate::backup`]).

use std::path::PathBuf;

use crate::backup::{Repository, running_port};
use crate::config::Config;
use crate::embedded_pg::EmbeddedCluster;

/// Arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: super::CommonArgs,
    /// Replay the archive up to this instant, a timestamp with its offset
    /// (`2026-12-04 09:30:00+00`); transactions committed after it are not
    /// restored. Without it: everything archived.
    #[arg(long)]
    pub to: Option<String>,
    /// Restore into this folder (missing or empty). Default: the server's
    /// own `<data_dir>/postgres`, whose current contents are first moved
    /// aside to `postgres.before-restore-<unix time>` (never deleted).
    #[arg(long)]
    pub into: Option<PathBuf>,
}

/// Restores, then starts the restored cluster once so that it replays the
/// archive and promotes itself here (a target the archive does not reach
/// fails now, not at the next start), and stops it.
///
/// # Errors
/// A running cluster in the target folder, `DATABASE_URL` set, no
/// pgBackRest, or pgBackRest's or PostgreSQL's message.
pub fn run(args: &RestoreArgs) -> anyhow::Result<()> {
    let config = Config::load(args.common.config.as_deref())?;
    super::init_logging(config.log_json);
    anyhow::ensure!(
        config.database_url.is_none(),
        "DATABASE_URL is set: restore that database on its host (docs/operations.md)"
    );
    anyhow::ensure!(
        crate::backup::installed(),
        "pgbackrest not found (install with scripts/install/12-backup.sh)"
    );
    let own = config.data_dir.join("postgres");
    let into = args.into.clone().unwrap_or_else(|| own.clone());
    anyhow::ensure!(
        running_port(&into).is_none(),
        "PostgreSQL is running in {}: stop the server first",
        into.display()
    );
    if args.into.is_none() && into.join("PG_VERSION").exists() {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let aside = config
            .data_dir
            .join(format!("postgres.before-restore-{secs}"));
        std::fs::rename(&into, &aside)?;
        println!("moved the current cluster aside to {}", aside.display());
    }
    let repo = Repository::open(&config.data_dir)?;
    repo.restore(&into, args.to.as_deref())?;
    let cluster = EmbeddedCluster::start(&into)?;
    cluster.stop();
    match &args.to {
        Some(t) => println!("restored to {t} into {}", into.display()),
        None => println!("restored to the end of the archive into {}", into.display()),
    }
    Ok(())
}
