//! The operator binary: `server serve | migrate | demo` (and the lead's
//! engine subcommands).

use clap::{Parser, Subcommand};
use server::commands::{demo, migrate, report, serve};

/// The fatigue platform's server and operator tools.
#[derive(Debug, Parser)]
#[command(name = "server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Subcommands, one module each.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the API (embedded PostgreSQL unless DATABASE_URL is set).
    Serve(serve::ServeArgs),
    /// Run the database migrations and exit.
    Migrate(migrate::MigrateArgs),
    /// Run the API with a seeded demonstration force; prints the URL and logins.
    Demo(demo::DemoArgs),
    /// Generate one FRM report (HTML, CSV or JSON) to standard output.
    Report(report::ReportArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve(a) => serve::run(&a),
        Command::Migrate(a) => migrate::run(&a),
        Command::Demo(a) => demo::run(&a),
        Command::Report(a) => report::run(&a),
    }
}
