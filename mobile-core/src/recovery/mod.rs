//! The nightly recovery score: 0–100 per morning, a band, and the reasons.
//!
//! In the spirit of Oura's readiness, WHOOP's recovery and Garmin's body
//! battery, but with the formula written down. Five components, each scored
//! 0–100, are averaged with fixed weights over the components present:
//!
//! | component | sub-score | weight |
//! |---|---|---|
//! | sleep obtained (all sleep ending on the date) vs need `N` | `100 · min(1, T / N)` | 0.30 |
//! | sleep debt `D` of the last 7 nights, `D = Σ max(0, N − T_i)` | `100 · max(0, 1 − D / 14 h)` | 0.15 |
//! | HRV: `z = (r₇ − μ₆₀) / σ₆₀`, the 7-night rolling mean of ln HRV against the 60-day baseline ([`hrv::judge_hrv`]) | 100 for `z ≥ −0.5`, linear to 0 at `z = −3` | 0.25 |
//! | resting HR: `Δ = r − mean₇` | 100 for `Δ ≤ 3 bpm`, linear to 0 at `Δ = 12 bpm` | 0.10 |
//! | next shift's Fatigue Index `FI` (threshold `θ` 35 day / 45 night) | `100 · clamp(1 − FI / 2θ, 0, 1)` | 0.20 |
//!
//! `score = round( Σ wᵢ sᵢ / Σ wᵢ )` over the components present. Bands, as
//! WHOOP draws them: green 67–100, amber 34–66, red 0–33.
//!
//! # Sources, and what is heuristic
//! - HRV is compared as ln RMSSD (ln SDNN where that is all a source gives):
//!   the mean of the date's night and the 6 before (at least 3 present)
//!   against the mean `μ₆₀` and SD `σ₆₀` of the nightly values of the 60
//!   days before that week (at least 14 present; no HRV judgement until
//!   then). The normal range is `μ₆₀ ± 0.5 σ₆₀`, the smallest worthwhile
//!   change (Plews et al. 2012, *Eur J Appl Physiol* 112:3729; Plews et al.
//!   2013, *Sports Med* 43:773; Plews et al. 2014, *IJSPP* 9:783; Buchheit
//!   2014, *Front Physiol* 5:73). [`hrv`] is the rule's one home. SDNN and
//!   RMSSD, and different sources, never share a baseline.
//! - Resting heart rate's day-to-day variation is a few bpm (Buchheit 2014);
//!   3 bpm above baseline is the start of the penalty.
//! - Sleep need `N` is hours asleep, [`DEFAULT_SLEEP_NEED_HOURS`] (7 h) by
//!   default: the AASM/SRS consensus that adults need 7 h or more (Watson et
//!   al. 2015, Sleep 38:843). A person may set their own, 6.5–10 h
//!   ([`check_sleep_need`]; the phone keeps it in its store). The debt is
//!   counted against it.
//! - A week's debt of 14 h (2 h a night) scores 0: our choice of ramp, not a
//!   published equivalence. It is not "a night without sleep": Van Dongen et
//!   al. 2003 (Sleep 26:117) needed 14 nights of 6 h *in bed* (against 8 h,
//!   about 28 h less time in bed, and less sleep still) before performance
//!   fell as far as after one night without sleep; a week's 14 h debt is
//!   half that, measured in sleep rather than time in bed.
//! - The weights and the linear ramps are our heuristic, not a published
//!   model: tests pin them (`tests/wearables_recovery.rs`), and
//!   `docs/recovery.md` explains them.
//!
//! # Not silently scored
//! [`Status::ColdStart`] (fewer than [`COLD_START_NIGHTS`] nights recorded
//! before the date): no score. No sleep recorded for the date: no score,
//! [`Status::MissingMetrics`]. A metric whose source has no baseline yet
//! while another source has one (a new watch): [`Status::NewDevice`], scored
//! without it. HRV or resting HR missing, or fewer than 3 HRV nights this
//! week: [`Status::MissingMetrics`], scored without it. Fewer than 14 HRV
//! nights in the baseline and no other source with them:
//! [`Status::BaselineBuilding`], scored without HRV. Each case is also a
//! [`Reason`].

