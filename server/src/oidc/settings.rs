//! The operator's side of single sign-on (part of [`crate::config::Config`]).
//!
//! | Setting | Environment | Default |
//! |---|---|---|
//! | `secrets` | `FATIGUE_OIDC_SECRET_<NAME>` | none |
//! | `allow_http_loopback` | `FATIGUE_OIDC_ALLOW_HTTP_LOOPBACK` | `false` |
//!
//! A force's configuration names its client secret (`NAME`); the secret
//! itself reaches the server only from its environment or config file, so
//! the database, its backups and replicas never hold it.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::ConfigError;

/// The prefix of the environment variables that carry client secrets.
pub const SECRET_PREFIX: &str = "FATIGUE_OIDC_SECRET_";

/// Client secrets by name, and whether plain-HTTP loopback issuers are
/// accepted.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcSettings {
    /// Client secrets by the name a force's configuration gives
    /// (`client_secret_ref`).
    pub secrets: BTreeMap<String, String>,
    /// Accept `http://` issuers on a loopback address (tests and local
    /// development with a provider on the same machine). Off in service:
    /// every other issuer must be `https://`.
    pub allow_http_loopback: bool,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: a logged config never shows a secret.
        f.debug_struct("OidcSettings")
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("allow_http_loopback", &self.allow_http_loopback)
            .finish()
    }
}

/// Whether `name` can name a client secret: 1 to 64 of `A-Z 0-9 _` (so it
/// is also the tail of an environment variable's name).
pub fn valid_secret_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

impl OidcSettings {
    /// Applies `FATIGUE_OIDC_ALLOW_HTTP_LOOPBACK`.
    ///
    /// # Errors
    /// [`ConfigError::Env`] for a value that is not `true` or `false`.
    pub fn apply_env(&mut self, get: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = get("FATIGUE_OIDC_ALLOW_HTTP_LOOPBACK") {
            self.allow_http_loopback = v.parse().map_err(|_| ConfigError::Env {
                name: "FATIGUE_OIDC_ALLOW_HTTP_LOOPBACK",
                message: "true or false".to_owned(),
            })?;
        }
        Ok(())
    }

    /// Takes every `FATIGUE_OIDC_SECRET_<NAME>` of `vars` (the process
    /// environment) with a well-formed name and a value.
    pub fn read_secrets(&mut self, vars: impl IntoIterator<Item = (String, String)>) {
        for (key, value) in vars {
            if let Some(name) = key.strip_prefix(SECRET_PREFIX)
                && valid_secret_name(name)
                && !value.is_empty()
            {
                self.secrets.insert(name.to_owned(), value);
            }
        }
    }

    /// The client secret named `name`.
    pub fn secret(&self, name: &str) -> Option<&str> {
        self.secrets.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_from_prefixed_variables_and_never_reach_debug_output() {
        let mut s = OidcSettings::default();
        s.read_secrets([
            ("FATIGUE_OIDC_SECRET_NORTH".to_owned(), "s3cret".to_owned()),
            // A lower-case name, an empty value and another prefix are not taken.
            ("FATIGUE_OIDC_SECRET_north".to_owned(), "x".to_owned()),
            ("FATIGUE_OIDC_SECRET_EMPTY".to_owned(), String::new()),
            ("OTHER_SECRET_NORTH".to_owned(), "y".to_owned()),
        ]);
        assert_eq!(s.secret("NORTH"), Some("s3cret"));
        assert_eq!(s.secrets.len(), 1);
        let shown = format!("{s:?}");
        assert!(
            shown.contains("NORTH") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(!valid_secret_name("") && !valid_secret_name("A-B"));
        assert!(valid_secret_name("WEST_MIDLANDS_2"));
        s.apply_env(&|n: &str| (n == "FATIGUE_OIDC_ALLOW_HTTP_LOOPBACK").then(|| "true".into()))
            .unwrap();
        assert!(s.allow_http_loopback);
        assert!(
            s.apply_env(&|_: &str| Some("yes".into()))
                .unwrap_err()
                .to_string()
                .contains("FATIGUE_OIDC_ALLOW_HTTP_LOOPBACK")
        );
    }
}
