//! The risk of each shift in a person's roster, and of the roster as a whole.
//!
//! For each shift: the Fatigue Index from the Three Process Model run over
//! the person's sleep (recorded where it exists, predicted from the roster
//! otherwise, and the shift says which), the hourly roster risk (mean, peak),
//! and the flags of `frm-indicators.md` that a supervisor acts on. For the
//! roster: its Risk Index. The JSON form of [`RosterAssessment`] is the
//! documented output of `server roster-risk --format json` and the per-shift
//! body of the server's team view (`docs/rosters.md`).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use models::{Shift, ShiftType, SleepPeriod};
use serde::{Deserialize, Serialize};

use super::limits::RosterLimits;
use super::predict::{Covered, SleepRules, SleepSource, combine, predict_sleep};
use crate::fatigue_index::{fatigue_index, is_night_shift, threshold_for_night};
use crate::hourly_risk::{
    HourlyRiskParams, RISK_INDEX_THRESHOLD, hour_weighted_mean_hri, mean_hri, reference_mean_hri,
    risk_index, risk_index_of, shift_risks, shift_type,
};
use crate::model::three_process::{ThreeProcessModel, TpmParams};
use crate::simulation::simulate_each;
use crate::{EngineError, EpochGrid, LocalClock};

/// Everything an assessment depends on, with published defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssessmentParams {
    /// Three Process Model coefficients (the FI comes from its KSS).
    pub tpm: TpmParams,
    /// Hourly risk coefficients.
    pub hourly: HourlyRiskParams,
    /// Predicted-sleep rules.
    pub sleep: SleepRules,
    /// Simulation epoch, minutes.
    pub epoch_minutes: i64,
    /// Days simulated before the first shift so the model settles.
    pub warm_up_days: i64,
    /// The limits the flags apply (shared with the report's levels).
    pub limits: RosterLimits,
}

impl Default for AssessmentParams {
    fn default() -> Self {
        Self {
            tpm: TpmParams::default(),
            hourly: HourlyRiskParams::default(),
            sleep: SleepRules::default(),
            epoch_minutes: 5,
            warm_up_days: 3,
            limits: RosterLimits::default(),
        }
    }
}

/// How bad a flag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Review.
    Amber,
    /// Act.
    Red,
}

/// One roster indicator that a shift breaches (`frm-indicators.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// Stable code: `long_shift`, `long_night_shift`, `quick_return`,
    /// `short_rest`, `consecutive_nights`, `consecutive_days`,
    /// `hours_in_7_days`, `door_to_door`, `fatigue_index`.
    pub code: String,
    /// Amber or red.
    pub severity: Severity,
    /// The figure behind it, in words.
    pub detail: String,
}

/// Where the sleep before a shift came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SleepBasis {
    /// All sleep in the 24 h before the shift was recorded.
    Recorded,
    /// All of it was predicted from the roster.
    Predicted,
    /// Some of each.
    Mixed,
}

/// The assessment of one shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftAssessment {
    /// Start, with the roster zone's offset.
    pub start: DateTime<FixedOffset>,
    /// End, with the roster zone's offset.
    pub end: DateTime<FixedOffset>,
    /// Type by local start time (early, day, late, night).
    pub shift_type: ShiftType,
    /// Night shift by the Working Time Regulations rule (≥ 3 h in 23:00–06:00).
    pub night: bool,
    /// Length, hours.
    pub hours: f64,
    /// Fatigue Index, 0–100.
    pub fatigue_index: f64,
    /// The FI threshold that applies (35 day, 45 night).
    pub fatigue_index_threshold: f64,
    /// Predicted KSS at the end of the shift (the drive home).
    pub kss_at_end: f64,
    /// Hourly roster risk, hour-weighted mean over the shift.
    pub hri_mean: f64,
    /// Hourly roster risk, highest hour.
    pub hri_peak: f64,
    /// The shift's Risk Index: its mean HRI over the reference roster's
    /// ([`crate::hourly_risk::risk_index_of`]); the figure the 1.6 guidance
    /// threshold applies to.
    pub risk_index: f64,
    /// Sleep in the 24 hours before the start, hours.
    pub sleep_before_hours: f64,
    /// Whether that sleep was recorded or predicted.
    pub sleep_basis: SleepBasis,
    /// Rest since the previous shift ended, hours (`None` for the first).
    pub rest_before_hours: Option<f64>,
    /// For a night shift, its place in the run of nights it belongs to
    /// (1 for the first night; the `consecutive_nights` flag's count); 0
    /// for a shift that is not a night. Absent from assessments made
    /// before it was kept (read as 0).
    #[serde(default)]
    pub nights_in_run: u32,
    /// Indicators breached.
    pub flags: Vec<Flag>,
}

