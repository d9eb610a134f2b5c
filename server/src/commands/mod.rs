//! The `serve`, `migrate` and `demo` subcommands, one module each.

pub mod demo;
pub mod migrate;
pub mod report;
pub mod serve;

use std::path::PathBuf;

use crate::config::Config;
use crate::embedded_pg::EmbeddedCluster;

/// Options shared by the database-using subcommands.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// TOML configuration file (environment variables override it).
    #[arg(long, env = "FATIGUE_CONFIG")]
    pub config: Option<PathBuf>,
}

/// The database URLs to use: the configured ones, or the embedded cluster's
/// (started here, stopped when the returned guard drops).
///
/// # Errors
/// When the embedded cluster cannot start.
pub fn database(config: &Config) -> anyhow::Result<(String, String, Option<EmbeddedCluster>)> {
    match &config.database_url {
        Some(url) => {
            let owner = config
                .migrate_database_url
                .clone()
                .unwrap_or_else(|| url.clone());
            Ok((url.clone(), owner, None))
        }
        None => {
            let dir = config.data_dir.join("postgres");
            tracing::info!(dir = %dir.display(), "DATABASE_URL unset: starting the embedded PostgreSQL");
            let cluster = EmbeddedCluster::start(&dir)?;
            cluster.create_database("fatigue", None)?;
            Ok((
                cluster.app_url("fatigue"),
                cluster.owner_url("fatigue"),
                Some(cluster),
            ))
        }
    }
}

/// Sets up `tracing` (text or JSON lines; `RUST_LOG` filters, default `info`).
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}
