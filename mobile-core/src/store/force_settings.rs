//! The force's FRM settings as the phone last received them
//! (`GET /v1/force/settings`, applied by the app at enrolment and refresh),
//! so the forecast's flags use the levels the officer's supervisor and the
//! FRM report use. The published defaults until the app applies any.

use crate::roster::limits::RosterLimits;

use super::{Store, StoreError, put_setting};

const SETTING_FORCE_LIMITS: &str = "force_limits";

impl Store {
    /// The force's limits last applied, or the published defaults.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored value that no longer reads.
    pub fn force_limits(&self) -> Result<RosterLimits, StoreError> {
        self.setting(SETTING_FORCE_LIMITS)?
            .map(|text| {
                serde_json::from_str(&text).map_err(|_| StoreError::Corrupt {
                    what: "force settings",
                })
            })
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// Keeps the force's limits (checked by the caller,
    /// [`crate::roster::limits::ForceSettingsBody::parse`]).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn set_force_limits(&mut self, limits: &RosterLimits) -> Result<(), StoreError> {
        let text = serde_json::to_string(limits).map_err(|_| StoreError::Corrupt {
            what: "force settings",
        })?;
        self.write(|tx| put_setting(tx, SETTING_FORCE_LIMITS, &text))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_until_applied_then_the_forces_own() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.force_limits().unwrap(), RosterLimits::default());
        let own = RosterLimits {
            nights_amber_over: 2,
            ..RosterLimits::default()
        };
        store.set_force_limits(&own).unwrap();
        assert_eq!(store.force_limits().unwrap(), own);
    }
}
