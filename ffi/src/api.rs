//! The API's JSON endpoints through the app's HTTP stack: the transport
//! the app implements, the mapping of answers to [`CoachError`], enrolment
//! (the device id the server issues, which every sync batch must carry),
//! and pairing a second phone from an enrolled one.

use std::time::SystemTime;

use models::api::{DeviceList, EnrolRequest, SessionTokens};

use crate::CoachError;
use crate::sync::{HttpResponse, TransportError};
use crate::types::system_time;

/// The app's HTTP stack for the API's JSON endpoints (Swift URLSession,
/// Kotlin OkHttp, Python urllib). `request` must send `method` (`GET` or
/// `POST`) to the server's base URL followed by `path` (e.g.
/// `/v1/support/directory`), with the officer's bearer token, and `body`
/// (JSON, `Content-Type: application/json`) when there is one; and return
/// the status and body whatever the status. Throw
/// [`TransportError::Unreachable`] only when no HTTP answer came back.
/// Called on the thread that called the coach, without the store locked.
#[uniffi::export(callback_interface)]
pub trait ApiTransport: Send + Sync {
    /// Sends one request and returns the server's answer.
    fn request(
        &self,
        method: String,
        path: String,
        body: Option<String>,
    ) -> Result<HttpResponse, TransportError>;
}

/// What enrolment returns. Keep the tokens in the platform's secure storage
/// (iOS Keychain, Android Keystore), never in a file: the library does not
/// store them.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Enrolment {
    /// The bearer token for the API (minutes long).
    pub access_token: String,
    /// The token that gets a new access token (`POST /v1/auth/refresh`).
    pub refresh_token: String,
    /// The device id the server issued; the coach now puts it in every batch.
    pub device_id: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// A pairing code to show on this phone, for the officer to type on their
/// new phone's enrolment screen ([`crate::FatigueCoach::enrol_device`]).
/// Single use; do not log it or keep it past `expires_at`.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct PairingCode {
    /// The code.
    pub code: String,
    /// When it stops working (10 minutes after it was asked for).
    pub expires_at: SystemTime,
}

impl std::fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingCode")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// One of the officer's devices, as the server lists them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PairedDevice {
    /// The device id the server issued.
    pub id: String,
    /// When it was enrolled or paired (the server's clock).
    pub created_at: SystemTime,
    /// Whether it is this phone.
    pub this_device: bool,
}

/// `POST /v1/me/pairing-codes` with this phone's token.
pub(crate) fn pairing_code(transport: &dyn ApiTransport) -> Result<PairingCode, CoachError> {
    let answer = call(transport, "POST", "/v1/me/pairing-codes", None)?;
    let code: models::api::PairingCode = serde_json::from_str(&answer).map_err(|_| unreadable())?;
    Ok(PairingCode {
        code: code.code,
        expires_at: system_time(code.expires_at),
    })
}

/// `GET /v1/me/devices` with this phone's token.
pub(crate) fn devices(transport: &dyn ApiTransport) -> Result<Vec<PairedDevice>, CoachError> {
    let answer = call(transport, "GET", "/v1/me/devices", None)?;
    let list: DeviceList = serde_json::from_str(&answer).map_err(|_| unreadable())?;
    Ok(list
        .devices
        .into_iter()
        .map(|d| PairedDevice {
            id: d.id,
            created_at: system_time(d.created_at),
            this_device: d.this_device,
        })
        .collect())
}

/// `POST /v1/enrol` with a one-time enrolment or pairing code.
pub(crate) fn enrol(
    transport: &dyn ApiTransport,
    force: &str,
    code: &str,
) -> Result<Enrolment, CoachError> {
    let request = EnrolRequest {
        force: force.to_owned(),
        code: code.to_owned(),
    };
    request.check()?;
    let body = serde_json::to_string(&request).map_err(|_| unreadable())?;
    let reply = send(transport, "POST", "/v1/enrol", Some(body))?;
    if reply.status == 401 {
        // Here the credentials are the code the officer typed.
        return Err(CoachError::invalid(
            "the code was not accepted (wrong, used or expired)",
        ));
    }
    let answer = answer(reply)?;
    let tokens: SessionTokens = serde_json::from_str(&answer).map_err(|_| unreadable())?;
    let (refresh_token, device_id) = tokens.device_credentials().map_err(|_| unreadable())?;
    Ok(Enrolment {
        refresh_token: refresh_token.to_owned(),
        device_id: device_id.to_owned(),
        access_token: tokens.access_token,
    })
}

pub(crate) fn unreadable() -> CoachError {
    CoachError::not_ready("the server's answer could not be read")
}

/// Sends one request and returns a 2xx body, or the error the app acts on:
/// `NotReady` when the server could not be reached, is failing, or wants a
/// new sign-in; `InvalidInput` naming the server's stable problem code when
/// it refused the request itself.
pub(crate) fn call(
    transport: &dyn ApiTransport,
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<String, CoachError> {
    answer(send(transport, method, path, body)?)
}

fn send(
    transport: &dyn ApiTransport,
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<HttpResponse, CoachError> {
    transport
        .request(method.into(), path.into(), body)
        .map_err(|_| CoachError::not_ready("the server could not be reached"))
}

/// A 2xx body, or the error for the status.
fn answer(reply: HttpResponse) -> Result<String, CoachError> {
    match reply.status {
        200..=299 => Ok(reply.body),
        401 | 403 => Err(CoachError::not_ready(
            "the server refused the credentials: sign in again",
        )),
        408 | 429 | 500..=599 => Err(CoachError::not_ready(format!(
            "the server is unavailable (status {})",
            reply.status
        ))),
        status => {
            // The problem's `code` is a stable snake_case word; the server's
            // messages never repeat what was sent.
            let code = serde_json::from_str::<serde_json::Value>(&reply.body)
                .ok()
                .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
                .filter(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                .unwrap_or_else(|| format!("status_{status}"));
            Err(CoachError::invalid(format!(
                "the server refused the request: {code}"
            )))
        }
    }
}
