//! The officer learning track ([`mobile_core::education`]): courses and
//! modules from the content pack built into the library, self-checks,
//! progress kept in the store and queued for sync, and the module that fits
//! the moment.

use chrono::{DateTime, Duration, Utc};
use mobile_core::LocalClock;
use mobile_core::education::{
    self, Library, Module, Progress, SuggestionContext, SuggestionReason, Track,
};
use mobile_core::store::Store;
use models::sync::CheckInRecord;

use crate::CoachError;
use crate::recovery::today;

/// Days of recovery bands and roster the suggestion looks back over.
const SUGGESTION_LOOKBACK_DAYS: i64 = 14;
/// Hours of roster ahead it looks at (the nights rule looks 72 h ahead and
/// checks the 48 h before that shift).
const SUGGESTION_LOOKAHEAD_HOURS: i64 = 96;

/// A module in a course list, with the officer's progress.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ModuleSummary {
    /// Stable id (pass it to `learning_module`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Reading time, minutes.
    pub minutes: u8,
    /// Opened at least once.
    pub started: bool,
    /// Self-check passed.
    pub completed: bool,
}

/// A course of the officer track.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Course {
    /// Stable id.
    pub id: String,
    /// The course's edition.
    pub version: String,
    /// Title.
    pub title: String,
    /// One paragraph.
    pub summary: String,
    /// Its modules, in order.
    pub modules: Vec<ModuleSummary>,
}

/// A self-check question (the correct answer is not given away).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LearningQuestion {
    /// Stable id.
    pub id: String,
    /// The question.
    pub prompt: String,
    /// The options, answered by 0-based index.
    pub options: Vec<String>,
}

/// A learning module to read.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LearningModule {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Reading time, minutes.
    pub minutes: u8,
    /// Paragraphs, separated by blank lines (en-GB).
    pub text: String,
    /// Key points.
    pub key_points: Vec<String>,
    /// The self-check.
    pub questions: Vec<LearningQuestion>,
    /// The evidence: "title, publisher (year)".
    pub sources: Vec<String>,
}

/// Feedback on one answer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AnswerFeedback {
    /// The question.
    pub question_id: String,
    /// The option chosen (0-based).
    pub chosen: u32,
    /// The correct option (0-based).
    pub correct_option: u32,
    /// True when they are the same.
    pub correct: bool,
    /// Why the correct answer is correct.
    pub explanation: String,
}

/// The result of one self-check attempt.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SelfCheckResult {
    /// Correct answers.
    pub correct: u32,
    /// Questions.
    pub total: u32,
    /// At least 75% right.
    pub passed: bool,
    /// This attempt completed the module (the first pass).
    pub newly_completed: bool,
    /// The module is completed (now or before; never undone).
    pub completed: bool,
    /// Per question, in order.
    pub feedback: Vec<AnswerFeedback>,
}

/// The officer's progress through the officer track.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LearningSummary {
    /// Modules in the track.
    pub modules: u32,
    /// Modules opened.
    pub started: u32,
    /// Modules completed.
    pub completed: u32,
    /// Self-check attempts in all.
    pub attempts: u32,
}

/// Why a module is suggested now.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SuggestionKind {
    /// Recovery has been red several mornings running.
    PersistentRedRecovery,
    /// Several very sleepy check-ins this week.
    RepeatedHighSleepiness,
    /// A first block of nights starts soon.
    FirstNightsAhead,
    /// A block of nights has just ended.
    NightsJustEnded,
    /// The next module in the course.
    NextInCourse,
}

/// The module that fits the moment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ModuleSuggestion {
    /// The module's id.
    pub module_id: String,
    /// Its title.
    pub title: String,
    /// Why now.
    pub kind: SuggestionKind,
    /// One en-GB sentence saying why, for the library screen.
    pub message: String,
}

fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The officer-track module `id`, or `InvalidInput`.
pub(crate) fn officer_module<'a>(library: &'a Library, id: &str) -> Result<&'a Module, CoachError> {
    library
        .modules_for(Track::Officer)
        .find(|m| m.id == id)
        .ok_or_else(|| CoachError::invalid("no officer module has that id"))
}

/// The officer track's courses with progress.
pub(crate) fn courses(library: &Library, progress: &Progress) -> Vec<Course> {
    library
        .courses_for(Track::Officer)
        .map(|c| Course {
            id: c.id.clone(),
            version: c.version.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            modules: c
                .modules
                .iter()
                .map(|m| ModuleSummary {
                    id: m.id.clone(),
                    title: m.title.clone(),
                    minutes: m.minutes,
                    started: progress.module(&m.id).is_some(),
                    completed: progress.is_completed(&m.id),
                })
                .collect(),
        })
        .collect()
}

