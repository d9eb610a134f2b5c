//! RMSSD and SDNN of a file of NN intervals (ms, one a line), printed as JSON.
//!
//! `cargo run -p mobile-core --example hrv_time_domain -- FILE`. Used by
//! `scripts/ci/20-hrv-crosscheck.sh` to compare with pyHRV.

use std::process::ExitCode;

use mobile_core::wearables::hrv::{rmssd, sdnn};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: hrv_time_domain FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut nn = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match line.trim().parse::<f64>() {
            Ok(x) => nn.push(x),
            Err(_) => {
                eprintln!("{path}:{}: not a number", i + 1);
                return ExitCode::FAILURE;
            }
        }
    }
    match (rmssd(&nn), sdnn(&nn)) {
        (Ok(r), Ok(s)) => {
            println!(
                "{}",
                serde_json::json!({"n": nn.len(), "rmssd_ms": r, "sdnn_ms": s})
            );
            ExitCode::SUCCESS
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}
