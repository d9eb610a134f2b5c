//! The operator binary: the one program operators run.
//!
//! `server simulate` runs the fatigue models over a sleeps file and prints the
//! FIPS-format series; `server roster-risk` prints the per-shift Fatigue
//! Index, hourly risk and flags of a roster; `serve`, `migrate` and `demo`
//! run the API on PostgreSQL. Every fatigue figure comes from `mobile-core`,
//! so the phone and the server never disagree.

use clap::Parser;
use server::cli;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A closed stdout (`server simulate ... | head`) is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
