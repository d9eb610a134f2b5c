//! `server rehearse`: fills the database as after a year of national
//! roll-out (`crate::rehearsal`), or with `--measure` takes the issue's
//! figures on it (README, "Rehearsal"; docs/scaling.md).

use chrono::NaiveDate;

use crate::config::Config;
use crate::db;
use crate::rehearsal::{Plan, Sizes, load, measure};

/// Arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct RehearseArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: super::CommonArgs,
    /// Officers and staff across all forces.
    #[arg(long, default_value_t = 120_000)]
    pub people: usize,
    /// Forces (sizes spread as 1/k: the largest about a quarter).
    #[arg(long, default_value_t = 43)]
    pub forces: usize,
    /// Days of phone records (summaries, check-ins, learning) before today.
    #[arg(long, default_value_t = 91)]
    pub days: i64,
    /// Days of roster (ending up to 28 days ahead).
    #[arg(long, default_value_t = 365)]
    pub roster_days: i64,
    /// Seed of every identifier and figure.
    #[arg(long, default_value_t = 17)]
    pub seed: u64,
    /// People whose phones send their records through the sync service.
    #[arg(long, default_value_t = 200)]
    pub sync_sample: usize,
    /// The day the rehearsal stands on (default today, UTC).
    #[arg(long)]
    pub today: Option<NaiveDate>,
    /// Measure on an existing rehearsal instead of filling one.
    #[arg(long)]
    pub measure: bool,
    /// With --measure: sync connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// With --measure: seconds of each sync load.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// With --measure: requests per team-view and what-if series.
    #[arg(long, default_value_t = 200)]
    pub repeats: usize,
}

/// Fills or measures.
///
/// # Errors
/// Configuration, database or load failures.
pub fn run(args: &RehearseArgs) -> anyhow::Result<()> {
    let config = Config::load(args.common.config.as_deref())?;
    super::init_logging(config.log_json);
    let (app_url, owner_url, cluster) = super::database(&config)?;
    db::run_migrations(&owner_url)?;
    let log = cluster.as_ref().map(|c| c.dir().join("server.log"));
    let result = if args.measure {
        measure::run(
            config.clone(),
            &app_url,
            &owner_url,
            log,
            measure::MeasureOptions {
                connections: args.connections,
                seconds: args.seconds,
                repeats: args.repeats,
            },
        )
    } else {
        fill(args, &config, &app_url, &owner_url)
    };
    if let Some(c) = cluster {
        c.stop();
    }
    result
}

fn fill(
    args: &RehearseArgs,
    config: &Config,
    app_url: &str,
    owner_url: &str,
) -> anyhow::Result<()> {
    let plan = Plan::new(Sizes {
        people: args.people,
        forces: args.forces,
        days: args.days,
        roster_days: args.roster_days,
        seed: args.seed,
        sync_sample: args.sync_sample,
        today: args
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive()),
    })?;
    let hash = crate::auth::hash_password(crate::rehearsal::PASSWORD)
        .map_err(|e| anyhow::anyhow!("hashing the rehearsal password: {e:?}"))?;
    let pool = db::pool(app_url, 4, config.database_timeout_ms);
    let started = std::time::Instant::now();
    let written = load::load(&plan, owner_url, &pool, &hash)?;
    println!(
        "rehearsal loaded in {:.0} s: {} people in {} forces (largest {}), seed {}",
        started.elapsed().as_secs_f64(),
        args.people,
        args.forces,
        plan.forces.first().map_or(0, |f| f.people),
        args.seed
    );
    for (table, rows) in &written.rows {
        println!("  {table}: {rows} rows by COPY");
    }
    println!(
        "  sync service: {} batches from {} phones",
        written.synced_batches,
        args.sync_sample.min(args.people)
    );
    std::fs::create_dir_all(&config.data_dir)?;
    let logins = config.data_dir.join("rehearsal-logins.txt");
    load::write_logins(&plan, &logins)?;
    println!("sign-ins written to {}", logins.display());
    Ok(())
}
