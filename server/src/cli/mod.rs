//! Command-line parsing and dispatch; one module per subcommand.

mod roster_risk;
mod simulate;

use clap::{Parser, Subcommand};
use server::commands::{demo, migrate, report, serve};

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
    /// Run the API with a seeded demonstration force; prints the URL and logins.
    Demo(demo::DemoArgs),
    /// Generate one FRM report (HTML, CSV or JSON) to standard output.
    Report(report::ReportArgs),
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
        Command::Demo(a) => demo::run(&a),
        Command::Report(a) => report::run(&a),
        Command::Simulate(args) => simulate::run(&args),
        Command::RosterRisk(args) => roster_risk::run(&args),
    }
}
