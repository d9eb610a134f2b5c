//! The rehearsal database (issue 17): the database the national service
//! would hold after a year of roll-out, generated from a seed and
//! bulk-loaded with PostgreSQL `COPY`, so reports, NPWS cohorts and the team
//! view can be measured on it (`server rehearse`, docs/scaling.md).
//!
//! What it holds, for `people` officers in `forces` forces:
//! - **Forces of unequal size**: force `k` (from 1) gets a share `1/k` of the
//!   people, normalised (a Zipf spread with exponent 1), rounded by largest
//!   remainder so the sizes add up exactly. With 43 forces the largest holds
//!   1/H₄₃ = 23% of everyone (the Metropolitan Police holds about a quarter of
//!   England and Wales's officers) and the smallest about 0.5%.
//! - **Teams**: `max(12, ceil(n / 30))` per force of `n` people, members by
//!   staff-number order in equal blocks (so the largest force's teams hold
//!   30), each with a command and a policing function in a fixed mix of 20:
//!   8 response, 4 neighbourhood, 3 investigation and one each of control
//!   room, custody, roads policing, specialist operations and staff support,
//!   each function on its own rota (the demo's rotas). One supervisor
//!   account per team, a force admin and an FRM lead per force, and one
//!   national NPWS analyst; every password is [`PASSWORD`].
//! - **People** as enrolment stores them: a used enrolment code, a
//!   pseudonymous person, the staff link, one device. Consent by the
//!   person's number `i` (counted across all forces): `i mod 20 < 7` roster
//!   only (35%), `< 12` sleep (25%), otherwise sleep and check-ins (40%).
//!   No survey of officers' sharing exists yet; these follow the demo's
//!   "about two in three share" with a third of sharers stopping at sleep.
//! - **Rosters** for `roster_days` days ending `min(28, roster_days / 4)`
//!   days ahead: every person-day is exactly one of a duty, a published rest
//!   day or an absence (leave in blocks of 1-5 days, sickness on about 3% of
//!   days, now and then 14 days' parental leave), so shifts + rest days +
//!   absence days = people × roster days. 4% of rest days are worked (a
//!   10:00-18:00 duty) and 1% of duties start two hours early, each a
//!   `roster_changes` row published in that week's upload, five days before
//!   the week (frm-indicators #10, #11).
//! - **Phone records** for the `days` days before today: a sleep summary on
//!   each day with `(i + d) mod 10 ≠ 0` (90% of nights worn) for those who
//!   share sleep, a KSS check-in when `(i + d) mod 3 = 0` for those who
//!   share check-ins, and for `i mod 5 ≠ 0` progress on the first
//!   `1 + i mod 4` officer learning modules. A phone syncs each morning: one
//!   batch per local date with records, whose acknowledgement is stored as
//!   the server stores it. The first `sync_sample` people send theirs
//!   through the sync service ([`crate::sync::service::process`]) instead.
//! - **Audit**: each supervisor's daily read of their team's risk.
//!
//! Identifiers come from the seed, dates from `today`: the same flags on
//! the same day give the same rows (bar password hashes, which are salted).

pub mod load;
pub mod measure;
mod tables;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mobile_core::roster::synthetic::{Slot, Variation, person_roster};
use mobile_core::synthetic::Rng as RosterRng;
use models::sync::SyncRecord;
use rand::SeedableRng;
use uuid::Uuid;

use crate::accounts::store::{Consent, PolicingFunction};
use crate::cli::demo::{CID_ROTA, CONTROL_ROOM_ROTA, NEIGHBOURHOOD_ROTA, RESPONSE_ROTA};

/// The password of every account the rehearsal creates.
pub const PASSWORD: &str = "rehearsal-password-1";
/// The national NPWS analyst's username.
pub const ANALYST: &str = "rehearsal-analyst";
/// People per team in a force large enough (smaller forces still get 12 teams).
pub const TEAM_SIZE: usize = 30;
/// Teams in even the smallest force.
pub const MIN_TEAMS: usize = 12;
/// The forces' zone.
pub const ZONE: chrono_tz::Tz = chrono_tz::Europe::London;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Officers and staff, all forces.
    pub people: usize,
    /// Forces.
    pub forces: usize,
    /// Days of phone records before today.
    pub days: i64,
    /// Days of roster.
    pub roster_days: i64,
    /// The seed of every identifier and figure.
    pub seed: u64,
    /// People whose phones go through the sync service.
    pub sync_sample: usize,
    /// The day the rehearsal stands on.
    pub today: NaiveDate,
}

