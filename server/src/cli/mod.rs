//! Command-line parsing and dispatch; one module per subcommand.

mod roster_risk;
mod simulate;

use clap::{Parser, Subcommand};

/// Fatigue and sleep coaching platform: operator commands.
#[derive(Debug, Parser)]
#[command(name = "server", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Three Process and Unified models over a sleeps CSV and print the series as CSV.
    Simulate(simulate::SimulateArgs),
    /// Print each shift's Fatigue Index, hourly risk and flags for a roster, and its Risk Index.
    RosterRisk(roster_risk::RosterRiskArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(args) => simulate::run(&args),
        Command::RosterRisk(args) => roster_risk::run(&args),
    }
}
