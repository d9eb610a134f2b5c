//! Learning content: courses, self-checks, progress and suggestions.
//!
//! The content is data in the repo (`mobile-core/content/education/*.toml`),
//! embedded in the build so the phone needs no files: two versioned courses
//! of short modules, one for officers and staff (served by the phone
//! library) and one for supervisors (the force's FRM training, served by the
//! dashboard). Each module has its text, key points, a self-check with an
//! explanation per question, and its published sources.
//!
//! - [`Library`] loads and validates a pack ([`Library::shipped`], or a
//!   replacement with [`Library::from_toml`]); every check has its own
//!   [`EducationError`] variant.
//! - [`Progress`] records what a person opened and passed
//!   ([`Module::grade`], [`Progress::answer`], pass mark
//!   [`PASS_MARK_PERCENT`]) and yields the
//!   [`models::sync::LearningProgress`] records the sync client sends.
//! - [`suggest_module`] picks the module that fits the moment from roster,
//!   recovery and check-in data.
//!
//! ```
//! use chrono::{NaiveDate, Utc};
//! use mobile_core::LocalClock;
//! use mobile_core::education::{Library, Progress, SuggestionContext, Track, suggest_module};
//!
//! let library = Library::shipped()?;
//! let mut progress = Progress::new();
//! let context = SuggestionContext {
//!     now: Utc::now(),
//!     clock: LocalClock::from_name("Europe/London")?,
//!     shifts: vec![],
//!     recovery_bands: vec![],
//!     check_ins: vec![],
//! };
//! let first = suggest_module(&library, Track::Officer, &progress, &context).ok_or("none")?;
//! let module = library.module(&first.module_id).ok_or("missing")?;
//! // Answer every question correctly (the app passes the person's choices).
//! let answers: Vec<usize> = module.questions.iter().filter_map(|q| q.correct_option()).collect();
//! let today = NaiveDate::from_ymd_opt(2025, 3, 1).ok_or("date")?;
//! let attempt = progress.answer(module, &answers, today)?;
//! assert!(attempt.grade.passed() && attempt.record.completed);
//! let next = suggest_module(&library, Track::Officer, &progress, &context).ok_or("none")?;
//! assert_ne!(next.module_id, first.module_id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Reports (counts and rates by team, small-number rule) are built by the
//! analytics from the synced records, not here. See `docs/education.md`.

mod content;
mod error;
mod progress;
mod suggest;

pub use content::{
    AnswerOption, CONTENT_VERSION, Course, Library, MAX_ID_LEN, Module, Question, Source, Topic,
    Track,
};
pub use error::{EducationError, IdKind};
pub use progress::{Attempt, Feedback, Grade, ModuleProgress, PASS_MARK_PERCENT, Progress, passes};
pub use suggest::{
    BLOCK_GAP_HOURS, HIGH_KSS, HIGH_KSS_COUNT, KSS_WINDOW_DAYS, ModuleSuggestion,
    NIGHTS_LOOKAHEAD_HOURS, RED_RECOVERY_DAYS, SuggestionContext, SuggestionReason, suggest_module,
};
