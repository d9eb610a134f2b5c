//! The content pack: courses of short modules, read from TOML and validated
//! at load.
//!
//! A pack document is TOML with a top-level `format_version`, any number of
//! `[[sources]]` (a bibliography, by id) and any number of `[[courses]]`, each
//! with `[[courses.modules]]`, each module listing the ids of the sources it
//! relies on and holding `[[courses.modules.questions]]` (options as
//! `{ text, correct }`); as in the coaching pack, a source is written once and
//! cited by id. A module may cite a source from any document of the library.
//! The shipped documents are `mobile-core/content/education/*.toml`; `docs/education.md` describes the
//! format and the checks. Everything is checked before anything is used, so a
//! library that loads has no duplicate ids, every question has exactly one
//! correct answer and every module cites a source.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::error::{EducationError, IdKind};

/// The content format version (`format_version`) this build reads.
pub const CONTENT_VERSION: u32 = 1;

/// Longest id accepted; the sync schema's limit for `module_id`.
pub const MAX_ID_LEN: usize = 64;

/// Who a course is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Track {
    /// Officers and staff; served by the phone library.
    Officer,
    /// Supervisors (the force's FRM training); served by the dashboard.
    Supervisor,
}

impl Track {
    /// The track's name as written in the pack.
    pub fn as_str(self) -> &'static str {
        match self {
            Track::Officer => "officer",
            Track::Supervisor => "supervisor",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Track::Officer, Track::Supervisor]
            .into_iter()
            .find(|t| t.as_str() == text)
    }
}

/// What a module is about, as far as [`super::suggest_module`] needs to know.
/// A replacement pack tags its own modules, so suggestions keep working
/// whatever the modules are called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Sleeping around night shifts.
    NightSleep,
    /// Naps before and during nights.
    Naps,
    /// Caffeine timing.
    Caffeine,
    /// Light and the body clock.
    Light,
    /// Driving home after a shift.
    DriveHome,
    /// Recovering after a run of shifts.
    Recovery,
    /// When and where to seek help.
    SeekingHelp,
}

impl Topic {
    /// Every topic, in the order suggestions list them in the docs.
    pub const ALL: [Topic; 7] = [
        Topic::NightSleep,
        Topic::Naps,
        Topic::Caffeine,
        Topic::Light,
        Topic::DriveHome,
        Topic::Recovery,
        Topic::SeekingHelp,
    ];

    /// The topic's name as written in the pack.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::NightSleep => "night_sleep",
            Topic::Naps => "naps",
            Topic::Caffeine => "caffeine",
            Topic::Light => "light",
            Topic::DriveHome => "drive_home",
            Topic::Recovery => "recovery",
            Topic::SeekingHelp => "seeking_help",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Topic::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// A published source a module relies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Id the modules cite it by, unique in the library.
    pub id: String,
    /// Title of the guidance, paper or regulation.
    pub title: String,
    /// Publisher, or the authors and journal.
    pub publisher: String,
    /// Year of publication; absent for a living web page that carries no
    /// date worth citing (an NHS condition page, a helpline's site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    /// Where it can be read, when it is public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One option of a self-check question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    /// The option's text.
    pub text: String,
    /// True for the one correct option.
    #[serde(default)]
    pub correct: bool,
}

/// A self-check question with exactly one correct option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Globally unique id.
    pub id: String,
    /// The question.
    pub prompt: String,
    /// The options, shown in this order.
    pub options: Vec<AnswerOption>,
    /// Why the correct option is correct; shown after answering.
    pub explanation: String,
}

impl Question {
    /// Index of the correct option. A question in a loaded library has
    /// exactly one, so this is `Some` there.
    pub fn correct_option(&self) -> Option<usize> {
        self.options.iter().position(|o| o.correct)
    }
}

/// A short module: text, key points, a self-check and its sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Module {
    /// Globally unique id; the `module_id` synced in
    /// [`models::sync::LearningProgress`].
    pub id: String,
    /// Title.
    pub title: String,
    /// Expected reading time in minutes.
    pub minutes: u8,
    /// What the module is about, for suggestions.
    pub topics: Vec<Topic>,
    /// The body text, paragraphs separated by blank lines.
    pub text: String,
    /// Key points, shown as a list after the text.
    pub key_points: Vec<String>,
    /// The self-check.
    pub questions: Vec<Question>,
    /// Sources, at least one, resolved from the ids the module cites.
    pub sources: Vec<Source>,
}

