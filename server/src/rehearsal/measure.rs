//! `server rehearse --measure`: the figures on a rehearsal database.
//! The server runs in this process on a loopback port and every figure a
//! person waits for is taken through its API (sign-in, team view, what-if,
//! NPWS); the scheduled FRM report through the scheduler's own visit
//! ([`crate::reports::service::visit_force`]); the sync load through
//! [`crate::bench`]. Plans of the hot queries come from PostgreSQL's
//! `auto_explain` (embedded cluster only) into `rehearsal-explain.txt`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Date, Nullable, Text, Uuid as SqlUuid};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::bench::{self, percentile_ms, post};
use crate::config::Config;
use crate::db::Scope;

/// What to measure with.
#[derive(Debug, Clone, Copy)]
pub struct MeasureOptions {
    /// Sync connections.
    pub connections: usize,
    /// Seconds of each sync load.
    pub seconds: u64,
    /// Team-view and what-if requests per series.
    pub repeats: usize,
}

#[derive(QueryableByName)]
struct Largest {
    #[diesel(sql_type = SqlUuid)]
    force_id: Uuid,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = BigInt)]
    people: i64,
    #[diesel(sql_type = SqlUuid)]
    team_id: Uuid,
    #[diesel(sql_type = Text)]
    supervisor: String,
    #[diesel(sql_type = BigInt)]
    members: i64,
    #[diesel(sql_type = Text)]
    staff: String,
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

fn get(agent: &ureq::Agent, url: &str, token: &str) -> anyhow::Result<Value> {
    match agent
        .get(url)
        .set("Authorization", &format!("Bearer {token}"))
        .call()
    {
        Ok(r) => Ok(r.into_json()?),
        Err(ureq::Error::Status(code, r)) => {
            anyhow::bail!("{url}: {code} {}", r.into_string().unwrap_or_default())
        }
        Err(e) => Err(e.into()),
    }
}

fn timed<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(Duration, T)> {
    let t = Instant::now();
    let v = f()?;
    Ok((t.elapsed(), v))
}

