//! The coaching engine: which situations hold now, and which few messages
//! to show for them.
//!
//! [`fired_triggers`] applies one rule per [`Trigger`] to a plain-data
//! [`CoachingContext`]; [`select`] picks, from a [`ContentPack`], at most
//! [`CoachingParams::max_messages`] messages for the fired triggers (one per
//! trigger, highest priority first, skipping any shown within its
//! cool-down) and renders their time placeholders in the person's local time.
//!
//! # Rules (times UTC, `now` the context's instant)
//! - **first_night**: the next shift is a night shift starting within
//!   `first_night_lookahead_hours` (18 h) and no night shift ended in the
//!   48 h before its start. A planned nap before the first night
//!   (HSE HSG256; Ruggiero & Redeker 2014).
//! - **between_nights**: off duty, the last shift was a night shift and the
//!   next is a night shift starting within 24 h of the last one's end.
//! - **quick_return**: two consecutive shifts, the second starting after
//!   `now` and within `lookahead_hours` (24 h), with under 11 h between the
//!   first's end and the second's start (Working Time Regulations 1998
//!   reg. 10; `reference/frm-indicators.md` indicator 2).
//! - **long_shift**: the current shift, or one starting within
//!   `lookahead_hours`, lasts over 12 h (HSG256).
//! - **sleep_debt**: sleep debt (the recovery score's, against the
//!   officer's own sleep need, 7 h asleep by default) of at least
//!   `sleep_debt_minutes` (300, our choice: over 40 min a night short across
//!   7 nights), or at least 3 recorded main sleeps ending in the last 7 days
//!   averaging under 6 h (frm-indicators indicator 14, a fixed benchmark).
//! - **drive_home_after_nights**: within 1 h after the end of a night
//!   shift, and its predicted KSS at the end is ≥ 7, or a KSS check-in ≥ 7
//!   was given from 1 h before its end until now (frm-indicators "KSS ≥ 7").
//! - **caffeine_cutoff**: a planned sleep start `P` after `now` and within
//!   `caffeine_cutoff_hours + caffeine_notice_hours` (6 h + 3 h); the
//!   cut-off is `P − 6 h` (Drake et al. 2013, J Clin Sleep Med 9(11)).
//! - **light_exposure**: within 3 h after the end of a night shift (on the
//!   way home and before day sleep; Smith & Eastman 2012).
//! - **persistent_red_recovery**: the last `persistence_count` (3) recovery
//!   bands (one per local date) are all red and the latest is from today or
//!   yesterday.
//! - **persistent_high_sleepiness**: the last `persistence_count` (3)
//!   check-in occasions within 14 days are all very high (KSS ≥ 8 or
//!   Samn-Perelli ≥ 6); check-ins at the same instant are one occasion,
//!   very high only if each of them is.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use models::sync::{CheckInScale, RecoveryBand};
use models::{Shift, ShiftType, SleepPeriod};
use serde::Serialize;

use super::content::{ContentPack, Source, placeholder_names};
use super::trigger::{Placeholder, Trigger};
use crate::LocalClock;
use crate::checkin::CheckIn;
use crate::roster::assess::ShiftAssessment;

/// A shift as the coaching engine sees it: the duty period, its type and,
/// when the caller has run the fatigue models, the predicted sleepiness at
/// its end and its Fatigue Index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoachingShift {
    /// The duty period.
    pub shift: Shift,
    /// Its type by local start hour.
    pub shift_type: ShiftType,
    /// Predicted KSS at the shift's end, if known.
    pub predicted_kss_at_end: Option<f64>,
    /// Fatigue Index of the shift, if known.
    pub fatigue_index: Option<f64>,
}

impl CoachingShift {
    /// A shift classified by its local start hour in `clock`'s zone, with no
    /// predictions.
    pub fn new(shift: Shift, clock: &LocalClock) -> Self {
        Self {
            shift,
            shift_type: crate::hourly_risk::shift_type(&shift, clock),
            predicted_kss_at_end: None,
            fatigue_index: None,
        }
    }

    /// A shift from the roster assessment, with its type, predicted KSS at
    /// the end and Fatigue Index.
    ///
    /// # Errors
    /// [`models::ValidationError`] if the assessed period is not a valid shift.
    pub fn from_assessment(a: &ShiftAssessment) -> Result<Self, models::ValidationError> {
        Ok(Self {
            shift: Shift::new(a.start.with_timezone(&Utc), a.end.with_timezone(&Utc))?,
            shift_type: a.shift_type,
            predicted_kss_at_end: Some(a.kss_at_end),
            fatigue_index: Some(a.fatigue_index),
        })
    }

    /// The same shift with its predicted KSS at the end.
    pub fn with_predicted_kss(mut self, kss: f64) -> Self {
        self.predicted_kss_at_end = Some(kss);
        self
    }

