//! The phone library: `mobile-core` as a Swift, Kotlin and Python API.
//!
//! `ffi` is the one `cdylib`/`staticlib` of the workspace (lib name
//! `fatigue_coach`): thin exported objects wrapping `mobile-core`, built
//! with uniffi proc-macros and bound in library mode by the workspace's
//! `uniffi-bindgen` (pinned to the same uniffi). It adds no science of its
//! own; it converts types at the boundary and maps the engine's rich errors
//! to [`CoachError`], which carries no personal data.
//!
//! The app opens one [`FatigueCoach`] on a file path it owns and calls it
//! from any thread.

mod api;
mod coaching;
mod education;
mod error;
mod forecast;
mod morning;
mod plan;
mod recovery;
mod support;
mod sync;
mod types;
mod wearables;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use mobile_core::LocalClock;
use mobile_core::coaching::content::ContentPack;
use mobile_core::education::Library;
use mobile_core::roster;
use mobile_core::store::{self, Store};
use mobile_core::sync_client::{self, Backoff};

pub use api::{ApiTransport, Enrolment, PairedDevice, PairingCode};
pub use coaching::CoachingMessage;
pub use education::{
    AnswerFeedback, Course, LearningModule, LearningQuestion, LearningSummary, ModuleSuggestion,
    ModuleSummary, SelfCheckResult, SuggestionKind,
};
pub use error::CoachError;
pub use forecast::{PersonalCalibration, Severity, ShiftFlag, ShiftForecast, SleepBasis};
pub use morning::{MorningUpdate, WearableData};
pub use plan::{
    Chronotype, ChronotypeBasis, PersonalPlan, PlanCommitment, PlanDay, PlanPreferences,
    PlanReminder, PlanReminderKind, PlanWindow, PlanWindowKind, ShiftPlanBenefit,
};
pub use recovery::{
    HistoryDay, HistoryPeriod, HrvRange, HrvStatistic, MorningRecovery, RecoveryComponent,
    RecoveryHistory, RecoveryMetric, RecoveryReason, RecoveryStatus, ShiftTypeJetLag,
    SleepRegularity,
};
pub use support::{
    CallbackRequest, CallbackStatus, ContactMethod, PeerSupporter, SupportCallback,
    SupportDirectory, SupportService, offline_crisis_lines,
};
pub use sync::{
    HttpResponse, QueueStatus, SyncPayload, SyncReport, SyncStatus, SyncTransport, TransportError,
};
pub use types::{
    CheckIn, CheckInContext, CheckInScale, ConsentLevel, ImportSummary, Reading, RecoveryBand,
    RejectedItem, ShiftInput, ShiftType, SleepEpisode,
};
pub use wearables::{RejectionCount, WearableFormat, WearableImportReport};

use types::utc;

uniffi::setup_scaffolding!();

/// A roster file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RosterFormat {
    /// CSV with a header: `staff_id,start,end` and optional `team,role,activity`.
    Csv,
    /// iCalendar (`VEVENT` with `DTSTART`/`DTEND`, `TZID` honoured).
    ICalendar,
}

/// Version of the library.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The officer's fatigue coach: the engine and its on-device store.
///
/// Open one per officer on a file in the app's private storage and keep it
/// for the app's lifetime. Every method may be called from any thread; calls
/// that write are serialised, and a sync does not hold the store while it
/// waits on the network.
///
/// Instants are absolute ([`SystemTime`]: Swift `Date`, Kotlin `Instant`,
/// Python `datetime` with a time zone); the officer's local clock comes from
/// the IANA zone given at open. Methods that depend on the time take `now`
/// explicitly so the app's clock (and the tests') is the one used.
#[derive(uniffi::Object)]
pub struct FatigueCoach {
    store: Mutex<Store>,
    clock: LocalClock,
    time_zone: String,
    pack: ContentPack,
    library: Library,
    syncing: Mutex<()>,
}

/// A `[start, end)` span in UTC.
type Span = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

fn pairs<T>(
    items: &[T],
    f: impl Fn(&T) -> (SystemTime, SystemTime),
) -> Result<Vec<Span>, CoachError> {
    items
        .iter()
        .map(|i| {
            let (a, b) = f(i);
            Ok((utc(a)?, utc(b)?))
        })
        .collect()
}

