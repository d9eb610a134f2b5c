//! Email through an SMTP relay (lettre): notices that something is ready on
//! the dashboard, never figures (health aggregates do not travel by email,
//! docs/reports.md "Delivery").
//!
//! | setting | environment | default |
//! |---|---|---|
//! | `smtp_url` | `FATIGUE_SMTP_URL` | unset: no email is sent |
//! | `from` | `FATIGUE_MAIL_FROM` | `Fatigue platform <noreply@localhost>` |
//! | `dashboard_url` | `FATIGUE_DASHBOARD_URL` | `http://127.0.0.1:8080/dashboard` |
//!
//! `smtp_url` is lettre's form: `smtps://user:pass@host:465` (TLS),
//! `smtp://host:587?tls=required` (STARTTLS) or `smtp://host:25` (plain,
//! for a relay on the same host or a test).

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{Message, SmtpTransport, Transport};
use serde::Deserialize;

use crate::config::ConfigError;

/// How long one delivery may take before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Mail settings (`[mail]` in the config file, or `FATIGUE_*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// The SMTP relay; unset sends nothing.
    pub smtp_url: Option<String>,
    /// The sender.
    pub from: String,
    /// The dashboard's address as people reach it, for links in notices.
    pub dashboard_url: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            from: "Fatigue platform <noreply@localhost>".to_owned(),
            dashboard_url: "http://127.0.0.1:8080/dashboard".to_owned(),
        }
    }
}

impl MailSettings {
    /// Applies `FATIGUE_SMTP_URL`, `FATIGUE_MAIL_FROM` and
    /// `FATIGUE_DASHBOARD_URL`.
    ///
    /// # Errors
    /// Never today; kept fallible like the other settings' readers.
    pub fn apply_env(&mut self, get: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = get("FATIGUE_SMTP_URL") {
            self.smtp_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("FATIGUE_MAIL_FROM") {
            self.from = v;
        }
        if let Some(v) = get("FATIGUE_DASHBOARD_URL") {
            self.dashboard_url = v.trim_end_matches('/').to_owned();
        }
        Ok(())
    }

    /// The mailer these settings describe, or `None` when no relay is set.
    ///
    /// # Errors
    /// [`ConfigError::Env`] for an unusable relay URL or sender.
    pub fn mailer(&self) -> Result<Option<Mailer>, ConfigError> {
        let Some(url) = &self.smtp_url else {
            return Ok(None);
        };
        let transport = SmtpTransport::from_url(url)
            .map_err(|e| ConfigError::Env {
                name: "FATIGUE_SMTP_URL",
                message: e.to_string(),
            })?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = self
            .from
            .parse()
            .map_err(|e: lettre::address::AddressError| ConfigError::Env {
                name: "FATIGUE_MAIL_FROM",
                message: e.to_string(),
            })?;
        Ok(Some(Mailer {
            transport,
            from,
            dashboard_url: self.dashboard_url.clone(),
        }))
    }
}

/// A configured sender.
#[derive(Clone)]
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    /// The dashboard's address, for links.
    pub dashboard_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .field("dashboard_url", &self.dashboard_url)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Sends one plain-text message to `to`. The error is a sentence for the
    /// dashboard (no secrets: lettre's errors name the failure, not the
    /// relay's credentials).
    ///
    /// # Errors
    /// A bad recipient address, or the relay refused or could not be reached.
    pub fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        let to: Mailbox = to
            .parse()
            .map_err(|e: lettre::address::AddressError| format!("bad address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("could not build the message: {e}"))?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| format!("the mail server did not take it: {e}"))
    }
}

/// True when `address` is an email address lettre accepts, at most 254
/// characters (RFC 5321's path limit), the rule for an account's address.
pub fn valid_address(address: &str) -> bool {
    address.len() <= 254 && address.parse::<lettre::Address>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_an_unset_relay_sends_nothing() {
        assert!(valid_address("frm.lead@example.police.uk"));
        for bad in [
            "",
            "no-at-sign",
            "a@",
            "@b",
            "two@@example.org",
            "sp ace@example.org",
        ] {
            assert!(!valid_address(bad), "{bad:?}");
        }
        assert!(!valid_address(&format!("{}@example.org", "a".repeat(250))));
        assert!(MailSettings::default().mailer().unwrap().is_none());
        let bad = MailSettings {
            smtp_url: Some("ftp://nowhere".to_owned()),
            ..MailSettings::default()
        };
        let err = bad.mailer().unwrap_err().to_string();
        assert!(err.contains("FATIGUE_SMTP_URL"), "{err}");
    }
}
