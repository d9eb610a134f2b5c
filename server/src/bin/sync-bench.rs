//! Load bench for `POST /v1/sync` against a running server (docs/operations.md).
//!
//! Sets up its own force (`bench-<random>`; `--forces N` makes N and spreads
//! the phones over them, as batches from many forces arrive at once in
//! real use), enrols `--devices` phones that consent to sharing, then `--connections` threads, each with a keep-alive
//! connection and its own devices, send batches (a daily summary and a
//! check-in for a new day each time, so every batch writes) for `--seconds`.
//! Prints batches per second and latency percentiles, the load average
//! before and after, and where the CPU went during the measured seconds: this
//! client's own CPU time and, with `--cpu-of server --cpu-of postgres`, that
//! of the processes so named on this machine (client, server and database
//! usually share the cores; Linux only). Bounded by time; not part of CI.
//! The load itself lives in `server::bench`, shared with `server rehearse
//! --measure`.

use std::time::Duration;

use clap::Parser;
use server::bench::{cpu_by_pid, cpu_seconds, cpu_used, load_average, run_load, setup};

/// Options.
#[derive(Debug, Parser)]
#[command(about = "Sync load bench against a running server")]
struct Args {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The platform admin's password (`FATIGUE_BOOTSTRAP_ADMIN_PASSWORD` of the server).
    #[arg(long, env = "FATIGUE_BOOTSTRAP_ADMIN_PASSWORD")]
    admin_password: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Enrolled devices (spread over the connections).
    #[arg(long, default_value_t = 128)]
    devices: usize,
    /// Forces the devices are spread over (round robin).
    #[arg(long, default_value_t = 1)]
    forces: usize,
    /// Seconds of load after a 2-second warm-up.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Also report the CPU time of local processes with this command name
    /// (`/proc/*/comm`) over the measured seconds; may be repeated.
    #[arg(long = "cpu-of")]
    cpu_of: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let phones = setup(
        &args.url,
        &args.admin_password,
        args.devices,
        args.forces,
        &agent,
    )?;
    println!(
        "enrolled {} devices in {} forces; {} connections; warm-up 2 s, then {} s",
        phones.len(),
        args.forces.max(1),
        args.connections,
        args.seconds
    );
    println!("load average before: {}", load_average());
    let self_pid = std::process::id().to_string();
    let read_cpu = || {
        (
            cpu_seconds(&self_pid),
            args.cpu_of
                .iter()
                .map(|n| cpu_by_pid(n))
                .collect::<Vec<_>>(),
        )
    };
    // CPU readings at the start and end of the measured window.
    let (result, (own_before, others_before)) = run_load(
        &args.url,
        phones,
        args.connections,
        Duration::from_secs(2),
        args.seconds,
        read_cpu,
    )?;
    let (own_after, others_after) = read_cpu();
    println!(
        "batches: {} ok, {} failed in {} s = {:.0} batches/s; latency ms p50 {:.1} p90 {:.1} p99 {:.1} max {:.1}",
        result.latencies.len(),
        result.errors,
        args.seconds,
        result.rate(),
        result.percentile_ms(0.5),
        result.percentile_ms(0.9),
        result.percentile_ms(0.99),
        result.percentile_ms(1.0)
    );
    println!("load average after: {}", load_average());
    let seconds = args.seconds as f64;
    let batches = result.latencies.len().max(1) as f64;
    let mut cpu = Vec::new();
    if let (Some(b), Some(a)) = (own_before, own_after) {
        cpu.push(("sync-bench (this client)".to_owned(), a - b));
    }
    for (name, (b, a)) in args
        .cpu_of
        .iter()
        .zip(others_before.iter().zip(&others_after))
    {
        cpu.push((name.clone(), cpu_used(b, a)));
    }
    for (name, used) in cpu {
        println!(
            "cpu {name}: {used:.2} s = {:.2} cores, {:.3} ms per batch",
            used / seconds,
            used * 1000.0 / batches
        );
    }
    Ok(())
}
