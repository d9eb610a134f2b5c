//! Request and response bodies of the server's phone-facing API
//! (`docs/api.md`): enrolment, second-phone pairing, token refresh and
//! consent. Staff-facing bodies live in the server; these are shared so the
//! phone and the server agree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// `Err(Required)` when `value` is blank.
fn required(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(ValidationError::Required { field })
    } else {
        Ok(())
    }
}

/// What an officer shares beyond the roster-derived risk the force computes
/// from its own rosters anyway. Ordered: each level includes the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentLevel {
    /// Roster-derived risk only: the server accepts no health records.
    RosterOnly,
    /// Plus daily sleep and recovery summaries.
    Sleep,
    /// Plus check-ins.
    SleepAndCheckIns,
}

impl ConsentLevel {
    /// The stored name (`roster_only`, `sleep`, `sleep_and_check_ins`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentLevel::RosterOnly => "roster_only",
            ConsentLevel::Sleep => "sleep",
            ConsentLevel::SleepAndCheckIns => "sleep_and_check_ins",
        }
    }

    /// From the stored name; anything unknown reads as the narrowest level.
    pub fn from_stored(s: &str) -> ConsentLevel {
        match s {
            "sleep" => ConsentLevel::Sleep,
            "sleep_and_check_ins" => ConsentLevel::SleepAndCheckIns,
            _ => ConsentLevel::RosterOnly,
        }
    }

    /// Whether a record kind ([`crate::SyncRecord::kind`]) may be shared at
    /// this level. Learning progress is allowed at every level: it says which
    /// modules were read, nothing about health.
    pub fn allows(self, kind: &str) -> bool {
        match kind {
            "daily_summary" => self >= ConsentLevel::Sleep,
            "check_in" => self >= ConsentLevel::SleepAndCheckIns,
            "learning_progress" => true,
            _ => false,
        }
    }
}

/// `POST /v1/enrol`: a phone redeems a one-time code: an enrolment code the
/// force issued, or a pairing code an enrolled phone of the same person
/// asked for ([`PairingCode`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The force's short name (slug).
    pub force: String,
    /// The one-time enrolment or pairing code.
    pub code: String,
}

impl EnrolRequest {
    /// Checks that the force and the code are given.
    ///
    /// # Errors
    /// [`ValidationError::Required`] naming the blank field.
    pub fn check(&self) -> Result<(), ValidationError> {
        required("force", &self.force)?;
        required("code", &self.code)
    }
}

/// `POST /v1/auth/refresh`: a device swaps its refresh token for new tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from enrolment or the previous refresh.
    pub refresh_token: String,
}

impl RefreshRequest {
    /// Checks that the token is given.
    ///
    /// # Errors
    /// [`ValidationError::Required`].
    pub fn check(&self) -> Result<(), ValidationError> {
        required("refresh_token", &self.refresh_token)
    }
}

/// Tokens for a device (enrolment and refresh) or a member of staff (sign-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct SessionTokens {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires (at most 900).
    pub expires_in: u64,
    /// Single-use refresh token (devices only); the next refresh needs the new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The device id to put in sync batches (devices only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

impl SessionTokens {
    /// A device's refresh token and device id, which enrolment and refresh
    /// always return (a member of staff's sign-in has neither).
    ///
    /// # Errors
    /// [`ValidationError::Required`] naming the missing one.
    pub fn device_credentials(&self) -> Result<(&str, &str), ValidationError> {
        fn given<'a>(
            field: &'static str,
            value: &'a Option<String>,
        ) -> Result<&'a str, ValidationError> {
            value
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .ok_or(ValidationError::Required { field })
        }
        Ok((
            given("refresh_token", &self.refresh_token)?,
            given("device_id", &self.device_id)?,
        ))
    }
}