    fn is_night(&self) -> bool {
        self.shift_type == ShiftType::Night
    }
}

/// A message shown earlier (coaching history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownMessage {
    /// The message id.
    pub id: String,
    /// When it was shown.
    pub shown_at: DateTime<Utc>,
}

/// Everything the engine looks at, as plain data. All instants are UTC; the
/// clock gives the person's zone for shift types and rendered times.
#[derive(Debug, Clone, PartialEq)]
pub struct CoachingContext {
    /// The instant to coach for.
    pub now: DateTime<Utc>,
    /// The person's zone.
    pub clock: LocalClock,
    /// Recent and upcoming shifts, in any order (the engine sorts them).
    pub shifts: Vec<CoachingShift>,
    /// Recorded main sleeps of the last nights.
    pub main_sleeps: Vec<SleepPeriod>,
    /// Sleep debt over the last 7 nights, minutes, if known: the recovery
    /// score's, against the officer's sleep need (`docs/recovery.md`).
    pub sleep_debt_minutes: Option<u32>,
    /// Recovery bands by local date, in any order.
    pub recovery_bands: Vec<(NaiveDate, RecoveryBand)>,
    /// Recent check-ins, in any order.
    pub check_ins: Vec<CheckIn>,
    /// When the person plans to go to sleep next, if known.
    pub planned_sleep_start: Option<DateTime<Utc>>,
    /// Messages shown recently.
    pub history: Vec<ShownMessage>,
}

impl CoachingContext {
    /// An empty context at `now` in `clock`'s zone.
    pub fn new(now: DateTime<Utc>, clock: LocalClock) -> Self {
        Self {
            now,
            clock,
            shifts: Vec::new(),
            main_sleeps: Vec::new(),
            sleep_debt_minutes: None,
            recovery_bands: Vec::new(),
            check_ins: Vec::new(),
            planned_sleep_start: None,
            history: Vec::new(),
        }
    }
}

/// The engine's thresholds. The defaults are the documented rules in the
/// module doc; sources are given there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoachingParams {
    /// Most messages returned at once.
    pub max_messages: usize,
    /// How far ahead shift-based triggers look, hours.
    pub lookahead_hours: i64,
    /// How far ahead the first-night nap advice starts, hours.
    pub first_night_lookahead_hours: i64,
    /// No night shift within this many hours before a night makes it a first
    /// night.
    pub first_night_gap_hours: i64,
    /// Rest under this many hours between shifts is a quick return (WTR reg. 10).
    pub quick_return_hours: f64,
    /// Shifts over this many hours are long (HSG256).
    pub long_shift_hours: f64,
    /// Sleep debt from which the sleep-debt trigger fires, minutes.
    pub sleep_debt_minutes: u32,
    /// Mean recorded main sleep under this many hours fires the sleep-debt trigger.
    pub short_sleep_hours: f64,
    /// Predicted or reported KSS at or above which the drive home is flagged.
    pub drive_kss: f64,
    /// Window after a night shift's end for the drive-home advice, minutes.
    pub drive_window_minutes: i64,
    /// Window after a night shift's end for the light advice, minutes.
    pub light_window_minutes: i64,
    /// No caffeine within this many hours before planned sleep (Drake 2013).
    pub caffeine_cutoff_hours: i64,
    /// The caffeine advice shows from this many hours before the cut-off.
    pub caffeine_notice_hours: i64,
    /// How many in a row make a signal persistent.
    pub persistence_count: usize,
}

impl Default for CoachingParams {
    fn default() -> Self {
        Self {
            max_messages: 3,
            lookahead_hours: 24,
            first_night_lookahead_hours: 18,
            first_night_gap_hours: 48,
            quick_return_hours: 11.0,
            long_shift_hours: 12.0,
            sleep_debt_minutes: 300,
            short_sleep_hours: 6.0,
            drive_kss: 7.0,
            drive_window_minutes: 60,
            light_window_minutes: 180,
            caffeine_cutoff_hours: 6,
            caffeine_notice_hours: 3,
            persistence_count: 3,
        }
    }
}

/// A trigger that holds now, with the times its messages may show.
#[derive(Debug, Clone, PartialEq)]
pub struct FiredTrigger {
    /// The trigger.
    pub trigger: Trigger,
    /// Instants for its placeholders.
    pub times: HashMap<Placeholder, DateTime<Utc>>,
}

impl FiredTrigger {
    fn new(trigger: Trigger) -> Self {
        Self {
            trigger,
            times: HashMap::new(),
        }
    }

    fn with_shift(mut self, s: &CoachingShift) -> Self {
        self.times.insert(Placeholder::ShiftStart, s.shift.start());
        self.times.insert(Placeholder::ShiftEnd, s.shift.end());
        self
    }
}

