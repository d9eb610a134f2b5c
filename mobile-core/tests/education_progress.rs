//! Self-check grading, the pass mark, and progress with its sync records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use mobile_core::education::{EducationError, Library, Module, Progress, passes};
use models::sync::SyncRecord;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
}

fn module(lib: &Library, id: &str) -> Module {
    lib.module(id).unwrap().clone()
}

/// The correct answers, from the content (not hard-coded).
fn right(m: &Module) -> Vec<usize> {
    m.questions
        .iter()
        .map(|q| q.correct_option().unwrap())
        .collect()
}

/// A wrong answer for question `i`, keeping the rest right.
fn one_wrong(m: &Module, i: usize) -> Vec<usize> {
    let mut a = right(m);
    a[i] = (a[i] + 1) % m.questions[i].options.len();
    a
}

#[test]
fn the_pass_mark_is_three_quarters() {
    assert!(passes(2, 2));
    assert!(!passes(1, 2));
    assert!(passes(3, 3));
    assert!(!passes(2, 3));
    assert!(passes(3, 4));
    assert!(!passes(2, 4));
    assert!(!passes(0, 0));
}

#[test]
fn grading_marks_each_answer_and_gives_every_explanation() {
    let lib = Library::shipped().unwrap();
    let m = module(&lib, "officer.naps");
    let all = m.grade(&right(&m)).unwrap();
    assert_eq!((all.correct, all.total), (3, 3));
    assert!(all.passed());
    let g = m.grade(&one_wrong(&m, 1)).unwrap();
    assert_eq!(g.correct, 2);
    assert!(!g.passed());
    assert!(!g.feedback[1].is_correct());
    assert!(g.feedback[0].is_correct());
    for (f, q) in g.feedback.iter().zip(&m.questions) {
        assert_eq!(f.explanation, q.explanation);
        assert_eq!(f.question_id, q.id);
    }
}

#[test]
fn a_four_question_module_passes_with_one_wrong() {
    let lib = Library::shipped().unwrap();
    let m = lib
        .courses()
        .iter()
        .flat_map(|c| &c.modules)
        .find(|m| m.questions.len() == 4)
        .unwrap()
        .clone();
    assert!(m.grade(&one_wrong(&m, 0)).unwrap().passed());
    let mut two_wrong = one_wrong(&m, 0);
    two_wrong[3] = (two_wrong[3] + 1) % m.questions[3].options.len();
    assert!(!m.grade(&two_wrong).unwrap().passed());
}

#[test]
fn answers_that_do_not_fit_the_module_are_refused() {
    let lib = Library::shipped().unwrap();
    let m = module(&lib, "officer.caffeine");
    assert_eq!(
        m.grade(&[0]).unwrap_err(),
        EducationError::WrongAnswerCount {
            module: m.id.clone(),
            given: 1,
            expected: m.questions.len()
        }
    );
    let mut a = right(&m);
    a[0] = 99;
    assert!(matches!(
        m.grade(&a).unwrap_err(),
        EducationError::NoSuchOption { chosen: 99, .. }
    ));
    let mut p = Progress::new();
    assert!(p.answer(&m, &a, day(1)).is_err());
    assert!(
        p.module(&m.id).is_none(),
        "a refused attempt records nothing"
    );
}

#[test]
fn a_module_completes_when_passed_and_stays_completed() {
    let lib = Library::shipped().unwrap();
    let m = module(&lib, "officer.light");
    let mut p = Progress::new();
    let started = p.start(&m, day(1));
    assert!(!started.completed);

    let failed = p.answer(&m, &one_wrong(&m, 0), day(2)).unwrap();
    assert!(!failed.newly_completed);
    assert!(!failed.record.completed);
    assert!(!p.is_completed(&m.id));

    let passed = p.answer(&m, &right(&m), day(3)).unwrap();
    assert!(passed.newly_completed);
    assert_eq!(passed.record.local_date, day(3));
    assert!(passed.record.completed);

    let later = p.answer(&m, &one_wrong(&m, 1), day(4)).unwrap();
    assert!(!later.newly_completed);
    assert!(later.record.completed, "completion is never undone");
    let mp = p.module(&m.id).unwrap();
    assert_eq!(
        (mp.started_on, mp.completed_on, mp.attempts),
        (day(1), Some(day(3)), 3)
    );
    assert_eq!(mp.best_correct, mp.questions);
}

#[test]
fn progress_round_trips_and_its_records_pass_sync_validation() {
    let lib = Library::shipped().unwrap();
    let mut p = Progress::new();
    let a = module(&lib, "officer.sleep-on-nights");
    let b = module(&lib, "supervisor.thresholds");
    p.answer(&a, &right(&a), day(5)).unwrap();
    p.start(&b, day(6));
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<Progress>(&json).unwrap(), p);

    let records = p.sync_records();
    assert_eq!(records.len(), 2);
    for r in &records {
        SyncRecord::LearningProgress(r.clone()).validate().unwrap();
    }
    let of = |id: &str| records.iter().find(|r| r.module_id == id).unwrap();
    assert!(of(&a.id).completed);
    assert_eq!(of(&a.id).local_date, day(5));
    assert!(!of(&b.id).completed);
    assert_eq!(of(&b.id).local_date, day(6));
}
