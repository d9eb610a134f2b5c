//! Peer-support settings and the scheduled deletion of call-back requests.
//!
//! A call-back request holds what an officer chose to give so a supporter
//! can reach them; it has no use after that. Every
//! [`SupportSettings::retention_check_minutes`] the server deletes requests
//! made more than [`SupportSettings::retention_days`] ago, keeping only an
//! outcome row (day, response time, status) for the reports. The job runs
//! inside every server instance; a transaction-scoped PostgreSQL advisory
//! lock makes each round run on one instance only. [`purge`] takes the
//! clock as a parameter so the tests drive it against a real database.

use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::Deserialize;

use crate::accounts::store::Force;
use crate::app::AppState;
use crate::config::ConfigError;
use crate::db::{self, Found, Scope};
use crate::error::AppResult;

/// The advisory lock key of the retention round ("peer" in ASCII).
pub const LOCK_KEY: i64 = 0x7065_6572;

/// Peer-support settings (part of [`crate::config::Config`]).
///
/// | Setting | Environment | Default |
/// |---|---|---|
/// | `escalate_after_minutes` | `FATIGUE_SUPPORT_ESCALATE_MINUTES` | `240` |
/// | `retention_days` | `FATIGUE_SUPPORT_RETENTION_DAYS` | `30` |
/// | `retention_check_minutes` | `FATIGUE_SUPPORT_RETENTION_CHECK_MINUTES` | `60` |
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupportSettings {
    /// Minutes an assigned request may wait unacknowledged before the
    /// coordinator sees it too.
    pub escalate_after_minutes: u32,
    /// Days a request is kept before the job deletes it (1 to 365).
    pub retention_days: u32,
    /// Minutes between retention rounds (at least 1).
    pub retention_check_minutes: u32,
}

impl Default for SupportSettings {
    fn default() -> Self {
        SupportSettings {
            escalate_after_minutes: 240,
            retention_days: 30,
            retention_check_minutes: 60,
        }
    }
}

impl SupportSettings {
    /// The escalation time.
    pub fn escalate_after(&self) -> Duration {
        Duration::minutes(i64::from(self.escalate_after_minutes))
    }

    /// The retention period.
    pub fn retention(&self) -> Duration {
        Duration::days(i64::from(self.retention_days))
    }

    /// Reads the `FATIGUE_SUPPORT_*` variables through `get` and checks ranges.
    ///
    /// # Errors
    /// [`ConfigError::Env`] naming the variable.
    pub fn apply_env(&mut self, get: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let vars: [(&'static str, &mut u32, u32, u32); 3] = [
            (
                "FATIGUE_SUPPORT_ESCALATE_MINUTES",
                &mut self.escalate_after_minutes,
                0,
                7 * 24 * 60,
            ),
            (
                "FATIGUE_SUPPORT_RETENTION_DAYS",
                &mut self.retention_days,
                1,
                365,
            ),
            (
                "FATIGUE_SUPPORT_RETENTION_CHECK_MINUTES",
                &mut self.retention_check_minutes,
                1,
                24 * 60,
            ),
        ];
        for (name, slot, min, max) in vars {
            if let Some(v) = get(name) {
                *slot = v
                    .parse()
                    .map_err(|e: std::num::ParseIntError| ConfigError::Env {
                        name,
                        message: e.to_string(),
                    })?;
            }
            if !(min..=max).contains(slot) {
                return Err(ConfigError::Env {
                    name,
                    message: format!("must be {min} to {max}"),
                });
            }
        }
        Ok(())
    }
}

/// One retention round at `now`: in every force, requests made before
/// `now - retention` become outcome rows and are deleted. Returns how many
/// were deleted, or `None` when another instance holds the round's lock.
///
/// # Errors
/// Database errors.
pub fn purge(
    c: &mut PgConnection,
    now: DateTime<Utc>,
    retention: Duration,
) -> AppResult<Option<usize>> {
    // A session lock, held across the round's per-force transactions and
    // released when the round ends (or with the connection, if it breaks).
    let locked: Found = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS found")
        .bind::<BigInt, _>(LOCK_KEY)
        .get_result(c)?;
    if !locked.found {
        return Ok(None);
    }
    let round = purge_each_force(c, now - retention);
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(LOCK_KEY)
        .execute(c);
    let deleted = round?;
    unlocked?;
    Ok(Some(deleted))
}

/// Each force's expired requests, in a transaction scoped to that force.
fn purge_each_force(c: &mut PgConnection, before: DateTime<Utc>) -> AppResult<usize> {
    let mut deleted = 0;
    for force in Force::all_ids(c)? {
        deleted += db::transaction(c, Scope::Force(force), |c| {
            crate::peer_support::store::expire(c, force, before)
        })?;
    }
    Ok(deleted)
}

/// Starts the retention task on the current actix system: a round at start
/// and then every `retention_check_minutes`. Failures are logged and the
/// next round tries again.
pub fn spawn(state: web::Data<AppState>) {
    let every = std::time::Duration::from_secs(
        u64::from(state.config.peer_support.retention_check_minutes) * 60,
    );
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(every);
        loop {
            tick.tick().await;
            let pool = state.pool.clone();
            let retention = state.config.peer_support.retention();
            let round = web::block(move || -> AppResult<Option<usize>> {
                let mut c = pool.get()?;
                purge(&mut c, Utc::now(), retention)
            })
            .await;
            match round {
                Ok(Ok(Some(n))) => tracing::info!(deleted = n, "peer-support retention round"),
                Ok(Ok(None)) => {
                    tracing::debug!("peer-support retention: another instance holds the lock")
                }
                Ok(Err(e)) => tracing::warn!(error = ?e, "peer-support retention round failed"),
                Err(e) => tracing::warn!(error = %e, "peer-support retention round did not run"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_the_environment_and_refuse_out_of_range_values() {
        let mut s = SupportSettings::default();
        s.apply_env(&|n| (n == "FATIGUE_SUPPORT_RETENTION_DAYS").then(|| "7".to_owned()))
            .unwrap();
        assert_eq!(s.retention(), Duration::days(7));
        assert_eq!(s.escalate_after(), Duration::hours(4));
        let err = SupportSettings::default()
            .apply_env(&|n| (n == "FATIGUE_SUPPORT_RETENTION_DAYS").then(|| "0".to_owned()))
            .unwrap_err();
        assert!(err.to_string().contains("FATIGUE_SUPPORT_RETENTION_DAYS"));
        assert!(
            SupportSettings::default()
                .apply_env(&|n| (n == "FATIGUE_SUPPORT_ESCALATE_MINUTES").then(|| "soon".to_owned()))
                .is_err()
        );
    }
}