pub mod hrv;
mod outlook;
pub mod trend;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use models::sync::RecoveryBand;
use serde::{Deserialize, Serialize};

use crate::wearables::episodes::SleepEpisode;
use crate::wearables::{HrvMetric, Sample, SampleValue, Source};

pub use hrv::{HRV_MIN_BASELINE_NIGHTS, HRV_MIN_ROLLING_NIGHTS, HRV_SD_FLOOR};
pub use outlook::{NextShift, next_shift_outlook};

/// Nights the resting-HR baseline looks back over.
pub const BASELINE_NIGHTS: i64 = 7;
/// Nights with a resting HR needed among the [`BASELINE_NIGHTS`] for its
/// baseline (HRV has its own, longer one: [`hrv`]).
pub const MIN_BASELINE_READINGS: usize = 3;
/// Nights recorded before a date needed to score it at all.
pub const COLD_START_NIGHTS: usize = 7;
/// Default sleep need, hours asleep: the adult consensus of 7 h or more a
/// night (Watson et al. 2015, *Sleep* 38:843 and *J Clin Sleep Med* 11:591,
/// AASM and Sleep Research Society). Not Van Dongen et al. 2003's 8 h, which
/// was time in bed, not sleep obtained.
pub const DEFAULT_SLEEP_NEED_HOURS: f64 = 7.0;
/// Shortest sleep need a person may set, hours asleep (ours: inside the
/// 6–10 h the National Sleep Foundation calls "may be appropriate" for
/// adults, Hirshkowitz et al. 2015, *Sleep Health* 1:40, and no more than
/// half an hour under the consensus minimum).
pub const MIN_SLEEP_NEED_HOURS: f64 = 6.5;
/// Longest sleep need a person may set, hours asleep (the top of the same
/// "may be appropriate" range for adults).
pub const MAX_SLEEP_NEED_HOURS: f64 = 10.0;

/// `hours` when it is a sleep need a person may set
/// ([`MIN_SLEEP_NEED_HOURS`]–[`MAX_SLEEP_NEED_HOURS`], hours asleep).
///
/// # Errors
/// [`RecoveryError::SleepNeedOutOfRange`] outside the range (or NaN).
///
/// # Example
/// ```
/// use mobile_core::recovery::check_sleep_need;
/// assert!((check_sleep_need(7.5).unwrap() - 7.5).abs() < 1e-12);
/// assert!(check_sleep_need(6.0).is_err());
/// ```
pub fn check_sleep_need(hours: f64) -> Result<f64, RecoveryError> {
    if (MIN_SLEEP_NEED_HOURS..=MAX_SLEEP_NEED_HOURS).contains(&hours) {
        Ok(hours)
    } else {
        Err(RecoveryError::SleepNeedOutOfRange { hours })
    }
}
/// Seven-night debt at which the debt component reaches 0, hours.
pub const DEBT_ZERO_HOURS: f64 = 14.0;

/// The component weights, in [`Metric`] order of the table above.
pub const WEIGHTS: [(Metric, f64); 5] = [
    (Metric::Sleep, 0.30),
    (Metric::SleepDebt, 0.15),
    (Metric::Hrv, 0.25),
    (Metric::RestingHeartRate, 0.10),
    (Metric::NextShift, 0.20),
];

/// A component of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Sleep obtained vs need.
    Sleep,
    /// Seven-night sleep debt.
    SleepDebt,
    /// Heart-rate variability vs baseline.
    Hrv,
    /// Resting heart rate vs baseline.
    RestingHeartRate,
    /// Predicted fatigue on the next shift.
    NextShift,
}

