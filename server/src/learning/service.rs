//! The supervisor learning track's rules: who it is for, the shipped
//! course, grading an attempt and recording it against the account.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::Utc;
use mobile_core::education::{Course, Grade, Library, Module, Track};
use uuid::Uuid;

use super::store::{self, Attempt, ModuleProgress};
use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};

/// Roles the track is for: supervisors, and FRM leads who train them.
pub const LEARNERS: [Role; 2] = [Role::Supervisor, Role::FrmLead];

/// The shipped supervisor course (`mobile-core/content/education`), loaded
/// and validated once per process.
///
/// # Errors
/// Internal when the shipped content does not load (caught by the tests).
pub fn supervisor_course() -> AppResult<&'static Course> {
    static LIBRARY: OnceLock<Result<Library, String>> = OnceLock::new();
    LIBRARY
        .get_or_init(|| Library::shipped().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::internal(e.clone()))?
        .courses_for(Track::Supervisor)
        .next()
        .ok_or_else(|| AppError::internal("no supervisor course"))
}

/// The force's supervisor-course completion at `until`, for the FRM report:
/// accounts, those that passed at least one module and those that passed
/// all of the shipped course's modules (raw counts; the report applies the
/// small-number rule).
///
/// # Errors
/// Internal when the course does not load; database errors.
pub fn training_counts(
    c: &mut diesel::PgConnection,
    force: Uuid,
    until: chrono::DateTime<Utc>,
) -> AppResult<store::TrainingCounts> {
    let modules: Vec<String> = supervisor_course()?
        .modules
        .iter()
        .map(|m| m.id.clone())
        .collect();
    Ok(store::training_counts(c, force, until, &modules)?)
}

/// A module of the supervisor course.
///
/// # Errors
/// Not found for any other id (officer modules are the phone's).
pub fn module(id: &str) -> AppResult<&'static Module> {
    supervisor_course()?
        .modules
        .iter()
        .find(|m| m.id == id)
        .ok_or(AppError::NotFound)
}

/// The learner's (force, account).
///
/// # Errors
/// Forbidden but for [`LEARNERS`].
pub fn learner(who: &Identity) -> AppResult<(Uuid, Uuid)> {
    who.require(&LEARNERS)?;
    Ok((who.force()?, who.0.sub))
}

/// The learner's progress by module id.
///
/// # Errors
/// Forbidden; database errors.
pub async fn progress(
    state: &AppState,
    who: &Identity,
) -> AppResult<BTreeMap<String, ModuleProgress>> {
    let (force, account) = learner(who)?;
    let rows = db::with_force(&state.pool, force, move |c| {
        Ok(store::progress(c, force, account)?)
    })
    .await?;
    Ok(rows.into_iter().map(|p| (p.module_id.clone(), p)).collect())
}

/// Grades a self-check (one chosen option per question) and records the
/// attempt against the learner.
///
/// # Errors
/// Forbidden; `invalid_answer`; database errors.
pub async fn answer(
    state: &AppState,
    who: &Identity,
    module: &'static Module,
    chosen: &[usize],
) -> AppResult<Grade> {
    let (force, account) = learner(who)?;
    let grade = module
        .grade(chosen)
        .map_err(|e| AppError::invalid("invalid_answer", e.to_string()))?;
    let (module_id, version) = (module.id.clone(), supervisor_course()?.version.clone());
    let (correct, total, passed) = (grade.correct, grade.total, grade.passed());
    db::with_force(&state.pool, force, move |c| {
        let a = Attempt {
            module_id: &module_id,
            course_version: &version,
            correct,
            questions: total,
            passed,
        };
        Ok(store::record_attempt(c, force, account, &a, Utc::now())?)
    })
    .await?;
    Ok(grade)
}
