//! The shipped learning content loads and validates, and every malformed-pack
//! rule refuses a pack with its own typed error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use mobile_core::education::{EducationError, IdKind, Library, Topic, Track};

/// A valid one-course pack; tests break one thing at a time by replacing text.
const PACK: &str = r#"
format_version = 1

[[sources]]
id = "s1"
title = "A source"
publisher = "A publisher"
year = 2006

[[sources]]
id = "s2"
title = "Another source"
publisher = "Another publisher"

[[courses]]
id = "c1"
version = "1.0.0"
track = "officer"
title = "Course"
summary = "A course."

[[courses.modules]]
id = "m1"
title = "Module one"
minutes = 3
topics = ["naps"]
text = "Some text."
key_points = ["A point."]
sources = ["s1"]

[[courses.modules.questions]]
id = "q1"
prompt = "Which?"
explanation = "Because."
options = [{ text = "Right", correct = true }, { text = "Wrong" }]

[[courses.modules]]
id = "m2"
title = "Module two"
minutes = 3
text = "More text."
key_points = ["Another point."]
sources = ["s2", "s1"]

[[courses.modules.questions]]
id = "q2"
prompt = "Which again?"
explanation = "Because again."
options = [{ text = "Wrong" }, { text = "Right", correct = true }]
"#;

fn load_with(from: &str, to: &str) -> Result<Library, EducationError> {
    assert!(PACK.contains(from), "test pack has no {from:?}");
    PACK.replacen(from, to, 1).parse::<Library>()
}

#[test]
fn the_shipped_pack_loads_with_both_tracks() {
    let lib = Library::shipped().unwrap();
    let officer: Vec<_> = lib.modules_for(Track::Officer).collect();
    let supervisor: Vec<_> = lib.modules_for(Track::Supervisor).collect();
    assert!((6..=8).contains(&officer.len()), "{}", officer.len());
    assert!((5..=8).contains(&supervisor.len()), "{}", supervisor.len());
    for m in officer.iter().chain(&supervisor) {
        let words = m.text.split_whitespace().count();
        assert!((150..=450).contains(&words), "{}: {words} words", m.id);
        assert!((3..=5).contains(&m.key_points.len()), "{}", m.id);
        assert!((2..=4).contains(&m.questions.len()), "{}", m.id);
        assert!(!m.sources.is_empty(), "{}", m.id);
        for q in &m.questions {
            assert_eq!(q.options.iter().filter(|o| o.correct).count(), 1);
        }
    }
}

#[test]
fn every_shipped_source_is_cited() {
    let lib = Library::shipped().unwrap();
    let cited: HashSet<&str> = lib
        .courses()
        .iter()
        .flat_map(|c| &c.modules)
        .flat_map(|m| m.sources.iter().map(|s| s.id.as_str()))
        .collect();
    for s in lib.sources() {
        assert!(cited.contains(s.id.as_str()), "{} is never cited", s.id);
    }
}

#[test]
fn the_officer_track_covers_every_suggestion_topic() {
    let lib = Library::shipped().unwrap();
    let covered: HashSet<_> = lib
        .modules_for(Track::Officer)
        .flat_map(|m| m.topics.iter().copied())
        .collect();
    for t in Topic::ALL {
        assert!(covered.contains(&t), "no officer module for {t:?}");
    }
}

#[test]
fn the_shipped_content_quotes_the_reference_thresholds_and_helplines() {
    let lib = Library::shipped().unwrap();
    let text = |id: &str| lib.module(id).unwrap().text.clone();
    let thresholds = text("supervisor.thresholds");
    for fact in [
        "35 for day shifts, 45 for night shifts",
        "1.6",
        "under 11 hours",
    ] {
        assert!(
            thresholds.contains(fact),
            "thresholds module lacks {fact:?}"
        );
    }
    let help = text("officer.seeking-help");
    for fact in ["116 123", "NHS 111", "999"] {
        assert!(help.contains(fact), "help module lacks {fact:?}");
    }
    assert!(text("officer.caffeine").contains("six hours before bedtime"));
}

