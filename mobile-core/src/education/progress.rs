//! Self-check grading and a person's progress through the modules.
//!
//! A module is **completed** when its self-check is passed: at least
//! [`PASS_MARK_PERCENT`] of its questions answered correctly in one attempt.
//! With the 2 to 4 questions a module has, that means every answer right for
//! 2 or 3 questions and 3 of 4 for 4. Attempts can be repeated; the
//! explanations are shown after each. Once completed, a module stays completed
//! (a later weaker attempt is counted but changes nothing else).
//!
//! [`Progress`] is what the on-device store keeps (it is serde-serialisable),
//! and every change yields a [`LearningProgress`] record for the sync client.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use models::sync::LearningProgress;
use serde::{Deserialize, Serialize};

use super::content::Module;
use super::error::EducationError;

/// Share of a self-check's questions that must be right to pass, in percent.
pub const PASS_MARK_PERCENT: u32 = 75;

/// True when `correct` of `total` answers meets [`PASS_MARK_PERCENT`]; an
/// empty self-check never passes.
pub fn passes(correct: u32, total: u32) -> bool {
    total > 0 && u64::from(correct) * 100 >= u64::from(total) * u64::from(PASS_MARK_PERCENT)
}

/// The outcome for one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// The question id.
    pub question_id: String,
    /// The option chosen (0-based).
    pub chosen: usize,
    /// The correct option (0-based).
    pub correct_option: usize,
    /// The question's explanation, shown whatever the answer.
    pub explanation: String,
}

impl Feedback {
    /// True when the chosen option is the correct one.
    pub fn is_correct(&self) -> bool {
        self.chosen == self.correct_option
    }
}

/// A graded self-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    /// The module id.
    pub module_id: String,
    /// Answers right.
    pub correct: u32,
    /// Questions asked.
    pub total: u32,
    /// One entry per question, in order.
    pub feedback: Vec<Feedback>,
}

impl Grade {
    /// True when the attempt meets the pass mark ([`passes`]).
    pub fn passed(&self) -> bool {
        passes(self.correct, self.total)
    }
}

impl Module {
    /// Grades one attempt at this module's self-check; `answers[i]` is the
    /// 0-based option chosen for question `i`.
    ///
    /// # Errors
    /// [`EducationError::WrongAnswerCount`] unless there is one answer per
    /// question; [`EducationError::NoSuchOption`] for an index past a
    /// question's options.
    pub fn grade(&self, answers: &[usize]) -> Result<Grade, EducationError> {
        if answers.len() != self.questions.len() {
            return Err(EducationError::WrongAnswerCount {
                module: self.id.clone(),
                given: answers.len(),
                expected: self.questions.len(),
            });
        }
        let mut feedback = Vec::with_capacity(answers.len());
        for (q, &chosen) in self.questions.iter().zip(answers) {
            let no_such_option = || EducationError::NoSuchOption {
                question: q.id.clone(),
                chosen,
                options: q.options.len(),
            };
            if chosen >= q.options.len() {
                return Err(no_such_option());
            }
            // A loaded library guarantees one correct option per question.
            let correct_option = q.correct_option().ok_or_else(no_such_option)?;
            feedback.push(Feedback {
                question_id: q.id.clone(),
                chosen,
                correct_option,
                explanation: q.explanation.clone(),
            });
        }
        let correct = feedback.iter().filter(|f| f.is_correct()).count();
        Ok(Grade {
            module_id: self.id.clone(),
            correct: u32::try_from(correct).unwrap_or(u32::MAX),
            total: u32::try_from(feedback.len()).unwrap_or(u32::MAX),
            feedback,
        })
    }
}

/// One person's progress through one module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleProgress {
    /// Local date the module was first opened.
    pub started_on: NaiveDate,
    /// Local date the self-check was first passed.
    pub completed_on: Option<NaiveDate>,
    /// Self-check attempts so far.
    pub attempts: u32,
    /// Best score so far: answers right.
    pub best_correct: u32,
    /// Questions in the self-check when it was last attempted.
    pub questions: u32,
}

impl ModuleProgress {
    /// True once the self-check has been passed.
    pub fn is_completed(&self) -> bool {
        self.completed_on.is_some()
    }
}

/// One graded attempt and the record to sync for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The graded answers.
    pub grade: Grade,
    /// True when this attempt completed the module for the first time.
    pub newly_completed: bool,
    /// The module's state to sync, dated with this attempt.
    pub record: LearningProgress,
}

/// A person's progress through the library, keyed by module id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    modules: BTreeMap<String, ModuleProgress>,
}

impl Progress {
    /// No modules started.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks a module opened on local date `on` (kept from the first time)
    /// and returns its record to sync.
    pub fn start(&mut self, module: &Module, on: NaiveDate) -> LearningProgress {
        let entry = self.entry(&module.id, on);
        record(&module.id, on, entry.is_completed())
    }

    /// Grades an attempt at `module`'s self-check taken on local date `on`,
    /// records it and returns the grade with the record to sync. Answering
    /// an unopened module starts it.
    ///
    /// # Errors
    /// As [`Module::grade`]; nothing is recorded then.
    pub fn answer(
        &mut self,
        module: &Module,
        answers: &[usize],
        on: NaiveDate,
    ) -> Result<Attempt, EducationError> {
        let grade = module.grade(answers)?;
        let entry = self.entry(&module.id, on);
        entry.attempts = entry.attempts.saturating_add(1);
        entry.best_correct = entry.best_correct.max(grade.correct);
        entry.questions = grade.total;
        let newly_completed = grade.passed() && !entry.is_completed();
        if newly_completed {
            entry.completed_on = Some(on);
        }
        let completed = entry.is_completed();
        Ok(Attempt {
            grade,
            newly_completed,
            record: record(&module.id, on, completed),
        })
    }

    /// The progress on one module, if it has been opened.
    pub fn module(&self, module_id: &str) -> Option<&ModuleProgress> {
        self.modules.get(module_id)
    }

    /// True once the module's self-check has been passed.
    pub fn is_completed(&self, module_id: &str) -> bool {
        self.modules
            .get(module_id)
            .is_some_and(ModuleProgress::is_completed)
    }

    /// Every opened module with its progress, by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ModuleProgress)> {
        self.modules.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Each opened module's current state as a sync record, dated when it
    /// was completed or, if not yet, when it was started (for a device that
    /// resends everything after a restore).
    pub fn sync_records(&self) -> Vec<LearningProgress> {
        self.iter()
            .map(|(id, p)| record(id, p.completed_on.unwrap_or(p.started_on), p.is_completed()))
            .collect()
    }

    fn entry(&mut self, module_id: &str, on: NaiveDate) -> &mut ModuleProgress {
        self.modules
            .entry(module_id.to_string())
            .or_insert(ModuleProgress {
                started_on: on,
                completed_on: None,
                attempts: 0,
                best_correct: 0,
                questions: 0,
            })
    }
}

fn record(module_id: &str, on: NaiveDate, completed: bool) -> LearningProgress {
    LearningProgress {
        local_date: on,
        module_id: module_id.to_string(),
        completed,
    }
}
