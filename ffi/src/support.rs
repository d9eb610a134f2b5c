//! Peer support (`docs/peer-support.md`): the force's support directory and
//! confidential call-back requests, through the app's HTTP stack.
//!
//! The library builds each request and reads each answer; the app's
//! [`crate::ApiTransport`] sends it with the device's bearer token. A call-back
//! request carries only what the officer typed (a contact method, an
//! optional detail, a time window, optionally a supporter): the store keeps
//! that and the server's answer, and `erase_all` removes it.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use mobile_core::store::{Store, StoredCallback};
use models::support::{self as wire, NewCallback};
use uuid::Uuid;

use crate::CoachError;
use crate::api::{ApiTransport, call, unreadable};
use crate::types::{system_time, utc};

/// How the officer wants to be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ContactMethod {
    /// A phone call (needs a number).
    Phone,
    /// A text message (needs a number).
    Text,
    /// An email (needs an address).
    Email,
    /// A message in the app (no detail needed).
    App,
}

impl From<ContactMethod> for wire::ContactMethod {
    fn from(m: ContactMethod) -> Self {
        match m {
            ContactMethod::Phone => wire::ContactMethod::Phone,
            ContactMethod::Text => wire::ContactMethod::Text,
            ContactMethod::Email => wire::ContactMethod::Email,
            ContactMethod::App => wire::ContactMethod::App,
        }
    }
}

impl From<wire::ContactMethod> for ContactMethod {
    fn from(m: wire::ContactMethod) -> Self {
        match m {
            wire::ContactMethod::Phone => ContactMethod::Phone,
            wire::ContactMethod::Text => ContactMethod::Text,
            wire::ContactMethod::Email => ContactMethod::Email,
            wire::ContactMethod::App => ContactMethod::App,
        }
    }
}

/// A call-back request as the officer fills it in.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CallbackRequest {
    /// A supporter's id from the directory, or `None` for the next available.
    pub supporter_id: Option<String>,
    /// How to make contact.
    pub contact_method: ContactMethod,
    /// The number or address (required for phone, text and email; at most
    /// 200 characters). Only the chosen supporter sees it.
    pub contact_detail: Option<String>,
    /// The start of the time the officer can take the call.
    pub window_start: SystemTime,
    /// Its end (in the future, after the start, starting within 14 days).
    pub window_end: SystemTime,
}

/// Where a call-back request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CallbackStatus {
    /// Waiting for the supporter.
    Open,
    /// The supporter has seen it and will call.
    Acknowledged,
    /// The supporter made contact.
    Contacted,
    /// The officer cancelled it.
    Cancelled,
    /// A status this version does not know (a newer server).
    Other,
}

impl CallbackStatus {
    fn parse(s: &str) -> Self {
        match s {
            "open" => Self::Open,
            "acknowledged" => Self::Acknowledged,
            "contacted" => Self::Contacted,
            "cancelled" => Self::Cancelled,
            _ => Self::Other,
        }
    }
}

/// A call-back request the officer made.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SupportCallback {
    /// The server's id.
    pub id: String,
    /// The supporter asked for (`None`: the next available one).
    pub supporter_id: Option<String>,
    /// How to make contact.
    pub contact_method: ContactMethod,
    /// What the officer typed (erased once cancelled).
    pub contact_detail: Option<String>,
    /// The window given.
    pub window_start: SystemTime,
    /// Its end.
    pub window_end: SystemTime,
    /// Where it is.
    pub status: CallbackStatus,
    /// When the server took it.
    pub created_at: SystemTime,
}

/// A trained peer supporter in the force's directory.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PeerSupporter {
    /// Their id (pass it in [`CallbackRequest::supporter_id`]).
    pub id: String,
    /// The name they choose to be known by.
    pub display_name: String,
    /// When they take calls, as they wrote it.
    pub contact_hours: String,
    /// `phone`, `text`, `email`, `app`.
    pub channels: Vec<String>,
}

/// A support service: the force's (occupational health, TRiM, assistance
/// programme) or a national one (police charities, crisis lines).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SupportService {
    /// `occupational_health`, `trim`, `assistance_programme`,
    /// `police_charity`, `crisis_line` or `other`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// How to reach it.
    pub contact: String,
    /// When.
    pub hours: String,
    /// When to use it.
    pub when_to_use: String,
    /// The force's own entry (false for the national list).
    pub force_specific: bool,
}