fn readings(items: &[Reading]) -> Result<Vec<(chrono::DateTime<chrono::Utc>, f64)>, CoachError> {
    items.iter().map(|r| Ok((utc(r.at)?, r.value))).collect()
}

impl FatigueCoach {
    fn store(&self) -> MutexGuard<'_, Store> {
        sync_client::lock(&self.store)
    }
}

#[uniffi::export]
impl FatigueCoach {
    /// Opens (creating if needed) the store at `path` and migrates it to
    /// this version's schema. `time_zone` is the officer's IANA zone (e.g.
    /// `Europe/London`), used for local dates and clock times.
    ///
    /// Put the file in storage the OS encrypts: iOS Data Protection
    /// (`completeUntilFirstUserAuthentication` or stronger), Android's
    /// app-private storage under file-based encryption.
    ///
    /// # Errors
    /// `InvalidInput` for an unknown zone; `Storage` when the file cannot be
    /// opened, is not a store, or was written by a newer version.
    #[uniffi::constructor]
    pub fn open(path: String, time_zone: String) -> Result<Arc<Self>, CoachError> {
        let clock = LocalClock::from_name(&time_zone)?;
        let store = Store::open(Path::new(&path))?;
        // The pack is compiled into the library; failing to read it is a
        // build defect, reported rather than panicked on.
        let pack = ContentPack::shipped().map_err(|_| CoachError::Storage {
            detail: "the built-in coaching content could not be read".into(),
        })?;
        let library = Library::shipped().map_err(|_| CoachError::Storage {
            detail: "the built-in learning content could not be read".into(),
        })?;
        Ok(Arc::new(Self {
            store: Mutex::new(store),
            clock,
            time_zone,
            pack,
            library,
            syncing: Mutex::new(()),
        }))
    }

    /// The IANA zone the coach was opened with.
    pub fn time_zone(&self) -> String {
        self.time_zone.clone()
    }

    /// The store's schema version.
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn schema_version(&self) -> Result<u32, CoachError> {
        Ok(self.store().schema_version()?)
    }

    /// The officer's consent (`RosterOnly` until they choose).
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn consent(&self) -> Result<ConsentLevel, CoachError> {
        Ok(self.store().consent()?.into())
    }

    /// Records the officer's consent. Lowering it withdraws at once every
    /// unsent record it no longer covers.
    ///
    /// # Errors
    /// `Storage` on a write failure.
    pub fn set_consent(&self, level: ConsentLevel) -> Result<(), CoachError> {
        Ok(self.store().set_consent(level.into())?)
    }

    /// The officer's sleep need, hours asleep: their own setting, else 7 h
    /// (the AASM/SRS adult consensus, Watson et al. 2015). The recovery
    /// score's sleep and 7-night debt count against it; forecasts do not
    /// (predicted sleep keeps the roster rules' 8-hour opportunity).
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn sleep_need_hours(&self) -> Result<f64, CoachError> {
        Ok(self.store().sleep_need_hours()?)
    }

    /// Keeps the officer's own sleep need on this device, hours asleep,
    /// 6.5 to 10.
    ///
    /// # Errors
    /// `InvalidInput` outside 6.5–10 h (nothing is kept); `Storage` on a
    /// write failure.
    pub fn set_sleep_need_hours(&self, hours: f64) -> Result<(), CoachError> {
        Ok(self.store().set_sleep_need_hours(hours)?)
    }

    /// The officer's planned bedtime, local `HH:MM` in the coach's zone, if
    /// they set one.
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn planned_bedtime(&self) -> Result<Option<String>, CoachError> {
        Ok(self
            .store()
            .planned_bedtime()?
            .map(|t| t.format("%H:%M").to_string()))
    }

    /// Keeps the officer's planned bedtime, local `HH:MM` (24-hour clock),
    /// or forgets it with `None`. Coaching's caffeine cut-off counts back
    /// from its next occurrence, unless a duty or the commute covers it;
    /// without it, from the sleep the roster rules predict for tonight
    /// (after a night shift, the day sleep).
    ///
    /// # Errors
    /// `InvalidInput` for text that is not `HH:MM` (nothing is kept);
    /// `Storage` on a write failure.
    pub fn set_planned_bedtime(&self, bedtime: Option<String>) -> Result<(), CoachError> {
        let time = bedtime
            .map(|text| {
                chrono::NaiveTime::parse_from_str(&text, "%H:%M")
                    .map_err(|_| CoachError::invalid("planned_bedtime is not HH:MM"))
            })
            .transpose()?;
        Ok(self.store().set_planned_bedtime(time)?)
    }

