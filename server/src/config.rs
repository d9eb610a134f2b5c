//! Typed configuration, read once at start-up from an optional TOML file and
//! then the environment (environment wins), and passed to handlers through
//! `web::Data`: never a global.
//!
//! | Setting | Environment | Default |
//! |---|---|---|
//! | `bind` | `FATIGUE_BIND` | `127.0.0.1:8080` |
//! | `database_url` | `DATABASE_URL` | unset: start the embedded cluster |
//! | `migrate_database_url` | `MIGRATE_DATABASE_URL` | `database_url` |
//! | `data_dir` | `FATIGUE_DATA_DIR` | `.data` (cluster in `.data/postgres`) |
//! | `issuer` | `FATIGUE_ISSUER` | `fatigue-platform` |
//! | `audience` | `FATIGUE_AUDIENCE` | `fatigue-api` |
//! | `access_token_minutes` | `FATIGUE_ACCESS_TOKEN_MINUTES` | `10` (at most 15) |
//! | `pool_size` | `FATIGUE_POOL_SIZE` | `8` |
//! | `database_timeout_ms` | `FATIGUE_DATABASE_TIMEOUT_MS` | `3000` (wait for a connection, then 503) |
//! | `workers` | `FATIGUE_WORKERS` | number of CPUs |
//! | `sync_workers` | `FATIGUE_SYNC_WORKERS` | `2` (threads applying sync batches; fewer than `pool_size`) |
//! | `sync_group_max` | `FATIGUE_SYNC_GROUP_MAX` | `32` (waiting batches applied in one transaction) |
//! | `sign_in_per_minute` | `FATIGUE_SIGN_IN_PER_MINUTE` | `10` per username and 60 per address |
//! | `enrol_per_minute` | `FATIGUE_ENROL_PER_MINUTE` | `10` per address |
//! | `trusted_proxies` | `FATIGUE_TRUSTED_PROXIES` | none (comma-separated addresses whose `X-Forwarded-For` is believed) |
//! | `bootstrap_admin_password` | `FATIGUE_BOOTSTRAP_ADMIN_PASSWORD` | unset (no admin created) |
//! | `log_json` | `FATIGUE_LOG_JSON` | `false` |
//! | `[mail]` | `FATIGUE_SMTP_URL`, `FATIGUE_MAIL_FROM`, `FATIGUE_DASHBOARD_URL` | see [`crate::mail::MailSettings`] |
//! | `[metrics]` | `FATIGUE_METRICS_TOKEN`, `FATIGUE_METRICS_ALLOW` | see [`crate::metrics::MetricsSettings`] (unset token: no `/metrics`) |
//! | `[peer_support]` | `FATIGUE_SUPPORT_*` | see [`crate::peer_support::retention::SupportSettings`] |
//! | `[oidc]` | `FATIGUE_OIDC_*` | see [`crate::oidc::settings`] (client secrets, loopback issuers) |

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for these settings.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// An environment variable has an unusable value.
    #[error("environment variable {name}: {message}")]
    Env {
        /// Variable name.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The server's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (port 0 picks a free one; the chosen URL is printed).
    pub bind: SocketAddr,
    /// Runtime database URL (the non-owner role); unset starts the embedded cluster.
    pub database_url: Option<String>,
    /// Owner URL for migrations; defaults to `database_url`.
    pub migrate_database_url: Option<String>,
    /// Folder for the embedded cluster (`<data_dir>/postgres`).
    pub data_dir: PathBuf,
    /// Token issuer (`iss`).
    pub issuer: String,
    /// Token audience (`aud`).
    pub audience: String,
    /// Access-token lifetime in minutes, 1 to 15.
    pub access_token_minutes: u32,
    /// Database connections in the pool.
    pub pool_size: u32,
    /// How long a request waits for a database connection before answering
    /// 503 `database_unavailable`, milliseconds.
    pub database_timeout_ms: u64,
    /// HTTP worker threads (0: one per CPU).
    pub workers: usize,
    /// Threads applying sync batches, each holding one pool connection while
    /// it works (group commit, [`crate::sync::group_commit`]); fewer than
    /// `pool_size`, so other requests always find a connection.
    pub sync_workers: usize,
    /// At most this many waiting sync batches share one transaction.
    pub sync_group_max: usize,
    /// Sign-in attempts allowed per username per minute (the per-address limit is 6x).
    pub sign_in_per_minute: u32,
    /// Enrolment attempts allowed per address per minute.
    pub enrol_per_minute: u32,
    /// Reverse proxies (the TLS terminator) whose `X-Forwarded-For` names
    /// the client; from anyone else the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// When set and no platform admin exists, `admin` is created with this password.
    pub bootstrap_admin_password: Option<String>,
    /// Log as JSON lines instead of text.
    pub log_json: bool,
    /// Peer support: escalation and retention (`FATIGUE_SUPPORT_*`, see [`crate::peer_support::retention`]).
    pub peer_support: crate::peer_support::retention::SupportSettings,
    /// Email notices (`FATIGUE_SMTP_URL` and friends, see [`crate::mail`]).
    pub mail: crate::mail::MailSettings,
    /// Who may read `/metrics` (`FATIGUE_METRICS_*`, see [`crate::metrics`]).
    pub metrics: crate::metrics::MetricsSettings,
    /// Single sign-on: client secrets and loopback issuers (`FATIGUE_OIDC_*`,
    /// see [`crate::oidc::settings`]).
    pub oidc: crate::oidc::settings::OidcSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            migrate_database_url: None,
            data_dir: PathBuf::from(".data"),
            issuer: "fatigue-platform".to_owned(),
            audience: "fatigue-api".to_owned(),
            access_token_minutes: 10,
            pool_size: 8,
            database_timeout_ms: 3000,
            workers: 0,
            sync_workers: 2,
            sync_group_max: 32,
            sign_in_per_minute: 10,
            enrol_per_minute: 10,
            trusted_proxies: Vec::new(),
            bootstrap_admin_password: None,
            log_json: false,
            peer_support: crate::peer_support::retention::SupportSettings::default(),
            mail: crate::mail::MailSettings::default(),
            metrics: crate::metrics::MetricsSettings::default(),
            oidc: crate::oidc::settings::OidcSettings::default(),
        }
    }
}

