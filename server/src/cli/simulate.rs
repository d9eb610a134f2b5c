//! `server simulate`: the models over a sleeps file, as the FIPS CSV.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use mobile_core::fips_csv::{read_sleeps, write_series};
use mobile_core::grid::parse_epoch;
use mobile_core::simulation::{FipsModels, simulate};
use mobile_core::{EpochGrid, LocalClock, ModelParams};

/// Arguments of `server simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Sleeps CSV (`sleep_start,sleep_end`, RFC 3339 instants).
    #[arg(long)]
    sleeps: PathBuf,
    /// Series start, RFC 3339 with `Z` or an offset.
    #[arg(long)]
    start: String,
    /// Series end (inclusive), RFC 3339; a whole number of epochs after the start.
    #[arg(long)]
    end: String,
    /// Epoch: `5m`, `300s`, `1h` or a number of minutes (1 to 60 minutes).
    #[arg(long, default_value = "5m")]
    epoch: String,
    /// IANA time zone for clock time of day (the reference vectors used UTC).
    #[arg(long, default_value = "Europe/London")]
    tz: String,
    /// JSON file overriding model coefficients: {"tpm": {...}, "unified": {...}}.
    #[arg(long)]
    params: Option<PathBuf>,
}

fn instant(text: &str, what: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            anyhow!("--{what} {text:?} is not an RFC 3339 instant with Z or an offset ({e})")
        })
}

/// Reads the model parameters file, if any.
pub fn read_params(path: Option<&PathBuf>) -> anyhow::Result<ModelParams> {
    let params = match path {
        None => ModelParams::default(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| anyhow!("{}: line {}: {e}", p.display(), e.line()))?
        }
    };
    params.validate()?;
    Ok(params)
}

/// Runs `server simulate`.
pub fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let file = File::open(&args.sleeps)
        .with_context(|| format!("cannot open {}", args.sleeps.display()))?;
    let sleeps = read_sleeps(file).map_err(|e| anyhow!("{}: {e}", args.sleeps.display()))?;
    let grid = EpochGrid::new(
        instant(&args.start, "start")?,
        instant(&args.end, "end")?,
        parse_epoch(&args.epoch)?,
    )?;
    let clock = LocalClock::from_name(&args.tz)?;
    let params = read_params(args.params.as_ref())?;
    let run = simulate::<FipsModels>(&params, &sleeps, &grid, &clock)
        .map_err(|e| anyhow!("{}: {e}", args.sleeps.display()))?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    write_series(&mut out, &run.steps)?;
    out.flush()?;
    Ok(())
}