    /// Applies the force's FRM settings: the body of the server's
    /// `GET /v1/force/settings`, read by the app at enrolment and on each
    /// refresh. From then on the forecast's flags use the force's levels,
    /// as the supervisor's team view and the FRM report do.
    ///
    /// # Errors
    /// `InvalidInput` for a body that does not read, or settings past a
    /// legal limit (nothing is kept); `Storage` on a write failure.
    pub fn apply_force_settings(&self, body_json: String) -> Result<(), CoachError> {
        let body = mobile_core::roster::limits::ForceSettingsBody::parse(&body_json)
            .map_err(CoachError::invalid)?;
        Ok(self.store().set_force_limits(&body.limits)?)
    }

    /// The force's FRM settings in effect on this phone, as the server's
    /// body (JSON): the published defaults until the app applies any.
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn force_settings(&self) -> Result<String, CoachError> {
        let limits = self.store().force_limits()?;
        let body = mobile_core::roster::limits::ForceSettingsBody::new(limits, None);
        serde_json::to_string(&body).map_err(|e| CoachError::invalid(e.to_string()))
    }

    /// Imports sleep episodes. Exact repeats count as duplicates; episodes
    /// that are reversed, longer than 24 h or overlap a stored one are
    /// refused with a reason, and the rest are kept. All-or-nothing on a
    /// storage failure.
    ///
    /// # Errors
    /// `InvalidInput` for an instant out of range; `Storage` on a write failure.
    pub fn import_sleep(
        &self,
        episodes: Vec<SleepEpisode>,
        now: SystemTime,
    ) -> Result<ImportSummary, CoachError> {
        let items = pairs(&episodes, |e| (e.start, e.end))?;
        Ok(self.store().import_sleeps(&items, utc(now)?)?.into())
    }

    /// Imports heart-rate-variability readings (RMSSD, milliseconds; 1–300
    /// accepted). A reading at an instant already held is a duplicate.
    ///
    /// # Errors
    /// As [`FatigueCoach::import_sleep`].
    pub fn import_hrv(
        &self,
        readings_ms: Vec<Reading>,
        now: SystemTime,
    ) -> Result<ImportSummary, CoachError> {
        let items = readings(&readings_ms)?;
        Ok(self.store().import_hrv(&items, utc(now)?)?.into())
    }

    /// Imports resting heart rates (beats per minute; 25–200 accepted).
    ///
    /// # Errors
    /// As [`FatigueCoach::import_sleep`].
    pub fn import_resting_heart_rate(
        &self,
        readings_bpm: Vec<Reading>,
        now: SystemTime,
    ) -> Result<ImportSummary, CoachError> {
        let items = readings(&readings_bpm)?;
        Ok(self.store().import_resting_hr(&items, utc(now)?)?.into())
    }

    /// Imports the officer's roster: shifts already stored that overlap the
    /// span the new ones cover are replaced (a changed roster replaces the
    /// old one). Reversed, over-24-hour and overlapping shifts are refused
    /// with a reason; the rest are kept.
    ///
    /// # Errors
    /// As [`FatigueCoach::import_sleep`].
    pub fn import_roster(
        &self,
        shifts: Vec<ShiftInput>,
        now: SystemTime,
    ) -> Result<ImportSummary, CoachError> {
        let items = pairs(&shifts, |s| (s.start, s.end))?;
        Ok(self.store().replace_roster(&items, utc(now)?)?.into())
    }