/// A message chosen for now, rendered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoachingMessage {
    /// The message id (record it in the history when shown).
    pub id: String,
    /// The trigger that fired.
    pub trigger: Trigger,
    /// Its priority.
    pub priority: u8,
    /// Title.
    pub title: String,
    /// Body with times rendered as local `HH:MM`.
    pub body: String,
    /// Its sources.
    pub sources: Vec<Source>,
    /// Locale of the text.
    pub locale: String,
}

/// The triggers that hold in `ctx`, in [`Trigger::ALL`] order.
pub fn fired_triggers(ctx: &CoachingContext, params: &CoachingParams) -> Vec<FiredTrigger> {
    let mut shifts = ctx.shifts.clone();
    shifts.sort_by_key(|s| s.shift.start());
    let now = ctx.now;
    let hours = Duration::hours;
    let minutes = Duration::minutes;
    let current = shifts
        .iter()
        .find(|s| s.shift.start() <= now && now < s.shift.end());
    let last_ended = shifts.iter().rev().find(|s| s.shift.end() <= now);
    let next = shifts.iter().find(|s| s.shift.start() > now);
    let mut fired = Vec::new();

    // first_night
    if let Some(n) = next.filter(|n| n.is_night())
        && n.shift.start() - now <= hours(params.first_night_lookahead_hours)
    {
        let since = n.shift.start() - hours(params.first_night_gap_hours);
        let recent_night = shifts
            .iter()
            .any(|s| s.is_night() && s.shift.end() > since && s.shift.end() <= n.shift.start());
        if !recent_night {
            fired.push(FiredTrigger::new(Trigger::FirstNight).with_shift(n));
        }
    }

    // between_nights
    if current.is_none()
        && let (Some(l), Some(n)) = (last_ended, next)
        && l.is_night()
        && n.is_night()
        && n.shift.start() - l.shift.end() <= hours(24)
    {
        fired.push(FiredTrigger::new(Trigger::BetweenNights).with_shift(n));
    }

    // quick_return
    let quick = shifts.windows(2).find(|w| {
        let rest = (w[1].shift.start() - w[0].shift.end()).num_seconds() as f64 / 3600.0;
        w[1].shift.start() > now
            && w[1].shift.start() - now <= hours(params.lookahead_hours)
            && rest < params.quick_return_hours
    });
    if let Some(w) = quick {
        fired.push(FiredTrigger::new(Trigger::QuickReturn).with_shift(&w[1]));
    }

    // long_shift
    let long = shifts.iter().find(|s| {
        s.shift.end() > now
            && s.shift.start() - now <= hours(params.lookahead_hours)
            && s.shift.duration_hours() > params.long_shift_hours
    });
    if let Some(s) = long {
        fired.push(FiredTrigger::new(Trigger::LongShift).with_shift(s));
    }

    // sleep_debt
    let week_ago = now - hours(24 * 7);
    let recent_sleeps: Vec<f64> = ctx
        .main_sleeps
        .iter()
        .filter(|s| s.end() > week_ago && s.end() <= now)
        .map(SleepPeriod::duration_hours)
        .collect();
    let short_sleeps = recent_sleeps.len() >= 3
        && recent_sleeps.iter().sum::<f64>() / (recent_sleeps.len() as f64)
            < params.short_sleep_hours;
    if short_sleeps
        || ctx
            .sleep_debt_minutes
            .is_some_and(|d| d >= params.sleep_debt_minutes)
    {
        fired.push(FiredTrigger::new(Trigger::SleepDebt));
    }

    // drive_home_after_nights and light_exposure: just off a night shift
    if let Some(l) = last_ended.filter(|l| l.is_night()) {
        let since_end = now - l.shift.end();
        let predicted_high = l
            .predicted_kss_at_end
            .is_some_and(|k| k >= params.drive_kss);
        let reported_high = ctx.check_ins.iter().any(|c| {
            c.scale() == CheckInScale::Kss
                && f64::from(c.value()) >= params.drive_kss
                && c.taken_at() >= l.shift.end() - hours(1)
                && c.taken_at() <= now
        });
        if since_end <= minutes(params.drive_window_minutes) && (predicted_high || reported_high) {
            fired.push(FiredTrigger::new(Trigger::DriveHomeAfterNights).with_shift(l));
        }
        if since_end <= minutes(params.light_window_minutes) {
            fired.push(FiredTrigger::new(Trigger::LightExposure).with_shift(l));
        }
    }

    // caffeine_cutoff
    if let Some(p) = ctx.planned_sleep_start
        && p > now
        && p - now <= hours(params.caffeine_cutoff_hours + params.caffeine_notice_hours)
    {
        let mut f = FiredTrigger::new(Trigger::CaffeineCutoff);
        f.times.insert(
            Placeholder::CaffeineCutoff,
            p - hours(params.caffeine_cutoff_hours),
        );
        f.times.insert(Placeholder::PlannedSleepStart, p);
        fired.push(f);
    }

    // persistent_red_recovery: one band per local date (the first given),
    // none from the future.
    let today = now.with_timezone(&ctx.clock.zone()).date_naive();
    let mut bands: Vec<(NaiveDate, RecoveryBand)> = ctx
        .recovery_bands
        .iter()
        .copied()
        .filter(|(d, _)| *d <= today)
        .collect();
    bands.sort_by_key(|(d, _)| *d);
    bands.dedup_by_key(|(d, _)| *d);
    let latest_recent = bands
        .last()
        .is_some_and(|(d, _)| (today - *d).num_days() <= 1);
    let reds: Vec<bool> = bands.iter().map(|(_, b)| *b == RecoveryBand::Red).collect();
    if latest_recent && last_run_holds(&reds, params.persistence_count) {
        fired.push(FiredTrigger::new(Trigger::PersistentRedRecovery));
    }

    // persistent_high_sleepiness: check-ins at the same instant (KSS and
    // Samn-Perelli together) are one occasion, very high only if all are.
    let mut checks: Vec<(DateTime<Utc>, bool)> = ctx
        .check_ins
        .iter()
        .filter(|c| c.taken_at() <= now && c.taken_at() > now - hours(24 * 14))
        .map(|c| (c.taken_at(), c.is_very_high()))
        .collect();
    checks.sort_by_key(|(at, _)| *at);
    let mut occasions: Vec<(DateTime<Utc>, bool)> = Vec::with_capacity(checks.len());
    for (at, high) in checks {
        match occasions.last_mut() {
            Some((last_at, last_high)) if *last_at == at => *last_high &= high,
            _ => occasions.push((at, high)),
        }
    }
    let highs: Vec<bool> = occasions.iter().map(|(_, h)| *h).collect();
    if last_run_holds(&highs, params.persistence_count) {
        fired.push(FiredTrigger::new(Trigger::PersistentHighSleepiness));
    }

    fired.sort_by_key(|f| f.trigger);
    fired
}