impl ShiftAssessment {
    /// True when the Fatigue Index is at or over its threshold: the
    /// `fatigue_index` flag's comparison, and the phone's
    /// `above_threshold`.
    pub fn above_fatigue_threshold(&self) -> bool {
        self.fatigue_index >= self.fatigue_index_threshold
    }
}

/// A sleep period used in an assessment, with its source.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SleepUsed {
    /// Start (UTC).
    pub start: DateTime<Utc>,
    /// End (UTC).
    pub end: DateTime<Utc>,
    /// Recorded or predicted.
    pub source: SleepSource,
}

/// The assessment of one person's roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterAssessment {
    /// The IANA zone local times were read in.
    pub zone: String,
    /// One entry per shift, in time order.
    pub shifts: Vec<ShiftAssessment>,
    /// Hour-weighted mean HRI over all hours worked.
    pub mean_hri: Option<f64>,
    /// Mean HRI relative to five 09:00–17:00 day shifts.
    pub risk_index: Option<f64>,
    /// The Risk Index guidance threshold (1.6).
    pub risk_index_threshold: f64,
    /// The sleep the models ran on.
    pub sleep: Vec<SleepUsed>,
}

/// Assesses one person's roster.
///
/// `recorded` sleep replaces the predicted sleep of every opportunity the
/// wearable covered (a recorded sleep or a `covered` span overlaps it,
/// [`crate::roster::predict::is_recorded`]); every other opportunity keeps
/// its predicted sleep, before and after now. With neither, the figures are
/// the roster-only ones of `server roster-risk`.
///
/// # Errors
/// [`EngineError::SleepsOverlap`] when recorded sleeps overlap;
/// [`EngineError::InvalidParameter`] for bad coefficients.
pub fn assess_roster(
    shifts: &[Shift],
    recorded: &[SleepPeriod],
    covered: &[Covered],
    clock: &LocalClock,
    params: &AssessmentParams,
) -> Result<RosterAssessment, EngineError> {
    assess_roster_traced(shifts, recorded, covered, clock, params).map(|(a, _)| a)
}

