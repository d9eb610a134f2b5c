//! The national support services every force's support directory ends with,
//! whatever the force has entered: crisis lines first, then police charities.
//!
//! One list for both sides: the server serves it in
//! `GET /v1/support/directory`, and the phone library shows the crisis lines
//! from it with no network at all (`offline_crisis_lines` in `ffi`), since the
//! moment someone needs them may be the moment the signal is gone.
//!
//! Sources, checked 2026-11: Samaritans (samaritans.org, "call 116 123 for
//! free, 24 hours a day"), Shout (giveusashout.org, "text SHOUT to 85258"),
//! NHS 111 (nhs.uk, "call 111 and select the mental health option"), Police
//! Care UK (policecare.org.uk), Oscar Kilo (oscarkilo.org.uk).
//!
//! The peer-support bodies the phone and the server exchange live here too,
//! with their validation, so both sides check a request by the same rules
//! (`docs/peer-support.md`): [`ContactMethod`] and the contact detail it
//! needs, the call-back request [`NewCallback`] and answer [`Callback`], and
//! the directory [`SupportDirectory`].

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ValidationError;

/// Kind of a crisis line (shown on the support screen always).
pub const CRISIS_LINE: &str = "crisis_line";
/// Kind of a national police charity's service.
pub const POLICE_CHARITY: &str = "police_charity";

/// One national service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NationalService {
    /// [`CRISIS_LINE`] or [`POLICE_CHARITY`].
    pub kind: &'static str,
    /// Name.
    pub name: &'static str,
    /// How to reach it.
    pub contact: &'static str,
    /// When it is open.
    pub hours: &'static str,
    /// When to use it.
    pub when_to_use: &'static str,
}

/// The national services, crisis lines first.
pub const NATIONAL_SERVICES: &[NationalService] = &[
    NationalService {
        kind: CRISIS_LINE,
        name: "Emergency services",
        contact: "999",
        hours: "Always",
        when_to_use: "If your life or someone else's is in immediate danger.",
    },
    NationalService {
        kind: CRISIS_LINE,
        name: "Samaritans",
        contact: "116 123 (free)",
        hours: "24 hours, every day",
        when_to_use: "To talk to someone, in confidence, about anything that is troubling you.",
    },
    NationalService {
        kind: CRISIS_LINE,
        name: "Shout",
        contact: "Text SHOUT to 85258",
        hours: "24 hours, every day",
        when_to_use: "If you are struggling to cope and would rather text than talk.",
    },
    NationalService {
        kind: CRISIS_LINE,
        name: "NHS 111",
        contact: "111 (option 2 for mental health crisis support in England)",
        hours: "24 hours, every day",
        when_to_use: "For urgent help that is not an emergency, including a mental health crisis.",
    },
    NationalService {
        kind: POLICE_CHARITY,
        name: "Police Care UK",
        contact: "policecare.org.uk",
        hours: "See the website",
        when_to_use: "Confidential support for serving and former officers, staff, volunteers and their families.",
    },
    NationalService {
        kind: POLICE_CHARITY,
        name: "Oscar Kilo, the National Police Wellbeing Service",
        contact: "oscarkilo.org.uk",
        hours: "See the website",
        when_to_use: "National wellbeing resources for police officers and staff.",
    },
];

/// The crisis lines of [`NATIONAL_SERVICES`], in order.
pub fn crisis_lines() -> impl Iterator<Item = &'static NationalService> {
    NATIONAL_SERVICES.iter().filter(|s| s.kind == CRISIS_LINE)
}

/// Longest contact detail an officer may give, characters.
pub const MAX_CONTACT_DETAIL_CHARS: usize = 200;
/// How far ahead a call-back window may start, days.
pub const MAX_WINDOW_AHEAD_DAYS: i64 = 14;
/// Digits a phone number for a call or text must have (UK numbers have 10
/// or 11; international ones up to 15, with room for a `+44 (0)` prefix).
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 6..=20;

/// How an officer wants to be contacted about a call-back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactMethod {
    /// A phone call (needs a number).
    Phone,
    /// A text message (needs a number).
    Text,
    /// An email (needs an address).
    Email,
    /// A message in the app (no contact detail needed).
    App,
}

