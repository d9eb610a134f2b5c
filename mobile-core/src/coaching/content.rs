//! The coaching content pack: messages as data, validated at load.
//!
//! A pack is a TOML file (`content/coaching/en-GB.toml` ships with the app)
//! holding its format version, its own version, its locale, an optional
//! fallback locale, the sources it cites and its messages. Each message names
//! the [`Trigger`] that selects it, a priority, its sources, a title and a
//! body that may contain time placeholders (`{caffeine_cutoff}`). Loading
//! refuses, with a typed [`ContentError`]: an unsupported format version or
//! locale, a duplicate message or source id, an unknown trigger, a message
//! with no source or citing an undefined one, an unknown placeholder or one
//! the trigger cannot fill, and empty text. A replacement pack can be loaded
//! with [`ContentPack::from_path`] without a code change; the format is in
//! `docs/coaching.md`.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::trigger::{Placeholder, Trigger};

/// The pack format version this build reads.
pub const CONTENT_FORMAT_VERSION: u32 = 1;
/// Locales a pack may be written in. Only en-GB ships; cy-GB (Welsh) is
/// accepted so a translated pack can be dropped in, falling back to en-GB for
/// any message it lacks.
pub const SUPPORTED_LOCALES: [&str; 2] = ["en-GB", "cy-GB"];

/// The pack that ships with the app.
const SHIPPED_EN_GB: &str = include_str!("../../content/coaching/en-GB.toml");

/// Why a content pack was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContentError {
    /// The file could not be read.
    #[error("cannot read content pack {path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// What the OS said.
        reason: String,
    },
    /// The text is not valid TOML or does not have the pack's shape.
    #[error("content pack is malformed: {0}")]
    Malformed(String),
    /// The format version is not one this build reads.
    #[error("content pack format {found} is not supported (this build reads {supported})")]
    UnsupportedVersion {
        /// The version in the pack.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The locale is not one the app supports.
    #[error("locale {0:?} is not supported")]
    UnsupportedLocale(String),
    /// Two messages, or two sources, share an id.
    #[error("duplicate {kind} id {id:?}")]
    DuplicateId {
        /// `message` or `source`.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// A message names a trigger the engine does not know.
    #[error("message {message:?} has unknown trigger {trigger:?}")]
    UnknownTrigger {
        /// The message id.
        message: String,
        /// The trigger named.
        trigger: String,
    },
    /// A message cites no source, or one the pack does not define.
    #[error("message {message:?} is missing source {source_id:?}")]
    MissingSource {
        /// The message id.
        message: String,
        /// The source id cited, or empty when the message cites none.
        source_id: String,
    },
    /// A message uses a placeholder that does not exist or that its trigger
    /// cannot fill.
    #[error("message {message:?} uses placeholder {{{placeholder}}} which its trigger cannot fill")]
    BadPlaceholder {
        /// The message id.
        message: String,
        /// The placeholder's name.
        placeholder: String,
    },
    /// A required text field is empty, or an id is not an identifier.
    #[error("{kind} {id:?}: field {field} is empty or invalid")]
    InvalidField {
        /// `message`, `source` or `pack`.
        kind: &'static str,
        /// The id (may be empty).
        id: String,
        /// The field.
        field: &'static str,
    },
    /// A pack and the pack given as its fallback do not match.
    #[error("pack {locale} does not fall back to {fallback}")]
    FallbackMismatch {
        /// The pack's locale.
        locale: String,
        /// The fallback pack's locale.
        fallback: String,
    },
}

/// A publication a message relies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Id used by messages.
    pub id: String,
    /// Citation as shown to the officer.
    pub title: String,
    /// Where to read it.
    pub url: String,
}