#[test]
fn the_test_pack_itself_is_valid() {
    let lib: Library = PACK.parse().unwrap();
    assert_eq!(lib.courses().len(), 1);
    let cited: Vec<_> = lib.module("m2").unwrap().sources.iter().collect();
    assert_eq!(cited.len(), 2);
    assert_eq!((cited[0].id.as_str(), cited[0].year), ("s2", None));
    assert_eq!((cited[1].id.as_str(), cited[1].year), ("s1", Some(2006)));
    assert_eq!(lib.sources().len(), 2);
}

#[test]
fn a_duplicate_module_id_is_refused() {
    assert_eq!(
        load_with(r#"id = "m2""#, r#"id = "m1""#).unwrap_err(),
        EducationError::DuplicateId {
            kind: IdKind::Module,
            id: "m1".into()
        }
    );
}

#[test]
fn a_duplicate_question_id_is_refused() {
    assert_eq!(
        load_with(r#"id = "q2""#, r#"id = "q1""#).unwrap_err(),
        EducationError::DuplicateId {
            kind: IdKind::Question,
            id: "q1".into()
        }
    );
}

#[test]
fn ids_must_be_unique_across_documents() {
    let err = Library::from_documents([("a.toml", PACK), ("b.toml", PACK)]).unwrap_err();
    assert_eq!(
        err,
        EducationError::DuplicateId {
            kind: IdKind::Source,
            id: "s1".into()
        }
    );
    let course_only = &PACK[PACK.find("[[courses]]").unwrap()..];
    let second = format!("format_version = 1\n{course_only}");
    let err = Library::from_documents([("a.toml", PACK), ("b.toml", second.as_str())]).unwrap_err();
    assert_eq!(
        err,
        EducationError::DuplicateId {
            kind: IdKind::Course,
            id: "c1".into()
        }
    );
}

#[test]
fn a_module_may_cite_a_source_from_another_document() {
    let split = PACK.find("[[courses]]").unwrap();
    let courses = format!("format_version = 1\n{}", &PACK[split..]);
    let lib = Library::from_documents([
        ("courses.toml", courses.as_str()),
        ("sources.toml", &PACK[..split]),
    ])
    .unwrap();
    assert_eq!(lib.module("m1").unwrap().sources[0].title, "A source");
}

#[test]
fn an_id_the_sync_schema_would_refuse_is_refused() {
    assert_eq!(
        load_with(r#"id = "m1""#, r#"id = "m 1""#).unwrap_err(),
        EducationError::InvalidId {
            kind: IdKind::Module,
            id: "m 1".into()
        }
    );
    let long = format!(r#"id = "{}""#, "q".repeat(65));
    assert!(matches!(
        load_with(r#"id = "q1""#, &long).unwrap_err(),
        EducationError::InvalidId {
            kind: IdKind::Question,
            ..
        }
    ));
}

#[test]
fn a_question_needs_exactly_one_correct_answer() {
    assert_eq!(
        load_with(
            r#"{ text = "Wrong" }, { text = "Right", correct = true }"#,
            r#"{ text = "Wrong" }, { text = "Right" }"#
        )
        .unwrap_err(),
        EducationError::NotOneCorrectAnswer {
            question: "q2".into(),
            correct: 0
        }
    );
    assert_eq!(
        load_with(
            r#"{ text = "Wrong" }]"#,
            r#"{ text = "Also", correct = true }]"#
        )
        .unwrap_err(),
        EducationError::NotOneCorrectAnswer {
            question: "q1".into(),
            correct: 2
        }
    );
}

#[test]
fn a_question_needs_two_options() {
    assert_eq!(
        load_with(
            r#"options = [{ text = "Right", correct = true }, { text = "Wrong" }]"#,
            r#"options = [{ text = "Right", correct = true }]"#
        )
        .unwrap_err(),
        EducationError::TooFewOptions {
            question: "q1".into(),
            options: 1
        }
    );
}

#[test]
fn a_module_without_a_source_is_refused() {
    assert_eq!(
        load_with(r#"sources = ["s2", "s1"]"#, "sources = []").unwrap_err(),
        EducationError::NoSource {
            module: "m2".into()
        }
    );
}

#[test]
fn a_module_citing_an_unknown_source_is_refused() {
    assert_eq!(
        load_with(r#"sources = ["s1"]"#, r#"sources = ["s9"]"#).unwrap_err(),
        EducationError::UnknownSource {
            module: "m1".into(),
            cited: "s9".into()
        }
    );
}

#[test]
fn a_duplicate_source_id_is_refused() {
    assert_eq!(
        load_with(r#"id = "s2""#, r#"id = "s1""#).unwrap_err(),
        EducationError::DuplicateId {
            kind: IdKind::Source,
            id: "s1".into()
        }
    );
}

#[test]
fn empty_texts_are_refused() {
    let cases = [
        (r#"text = "Some text.""#, r#"text = "  ""#, "m1", "text"),
        (r#"title = "Module two""#, r#"title = """#, "m2", "title"),
        (r#"prompt = "Which?""#, r#"prompt = """#, "q1", "prompt"),
        (
            r#"explanation = "Because.""#,
            r#"explanation = "\n""#,
            "q1",
            "explanation",
        ),
        (
            r#"{ text = "Wrong" }]"#,
            r#"{ text = "" }]"#,
            "q1",
            "option",
        ),
        (
            r#"key_points = ["A point."]"#,
            r#"key_points = [""]"#,
            "m1",
            "key point",
        ),
        (
            r#"publisher = "A publisher""#,
            r#"publisher = """#,
            "s1",
            "publisher",
        ),
    ];
    for (from, to, owner, field) in cases {
        assert_eq!(
            load_with(from, to).unwrap_err(),
            EducationError::EmptyText {
                owner: owner.into(),
                field
            },
            "{to}"
        );
    }
}

#[test]
fn a_module_without_questions_or_key_points_is_refused() {
    assert_eq!(
        load_with(r#"key_points = ["A point."]"#, "key_points = []").unwrap_err(),
        EducationError::Missing {
            owner: "m1".into(),
            what: "key_points"
        }
    );
    let no_questions = PACK.replacen(
        "[[courses.modules.questions]]\nid = \"q2\"\nprompt = \"Which again?\"\nexplanation = \"Because again.\"\noptions = [{ text = \"Wrong\" }, { text = \"Right\", correct = true }]\n",
        "",
        1,
    );
    assert_ne!(no_questions, PACK);
    assert_eq!(
        no_questions.parse::<Library>().unwrap_err(),
        EducationError::Missing {
            owner: "m2".into(),
            what: "questions"
        }
    );
}

#[test]
fn an_unknown_track_or_topic_is_refused() {
    assert_eq!(
        load_with(r#"track = "officer""#, r#"track = "inspector""#).unwrap_err(),
        EducationError::UnknownTrack {
            course: "c1".into(),
            track: "inspector".into()
        }
    );
    assert_eq!(
        load_with(r#"topics = ["naps"]"#, r#"topics = ["napping"]"#).unwrap_err(),
        EducationError::UnknownTopic {
            module: "m1".into(),
            topic: "napping".into()
        }
    );
}

#[test]
fn an_unsupported_content_version_is_refused() {
    assert_eq!(
        load_with("format_version = 1", "format_version = 2").unwrap_err(),
        EducationError::UnsupportedVersion {
            document: "pack".into(),
            found: 2,
            supported: 1
        }
    );
}

#[test]
fn malformed_toml_and_unknown_fields_are_parse_errors_naming_the_document() {
    for (from, to) in [
        ("minutes = 3", "minutes = three"),
        ("minutes = 3", "minutes = 3\ncolour = \"red\""),
    ] {
        let text = PACK.replacen(from, to, 1);
        match Library::from_documents([("extra.toml", text.as_str())]).unwrap_err() {
            EducationError::Parse { document, message } => {
                assert_eq!(document, "extra.toml");
                assert!(!message.is_empty());
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }
}
