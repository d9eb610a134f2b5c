//! The sync load shared by `sync-bench` (docs/operations.md) and `server
//! rehearse --measure`: bench forces and phones made through the API, then
//! connections that each send their phones' batches for a while, with
//! latency percentiles and CPU readings. Bounded by time; not part of CI.

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use serde_json::{Value, json};

/// Clock ticks per second in `/proc/*/stat` (USER_HZ, fixed at 100 in the
/// Linux ABI).
const USER_HZ: f64 = 100.0;

/// User plus system CPU seconds of a process from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// CPU seconds per process, by pid, of every process named `name`.
pub fn cpu_by_pid(name: &str) -> std::collections::HashMap<String, f64> {
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
pub fn cpu_used(
    before: &std::collections::HashMap<String, f64>,
    after: &std::collections::HashMap<String, f64>,
) -> f64 {
    after
        .iter()
        .map(|(pid, t)| t - before.get(pid).copied().unwrap_or(0.0))
        .sum()
}

/// The 1, 5 and 15-minute load averages (`/proc/loadavg`).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// POSTs `body` as JSON (with a bearer token when given); the JSON answer.
///
/// # Errors
/// Transport errors and non-2xx answers (with their body).
pub fn post(
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

/// The `access_token` of a sign-in or enrolment answer.
///
/// # Errors
/// When there is none.
pub fn token(v: &Value) -> anyhow::Result<String> {
    v["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("no access_token")
}

/// An enrolled bench phone.
pub struct Phone {
    token: String,
    device: String,
    sequence: u64,
}

/// Makes `forces` bench forces (`bench-<random>`) through the API as the
/// platform admin and enrols `devices` phones over them, each consenting to
/// sleep and check-ins.
///
/// # Errors
/// Any refused request.
pub fn setup(
    url: &str,
    admin_password: &str,
    devices: usize,
    forces: usize,
    agent: &ureq::Agent,
) -> anyhow::Result<Vec<Phone>> {
    let u = url;
    let admin = token(&post(
        agent,
        &format!("{u}/v1/auth/login"),
        None,
        &json!({"username":"admin","password":admin_password}),
    )?)?;
    let password = "bench-password-long";
    let forces = (0..forces.max(1))
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
    (0..devices)
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

/// The phone's next batch: a daily summary and a check-in for a new day.
pub fn batch(p: &mut Phone) -> Value {
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

/// What a load run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Latencies of the batches acknowledged in the measured window, sorted.
    pub latencies: Vec<Duration>,
    /// Batches that failed in the window.
    pub errors: usize,
    /// Measured seconds.
    pub seconds: f64,
}

impl LoadResult {
    /// Acknowledged batches per second.
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds.max(1e-9)
    }

    /// The `q` quantile of the latencies, milliseconds (NaN when none).
    pub fn percentile_ms(&self, q: f64) -> f64 {
        percentile_ms(&self.latencies, q)
    }
}

/// The `q` quantile of sorted `latencies`, milliseconds (NaN when empty).
pub fn percentile_ms(latencies: &[Duration], q: f64) -> f64 {
    latencies
        .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(f64::NAN)
}

/// Sends `phones`' batches to `{url}/v1/sync` from `connections` threads
/// (each with its own keep-alive connection and phones) from `warm_up`
/// after now until `warm_up + seconds`; only the window after the warm-up
/// is measured. `during` runs on this thread once the window has started
/// (the rehearsal measures the team view under this load).
///
/// # Errors
/// A load thread that panicked.
pub fn run_load<T>(
    url: &str,
    phones: Vec<Phone>,
    connections: usize,
    warm_up: Duration,
    seconds: u64,
    during: impl FnOnce() -> T,
) -> anyhow::Result<(LoadResult, T)> {
    let connections = connections.max(1);
    let mut groups: Vec<Vec<Phone>> = (0..connections).map(|_| Vec::new()).collect();
    for (i, p) in phones.into_iter().enumerate() {
        groups[i % connections].push(p);
    }
    let start = Instant::now();
    let warm = start + warm_up;
    let stop = warm + Duration::from_secs(seconds);
    let url = format!("{url}/v1/sync");
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
    std::thread::sleep(warm.saturating_duration_since(Instant::now()));
    let during = during();
    let mut result = LoadResult {
        seconds: seconds as f64,
        ..LoadResult::default()
    };
    for h in handles {
        let (l, e) = h.join().map_err(|_| anyhow!("a load thread panicked"))?;
        result.latencies.extend(l);
        result.errors += e;
    }
    result.latencies.sort();
    Ok((result, during))
}