impl ContactMethod {
    /// Every method, in the order the directory lists them.
    pub const ALL: [ContactMethod; 4] = [
        ContactMethod::Phone,
        ContactMethod::Text,
        ContactMethod::Email,
        ContactMethod::App,
    ];

    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactMethod::Phone => "phone",
            ContactMethod::Text => "text",
            ContactMethod::Email => "email",
            ContactMethod::App => "app",
        }
    }

    /// From the name on the wire; `None` for anything else.
    pub fn parse(s: &str) -> Option<ContactMethod> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Checks a contact detail for this method: a phone number (digits,
    /// spaces, `+ ( ) -`, 6 to 20 digits) for phone and text, an address with
    /// one `@` and no spaces for email, nothing or anything for the app; at
    /// most [`MAX_CONTACT_DETAIL_CHARS`] in every case. Surrounding spaces
    /// are ignored, and a blank detail counts as none.
    ///
    /// # Errors
    /// [`ValidationError::InvalidContact`] saying what is expected (never
    /// echoing the detail, which is personal data).
    pub fn check(self, detail: Option<&str>) -> Result<(), ValidationError> {
        let bad = |expected| Err(ValidationError::InvalidContact { expected });
        let detail = detail.map(str::trim).filter(|d| !d.is_empty());
        if detail.is_some_and(|d| d.chars().count() > MAX_CONTACT_DETAIL_CHARS) {
            return bad("at most 200 characters");
        }
        match (self, detail) {
            (ContactMethod::App, _) => Ok(()),
            (_, None) => bad("required for phone, text and email"),
            (ContactMethod::Phone | ContactMethod::Text, Some(d)) => {
                let digits = d.chars().filter(char::is_ascii_digit).count();
                let allowed = d.chars().all(|c| c.is_ascii_digit() || " +()-".contains(c));
                if allowed && PHONE_DIGITS.contains(&digits) {
                    Ok(())
                } else {
                    bad("a phone number")
                }
            }
            (ContactMethod::Email, Some(d)) => {
                let parts: Vec<&str> = d.split('@').collect();
                let ok = parts.len() == 2
                    && parts.iter().all(|p| !p.is_empty())
                    && !d.chars().any(char::is_whitespace);
                if ok { Ok(()) } else { bad("an email address") }
            }
        }
    }
}

/// `POST /v1/support/callbacks`: what an officer sends to ask for a
/// confidential call-back.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCallback {
    /// A supporter from the directory; absent (or null) for the next
    /// available one.
    #[serde(default)]
    pub supporter_id: Option<Uuid>,
    /// How to make contact.
    pub contact_method: ContactMethod,
    /// The number or address, as the officer chooses to give it (optional
    /// for `app`). Never logged; shown only to the assigned supporter or the
    /// coordinator.
    #[serde(default)]
    pub contact_detail: Option<String>,
    /// Start of the preferred time window (UTC instant).
    pub window_start: DateTime<Utc>,
    /// End of the preferred time window.
    pub window_end: DateTime<Utc>,
}

impl std::fmt::Debug for NewCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCallback")
            .field("supporter_id", &self.supporter_id)
            .field("contact_method", &self.contact_method)
            .field(
                "contact_detail",
                &self.contact_detail.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl NewCallback {
    /// Checks the contact detail for its method ([`ContactMethod::check`])
    /// and the window against `now`: it must end after it starts and in the
    /// future, and start within [`MAX_WINDOW_AHEAD_DAYS`].
    ///
    /// # Errors
    /// [`ValidationError::InvalidContact`] or [`ValidationError::InvalidWindow`].
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), ValidationError> {
        self.contact_method.check(self.contact_detail.as_deref())?;
        if self.window_end <= self.window_start || self.window_end <= now {
            return Err(ValidationError::InvalidWindow {
                reason: "window_end must be after window_start and in the future",
            });
        }
        if self.window_start > now + Duration::days(MAX_WINDOW_AHEAD_DAYS) {
            return Err(ValidationError::InvalidWindow {
                reason: "window_start at most 14 days ahead",
            });
        }
        Ok(())
    }

    /// The contact detail as stored: trimmed, and none when blank.
    pub fn detail(&self) -> Option<&str> {
        self.contact_detail
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
    }
}