    /// Imports the officer's roster from a file the force exports (CSV with
    /// `staff_id,start,end[,team,role,activity]`, or iCalendar), local times
    /// read in the coach's zone; rest days and leave are skipped. Then as
    /// [`FatigueCoach::import_roster`].
    ///
    /// # Errors
    /// `InvalidInput` naming the first bad line and column (nothing is
    /// imported from a file with errors); `Storage` on a write failure.
    pub fn import_roster_file(
        &self,
        contents: String,
        format: RosterFormat,
        now: SystemTime,
    ) -> Result<ImportSummary, CoachError> {
        let zone = self.clock.zone();
        let parsed = match format {
            RosterFormat::Csv => roster::csv_format::parse(contents.as_bytes(), zone),
            RosterFormat::ICalendar => roster::icalendar_format::parse(&contents, zone),
        };
        let entries = parsed.map_err(|e| {
            let first = e
                .errors
                .first()
                .map(|l| format!(", first at line {} column {}", l.line, l.column))
                .unwrap_or_default();
            CoachError::invalid(format!(
                "{} problem(s) in the roster file{first}",
                e.errors.len()
            ))
        })?;
        let items: Vec<_> = entries
            .iter()
            .filter(|e| roster::is_duty(e.activity.as_deref()))
            .map(|e| (e.shift.start(), e.shift.end()))
            .collect();
        Ok(self.store().replace_roster(&items, utc(now)?)?.into())
    }

    /// Records a sleepiness or fatigue check-in; queued for sync (its time
    /// rounded to 15 minutes) if consent covers check-ins.
    ///
    /// # Errors
    /// `InvalidInput` for a value outside the scale; `Storage` on a write failure.
    pub fn record_check_in(&self, check_in: CheckIn, now: SystemTime) -> Result<(), CoachError> {
        let c = store::CheckIn {
            taken_at: utc(check_in.taken_at)?,
            scale: check_in.scale.into(),
            value: check_in.value,
            context: check_in.context.into(),
        };
        Ok(self.store().record_check_in(&c, &self.clock, utc(now)?)?)
    }

    /// Records progress through a learning module (queued for sync: it is
    /// not health data, so every consent level covers it).
    ///
    /// # Errors
    /// `InvalidInput` for a module id that is not 1–64 letters, digits, `-`,
    /// `_` or `.`; `Storage` on a write failure.
    pub fn record_learning_progress(
        &self,
        module_id: String,
        completed: bool,
        at: SystemTime,
    ) -> Result<(), CoachError> {
        Ok(self
            .store()
            .record_learning_progress(&module_id, completed, utc(at)?, &self.clock)?)
    }

    /// Imports health data in a platform's own format, as the app got it
    /// from HealthKit, Health Connect or an Open mHealth source: sleep
    /// stages become sleep episodes (a watch and a phone recording the same
    /// night count once), HRV and resting heart rate feed the recovery
    /// baselines. Bad records are refused and counted by reason, exact
    /// repeats (in the input or already stored) counted as duplicates, and
    /// the rest kept, in one transaction.
    ///
    /// # Errors
    /// `InvalidInput` when the data cannot be read at all (not JSON/XML, not
    /// the format's shape; the detail gives a position, never content);
    /// `Storage` on a write failure (nothing is kept).
    pub fn import_wearable_data(
        &self,
        format: WearableFormat,
        data: Vec<u8>,
        now: SystemTime,
    ) -> Result<WearableImportReport, CoachError> {
        let now = utc(now)?;
        let parsed = mobile_core::morning::read(format.into(), &data[..], &self.clock, now)?;
        Ok(mobile_core::morning::import(&mut self.store(), &parsed, now)?.into())
    }

    /// Imports an Apple Health `export.xml` from a file the app has saved
    /// (the share sheet's export, unzipped), read as a stream so a file of
    /// hundreds of megabytes needs a few megabytes of memory. Otherwise as
    /// [`FatigueCoach::import_wearable_data`].
    ///
    /// # Errors
    /// `InvalidInput` when the file cannot be opened or read, or is not
    /// well-formed; `Storage` on a write failure.
    pub fn import_apple_health_export(
        &self,
        path: String,
        now: SystemTime,
    ) -> Result<WearableImportReport, CoachError> {
        let now = utc(now)?;
        let file = std::fs::File::open(&path)
            .map_err(|_| CoachError::invalid("the file could not be opened"))?;
        let parsed = mobile_core::morning::read(
            WearableFormat::AppleExportXml.into(),
            std::io::BufReader::new(file),
            &self.clock,
            now,
        )?;
        Ok(mobile_core::morning::import(&mut self.store(), &parsed, now)?.into())
    }

