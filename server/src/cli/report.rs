//! `server report`: one FRM report from the command line, to standard output.

use chrono::NaiveDate;
use diesel::{Connection, PgConnection};

use crate::accounts::store::Force;
use crate::config::Config;
use crate::reports::service::{Format, render, report_now};

/// Arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: super::CommonArgs,
    /// The force's slug.
    #[arg(long)]
    pub force: String,
    /// First day (YYYY-MM-DD, local to the force).
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day, inclusive.
    #[arg(long)]
    pub to: NaiveDate,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Html)]
    pub format: Format,
}

/// Builds the report from the database and prints it. Nothing is recorded:
/// the same period gives the same figures as a scheduled run.
///
/// # Errors
/// Unknown force, bad period, database failures.
pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let config = Config::load(args.common.config.as_deref())?;
    super::init_logging(config.log_json);
    let (app_url, owner_url, cluster) = super::database(&config)?;
    let result = (|| -> anyhow::Result<String> {
        crate::db::run_migrations(&owner_url)?;
        let period = analytics::input::Period::new(args.from, args.to)?;
        let mut c = PgConnection::establish(&app_url)?;
        let slug = args.force.clone();
        let force =
            Force::by_slug(&mut c, &slug).map_err(|_| anyhow::anyhow!("no force `{slug}`"))?;
        let report = report_now(&mut c, force.id, period)
            .map_err(|e| anyhow::anyhow!("building the report: {e}"))?;
        Ok(render(&report, args.format)?)
    })();
    if let Some(c) = cluster {
        c.stop();
    }
    print!("{}", result?);
    Ok(())
}