/// The force's support directory.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SupportDirectory {
    /// Active peer supporters.
    pub supporters: Vec<PeerSupporter>,
    /// Every service, the force's first.
    pub services: Vec<SupportService>,
    /// The services of kind `crisis_line`: always show these on the
    /// support screen.
    pub crisis_lines: Vec<SupportService>,
}

impl From<wire::SupportService> for SupportService {
    fn from(s: wire::SupportService) -> Self {
        SupportService {
            kind: s.kind,
            name: s.name,
            contact: s.contact,
            hours: s.hours,
            when_to_use: s.when_to_use,
            force_specific: s.force_specific,
        }
    }
}

impl From<wire::PeerSupporter> for PeerSupporter {
    fn from(s: wire::PeerSupporter) -> Self {
        PeerSupporter {
            id: s.id.to_string(),
            display_name: s.display_name,
            contact_hours: s.contact_hours,
            channels: s.channels.iter().map(|c| c.as_str().to_owned()).collect(),
        }
    }
}

/// The national crisis lines (999, Samaritans, Shout, NHS 111), built into
/// the library: show these when [`crate::FatigueCoach::support_directory`]
/// cannot reach the server, so the support screen is never empty. The same
/// list the server ends every force's directory with
/// (`models::support::NATIONAL_SERVICES`). No network, no storage.
#[uniffi::export]
pub fn offline_crisis_lines() -> Vec<SupportService> {
    wire::crisis_lines()
        .map(|n| wire::SupportService::from(n).into())
        .collect()
}

/// `GET /v1/support/directory`.
pub(crate) fn directory(transport: &dyn ApiTransport) -> Result<SupportDirectory, CoachError> {
    let body = call(transport, "GET", "/v1/support/directory", None)?;
    let d: wire::SupportDirectory = serde_json::from_str(&body).map_err(|_| unreadable())?;
    let services: Vec<SupportService> = d.services.into_iter().map(Into::into).collect();
    Ok(SupportDirectory {
        supporters: d
            .supporters
            .into_iter()
            .filter(|s| s.active)
            .map(Into::into)
            .collect(),
        crisis_lines: services
            .iter()
            .filter(|s| s.kind == wire::CRISIS_LINE)
            .cloned()
            .collect(),
        services,
    })
}

fn stored(b: wire::Callback) -> StoredCallback {
    StoredCallback {
        id: b.id.to_string(),
        supporter_id: b.supporter_id.map(|s| s.to_string()),
        contact_method: b.contact_method.as_str().to_owned(),
        contact_detail: b.contact_detail,
        window_start: b.window_start,
        window_end: b.window_end,
        status: b.status,
        created_at: b.created_at,
    }
}

/// The app's view of a kept request.
pub(crate) fn view(c: StoredCallback) -> SupportCallback {
    SupportCallback {
        id: c.id,
        supporter_id: c.supporter_id,
        contact_method: wire::ContactMethod::parse(&c.contact_method)
            .map_or(ContactMethod::App, Into::into),
        contact_detail: c.contact_detail,
        window_start: system_time(c.window_start),
        window_end: system_time(c.window_end),
        status: CallbackStatus::parse(&c.status),
        created_at: system_time(c.created_at),
    }
}

/// Checks a request on the phone by the server's own rules
/// ([`NewCallback::check`]; the server checks again) and returns its JSON body.
pub(crate) fn request_body(
    request: &CallbackRequest,
    now: DateTime<Utc>,
) -> Result<String, CoachError> {
    let supporter_id =
        match request.supporter_id.as_deref() {
            None => None,
            Some(id) => Some(Uuid::parse_str(id).map_err(|_| {
                CoachError::invalid("supporter_id must be a directory id or absent")
            })?),
        };
    let mut body = NewCallback {
        supporter_id,
        contact_method: request.contact_method.into(),
        contact_detail: request.contact_detail.clone(),
        window_start: utc(request.window_start)?,
        window_end: utc(request.window_end)?,
    };
    body.check(now)?;
    // Only what the officer typed, as the server will keep it.
    body.contact_detail = body.detail().map(str::to_owned);
    serde_json::to_string(&body)
        .map_err(|_| CoachError::invalid("the request could not be written"))
}