/// One message, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Stable id (recorded in coaching history).
    pub id: String,
    /// What selects it.
    pub trigger: Trigger,
    /// Higher is shown first.
    pub priority: u8,
    /// Ids of its sources (each defined in the pack).
    pub sources: Vec<String>,
    /// Short title.
    pub title: String,
    /// Body; may contain `{placeholder}`s its trigger fills.
    pub body: String,
    /// Hours before the same message may be shown again.
    pub cooldown_hours: u32,
    /// Locale of this message's text (a fallback message keeps its own).
    pub locale: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    format_version: u32,
    pack_version: String,
    locale: String,
    fallback_locale: Option<String>,
    default_cooldown_hours: u32,
    #[serde(default)]
    sources: Vec<Source>,
    #[serde(default)]
    messages: Vec<RawMessage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    id: String,
    trigger: String,
    priority: u8,
    #[serde(default)]
    sources: Vec<String>,
    title: String,
    body: String,
    cooldown_hours: Option<u32>,
}

/// A validated content pack.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentPack {
    pack_version: String,
    locale: String,
    fallback_locale: Option<String>,
    sources: Vec<Source>,
    messages: Vec<Message>,
}

impl ContentPack {
    /// The en-GB pack shipped in the app.
    ///
    /// # Errors
    /// Any [`ContentError`]; a test checks the shipped pack loads.
    pub fn shipped() -> Result<Self, ContentError> {
        Self::from_toml(SHIPPED_EN_GB)
    }

    /// Reads and validates a pack from TOML text.
    ///
    /// # Errors
    /// See the module doc; the first problem found is returned.
    pub fn from_toml(text: &str) -> Result<Self, ContentError> {
        let raw: RawPack =
            toml::from_str(text).map_err(|e| ContentError::Malformed(e.to_string()))?;
        Self::validate(raw)
    }

