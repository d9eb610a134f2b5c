//! `server demo`: the server with two realistic demonstration forces.
//!
//! Seeds (once; a second run reuses them) force `demo` with 300 synthetic
//! officers in 12 teams on a 4-on-4-off roster (two days, two nights, with a
//! quick return and a long shift here and there), and force `demo-west` with
//! two fifths as many, mostly control room (12-hour days and nights) and CID
//! (office days), so NPWS cohorts and comparisons have forces and functions
//! to compare. Rosters run from 90 days ago to 28 days ahead, with 90 days of
//! daily summaries and check-ins from the officers who consented (about two
//! in three), synced through the same code path as a phone's batches. Also an
//! NPWS analyst login. Everyone has an HR record as an HR upload would make
//! it: officers, police staff (most of a control room), special constables
//! and volunteers ([`demo_hr_record`]), so reports and comparisons split by
//! employment type. Then serves and prints the URL and logins.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use mobile_core::roster::synthetic::{Slot, Variation, person_roster};
use mobile_core::synthetic::Rng as RosterRng;
use models::sync::{
    CheckInContext, CheckInRecord, CheckInScale, DailySummary, RecoveryBand, SyncBatch, SyncRecord,
};
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::accounts::store::{Consent, Force, PolicingFunction, Team, TeamPlacement};
use crate::auth::{hash_password, secret_hash};
use crate::config::Config;
use crate::db::{self, Scope};
use crate::enrolment::store as people;
use crate::error::{AppError, AppResult};
use crate::rosters::service::publish;
use diesel::RunQueryDsl;

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
    let west = west_officers(officers);
    let result = super::serve::serve_with(config, &app_url, &owner_url, move |state| {
        let mut conn = state.pool.get()?;
        println!("seeding the demo forces (first run only; a minute or two)...");
        seed(&mut conn, officers).map_err(|e| anyhow::anyhow!("seeding the demo: {e:?}"))?;
        println!("demo force `demo`: {officers} officers, 12 teams, 90 days of summaries");
        println!(
            "demo force `demo-west`: {west} officers, mostly control room and CID, 90 days of summaries"
        );
        println!(
            "roll-out: demo-north and demo-east (wave 1), demo-south (2), demo and demo-west (3), demo-coast (4, not yet live), with HR sickness counts: NPWS Evaluation page"
        );
        println!(
            "logins (password {DEMO_PASSWORD}): platform `admin` and NPWS analyst `{DEMO_ANALYST}` (no force); \
             forces `demo` and `demo-west`: `force-admin`, `frm-lead`, `supervisor-1` (teams 1-2)"
        );
        Ok(())
    });
    if let Some(c) = cluster {
        c.stop();
    }
    result
}

/// The NPWS analyst login the demo creates.
pub const DEMO_ANALYST: &str = "npws-analyst";

/// Officers of the second force: two fifths of the first (at least 12), so
/// seeding takes well under twice as long as one force.
pub fn west_officers(officers: usize) -> usize {
    (officers * 2 / 5).max(12)
}

/// Two days, two nights, four off (07:00 and 22:00, 10 hours).
pub(crate) const RESPONSE_ROTA: [Slot; 8] = [
    Some((7, 10)),
    Some((7, 10)),
    Some((22, 10)),
    Some((22, 10)),
    None,
    None,
    None,
    None,
];
/// Control room: two 12-hour days, two 12-hour nights, four off.
pub(crate) const CONTROL_ROOM_ROTA: [Slot; 8] =
    mobile_core::roster::synthetic::TWO_DAYS_TWO_NIGHTS_FOUR_OFF;
/// CID: office days, a late now and then, two days off.
pub(crate) const CID_ROTA: [Slot; 8] = [
    Some((8, 9)),
    Some((8, 9)),
    Some((8, 9)),
    Some((12, 10)),
    Some((8, 9)),
    None,
    None,
    Some((8, 9)),
];
/// Neighbourhood: earlies and lates.
pub(crate) const NEIGHBOURHOOD_ROTA: [Slot; 8] = [
    Some((6, 9)),
    Some((6, 9)),
    Some((14, 9)),
    Some((14, 9)),
    Some((14, 9)),
    None,
    None,
    None,
];

