//! `server migrate`: run the embedded migrations and exit.

use crate::config::Config;

/// Arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: super::CommonArgs,
}

/// Runs pending migrations against `MIGRATE_DATABASE_URL` (or
/// `DATABASE_URL`, or the embedded cluster).
///
/// # Errors
/// Configuration, cluster or migration failures.
pub fn run(args: &MigrateArgs) -> anyhow::Result<()> {
    let config = Config::load(args.common.config.as_deref())?;
    super::init_logging(config.log_json);
    let (_, owner, cluster) = super::database(&config)?;
    let n = crate::db::run_migrations(&owner)?;
    println!("{n} migration(s) applied");
    if let Some(c) = cluster {
        c.stop();
    }
    Ok(())
}