impl Config {
    /// Reads `file` (when given) and then the environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file or variable.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_owned(),
                    message: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.oidc.read_secrets(std::env::vars());
        config.check()?;
        Ok(config)
    }

    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &'static str, v: &str) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            v.parse().map_err(|e: T::Err| ConfigError::Env {
                name,
                message: e.to_string(),
            })
        }
        if let Some(v) = get("FATIGUE_BIND") {
            self.bind = parse("FATIGUE_BIND", &v)?;
        }
        if let Some(v) = get("DATABASE_URL").filter(|v| !v.is_empty()) {
            self.database_url = Some(v);
        }
        if let Some(v) = get("MIGRATE_DATABASE_URL").filter(|v| !v.is_empty()) {
            self.migrate_database_url = Some(v);
        }
        if let Some(v) = get("FATIGUE_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("FATIGUE_ISSUER") {
            self.issuer = v;
        }
        if let Some(v) = get("FATIGUE_AUDIENCE") {
            self.audience = v;
        }
        if let Some(v) = get("FATIGUE_ACCESS_TOKEN_MINUTES") {
            self.access_token_minutes = parse("FATIGUE_ACCESS_TOKEN_MINUTES", &v)?;
        }
        if let Some(v) = get("FATIGUE_POOL_SIZE") {
            self.pool_size = parse("FATIGUE_POOL_SIZE", &v)?;
        }
        if let Some(v) = get("FATIGUE_DATABASE_TIMEOUT_MS") {
            self.database_timeout_ms = parse("FATIGUE_DATABASE_TIMEOUT_MS", &v)?;
        }
        if let Some(v) = get("FATIGUE_WORKERS") {
            self.workers = parse("FATIGUE_WORKERS", &v)?;
        }
        if let Some(v) = get("FATIGUE_SYNC_WORKERS") {
            self.sync_workers = parse("FATIGUE_SYNC_WORKERS", &v)?;
        }
        if let Some(v) = get("FATIGUE_SYNC_GROUP_MAX") {
            self.sync_group_max = parse("FATIGUE_SYNC_GROUP_MAX", &v)?;
        }
        if let Some(v) = get("FATIGUE_SIGN_IN_PER_MINUTE") {
            self.sign_in_per_minute = parse("FATIGUE_SIGN_IN_PER_MINUTE", &v)?;
        }
        if let Some(v) = get("FATIGUE_ENROL_PER_MINUTE") {
            self.enrol_per_minute = parse("FATIGUE_ENROL_PER_MINUTE", &v)?;
        }
        if let Some(v) = get("FATIGUE_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| parse("FATIGUE_TRUSTED_PROXIES", a))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("FATIGUE_BOOTSTRAP_ADMIN_PASSWORD").filter(|v| !v.is_empty()) {
            self.bootstrap_admin_password = Some(v);
        }
        if let Some(v) = get("FATIGUE_LOG_JSON") {
            self.log_json = parse("FATIGUE_LOG_JSON", &v)?;
        }
        self.peer_support.apply_env(&get)?;
        self.mail.apply_env(&get)?;
        self.metrics.apply_env(&get)?;
        self.oidc.apply_env(&get)?;
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        self.mail.mailer()?;
        if !(1..=15).contains(&self.access_token_minutes) {
            return Err(ConfigError::Env {
                name: "FATIGUE_ACCESS_TOKEN_MINUTES",
                message: "must be 1 to 15".to_owned(),
            });
        }
        if self.pool_size == 0 {
            return Err(ConfigError::Env {
                name: "FATIGUE_POOL_SIZE",
                message: "must be at least 1".to_owned(),
            });
        }
        if self.sync_workers == 0 || self.sync_workers as u64 >= u64::from(self.pool_size) {
            return Err(ConfigError::Env {
                name: "FATIGUE_SYNC_WORKERS",
                message: format!(
                    "must be at least 1 and less than the pool size ({})",
                    self.pool_size
                ),
            });
        }
        if self.sync_group_max == 0 {
            return Err(ConfigError::Env {
                name: "FATIGUE_SYNC_GROUP_MAX",
                message: "must be at least 1".to_owned(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_file_and_bad_values_are_named() {
        let mut c: Config = toml::from_str("bind = \"127.0.0.1:9000\"\npool_size = 3").unwrap();
        assert_eq!(c.pool_size, 3);
        c.apply_env(|n| (n == "FATIGUE_POOL_SIZE").then(|| "5".to_owned()))
            .unwrap();
        assert_eq!(c.pool_size, 5);
        assert_eq!(c.bind.port(), 9000);
        let err = c
            .apply_env(|n| (n == "FATIGUE_BIND").then(|| "nonsense".to_owned()))
            .unwrap_err();
        assert!(err.to_string().contains("FATIGUE_BIND"));
        c.access_token_minutes = 60;
        assert!(c.check().is_err());
        assert!(toml::from_str::<Config>("unknown = 1").is_err());
    }

    #[test]
    fn sync_workers_leave_the_pool_a_connection_for_other_requests() {
        let mut c = Config::default();
        assert!(c.check().is_ok());
        c.pool_size = 2;
        c.sync_workers = 2;
        let err = c.check().unwrap_err();
        assert!(err.to_string().contains("FATIGUE_SYNC_WORKERS"), "{err}");
        c.sync_workers = 1;
        assert!(c.check().is_ok());
        c.sync_group_max = 0;
        assert!(
            c.check()
                .unwrap_err()
                .to_string()
                .contains("FATIGUE_SYNC_GROUP_MAX")
        );
    }
}