/// A team of the plan.
#[derive(Debug, Clone)]
pub struct TeamPlan {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Command.
    pub command: &'static str,
    /// Function.
    pub function: PolicingFunction,
    /// Its supervisor's account.
    pub supervisor: Uuid,
    /// The supervisor's username.
    pub supervisor_name: String,
}

/// A force of the plan.
#[derive(Debug, Clone)]
pub struct ForcePlan {
    /// Position (0 is the largest).
    pub index: usize,
    /// Id.
    pub id: Uuid,
    /// Slug (`rehearsal-01` ...).
    pub slug: String,
    /// People.
    pub people: usize,
    /// Global number of its first person.
    pub first_person: usize,
    /// People per team (the last may hold fewer).
    pub per_team: usize,
    /// Teams.
    pub teams: Vec<TeamPlan>,
    /// Force admin account.
    pub admin: Uuid,
    /// FRM lead account.
    pub frm_lead: Uuid,
}

/// Everything the load writes, derived from [`Sizes`].
#[derive(Debug, Clone)]
pub struct Plan {
    /// The sizes.
    pub sizes: Sizes,
    /// The forces, largest first.
    pub forces: Vec<ForcePlan>,
    /// The officer learning modules' ids, in course order.
    pub modules: Vec<String>,
}

/// Force sizes: a Zipf spread with exponent 1 (force `k` gets `1/k`),
/// rounded by largest remainder so they add up to `people`.
pub fn force_sizes(people: usize, forces: usize) -> Vec<usize> {
    if forces == 0 {
        return Vec::new();
    }
    let h: f64 = (1..=forces).map(|k| 1.0 / k as f64).sum();
    let exact: Vec<f64> = (1..=forces)
        .map(|k| people as f64 / (k as f64 * h))
        .collect();
    let mut sizes: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..forces).collect();
    // Largest remainder first; ties to the larger force.
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    let short = people - sizes.iter().sum::<usize>();
    for &i in order.iter().take(short) {
        sizes[i] += 1;
    }
    sizes
}

/// Teams in a force of `people`: 30 a team, at least 12.
pub fn team_count(people: usize) -> usize {
    MIN_TEAMS.max(people.div_ceil(TEAM_SIZE))
}

/// The function mix, by team number mod 20.
const FUNCTIONS: [PolicingFunction; 20] = {
    use PolicingFunction::*;
    [
        Response,
        Response,
        Neighbourhood,
        Investigation,
        Response,
        ControlRoom,
        Response,
        Neighbourhood,
        Investigation,
        Custody,
        Response,
        Response,
        Neighbourhood,
        RoadsPolicing,
        Investigation,
        Response,
        SpecialistOperations,
        Neighbourhood,
        Response,
        StaffSupport,
    ]
};

/// Police staff in support functions: office days, five on and two off.
const OFFICE_ROTA: [Slot; 7] = [
    Some((8, 8)),
    Some((8, 8)),
    Some((8, 8)),
    Some((8, 8)),
    Some((8, 8)),
    None,
    None,
];

fn rota(f: PolicingFunction) -> &'static [Slot] {
    use PolicingFunction::*;
    match f {
        ControlRoom | Custody => &CONTROL_ROOM_ROTA,
        Investigation => &CID_ROTA,
        Neighbourhood => &NEIGHBOURHOOD_ROTA,
        StaffSupport => &OFFICE_ROTA,
        _ => &RESPONSE_ROTA,
    }
}

fn command(f: PolicingFunction, team: usize) -> &'static str {
    use PolicingFunction::*;
    match f {
        Response | Neighbourhood => ["North", "South", "East", "West"][(team / 20) % 4],
        Investigation => "Crime",
        ControlRoom => "Contact",
        Custody => "Justice",
        StaffSupport => "Support",
        _ => "Operations",
    }
}