/// `POST /v1/me/pairing-codes`: a one-time code an enrolled phone shows, for
/// the officer to type on their new phone (`POST /v1/enrol`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PairingCode {
    /// The code; only its hash is stored.
    pub code: String,
    /// When it stops working (minutes away).
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingCode")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// One of the person's devices (`GET /v1/me/devices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PairedDevice {
    /// The device id the server issued.
    pub id: String,
    /// When it was enrolled or paired (server clock).
    pub created_at: DateTime<Utc>,
    /// Whether it is the device that asked.
    pub this_device: bool,
}

/// `GET /v1/me/devices`: the person's devices, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceList {
    /// The devices.
    pub devices: Vec<PairedDevice>,
}

/// `GET`/`PUT /v1/me/consent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// The level.
    pub level: ConsentLevel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_and_refresh_need_every_field_and_refuse_others() {
        let ok = EnrolRequest {
            force: "kent".into(),
            code: "ABC-123".into(),
        };
        assert_eq!(ok.check(), Ok(()));
        for (force, code, field) in [("", "ABC", "force"), ("kent", "  ", "code")] {
            let r = EnrolRequest {
                force: force.into(),
                code: code.into(),
            };
            assert_eq!(r.check(), Err(ValidationError::Required { field }));
            assert_eq!(
                r.check().unwrap_err().to_string(),
                format!("{field} is required")
            );
        }
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            serde_json::json!({"force": "kent", "code": "ABC-123"})
        );
        let err = serde_json::from_str::<EnrolRequest>(r#"{"force":"kent","code":"x","pin":1}"#)
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `pin`"), "{err}");
        let err = serde_json::from_str::<EnrolRequest>(r#"{"force":"kent"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `code`"), "{err}");

        let blank = RefreshRequest {
            refresh_token: " ".into(),
        };
        assert_eq!(
            blank.check(),
            Err(ValidationError::Required {
                field: "refresh_token"
            })
        );
        assert_eq!(
            RefreshRequest {
                refresh_token: "f.x".into()
            }
            .check(),
            Ok(())
        );
    }

    #[test]
    fn device_tokens_carry_a_refresh_token_and_a_device_id() {
        let json = serde_json::json!({
            "access_token": "a.b.c", "token_type": "Bearer", "expires_in": 900,
            "refresh_token": "r", "device_id": "5f0c7c1e-0000-4000-8000-00000000abcd",
        });
        let t: SessionTokens = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&t).unwrap(), json);
        assert_eq!(
            t.device_credentials(),
            Ok(("r", "5f0c7c1e-0000-4000-8000-00000000abcd"))
        );
        // A member of staff's tokens: neither field, and none on the wire.
        let staff = SessionTokens {
            refresh_token: None,
            device_id: None,
            ..t.clone()
        };
        assert_eq!(
            serde_json::to_value(&staff).unwrap(),
            serde_json::json!({"access_token": "a.b.c", "token_type": "Bearer", "expires_in": 900})
        );
        assert_eq!(
            staff.device_credentials(),
            Err(ValidationError::Required {
                field: "refresh_token"
            })
        );
        let no_device = SessionTokens {
            device_id: Some(String::new()),
            ..t
        };
        assert_eq!(
            no_device.device_credentials(),
            Err(ValidationError::Required { field: "device_id" })
        );
        let err = serde_json::from_str::<SessionTokens>(r#"{"access_token":"a"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
    }

    #[test]
    fn consent_levels_include_the_ones_below() {
        assert!(!ConsentLevel::RosterOnly.allows("daily_summary"));
        assert!(ConsentLevel::Sleep.allows("daily_summary"));
        assert!(!ConsentLevel::Sleep.allows("check_in"));
        assert!(ConsentLevel::SleepAndCheckIns.allows("check_in"));
        assert!(ConsentLevel::RosterOnly.allows("learning_progress"));
        assert!(!ConsentLevel::SleepAndCheckIns.allows("raw_samples"));
        for l in [
            ConsentLevel::RosterOnly,
            ConsentLevel::Sleep,
            ConsentLevel::SleepAndCheckIns,
        ] {
            assert_eq!(ConsentLevel::from_stored(l.as_str()), l);
        }
        assert_eq!(ConsentLevel::from_stored("bogus"), ConsentLevel::RosterOnly);
    }
}
