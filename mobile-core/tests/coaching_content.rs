//! The content pack: the shipped pack loads and covers every trigger, each
//! kind of malformed pack is refused with its typed error, a replacement pack
//! loads from a file, and a partial Welsh pack falls back to English.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::PathBuf;

use mobile_core::coaching::{ContentError, ContentPack, Trigger};

const HEADER: &str = r#"
format_version = 1
pack_version = "test"
locale = "en-GB"
default_cooldown_hours = 12

[[sources]]
id = "hse-hsg256"
title = "HSE (2006). Managing shift work (HSG256)."
url = "https://www.hse.gov.uk/pubns/books/hsg256.htm"
"#;

fn message(id: &str, trigger: &str, sources: &str, body: &str) -> String {
    format!(
        "\n[[messages]]\nid = \"{id}\"\ntrigger = \"{trigger}\"\npriority = 10\nsources = {sources}\ntitle = \"A title\"\nbody = \"{body}\"\n"
    )
}

fn ok_message(id: &str) -> String {
    message(id, "long_shift", r#"["hse-hsg256"]"#, "Take your breaks.")
}

fn load(text: &str) -> Result<ContentPack, ContentError> {
    ContentPack::from_toml(text)
}

fn shipped_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content/coaching/en-GB.toml")
}

#[test]
fn the_shipped_pack_loads_and_covers_every_trigger() {
    let pack = ContentPack::shipped().unwrap();
    assert_eq!(pack.locale(), "en-GB");
    let covered: HashSet<Trigger> = pack.messages().iter().map(|m| m.trigger).collect();
    for t in Trigger::ALL {
        assert!(covered.contains(&t), "no message for {t:?}");
    }
    for m in pack.messages() {
        assert!(!m.sources.is_empty());
        for s in &m.sources {
            assert!(pack.source(s).is_some(), "{} cites {s}", m.id);
        }
        // Modest length: a phone screen, not an essay.
        assert!(m.body.len() <= 700, "{} is {} bytes", m.id, m.body.len());
        assert!(m.title.len() <= 60, "{} title too long", m.id);
    }
    // Loading from the file gives the same pack as the embedded copy.
    assert_eq!(ContentPack::from_path(&shipped_path()).unwrap(), pack);
}

#[test]
fn a_minimal_pack_loads_with_its_defaults() {
    let pack = load(&format!("{HEADER}{}", ok_message("breaks"))).unwrap();
    assert_eq!(pack.messages().len(), 1);
    assert_eq!(pack.messages()[0].cooldown_hours, 12);
    assert_eq!(pack.messages()[0].trigger, Trigger::LongShift);
    assert_eq!(pack.pack_version(), "test");
}