/// How a demo team works and sleeps.
struct DemoTeam {
    name: String,
    placement: TeamPlacement,
    rota: [Slot; 8],
    /// Range of nightly sleep, minutes.
    sleep: std::ops::Range<u32>,
}

/// A demo force: its slug, name, staff-number prefix and teams.
struct DemoForce {
    slug: &'static str,
    name: &'static str,
    prefix: char,
    seed: u64,
    teams: usize,
    team: fn(usize) -> DemoTeam,
}

fn team(
    name: String,
    command: &str,
    function: PolicingFunction,
    rota: [Slot; 8],
    sleep: std::ops::Range<u32>,
) -> DemoTeam {
    DemoTeam {
        name,
        placement: TeamPlacement {
            command: command.into(),
            function,
        },
        rota,
        sleep,
    }
}

/// The demo's 12 teams: response teams in two commands, then investigation,
/// a control room and neighbourhood teams, so reports have commands and
/// NPWS comparisons have functions to compare.
fn demo_team(index: usize) -> DemoTeam {
    let n = index + 1;
    match index {
        0..=3 => team(
            format!("Response team {n}"),
            "North",
            PolicingFunction::Response,
            RESPONSE_ROTA,
            300..510,
        ),
        4..=7 => team(
            format!("Response team {n}"),
            "South",
            PolicingFunction::Response,
            RESPONSE_ROTA,
            300..510,
        ),
        8 => team(
            format!("CID team {n}"),
            "Crime",
            PolicingFunction::Investigation,
            RESPONSE_ROTA,
            300..510,
        ),
        9 => team(
            format!("Control room team {n}"),
            "Contact",
            PolicingFunction::ControlRoom,
            RESPONSE_ROTA,
            300..510,
        ),
        _ => team(
            format!("Neighbourhood team {n}"),
            "North",
            PolicingFunction::Neighbourhood,
            RESPONSE_ROTA,
            300..510,
        ),
    }
}

/// The second force's 8 teams: mostly control room and CID, on their own
/// rotas, with shorter sleep in the control room and longer in CID.
fn west_team(index: usize) -> DemoTeam {
    let n = index + 1;
    match index {
        0..=2 => team(
            format!("Control room team {n}"),
            "Contact",
            PolicingFunction::ControlRoom,
            CONTROL_ROOM_ROTA,
            270..450,
        ),
        3..=4 => team(
            format!("CID team {n}"),
            "Crime",
            PolicingFunction::Investigation,
            CID_ROTA,
            360..510,
        ),
        5 => team(
            format!("Neighbourhood team {n}"),
            "West",
            PolicingFunction::Neighbourhood,
            NEIGHBOURHOOD_ROTA,
            330..500,
        ),
        6 => team(
            format!("Custody team {n}"),
            "Justice",
            PolicingFunction::Custody,
            CONTROL_ROOM_ROTA,
            280..460,
        ),
        _ => team(
            format!("Response team {n}"),
            "West",
            PolicingFunction::Response,
            RESPONSE_ROTA,
            300..480,
        ),
    }
}

const DEMO: DemoForce = DemoForce {
    slug: "demo",
    name: "Demo Constabulary",
    prefix: 'D',
    seed: 20_251_123,
    teams: 12,
    team: demo_team,
};

const WEST: DemoForce = DemoForce {
    slug: "demo-west",
    name: "West Demo Police",
    prefix: 'W',
    seed: 20_261_123,
    teams: 8,
    team: west_team,
};

/// Seeds the demo forces and the NPWS analyst, each unless it exists.
///
/// # Errors
/// Database errors.
pub fn seed(c: &mut diesel::PgConnection, officers: usize) -> AppResult<()> {
    let hash = hash_password(DEMO_PASSWORD)?;
    seed_force(c, &DEMO, officers, &hash)?;
    seed_force(c, &WEST, west_officers(officers), &hash)?;
    seed_rollout(c)?;
    if crate::accounts::store::platform_credential(c, DEMO_ANALYST)?.is_none() {
        crate::accounts::store::create_platform_account(c, DEMO_ANALYST, &hash, "npws_analyst")?;
    }
    Ok(())
}