/// [`assess_roster`], with the model's KSS over the whole run (`None`
/// without shifts): the epochs each shift's figures came from.
///
/// # Errors
/// As [`assess_roster`].
pub fn assess_roster_traced(
    shifts: &[Shift],
    recorded: &[SleepPeriod],
    covered: &[Covered],
    clock: &LocalClock,
    params: &AssessmentParams,
) -> Result<(RosterAssessment, Option<KssTrace>), EngineError> {
    params.tpm.validate()?;
    let mut shifts = shifts.to_vec();
    shifts.sort();
    shifts.dedup();
    let empty = RosterAssessment {
        zone: clock.zone().name().to_string(),
        shifts: Vec::new(),
        mean_hri: None,
        risk_index: None,
        risk_index_threshold: RISK_INDEX_THRESHOLD,
        sleep: Vec::new(),
    };
    let (Some(first), Some(last)) = (shifts.first(), shifts.iter().map(|s| s.end()).max()) else {
        return Ok((empty, None));
    };
    let epoch = Duration::minutes(params.epoch_minutes.clamp(1, 60));
    let start = grid_start(first.start() - Duration::days(params.warm_up_days), params);
    let end = ceil_to(last, epoch);
    let (trace, sleep) = kss_trace(&shifts, recorded, covered, start, end, clock, params)?;
    let risks = shift_risks(&shifts, clock, &params.hourly);
    let reference = reference_mean_hri(&params.hourly);

    // Each shift's night flag once: the threshold and the runs of nights
    // read it again for every shift after it in a run (a large force's
    // report assesses a million shifts, docs/scaling.md).
    let nights: Vec<bool> = shifts.iter().map(|s| is_night_shift(s, clock)).collect();
    // And each one's local start date, for the runs of days worked.
    let dates: Vec<NaiveDate> = shifts
        .iter()
        .map(|s| s.start().with_timezone(&clock.zone()).date_naive())
        .collect();
    let assessed = shifts
        .iter()
        .enumerate()
        .map(|(i, shift)| {
            let in_shift = trace.during(shift.start(), shift.end());
            let fi = fatigue_index(in_shift.iter().copied()).unwrap_or(0.0);
            let kss_at_end = in_shift.last().copied().unwrap_or(f64::NAN);
            let night = nights[i];
            let threshold = threshold_for_night(night);
            let rest_before = (i > 0).then(|| hours_between(shifts[i - 1].end(), shift.start()));
            let (sleep_before_hours, sleep_basis) = sleep_before(shift, &sleep, covered);
            let zone = clock.zone();
            let mut a = ShiftAssessment {
                start: shift.start().with_timezone(&zone).fixed_offset(),
                end: shift.end().with_timezone(&zone).fixed_offset(),
                shift_type: shift_type(shift, clock),
                night,
                hours: shift.duration_hours(),
                fatigue_index: fi,
                fatigue_index_threshold: threshold,
                kss_at_end,
                hri_mean: risks[i].mean,
                hri_peak: risks[i].peak,
                risk_index: risk_index_of(risks[i].mean, reference),
                sleep_before_hours,
                sleep_basis,
                rest_before_hours: rest_before,
                nights_in_run: u32::try_from(nights_in_run(i, &shifts, &nights, &params.limits))
                    .unwrap_or(u32::MAX),
                flags: Vec::new(),
            };
            a.flags = flags_for(i, &shifts, &dates, &a, params);
            a
        })
        .collect();
    Ok((
        RosterAssessment {
            shifts: assessed,
            mean_hri: mean_hri(&risks),
            risk_index: risk_index(&risks, &params.hourly),
            sleep: sleep
                .iter()
                .map(|(s, source)| SleepUsed {
                    start: s.start(),
                    end: s.end(),
                    source: *source,
                })
                .collect(),
            ..empty
        },
        Some(trace),
    ))
}

/// A team's Risk Index: the mean HRI over every hour its members' `shifts`
/// work, pooled across people, over the reference roster's. Each person's
/// shifts come from their own [`assess_roster`] (the supervisor's view), so
/// runs and quick returns are each person's; the pool weights every hour
/// worked the same, as one person's Risk Index does. `None` without hours.
///
/// # Formula
/// `RI_team = (Σ hri_mean_s × hours_s / Σ hours_s) / reference_mean_hri`
/// over the team's shifts `s` (`fatigue-science.md` §5).
pub fn team_risk_index<'a>(
    shifts: impl IntoIterator<Item = &'a ShiftAssessment>,
    hourly: &HourlyRiskParams,
) -> Option<f64> {
    hour_weighted_mean_hri(shifts.into_iter().map(|s| (s.hri_mean, s.hours)))
        .map(|m| risk_index_of(m, reference_mean_hri(hourly)))
}

