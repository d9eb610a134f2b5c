//! The shipped learning content loads and validates, and every malformed-pack
//! rule refuses a pack with its own typed error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use mobile_core::education::{EducationError, IdKind, Library, Topic, Track};

/// A valid one-course pack; tests break one thing at a time by replacing text.
const PACK: &str = r#"
content_version = 1

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

[[courses.modules.questions]]
id = "q1"
prompt = "Which?"
explanation = "Because."
options = [{ text = "Right", correct = true }, { text = "Wrong" }]

[[courses.modules.sources]]
title = "A source"
publisher = "A publisher"
year = 2006

[[courses.modules]]
id = "m2"
title = "Module two"
minutes = 3
text = "More text."
key_points = ["Another point."]

[[courses.modules.questions]]
id = "q2"
prompt = "Which again?"
explanation = "Because again."
options = [{ text = "Wrong" }, { text = "Right", correct = true }]

[[courses.modules.sources]]
title = "Another source"
publisher = "Another publisher"
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
    assert_eq!(lib.module("m2").unwrap().sources[0].year, None);
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
            kind: IdKind::Course,
            id: "c1".into()
        }
    );
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
    let without = PACK.replacen(
        "[[courses.modules.sources]]\ntitle = \"Another source\"\npublisher = \"Another publisher\"\n",
        "",
        1,
    );
    assert_ne!(without, PACK);
    assert_eq!(
        without.parse::<Library>().unwrap_err(),
        EducationError::NoSource {
            module: "m2".into()
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
            "m1",
            "source publisher",
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
        load_with("content_version = 1", "content_version = 2").unwrap_err(),
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