/// A call-back request as its officer, supporter or coordinator sees it
/// (the answer of `POST /v1/support/callbacks` and the lists). It never
/// carries the officer's pseudonym or staff number.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Callback {
    /// Id.
    pub id: Uuid,
    /// The assigned supporter; null while waiting for the next available one.
    pub supporter_id: Option<Uuid>,
    /// How to make contact.
    pub contact_method: ContactMethod,
    /// As the officer gave it; null after cancellation.
    pub contact_detail: Option<String>,
    /// Preferred window start.
    pub window_start: DateTime<Utc>,
    /// Preferred window end.
    pub window_end: DateTime<Utc>,
    /// `open`, `acknowledged`, `contacted` or `cancelled` (a string, so a
    /// phone reads a status a newer server adds).
    pub status: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// First acknowledgement.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When the officer was contacted.
    pub contacted_at: Option<DateTime<Utc>>,
    /// Waited unacknowledged past the escalation time (so the coordinator sees it).
    pub escalated: bool,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("id", &self.id)
            .field("status", &self.status)
            .field(
                "contact_detail",
                &self.contact_detail.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// A trained peer supporter in the force's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct PeerSupporter {
    /// The supporter's staff account id: what an officer names in a request.
    pub id: Uuid,
    /// The name they choose to be known by.
    pub display_name: String,
    /// When they can usually be reached, as they describe it.
    pub contact_hours: String,
    /// Channels they use.
    pub channels: Vec<ContactMethod>,
    /// Listed to officers (inactive entries are shown to force admins only);
    /// true when absent.
    #[serde(default = "listed")]
    pub active: bool,
}

fn listed() -> bool {
    true
}

/// A support service in the directory: the force's own (occupational
/// health, TRiM, assistance programme) or a national one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct SupportService {
    /// Id; null (or absent) for the national entries.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Kind: `occupational_health`, `trim`, `assistance_programme`,
    /// [`POLICE_CHARITY`], [`CRISIS_LINE`] or `other`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// How to reach it (number, address, web page).
    pub contact: String,
    /// When it is open.
    pub hours: String,
    /// When to use it.
    pub when_to_use: String,
    /// False for the national entries every force shows.
    pub force_specific: bool,
}

impl From<&NationalService> for SupportService {
    fn from(n: &NationalService) -> Self {
        SupportService {
            id: None,
            kind: n.kind.to_owned(),
            name: n.name.to_owned(),
            contact: n.contact.to_owned(),
            hours: n.hours.to_owned(),
            when_to_use: n.when_to_use.to_owned(),
            force_specific: false,
        }
    }
}