    /// This morning's recovery score: last night's sleep against need, the
    /// week's sleep debt, HRV and resting heart rate against their 7-night
    /// baselines, and the next shift's predicted fatigue (`docs/recovery.md`).
    /// The score, its band and reasons say how far it can be trusted
    /// (cold start, missing metrics, a new device). The score is kept, and
    /// the day's summary built from it is queued for sync when consent
    /// covers sleep summaries (calling again replaces both).
    ///
    /// # Errors
    /// `Storage` on a read or write failure.
    pub fn morning_recovery(&self, now: SystemTime) -> Result<MorningRecovery, CoachError> {
        let now = utc(now)?;
        let mut store = self.store();
        let assessment = mobile_core::morning::assess(
            &store,
            &self.clock,
            now,
            mobile_core::morning::HORIZON_HOURS,
        )?;
        Ok(mobile_core::morning::score(&mut store, &self.clock, now, &assessment)?.into())
    }

    /// The whole morning in one call: imports the night's health data (if
    /// given), scores the morning, forecasts the shifts starting within
    /// `horizon_hours`, and selects the coaching messages, from one roster
    /// assessment and in one transaction (the import, the score and the
    /// queued summary are kept together or not at all). The same results
    /// as [`FatigueCoach::import_wearable_data`],
    /// [`FatigueCoach::morning_recovery`], [`FatigueCoach::forecast`] and
    /// [`FatigueCoach::coaching_messages`] called in turn, for less than
    /// those calls cost (`docs/mobile.md` has the figures).
    ///
    /// # Errors
    /// `InvalidInput` when the data cannot be read at all (nothing is
    /// imported or scored); `Storage` on a read or write failure (nothing is
    /// kept).
    pub fn morning_update(
        &self,
        now: SystemTime,
        night: Option<WearableData>,
        horizon_hours: u32,
    ) -> Result<MorningUpdate, CoachError> {
        morning::update(self, utc(now)?, night, horizon_hours)
    }

    /// The last 7, 30 or 90 days to today for a trend chart: each day's kept
    /// recovery score, sleep, HRV (night, 7-night rolling mean, baseline and
    /// normal range) and resting heart rate with its baseline, from the
    /// store. Days without data are present with absent figures.
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn recovery_history(
        &self,
        now: SystemTime,
        period: HistoryPeriod,
    ) -> Result<RecoveryHistory, CoachError> {
        Ok(
            mobile_core::morning::history(&self.store(), &self.clock, utc(now)?, period.into())?
                .into(),
        )
    }

    /// Sleep regularity over the `days` local days before today (2 to 366):
    /// the Sleep Regularity Index (absent when the data cannot support it)
    /// and social jet lag per shift type (MCTQ-Shift).
    ///
    /// # Errors
    /// `InvalidInput` for `days` outside 2..=366; `Storage` on a read failure.
    pub fn sleep_regularity(
        &self,
        now: SystemTime,
        days: u32,
    ) -> Result<SleepRegularity, CoachError> {
        recovery::regularity(&self.store(), &self.clock, utc(now)?, days)
    }

    /// The officer track's courses, each with its modules and the
    /// officer's progress.
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn learning_courses(&self) -> Result<Vec<Course>, CoachError> {
        let progress = self.store().learning_state()?;
        Ok(education::courses(&self.library, &progress))
    }

    /// One officer-track module: text, key points, self-check questions and
    /// sources.
    ///
    /// # Errors
    /// `InvalidInput` for an id that is not an officer module.
    pub fn learning_module(&self, module_id: String) -> Result<LearningModule, CoachError> {
        Ok(education::officer_module(&self.library, &module_id)?.into())
    }

    /// Records that the officer opened a module (queued for sync as
    /// progress, not completed).
    ///
    /// # Errors
    /// `InvalidInput` for an id that is not an officer module; `Storage` on
    /// a write failure.
    pub fn start_module(&self, module_id: String, now: SystemTime) -> Result<(), CoachError> {
        let module = education::officer_module(&self.library, &module_id)?;
        education::start(&mut self.store(), &self.clock, module, utc(now)?)
    }