/// Nightly sleep, minutes, by function.
fn sleep_range(f: PolicingFunction) -> std::ops::Range<u32> {
    use PolicingFunction::*;
    match f {
        ControlRoom => 270..450,
        Custody => 280..460,
        Investigation => 360..510,
        Neighbourhood => 330..500,
        _ => 300..510,
    }
}

/// The variation on each rota: the odd overrun, a night now and then
/// swapped for a late (a quick return). No extra days: every person-day
/// stays one duty or one rest day.
const VARIATION: Variation = Variation {
    extra_long_day: 0.0,
    night_swapped_for_late: 0.1,
    overrun: 0.05,
    late_start_quarters: 0,
};

fn mix(mut z: u64) -> u64 {
    // splitmix64's finaliser.
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What an identifier names (keeps the seed's ids apart).
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum IdKind {
    /// A force.
    Force = 1,
    /// A team.
    Team,
    /// A staff account.
    Account,
    /// A person.
    Person,
    /// A device.
    Device,
    /// A roster upload.
    Upload,
    /// A batch's idempotency key.
    Batch,
}

/// A version-4-shaped UUID from the seed, a kind and two numbers.
pub fn id(seed: u64, kind: IdKind, a: u64, b: u64) -> Uuid {
    let h = mix(mix(mix(seed) ^ kind as u64) ^ a) ^ b.rotate_left(17);
    let (x, y) = (mix(h), mix(h ^ 0x5EED));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&x.to_le_bytes());
    bytes[8..].copy_from_slice(&y.to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// A person's consent, by their number across all forces.
pub fn consent_of(i: usize) -> Consent {
    match i % 20 {
        0..=6 => Consent::RosterOnly,
        7..=11 => Consent::Sleep,
        _ => Consent::SleepAndCheckIns,
    }
}

impl Plan {
    /// The plan for `sizes`.
    ///
    /// # Errors
    /// When the shipped learning content does not load (a broken build).
    pub fn new(sizes: Sizes) -> anyhow::Result<Plan> {
        let seed = sizes.seed;
        let mut first = 0;
        let forces = force_sizes(sizes.people, sizes.forces)
            .into_iter()
            .enumerate()
            .map(|(f, people)| {
                let fid = id(seed, IdKind::Force, f as u64, 0);
                let n = team_count(people);
                let teams = (0..n)
                    .map(|t| {
                        let function = FUNCTIONS[t % FUNCTIONS.len()];
                        TeamPlan {
                            id: id(seed, IdKind::Team, f as u64, t as u64),
                            name: format!("Team {:03} {}", t + 1, function.as_str()),
                            command: command(function, t),
                            function,
                            supervisor: id(seed, IdKind::Account, f as u64, t as u64 + 2),
                            supervisor_name: format!("supervisor-{}", t + 1),
                        }
                    })
                    .collect();
                let plan = ForcePlan {
                    index: f,
                    id: fid,
                    slug: format!("rehearsal-{:02}", f + 1),
                    people,
                    first_person: first,
                    per_team: people.div_ceil(n).max(1),
                    teams,
                    admin: id(seed, IdKind::Account, f as u64, 0),
                    frm_lead: id(seed, IdKind::Account, f as u64, 1),
                };
                first += people;
                plan
            })
            .collect();
        let library = mobile_core::education::Library::shipped()
            .map_err(|e| anyhow::anyhow!("the shipped learning content: {e}"))?;
        let modules = library
            .modules_for(mobile_core::education::Track::Officer)
            .map(|m| m.id.clone())
            .collect();
        Ok(Plan {
            sizes,
            forces,
            modules,
        })
    }

    /// The first day of the roster.
    pub fn roster_first(&self) -> NaiveDate {
        let future = (self.sizes.roster_days / 4).min(28);
        self.sizes.today - Duration::days(self.sizes.roster_days - future)
    }

    /// Weekly change uploads after the first (one per roster week).
    pub fn change_weeks(&self) -> i64 {
        (self.sizes.roster_days + 6) / 7
    }

    /// The id of a force's upload: 0 the first roster, `w + 1` week `w`'s changes.
    pub fn upload(&self, force: &ForcePlan, n: i64) -> Uuid {
        id(
            self.sizes.seed,
            IdKind::Upload,
            force.index as u64,
            n as u64,
        )
    }

    /// When upload `n` was published: the first roster ten days before its
    /// first day, week `w`'s changes at 00:00 five days before the week.
    pub fn upload_at(&self, n: i64) -> DateTime<Utc> {
        let first = self.roster_first();
        let day = if n == 0 {
            first - Duration::days(10)
        } else {
            first + Duration::days(7 * (n - 1) - 5)
        };
        analytics::input::local_instant(ZONE, day, 0)
    }
}

/// A person of a force.
#[derive(Debug, Clone)]
pub struct PersonPlan {
    /// Number across all forces.
    pub global: usize,
    /// Staff number.
    pub staff: String,
    /// Pseudonymous id.
    pub id: Uuid,
    /// Their phone.
    pub device: Uuid,
    /// Consent.
    pub consent: Consent,
    /// Their team's number in the force.
    pub team: usize,
    /// When they enrolled.
    pub enrolled_at: DateTime<Utc>,
}

impl ForcePlan {
    /// Person `local` (0-based) of the force.
    pub fn person(&self, plan: &Plan, local: usize) -> PersonPlan {
        let global = self.first_person + local;
        let seed = plan.sizes.seed;
        // Enrolled during the roll-out year, before their first record.
        let spread = (plan.sizes.roster_days - plan.sizes.days).max(1) as u64;
        let back = plan.sizes.days + 1 + (mix(seed ^ global as u64) % spread) as i64;
        PersonPlan {
            global,
            staff: format!("R{:02}{:06}", self.index + 1, local + 1),
            id: id(seed, IdKind::Person, global as u64, 0),
            device: id(seed, IdKind::Device, global as u64, 0),
            consent: consent_of(global),
            team: local / self.per_team,
            enrolled_at: analytics::input::local_instant(
                ZONE,
                plan.sizes.today - Duration::days(back),
                9,
            ),
        }
    }
}

/// What a person-day of the roster is.
#[derive(Debug, Clone, PartialEq)]
pub enum DayEntry {
    /// A duty, with the upload that published it.
    Shift {
        /// Start.
        start: DateTime<Utc>,
        /// End.
        end: DateTime<Utc>,
        /// The upload (0 the first roster, `w + 1` a week's changes).
        upload: i64,
    },
    /// A published rest day.
    Rest(NaiveDate),
    /// An absence.
    Absence(NaiveDate, &'static str),
}

/// A roster change (frm-indicators #10, #11).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `rest_day_worked` or `start_advanced`.
    pub kind: &'static str,
    /// The duty's (new) start.
    pub duty_start: DateTime<Utc>,
    /// Its upload.
    pub upload: i64,
}

/// A person's roster: one entry per day, and the changes made to it.
pub fn person_roster_days(
    plan: &Plan,
    force: &ForcePlan,
    p: &PersonPlan,
) -> (Vec<DayEntry>, Vec<Change>) {
    let mut rng = RosterRng::new(mix(plan.sizes.seed ^ 0xA11 ^ (p.global as u64) << 8));
    let function = force
        .teams
        .get(p.team)
        .map_or(PolicingFunction::Response, |t| t.function);
    let first = plan.roster_first();
    let days = person_roster(
        rota(function),
        p.global as i64,
        first,
        plan.sizes.roster_days,
        ZONE,
        &VARIATION,
        &mut rng,
    );
    let (mut entries, mut changes) = (Vec::with_capacity(days.len()), Vec::new());
    let mut absent: Option<(&'static str, u32)> = None;
    for day in days {
        let week = (day.date - first).num_days() / 7 + 1;
        absent = match absent {
            Some((c, n)) if n > 1 => Some((c, n - 1)),
            _ if rng.chance(1.0 / 45.0) => Some(("leave", 1 + rng.below(5))),
            _ if rng.chance(0.03) => Some(("sickness", 1)),
            _ if rng.chance(0.0005) => Some(("parental", 14)),
            _ => None,
        };
        if let Some((category, _)) = absent {
            entries.push(DayEntry::Absence(day.date, category));
            continue;
        }
        match day.duty {
            Some(duty) => {
                let (mut start, end) = (duty.shift.start(), duty.shift.end());
                let mut upload = 0;
                if rng.chance(0.01) {
                    start -= Duration::hours(2);
                    upload = week;
                    changes.push(Change {
                        kind: "start_advanced",
                        duty_start: start,
                        upload,
                    });
                }
                entries.push(DayEntry::Shift { start, end, upload });
            }
            None if rng.chance(0.04) => {
                let start = local(day.date, 10);
                entries.push(DayEntry::Shift {
                    start,
                    end: start + Duration::hours(8),
                    upload: week,
                });
                changes.push(Change {
                    kind: "rest_day_worked",
                    duty_start: start,
                    upload: week,
                });
            }
            None => entries.push(DayEntry::Rest(day.date)),
        }
    }
    (entries, changes)
}

fn local(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    date.and_hms_opt(hour, 0, 0)
        .and_then(|t| ZONE.from_local_datetime(&t).earliest())
        .map_or_else(
            || date.and_hms_opt(hour, 0, 0).unwrap_or_default().and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// A person's phone records, one batch per local date, oldest first.
pub fn person_batches(
    plan: &Plan,
    force: &ForcePlan,
    p: &PersonPlan,
) -> Vec<(NaiveDate, Vec<SyncRecord>)> {
    let mut rng =
        rand::rngs::StdRng::seed_from_u64(mix(plan.sizes.seed ^ 0xB22 ^ (p.global as u64) << 8));
    let function = force
        .teams
        .get(p.team)
        .map_or(PolicingFunction::Response, |t| t.function);
    let (today, days, i) = (plan.sizes.today, plan.sizes.days, p.global as i64);
    let mut by_date: BTreeMap<NaiveDate, Vec<SyncRecord>> = BTreeMap::new();
    for d in (1..=days).rev() {
        let date = today - Duration::days(d);
        // Drawn for everyone, so a person's figures do not depend on consent.
        for r in crate::cli::demo::day_records(date, sleep_range(function), &mut rng) {
            let keep = match &r {
                SyncRecord::DailySummary(_) => p.consent.allows(r.kind()) && (i + d) % 10 != 0,
                SyncRecord::CheckIn(_) => p.consent.allows(r.kind()) && (i + d) % 3 == 0,
                SyncRecord::LearningProgress(_) => false,
            };
            if keep {
                by_date.entry(date).or_default().push(r);
            }
        }
    }
    if !p.global.is_multiple_of(5) && days > 0 {
        let k = 1 + p.global % 4;
        for (j, module) in plan.modules.iter().take(k).enumerate() {
            let back = 1 + ((p.global * 7 + j * 11) as i64) % days;
            let date = today - Duration::days(back);
            by_date
                .entry(date)
                .or_default()
                .push(SyncRecord::LearningProgress(
                    models::sync::LearningProgress {
                        local_date: date,
                        module_id: module.clone(),
                        completed: true,
                    },
                ));
        }
    }
    by_date.into_iter().collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn force_sizes_add_up_and_the_largest_is_about_a_quarter() {
        // 600 over 3: H3 = 11/6; exact 327.27, 163.64, 109.09; the one left
        // over goes to the largest remainder (the second force).
        assert_eq!(force_sizes(600, 3), vec![327, 164, 109]);
        let national = force_sizes(120_000, 43);
        assert_eq!(national.iter().sum::<usize>(), 120_000);
        // 1/H43 = 0.2300: 27,600 of 120,000.
        assert!((27_550..=27_650).contains(&national[0]), "{}", national[0]);
        assert!(national.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn teams_hold_thirty_but_every_force_has_twelve() {
        assert_eq!(team_count(27_600), 920);
        assert_eq!(team_count(109), 12);
    }

    #[test]
    fn every_roster_day_is_one_entry() {
        let plan = Plan::new(Sizes {
            people: 40,
            forces: 2,
            days: 30,
            roster_days: 60,
            seed: 7,
            sync_sample: 0,
            today: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        })
        .unwrap();
        let f = &plan.forces[0];
        for local in 0..f.people {
            let (days, _) = person_roster_days(&plan, f, &f.person(&plan, local));
            assert_eq!(days.len(), 60);
        }
    }
}
