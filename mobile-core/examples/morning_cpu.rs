//! CPU time of the morning update, independent of other load on the machine.
//!
//! `morning_cpu N` runs the `morning_update` bench's work N times: each run
//! copies the synthetic morning's store file, opens it and calls
//! [`mobile_core::morning::update`] as the phone library does, and prints the
//! wall time of the updates alone. `morning_cpu N --setup-only` does the
//! copies and opens without the updates. On a shared machine wall time
//! includes waiting for a core, so for CPU time run both under
//! `/usr/bin/time -f %U` and divide the difference in user time by N
//! (`docs/wearables.md`). A third argument `--check-ins` first gives the
//! store 30 KSS check-ins over the last 60 days, so every update also fits
//! the personal calibration (a Three Process Model run over those days).

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use mobile_core::morning::synthetic::SyntheticMorning;
use mobile_core::store::CheckIn;
use mobile_core::store::Store;
use models::sync::{CheckInContext, CheckInScale};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let rest: Vec<String> = args.collect();
    let setup_only = rest.iter().any(|a| a == "--setup-only");
    let check_ins = rest.iter().any(|a| a == "--check-ins");
    let dir = std::env::temp_dir().join(format!("morning-cpu-{}", std::process::id()));
    let result = run(n, setup_only, check_ins, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(wall) => {
            if n > 0 && !setup_only {
                println!(
                    "{n} morning updates, {:.3} ms wall each",
                    wall.as_secs_f64() * 1e3 / f64::from(n)
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The total wall time of `n` updates, each on a fresh copy of the store.
fn run(
    n: u32,
    setup_only: bool,
    check_ins: bool,
    dir: &Path,
) -> Result<Duration, Box<dyn std::error::Error + Send + Sync>> {
    let m = SyntheticMorning::new()?;
    std::fs::create_dir_all(dir)?;
    let template = dir.join("template.db");
    m.write_store(&template)?;
    if check_ins {
        let mut store = Store::open(&template)?;
        for k in 0..30i64 {
            let taken_at = m.now - chrono::Duration::hours(2 * 24 * k + 2);
            let check_in = CheckIn {
                taken_at,
                scale: CheckInScale::Kss,
                value: u8::try_from(3 + k % 5).unwrap_or(5),
                context: CheckInContext::BeforeShift,
            };
            store.record_check_in(&check_in, &m.clock, m.now)?;
        }
    }
    let run = dir.join("run.db");
    let mut wall = Duration::ZERO;
    for _ in 0..n {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("run.db{suffix}")));
        }
        std::fs::copy(&template, &run)?;
        let mut store = Store::open(&run)?;
        if !setup_only {
            let started = std::time::Instant::now();
            m.update(&mut store)?;
            wall += started.elapsed();
        }
    }
    Ok(wall)
}
