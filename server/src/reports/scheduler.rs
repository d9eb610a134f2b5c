//! The in-server scheduler that runs each force's due FRM report exactly
//! once ([`super::service::visit_force`] builds and records it).
//!
//! Every minute (tokio-cron-scheduler, and once at start so a run missed
//! while the server was down happens straight away) [`run_due`] visits each
//! force. Per force, in one transaction: take the force's PostgreSQL
//! advisory lock (`pg_try_advisory_xact_lock`; an instance that cannot take
//! it skips the force this tick), read the last recorded slot, ask
//! `analytics::schedule` what is due at `now`, and if something is, build
//! the report and record the run before committing. Because the lock is
//! held until the run's row commits, and the last slot is read after taking
//! it, two instances never both run a slot; the unique index on
//! `(force_id, slot)` is a second wall. A run missed while down is one run
//! for the latest missed slot (`slots_due` says how many it stood for).
//!
//! After a run commits, the force's FRM leads are emailed that it is ready
//! ([`super::service::notify_frm_leads`]) when a mail relay is configured.
//!
//! "Now" is a parameter so tests drive the clock.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::service::{Visit, notify_frm_leads, visit_force};
use crate::accounts::store::Force;
use crate::db::DbPool;
use crate::error::AppResult;
use crate::mail::Mailer;

/// Visits every force at `now`, and tells the FRM leads of each force whose
/// report ran (through `mailer`, when there is one). A force that fails is
/// logged and skipped so one bad schedule does not stop the others; a
/// failed run sends nothing.
///
/// # Errors
/// When no connection can be had or the forces cannot be listed.
pub fn run_due(
    pool: &DbPool,
    mailer: Option<&Mailer>,
    now: DateTime<Utc>,
) -> AppResult<Vec<(Uuid, Visit)>> {
    let mut conn = pool.get()?;
    let forces = Force::all_ids(&mut conn)?;
    let mut out = Vec::with_capacity(forces.len());
    for force in forces {
        let outcome = visit_force(&mut conn, force, now);
        if let Some(m) = crate::metrics::get() {
            let label = match &outcome {
                Ok(Visit::Ran { .. }) => "ran",
                Ok(Visit::NotDue) => "not_due",
                Ok(Visit::Locked) => "locked",
                Err(_) => "failed",
            };
            m.scheduler_visits.with_label_values(&[label]).inc();
        }
        match outcome {
            Ok(v) => {
                if let Visit::Ran {
                    run,
                    slot,
                    slots_due,
                    period,
                } = &v
                {
                    tracing::info!(%force, %slot, slots_due, "scheduled report recorded");
                    if let Some(mailer) = mailer {
                        match notify_frm_leads(&mut conn, mailer, force, *run, *period) {
                            Ok(n) => {
                                tracing::info!(%force, sent = n.sent, failed = n.failed, "report notices")
                            }
                            Err(e) => {
                                tracing::warn!(%force, error = %e, "report notices not recorded")
                            }
                        }
                    }
                }
                out.push((force, v));
            }
            Err(e) => tracing::warn!(%force, error = %e, "scheduled report failed"),
        }
    }
    Ok(out)
}

/// Starts the scheduler on the current tokio runtime: a tick now (catching
/// up on runs missed while down) and then at the start of every minute.
/// Each tick does its database work on the blocking pool.
///
/// # Errors
/// When tokio-cron-scheduler cannot start.
pub async fn start(
    pool: DbPool,
    mailer: Option<Mailer>,
) -> Result<tokio_cron_scheduler::JobScheduler, tokio_cron_scheduler::JobSchedulerError> {
    tick(pool.clone(), mailer.clone());
    let scheduler = tokio_cron_scheduler::JobScheduler::new().await?;
    let job = tokio_cron_scheduler::Job::new("0 * * * * *", move |_id, _sched| {
        tick(pool.clone(), mailer.clone())
    })?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    Ok(scheduler)
}

fn tick(pool: DbPool, mailer: Option<Mailer>) {
    drop(tokio::task::spawn_blocking(move || {
        if let Err(e) = run_due(&pool, mailer.as_ref(), Utc::now()) {
            tracing::warn!(error = %e, "report scheduler tick failed");
        }
    }));
}
