//! The morning update: what the phone does when the officer wakes, over the
//! on-device store. Import the night's health data, rebuild the sleep
//! episodes, assess the roster (recorded sleep where the wearable covered
//! the night, predicted elsewhere),
//! score the morning and queue its daily summary, forecast the coming
//! shifts and select the coaching messages.
//!
//! One roster assessment is shared by the forecast, the recovery score's
//! next-shift component and the coaching selection, and every write (the
//! night's import, the score, the queued summary) is one transaction, so a
//! morning costs one engine run and one durable commit. The phone library
//! (`ffi`) only converts these types to its records; the separate calls it
//! also exports ([`assess`], [`score`], [`coaching`], [`import`]) are the
//! same steps on their own.
//!
//! `benches/morning.rs` and `examples/morning_cpu.rs` time [`update`] on
//! the synthetic morning of [`synthetic`] (`docs/wearables.md`).

pub mod plan;
pub mod synthetic;

use std::collections::BTreeMap;
use std::io::BufRead;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use models::sync::CheckInScale;

use crate::LocalClock;
use crate::calibration::{Calibration, CalibrationError, CalibrationParams, KssPair};
use crate::checkin::CheckIn;
use crate::coaching::content::ContentPack;
use crate::coaching::engine::{
    CoachingContext, CoachingMessage, CoachingParams, CoachingShift, ShownMessage, select,
};
use crate::fatigue_index::fatigue_index;
use crate::recovery::trend::{DayScore, Trend, TrendPeriod};
use crate::recovery::{self, History, NextShift, RecoveryScore, score_morning};
use crate::regularity::{self, RegularityError, ShiftTypeJetLag};
use crate::roster::assess::{
    AssessmentParams, KssTrace, ShiftAssessment, assess_roster_traced, grid_start, kss_trace,
};
use crate::roster::predict::next_main_sleep;
use crate::store::{self, QueueCounts, Store, StoreError};
use crate::wearables::{self, Format, IngestOptions, IngestReport, WearableError};

/// Hours of roster ahead a morning looks at: the coaching horizon, and the
/// window for the recovery score's next shift. The forecast may look
/// further; the assessment always reaches at least this far.
pub const HORIZON_HOURS: u32 = 48;

/// Days of past roster assessed, so consecutive-shift risk and flags see
/// the run the coming shifts belong to.
const PAST_ROSTER_DAYS: i64 = 7;

/// Days of history read for a morning's score: the date's rolling HRV week,
/// the 60-day HRV baseline before it (the resting-HR week is inside), and
/// one more so a night that began the day before the first is whole.
const HISTORY_DAYS: i64 = recovery::hrv::HRV_ROLLING_NIGHTS + recovery::hrv::HRV_BASELINE_DAYS + 1;

/// How far back the coaching engine looks (sleep, check-ins, history).
const COACHING_LOOKBACK_DAYS: i64 = 14;

/// How far back the personal calibration takes its check-ins: a season,
/// so a change of habits (a new role, a new baby) works through in weeks
/// rather than never, while a check-in or two a day gives the evidence
/// the thresholds ask for (`docs/coaching.md`).
pub const CALIBRATION_LOOKBACK_DAYS: i64 = 90;