/// A versioned course of modules for one track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Course {
    /// Globally unique id.
    pub id: String,
    /// The course's own version (e.g. `1.0.0`), shown with completions so
    /// a force knows which edition someone completed.
    pub version: String,
    /// Who it is for.
    pub track: Track,
    /// Title.
    pub title: String,
    /// One-paragraph summary.
    pub summary: String,
    /// Modules in the order they are meant to be taken.
    pub modules: Vec<Module>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    format_version: u32,
    #[serde(default)]
    sources: Vec<Source>,
    #[serde(default)]
    courses: Vec<RawCourse>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCourse {
    id: String,
    version: String,
    track: String,
    title: String,
    summary: String,
    #[serde(default)]
    modules: Vec<RawModule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModule {
    id: String,
    title: String,
    minutes: u8,
    #[serde(default)]
    topics: Vec<String>,
    text: String,
    #[serde(default)]
    key_points: Vec<String>,
    #[serde(default)]
    questions: Vec<Question>,
    #[serde(default)]
    sources: Vec<String>,
}

/// The validated courses of one or more pack documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Library {
    sources: Vec<Source>,
    courses: Vec<Course>,
}

/// The shipped pack, embedded so the phone needs no files.
const SHIPPED: [(&str, &str); 3] = [
    (
        "sources.toml",
        include_str!("../../content/education/sources.toml"),
    ),
    (
        "officer.toml",
        include_str!("../../content/education/officer.toml"),
    ),
    (
        "supervisor.toml",
        include_str!("../../content/education/supervisor.toml"),
    ),
];

impl Library {
    /// The pack shipped with this build: the bibliography and the officer and
    /// supervisor courses.
    ///
    /// # Errors
    /// Any [`EducationError`] of [`Library::from_documents`]; the shipped
    /// pack is tested to load, so this fails only in a broken build.
    pub fn shipped() -> Result<Self, EducationError> {
        Self::from_documents(SHIPPED)
    }

    /// A library from one pack document holding its own sources and courses
    /// (a replacement pack), labelled `pack` in errors; the same name as the
    /// coaching pack's loader.
    ///
    /// # Errors
    /// As [`Library::from_documents`].
    pub fn from_toml(text: &str) -> Result<Self, EducationError> {
        Self::from_documents([("pack", text)])
    }

    /// A library from several pack documents, each given as
    /// `(label, TOML text)`; the label names the document in errors. Ids
    /// must be unique across all of them, and a module may cite a source
    /// declared in any of them.
    ///
    /// # Errors
    /// The first problem found, in document order: [`EducationError::Parse`],
    /// [`EducationError::UnsupportedVersion`], [`EducationError::UnknownTrack`],
    /// [`EducationError::UnknownTopic`], [`EducationError::InvalidId`],
    /// [`EducationError::UnknownSource`],
    /// [`EducationError::DuplicateId`], [`EducationError::EmptyText`],
    /// [`EducationError::Missing`], [`EducationError::NoSource`],
    /// [`EducationError::TooFewOptions`] or
    /// [`EducationError::NotOneCorrectAnswer`].
    pub fn from_documents<'a>(
        documents: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, EducationError> {
        let mut ids = IdRegistry::default();
        let mut sources = Vec::new();
        let mut raw_courses = Vec::new();
        for (label, text) in documents {
            let raw: RawDocument = toml::from_str(text).map_err(|e| EducationError::Parse {
                document: label.to_string(),
                message: e.to_string(),
            })?;
            if raw.format_version != CONTENT_VERSION {
                return Err(EducationError::UnsupportedVersion {
                    document: label.to_string(),
                    found: raw.format_version,
                    supported: CONTENT_VERSION,
                });
            }
            for source in raw.sources {
                ids.claim(IdKind::Source, &source.id)?;
                non_empty(&source.id, "title", &source.title)?;
                non_empty(&source.id, "publisher", &source.publisher)?;
                sources.push(source);
            }
            raw_courses.extend(raw.courses);
        }
        let courses = raw_courses
            .into_iter()
            .map(|c| c.validate(&mut ids, &sources))
            .collect::<Result<_, _>>()?;
        Ok(Self { sources, courses })
    }

    /// Every source in the library's bibliography, in document order.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// All courses, in document order.
    pub fn courses(&self) -> &[Course] {
        &self.courses
    }

    /// The courses of one track.
    pub fn courses_for(&self, track: Track) -> impl Iterator<Item = &Course> {
        self.courses.iter().filter(move |c| c.track == track)
    }

    /// The modules of one track in course order, then module order.
    pub fn modules_for(&self, track: Track) -> impl Iterator<Item = &Module> {
        self.courses_for(track).flat_map(|c| c.modules.iter())
    }

