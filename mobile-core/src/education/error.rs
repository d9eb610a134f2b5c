//! Why a content pack or a self-check answer was refused.

/// Which kind of id a [`EducationError::DuplicateId`] or
/// [`EducationError::InvalidId`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A course id.
    Course,
    /// A module id.
    Module,
    /// A self-check question id.
    Question,
    /// A source id in the bibliography.
    Source,
}

impl std::fmt::Display for IdKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IdKind::Course => "course",
            IdKind::Module => "module",
            IdKind::Question => "question",
            IdKind::Source => "source",
        })
    }
}

/// A content pack that cannot be used, or an answer that does not fit its
/// module. Every check in [`crate::education::Library::from_documents`] has
/// its own variant, so the content author sees exactly what to fix; none of
/// them carries personal data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EducationError {
    /// The document is not TOML of the pack's shape.
    #[error("{document}: {message}")]
    Parse {
        /// The document's label (its file name for the shipped pack).
        document: String,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// The document declares a content version this build cannot read.
    #[error("{document}: format_version {found} is not supported (this build reads {supported})")]
    UnsupportedVersion {
        /// The document's label.
        document: String,
        /// The version declared.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// A course names a track other than `officer` or `supervisor`.
    #[error("course {course}: unknown track {track:?} (expected officer or supervisor)")]
    UnknownTrack {
        /// The course id.
        course: String,
        /// The track as written.
        track: String,
    },
    /// A module names a topic this build does not know.
    #[error("module {module}: unknown topic {topic:?}")]
    UnknownTopic {
        /// The module id.
        module: String,
        /// The topic as written.
        topic: String,
    },
    /// The same id is used twice, anywhere in the library (ids are global so
    /// a synced `module_id` is never ambiguous).
    #[error("{kind} id {id:?} is used more than once")]
    DuplicateId {
        /// Course, module or question.
        kind: IdKind,
        /// The repeated id.
        id: String,
    },
    /// An id is empty, longer than 64 characters or uses characters other
    /// than ASCII letters, digits, `-`, `_` and `.` (the sync schema's rule
    /// for `module_id`).
    #[error("{kind} id {id:?} must be 1 to 64 of A-Z a-z 0-9 - _ .")]
    InvalidId {
        /// Course, module or question.
        kind: IdKind,
        /// The id as written.
        id: String,
    },
    /// A required text (title, body, key point, prompt, option, explanation,
    /// source title) is empty or only whitespace.
    #[error("{owner}: {field} is empty")]
    EmptyText {
        /// Id of the course, module or question holding the text.
        owner: String,
        /// Which text.
        field: &'static str,
    },
    /// A course has no modules, a module no key points or no questions.
    #[error("{owner}: has no {what}")]
    Missing {
        /// Id of the course or module.
        owner: String,
        /// `modules`, `key_points` or `questions`.
        what: &'static str,
    },
    /// A module cites no source.
    #[error("module {module}: has no source")]
    NoSource {
        /// The module id.
        module: String,
    },
    /// A module cites a source id that no document of the library declares.
    #[error("module {module}: cites unknown source {cited:?}")]
    UnknownSource {
        /// The module id.
        module: String,
        /// The source id cited.
        cited: String,
    },
    /// A question does not have exactly one correct option.
    #[error("question {question}: {correct} options marked correct, exactly 1 required")]
    NotOneCorrectAnswer {
        /// The question id.
        question: String,
        /// How many options were marked correct.
        correct: usize,
    },
    /// A question offers fewer than two options.
    #[error("question {question}: {options} options, at least 2 required")]
    TooFewOptions {
        /// The question id.
        question: String,
        /// How many options it has.
        options: usize,
    },
    /// No module in the library has this id.
    #[error("no module {0:?} in the library")]
    UnknownModule(String),
    /// A self-check was answered with the wrong number of answers.
    #[error("module {module}: {given} answers for {expected} questions")]
    WrongAnswerCount {
        /// The module id.
        module: String,
        /// Answers given.
        given: usize,
        /// Questions in the module.
        expected: usize,
    },
    /// An answer names an option the question does not have.
    #[error("question {question}: option {chosen} does not exist ({options} options)")]
    NoSuchOption {
        /// The question id.
        question: String,
        /// The option index given (0-based).
        chosen: usize,
        /// How many options the question has.
        options: usize,
    },
}