/// How far a score can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every metric present with a baseline.
    Scored,
    /// Fewer than [`COLD_START_NIGHTS`] nights recorded: no score yet.
    ColdStart,
    /// A metric (or the night's sleep) is missing.
    MissingMetrics,
    /// A metric comes from a source with no baseline yet.
    NewDevice,
    /// HRV's baseline is still being built (fewer than
    /// [`HRV_MIN_BASELINE_NIGHTS`] nights): scored without HRV.
    BaselineBuilding,
}

/// One reason behind a score, for the officer to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// Sleep obtained against need.
    SleepObtained {
        /// Minutes asleep in episodes ending on the date.
        minutes: u32,
        /// Need, minutes.
        need_minutes: u32,
    },
    /// Sleep debt over the last 7 nights.
    SleepDebt {
        /// Minutes owed.
        minutes: u32,
    },
    /// HRV's 7-night rolling mean below the normal range.
    HrvBelowNormal {
        /// Which statistic.
        metric: HrvMetric,
        /// The rolling mean's distance from the baseline mean, in baseline SDs.
        z: f64,
    },
    /// HRV's 7-night rolling mean within the normal range.
    HrvWithinNormal {
        /// Which statistic.
        metric: HrvMetric,
        /// The rolling mean's distance from the baseline mean, in baseline SDs.
        z: f64,
    },
    /// HRV's 7-night rolling mean above the normal range (not penalised).
    HrvAboveNormal {
        /// Which statistic.
        metric: HrvMetric,
        /// The rolling mean's distance from the baseline mean, in baseline SDs.
        z: f64,
    },
    /// HRV was read last night but not judged: too few nights this week or
    /// in the baseline ([`hrv::judge_hrv`]).
    HrvNotJudged {
        /// Nights with HRV among the rolling 7.
        rolling_nights: usize,
        /// Nights needed there.
        rolling_needed: usize,
        /// Nights with HRV in the 60-day baseline.
        baseline_nights: usize,
        /// Nights needed there.
        baseline_needed: usize,
    },
    /// Resting heart rate against its baseline.
    RestingHeartRate {
        /// bpm above (positive) or below baseline.
        delta_bpm: f64,
    },
    /// The next shift's predicted fatigue.
    NextShiftFatigue {
        /// Fatigue Index.
        fatigue_index: f64,
        /// The threshold that applies.
        threshold: f64,
    },
    /// No shift given: that component is not applicable.
    NoShiftScheduled,
    /// Too few nights to score.
    ColdStart {
        /// Nights recorded before the date.
        nights: usize,
        /// Nights needed.
        needed: usize,
    },
    /// A metric's source has too short a baseline.
    NewDevice {
        /// The metric.
        metric: Metric,
        /// Readings from this source in the baseline window.
        readings: usize,
        /// Readings needed.
        needed: usize,
    },
    /// A metric with no reading for the date.
    Missing {
        /// The metric.
        metric: Metric,
    },
}

/// One scored component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Which.
    pub metric: Metric,
    /// Its sub-score, 0–100.
    pub score: f64,
    /// Its weight.
    pub weight: f64,
}

/// A morning's recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryScore {
    /// The local date scored (the date the main sleep ended).
    pub date: NaiveDate,
    /// 0–100, absent in cold start or without sleep for the date.
    pub score: Option<u8>,
    /// Band of the score.
    pub band: Option<RecoveryBand>,
    /// How far it can be trusted.
    pub status: Status,
    /// The components that went into the score.
    pub components: Vec<Component>,
    /// Why.
    pub reasons: Vec<Reason>,
    /// Minutes asleep in episodes ending on the date.
    pub sleep_minutes: u32,
    /// Seven-night sleep debt, minutes.
    pub sleep_debt_minutes: u32,
    /// The 7-night rolling mean of ln HRV minus its 60-day baseline mean, in
    /// baseline SDs (the `z` of [`hrv::judge_hrv`]).
    pub hrv_deviation_sd: Option<f64>,
    /// Resting HR minus baseline, bpm.
    pub resting_hr_deviation_bpm: Option<f64>,
}