/// The model's KSS at every epoch of a run, for figures the assessment
/// does not keep (the personalised forecast, the predictions a calibration
/// pairs with check-ins).
#[derive(Debug, Clone, PartialEq)]
pub struct KssTrace {
    start: DateTime<Utc>,
    epoch: Duration,
    kss: Vec<f64>,
}

impl KssTrace {
    /// The KSS of the epoch at or before `t` (the grid's epoch holding `t`),
    /// `None` outside the run.
    pub fn at(&self, t: DateTime<Utc>) -> Option<f64> {
        if t < self.start {
            return None;
        }
        let i = (t - self.start).num_seconds() / self.epoch.num_seconds();
        usize::try_from(i)
            .ok()
            .and_then(|i| self.kss.get(i).copied())
    }

    /// The KSS of the epochs at instants in `[from, to)`: a shift's epochs,
    /// whose mean probability of KSS ≥ 8 is its Fatigue Index.
    pub fn during(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> &[f64] {
        let e = self.epoch.num_seconds();
        let index = |t: DateTime<Utc>| {
            let offset = (t - self.start).num_seconds().max(0);
            usize::try_from((offset + e - 1) / e)
                .unwrap_or(usize::MAX)
                .min(self.kss.len())
        };
        let (a, b) = (index(from), index(to));
        &self.kss[a..b.max(a)]
    }
}

/// The Three Process Model's KSS on the grid `[start, end]` (epochs of
/// `params.epoch_minutes`), over the sleep of [`assess_roster`]: recorded
/// where the wearable covered an opportunity, predicted from `shifts`
/// (sorted) elsewhere; with the sleep it ran on.
///
/// # Errors
/// As [`assess_roster`].
pub fn kss_trace(
    shifts: &[Shift],
    recorded: &[SleepPeriod],
    covered: &[Covered],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    clock: &LocalClock,
    params: &AssessmentParams,
) -> Result<(KssTrace, Vec<(SleepPeriod, SleepSource)>), EngineError> {
    params.tpm.validate()?;
    let epoch = Duration::minutes(params.epoch_minutes.clamp(1, 60));
    let grid = EpochGrid::new(start, end, epoch)?;
    let predicted = predict_sleep(shifts, start, end, clock, &params.sleep);
    let recorded = crate::simulation::sorted_sleeps(recorded)?;
    let sleep: Vec<(SleepPeriod, SleepSource)> = combine(&recorded, covered, &predicted)
        .into_iter()
        .filter(|(s, _)| s.end() > start && s.start() <= end)
        .collect();
    let periods: Vec<SleepPeriod> = sleep.iter().map(|(s, _)| *s).collect();
    Ok((trace_over(&periods, &grid, clock, params)?, sleep))
}

/// The Three Process Model's KSS on the grid `[start, end]` over exactly
/// `sleeps` (they must not overlap, and each must touch the grid): the run
/// [`kss_trace`] makes once it has chosen the sleep, for a caller that
/// chose its own (the personal plan's sleep, `docs/plan.md`).
///
/// # Errors
/// As [`assess_roster`]; [`EngineError::SleepOutsideSeries`] for a sleep
/// off the grid.
pub fn kss_trace_over(
    sleeps: &[SleepPeriod],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    clock: &LocalClock,
    params: &AssessmentParams,
) -> Result<KssTrace, EngineError> {
    params.tpm.validate()?;
    let epoch = Duration::minutes(params.epoch_minutes.clamp(1, 60));
    let grid = EpochGrid::new(start, end, epoch)?;
    trace_over(sleeps, &grid, clock, params)
}

fn trace_over(
    sleeps: &[SleepPeriod],
    grid: &EpochGrid,
    clock: &LocalClock,
    params: &AssessmentParams,
) -> Result<KssTrace, EngineError> {
    let mut kss = Vec::with_capacity(grid.len());
    simulate_each::<ThreeProcessModel>(&params.tpm, sleeps, grid, clock, |_, out| {
        kss.push(out.kss);
    })?;
    Ok(KssTrace {
        start: grid.start(),
        epoch: grid.epoch(),
        kss,
    })
}

/// The epoch grid's start for a run that begins at `t`: `t` floored to
/// whole epochs of `params.epoch_minutes` (the grid every run is on).
pub fn grid_start(t: DateTime<Utc>, params: &AssessmentParams) -> DateTime<Utc> {
    floor_to(t, Duration::minutes(params.epoch_minutes.clamp(1, 60)))
}

fn hours_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_seconds() as f64 / 3600.0
}