    /// Marks one self-check attempt: `answers` are 0-based option indexes,
    /// one per question in order. 75% right completes the module (never
    /// undone). The attempt is kept and the module's progress queued for
    /// sync.
    ///
    /// # Errors
    /// `InvalidInput` for an unknown module, the wrong number of answers or
    /// an option the question does not have (nothing is recorded);
    /// `Storage` on a write failure.
    pub fn answer_self_check(
        &self,
        module_id: String,
        answers: Vec<u32>,
        now: SystemTime,
    ) -> Result<SelfCheckResult, CoachError> {
        let module = education::officer_module(&self.library, &module_id)?;
        education::answer(&mut self.store(), &self.clock, module, &answers, utc(now)?)
    }

    /// Counts of the officer's progress through the officer track.
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn learning_summary(&self) -> Result<LearningSummary, CoachError> {
        let progress = self.store().learning_state()?;
        Ok(education::summary(&self.library, &progress))
    }

    /// The module that fits the moment, or `None` when the track is
    /// finished: support after several red mornings or very sleepy
    /// check-ins; sleep, naps, caffeine and light before a first block of
    /// nights; the drive home and recovery after one; else the next in the
    /// course (`docs/education.md`).
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn suggest_module(&self, now: SystemTime) -> Result<Option<ModuleSuggestion>, CoachError> {
        education::suggest(&self.store(), &self.clock, &self.library, utc(now)?)
    }

    /// Enrols this phone with a one-time code (`POST /v1/enrol`): an
    /// enrolment code from the force, or a pairing code shown on the
    /// officer's enrolled phone ([`FatigueCoach::request_pairing_code`]),
    /// which makes this phone a second device of the same officer. The
    /// server's device id is kept for sync (an unacknowledged batch made
    /// under an older id is rebuilt). The tokens are returned for the app to
    /// keep in secure storage; the library does not store them. After
    /// `erase_all` the phone must enrol again (or be paired again).
    ///
    /// # Errors
    /// `InvalidInput` for an empty force or code, a code the server does
    /// not accept (wrong, used, expired or another force's) or another
    /// refusal (its code);
    /// `NotReady` when the server cannot be reached or is failing;
    /// `Storage` on a write failure.
    pub fn enrol_device(
        &self,
        transport: Box<dyn ApiTransport>,
        force: String,
        code: String,
    ) -> Result<Enrolment, CoachError> {
        let enrolment = api::enrol(transport.as_ref(), &force, &code)?;
        self.store().set_device_id(&enrolment.device_id)?;
        Ok(enrolment)
    }

    /// Asks the server for a pairing code for the officer's new phone
    /// (`POST /v1/me/pairing-codes`, with this phone's token): show it on
    /// screen; the officer types it with the force's name on the new phone
    /// ([`FatigueCoach::enrol_device`]). Single use, 10 minutes; asking again
    /// replaces it. Only an enrolled phone can ask.
    ///
    /// # Errors
    /// `NotReady` when the server cannot be reached, is failing, wants a new
    /// sign-in or limits the rate (at most 3 a minute); `InvalidInput`
    /// naming the server's code when it refuses.
    pub fn request_pairing_code(
        &self,
        transport: Box<dyn ApiTransport>,
    ) -> Result<PairingCode, CoachError> {
        api::pairing_code(transport.as_ref())
    }

    /// The officer's devices on the server (`GET /v1/me/devices`), oldest
    /// first, this one marked: what to show when
    /// [`FatigueCoach::new_device_notice`] is above 0.
    ///
    /// # Errors
    /// As [`FatigueCoach::request_pairing_code`].
    pub fn paired_devices(
        &self,
        transport: Box<dyn ApiTransport>,
    ) -> Result<Vec<PairedDevice>, CoachError> {
        api::devices(transport.as_ref())
    }

    /// How many devices were paired with the officer's account since they
    /// last dismissed the notice, as learnt from sync acknowledgements
    /// (each carries how many of the officer's devices are newer than this
    /// one). Above 0, tell the officer ("a new phone was paired with your
    /// account; if it was not you, contact ...") and list
    /// [`FatigueCoach::paired_devices`].
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn new_device_notice(&self) -> Result<u32, CoachError> {
        Ok(self.store().device_notice()?)
    }

