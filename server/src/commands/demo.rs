//! `server demo`: the server with a realistic demonstration force.
//!
//! Seeds (once; a second run reuses it) force `demo` with 300 synthetic
//! officers in 12 teams, a 4-on-4-off roster (two days, two nights, with a
//! quick return and a long shift here and there) from 90 days ago to 28 days
//! ahead, and 90 days of daily summaries and check-ins from the officers who
//! consented (about two in three), synced through the same code path as a
//! phone's batches. Then serves and prints the URL and logins.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use diesel::Connection;
use models::sync::{
    CheckInContext, CheckInRecord, CheckInScale, DailySummary, RecoveryBand, SyncBatch, SyncRecord,
};
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::auth::{hash_password, secret_hash};
use crate::config::Config;
use crate::db::{
    self,
    accounts::{Force, PolicingFunction, Team, TeamPlacement},
    people,
};
use crate::error::AppResult;

/// Arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: super::CommonArgs,
    /// Officers to create.
    #[arg(long, default_value_t = 300)]
    pub officers: usize,
}

/// Password of every demo login.
pub const DEMO_PASSWORD: &str = "demo-password-1";

/// Runs the demo.
///
/// # Errors
/// As `serve`.
pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let mut config = Config::load(args.common.config.as_deref())?;
    super::init_logging(config.log_json);
    if config.bootstrap_admin_password.is_none() {
        config.bootstrap_admin_password = Some(DEMO_PASSWORD.to_owned());
    }
    let (app_url, owner_url, cluster) = super::database(&config)?;
    db::run_migrations(&owner_url)?;
    let officers = args.officers;
    let result = super::serve::serve_with(config, &app_url, move |state| {
        let mut conn = state.pool.get()?;
        println!("seeding the demo force (first run only; a minute or two)...");
        seed(&mut conn, officers).map_err(|e| anyhow::anyhow!("seeding the demo: {e:?}"))?;
        println!("demo force `demo`: {officers} officers, 12 teams, 90 days of summaries");
        println!(
            "logins (password {DEMO_PASSWORD}): platform `admin` (no force); force `demo`: `force-admin`, `frm-lead`, `supervisor-1` (teams 1-2)"
        );
        Ok(())
    });
    if let Some(c) = cluster {
        c.stop();
    }
    result
}

/// The demo's 12 teams: response teams in two commands, then investigation,
/// a control room and neighbourhood teams, so reports have commands and
/// NPWS comparisons have functions to compare.
fn demo_team(index: usize) -> (String, TeamPlacement) {
    let (command, function, label) = match index {
        0..=3 => ("North", PolicingFunction::Response, "Response"),
        4..=7 => ("South", PolicingFunction::Response, "Response"),
        8 => ("Crime", PolicingFunction::Investigation, "CID"),
        9 => ("Contact", PolicingFunction::ControlRoom, "Control room"),
        _ => ("North", PolicingFunction::Neighbourhood, "Neighbourhood"),
    };
    (
        format!("{label} team {}", index + 1),
        TeamPlacement {
            command: command.into(),
            function,
        },
    )
}

