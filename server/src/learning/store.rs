//! The supervisor learning track's progress, per supervisor account and
//! module (`supervisor_learning`, force-owned, RLS-bound). SQL only.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use diesel::sql_types::{Array, BigInt};

/// Supervisor-course counts for the FRM report, at `until`: supervisor and
/// FRM lead accounts created by then, those that had passed at least one of
/// `modules`, and those that had passed all of them. Raw counts: the report
/// applies the small-number rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct TrainingCounts {
    /// Supervisor and FRM lead accounts.
    #[diesel(sql_type = BigInt)]
    pub accounts: i64,
    /// Passed at least one module.
    #[diesel(sql_type = BigInt)]
    pub completed_some: i64,
    /// Passed every module.
    #[diesel(sql_type = BigInt)]
    pub completed_all: i64,
}

/// Counts the force's supervisor-course completion at `until`.
///
/// # Errors
/// Database errors.
pub fn training_counts(
    c: &mut PgConnection,
    force: Uuid,
    until: DateTime<Utc>,
    modules: &[String],
) -> QueryResult<TrainingCounts> {
    diesel::sql_query(
        "WITH passed AS ( \
             SELECT a.id, count(l.module_id) AS n FROM accounts a \
             LEFT JOIN supervisor_learning l ON l.force_id = a.force_id AND l.account_id = a.id \
                 AND l.completed_at <= $2 AND l.module_id = ANY($3) \
             WHERE a.force_id = $1 AND a.role IN ('supervisor', 'frm_lead') AND a.created_at <= $2 \
             GROUP BY a.id) \
         SELECT count(*) AS accounts, count(*) FILTER (WHERE n > 0) AS completed_some, \
             count(*) FILTER (WHERE n >= cardinality($3::text[]) AND n > 0) AS completed_all FROM passed",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Timestamptz, _>(until)
    .bind::<Array<Text>, _>(modules)
    .get_result(c)
}

/// One account's progress through one module.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
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
) -> QueryResult<Vec<ModuleProgress>> {
    diesel::sql_query(
        "SELECT module_id, course_version, attempts, best_correct, questions, completed_at \
         FROM supervisor_learning WHERE force_id = $1 AND account_id = $2 ORDER BY module_id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(account)
    .load(c)
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
) -> QueryResult<ModuleProgress> {
    let to_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    diesel::sql_query(
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
    .get_result(c)
}