/// Why a history cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecoveryError {
    /// A sleep need outside [`MIN_SLEEP_NEED_HOURS`]–[`MAX_SLEEP_NEED_HOURS`].
    #[error("sleep need {hours} h is outside 6.5..=10 h")]
    SleepNeedOutOfRange {
        /// The need given.
        hours: f64,
    },
}

/// An HRV reading kept for baselines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HrvReading {
    /// When.
    pub at: DateTime<Utc>,
    /// Which statistic.
    pub metric: HrvMetric,
    /// Value, ms.
    pub ms: f64,
    /// Who measured it.
    pub source: Source,
}

/// A daily resting heart rate kept for baselines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestingHrReading {
    /// Local date it belongs to.
    pub date: NaiveDate,
    /// bpm.
    pub bpm: f64,
    /// Who measured it.
    pub source: Source,
}

/// What the score is computed from: a person's episodes and readings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Sleep episodes (from [`crate::wearables::episodes::build_episodes`]).
    pub episodes: Vec<SleepEpisode>,
    /// HRV readings.
    pub hrv: Vec<HrvReading>,
    /// Resting heart rates.
    pub resting_hr: Vec<RestingHrReading>,
    /// The person's sleep need, hours.
    pub sleep_need_hours: f64,
}

impl History {
    /// A history from episodes and the HRV and resting-HR samples among `samples`.
    ///
    /// # Errors
    /// [`RecoveryError::SleepNeedOutOfRange`] for a need [`check_sleep_need`]
    /// refuses.
    pub fn new(
        episodes: Vec<SleepEpisode>,
        samples: &[Sample],
        sleep_need_hours: f64,
    ) -> Result<Self, RecoveryError> {
        let sleep_need_hours = check_sleep_need(sleep_need_hours)?;
        let mut hrv = Vec::new();
        let mut resting_hr = Vec::new();
        for s in samples {
            match s.value {
                SampleValue::Hrv { metric, ms } => hrv.push(HrvReading {
                    at: s.start,
                    metric,
                    ms,
                    source: s.source.clone(),
                }),
                SampleValue::RestingHeartRate { bpm } => resting_hr.push(RestingHrReading {
                    date: s.local_date(),
                    bpm,
                    source: s.source.clone(),
                }),
                _ => {}
            }
        }
        Ok(Self {
            episodes,
            hrv,
            resting_hr,
            sleep_need_hours,
        })
    }

    fn main_sleep(&self, date: NaiveDate) -> Option<&SleepEpisode> {
        self.episodes
            .iter()
            .find(|e| e.is_main && e.local_date == date)
    }

    fn asleep_minutes_on(&self, date: NaiveDate) -> Option<u32> {
        let mut any = false;
        let total = self
            .episodes
            .iter()
            .filter(|e| e.local_date == date)
            .inspect(|_| any = true)
            .map(|e| e.asleep_minutes)
            .sum();
        any.then_some(total)
    }

    /// Nightly mean ln HRV of `metric` from `source` around each main sleep:
    /// the values [`hrv::judge_hrv`] is given, by the sleep's local date.
    fn nightly_ln_hrv(&self, metric: HrvMetric, source: &Source) -> BTreeMap<NaiveDate, f64> {
        self.episodes
            .iter()
            .filter(|e| e.is_main)
            .filter_map(|main| {
                let (from, to) = hrv_window(main);
                let ln = mean(
                    self.hrv
                        .iter()
                        .filter(|r| r.metric == metric && &r.source == source)
                        .filter(|r| r.at >= from && r.at <= to)
                        .map(|r| r.ms.ln()),
                )?;
                Some((main.local_date, ln))
            })
            .collect()
    }