#[test]
fn an_unknown_trigger_is_refused() {
    let text = format!(
        "{HEADER}{}",
        message("x", "full_moon", r#"["hse-hsg256"]"#, "Hello.")
    );
    assert_eq!(
        load(&text),
        Err(ContentError::UnknownTrigger {
            message: "x".into(),
            trigger: "full_moon".into()
        })
    );
}

#[test]
fn missing_sources_are_refused() {
    let none = format!("{HEADER}{}", message("x", "long_shift", "[]", "Hello."));
    assert_eq!(
        load(&none),
        Err(ContentError::MissingSource {
            message: "x".into(),
            source_id: String::new()
        })
    );
    let undefined = format!(
        "{HEADER}{}",
        message("x", "long_shift", r#"["hse-hsg256", "nowhere"]"#, "Hello.")
    );
    assert_eq!(
        load(&undefined),
        Err(ContentError::MissingSource {
            message: "x".into(),
            source_id: "nowhere".into()
        })
    );
}

#[test]
fn duplicate_ids_are_refused() {
    let text = format!("{HEADER}{}{}", ok_message("same"), ok_message("same"));
    assert_eq!(
        load(&text),
        Err(ContentError::DuplicateId {
            kind: "message",
            id: "same".into()
        })
    );
    let twice = HEADER.replace("[[sources]]", "[[sources]]\nid = \"hse-hsg256\"\ntitle = \"t\"\nurl = \"https://a.example\"\n\n[[sources]]");
    assert!(matches!(
        load(&twice),
        Err(ContentError::DuplicateId { kind: "source", .. })
    ));
}

#[test]
fn unsupported_versions_and_locales_are_refused() {
    let v2 = HEADER.replace("format_version = 1", "format_version = 2");
    assert_eq!(
        load(&v2),
        Err(ContentError::UnsupportedVersion {
            found: 2,
            supported: 1
        })
    );
    let fr = HEADER.replace("\"en-GB\"", "\"fr-FR\"");
    assert_eq!(
        load(&fr),
        Err(ContentError::UnsupportedLocale("fr-FR".into()))
    );
    let bad_fallback = HEADER.replace(
        "locale = \"en-GB\"",
        "locale = \"cy-GB\"\nfallback_locale = \"en-US\"",
    );
    assert_eq!(
        load(&bad_fallback),
        Err(ContentError::UnsupportedLocale("en-US".into()))
    );
}

#[test]
fn placeholders_must_be_ones_the_trigger_fills() {
    // The caffeine cut-off is only known to the caffeine trigger.
    let wrong = format!(
        "{HEADER}{}",
        message(
            "x",
            "long_shift",
            r#"["hse-hsg256"]"#,
            "Stop by {caffeine_cutoff}."
        )
    );
    assert_eq!(
        load(&wrong),
        Err(ContentError::BadPlaceholder {
            message: "x".into(),
            placeholder: "caffeine_cutoff".into()
        })
    );
    let unknown = format!(
        "{HEADER}{}",
        message("x", "long_shift", r#"["hse-hsg256"]"#, "Hello {name}.")
    );
    assert!(matches!(
        load(&unknown),
        Err(ContentError::BadPlaceholder { .. })
    ));
    let stray = format!(
        "{HEADER}{}",
        message("x", "long_shift", r#"["hse-hsg256"]"#, "Hello {shift_end.")
    );
    assert!(matches!(
        load(&stray),
        Err(ContentError::InvalidField { field: "body", .. })
    ));
    let fine = format!(
        "{HEADER}{}",
        message(
            "x",
            "caffeine_cutoff",
            r#"["hse-hsg256"]"#,
            "By {caffeine_cutoff}."
        )
    );
    assert!(load(&fine).is_ok());
}

#[test]
fn malformed_files_are_typed_errors() {
    assert!(matches!(
        load("this is = not [toml"),
        Err(ContentError::Malformed(_))
    ));
    // A field the format does not have (a typo) is refused, not ignored.
    let typo = format!("{HEADER}{}", ok_message("a")).replace("priority", "priorty");
    assert!(matches!(load(&typo), Err(ContentError::Malformed(_))));
    let empty_body = format!(
        "{HEADER}{}",
        message("x", "long_shift", r#"["hse-hsg256"]"#, "  ")
    );
    assert!(matches!(
        load(&empty_body),
        Err(ContentError::InvalidField { field: "body", .. })
    ));
    let bad_id = format!("{HEADER}{}", ok_message("Has Spaces"));
    assert!(matches!(
        load(&bad_id),
        Err(ContentError::InvalidField { field: "id", .. })
    ));
    let plain_http = HEADER.replace("https://www.hse", "http://www.hse");
    assert!(matches!(
        load(&plain_http),
        Err(ContentError::InvalidField { field: "url", .. })
    ));
    let missing = ContentPack::from_path(&PathBuf::from("/nonexistent/pack.toml"));
    assert!(matches!(missing, Err(ContentError::Io { .. })));
}

#[test]
fn a_replacement_pack_loads_from_a_file_without_a_code_change() {
    let dir = std::env::temp_dir().join(format!("coaching-pack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("replacement.toml");
    std::fs::write(
        &path,
        format!("{HEADER}{}", ok_message("replacement-breaks")),
    )
    .unwrap();
    let pack = ContentPack::from_path(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(pack.messages()[0].id, "replacement-breaks");
}

#[test]
fn a_partial_welsh_pack_falls_back_to_english() {
    let english = ContentPack::shipped().unwrap();
    // Test text only: no Welsh translation ships yet.
    let welsh_text = format!(
        "{}{}",
        HEADER.replace(
            "locale = \"en-GB\"",
            "locale = \"cy-GB\"\nfallback_locale = \"en-GB\""
        ),
        message(
            "long-shift-breaks",
            "long_shift",
            r#"["hse-hsg256"]"#,
            "Prawf."
        )
    );
    let welsh = load(&welsh_text).unwrap();
    let merged = welsh.clone().with_fallback(english.clone()).unwrap();
    assert_eq!(merged.messages().len(), english.messages().len());
    let translated = merged
        .messages()
        .iter()
        .find(|m| m.id == "long-shift-breaks")
        .unwrap();
    assert_eq!(
        (translated.body.as_str(), translated.locale.as_str()),
        ("Prawf.", "cy-GB")
    );
    let untranslated = merged
        .messages()
        .iter()
        .find(|m| m.id == "caffeine-cutoff")
        .unwrap();
    assert_eq!(untranslated.locale, "en-GB");
    assert!(merged.source("drake-2013").is_some());
    // English does not declare a fallback, so it cannot take one.
    assert!(matches!(
        english.with_fallback(welsh),
        Err(ContentError::FallbackMismatch { .. })
    ));
}
