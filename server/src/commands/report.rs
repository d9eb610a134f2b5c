//! `server report`: one FRM report from the command line, to standard output.

use chrono::NaiveDate;
use diesel::{Connection, PgConnection};

use crate::config::Config;
use crate::db::accounts::Force;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One self-contained HTML page with SVG charts (prints cleanly to PDF).
    Html,
    /// Long-format CSV of every published cell.
    Csv,
    /// The report's figures as JSON.
    Json,
}

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

/// The report type, re-exported so callers need not name the analytics crate.
pub type ReportFigures = analytics::report::Report;

/// Renders a report in a format.
///
/// # Errors
/// Rendering failures (not expected).
pub fn render(
    report: &analytics::report::Report,
    format: Format,
) -> Result<String, analytics::AnalyticsError> {
    match format {
        Format::Html => analytics::render::render_html(report),
        Format::Csv => analytics::render::render_csv(report),
        Format::Json => analytics::render::render_json(report),
    }
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
        let report = crate::scheduler::in_force(&mut c, force.id, |c| {
            crate::scheduler::build_force_report(c, force.id, period)
        })
        .map_err(|e| anyhow::anyhow!("building the report: {e}"))?;
        Ok(render(&report, args.format)?)
    })();
    if let Some(c) = cluster {
        c.stop();
    }
    print!("{}", result?);
    Ok(())
}