    /// The metric and source of the night's HRV: RMSSD if any, else SDNN;
    /// the source with most readings (first by name on a tie).
    fn night_hrv_choice(&self, date: NaiveDate) -> Option<(HrvMetric, Source)> {
        let main = self.main_sleep(date)?;
        let (from, to) = hrv_window(main);
        let in_night: Vec<&HrvReading> = self
            .hrv
            .iter()
            .filter(|r| r.at >= from && r.at <= to)
            .collect();
        let metric = if in_night.iter().any(|r| r.metric == HrvMetric::Rmssd) {
            HrvMetric::Rmssd
        } else {
            in_night.first()?.metric
        };
        let mut counts: BTreeMap<&Source, usize> = Default::default();
        for r in in_night.iter().filter(|r| r.metric == metric) {
            *counts.entry(&r.source).or_default() += 1;
        }
        let best = counts
            .iter()
            .rev()
            .max_by_key(|(_, n)| **n)
            .map(|(s, _)| (*s).clone())?;
        Some((metric, best))
    }

    /// The HRV of `date`'s night and its judgement. `nightly` caches each
    /// (metric, source)'s nightly values across calls on the same history.
    fn night_hrv(&self, date: NaiveDate, nightly: &mut NightlyHrv) -> NightHrv {
        let Some((metric, source)) = self.night_hrv_choice(date) else {
            return NightHrv::Missing;
        };
        let series = nightly.series(self, metric, &source);
        let Some(&night_ln) = series.get(&date) else {
            return NightHrv::Missing;
        };
        let judged = hrv::judge_hrv(|k| series.get(&(date - Duration::days(k))).copied());
        NightHrv::Read {
            metric,
            source,
            night_ln,
            judged,
        }
    }

    /// True when some (metric, source) other than the given one has a full
    /// HRV baseline for `date`: a new device, not a cold start.
    fn other_hrv_baseline(
        &self,
        date: NaiveDate,
        metric: HrvMetric,
        source: &Source,
        nightly: &mut NightlyHrv,
    ) -> bool {
        let pairs: std::collections::BTreeSet<(HrvMetric, Source)> = self
            .hrv
            .iter()
            .map(|r| (r.metric, r.source.clone()))
            .filter(|(m, s)| !(*m == metric && s == source))
            .collect();
        let first = date - Duration::days(hrv::HRV_ROLLING_NIGHTS + hrv::HRV_BASELINE_DAYS - 1);
        let last = date - Duration::days(hrv::HRV_ROLLING_NIGHTS);
        pairs.into_iter().any(|(m, s)| {
            nightly.series(self, m, &s).range(first..=last).count() >= HRV_MIN_BASELINE_NIGHTS
        })
    }

    /// The date's resting HR (the last reading of the day) and the mean of
    /// the same source's daily means over the 7 nights before, with how many
    /// nights that mean has.
    fn resting_hr_baseline(&self, date: NaiveDate) -> Option<(f64, Option<f64>, usize)> {
        let today = self.resting_hr.iter().rev().find(|r| r.date == date)?;
        let baseline: Vec<f64> = previous_dates(date)
            .filter_map(|d| {
                mean(
                    self.resting_hr
                        .iter()
                        .filter(|r| r.date == d && r.source == today.source)
                        .map(|r| r.bpm),
                )
            })
            .collect();
        let n = baseline.len();
        let m = (n >= MIN_BASELINE_READINGS).then(|| baseline.iter().sum::<f64>() / n as f64);
        Some((today.bpm, m, n))
    }
}

/// Each (metric, source)'s nightly ln HRV, built once per history.
#[derive(Default)]
struct NightlyHrv(Vec<((HrvMetric, Source), BTreeMap<NaiveDate, f64>)>);

