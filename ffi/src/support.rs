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
use serde::Deserialize;
use serde_json::json;

use crate::CoachError;
use crate::api::{ApiTransport, call, unreadable};
use crate::types::{system_time, utc};

/// The longest contact detail the server takes, characters.
const MAX_CONTACT_DETAIL_CHARS: usize = 200;

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

impl ContactMethod {
    fn as_str(self) -> &'static str {
        match self {
            ContactMethod::Phone => "phone",
            ContactMethod::Text => "text",
            ContactMethod::Email => "email",
            ContactMethod::App => "app",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Phone, Self::Text, Self::Email, Self::App]
            .into_iter()
            .find(|m| m.as_str() == s)
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

#[derive(Deserialize)]
struct DirectoryBody {
    supporters: Vec<SupporterBody>,
    services: Vec<ServiceBody>,
}

#[derive(Deserialize)]
struct SupporterBody {
    id: String,
    display_name: String,
    contact_hours: String,
    channels: Vec<String>,
    #[serde(default = "active")]
    active: bool,
}

fn active() -> bool {
    true
}

#[derive(Deserialize)]
struct ServiceBody {
    kind: String,
    name: String,
    contact: String,
    hours: String,
    when_to_use: String,
    force_specific: bool,
}

#[derive(Deserialize)]
struct CallbackBody {
    id: String,
    supporter_id: Option<String>,
    contact_method: String,
    contact_detail: Option<String>,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
    status: String,
    created_at: DateTime<Utc>,
}

fn service(s: ServiceBody) -> SupportService {
    SupportService {
        kind: s.kind,
        name: s.name,
        contact: s.contact,
        hours: s.hours,
        when_to_use: s.when_to_use,
        force_specific: s.force_specific,
    }
}

/// The national crisis lines (999, Samaritans, Shout, NHS 111), built into
/// the library: show these when [`crate::FatigueCoach::support_directory`]
/// cannot reach the server, so the support screen is never empty. The same
/// list the server ends every force's directory with
/// (`models::support::NATIONAL_SERVICES`). No network, no storage.
#[uniffi::export]
pub fn offline_crisis_lines() -> Vec<SupportService> {
    models::support::crisis_lines()
        .map(|n| SupportService {
            kind: n.kind.to_owned(),
            name: n.name.to_owned(),
            contact: n.contact.to_owned(),
            hours: n.hours.to_owned(),
            when_to_use: n.when_to_use.to_owned(),
            force_specific: false,
        })
        .collect()
}

/// `GET /v1/support/directory`.
pub(crate) fn directory(transport: &dyn ApiTransport) -> Result<SupportDirectory, CoachError> {
    let body = call(transport, "GET", "/v1/support/directory", None)?;
    let d: DirectoryBody = serde_json::from_str(&body).map_err(|_| unreadable())?;
    let services: Vec<SupportService> = d.services.into_iter().map(service).collect();
    Ok(SupportDirectory {
        supporters: d
            .supporters
            .into_iter()
            .filter(|s| s.active)
            .map(|s| PeerSupporter {
                id: s.id,
                display_name: s.display_name,
                contact_hours: s.contact_hours,
                channels: s.channels,
            })
            .collect(),
        crisis_lines: services
            .iter()
            .filter(|s| s.kind == "crisis_line")
            .cloned()
            .collect(),
        services,
    })
}

fn stored(b: CallbackBody) -> Result<StoredCallback, CoachError> {
    if ContactMethod::parse(&b.contact_method).is_none() {
        return Err(unreadable());
    }
    Ok(StoredCallback {
        id: b.id,
        supporter_id: b.supporter_id,
        contact_method: b.contact_method,
        contact_detail: b.contact_detail,
        window_start: b.window_start,
        window_end: b.window_end,
        status: b.status,
        created_at: b.created_at,
    })
}

/// The app's view of a kept request.
pub(crate) fn view(c: StoredCallback) -> SupportCallback {
    SupportCallback {
        id: c.id,
        supporter_id: c.supporter_id,
        contact_method: ContactMethod::parse(&c.contact_method).unwrap_or(ContactMethod::App),
        contact_detail: c.contact_detail,
        window_start: system_time(c.window_start),
        window_end: system_time(c.window_end),
        status: CallbackStatus::parse(&c.status),
        created_at: system_time(c.created_at),
    }
}

/// Checks a request on the phone (the server checks again) and returns
/// its JSON body.
pub(crate) fn request_body(
    request: &CallbackRequest,
    now: DateTime<Utc>,
) -> Result<String, CoachError> {
    let (start, end) = (utc(request.window_start)?, utc(request.window_end)?);
    if end <= start {
        return Err(CoachError::invalid("window_end must be after window_start"));
    }
    if end <= now {
        return Err(CoachError::invalid("window_end must be in the future"));
    }
    let detail = request
        .contact_detail
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    if detail.is_some_and(|d| d.chars().count() > MAX_CONTACT_DETAIL_CHARS) {
        return Err(CoachError::invalid(format!(
            "contact_detail must be at most {MAX_CONTACT_DETAIL_CHARS} characters"
        )));
    }
    if detail.is_none() && request.contact_method != ContactMethod::App {
        return Err(CoachError::invalid(
            "contact_detail is required for phone, text and email",
        ));
    }
    if request.supporter_id.as_deref().is_some_and(str::is_empty) {
        return Err(CoachError::invalid(
            "supporter_id must be a directory id or absent",
        ));
    }
    Ok(json!({
        "supporter_id": request.supporter_id,
        "contact_method": request.contact_method.as_str(),
        "contact_detail": detail,
        "window_start": start,
        "window_end": end,
    })
    .to_string())
}

/// `POST /v1/support/callbacks`, then keeps the answer.
pub(crate) fn send_request(
    transport: &dyn ApiTransport,
    body: String,
) -> Result<StoredCallback, CoachError> {
    let answer = call(transport, "POST", "/v1/support/callbacks", Some(body))?;
    stored(serde_json::from_str(&answer).map_err(|_| unreadable())?)
}

/// `GET /v1/support/callbacks/mine`.
pub(crate) fn mine(transport: &dyn ApiTransport) -> Result<Vec<StoredCallback>, CoachError> {
    let body = call(transport, "GET", "/v1/support/callbacks/mine", None)?;
    let list: Vec<CallbackBody> = serde_json::from_str(&body).map_err(|_| unreadable())?;
    list.into_iter().map(stored).collect()
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
