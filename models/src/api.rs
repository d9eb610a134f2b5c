//! Request and response bodies of the server's phone-facing API
//! (`docs/api.md`): enrolment, token refresh and consent. Staff-facing bodies
//! live in the server; these are shared so the phone and the server agree.

use serde::{Deserialize, Serialize};

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

/// `POST /v1/enrol`: a phone redeems a one-time code the force issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The force's short name (slug).
    pub force: String,
    /// The one-time enrolment code.
    pub code: String,
}

/// `POST /v1/auth/refresh`: a device swaps its refresh token for new tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from enrolment or the previous refresh.
    pub refresh_token: String,
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