/// `POST /v1/support/callbacks`, then keeps the answer.
pub(crate) fn send_request(
    transport: &dyn ApiTransport,
    body: String,
) -> Result<StoredCallback, CoachError> {
    let answer = call(transport, "POST", "/v1/support/callbacks", Some(body))?;
    Ok(stored(
        serde_json::from_str(&answer).map_err(|_| unreadable())?,
    ))
}

/// `GET /v1/support/callbacks/mine`.
pub(crate) fn mine(transport: &dyn ApiTransport) -> Result<Vec<StoredCallback>, CoachError> {
    let body = call(transport, "GET", "/v1/support/callbacks/mine", None)?;
    let list: Vec<wire::Callback> = serde_json::from_str(&body).map_err(|_| unreadable())?;
    Ok(list.into_iter().map(stored).collect())
}

/// `POST /v1/support/callbacks/{id}/cancel`.
pub(crate) fn cancel(transport: &dyn ApiTransport, id: &str) -> Result<(), CoachError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(CoachError::invalid("the call-back id is not a server id"));
    }
    call(
        transport,
        "POST",
        &format!("/v1/support/callbacks/{id}/cancel"),
        Some("{}".into()),
    )?;
    Ok(())
}

/// Marks a kept request cancelled and erases its contact detail.
pub(crate) fn forget_detail(store: &mut Store, id: &str) -> Result<(), CoachError> {
    if let Some(mut c) = store.callbacks()?.into_iter().find(|c| c.id == id) {
        c.status = "cancelled".into();
        c.contact_detail = None;
        store.put_callback(&c)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;

    use models::api::{EnrolRequest, SessionTokens};

    use super::*;
    use crate::sync::{HttpResponse, TransportError};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Records each request's body and answers with a fixed reply.
    struct Recorder {
        sent: Mutex<Vec<Option<String>>>,
        reply: String,
    }

    impl ApiTransport for Recorder {
        fn request(
            &self,
            _method: String,
            _path: String,
            body: Option<String>,
        ) -> Result<HttpResponse, TransportError> {
            self.sent.lock().unwrap().push(body);
            Ok(HttpResponse {
                status: 200,
                body: self.reply.clone(),
            })
        }
    }

    #[test]
    fn a_callback_request_body_is_exactly_the_models_json() {
        let now = at("2025-03-10T08:00:00Z");
        let request = CallbackRequest {
            supporter_id: Some("7c1e6f0a-5a43-4c55-9a4e-2f5b8f1d2c3b".into()),
            contact_method: ContactMethod::Phone,
            contact_detail: Some("  07700 900123 ".into()),
            window_start: system_time(at("2025-03-10T10:00:00Z")),
            window_end: system_time(at("2025-03-10T12:30:00Z")),
        };
        let body = request_body(&request, now).unwrap();
        let expected = NewCallback {
            supporter_id: Some(Uuid::parse_str("7c1e6f0a-5a43-4c55-9a4e-2f5b8f1d2c3b").unwrap()),
            contact_method: wire::ContactMethod::Phone,
            contact_detail: Some("07700 900123".into()),
            window_start: at("2025-03-10T10:00:00Z"),
            window_end: at("2025-03-10T12:30:00Z"),
        };
        assert_eq!(body, serde_json::to_string(&expected).unwrap());
        assert_eq!(
            serde_json::from_str::<NewCallback>(&body).unwrap(),
            expected
        );
        // The wire shape the server has always read.
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap(),
            serde_json::json!({
                "supporter_id": "7c1e6f0a-5a43-4c55-9a4e-2f5b8f1d2c3b",
                "contact_method": "phone",
                "contact_detail": "07700 900123",
                "window_start": "2025-03-10T10:00:00Z",
                "window_end": "2025-03-10T12:30:00Z",
            })
        );
        let anyone = CallbackRequest {
            supporter_id: None,
            contact_method: ContactMethod::App,
            contact_detail: Some("   ".into()),
            ..request
        };
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&request_body(&anyone, now).unwrap())
                .unwrap(),
            serde_json::json!({
                "supporter_id": null,
                "contact_method": "app",
                "contact_detail": null,
                "window_start": "2025-03-10T10:00:00Z",
                "window_end": "2025-03-10T12:30:00Z",
            })
        );
    }

    #[test]
    fn the_phone_refuses_what_the_server_would_with_the_same_code() {
        let now = at("2025-03-10T08:00:00Z");
        let good = CallbackRequest {
            supporter_id: None,
            contact_method: ContactMethod::Email,
            contact_detail: Some("pc.smith@example.org".into()),
            window_start: system_time(at("2025-03-10T10:00:00Z")),
            window_end: system_time(at("2025-03-10T12:00:00Z")),
        };
        assert!(request_body(&good, now).is_ok());
        let cases = [
            (
                CallbackRequest {
                    contact_detail: Some("no-at-sign".into()),
                    ..good.clone()
                },
                "invalid_contact",
            ),
            (
                CallbackRequest {
                    window_start: system_time(at("2025-03-30T10:00:00Z")),
                    window_end: system_time(at("2025-03-30T12:00:00Z")),
                    ..good.clone()
                },
                "invalid_window",
            ),
            (
                CallbackRequest {
                    supporter_id: Some("pat".into()),
                    ..good.clone()
                },
                "supporter_id",
            ),
        ];
        for (request, word) in cases {
            match request_body(&request, now) {
                Err(CoachError::InvalidInput { detail }) => {
                    assert!(detail.contains(word), "{detail}");
                    assert!(!detail.contains("no-at-sign"), "{detail}");
                }
                other => panic!("{word}: {other:?}"),
            }
        }
    }

    #[test]
    fn enrolment_sends_the_models_request_and_reads_the_models_tokens() {
        let tokens = SessionTokens {
            access_token: "a.b.c".into(),
            token_type: "Bearer".into(),
            expires_in: 900,
            refresh_token: Some("f.r".into()),
            device_id: Some("5f0c7c1e-0000-4000-8000-00000000abcd".into()),
        };
        let api = Recorder {
            sent: Mutex::new(Vec::new()),
            reply: serde_json::to_string(&tokens).unwrap(),
        };
        let e = crate::api::enrol(&api, "kent", "GOOD-CODE").unwrap();
        assert_eq!(
            (
                e.access_token.as_str(),
                e.refresh_token.as_str(),
                e.device_id.as_str()
            ),
            ("a.b.c", "f.r", "5f0c7c1e-0000-4000-8000-00000000abcd")
        );
        let sent = api.sent.lock().unwrap().clone();
        let request = EnrolRequest {
            force: "kent".into(),
            code: "GOOD-CODE".into(),
        };
        assert_eq!(sent, [Some(serde_json::to_string(&request).unwrap())]);
        assert_eq!(
            sent[0].as_deref(),
            Some(r#"{"force":"kent","code":"GOOD-CODE"}"#)
        );
        // A blank code never reaches the server.
        assert!(matches!(
            crate::api::enrol(&api, "kent", " "),
            Err(CoachError::InvalidInput { .. })
        ));
        assert_eq!(api.sent.lock().unwrap().len(), 1);
    }

    #[test]
    fn answers_are_read_as_the_models_bodies() {
        let answer = serde_json::json!({
            "id": "00000000-0000-0000-0000-000000000010",
            "supporter_id": "7c1e6f0a-5a43-4c55-9a4e-2f5b8f1d2c3b",
            "contact_method": "text",
            "contact_detail": "07700900123",
            "window_start": "2025-03-10T10:00:00Z",
            "window_end": "2025-03-10T12:00:00Z",
            "status": "acknowledged",
            "created_at": "2025-03-10T08:00:00Z",
            "acknowledged_at": "2025-03-10T08:05:00Z",
            "contacted_at": null,
            "escalated": false,
        });
        let api = Recorder {
            sent: Mutex::new(Vec::new()),
            reply: answer.to_string(),
        };
        let kept = send_request(&api, "{}".into()).unwrap();
        let seen = view(kept);
        assert_eq!(seen.id, "00000000-0000-0000-0000-000000000010");
        assert_eq!(seen.contact_method, ContactMethod::Text);
        assert_eq!(seen.status, CallbackStatus::Acknowledged);
        let mut unknown = answer.clone();
        unknown["contact_method"] = "pigeon".into();
        let api = Recorder {
            sent: Mutex::new(Vec::new()),
            reply: unknown.to_string(),
        };
        assert!(matches!(
            send_request(&api, "{}".into()),
            Err(CoachError::NotReady { .. })
        ));
    }
}
