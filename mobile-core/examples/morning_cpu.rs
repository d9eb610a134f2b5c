//! CPU time of the morning update, independent of other load on the machine.
//!
//! `morning_cpu N` runs the `morning_update` bench's work N times: each run
//! copies the synthetic morning's store file, opens it and calls
//! [`mobile_core::morning::update`] as the phone library does, and prints the
//! wall time of the updates alone. `morning_cpu N --setup-only` does the
//! copies and opens without the updates. On a shared machine wall time
//! includes waiting for a core, so for CPU time run both under
//! `/usr/bin/time -f %U` and divide the difference in user time by N
//! (`docs/wearables.md`).

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use mobile_core::morning::synthetic::SyntheticMorning;
use mobile_core::store::Store;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let setup_only = args.next().as_deref() == Some("--setup-only");
    let dir = std::env::temp_dir().join(format!("morning-cpu-{}", std::process::id()));
    let result = run(n, setup_only, &dir);
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
    dir: &Path,
) -> Result<Duration, Box<dyn std::error::Error + Send + Sync>> {
    let m = SyntheticMorning::new()?;
    std::fs::create_dir_all(dir)?;
    let template = dir.join("template.db");
    m.write_store(&template)?;
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
