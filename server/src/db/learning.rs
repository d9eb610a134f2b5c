//! The supervisor learning track's progress, per supervisor account and
//! module (`supervisor_learning`, force-owned, RLS-bound).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

use crate::error::AppResult;

/// One account's progress through one module.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, Serialize)]
pub struct ModuleProgress {
    /// Module id from the content pack.
    #[diesel(sql_type = Text)]
    pub module_id: String,
    /// Course version the last attempt was made against.
    #[diesel(sql_type = Text)]
    pub course_version: String,
    /// Self-check attempts.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// Best score: answers right.
    #[diesel(sql_type = Integer)]
    pub best_correct: i32,
    /// Questions in the self-check.
    #[diesel(sql_type = Integer)]
    pub questions: i32,
    /// When the self-check was first passed.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub completed_at: Option<DateTime<Utc>>,
}

/// One graded attempt to record.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    /// Module id.
    pub module_id: &'a str,
    /// The course's version.
    pub course_version: &'a str,
    /// Answers right.
    pub correct: u32,
    /// Questions asked.
    pub questions: u32,
    /// Whether it met the pass mark.
    pub passed: bool,
}

/// The account's progress, every module it has attempted.
///
/// # Errors
/// Database errors.
pub fn progress(
    c: &mut PgConnection,
    force: Uuid,
    account: Uuid,
) -> AppResult<Vec<ModuleProgress>> {
    Ok(diesel::sql_query(
        "SELECT module_id, course_version, attempts, best_correct, questions, completed_at \
         FROM supervisor_learning WHERE force_id = $1 AND account_id = $2 ORDER BY module_id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(account)
    .load(c)?)
}

/// Records an attempt: one more attempt, the best score kept, completion
/// set the first time an attempt passes and never undone.
///
/// # Errors
/// Database errors.
pub fn record_attempt(
    c: &mut PgConnection,
    force: Uuid,
    account: Uuid,
    attempt: &Attempt<'_>,
    now: DateTime<Utc>,
) -> AppResult<ModuleProgress> {
    let to_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(diesel::sql_query(
        "INSERT INTO supervisor_learning AS l (force_id, account_id, module_id, course_version, attempts, \
           best_correct, questions, completed_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, CASE WHEN $7 THEN $8 END, $8) \
         ON CONFLICT (force_id, account_id, module_id) DO UPDATE SET \
           attempts = l.attempts + 1, course_version = EXCLUDED.course_version, \
           questions = EXCLUDED.questions, \
           best_correct = LEAST(GREATEST(l.best_correct, EXCLUDED.best_correct), EXCLUDED.questions), \
           completed_at = coalesce(l.completed_at, EXCLUDED.completed_at), updated_at = EXCLUDED.updated_at \
         RETURNING module_id, course_version, attempts, best_correct, questions, completed_at",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(account)
    .bind::<Text, _>(attempt.module_id)
    .bind::<Text, _>(attempt.course_version)
    .bind::<Integer, _>(to_i32(attempt.correct))
    .bind::<Integer, _>(to_i32(attempt.questions))
    .bind::<diesel::sql_types::Bool, _>(attempt.passed)
    .bind::<Timestamptz, _>(now)
    .get_result(c)?)
}