fn series(
    repeats: usize,
    mut f: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Vec<Duration>> {
    let mut out = (0..repeats)
        .map(|_| timed(&mut f).map(|(d, ())| d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    out.sort();
    Ok(out)
}

fn line(out: &mut String, name: &str, l: &[Duration]) {
    let _ = writeln!(
        out,
        "{name}: n {} p50 {:.1} ms p99 {:.1} ms max {:.1} ms",
        l.len(),
        percentile_ms(l, 0.5),
        percentile_ms(l, 0.99),
        percentile_ms(l, 1.0)
    );
}

/// Runs every measurement and writes the figures to `data_dir/rehearsal-figures.txt`
/// (and standard output), the plans to `data_dir/rehearsal-explain.txt`.
///
/// # Errors
/// Database, server or request failures.
pub fn run(
    mut config: Config,
    app_url: &str,
    owner_url: &str,
    cluster_log: Option<PathBuf>,
    options: MeasureOptions,
) -> anyhow::Result<()> {
    let mut owner = PgConnection::establish(owner_url)?;
    let largest = largest_force(&mut owner)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "machine: {} cores, shared with other work; load average at start {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        bench::load_average()
    );
    let _ = writeln!(
        out,
        "largest force {} with {} people; team of {} members",
        largest.slug, largest.people, largest.members
    );

    // The scheduled FRM report: the scheduler's visit, from the database
    // to the recorded run. A second --measure finds it done and times an
    // on-demand build of the same period instead.
    let pool = crate::db::pool(app_url, 8, config.database_timeout_ms);
    let mut conn = pool.get()?;
    // An on-demand build of the largest force's last full ISO week.
    let last_week = |c: &mut PgConnection| {
        let period = mobile_core::period::Period::iso_weeks_before(Utc::now().date_naive(), 1);
        timed(|| {
            Ok(crate::reports::service::report_now(
                c,
                largest.force_id,
                period,
            )?)
        })
        .map(|(took, _)| took)
    };
    let (took, visit) = timed(|| {
        Ok(crate::reports::service::visit_force(
            &mut conn,
            largest.force_id,
            Utc::now(),
        )?)
    })?;
    match visit {
        crate::reports::service::Visit::Ran { period, .. } => {
            let _ = writeln!(
                out,
                "FRM report, scheduled, largest force ({} to {}): {:.2} s (target < 20 s)",
                period.from,
                period.to,
                took.as_secs_f64()
            );
        }
        other => {
            let took = last_week(&mut conn)?;
            let _ = writeln!(
                out,
                "FRM report, on demand (scheduled visit: {other:?}), largest force: {:.2} s (target < 20 s)",
                took.as_secs_f64()
            );
        }
    }
    // The first report after the cluster starts reads from disk or the
    // page cache; a running service's reports find much of it in the
    // database's buffers. Both are figures: the same period again.
    let again = last_week(&mut conn)?;
    let _ = writeln!(
        out,
        "FRM report again, the same force and week, the database's buffers warm: {:.2} s (target < 20 s)",
        again.as_secs_f64()
    );
    drop(conn);
    // Said at once: the rest takes minutes.
    print!("{out}");
    let printed = out.len();

    // The server, on a free loopback port, with room for the bench's sign-ins.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    config.enrol_per_minute = 1_000_000;
    config.sign_in_per_minute = 1_000_000;
    let admin_password = "rehearsal-admin-password".to_owned();
    config.bootstrap_admin_password = Some(admin_password.clone());
    let serve_url = app_url.to_owned();
    let serve_owner = owner_url.to_owned();
    std::thread::spawn(move || {
        if let Err(e) = crate::cli::serve::serve_with(config, &serve_url, &serve_owner, |_| Ok(()))
        {
            tracing::error!(error = %e, "the measured server stopped");
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(600))
        .build();
    let started = Instant::now();
    while agent.get(&format!("{base}/ready")).call().is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            anyhow::bail!("the server did not become ready");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let login = |force: Option<&str>, user: &str| -> anyhow::Result<String> {
        let mut body = json!({"username": user, "password": super::PASSWORD});
        if let Some(f) = force {
            body["force"] = json!(f);
        }
        bench::token(&post(
            &agent,
            &format!("{base}/v1/auth/login"),
            None,
            &body,
        )?)
    };

    // NPWS over everyone: the last 28 days.
    let analyst = login(None, super::ANALYST)?;
    let today = Utc::now().date_naive();
    let (from, to) = (today - Days::days(28), today - Days::days(1));
    let q = format!("from={from}&to={to}");
    let (took, cohorts) = timed(|| get(&agent, &format!("{base}/v1/npws/cohorts?{q}"), &analyst))?;
    let _ = writeln!(
        out,
        "NPWS cohorts, all forces, {from} to {to}: {:.2} s, {} cohorts (target < 60 s)",
        took.as_secs_f64(),
        cohorts["cohorts"].as_array().map_or(0, Vec::len)
    );
    let (took, _) = timed(|| get(&agent, &format!("{base}/v1/npws/comparisons?{q}"), &analyst))?;
    let _ = writeln!(
        out,
        "NPWS comparisons, all forces: {:.2} s (target < 60 s)",
        took.as_secs_f64()
    );

    // The supervisor's team view (28 days) and a what-if, idle then under load.
    let sup = login(Some(&largest.slug), &largest.supervisor)?;
    let team_url = format!("{base}/v1/teams/{}/risk?{q}", largest.team_id);
    let what_if_url = format!("{base}/v1/teams/{}/risk/what-if", largest.team_id);
    let start = analytics::input::local_instant(super::ZONE, today + Days::days(2), 7);
    let what_if = json!({"staff_number": largest.staff, "from": today, "to": today + Days::days(27),
        "add": [{"start": start, "end": start + Days::hours(10)}]});
    let view = || get(&agent, &team_url, &sup).map(|_| ());
    let change = || post(&agent, &what_if_url, Some(&sup), &what_if).map(|_| ());
    line(
        &mut out,
        "team view idle (target p99 < 200 ms)",
        &series(options.repeats, view)?,
    );
    line(
        &mut out,
        "what-if idle (target p99 < 300 ms)",
        &series(options.repeats, change)?,
    );

    let phones = bench::setup(&base, &admin_password, options.connections * 4, 4, &agent)?;
    let (load, (views, changes)) = bench::run_load(
        &base,
        phones,
        options.connections,
        Duration::from_secs(2),
        options.seconds,
        || {
            (
                series(options.repeats, view),
                series(options.repeats, change),
            )
        },
    )?;
    line(
        &mut out,
        "team view under sync load (target p99 < 200 ms)",
        &views?,
    );
    line(
        &mut out,
        "what-if under sync load (target p99 < 300 ms)",
        &changes?,
    );
    let _ = writeln!(
        out,
        "  (the concurrent sync load: {:.0} batches/s, p99 {:.1} ms)",
        load.rate(),
        load.percentile_ms(0.99)
    );
    let phones = bench::setup(&base, &admin_password, options.connections * 4, 4, &agent)?;
    let (load, ()) = bench::run_load(
        &base,
        phones,
        options.connections,
        Duration::from_secs(2),
        options.seconds,
        || (),
    )?;
    let _ = writeln!(
        out,
        "sync at {} connections for {} s: {:.0} batches/s, p50 {:.1} ms, p99 {:.1} ms, {} failed (target >= 2,000/s, p99 < 100 ms)",
        options.connections,
        options.seconds,
        load.rate(),
        load.percentile_ms(0.5),
        load.percentile_ms(0.99),
        load.errors
    );

    sizes(&mut owner, &mut out)?;
    explain(owner_url, cluster_log.as_deref(), &largest, &mut out)?;
    let _ = writeln!(out, "load average at end {}", bench::load_average());
    print!("{}", out.get(printed..).unwrap_or_default());
    Ok(std::fs::write(
        Path::new(&out_dir()).join("rehearsal-figures.txt"),
        out,
    )?)
}

fn out_dir() -> String {
    std::env::var("FATIGUE_DATA_DIR").unwrap_or_else(|_| ".data".to_owned())
}

/// The database's size, its largest tables, and the growth of a year: the
/// per-day tables (phone records, batches, audit) scaled from their days to
/// 365, the roster tables from their days to 365.
fn sizes(c: &mut PgConnection, out: &mut String) -> anyhow::Result<()> {
    let rows: Vec<Size> = diesel::sql_query(
        "SELECT 'database' AS name, pg_database_size(current_database()) AS bytes \
         UNION ALL SELECT c.relname::text, CASE WHEN c.relkind = 'p' THEN \
           (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0) \
            FROM pg_partition_tree(c.oid) t)::bigint \
           ELSE pg_total_relation_size(c.oid) END FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relispartition = false \
         ORDER BY 2 DESC",
    )
    .load(c)?;
    let span = span(c)?;
    let gib = |b: i64| b as f64 / 1024.0 / 1024.0 / 1024.0;
    let by = |n: &str| rows.iter().find(|r| r.name == n).map_or(0, |r| r.bytes);
    // A partitioned table's size is its partitions' (the parent holds no
    // rows); the batch keys grow with the batches.
    let daily: i64 = [
        "sync_records",
        "sync_batches",
        "sync_batch_keys",
        "audit_log",
    ]
    .iter()
    .map(|t| by(t))
    .sum();
    let roster: i64 = ["shifts", "rest_days", "absence_days", "roster_changes"]
        .iter()
        .map(|t| by(t))
        .sum();
    let year = daily as f64 * 365.0 / span.record_days.max(1) as f64
        + roster as f64 * 365.0 / span.roster_days.max(1) as f64;
    let _ = writeln!(
        out,
        "database size {:.2} GiB for {} people; growth per year of operation about {:.2} GiB \
         (records, batches and audit over {} days and rosters over {} days scaled to 365)",
        gib(by("database")),
        span.people,
        year / 1024.0 / 1024.0 / 1024.0,
        span.record_days,
        span.roster_days
    );
    for r in rows.iter().filter(|r| r.name != "database").take(8) {
        let _ = writeln!(out, "  {}: {:.3} GiB", r.name, gib(r.bytes));
    }
    Ok(())
}

/// The rehearsal's forces (`forces` is not force-owned; the sync bench's
/// forces are left out: they date their records from 2020).
fn rehearsal_forces(c: &mut PgConnection) -> anyhow::Result<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let ids: Vec<Id> =
        diesel::sql_query("SELECT id FROM forces WHERE slug LIKE 'rehearsal-%' ORDER BY id")
            .load(c)?;
    Ok(ids.into_iter().map(|i| i.id).collect())
}

/// The rehearsal force with the most people (the first by id of equals) and
/// its first team by name. Read force by force, each in its own scope: the
/// owner's connection is bound by row-level security like the serving
/// role's.
fn largest_force(c: &mut PgConnection) -> anyhow::Result<Largest> {
    let mut best: Option<(i64, Uuid)> = None;
    for force in rehearsal_forces(c)? {
        let people: Count = crate::db::transaction(c, Scope::Force(force), |c| {
            diesel::sql_query("SELECT count(*) AS n FROM persons WHERE force_id = $1")
                .bind::<SqlUuid, _>(force)
                .get_result(c)
        })?;
        if best.is_none_or(|(most, _)| people.n > most) {
            best = Some((people.n, force));
        }
    }
    let Some((_, force)) = best else {
        anyhow::bail!("no rehearsal in this database (run `server rehearse` first)");
    };
    crate::db::transaction(c, Scope::Force(force), |c| {
        diesel::sql_query(
            "WITH f AS (SELECT force_id, count(*) AS people FROM persons WHERE force_id = $1 \
               GROUP BY force_id) \
             SELECT f.force_id, x.slug, f.people, t.id AS team_id, a.username AS supervisor, \
               (SELECT count(*) FROM team_members m WHERE m.force_id = t.force_id AND m.team_id = t.id) AS members, \
               (SELECT min(m.staff_number) FROM team_members m WHERE m.force_id = t.force_id AND m.team_id = t.id) AS staff \
             FROM f JOIN forces x ON x.id = f.force_id \
             JOIN teams t ON t.force_id = f.force_id \
             JOIN team_supervisors s ON s.force_id = t.force_id AND s.team_id = t.id \
             JOIN accounts a ON a.force_id = s.force_id AND a.id = s.account_id \
             ORDER BY t.name LIMIT 1",
        )
        .bind::<SqlUuid, _>(force)
        .get_result(c)
    })
    .map_err(|e: diesel::result::Error| {
        anyhow::anyhow!("the largest rehearsal force has no supervised team: {e}")
    })
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Days the rehearsal's records and rosters span, and its people.
struct Span {
    record_days: i64,
    roster_days: i64,
    people: i64,
}

/// [`Span`] over every rehearsal force, read force by force in its scope.
fn span(c: &mut PgConnection) -> anyhow::Result<Span> {
    #[derive(QueryableByName)]
    struct ForceSpan {
        #[diesel(sql_type = Nullable<Date>)]
        first_record: Option<NaiveDate>,
        #[diesel(sql_type = Nullable<Date>)]
        last_record: Option<NaiveDate>,
        #[diesel(sql_type = Nullable<Date>)]
        first_shift: Option<NaiveDate>,
        #[diesel(sql_type = Nullable<Date>)]
        last_shift: Option<NaiveDate>,
        #[diesel(sql_type = BigInt)]
        people: i64,
    }
    let mut records: Vec<NaiveDate> = Vec::new();
    let mut shifts: Vec<NaiveDate> = Vec::new();
    let mut people = 0;
    for force in rehearsal_forces(c)? {
        let f: ForceSpan = crate::db::transaction(c, Scope::Force(force), |c| {
            diesel::sql_query(
                "SELECT (SELECT min(local_date) FROM sync_records WHERE force_id = $1) AS first_record, \
                   (SELECT max(local_date) FROM sync_records WHERE force_id = $1) AS last_record, \
                   (SELECT min(start_at)::date FROM shifts WHERE force_id = $1) AS first_shift, \
                   (SELECT max(start_at)::date FROM shifts WHERE force_id = $1) AS last_shift, \
                   (SELECT count(*) FROM persons WHERE force_id = $1) AS people",
            )
            .bind::<SqlUuid, _>(force)
            .get_result(c)
        })?;
        records.extend(f.first_record.into_iter().chain(f.last_record));
        shifts.extend(f.first_shift.into_iter().chain(f.last_shift));
        people += f.people;
    }
    let days = |d: &[NaiveDate]| match (d.iter().min(), d.iter().max()) {
        (Some(first), Some(last)) => (*last - *first).num_days() + 1,
        _ => 1,
    };
    Ok(Span {
        record_days: days(&records),
        roster_days: days(&shifts),
        people,
    })
}

/// Runs each hot path once on an owner connection that has loaded
/// `auto_explain` and then taken the runtime role (so row-level security
/// applies as in service), and copies the plans PostgreSQL logged.
fn explain(
    owner_url: &str,
    log: Option<&Path>,
    largest: &Largest,
    out: &mut String,
) -> anyhow::Result<()> {
    let Some(log) = log else {
        let _ = writeln!(
            out,
            "EXPLAIN: needs the embedded cluster's log (DATABASE_URL is set); skipped"
        );
        return Ok(());
    };
    let before = std::fs::metadata(log).map_or(0, |m| m.len());
    let mut c = PgConnection::establish(owner_url)?;
    {
        use diesel::connection::SimpleConnection;
        c.batch_execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; \
             SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on; \
             SET auto_explain.log_nested_statements = on; SET ROLE fatigue_app",
        )?;
    }
    let today = Utc::now().date_naive();
    let period = mobile_core::period::Period::iso_weeks_before(today, 1);
    crate::reports::service::report_now(&mut c, largest.force_id, period)?;
    let staff: Vec<String> =
        crate::db::transaction(&mut c, crate::db::Scope::Force(largest.force_id), |c| {
            crate::accounts::store::Team::find(c, largest.force_id, largest.team_id)
        })?
        .members;
    crate::db::transaction(&mut c, crate::db::Scope::Force(largest.force_id), |c| {
        crate::rosters::store::between(
            c,
            largest.force_id,
            &staff,
            analytics::input::local_instant(super::ZONE, today - Days::days(28 + 14), 0),
            analytics::input::local_instant(super::ZONE, today, 0),
        )?;
        crate::sync::store::team_summaries(
            c,
            largest.force_id,
            &staff,
            today - Days::days(28),
            today,
        )
    })?;
    crate::db::transaction(&mut c, crate::db::Scope::Platform, |c| {
        crate::npws::store::person_features(c, today - Days::days(28), today - Days::days(1), None)
    })?;
    drop(c);
    std::thread::sleep(Duration::from_millis(500));
    let text = std::fs::read(log)?;
    let plans =
        String::from_utf8_lossy(text.get(before as usize..).unwrap_or_default()).into_owned();
    let path = Path::new(&out_dir()).join("rehearsal-explain.txt");
    std::fs::write(&path, &plans)?;
    let index_scans = plans.matches("Index Scan").count()
        + plans.matches("Index Only Scan").count()
        + plans.matches("Bitmap Index Scan").count();
    let mut seq_scans: Vec<&str> = plans
        .lines()
        .filter_map(|l| {
            let at = l.find("Seq Scan on ")?;
            l[at + "Seq Scan on ".len()..].split_whitespace().next()
        })
        .collect();
    seq_scans.sort_unstable();
    seq_scans.dedup();
    let _ = writeln!(
        out,
        "EXPLAIN ANALYZE of the FRM report, the team view's two reads and NPWS features: {} index scans; sequential scans on {}; plans in {}",
        index_scans,
        seq_scans.join("; "),
        path.display()
    );
    Ok(())
}