/// A demo member of staff's HR record: control rooms are mostly police
/// staff; other teams mostly officers, with one in ten a special constable,
/// one in ten police staff (their own function: staff support) and one in
/// twenty a volunteer, so employment-type splits have every group.
fn demo_hr_record(
    staff: &str,
    index: usize,
    team: Uuid,
    function: PolicingFunction,
) -> crate::enrolment::store::StaffRecord {
    use models::staff::EmploymentType as E;
    let kind = match (function, index % 20) {
        (PolicingFunction::ControlRoom, 0..=3) => E::PoliceOfficer,
        (PolicingFunction::ControlRoom, _) => E::PoliceStaff,
        (_, 7) => E::Volunteer,
        (_, 8 | 18) => E::SpecialConstable,
        (_, 9 | 19) => E::PoliceStaff,
        _ => E::PoliceOfficer,
    };
    let own = (kind == E::PoliceStaff && function != PolicingFunction::ControlRoom)
        .then_some(PolicingFunction::StaffSupport.as_str());
    crate::enrolment::store::StaffRecord {
        staff_number: staff.to_owned(),
        employment_type: kind.as_str(),
        policing_function: own,
        team,
    }
}

/// Seeds one demo force unless it exists: accounts, teams, a roster from
/// 90 days ago to 28 days ahead, everyone enrolled, and 90 days of
/// summaries and check-ins from those who consented (about two in three),
/// synced through the same code path as a phone's batches.
fn seed_force(
    c: &mut diesel::PgConnection,
    demo: &DemoForce,
    officers: usize,
    hash: &str,
) -> AppResult<()> {
    if Force::by_slug(c, demo.slug).is_ok() {
        return Ok(());
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(demo.seed);
    let force = Force::create(c, demo.slug, demo.name, "Europe/London")?;
    let f = force.id;
    let today = Utc::now().date_naive();
    let staff: Vec<String> = (1..=officers)
        .map(|i| format!("{}{i:05}", demo.prefix))
        .collect();
    let per_team = officers.div_ceil(demo.teams).max(1);
    let team_of = |i: usize| (demo.team)(i / per_team);
    db::transaction(c, Scope::Force(f), |c| -> AppResult<()> {
        crate::accounts::store::create_force_account(c, f, "force-admin", hash, "force_admin")?;
        crate::accounts::store::create_force_account(c, f, "frm-lead", hash, "frm_lead")?;
        let sup =
            crate::accounts::store::create_force_account(c, f, "supervisor-1", hash, "supervisor")?;
        let mut records = Vec::new();
        for (t, chunk) in staff.chunks(per_team).enumerate() {
            let spec = (demo.team)(t);
            let team = Team::create(c, f, &spec.name, &spec.placement)?;
            Team::set_members(c, f, team.id, chunk)?;
            if t < 2 {
                Team::add_supervisor(c, f, team.id, sup)?;
            }
            for (j, s) in chunk.iter().enumerate() {
                records.push(demo_hr_record(
                    s,
                    t * per_team + j,
                    team.id,
                    spec.placement.function,
                ));
            }
        }
        // As an HR upload would record them (docs/onboarding.md).
        crate::enrolment::store::record_staff(c, f, &records)?;
        let mut entries = Vec::new();
        let mut roster_rng = RosterRng::new(demo.seed);
        for (i, s) in staff.iter().enumerate() {
            entries.extend(roster_for(s, i, &team_of(i).rota, today, &mut roster_rng));
        }
        // The demo forces keep the default zone, Europe/London. The roster
        // was published before its first day; then, week by week, a few
        // rest days were worked, each week's changes published five days
        // before it (frm-indicators #10, #11).
        let london = chrono_tz::Europe::London;
        let published = analytics::input::local_instant(london, today - Duration::days(100), 0);
        publish(c, f, sup, "csv", &entries, london, published)?;
        let mut changes_rng = rand::rngs::StdRng::seed_from_u64(demo.seed ^ 0x5e57);
        for (monday, worked) in rest_days_worked(&entries, &mut changes_rng) {
            let at = analytics::input::local_instant(london, monday - Duration::days(5), 0);
            publish(c, f, sup, "csv", &worked, london, at)?;
        }
        Ok(())
    })?;
    for (i, s) in staff.iter().enumerate() {
        let sleep = team_of(i).sleep;
        db::transaction(c, Scope::Force(f), |c| -> AppResult<()> {
            let code = format!("{}-{s}", demo.slug);
            people::create_enrolment_code(c, f, &secret_hash(&code), s)?;
            let (person, device) =
                people::enrol(c, f, &secret_hash(&code))?.ok_or(AppError::InvalidCredentials)?;
            let level = match i % 3 {
                0 => Consent::RosterOnly,
                1 => Consent::Sleep,
                _ => Consent::SleepAndCheckIns,
            };
            crate::accounts::store::set_consent(c, f, person, level)?;
            if level == Consent::RosterOnly {
                return Ok(());
            }
            let records: Vec<SyncRecord> = (1..=90)
                .flat_map(|d| day_records(today - Duration::days(d), sleep.clone(), &mut rng))
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
                crate::sync::service::apply(c, f, person, device, &batch)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Forces that only join the evaluation: teams and HR sickness counts, no
/// people, so seeding them takes well under a second.
const ROLLOUT_FORCES: [(&str, &str); 4] = [
    ("demo-north", "North Demo Constabulary"),
    ("demo-east", "East Demo Police"),
    ("demo-south", "South Demo Police"),
    ("demo-coast", "Coast Demo Constabulary"),
];

/// The stepped-wedge demo (once): six forces in four waves over the last
/// 12 reporting months (`demo-north` and `demo-east` live from month 4,
/// `demo-south` from month 7, `demo` and `demo-west` from month 10 when
/// their phones' 90 days begin, `demo-coast` not yet), enrolment targets,
/// the two app forces' enrolment dates spread over the weeks after their
/// go-live, and 12 months of HR sickness counts per team with 15 days per
/// 100 people fewer once a force is live, so the evaluation page shows
/// both comparisons.
fn seed_rollout(c: &mut diesel::PgConnection) -> AppResult<()> {
    use crate::npws::evaluation_store::{SicknessLine, set_rollout_plan, store_sickness};
    use analytics::evaluation::{last_complete_month, reporting_months};
    if Force::by_slug(c, ROLLOUT_FORCES[0].0).is_ok() {
        return Ok(());
    }
    let today = Utc::now().date_naive();
    let months = reporting_months(last_complete_month(today), 12);
    let (Some(m4), Some(m7), Some(m10), Some(last)) =
        (months.get(3), months.get(6), months.get(9), months.last())
    else {
        return Ok(());
    };
    let later = last.to + Duration::days(36);
    let mut plans = vec![("demo", 3, m10.from, 400), ("demo-west", 3, m10.from, 160)];
    let functions = [
        PolicingFunction::Response,
        PolicingFunction::Investigation,
        PolicingFunction::ControlRoom,
    ];
    for (i, (slug, name)) in ROLLOUT_FORCES.iter().enumerate() {
        let force = Force::create(c, slug, name, "Europe/London")?;
        db::transaction(c, Scope::Force(force.id), |c| -> AppResult<()> {
            for (t, function) in functions.iter().enumerate() {
                let placement = TeamPlacement {
                    command: "Operations".into(),
                    function: *function,
                };
                Team::create(c, force.id, &format!("Team {}", t + 1), &placement)?;
            }
            Ok(())
        })?;
        let (wave, go_live) = match i {
            0 | 1 => (1, m4.from),
            2 => (2, m7.from),
            _ => (4, later),
        };
        plans.push((slug, wave, go_live, 300));
    }
    let by = Uuid::nil();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_204);
    for (k, (slug, wave, go_live, target)) in plans.iter().enumerate() {
        let force = Force::by_slug(c, slug)?;
        db::transaction(c, Scope::Platform, |c| {
            set_rollout_plan(c, force.id, *wave, *go_live, *target, by)
        })?;
        let base = 70.0 + 6.0 * k as f64;
        db::transaction(c, Scope::Force(force.id), |c| -> AppResult<()> {
            // Enrolment over the six weeks after go-live.
            diesel::sql_query(
                "UPDATE persons SET created_at = least(now(), $2::date + \
                 (('x' || substr(md5(id::text), 1, 4))::bit(16)::int % 42) * interval '1 day') \
                 WHERE force_id = $1",
            )
            .bind::<diesel::sql_types::Uuid, _>(force.id)
            .bind::<diesel::sql_types::Date, _>(*go_live)
            .execute(c)?;
            let teams = Team::list(c, force.id, None)?;
            let mut lines = Vec::new();
            for (t, period) in months.iter().enumerate() {
                for team in &teams {
                    let headcount = team.members.len().max(20) as i32;
                    let live = *go_live <= period.from;
                    let per_100 = base + 0.8 * t as f64 + rng.gen_range(-6.0..6.0)
                        - if live { 15.0 } else { 0.0 };
                    lines.push(SicknessLine {
                        team: team.id,
                        month_from: period.from,
                        headcount,
                        sickness_days: (per_100 * f64::from(headcount) / 100.0).round().max(0.0)
                            as i32,
                    });
                }
            }
            store_sickness(c, force.id, &lines, Uuid::new_v4(), by)?;
            Ok(())
        })?;
    }
    Ok(())
}

/// A few of the rota's rest days (one in 25) worked: a 07:00–17:00 duty on
/// the day, grouped by the week (its Monday) in which they fall.
fn rest_days_worked(
    entries: &[mobile_core::roster::RosterEntry],
    rng: &mut impl Rng,
) -> BTreeMap<NaiveDate, Vec<mobile_core::roster::RosterEntry>> {
    let london = chrono_tz::Europe::London;
    let mut weeks: BTreeMap<NaiveDate, Vec<mobile_core::roster::RosterEntry>> = BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| mobile_core::roster::is_rest_day(e.activity.as_deref()))
    {
        if !rng.gen_bool(0.04) {
            continue;
        }
        let date = e.shift.start().with_timezone(&london).date_naive();
        let Some(duty) = local_shift(date, 7, 10) else {
            continue;
        };
        let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        weeks
            .entry(monday)
            .or_default()
            .push(roster_entry(&e.staff_id, duty, None));
    }
    weeks
}

/// A shift starting at `hour`:00 London time on `date`, `hours` long.
fn local_shift(date: NaiveDate, hour: u32, hours: i64) -> Option<models::Shift> {
    let local = date.and_hms_opt(hour, 0, 0)?;
    let start = chrono_tz::Europe::London
        .from_local_datetime(&local)
        .earliest()?
        .with_timezone(&Utc);
    models::Shift::new(start, start + Duration::hours(hours)).ok()
}

fn roster_entry(
    staff: &str,
    shift: models::Shift,
    activity: Option<&str>,
) -> mobile_core::roster::RosterEntry {
    mobile_core::roster::RosterEntry {
        staff_id: staff.to_owned(),
        shift,
        team: None,
        role: None,
        activity: activity.map(str::to_owned),
        line: 0,
    }
}

/// The odd day duty three hours long and, now and then, a night swapped
/// for a 14:00 start (a quick return after a day).
const VARIATION: Variation = Variation {
    extra_long_day: 0.0,
    night_swapped_for_late: 0.1,
    overrun: 0.05,
    late_start_quarters: 0,
};

/// Officer `i`'s roster from 90 days ago to 28 days ahead: the rota's
/// 8-day cycle staggered by officer, rest days published as such.
fn roster_for(
    staff: &str,
    i: usize,
    rota: &[Slot; 8],
    today: NaiveDate,
    rng: &mut RosterRng,
) -> Vec<mobile_core::roster::RosterEntry> {
    let london = chrono_tz::Europe::London;
    let first = today - Duration::days(90);
    person_roster(rota, i as i64 - 90, first, 118, london, &VARIATION, rng)
        .into_iter()
        .filter_map(|day| match day.duty {
            Some(duty) => Some(roster_entry(staff, duty.shift, None)),
            None => {
                local_shift(day.date, 9, 8).map(|rest| roster_entry(staff, rest, Some("rest day")))
            }
        })
        .collect()
}

/// One day's phone records (a sleep summary and a before-shift KSS
/// check-in) drawn from `rng`: the demo's and the rehearsal's officers.
pub(crate) fn day_records(
    date: NaiveDate,
    sleep: std::ops::Range<u32>,
    rng: &mut impl Rng,
) -> Vec<SyncRecord> {
    let sleep_minutes: u32 = rng.gen_range(sleep);
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