/// Why a morning step failed.
#[derive(Debug, thiserror::Error)]
pub enum MorningError {
    /// The store failed, or refused a value.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine refused the roster or the sleep.
    #[error(transparent)]
    Engine(#[from] crate::EngineError),
    /// The recovery score's parameters were refused.
    #[error(transparent)]
    Recovery(#[from] recovery::RecoveryError),
    /// A shift failed shared validation.
    #[error(transparent)]
    Invalid(#[from] models::ValidationError),
    /// The night's health data could not be read at all.
    #[error(transparent)]
    Wearable(#[from] WearableError),
    /// The personal calibration could not be fitted.
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
    /// A regularity window the index refuses.
    #[error(transparent)]
    Regularity(#[from] RegularityError),
}

/// What importing health data did. Counts only: no value from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WearableImport {
    /// Records kept (minute heart rate is summarised per day, not kept).
    pub accepted: usize,
    /// Records already held: twice in the input, or stored by an earlier import.
    pub duplicates: usize,
    /// Records of types the library does not use (steps, workouts...).
    pub skipped: usize,
    /// Records refused, in all.
    pub rejected: usize,
    /// The refusals by stable snake_case reason, most frequent first (ties
    /// by reason); refusals past the itemised ones count as `not_itemised`.
    pub rejected_by_reason: Vec<(String, usize)>,
    /// Sleep episodes built (or rebuilt) from the import's sleep records.
    pub sleep_episodes: usize,
    /// Built episodes not kept because they overlap sleep the app entered.
    pub sleep_episodes_overlapping: usize,
}

/// A morning's recovery score, as kept in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct MorningScore {
    /// The score, its components and reasons (`docs/recovery.md`).
    pub score: RecoveryScore,
    /// True when the day's summary was queued for sync (there was a main
    /// sleep ending today and consent covers sleep summaries).
    pub summary_queued: bool,
}

/// Everything the morning screen shows.
#[derive(Debug, Clone)]
pub struct MorningUpdate {
    /// What the import did, when data was given.
    pub wearable_import: Option<WearableImport>,
    /// This morning's recovery score (kept, its summary queued when consent
    /// covers sleep summaries).
    pub recovery: MorningScore,
    /// The shifts ending after now and starting within the horizon, with
    /// the personalised figures once there are enough check-ins.
    pub forecast: Vec<ForecastShift>,
    /// The coaching messages to show now, most important first.
    pub coaching: Vec<CoachingMessage>,
    /// The sync queue after the update.
    pub queue: QueueCounts,
    /// The server's sync cursor (highest batch sequence it has stored).
    pub sync_cursor: u64,
}

/// Reads health data in `format` (no store is needed, so the caller need
/// not hold it while a large file is read), local dates in `clock`'s zone.
///
/// # Errors
/// [`WearableError`] when the data cannot be read at all.
pub fn read(
    format: Format,
    input: impl BufRead,
    clock: &LocalClock,
    now: DateTime<Utc>,
) -> Result<IngestReport, WearableError> {
    let options = IngestOptions {
        now,
        zone: clock.zone(),
    };
    wearables::ingest(format, input, options)
}

/// Stores a read import (its samples, and the sleep episodes rebuilt from
/// them) and counts what it did.
///
/// # Errors
/// [`MorningError::Store`] on a write failure (nothing is kept).
pub fn import(
    store: &mut Store,
    report: &IngestReport,
    now: DateTime<Utc>,
) -> Result<WearableImport, MorningError> {
    let kept = store.store_wearable_samples(&report.samples, now)?;
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for r in &report.rejected {
        let code = serde_json::to_value(&r.reason)
            .ok()
            .and_then(|v| v.get("reason").and_then(|c| c.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "malformed".into());
        *by_reason.entry(code).or_default() += 1;
    }
    let unlisted = report.rejected_count.saturating_sub(report.rejected.len());
    if unlisted > 0 {
        by_reason.insert("not_itemised".into(), unlisted);
    }
    let mut rejected_by_reason: Vec<(String, usize)> = by_reason.into_iter().collect();
    rejected_by_reason.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    Ok(WearableImport {
        accepted: report.accepted.saturating_sub(kept.duplicates),
        duplicates: report.duplicates + kept.duplicates,
        skipped: report.skipped,
        rejected: report.rejected_count,
        rejected_by_reason,
        sleep_episodes: kept.episodes,
        sleep_episodes_overlapping: kept.episodes_overlapping,
    })
}

/// Assesses the stored roster from a week before `now` to `horizon_hours`
/// after it, with the sleep recorded up to `now` for every opportunity the
/// wearable covered (a stored sleep episode or any sleep-stage sample, in
/// bed included, overlaps it: [`crate::roster::predict::is_recorded`]) and
/// sleep predicted from the roster for every other one, before and after
/// `now`. With no wearable the figures are `server roster-risk`'s. Empty
/// without a roster.
///
/// # Errors
/// [`MorningError::Store`] on a read failure; [`MorningError::Engine`] when
/// the engine refuses the stored roster or sleep.
pub fn assess(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    horizon_hours: u32,
) -> Result<Vec<ShiftAssessment>, MorningError> {
    Ok(assess_traced(store, clock, now, horizon_hours)?.0)
}

/// [`assess`], with the model's KSS over the run (`None` without a
/// roster), from which the personalised figures are taken.
///
/// # Errors
/// As [`assess`].
pub fn assess_traced(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    horizon_hours: u32,
) -> Result<(Vec<ShiftAssessment>, Option<KssTrace>), MorningError> {
    let params = assessment_params(store)?;
    let horizon = now + Duration::hours(i64::from(horizon_hours));
    let shifts = store.shifts_between(now - Duration::days(PAST_ROSTER_DAYS), horizon)?;
    let Some(first) = shifts.first() else {
        return Ok((Vec::new(), None));
    };
    let sleep_from = first.start() - Duration::days(params.warm_up_days + 1);
    let (recorded, covered) = recorded_sleep(store, sleep_from, now)?;
    let (assessment, trace) = assess_roster_traced(&shifts, &recorded, &covered, clock, &params)?;
    Ok((assessment.shifts, trace))
}

/// The engine's parameters on this phone: the reference's, with the
/// force's own limits as last applied ([`Store::force_limits`]), so the
/// officer's flags are their supervisor's.
fn assessment_params(store: &Store) -> Result<AssessmentParams, MorningError> {
    Ok(AssessmentParams {
        limits: store.force_limits()?,
        ..AssessmentParams::default()
    })
}

/// The sleep recorded from `from` to `now` (episodes ending by `now`) and
/// the spans the wearable covered: the evidence of
/// [`crate::roster::predict::is_recorded`] on the phone.
fn recorded_sleep(
    store: &Store,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<
    (
        Vec<models::SleepPeriod>,
        Vec<crate::roster::predict::Covered>,
    ),
    MorningError,
> {
    let recorded: Vec<_> = store
        .sleeps_between(from, now)?
        .into_iter()
        .filter(|s| s.end() <= now)
        .collect();
    let covered = store.sleep_coverage_between(from, now)?;
    Ok((recorded, covered))
}

/// The officer's personal calibration: their KSS check-ins of the last
/// [`CALIBRATION_LOOKBACK_DAYS`] days, each paired with the model's KSS at
/// its instant (the Three Process Model over the same sleep as the
/// forecast: recorded where the wearable covered a night, predicted from
/// the roster elsewhere), fitted by [`Calibration::fit`] with the
/// documented defaults. The identity until there are enough check-ins.
///
/// # Errors
/// [`MorningError::Store`] on a read failure; [`MorningError::Engine`] when
/// the engine refuses the stored sleep; [`MorningError::Calibration`] if
/// the fit fails.
pub fn calibration(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
) -> Result<Calibration, MorningError> {
    let cal_params = CalibrationParams::default();
    let since = now - Duration::days(CALIBRATION_LOOKBACK_DAYS);
    let check_ins: Vec<CheckIn> = store
        .check_ins_between(since, now + Duration::seconds(1))?
        .into_iter()
        .filter(|c| c.scale == CheckInScale::Kss && c.taken_at <= now)
        .filter_map(|c| CheckIn::new(c.taken_at, c.scale, c.value, c.context, now).ok())
        .collect();
    let Some(first) = check_ins.iter().map(CheckIn::taken_at).min() else {
        return Ok(Calibration::fit(&[], &cal_params)?);
    };
    let params = assessment_params(store)?;
    let start = grid_start(first - Duration::days(params.warm_up_days), &params);
    let end = grid_start(now, &params) + Duration::minutes(params.epoch_minutes.clamp(1, 60));
    // Tomorrow's first duty sets tonight's predicted bedtime.
    let shifts = store.shifts_between(start, now + Duration::days(1))?;
    let (recorded, covered) = recorded_sleep(store, start - Duration::days(1), now)?;
    let (trace, _) = kss_trace(&shifts, &recorded, &covered, start, end, clock, &params)?;
    // The model's KSS can leave the 1–9 scale (long wakefulness); a report
    // cannot, so the pair compares the prediction held to the scale.
    let pairs = KssPair::from_check_ins(&check_ins, |t| trace.at(t).map(|k| k.clamp(1.0, 9.0)));
    Ok(Calibration::fit(&pairs, &cal_params)?)
}

/// A shift of the forecast: its standard assessment (the figures phone and
/// server compare) and, once the calibration is fitted, the personalised
/// figures beside them.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastShift {
    /// The standard assessment.
    pub assessment: ShiftAssessment,
    /// The personalised figures, when the calibration is fitted.
    pub personal: Option<PersonalFigures>,
}

/// A shift's figures with the officer's calibration applied to every epoch
/// of the model's KSS ([`Calibration::apply`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PersonalFigures {
    /// Calibrated KSS at the end of the shift.
    pub kss_at_end: f64,
    /// Fatigue Index of the calibrated KSS over the shift (RR446 mapping,
    /// as the standard one).
    pub fatigue_index: f64,
}

/// The forecast: each shift ending after `now` and starting within
/// `horizon_hours`, with its personalised figures when `calibration` is
/// fitted, and the calibration used.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The shifts, in order.
    pub shifts: Vec<ForecastShift>,
    /// The officer's calibration (the identity until enough check-ins).
    pub calibration: Calibration,
}

/// The forecast over the stored roster: [`assess_traced`], the shifts of
/// [`upcoming`] starting within `horizon_hours`, each personalised by
/// [`calibration`] once it is fitted.
///
/// # Errors
/// As [`assess`] and [`calibration`].
pub fn forecast(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    horizon_hours: u32,
) -> Result<Forecast, MorningError> {
    let (assessment, trace) = assess_traced(store, clock, now, horizon_hours)?;
    let calibration = calibration(store, clock, now)?;
    let horizon = now + Duration::hours(i64::from(horizon_hours));
    let mut coming = upcoming(&assessment, now);
    coming.retain(|s| s.start.with_timezone(&Utc) < horizon);
    Ok(Forecast {
        shifts: personalise(coming, trace.as_ref(), &calibration),
        calibration,
    })
}

/// Each shift with its personalised figures when `calibration` is fitted:
/// the calibration applied to each epoch's KSS of `trace` over the shift.
pub fn personalise(
    shifts: Vec<ShiftAssessment>,
    trace: Option<&KssTrace>,
    calibration: &Calibration,
) -> Vec<ForecastShift> {
    shifts
        .into_iter()
        .map(|a| {
            let personal = trace.filter(|_| calibration.is_personalised()).map(|t| {
                let during = t.during(a.start.with_timezone(&Utc), a.end.with_timezone(&Utc));
                PersonalFigures {
                    kss_at_end: calibration.apply(a.kss_at_end).kss,
                    fatigue_index: fatigue_index(during.iter().map(|k| calibration.apply(*k).kss))
                        .unwrap_or(0.0),
                }
            });
            ForecastShift {
                assessment: a,
                personal,
            }
        })
        .collect()
}

/// The shifts of `assessment` that end after `now`: the forecast.
pub fn upcoming(assessment: &[ShiftAssessment], now: DateTime<Utc>) -> Vec<ShiftAssessment> {
    assessment
        .iter()
        .filter(|a| a.end.with_timezone(&Utc) > now)
        .cloned()
        .collect()
}

/// Scores this morning from the stored history (sleep episodes ending by
/// `now`, HRV and resting heart rate) against the officer's sleep need
/// ([`Store::sleep_need_hours`]: their setting, else 7 h), the next shift taken from
/// `assessment` (the roster assessment the caller already ran); keeps the
/// score and queues the day's summary (when there was a main sleep ending
/// today), in one transaction.
///
/// # Errors
/// [`MorningError::Store`] on a read or write failure.
pub fn score(
    store: &mut Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    assessment: &[ShiftAssessment],
) -> Result<MorningScore, MorningError> {
    let (episodes, samples) =
        store.wearable_history(now - Duration::days(HISTORY_DAYS), now, clock)?;
    let episodes: Vec<_> = episodes.into_iter().filter(|e| e.end <= now).collect();
    let date = now.with_timezone(&clock.zone()).date_naive();
    let next = assessment
        .iter()
        .find(|a| a.start.with_timezone(&Utc) > now)
        .map(|a| NextShift {
            fatigue_index: a.fatigue_index,
            threshold: a.fatigue_index_threshold,
        });
    let history = History::new(episodes, &samples, store.sleep_need_hours()?)?;
    let score = score_morning(&history, date, next.as_ref());
    let main = history
        .episodes
        .iter()
        .find(|e| e.is_main && e.local_date == date);
    let summary = main.map(|m| store::daily_summary(&score, Some(m)));
    let summary_queued = store.record_morning(&score, summary.as_ref(), now)?;
    Ok(MorningScore {
        score,
        summary_queued,
    })
}

/// When the officer next plans to sleep, after `now`: their planned bedtime
/// ([`Store::planned_bedtime`], its next occurrence in their zone) unless
/// a duty or the commute either side of it covers that instant, else the
/// start of the next main sleep the roster rules predict
/// ([`next_main_sleep`]: after a night shift, the day sleep).
///
/// # Errors
/// [`MorningError::Store`] on a read failure.
pub fn planned_sleep_start(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, MorningError> {
    let rules = AssessmentParams::default().sleep;
    let shifts = store.shifts_between(now - Duration::days(1), now + Duration::days(2))?;
    let commute = Duration::minutes((rules.commute_hours * 60.0).round() as i64);
    let own = store
        .planned_bedtime()?
        .and_then(|t| next_local(t, clock, now))
        .filter(|p| {
            !shifts
                .iter()
                .any(|s| s.start() - commute <= *p && *p < s.end() + commute)
        });
    Ok(own.or_else(|| next_main_sleep(&shifts, now, clock, &rules).map(|s| s.start())))
}

/// The first instant after `now` at local clock time `t` in `clock`'s
/// zone (today's or tomorrow's; a time the clocks skip that day is tried
/// the day after).
fn next_local(t: NaiveTime, clock: &LocalClock, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = now.with_timezone(&clock.zone()).date_naive();
    (0..3)
        .filter_map(|d| today.checked_add_days(chrono::Days::new(d)))
        .filter_map(|day| crate::roster::local_to_utc(day.and_time(t), clock.zone()).ok())
        .find(|p| *p > now)
}

/// The last [`TrendPeriod::days`] days to today (local, in `clock`'s zone)
/// for a trend chart: the stored recovery scores, and sleep, HRV and resting
/// heart rate with their baselines from the stored history up to `now`
/// ([`recovery::trend::trend`]). Days without data are present with `None`.
///
/// # Errors
/// [`MorningError::Store`] on a read failure; [`MorningError::Recovery`]
/// for a stored sleep need the score refuses.
pub fn history(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    period: TrendPeriod,
) -> Result<Trend, MorningError> {
    let last = now.with_timezone(&clock.zone()).date_naive();
    let first = last - Duration::days(i64::from(period.days()) - 1);
    let from = now - Duration::days(recovery::trend::lookback_days(period) + 1);
    let (episodes, samples) = store.wearable_history(from, now, clock)?;
    let episodes: Vec<_> = episodes.into_iter().filter(|e| e.end <= now).collect();
    let history = History::new(episodes, &samples, store.sleep_need_hours()?)?;
    let scores = store
        .recovery_scores_between(first, last)?
        .into_iter()
        .map(|s| {
            (
                s.date,
                DayScore {
                    score: s.score,
                    band: s.band,
                },
            )
        })
        .collect();
    Ok(recovery::trend::trend(&history, &scores, last, period))
}

/// Sleep regularity over the `days` local days before today.
#[derive(Debug, Clone, PartialEq)]
pub struct Regularity {
    /// Local days looked at (ending yesterday).
    pub days: u32,
    /// Sleep Regularity Index, `None` without two consecutive days with
    /// sleep recorded.
    pub sleep_regularity_index: Option<f64>,
    /// Social jet lag per shift type (MCTQ-Shift), for the types with both
    /// work and free days in the window.
    pub social_jet_lag: Vec<ShiftTypeJetLag>,
}

/// Days of roster before a regularity window read so the free days at its
/// start know the block they follow.
const REGULARITY_ROSTER_LOOKBACK_DAYS: i64 = 14;

/// The Sleep Regularity Index and social jet lag per shift type over the
/// `days` (2 to [`regularity::MAX_SRI_DAYS`]) local days before today, from
/// the stored sleep and roster.
///
/// # Errors
/// [`MorningError::Regularity`] for `days` outside the range;
/// [`MorningError::Store`] on a read failure.
pub fn regularity(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    days: u32,
) -> Result<Regularity, MorningError> {
    if !(2..=regularity::MAX_SRI_DAYS).contains(&days) {
        return Err(RegularityError::WindowOutOfRange(days).into());
    }
    let today = now.with_timezone(&clock.zone()).date_naive();
    let first = today - Duration::days(i64::from(days));
    let from = now - Duration::days(i64::from(days) + 2);
    let (episodes, _) = store.wearable_history(from, now, clock)?;
    let episodes: Vec<_> = episodes
        .into_iter()
        .filter(|e| e.local_date >= first && e.end <= now)
        .collect();
    let sri = regularity::sleep_regularity_index(&episodes, first, days, clock.zone()).ok();
    let shifts =
        store.shifts_between(from - Duration::days(REGULARITY_ROSTER_LOOKBACK_DAYS), now)?;
    Ok(Regularity {
        days,
        sleep_regularity_index: sri,
        social_jet_lag: regularity::social_jet_lag_by_shift_type(&episodes, &shifts, clock),
    })
}

/// Everything coaching needs, built from the store in one place: the
/// assessed shifts, the recorded main sleeps, check-ins and shown messages
/// of the last [`COACHING_LOOKBACK_DAYS`] days, the scored mornings' bands,
/// today's 7-night sleep debt (against the officer's sleep need) and the
/// planned sleep start ([`planned_sleep_start`]).
///
/// # Errors
/// Store failures; an assessment the coaching types refuse.
pub fn coaching_context(
    store: &Store,
    clock: &LocalClock,
    now: DateTime<Utc>,
    assessment: &[ShiftAssessment],
) -> Result<CoachingContext, MorningError> {
    let since = now - Duration::days(COACHING_LOOKBACK_DAYS);
    let mut ctx = CoachingContext::new(now, *clock);
    ctx.shifts = assessment
        .iter()
        .map(CoachingShift::from_assessment)
        .collect::<Result<_, _>>()?;
    ctx.main_sleeps = store.sleeps_between(since, now)?;
    ctx.check_ins = store
        .check_ins_between(since, now + Duration::minutes(1))?
        .into_iter()
        .filter_map(|c| CheckIn::new(c.taken_at, c.scale, c.value, c.context, now).ok())
        .collect();
    ctx.history = store
        .coaching_shown_since(since)?
        .into_iter()
        .map(|(id, shown_at)| ShownMessage { id, shown_at })
        .collect();
    // The scored mornings: "several red mornings" and the week's debt
    // (against the officer's own sleep need) fire on the phone as they do
    // in the engine's tests.
    let today = now.with_timezone(&clock.zone()).date_naive();
    ctx.recovery_bands =
        store.dated_recovery_bands_since(since.with_timezone(&clock.zone()).date_naive())?;
    ctx.sleep_debt_minutes = store
        .recovery_score(today)?
        .filter(|s| s.score.is_some())
        .map(|s| s.sleep_debt_minutes);
    // The caffeine cut-off counts back from it.
    ctx.planned_sleep_start = planned_sleep_start(store, clock, now)?;
    Ok(ctx)
}

/// The coaching messages for `now`: [`coaching_context`] through the
/// engine's selection with the pack's messages.
///
/// # Errors
/// As [`coaching_context`].
pub fn coaching(
    store: &Store,
    clock: &LocalClock,
    pack: &ContentPack,
    now: DateTime<Utc>,
    assessment: &[ShiftAssessment],
) -> Result<Vec<CoachingMessage>, MorningError> {
    let ctx = coaching_context(store, clock, now, assessment)?;
    Ok(select(&ctx, pack, &CoachingParams::default()))
}

/// The whole morning: imports `night` (read beforehand with [`read`]) if
/// given, assesses the roster once (to `horizon_hours` or
/// [`HORIZON_HOURS`], whichever is further), scores the morning, forecasts
/// the shifts starting within `horizon_hours` and selects the coaching
/// messages, in one transaction: the import, the score and the queued
/// summary are kept together or not at all. The results equal [`import`],
/// [`score`], [`forecast`] and [`coaching`] called in turn.
///
/// # Errors
/// As those steps; on any error nothing is kept.
pub fn update(
    store: &mut Store,
    clock: &LocalClock,
    pack: &ContentPack,
    now: DateTime<Utc>,
    night: Option<&IngestReport>,
    horizon_hours: u32,
) -> Result<MorningUpdate, MorningError> {
    // The assessment must reach as far as coaching and the score look.
    let assessed_hours = horizon_hours.max(HORIZON_HOURS);
    store.batch(|store: &mut Store| {
        let wearable_import = night.map(|n| import(store, n, now)).transpose()?;
        let (assessment, trace) = assess_traced(store, clock, now, assessed_hours)?;
        let recovery = score(store, clock, now, &assessment)?;
        let horizon = now + Duration::hours(i64::from(horizon_hours));
        let mut coming = upcoming(&assessment, now);
        coming.retain(|s| s.start.with_timezone(&Utc) < horizon);
        let forecast = personalise(coming, trace.as_ref(), &calibration(store, clock, now)?);
        // Coaching sees the shifts it would see on its own call.
        let coaching_until = now + Duration::hours(i64::from(HORIZON_HOURS));
        let near: Vec<_> = assessment
            .iter()
            .filter(|a| a.start.with_timezone(&Utc) < coaching_until)
            .cloned()
            .collect();
        let coaching = coaching(store, clock, pack, now, &near)?;
        Ok(MorningUpdate {
            wearable_import,
            recovery,
            forecast,
            coaching,
            queue: store.queue_counts()?,
            sync_cursor: store.sync_cursor()?,
        })
    })
}
