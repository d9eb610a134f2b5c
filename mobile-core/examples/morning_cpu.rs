//! CPU time of the morning update, independent of other load on the machine.
//!
//! Runs the `morning_update` bench's work N times and prints the wall time
//! per update. On a shared machine wall time includes waiting for a core, so
//! for CPU time run it under `/usr/bin/time -f %U` with N and with 0 and
//! divide the difference in user time by N (`docs/wearables.md`).

use std::process::ExitCode;

use mobile_core::wearables::synthetic::Morning;

fn main() -> ExitCode {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300);
    let m = match Morning::new() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let started = std::time::Instant::now();
    for _ in 0..n {
        if let Err(e) = m.update() {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    if n > 0 {
        println!(
            "{n} morning updates, {:.3} ms wall each",
            started.elapsed().as_secs_f64() * 1e3 / f64::from(n)
        );
    }
    ExitCode::SUCCESS
}