    /// Reads and validates a pack from a file.
    ///
    /// # Errors
    /// [`ContentError::Io`] if it cannot be read, then as [`Self::from_toml`].
    pub fn from_path(path: &Path) -> Result<Self, ContentError> {
        let text = std::fs::read_to_string(path).map_err(|e| ContentError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_toml(&text)
    }

    fn validate(raw: RawPack) -> Result<Self, ContentError> {
        if raw.format_version != CONTENT_FORMAT_VERSION {
            return Err(ContentError::UnsupportedVersion {
                found: raw.format_version,
                supported: CONTENT_FORMAT_VERSION,
            });
        }
        for locale in std::iter::once(&raw.locale).chain(raw.fallback_locale.as_ref()) {
            if !SUPPORTED_LOCALES.contains(&locale.as_str()) {
                return Err(ContentError::UnsupportedLocale(locale.clone()));
            }
        }
        if raw.pack_version.trim().is_empty() {
            return Err(invalid("pack", "", "pack_version"));
        }
        let mut source_ids = HashSet::new();
        for s in &raw.sources {
            check_id("source", &s.id)?;
            if !source_ids.insert(s.id.as_str()) {
                return Err(ContentError::DuplicateId {
                    kind: "source",
                    id: s.id.clone(),
                });
            }
            if s.title.trim().is_empty() {
                return Err(invalid("source", &s.id, "title"));
            }
            if !s.url.starts_with("https://") {
                return Err(invalid("source", &s.id, "url"));
            }
        }
        let mut message_ids = HashSet::new();
        let mut messages = Vec::with_capacity(raw.messages.len());
        for m in raw.messages {
            check_id("message", &m.id)?;
            if !message_ids.insert(m.id.clone()) {
                return Err(ContentError::DuplicateId {
                    kind: "message",
                    id: m.id,
                });
            }
            let trigger =
                Trigger::from_name(&m.trigger).ok_or_else(|| ContentError::UnknownTrigger {
                    message: m.id.clone(),
                    trigger: m.trigger.clone(),
                })?;
            if m.sources.is_empty() {
                return Err(ContentError::MissingSource {
                    message: m.id,
                    source_id: String::new(),
                });
            }
            if let Some(s) = m.sources.iter().find(|s| !source_ids.contains(s.as_str())) {
                return Err(ContentError::MissingSource {
                    message: m.id.clone(),
                    source_id: s.clone(),
                });
            }
            for (field, text) in [("title", &m.title), ("body", &m.body)] {
                if text.trim().is_empty() {
                    return Err(invalid("message", &m.id, field));
                }
                for name in
                    placeholder_names(text).map_err(|()| invalid("message", &m.id, field))?
                {
                    let allowed = Placeholder::from_name(name)
                        .is_some_and(|p| trigger.placeholders().contains(&p));
                    if !allowed {
                        return Err(ContentError::BadPlaceholder {
                            message: m.id.clone(),
                            placeholder: name.to_string(),
                        });
                    }
                }
            }
            messages.push(Message {
                id: m.id,
                trigger,
                priority: m.priority,
                sources: m.sources,
                title: m.title.trim().to_string(),
                body: normalise_whitespace(&m.body),
                cooldown_hours: m.cooldown_hours.unwrap_or(raw.default_cooldown_hours),
                locale: raw.locale.clone(),
            });
        }
        Ok(Self {
            pack_version: raw.pack_version,
            locale: raw.locale,
            fallback_locale: raw.fallback_locale,
            sources: raw.sources,
            messages,
        })
    }

    /// Completes this pack with `fallback`'s messages and sources for any id
    /// it lacks (e.g. a partial Welsh pack over the English one). Each message
    /// keeps its own locale so the app can mark untranslated text.
    ///
    /// # Errors
    /// [`ContentError::FallbackMismatch`] unless this pack's
    /// `fallback_locale` is `fallback`'s locale.
    pub fn with_fallback(mut self, fallback: ContentPack) -> Result<Self, ContentError> {
        if self.fallback_locale.as_deref() != Some(fallback.locale.as_str()) {
            return Err(ContentError::FallbackMismatch {
                locale: self.locale,
                fallback: fallback.locale,
            });
        }
        for s in fallback.sources {
            if !self.sources.iter().any(|own| own.id == s.id) {
                self.sources.push(s);
            }
        }
        for m in fallback.messages {
            if !self.messages.iter().any(|own| own.id == m.id) {
                self.messages.push(m);
            }
        }
        Ok(self)
    }

    /// The pack's own version string.
    pub fn pack_version(&self) -> &str {
        &self.pack_version
    }

    /// The pack's locale.
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// The messages.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The sources.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The source with id `id`.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }
}

fn invalid(kind: &'static str, id: &str, field: &'static str) -> ContentError {
    ContentError::InvalidField {
        kind,
        id: id.to_string(),
        field,
    }
}

fn check_id(kind: &'static str, id: &str) -> Result<(), ContentError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(invalid(kind, id, "id"))
    }
}

/// TOML multi-line strings keep the file's line breaks; a body is one
/// paragraph per blank-line-separated block, so single breaks become spaces.
fn normalise_whitespace(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|para| para.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The names between braces in `text`; `Err` for an unclosed or nested brace.
pub(crate) fn placeholder_names(text: &str) -> Result<Vec<&str>, ()> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(());
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(())?;
        let name = &after[..close];
        if name.contains('{') {
            return Err(());
        }
        names.push(name);
        rest = &after[close + 1..];
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_and_stray_braces_refused() {
        assert_eq!(
            placeholder_names("by {caffeine_cutoff}, sleep at {planned_sleep_start}.").unwrap(),
            vec!["caffeine_cutoff", "planned_sleep_start"]
        );
        assert!(placeholder_names("a } b").is_err());
        assert!(placeholder_names("a { b").is_err());
        assert!(placeholder_names("a {b {c}}").is_err());
    }

    #[test]
    fn wrapped_lines_join_and_paragraphs_survive() {
        assert_eq!(
            normalise_whitespace("  one\ntwo\n\nthree  "),
            "one two\n\nthree"
        );
    }
}