    /// The officer has seen the new-device notice: it reads 0 until
    /// another device is paired.
    ///
    /// # Errors
    /// `Storage` on a write failure.
    pub fn dismiss_new_device_notice(&self) -> Result<(), CoachError> {
        Ok(self.store().dismiss_device_notice()?)
    }

    /// The force's support directory: peer supporters, services, and the
    /// crisis lines to show on the support screen. When this fails (no
    /// signal), show [`offline_crisis_lines`] instead.
    ///
    /// # Errors
    /// `NotReady` when the server cannot be reached, is failing or wants a
    /// new sign-in; `InvalidInput` naming the server's code when it refuses.
    pub fn support_directory(
        &self,
        transport: Box<dyn ApiTransport>,
    ) -> Result<SupportDirectory, CoachError> {
        support::directory(transport.as_ref())
    }

    /// Asks for a confidential call-back from a peer supporter (or the next
    /// available one). Only what the officer typed is sent and kept; only
    /// that supporter (or the coordinator, when none was chosen) sees it.
    ///
    /// # Errors
    /// `InvalidInput` for a window that is not in the future or is reversed,
    /// a missing or over-long contact detail, or the server's refusal (its
    /// code: `invalid_contact`, `invalid_window`, `unknown_supporter`,
    /// `conflict` for too many open requests); `NotReady` as for
    /// [`FatigueCoach::support_directory`]; `Storage` on a write failure.
    pub fn request_callback(
        &self,
        transport: Box<dyn ApiTransport>,
        request: CallbackRequest,
        now: SystemTime,
    ) -> Result<SupportCallback, CoachError> {
        let body = support::request_body(&request, utc(now)?)?;
        let made = support::send_request(transport.as_ref(), body)?;
        self.store().put_callback(&made)?;
        Ok(support::view(made))
    }

    /// The officer's call-back requests from the server, with their
    /// current status; the kept copies are updated.
    ///
    /// # Errors
    /// As [`FatigueCoach::support_directory`]; `Storage` on a write failure.
    pub fn refresh_callbacks(
        &self,
        transport: Box<dyn ApiTransport>,
    ) -> Result<Vec<SupportCallback>, CoachError> {
        let list = support::mine(transport.as_ref())?;
        let mut store = self.store();
        for c in &list {
            store.put_callback(c)?;
        }
        Ok(list.into_iter().map(support::view).collect())
    }

    /// Cancels a call-back request; its contact detail is erased on the
    /// server and on the phone.
    ///
    /// # Errors
    /// `InvalidInput` for an id that is not a server id or a request that
    /// can no longer be cancelled (the server's code); `NotReady` as for
    /// [`FatigueCoach::support_directory`]; `Storage` on a write failure.
    pub fn cancel_callback(
        &self,
        transport: Box<dyn ApiTransport>,
        callback_id: String,
    ) -> Result<(), CoachError> {
        support::cancel(transport.as_ref(), &callback_id)?;
        support::forget_detail(&mut self.store(), &callback_id)
    }

    /// The call-back requests kept on the phone (as last seen), newest first.
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn callbacks(&self) -> Result<Vec<SupportCallback>, CoachError> {
        Ok(self
            .store()
            .callbacks()?
            .into_iter()
            .map(support::view)
            .collect())
    }

    /// The predicted fatigue of each shift that ends after `now` and starts
    /// within `horizon_hours` of it, in order (empty without a roster).
    ///
    /// Recorded sleep is used for every night the wearable covered (it
    /// recorded sleep or in-bed time then); every other night, before or
    /// after `now`, keeps the sleep predicted from the roster (each shift
    /// says which it rests on). With no wearable the figures are
    /// `server roster-risk`'s for the same roster.
    ///
    /// Once the officer has given enough KSS check-ins, each shift also
    /// carries personalised figures (`personalised`), the model's KSS
    /// corrected by their calibration ([`FatigueCoach::personal_calibration`]);
    /// the standard figures are unchanged.
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn forecast(
        &self,
        now: SystemTime,
        horizon_hours: u32,
    ) -> Result<Vec<ShiftForecast>, CoachError> {
        let now = utc(now)?;
        let forecast =
            mobile_core::morning::forecast(&self.store(), &self.clock, now, horizon_hours)?;
        Ok(forecast.shifts.into_iter().map(Into::into).collect())
    }

