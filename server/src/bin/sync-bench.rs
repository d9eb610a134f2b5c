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

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use clap::Parser;
use serde_json::{Value, json};

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

/// Clock ticks per second in `/proc/*/stat` (USER_HZ, fixed at 100 in the
/// Linux ABI).
const USER_HZ: f64 = 100.0;

/// User plus system CPU seconds of a process from `/proc/<pid>/stat`.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// CPU seconds per process, by pid, of every process named `name`.
fn cpu_by_pid(name: &str) -> std::collections::HashMap<String, f64> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let pid = e.ok()?.file_name().into_string().ok()?;
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            (comm.trim() == name).then_some(())?;
            Some((pid.clone(), cpu_seconds(&pid)?))
        })
        .collect()
}

/// CPU seconds the processes named `name` used between two readings
/// (processes that started in between count from zero).
fn cpu_used(
    before: &std::collections::HashMap<String, f64>,
    after: &std::collections::HashMap<String, f64>,
) -> f64 {
    after
        .iter()
        .map(|(pid, t)| t - before.get(pid).copied().unwrap_or(0.0))
        .sum()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn post(
    agent: &ureq::Agent,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<Value> {
    let mut req = agent.post(url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    match req.send_json(body.clone()) {
        Ok(r) => Ok(r.into_json()?),
        Err(ureq::Error::Status(code, r)) => Err(anyhow!(
            "{url}: {code} {}",
            r.into_string().unwrap_or_default()
        )),
        Err(e) => Err(e.into()),
    }
}

fn token(v: &Value) -> anyhow::Result<String> {
    v["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("no access_token")
}

struct Phone {
    token: String,
    device: String,
    sequence: u64,
}

fn setup(args: &Args, agent: &ureq::Agent) -> anyhow::Result<Vec<Phone>> {
    let u = &args.url;
    let admin = token(&post(
        agent,
        &format!("{u}/v1/auth/login"),
        None,
        &json!({"username":"admin","password":args.admin_password}),
    )?)?;
    let password = "bench-password-long";
    let forces = (0..args.forces.max(1))
        .map(|_| {
            let slug = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            post(
                agent,
                &format!("{u}/v1/admin/forces"),
                Some(&admin),
                &json!({"slug":slug,"name":"Bench"}),
            )?;
            post(
                agent,
                &format!("{u}/v1/admin/forces/{slug}/admins"),
                Some(&admin),
                &json!({"username":"chief","password":password}),
            )?;
            let chief = token(&post(
                agent,
                &format!("{u}/v1/auth/login"),
                None,
                &json!({"force":slug,"username":"chief","password":password}),
            )?)?;
            Ok((slug, chief))
        })
        .collect::<anyhow::Result<Vec<(String, String)>>>()?;
    (0..args.devices)
        .map(|i| {
            let (slug, chief) = &forces[i % forces.len()];
            let code = post(
                agent,
                &format!("{u}/v1/force/enrolment-codes"),
                Some(chief),
                &json!({"staff_number":format!("B{i:05}")}),
            )?;
            let enrolled = post(
                agent,
                &format!("{u}/v1/enrol"),
                None,
                &json!({"force":slug,"code":code["code"]}),
            )?;
            let t = token(&enrolled)?;
            let mut req = agent.put(&format!("{u}/v1/me/consent"));
            req = req.set("Authorization", &format!("Bearer {t}"));
            req.send_json(json!({"level":"sleep_and_check_ins"}))?;
            Ok(Phone {
                token: t,
                device: enrolled["device_id"]
                    .as_str()
                    .context("device_id")?
                    .to_owned(),
                sequence: 0,
            })
        })
        .collect()
}

fn batch(p: &mut Phone) -> Value {
    p.sequence += 1;
    let date = chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(p.sequence)))
        .unwrap_or_default();
    json!({
        "device_id": p.device, "idempotency_key": uuid::Uuid::new_v4().to_string(),
        "schema_version": 1, "sequence": p.sequence, "created_at": chrono::Utc::now(),
        "records": [
            {"kind":"daily_summary","local_date":date,"main_sleep_start":format!("{}T23:00:00Z", date.pred_opt().unwrap_or(date)),
             "main_sleep_end":format!("{date}T06:45:00Z"),"sleep_minutes":465,"sleep_debt_minutes":30,
             "recovery_score":71,"recovery_band":"green","hrv_deviation_sd":0.2,"resting_hr_deviation_bpm":-1.0},
            {"kind":"check_in","local_date":date,"taken_at":format!("{date}T07:00:00Z"),"scale":"kss","value":4,"context":"before_shift"}
        ]
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let phones = setup(&args, &agent)?;
    println!(
        "enrolled {} devices in {} forces; {} connections; warm-up 2 s, then {} s",
        phones.len(),
        args.forces.max(1),
        args.connections,
        args.seconds
    );
    let mut groups: Vec<Vec<Phone>> = (0..args.connections).map(|_| Vec::new()).collect();
    for (i, p) in phones.into_iter().enumerate() {
        groups[i % args.connections].push(p);
    }
    println!("load average before: {}", load_average());
    let start = Instant::now();
    let warm = start + Duration::from_secs(2);
    let stop = warm + Duration::from_secs(args.seconds);
    let url = format!("{}/v1/sync", args.url);
    let handles: Vec<_> = groups
        .into_iter()
        .filter(|g| !g.is_empty())
        .map(|mut group| {
            let url = url.clone();
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(10))
                    .build();
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                let mut i = 0;
                loop {
                    let now = Instant::now();
                    if now >= stop {
                        break;
                    }
                    let n = group.len();
                    let p = &mut group[i % n];
                    i += 1;
                    let body = batch(p);
                    let ok = post(&agent, &url, Some(&p.token), &body).is_ok();
                    if now >= warm {
                        if ok {
                            latencies.push(now.elapsed());
                        } else {
                            errors += 1;
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    // CPU readings at the start and end of the measured window.
    std::thread::sleep(warm.saturating_duration_since(Instant::now()));
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
    let (own_before, others_before) = read_cpu();
    std::thread::sleep(stop.saturating_duration_since(Instant::now()));
    let (own_after, others_after) = read_cpu();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for h in handles {
        let (l, e) = h.join().map_err(|_| anyhow!("a load thread panicked"))?;
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    let pct = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(f64::NAN)
    };
    println!(
        "batches: {} ok, {errors} failed in {} s = {:.0} batches/s; latency ms p50 {:.1} p90 {:.1} p99 {:.1} max {:.1}",
        latencies.len(),
        args.seconds,
        latencies.len() as f64 / args.seconds as f64,
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
    println!("load average after: {}", load_average());
    let seconds = args.seconds as f64;
    let batches = latencies.len().max(1) as f64;
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