    /// The module with this id.
    pub fn module(&self, id: &str) -> Option<&Module> {
        self.courses
            .iter()
            .flat_map(|c| c.modules.iter())
            .find(|m| m.id == id)
    }
}

impl std::str::FromStr for Library {
    type Err = EducationError;

    /// As [`Library::from_toml`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_toml(text)
    }
}

#[derive(Default)]
struct IdRegistry {
    seen: HashSet<(u8, String)>,
}

impl IdRegistry {
    fn claim(&mut self, kind: IdKind, id: &str) -> Result<(), EducationError> {
        let well_formed = !id.is_empty()
            && id.len() <= MAX_ID_LEN
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !well_formed {
            return Err(EducationError::InvalidId {
                kind,
                id: id.to_string(),
            });
        }
        if !self.seen.insert((kind as u8, id.to_string())) {
            return Err(EducationError::DuplicateId {
                kind,
                id: id.to_string(),
            });
        }
        Ok(())
    }
}

fn non_empty(owner: &str, field: &'static str, text: &str) -> Result<(), EducationError> {
    if text.trim().is_empty() {
        Err(EducationError::EmptyText {
            owner: owner.to_string(),
            field,
        })
    } else {
        Ok(())
    }
}

fn at_least_one<T>(owner: &str, what: &'static str, items: &[T]) -> Result<(), EducationError> {
    if items.is_empty() {
        Err(EducationError::Missing {
            owner: owner.to_string(),
            what,
        })
    } else {
        Ok(())
    }
}

impl RawCourse {
    fn validate(self, ids: &mut IdRegistry, sources: &[Source]) -> Result<Course, EducationError> {
        ids.claim(IdKind::Course, &self.id)?;
        let track = Track::parse(&self.track).ok_or_else(|| EducationError::UnknownTrack {
            course: self.id.clone(),
            track: self.track.clone(),
        })?;
        non_empty(&self.id, "version", &self.version)?;
        non_empty(&self.id, "title", &self.title)?;
        non_empty(&self.id, "summary", &self.summary)?;
        at_least_one(&self.id, "modules", &self.modules)?;
        let modules = self
            .modules
            .into_iter()
            .map(|m| m.validate(ids, sources))
            .collect::<Result<_, _>>()?;
        Ok(Course {
            id: self.id,
            version: self.version,
            track,
            title: self.title,
            summary: self.summary,
            modules,
        })
    }
}

impl RawModule {
    fn validate(self, ids: &mut IdRegistry, library: &[Source]) -> Result<Module, EducationError> {
        let id = self.id;
        ids.claim(IdKind::Module, &id)?;
        non_empty(&id, "title", &self.title)?;
        non_empty(&id, "text", &self.text)?;
        let topics = self
            .topics
            .iter()
            .map(|t| {
                Topic::parse(t).ok_or_else(|| EducationError::UnknownTopic {
                    module: id.clone(),
                    topic: t.clone(),
                })
            })
            .collect::<Result<_, _>>()?;
        at_least_one(&id, "key_points", &self.key_points)?;
        for point in &self.key_points {
            non_empty(&id, "key point", point)?;
        }
        at_least_one(&id, "questions", &self.questions)?;
        for q in &self.questions {
            validate_question(q, ids)?;
        }
        if self.sources.is_empty() {
            return Err(EducationError::NoSource { module: id });
        }
        let sources = self
            .sources
            .iter()
            .map(|cited| {
                library
                    .iter()
                    .find(|s| &s.id == cited)
                    .cloned()
                    .ok_or_else(|| EducationError::UnknownSource {
                        module: id.clone(),
                        cited: cited.clone(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Module {
            id,
            title: self.title,
            minutes: self.minutes,
            topics,
            text: self.text,
            key_points: self.key_points,
            questions: self.questions,
            sources,
        })
    }
}

fn validate_question(q: &Question, ids: &mut IdRegistry) -> Result<(), EducationError> {
    ids.claim(IdKind::Question, &q.id)?;
    non_empty(&q.id, "prompt", &q.prompt)?;
    non_empty(&q.id, "explanation", &q.explanation)?;
    if q.options.len() < 2 {
        return Err(EducationError::TooFewOptions {
            question: q.id.clone(),
            options: q.options.len(),
        });
    }
    for o in &q.options {
        non_empty(&q.id, "option", &o.text)?;
    }
    let correct = q.options.iter().filter(|o| o.correct).count();
    if correct != 1 {
        return Err(EducationError::NotOneCorrectAnswer {
            question: q.id.clone(),
            correct,
        });
    }
    Ok(())
}