/// `GET /v1/support/directory`: the force's peer-support directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct SupportDirectory {
    /// Trained peer supporters (active ones; force admins see all).
    pub supporters: Vec<PeerSupporter>,
    /// The force's services, then the national entries (`force_specific: false`),
    /// which always include the crisis lines.
    pub services: Vec<SupportService>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn contact_details_are_checked_for_their_method_without_echoing_them() {
        assert_eq!(
            ContactMethod::Phone.check(Some("+44 (0)7700 900123")),
            Ok(())
        );
        assert_eq!(ContactMethod::Text.check(Some(" 07700900123 ")), Ok(()));
        assert_eq!(
            ContactMethod::Email.check(Some("pc.smith@example.org")),
            Ok(())
        );
        assert_eq!(ContactMethod::App.check(None), Ok(()));
        assert_eq!(ContactMethod::App.check(Some("anything")), Ok(()));
        for (m, d, expected) in [
            (
                ContactMethod::Phone,
                None,
                "required for phone, text and email",
            ),
            (
                ContactMethod::Email,
                None,
                "required for phone, text and email",
            ),
            (
                ContactMethod::Text,
                Some("   "),
                "required for phone, text and email",
            ),
            (
                ContactMethod::Phone,
                Some("call me maybe"),
                "a phone number",
            ),
            (ContactMethod::Phone, Some("12345"), "a phone number"),
            (ContactMethod::Text, Some(&"1".repeat(21)), "a phone number"),
            (ContactMethod::Email, Some("no-at-sign"), "an email address"),
            (ContactMethod::Email, Some("a@b@c"), "an email address"),
            (ContactMethod::Email, Some("a @b"), "an email address"),
            (ContactMethod::Email, Some("@b"), "an email address"),
            (
                ContactMethod::App,
                Some(&"1".repeat(201)),
                "at most 200 characters",
            ),
        ] {
            let err = m.check(d).unwrap_err();
            assert_eq!(
                err,
                ValidationError::InvalidContact { expected },
                "{m:?} {d:?}"
            );
            assert_eq!(err.to_string(), format!("contact_detail: {expected}"));
            if let Some(d) = d.filter(|d| !d.trim().is_empty()) {
                assert!(!err.to_string().contains(d), "{err}");
            }
        }
        // The limit counts characters, not bytes.
        let accents = "é".repeat(MAX_CONTACT_DETAIL_CHARS);
        assert_eq!(ContactMethod::App.check(Some(&accents)), Ok(()));
    }

    #[test]
    fn contact_methods_have_one_name_on_the_wire() {
        for m in ContactMethod::ALL {
            assert_eq!(ContactMethod::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        assert_eq!(ContactMethod::parse("pigeon"), None);
        let err = serde_json::from_str::<ContactMethod>("\"pigeon\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `pigeon`"),
            "{err}"
        );
    }

    fn request(start_h: i64, end_h: i64, now: DateTime<Utc>) -> NewCallback {
        NewCallback {
            supporter_id: None,
            contact_method: ContactMethod::App,
            contact_detail: None,
            window_start: now + Duration::hours(start_h),
            window_end: now + Duration::hours(end_h),
        }
    }

    #[test]
    fn windows_must_end_in_the_future_and_start_within_two_weeks() {
        let now = at("2025-03-10T08:00:00Z");
        assert_eq!(request(1, 3, now).check(now), Ok(()));
        assert_eq!(request(-1, 1, now).check(now), Ok(()));
        assert_eq!(request(14 * 24, 14 * 24 + 1, now).check(now), Ok(()));
        let late = "window_end must be after window_start and in the future";
        for (s, e, reason) in [
            (3, 1, late),
            (1, 1, late),
            (-3, -1, late),
            (15 * 24, 15 * 24 + 1, "window_start at most 14 days ahead"),
        ] {
            let err = request(s, e, now).check(now).unwrap_err();
            assert_eq!(err, ValidationError::InvalidWindow { reason }, "{s}..{e}");
            assert_eq!(err.to_string(), reason);
        }
        // The contact detail is checked first, by its method's rule.
        let mut bad = request(1, 3, now);
        bad.contact_method = ContactMethod::Phone;
        assert!(matches!(
            bad.check(now),
            Err(ValidationError::InvalidContact { .. })
        ));
    }

    #[test]
    fn a_callback_request_has_its_wire_shape_and_refuses_malformed_json() {
        let json = serde_json::json!({
            "supporter_id": "7c1e6f0a-5a43-4c55-9a4e-2f5b8f1d2c3b",
            "contact_method": "phone",
            "contact_detail": "07700 900123",
            "window_start": "2025-03-10T10:00:00Z",
            "window_end": "2025-03-10T12:00:00Z",
        });
        let r: NewCallback = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(r.contact_method, ContactMethod::Phone);
        assert_eq!(serde_json::to_value(&r).unwrap(), json);
        assert_eq!(r.check(at("2025-03-10T08:00:00Z")), Ok(()));
        // Optional fields may be left out.
        let r: NewCallback = serde_json::from_value(serde_json::json!({
            "contact_method": "app",
            "window_start": "2025-03-10T10:00:00Z",
            "window_end": "2025-03-10T12:00:00Z",
        }))
        .unwrap();
        assert_eq!((r.supporter_id, r.contact_detail), (None, None));
        for (field, value, says) in [
            ("supporter_id", serde_json::json!("not-a-uuid"), "UUID"),
            (
                "contact_method",
                serde_json::json!("pigeon"),
                "unknown variant",
            ),
            ("window_end", serde_json::json!("tomorrow"), "input"),
            (
                "pseudonym",
                serde_json::json!("x"),
                "unknown field `pseudonym`",
            ),
        ] {
            let mut bad = json.clone();
            bad[field] = value;
            let err = serde_json::from_value::<NewCallback>(bad).unwrap_err();
            assert!(err.to_string().contains(says), "{field}: {err}");
        }
    }

    #[test]
    fn the_contact_detail_is_stored_trimmed_and_never_shown_in_debug_output() {
        let now = at("2025-03-10T08:00:00Z");
        let mut r = request(1, 2, now);
        r.contact_method = ContactMethod::Phone;
        r.contact_detail = Some("  07700900123 ".to_owned());
        assert_eq!(r.detail(), Some("07700900123"));
        assert!(!format!("{r:?}").contains("07700900123"));
        r.contact_detail = Some("   ".to_owned());
        assert_eq!(r.detail(), None);
        let answer = Callback {
            id: Uuid::nil(),
            supporter_id: None,
            contact_method: ContactMethod::Phone,
            contact_detail: Some("07700900123".to_owned()),
            window_start: now,
            window_end: now,
            status: "open".to_owned(),
            created_at: now,
            acknowledged_at: None,
            contacted_at: None,
            escalated: false,
        };
        assert!(!format!("{answer:?}").contains("07700900123"));
    }

    #[test]
    fn a_callback_answer_and_the_directory_keep_their_wire_shape() {
        let answer = serde_json::json!({
            "id": "00000000-0000-0000-0000-000000000010",
            "supporter_id": null,
            "contact_method": "app",
            "contact_detail": null,
            "window_start": "2025-03-10T10:00:00Z",
            "window_end": "2025-03-10T12:00:00Z",
            "status": "open",
            "created_at": "2025-03-10T08:00:00Z",
            "acknowledged_at": null,
            "contacted_at": null,
            "escalated": false,
        });
        let cb: Callback = serde_json::from_value(answer.clone()).unwrap();
        assert_eq!(serde_json::to_value(&cb).unwrap(), answer);
        let mut no_id = answer.clone();
        no_id.as_object_mut().unwrap().remove("id");
        let err = serde_json::from_value::<Callback>(no_id).unwrap_err();
        assert!(err.to_string().contains("missing field `id`"), "{err}");

        let directory = serde_json::json!({
            "supporters": [{
                "id": "7c1e6f0a-5a43-4c55-9a4e-2f5b8f1d2c3b", "display_name": "Pat",
                "contact_hours": "Weekdays", "channels": ["phone", "app"], "active": true,
            }],
            "services": [{
                "id": null, "kind": "crisis_line", "name": "Samaritans", "contact": "116 123",
                "hours": "24 hours", "when_to_use": "any time", "force_specific": false,
            }],
        });
        let d: SupportDirectory = serde_json::from_value(directory.clone()).unwrap();
        assert_eq!(
            d.supporters[0].channels,
            [ContactMethod::Phone, ContactMethod::App]
        );
        assert_eq!(serde_json::to_value(&d).unwrap(), directory);
        let bad = serde_json::json!({"supporters": [], "services": [{"kind": "trim"}]});
        let err = serde_json::from_value::<SupportDirectory>(bad).unwrap_err();
        assert!(err.to_string().contains("missing field `name`"), "{err}");
    }

    #[test]
    fn national_entries_become_directory_services_that_are_not_force_specific() {
        let services: Vec<SupportService> = NATIONAL_SERVICES.iter().map(Into::into).collect();
        assert_eq!(services.len(), NATIONAL_SERVICES.len());
        assert!(services.iter().all(|s| !s.force_specific && s.id.is_none()));
        assert_eq!(services[0].contact, "999");
        assert_eq!(services[0].kind, CRISIS_LINE);
    }

    #[test]
    fn crisis_lines_come_first_and_include_999_and_samaritans() {
        let first_other = NATIONAL_SERVICES
            .iter()
            .position(|s| s.kind != CRISIS_LINE)
            .unwrap_or(NATIONAL_SERVICES.len());
        assert!(
            NATIONAL_SERVICES[first_other..]
                .iter()
                .all(|s| s.kind != CRISIS_LINE)
        );
        let contacts: Vec<&str> = crisis_lines().map(|s| s.contact).collect();
        assert_eq!(contacts.first(), Some(&"999"));
        assert!(contacts.iter().any(|c| c.starts_with("116 123")));
        for s in NATIONAL_SERVICES {
            assert!([CRISIS_LINE, POLICE_CHARITY].contains(&s.kind));
            assert!(!s.name.is_empty() && !s.contact.is_empty() && !s.when_to_use.is_empty());
        }
    }
}
