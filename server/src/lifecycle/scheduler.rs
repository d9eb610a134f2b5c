//! The lifecycle job: one round ([`super::service::run`]) shortly after
//! start and then every day at 03:30 UTC (tokio-cron-scheduler, as the
//! report scheduler), on a connection of the tables' owner
//! (`MIGRATE_DATABASE_URL`, or the embedded cluster's owner), because the
//! serving role may neither drop a partition nor delete an audit entry.
//! The round's advisory lock lets one instance of several do each round.
//! The months a start needs are made before serving, with the migrations
//! ([`crate::db::run_migrations`]).

use chrono::Utc;
use diesel::{Connection, PgConnection};

use super::service;

/// When the round runs: every day at 03:30 UTC (sec min hour day month
/// weekday), after the night's syncs and before the morning's.
pub const SCHEDULE: &str = "0 30 3 * * *";

/// Starts the job on the current tokio runtime.
///
/// # Errors
/// When tokio-cron-scheduler cannot start.
pub async fn start(
    owner_url: String,
) -> Result<tokio_cron_scheduler::JobScheduler, tokio_cron_scheduler::JobSchedulerError> {
    tick(owner_url.clone());
    let scheduler = tokio_cron_scheduler::JobScheduler::new().await?;
    let job = tokio_cron_scheduler::Job::new(SCHEDULE, move |_id, _sched| tick(owner_url.clone()))?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    Ok(scheduler)
}

fn tick(owner_url: String) {
    drop(tokio::task::spawn_blocking(move || {
        let mut c = match PgConnection::establish(&owner_url) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "lifecycle round: no owner connection");
                return;
            }
        };
        match service::run(&mut c, Utc::now()) {
            Ok(Some(r)) => tracing::info!(
                made = r.made,
                dropped = ?r.dropped,
                deleted = ?r.deleted,
                "lifecycle round"
            ),
            Ok(None) => tracing::debug!("lifecycle round: another instance holds the lock"),
            Err(e) => tracing::warn!(error = ?e, "lifecycle round failed"),
        }
    }));
}