impl NightlyHrv {
    fn series(
        &mut self,
        history: &History,
        metric: HrvMetric,
        source: &Source,
    ) -> &BTreeMap<NaiveDate, f64> {
        let i = match self
            .0
            .iter()
            .position(|((m, s), _)| *m == metric && s == source)
        {
            Some(i) => i,
            None => {
                self.0.push((
                    (metric, source.clone()),
                    history.nightly_ln_hrv(metric, source),
                ));
                self.0.len() - 1
            }
        };
        &self.0[i].1
    }
}

/// A night's HRV: absent, or read and (perhaps) judged.
enum NightHrv {
    Missing,
    Read {
        metric: HrvMetric,
        source: Source,
        night_ln: f64,
        judged: Result<hrv::HrvTrend, hrv::HrvNotJudged>,
    },
}

/// HRV readings belong to a night from 30 min before onset to 2 h after waking
/// (a morning reading taken on waking counts).
fn hrv_window(main: &SleepEpisode) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        main.start - Duration::minutes(30),
        main.end + Duration::hours(2),
    )
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn previous_dates(date: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    (1..=BASELINE_NIGHTS).map(move |k| date - Duration::days(k))
}

/// Sub-score of sleep obtained: `100 · min(1, T / N)`.
pub fn sleep_subscore(asleep_hours: f64, need_hours: f64) -> f64 {
    100.0 * (asleep_hours / need_hours).clamp(0.0, 1.0)
}

/// Sub-score of a 7-night debt: `100 · max(0, 1 − D / 14 h)`.
pub fn debt_subscore(debt_hours: f64) -> f64 {
    100.0 * (1.0 - debt_hours / DEBT_ZERO_HOURS).clamp(0.0, 1.0)
}

/// Sub-score of HRV: 100 for `z ≥ −0.5`, linear to 0 at `z = −3`.
pub fn hrv_subscore(z: f64) -> f64 {
    100.0 * ((z + 3.0) / 2.5).clamp(0.0, 1.0)
}

/// Sub-score of resting HR: 100 for `Δ ≤ 3 bpm`, linear to 0 at `Δ = 12 bpm`.
pub fn resting_hr_subscore(delta_bpm: f64) -> f64 {
    100.0 * ((12.0 - delta_bpm) / 9.0).clamp(0.0, 1.0)
}

/// Sub-score of the next shift: `100 · clamp(1 − FI / 2θ, 0, 1)`.
pub fn next_shift_subscore(shift: &NextShift) -> f64 {
    100.0 * (1.0 - shift.fatigue_index / (2.0 * shift.threshold)).clamp(0.0, 1.0)
}

/// The band of a score (WHOOP's cut-offs): green ≥ 67, amber ≥ 34, else red.
pub fn band(score: u8) -> RecoveryBand {
    match score {
        67.. => RecoveryBand::Green,
        34.. => RecoveryBand::Amber,
        _ => RecoveryBand::Red,
    }
}

fn weight(metric: Metric) -> f64 {
    WEIGHTS
        .iter()
        .find(|(m, _)| *m == metric)
        .map_or(0.0, |(_, w)| *w)
}

/// A baselined metric's outcome for the date.
enum Baselined {
    Scored {
        sub: f64,
        deviation: f64,
    },
    Missing,
    NewDevice {
        readings: usize,
        needed: usize,
    },
    /// Read but not judged (its reason already pushed); `building` when the
    /// baseline is what is short.
    NotJudged {
        building: bool,
    },
}

