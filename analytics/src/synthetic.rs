//! Synthetic forces for tests and benchmarks: plausible rosters (response,
//! CID, control room, neighbourhood patterns), Fatigue Index and HRI values
//! in the ranges the engine produces, and consented summaries and check-ins
//! for a share of people. Seeded, so the same arguments give the same data.
//! Times are laid out in UTC as if local (the synthetic force ignores DST).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mobile_core::hourly_risk::{HourlyRiskParams, reference_mean_hri, risk_index_of};
use mobile_core::roster::synthetic::{Slot, Variation, person_roster};
use mobile_core::synthetic::Rng as RosterRng;
use models::ShiftType;
use models::sync::{
    CheckInContext, CheckInRecord, CheckInScale, DailySummary, LearningProgress, RecoveryBand,
};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::input::{Person, PersonRecords, ShiftRecord};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SyntheticForce {
    /// Force name.
    pub force: String,
    /// People.
    pub people: usize,
    /// First day with records.
    pub first_day: NaiveDate,
    /// Days of records.
    pub days: i64,
    /// People per team (about).
    pub team_size: usize,
    /// Teams per command.
    pub teams_per_command: usize,
    /// Share of people who consented to share sleep summaries (0..=1).
    pub sleep_consent: f64,
    /// Share of people who share check-ins.
    pub checkin_consent: f64,
    /// Seed.
    pub seed: u64,
}

impl SyntheticForce {
    /// A force of `people` over `days` from `first_day`, with defaults for the rest.
    pub fn new(force: &str, people: usize, first_day: NaiveDate, days: i64, seed: u64) -> Self {
        Self {
            force: force.to_owned(),
            people,
            first_day,
            days,
            team_size: 18,
            teams_per_command: 12,
            sleep_consent: 0.6,
            checkin_consent: 0.4,
            seed,
        }
    }
}

/// Roles and their roster patterns: (role, cycle of (start hour, hours) or rest).
/// Laid out by the one synthetic roster generator,
/// [`mobile_core::roster::synthetic`].
const PATTERNS: [(&str, &[Slot]); 4] = [
    (
        "response",
        &[
            Some((7, 10)),
            Some((7, 10)),
            Some((14, 10)),
            Some((14, 10)),
            Some((22, 9)),
            Some((22, 9)),
            Some((22, 9)),
            None,
            None,
            None,
        ],
    ),
    (
        "cid",
        &[
            Some((8, 9)),
            Some((8, 9)),
            Some((8, 9)),
            Some((8, 9)),
            Some((8, 13)),
            None,
            None,
        ],
    ),
    (
        "control_room",
        &mobile_core::roster::synthetic::TWO_DAYS_TWO_NIGHTS_FOUR_OFF,
    ),
    (
        "neighbourhood",
        &[
            Some((7, 8)),
            Some((7, 8)),
            Some((15, 9)),
            Some((15, 9)),
            Some((15, 9)),
            None,
            None,
        ],
    ),
];

/// An occasional swapped or extra shift (06:00, 12 hours) makes quick
/// returns and long weeks; duties start up to 45 minutes after the hour.
const VARIATION: Variation = Variation {
    extra_long_day: 0.03,
    night_swapped_for_late: 0.0,
    overrun: 0.0,
    late_start_quarters: 3,
};

fn quarter(t: DateTime<Utc>) -> DateTime<Utc> {
    models::sync::round_to_quarter_hour(t)
}