fn floor_to(t: DateTime<Utc>, epoch: Duration) -> DateTime<Utc> {
    let e = epoch.num_seconds();
    let secs = t.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(e), 0).unwrap_or(t)
}

fn ceil_to(t: DateTime<Utc>, epoch: Duration) -> DateTime<Utc> {
    let floored = floor_to(t, epoch);
    if floored == t { t } else { floored + epoch }
}

/// Hours of sleep in the 24 h before a shift, and where it came from: a
/// span the wearable covered in that window counts as recorded even when it
/// saw no sleep (a night awake in bed is a recorded night).
fn sleep_before(
    shift: &Shift,
    sleep: &[(SleepPeriod, SleepSource)],
    covered: &[Covered],
) -> (f64, SleepBasis) {
    let window_start = shift.start() - Duration::hours(24);
    let mut total = 0.0;
    let mut recorded = covered
        .iter()
        .any(|&(s, e)| s < shift.start() && e > window_start);
    let mut predicted = false;
    for (s, source) in sleep {
        let overlap = hours_between(s.start().max(window_start), s.end().min(shift.start()));
        if overlap > 0.0 {
            total += overlap;
            match source {
                SleepSource::Recorded => recorded = true,
                SleepSource::Predicted => predicted = true,
            }
        }
    }
    let basis = match (recorded, predicted) {
        (true, false) => SleepBasis::Recorded,
        (true, true) => SleepBasis::Mixed,
        _ => SleepBasis::Predicted,
    };
    (total, basis)
}

fn flag(code: &str, severity: Severity, detail: String) -> Flag {
    Flag {
        code: code.to_string(),
        severity,
        detail,
    }
}

/// The place of shift `i` (of `shifts`, sorted) in its run of nights:
/// 0 when it is not a night shift, else 1 plus the nights before it, each
/// ending less than `limits.night_run_gap_under_hours` before the next
/// starts (the `consecutive_nights` flag's count, frm-indicators.md);
/// `nights[j]` is shift `j`'s night flag ([`is_night_shift`]).
fn nights_in_run(i: usize, shifts: &[Shift], nights: &[bool], limits: &RosterLimits) -> usize {
    let Some(shift) = shifts.get(i) else {
        return 0;
    };
    if !nights[i] {
        return 0;
    }
    1 + shifts[..i]
        .iter()
        .enumerate()
        .rev()
        .scan(shift.start(), |next_start, (j, prev)| {
            let continues = nights[j]
                && *next_start - prev.end()
                    < Duration::hours(i64::from(limits.night_run_gap_under_hours));
            *next_start = prev.start();
            continues.then_some(())
        })
        .count()
}