/// True when `flags` (oldest first) ends in a run of at least `n > 0` trues.
fn last_run_holds(flags: &[bool], n: usize) -> bool {
    n > 0 && flags.len() >= n && flags[flags.len() - n..].iter().all(|&f| f)
}

/// The few messages to show now: for each fired trigger the highest-priority
/// message not shown within its cool-down, then the highest priorities
/// overall (ties by id), at most `params.max_messages`.
pub fn select(
    ctx: &CoachingContext,
    pack: &ContentPack,
    params: &CoachingParams,
) -> Vec<CoachingMessage> {
    let fired = fired_triggers(ctx, params);
    let cooling = |id: &str, hours: u32| {
        ctx.history.iter().any(|h| {
            h.id == id
                && h.shown_at <= ctx.now
                && ctx.now - h.shown_at < Duration::hours(i64::from(hours))
        })
    };
    let mut chosen: Vec<(&super::content::Message, &FiredTrigger)> = fired
        .iter()
        .filter_map(|f| {
            pack.messages()
                .iter()
                .filter(|m| m.trigger == f.trigger && !cooling(&m.id, m.cooldown_hours))
                .max_by(|a, b| a.priority.cmp(&b.priority).then_with(|| b.id.cmp(&a.id)))
                .map(|m| (m, f))
        })
        .collect();
    chosen.sort_by(|(a, _), (b, _)| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
    chosen.truncate(params.max_messages);
    chosen
        .into_iter()
        .map(|(m, f)| CoachingMessage {
            id: m.id.clone(),
            trigger: m.trigger,
            priority: m.priority,
            title: render(&m.title, f, &ctx.clock),
            body: render(&m.body, f, &ctx.clock),
            sources: m
                .sources
                .iter()
                .filter_map(|id| pack.source(id).cloned())
                .collect(),
            locale: m.locale.clone(),
        })
        .collect()
}

/// Replaces each `{placeholder}` with its time as local `HH:MM`. The pack is
/// validated so every placeholder is one its trigger fills; text that could
/// not be parsed is returned as is.
fn render(text: &str, fired: &FiredTrigger, clock: &LocalClock) -> String {
    let Ok(names) = placeholder_names(text) else {
        return text.to_string();
    };
    let mut out = text.to_string();
    for name in names {
        let time = Placeholder::from_name(name).and_then(|p| fired.times.get(&p));
        if let Some(t) = time {
            let local = t.with_timezone(&clock.zone()).format("%H:%M").to_string();
            out = out.replace(&format!("{{{name}}}"), &local);
        }
    }
    out
}