/// Scores the morning of `date` (the local date the main sleep ended).
/// `next_shift` is the engine's outlook for the next rostered shift
/// ([`next_shift_outlook`]), `None` when none is rostered.
pub fn score_morning(
    history: &History,
    date: NaiveDate,
    next_shift: Option<&NextShift>,
) -> RecoveryScore {
    let need = history.sleep_need_hours;
    let need_minutes = (need * 60.0).round() as u32;
    let mut reasons = Vec::new();
    let mut components = Vec::new();
    let mut missing = false;
    let mut new_device = false;
    let mut building = false;

    let nights_before = history
        .episodes
        .iter()
        .filter(|e| e.is_main && e.local_date < date)
        .count();
    let cold = nights_before < COLD_START_NIGHTS;
    if cold {
        reasons.push(Reason::ColdStart {
            nights: nights_before,
            needed: COLD_START_NIGHTS,
        });
    }

    let tonight = history.asleep_minutes_on(date);
    let sleep_minutes = tonight.unwrap_or(0);
    match tonight {
        Some(minutes) => {
            components.push(component(
                Metric::Sleep,
                sleep_subscore(f64::from(minutes) / 60.0, need),
            ));
            reasons.push(Reason::SleepObtained {
                minutes,
                need_minutes,
            });
        }
        None => {
            missing = true;
            reasons.push(Reason::Missing {
                metric: Metric::Sleep,
            });
        }
    }

    // Debt over the date and the 6 nights before it, nights with data only.
    let debt_minutes: u32 = std::iter::once(date)
        .chain(previous_dates(date).take(6))
        .filter_map(|d| history.asleep_minutes_on(d))
        .map(|m| need_minutes.saturating_sub(m))
        .sum();
    components.push(component(
        Metric::SleepDebt,
        debt_subscore(f64::from(debt_minutes) / 60.0),
    ));
    if debt_minutes > 0 {
        reasons.push(Reason::SleepDebt {
            minutes: debt_minutes,
        });
    }

    let hrv = hrv_outcome(history, date, cold, &mut reasons);
    let rhr = resting_hr_outcome(history, date, &mut reasons);
    let mut hrv_deviation_sd = None;
    let mut resting_hr_deviation_bpm = None;
    for (metric, outcome) in [(Metric::Hrv, hrv), (Metric::RestingHeartRate, rhr)] {
        match outcome {
            Baselined::Scored { sub, deviation } => {
                components.push(component(metric, sub));
                match metric {
                    Metric::Hrv => hrv_deviation_sd = Some(deviation),
                    _ => resting_hr_deviation_bpm = Some(deviation),
                }
            }
            Baselined::Missing => {
                missing = true;
                reasons.push(Reason::Missing { metric });
            }
            Baselined::NewDevice { readings, needed } => {
                // In cold start every source lacks a baseline; that is not a new device.
                if !cold {
                    new_device = true;
                    reasons.push(Reason::NewDevice {
                        metric,
                        readings,
                        needed,
                    });
                }
            }
            Baselined::NotJudged { building: true } => building = true,
            Baselined::NotJudged { building: false } => missing = true,
        }
    }

    match next_shift {
        Some(shift) => {
            components.push(component(Metric::NextShift, next_shift_subscore(shift)));
            reasons.push(Reason::NextShiftFatigue {
                fatigue_index: shift.fatigue_index,
                threshold: shift.threshold,
            });
        }
        None => reasons.push(Reason::NoShiftScheduled),
    }

    let status = if cold {
        Status::ColdStart
    } else if tonight.is_none() {
        Status::MissingMetrics
    } else if new_device {
        Status::NewDevice
    } else if missing {
        Status::MissingMetrics
    } else if building {
        Status::BaselineBuilding
    } else {
        Status::Scored
    };
    let score = (!cold && tonight.is_some()).then(|| combine(&components));
    RecoveryScore {
        date,
        score,
        band: score.map(band),
        status,
        components,
        reasons,
        sleep_minutes,
        sleep_debt_minutes: debt_minutes,
        hrv_deviation_sd,
        resting_hr_deviation_bpm,
    }
}

fn component(metric: Metric, score: f64) -> Component {
    Component {
        metric,
        score,
        weight: weight(metric),
    }
}

/// `round(Σ wᵢ sᵢ / Σ wᵢ)`, in 0..=100.
fn combine(components: &[Component]) -> u8 {
    let (num, den) = components.iter().fold((0.0, 0.0), |(n, d), c| {
        (n + c.weight * c.score, d + c.weight)
    });
    if den <= 0.0 {
        return 0;
    }
    (num / den).round().clamp(0.0, 100.0) as u8
}