    /// The officer's personal calibration at `now`: how many KSS check-ins
    /// it rests on, how many it needs, the offset it carries (shrunk by the
    /// evidence) and its slope (`docs/coaching.md`).
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn personal_calibration(&self, now: SystemTime) -> Result<PersonalCalibration, CoachError> {
        let now = utc(now)?;
        Ok(mobile_core::morning::calibration(&self.store(), &self.clock, now)?.into())
    }

    /// The coaching messages to show now, most important first: chosen from
    /// the roster, recorded sleep and check-ins, leaving out any message
    /// shown within its cool-down (see [`FatigueCoach::mark_coaching_shown`]).
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn coaching_messages(&self, now: SystemTime) -> Result<Vec<CoachingMessage>, CoachError> {
        let now = utc(now)?;
        let store = self.store();
        let assessment = mobile_core::morning::assess(
            &store,
            &self.clock,
            now,
            mobile_core::morning::HORIZON_HOURS,
        )?;
        Ok(
            mobile_core::morning::coaching(&store, &self.clock, &self.pack, now, &assessment)?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// Records that the app displayed coaching message `message_id` at
    /// `at`, so it is not repeated within its cool-down.
    ///
    /// # Errors
    /// `Storage` on a write failure.
    pub fn mark_coaching_shown(
        &self,
        message_id: String,
        at: SystemTime,
    ) -> Result<(), CoachError> {
        Ok(self.store().record_coaching_shown(&message_id, utc(at)?)?)
    }

    /// The next batch to sync, for apps that send it themselves: the
    /// unacknowledged batch if there is one (same key and body: resend it
    /// as is), else a new one from the queue; `None` when nothing is queued.
    ///
    /// # Errors
    /// `Storage` on a storage failure.
    pub fn sync_payload(&self, now: SystemTime) -> Result<Option<SyncPayload>, CoachError> {
        let batch = sync_client::next_batch(&mut self.store(), utc(now)?)?;
        Ok(batch.map(SyncPayload::from))
    }

    /// Applies the server's `200` answer to the batch from
    /// [`FatigueCoach::sync_payload`]: its records are marked sent (or
    /// rejected, per the answer) only now.
    ///
    /// # Errors
    /// `InvalidInput` when the answer is not an acknowledgement of that
    /// batch (nothing is marked); `Storage` on a write failure.
    pub fn acknowledge_sync(&self, ack_json: String) -> Result<QueueStatus, CoachError> {
        let mut store = self.store();
        sync_client::acknowledge(&mut store, &ack_json)?;
        QueueStatus::of(&store)
    }

    /// Runs the sync protocol through the app's transport: sends queued,
    /// consented records in batches, retries with back-off, marks records
    /// sent only on acknowledgement. Network failures are not errors: they
    /// show in the report's status with the time to retry.
    ///
    /// # Errors
    /// `NotReady` when another sync is running; `Storage` on a storage failure.
    pub fn sync(
        &self,
        transport: Box<dyn SyncTransport>,
        now: SystemTime,
    ) -> Result<SyncReport, CoachError> {
        let _only_one = self
            .syncing
            .try_lock()
            .map_err(|_| CoachError::not_ready("a sync is already running"))?;
        let report = sync_client::sync(
            &self.store,
            &sync::Foreign(transport),
            utc(now)?,
            Backoff::default(),
        )?;
        Ok(report.into())
    }

    /// The sync queue's counts and the server's cursor.
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn queue_status(&self) -> Result<QueueStatus, CoachError> {
        QueueStatus::of(&self.store())
    }

    /// Everything the library holds about the officer, as one JSON
    /// document (their right of access and portability, UK GDPR arts. 15
    /// and 20).
    ///
    /// # Errors
    /// `Storage` on a read failure.
    pub fn export_json(&self) -> Result<String, CoachError> {
        Ok(self.store().export_json()?)
    }

    /// Erases everything the library holds (right to erasure, UK GDPR art.
    /// 17), including unsent records, and overwrites the deleted pages. The
    /// coach stays usable, empty.
    ///
    /// # Errors
    /// `Storage` on a write failure (then nothing is erased).
    pub fn erase_all(&self) -> Result<(), CoachError> {
        Ok(self.store().erase_all()?)
    }
}
