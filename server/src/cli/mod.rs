//! The operator command line: parsing, dispatch and one module per
//! subcommand. Each subcommand calls the domains' services, never a handler.

pub mod backup;
pub mod demo;
pub mod migrate;
pub mod rehearse;
pub mod report;
pub mod restore;
pub mod roster_risk;
pub mod serve;
pub mod simulate;

use clap::{Parser, Subcommand};

use std::path::PathBuf;

use crate::config::Config;
use crate::embedded_pg::EmbeddedCluster;

/// Fatigue and sleep coaching platform: operator commands.
#[derive(Debug, Parser)]
#[command(name = "server", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the API (embedded PostgreSQL unless DATABASE_URL is set).
    Serve(serve::ServeArgs),
    /// Run the database migrations and exit.
    Migrate(migrate::MigrateArgs),
    /// Take a base backup of the embedded cluster (pgBackRest), or flush the WAL archive.
    Backup(backup::BackupArgs),
    /// Restore the embedded cluster's backup, to an instant, into a fresh folder.
    Restore(restore::RestoreArgs),
    /// Run the API with a seeded demonstration force; prints the URL and logins.
    Demo(demo::DemoArgs),
    /// Generate one FRM report (HTML, CSV or JSON) to standard output.
    Report(report::ReportArgs),
    /// Fill the database as after a year of national roll-out, or measure on it (--measure).
    Rehearse(rehearse::RehearseArgs),
    /// Run the Three Process and Unified models over a sleeps CSV and print the series as CSV.
    Simulate(simulate::SimulateArgs),
    /// Print each shift's Fatigue Index, hourly risk and flags for a roster, and its Risk Index.
    RosterRisk(roster_risk::RosterRiskArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(a) => serve::run(&a),
        Command::Migrate(a) => migrate::run(&a),
        Command::Backup(a) => backup::run(&a),
        Command::Restore(a) => restore::run(&a),
        Command::Demo(a) => demo::run(&a),
        Command::Report(a) => report::run(&a),
        Command::Rehearse(a) => rehearse::run(&a),
        Command::Simulate(args) => simulate::run(&args),
        Command::RosterRisk(args) => roster_risk::run(&args),
    }
}

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
            // Migrations run as the tables' owner and the server as a role
            // that row-level security binds: one URL cannot be both.
            let owner = config.migrate_database_url.clone().ok_or_else(|| {
                anyhow::anyhow!(
                    "MIGRATE_DATABASE_URL is required with DATABASE_URL: migrations run as the \
                     tables' owner, the server as a role that row-level security binds"
                )
            })?;
            Ok((url.clone(), owner, None))
        }
        None => {
            let cluster = start_embedded(&config.data_dir)?;
            cluster.create_database("fatigue", None)?;
            Ok((
                cluster.app_url("fatigue"),
                cluster.owner_url("fatigue"),
                Some(cluster),
            ))
        }
    }
}

/// Starts the embedded cluster in `<data_dir>/postgres`, archiving its WAL
/// into the pgBackRest repository `<data_dir>/backup` when pgBackRest is
/// installed ([`crate::backup`]); without it, with a warning, unarchived.
///
/// # Errors
/// When the cluster cannot start or the repository cannot be set up.
pub fn start_embedded(data_dir: &std::path::Path) -> anyhow::Result<EmbeddedCluster> {
    let dir = data_dir.join("postgres");
    tracing::info!(dir = %dir.display(), "DATABASE_URL unset: starting the embedded PostgreSQL");
    let memory = crate::embedded_pg::memory_settings();
    if !crate::backup::installed() {
        tracing::warn!(
            "pgbackrest not found: the embedded cluster's WAL is not archived and `server backup` \
             cannot run (install with scripts/install/12-backup.sh)"
        );
        let port = crate::embedded_pg::free_port()?;
        return Ok(EmbeddedCluster::start_with(&dir, port, &memory)?);
    }
    let repo = crate::backup::Repository::open(data_dir)?;
    let port = crate::embedded_pg::free_port()?;
    repo.configure(port)?;
    let mut settings = repo.archive_settings();
    settings.extend(memory);
    let cluster = EmbeddedCluster::start_with(&dir, port, &settings)?;
    repo.create_stanza()?;
    Ok(cluster)
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