/// The `frm-indicators.md` limits this shift breaches.
fn flags_for(
    i: usize,
    shifts: &[Shift],
    dates: &[NaiveDate],
    a: &ShiftAssessment,
    params: &AssessmentParams,
) -> Vec<Flag> {
    let shift = &shifts[i];
    let limits = &params.limits;
    let mut flags = Vec::new();
    let long = limits.long_shift_over_hours;
    let long_night = limits.long_night_shift_over_hours;
    if a.hours > f64::from(long) {
        flags.push(flag(
            "long_shift",
            Severity::Red,
            format!("{:.1} h shift (over {long} h, HSG256)", a.hours),
        ));
    } else if a.night && a.hours > f64::from(long_night) {
        flags.push(flag(
            "long_night_shift",
            Severity::Amber,
            format!("{:.1} h night shift (over {long_night} h, HSG256)", a.hours),
        ));
    }
    if let Some(rest) = a.rest_before_hours {
        let (red, amber) = (
            limits.quick_return_red_under_hours,
            limits.quick_return_amber_under_hours,
        );
        if rest < f64::from(red) {
            flags.push(flag(
                "quick_return",
                Severity::Red,
                format!("{rest:.1} h rest before this shift (under {red} h, WTR reg. 10)"),
            ));
        } else if rest < f64::from(amber) {
            flags.push(flag(
                "short_rest",
                Severity::Amber,
                format!("{rest:.1} h rest before this shift (under {amber} h)"),
            ));
        }
    }
    let nights_in_run = a.nights_in_run as usize;
    let (nights_red, nights_amber) = (limits.nights_red_over, limits.nights_amber_over);
    if nights_in_run > nights_red as usize {
        flags.push(flag(
            "consecutive_nights",
            Severity::Red,
            format!("night {nights_in_run} in a row (over {nights_red})"),
        ));
    } else if nights_in_run > nights_amber as usize {
        flags.push(flag(
            "consecutive_nights",
            Severity::Amber,
            format!("night {nights_in_run} in a row (over {nights_amber})"),
        ));
    }
    let days_in_run = consecutive_work_days(&dates[..=i]);
    let (days_red, days_amber) = (limits.work_days_red_over, limits.work_days_amber_over);
    if days_in_run > days_red as usize {
        flags.push(flag(
            "consecutive_days",
            Severity::Red,
            format!("day {days_in_run} worked in a row (over {days_red})"),
        ));
    } else if days_in_run > days_amber as usize {
        flags.push(flag(
            "consecutive_days",
            Severity::Amber,
            format!("day {days_in_run} worked in a row (over {days_amber})"),
        ));
    }
    let week_start = shift.end() - Duration::days(7);
    let week_hours: f64 = shifts[..=i]
        .iter()
        .map(|s| hours_between(s.start().max(week_start), s.end()).max(0.0))
        .sum();
    let (week_red, week_amber) = (limits.week_red_from_hours, limits.week_amber_from_hours);
    if week_hours >= f64::from(week_red) {
        flags.push(flag(
            "hours_in_7_days",
            Severity::Red,
            format!(
                "{week_hours:.1} h worked in the 7 days to this shift's end ({week_red} h or more)"
            ),
        ));
    } else if week_hours >= f64::from(week_amber) {
        flags.push(flag(
            "hours_in_7_days",
            Severity::Amber,
            format!(
                "{week_hours:.1} h worked in the 7 days to this shift's end ({week_amber} h or more)"
            ),
        ));
    }
    let door_to_door = a.hours + 2.0 * params.sleep.commute_hours;
    let door_limit = limits.door_to_door_from_hours;
    if door_to_door >= f64::from(door_limit) {
        flags.push(flag(
            "door_to_door",
            Severity::Amber,
            format!("{door_to_door:.1} h door to door including commute ({door_limit} h or more)"),
        ));
    }
    if a.above_fatigue_threshold() {
        flags.push(flag(
            "fatigue_index",
            Severity::Red,
            format!(
                "Fatigue Index {:.1} at or over the {} threshold of {:.0}",
                a.fatigue_index,
                if a.night { "night" } else { "day" },
                a.fatigue_index_threshold
            ),
        ));
    }
    flags
}

/// Distinct local dates with a duty starting on them, counted back from
/// the last of `dates` (the local start dates of the shifts up to one, in
/// order) while consecutive.
fn consecutive_work_days(dates: &[NaiveDate]) -> usize {
    let mut dates = dates.to_vec();
    dates.dedup();
    let mut run = 1;
    for pair in dates.windows(2).rev() {
        if pair[1] - pair[0] == Duration::days(1) {
            run += 1;
        } else {
            break;
        }
    }
    run
}