/// The HRV component: the one rule of [`hrv::judge_hrv`].
fn hrv_outcome(
    history: &History,
    date: NaiveDate,
    cold: bool,
    reasons: &mut Vec<Reason>,
) -> Baselined {
    let mut nightly = NightlyHrv::default();
    let NightHrv::Read {
        metric,
        source,
        judged,
        ..
    } = history.night_hrv(date, &mut nightly)
    else {
        return Baselined::Missing;
    };
    let trend = match judged {
        Ok(t) => t,
        Err(short) => {
            if short.baseline_short()
                && history.other_hrv_baseline(date, metric, &source, &mut nightly)
            {
                return Baselined::NewDevice {
                    readings: short.baseline_nights,
                    needed: HRV_MIN_BASELINE_NIGHTS,
                };
            }
            if !cold {
                reasons.push(Reason::HrvNotJudged {
                    rolling_nights: short.rolling_nights,
                    rolling_needed: HRV_MIN_ROLLING_NIGHTS,
                    baseline_nights: short.baseline_nights,
                    baseline_needed: HRV_MIN_BASELINE_NIGHTS,
                });
            }
            return Baselined::NotJudged {
                building: short.baseline_short(),
            };
        }
    };
    let z = trend.z;
    reasons.push(match trend.band {
        hrv::HrvBand::Below => Reason::HrvBelowNormal { metric, z },
        hrv::HrvBand::Above => Reason::HrvAboveNormal { metric, z },
        hrv::HrvBand::Within => Reason::HrvWithinNormal { metric, z },
    });
    Baselined::Scored {
        sub: hrv_subscore(z),
        deviation: z,
    }
}

fn resting_hr_outcome(history: &History, date: NaiveDate, reasons: &mut Vec<Reason>) -> Baselined {
    let Some((today, baseline, readings)) = history.resting_hr_baseline(date) else {
        return Baselined::Missing;
    };
    let Some(baseline) = baseline else {
        return Baselined::NewDevice {
            readings,
            needed: MIN_BASELINE_READINGS,
        };
    };
    let delta = today - baseline;
    reasons.push(Reason::RestingHeartRate { delta_bpm: delta });
    Baselined::Scored {
        sub: resting_hr_subscore(delta),
        deviation: delta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_one() {
        let total: f64 = WEIGHTS.iter().map(|(_, w)| w).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn subscores_follow_their_ramps() {
        assert!((sleep_subscore(4.0, 8.0) - 50.0).abs() < 1e-9);
        assert!((sleep_subscore(9.0, 8.0) - 100.0).abs() < 1e-9);
        assert!((debt_subscore(7.0) - 50.0).abs() < 1e-9);
        assert!((debt_subscore(20.0)).abs() < 1e-9);
        assert!((hrv_subscore(-0.5) - 100.0).abs() < 1e-9);
        assert!((hrv_subscore(-1.75) - 50.0).abs() < 1e-9);
        assert!(hrv_subscore(-3.5).abs() < 1e-9);
        assert!((resting_hr_subscore(3.0) - 100.0).abs() < 1e-9);
        assert!((resting_hr_subscore(7.5) - 50.0).abs() < 1e-9);
        let shift = NextShift {
            fatigue_index: 35.0,
            threshold: 35.0,
        };
        assert!((next_shift_subscore(&shift) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn bands_use_whoops_cut_offs() {
        assert_eq!(band(100), RecoveryBand::Green);
        assert_eq!(band(67), RecoveryBand::Green);
        assert_eq!(band(66), RecoveryBand::Amber);
        assert_eq!(band(34), RecoveryBand::Amber);
        assert_eq!(band(33), RecoveryBand::Red);
        assert_eq!(band(0), RecoveryBand::Red);
    }
}