impl From<&Module> for LearningModule {
    fn from(m: &Module) -> Self {
        Self {
            id: m.id.clone(),
            title: m.title.clone(),
            minutes: m.minutes,
            text: m.text.clone(),
            key_points: m.key_points.clone(),
            questions: m
                .questions
                .iter()
                .map(|q| LearningQuestion {
                    id: q.id.clone(),
                    prompt: q.prompt.clone(),
                    options: q.options.iter().map(|o| o.text.clone()).collect(),
                })
                .collect(),
            sources: m
                .sources
                .iter()
                .map(|s| match s.year {
                    Some(y) => format!("{}, {} ({y})", s.title, s.publisher),
                    None => format!("{}, {}", s.title, s.publisher),
                })
                .collect(),
        }
    }
}

/// Records that `module` was opened.
pub(crate) fn start(
    store: &mut Store,
    clock: &LocalClock,
    module: &Module,
    now: DateTime<Utc>,
) -> Result<(), CoachError> {
    let mut progress = store.learning_state()?;
    let record = progress.start(module, today(clock, now));
    store.save_learning_state(&progress, &record, now)?;
    Ok(())
}

/// Grades an attempt and keeps it.
pub(crate) fn answer(
    store: &mut Store,
    clock: &LocalClock,
    module: &Module,
    answers: &[u32],
    now: DateTime<Utc>,
) -> Result<SelfCheckResult, CoachError> {
    let answers: Vec<usize> = answers.iter().map(|&a| a as usize).collect();
    let mut progress = store.learning_state()?;
    let attempt = progress.answer(module, &answers, today(clock, now))?;
    store.save_learning_state(&progress, &attempt.record, now)?;
    Ok(SelfCheckResult {
        correct: attempt.grade.correct,
        total: attempt.grade.total,
        passed: attempt.grade.passed(),
        newly_completed: attempt.newly_completed,
        completed: attempt.record.completed,
        feedback: attempt
            .grade
            .feedback
            .iter()
            .map(|f| AnswerFeedback {
                question_id: f.question_id.clone(),
                chosen: small(f.chosen),
                correct_option: small(f.correct_option),
                correct: f.is_correct(),
                explanation: f.explanation.clone(),
            })
            .collect(),
    })
}

/// Counts over the officer track.
pub(crate) fn summary(library: &Library, progress: &Progress) -> LearningSummary {
    let mut s = LearningSummary {
        modules: 0,
        started: 0,
        completed: 0,
        attempts: 0,
    };
    for m in library.modules_for(Track::Officer) {
        s.modules += 1;
        if let Some(p) = progress.module(&m.id) {
            s.started += 1;
            s.completed += u32::from(p.is_completed());
            s.attempts = s.attempts.saturating_add(p.attempts);
        }
    }
    s
}

/// The module that fits `now`, from the roster, recovery bands and check-ins.
pub(crate) fn suggest(
    store: &Store,
    clock: &LocalClock,
    library: &Library,
    now: DateTime<Utc>,
) -> Result<Option<ModuleSuggestion>, CoachError> {
    let since = now - Duration::days(SUGGESTION_LOOKBACK_DAYS);
    let progress = store.learning_state()?;
    let zone = clock.zone();
    let context = SuggestionContext {
        now,
        clock: *clock,
        shifts: store.shifts_between(since, now + Duration::hours(SUGGESTION_LOOKAHEAD_HOURS))?,
        recovery_bands: store.recovery_bands_since(today(clock, since))?,
        check_ins: store
            .check_ins_between(since, now + Duration::minutes(1))?
            .into_iter()
            .map(|c| CheckInRecord {
                local_date: c.taken_at.with_timezone(&zone).date_naive(),
                taken_at: c.taken_at,
                scale: c.scale,
                value: c.value,
                context: c.context,
            })
            .collect(),
    };
    let Some(s) = education::suggest_module(library, Track::Officer, &progress, &context) else {
        return Ok(None);
    };
    let title = library
        .module(&s.module_id)
        .map(|m| m.title.clone())
        .unwrap_or_default();
    let kind = match s.reason {
        SuggestionReason::PersistentRedRecovery { .. } => SuggestionKind::PersistentRedRecovery,
        SuggestionReason::RepeatedHighSleepiness { .. } => SuggestionKind::RepeatedHighSleepiness,
        SuggestionReason::FirstNightsAhead { .. } => SuggestionKind::FirstNightsAhead,
        SuggestionReason::NightsJustEnded { .. } => SuggestionKind::NightsJustEnded,
        SuggestionReason::NextInCourse => SuggestionKind::NextInCourse,
    };
    Ok(Some(ModuleSuggestion {
        module_id: s.module_id,
        title,
        kind,
        message: s.reason.message(),
    }))
}