/// Generates a force. Team and command names are `C01`, `C01-T03`; ids are `p000123`.
pub fn generate(spec: &SyntheticForce) -> Vec<PersonRecords> {
    let reference = reference_mean_hri(&HourlyRiskParams::default());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    // The rosters have their own stream, from the same seed.
    let mut roster_rng = RosterRng::new(spec.seed);
    // Learning has its own stream so the rosters and summaries do not
    // depend on it.
    let mut learning_rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed ^ 0x1ea7_0000);
    let modules = crate::report::officer_course_modules().unwrap_or_default();
    let team_size = spec.team_size.max(1);
    let per_command = spec.teams_per_command.max(1);
    (0..spec.people)
        .map(|i| {
            let team = i / team_size;
            let command = team / per_command;
            // A team works one pattern, staggered by team.
            let (role, pattern) = PATTERNS[team % PATTERNS.len()];
            let offset = team % pattern.len();
            let person = Person {
                id: format!("{}-p{i:07}", spec.force),
                force: spec.force.clone(),
                command: format!("C{command:02}"),
                team: format!("C{command:02}-T{:03}", team % per_command),
                role: role.to_owned(),
                // Seven in ten officers, two staff, one special constable:
                // drawn from the index, not the generator, so every other
                // figure is as before.
                employment_type: Some(match i % 10 {
                    7 | 8 => models::staff::EmploymentType::PoliceStaff,
                    9 => models::staff::EmploymentType::SpecialConstable,
                    _ => models::staff::EmploymentType::PoliceOfficer,
                }),
            };
            let mut shifts = Vec::new();
            let mut summaries = Vec::new();
            let mut checkins = Vec::new();
            let sleeps = rng.gen_bool(spec.sleep_consent.clamp(0.0, 1.0));
            let checks = rng.gen_bool(spec.checkin_consent.clamp(0.0, 1.0));
            let base_sleep: i64 = rng.gen_range(330..480);
            let roster = person_roster(
                pattern,
                offset as i64,
                spec.first_day,
                spec.days,
                chrono_tz::Tz::UTC,
                &VARIATION,
                &mut roster_rng,
            );
            let mut after_night = false;
            for day_roster in roster {
                let day = day_roster.date.and_time(chrono::NaiveTime::MIN).and_utc();
                let worked_night = match &day_roster.duty {
                    Some(duty) => {
                        let h = duty.start_hour;
                        // The engine's rule (the roster is in UTC).
                        let night = mobile_core::night_time::is_night_duty(
                            duty.shift.start(),
                            duty.shift.end(),
                            chrono_tz::Tz::UTC,
                        );
                        let fatigue_index = if night {
                            rng.gen_range(25.0..70.0)
                        } else {
                            rng.gen_range(5.0..45.0)
                        };
                        let hri_mean = if night {
                            rng.gen_range(1.2..1.8)
                        } else {
                            rng.gen_range(0.9..1.4)
                        };
                        shifts.push(ShiftRecord {
                            start: duty.shift.start(),
                            end: duty.shift.end(),
                            shift_type: ShiftType::from_start_hour(h),
                            fatigue_index,
                            night,
                            hri_mean,
                            hri_peak: hri_mean * rng.gen_range(1.05..1.4),
                            risk_index: risk_index_of(hri_mean, reference),
                        });
                        night
                    }
                    None => false,
                };
                let local_date = day_roster.date;
                if sleeps && rng.gen_bool(0.85) {
                    let minutes = if after_night {
                        base_sleep - 120
                    } else {
                        base_sleep
                    } + rng.gen_range(-60..60);
                    let minutes = (minutes.clamp(120, 720) / 15) * 15;
                    let end = quarter(
                        day + Duration::hours(if after_night { 14 } else { 6 })
                            + Duration::minutes(rng.gen_range(0..8) * 15),
                    );
                    let score: u8 = rng.gen_range(20..96);
                    let band = match score {
                        67.. => RecoveryBand::Green,
                        34.. => RecoveryBand::Amber,
                        _ => RecoveryBand::Red,
                    };
                    summaries.push(DailySummary {
                        local_date,
                        main_sleep_start: Some(end - Duration::minutes(minutes)),
                        main_sleep_end: Some(end),
                        sleep_minutes: minutes as u32,
                        sleep_debt_minutes: rng.gen_range(0..8) * 30,
                        recovery_score: Some(score),
                        recovery_band: Some(band),
                        hrv_deviation_sd: None,
                        resting_hr_deviation_bpm: None,
                    });
                }
                if checks && day_roster.duty.is_some() && rng.gen_bool(0.5) {
                    let base: u8 = if worked_night { 5 } else { 3 };
                    checkins.push(CheckInRecord {
                        local_date,
                        taken_at: quarter(day + Duration::hours(12)),
                        scale: CheckInScale::Kss,
                        value: (base + rng.gen_range(0..4)).min(9),
                        context: CheckInContext::BeforeShift,
                    });
                }
                after_night = worked_night;
            }
            let learning = synthetic_learning(&mut learning_rng, &modules, spec);
            PersonRecords {
                person,
                shifts,
                summaries,
                checkins,
                learning,
                reference_duties: Vec::new(),
                roster_changes: Vec::new(),
                absences: Vec::new(),
            }
        })
        .collect()
}

/// Half the people open some modules of the course over the days, in
/// order; each opened module is passed with probability 0.7.
fn synthetic_learning(
    rng: &mut Xoshiro256PlusPlus,
    modules: &[String],
    spec: &SyntheticForce,
) -> Vec<LearningProgress> {
    if modules.is_empty() || spec.days < 1 || !rng.gen_bool(0.5) {
        return Vec::new();
    }
    let opened = rng.gen_range(1..=modules.len());
    modules[..opened]
        .iter()
        .map(|m| LearningProgress {
            local_date: spec.first_day + Duration::days(rng.gen_range(0..spec.days)),
            module_id: m.clone(),
            completed: rng.gen_bool(0.7),
        })
        .collect()
}