/// Seeds the demo force unless it exists.
///
/// # Errors
/// Database errors.
pub fn seed(c: &mut diesel::PgConnection, officers: usize) -> AppResult<()> {
    if Force::by_slug(c, "demo").is_ok() {
        return Ok(());
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_251_123);
    let hash = hash_password(DEMO_PASSWORD)?;
    let force = Force::create(c, "demo", "Demo Constabulary", "Europe/London")?;
    let f = force.id;
    let today = Utc::now().date_naive();
    c.transaction(|c| -> AppResult<()> {
        db::set_force(c, f)?;
        db::accounts::create_force_account(c, f, "force-admin", &hash, "force_admin")?;
        db::accounts::create_force_account(c, f, "frm-lead", &hash, "frm_lead")?;
        let sup = db::accounts::create_force_account(c, f, "supervisor-1", &hash, "supervisor")?;
        let staff: Vec<String> = (1..=officers).map(|i| format!("D{i:05}")).collect();
        for (t, chunk) in staff.chunks(officers.div_ceil(12).max(1)).enumerate() {
            let (name, placement) = demo_team(t);
            let team = Team::create(c, f, &name, &placement)?;
            Team::set_members(c, f, team.id, chunk)?;
            if t < 2 {
                Team::add_supervisor(c, f, team.id, sup)?;
            }
        }
        let mut entries = Vec::new();
        for (i, s) in staff.iter().enumerate() {
            entries.extend(roster_for(s, i, today, &mut rng));
        }
        db::rosters::store(c, f, sup, "csv", &entries)?;
        Ok(())
    })?;
    for (i, s) in (1..=officers).map(|i| format!("D{i:05}")).enumerate() {
        c.transaction(|c| -> AppResult<()> {
            db::set_force(c, f)?;
            let code = format!("demo-{s}");
            people::create_enrolment_code(c, f, &secret_hash(&code), &s)?;
            let (person, device) = people::enrol(c, f, &secret_hash(&code))?;
            let level = match i % 3 {
                0 => people::Consent::RosterOnly,
                1 => people::Consent::Sleep,
                _ => people::Consent::SleepAndCheckIns,
            };
            people::set_consent(c, f, person, level)?;
            if level == people::Consent::RosterOnly {
                return Ok(());
            }
            let records: Vec<SyncRecord> = (1..=90)
                .flat_map(|d| day_records(today - Duration::days(d), &mut rng))
                .collect();
            for (seq, chunk) in records
                .chunks(models::sync::MAX_RECORDS_PER_BATCH)
                .enumerate()
            {
                let batch = SyncBatch {
                    device_id: device.to_string(),
                    idempotency_key: Uuid::new_v4().to_string(),
                    schema_version: models::sync::SYNC_SCHEMA_VERSION,
                    sequence: seq as u64 + 1,
                    created_at: Utc::now(),
                    records: chunk.to_vec(),
                };
                db::sync::apply(c, f, person, device, &batch)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// A 4-on-4-off rota (day, day, night, night), staggered by officer, with
/// the odd 13-hour day and an early after a late (a quick return).
fn roster_for(
    staff: &str,
    i: usize,
    today: NaiveDate,
    rng: &mut impl Rng,
) -> Vec<mobile_core::roster::RosterEntry> {
    let london = chrono_tz::Europe::London;
    let mut out = Vec::new();
    for d in -90i64..28 {
        let date = today + Duration::days(d);
        let phase = (d + i as i64).rem_euclid(8);
        let (start_h, hours) = match phase {
            0 | 1 => (7, if rng.gen_bool(0.05) { 13 } else { 10 }),
            2 => (if rng.gen_bool(0.1) { 14 } else { 22 }, 10),
            3 => (22, 10),
            _ => continue,
        };
        let Some(local) = date.and_hms_opt(start_h, 0, 0) else {
            continue;
        };
        let Some(start) = london.from_local_datetime(&local).earliest() else {
            continue;
        };
        let start = start.with_timezone(&Utc);
        if let Ok(shift) = models::Shift::new(start, start + Duration::hours(hours)) {
            out.push(mobile_core::roster::RosterEntry {
                staff_id: staff.to_owned(),
                shift,
                team: None,
                role: None,
                activity: None,
                line: 0,
            });
        }
    }
    out
}

fn day_records(date: NaiveDate, rng: &mut impl Rng) -> Vec<SyncRecord> {
    let sleep_minutes: u32 = rng.gen_range(300..510);
    let end = date.and_hms_opt(6, 45, 0).map(|t| t.and_utc());
    let start = end.map(|e| e - Duration::minutes(i64::from(sleep_minutes / 15 * 15)));
    let score: u8 = rng.gen_range(20..95);
    let band = match score {
        0..=39 => RecoveryBand::Red,
        40..=69 => RecoveryBand::Amber,
        _ => RecoveryBand::Green,
    };
    let mut out = vec![SyncRecord::DailySummary(DailySummary {
        local_date: date,
        main_sleep_start: start,
        main_sleep_end: end,
        sleep_minutes,
        sleep_debt_minutes: rng.gen_range(0..600),
        recovery_score: Some(score),
        recovery_band: Some(band),
        hrv_deviation_sd: Some(rng.gen_range(-2.0..2.0)),
        resting_hr_deviation_bpm: Some(rng.gen_range(-5.0..5.0)),
    })];
    if let Some(t) = date.and_hms_opt(7, 0, 0) {
        out.push(SyncRecord::CheckIn(CheckInRecord {
            local_date: date,
            taken_at: t.and_utc(),
            scale: CheckInScale::Kss,
            value: rng.gen_range(2..9),
            context: CheckInContext::BeforeShift,
        }));
    }
    out
}
