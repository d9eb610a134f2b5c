//! The NPWS cross-force read: per-person feature sums with no id, from the
//! SECURITY DEFINER function `npws_person_features` (migration
//! `2026-11-23-000600_npws_features`). Only the NPWS routes call it, for an
//! NPWS analyst, outside any force scope, and what they serve is cohorts and
//! suppressed comparisons, never these rows. Also the national overview's
//! counts (`npws_force_overview`). SQL only.

use analytics::cohorts::PersonSums;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, Integer, Nullable, Text};

/// One row of `npws_person_features`: one person, no id.
#[derive(Debug, Clone, QueryableByName)]
struct FeatureRow {
    #[diesel(sql_type = Text)]
    force_slug: String,
    #[diesel(sql_type = Text)]
    policing_function: String,
    #[diesel(sql_type = Text)]
    employment_type: String,
    #[diesel(sql_type = Integer)]
    shifts: i32,
    #[diesel(sql_type = Integer)]
    early_shifts: i32,
    #[diesel(sql_type = Integer)]
    late_shifts: i32,
    #[diesel(sql_type = Integer)]
    night_shifts: i32,
    #[diesel(sql_type = Integer)]
    quick_returns: i32,
    #[diesel(sql_type = BigInt)]
    minutes_worked: i64,
    #[diesel(sql_type = Integer)]
    sleep_nights: i32,
    #[diesel(sql_type = BigInt)]
    sleep_minutes: i64,
    #[diesel(sql_type = Nullable<Double>)]
    regularity_hours: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    recovery_slope_per_week: Option<f64>,
    #[diesel(sql_type = Integer)]
    recovery_mornings: i32,
    #[diesel(sql_type = Integer)]
    red_mornings: i32,
    #[diesel(sql_type = Integer)]
    kss_check_ins: i32,
    #[diesel(sql_type = BigInt)]
    kss_sum: i64,
}

fn count(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

impl From<FeatureRow> for PersonSums {
    fn from(r: FeatureRow) -> Self {
        PersonSums {
            force: r.force_slug,
            group: r.policing_function,
            shifts: count(r.shifts),
            early_shifts: count(r.early_shifts),
            late_shifts: count(r.late_shifts),
            night_shifts: count(r.night_shifts),
            quick_returns: count(r.quick_returns),
            minutes_worked: r.minutes_worked,
            sleep_nights: count(r.sleep_nights),
            sleep_minutes: r.sleep_minutes,
            regularity_hours: r.regularity_hours,
            recovery_slope_per_week: r.recovery_slope_per_week,
            recovery_mornings: count(r.recovery_mornings),
            red_mornings: count(r.red_mornings),
            kss_check_ins: count(r.kss_check_ins),
            kss_sum: r.kss_sum,
        }
    }
}

/// What [`PersonSums::group`] holds: the person's policing function (their
/// own from the HR file, else their team's), or their employment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Split {
    /// Policing function.
    #[default]
    Function,
    /// Employment type (`not_known` without an HR record).
    EmploymentType,
}

/// Everyone enrolled with a shift in `from..=to` (each force's local days),
/// as feature sums without ids, grouped by `split`, in an order that
/// depends on values only. Call it in a platform transaction
/// ([`crate::db::with_platform`]): the function refuses to run with a force
/// set.
///
/// # Errors
/// Database errors (including the function's refusal).
pub fn person_features(
    c: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    split: Split,
) -> QueryResult<Vec<PersonSums>> {
    let rows: Vec<FeatureRow> = diesel::sql_query("SELECT * FROM npws_person_features($1, $2)")
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            if split == Split::EmploymentType {
                r.policing_function = std::mem::take(&mut r.employment_type);
            }
            PersonSums::from(r)
        })
        .collect())
}

/// One force's counts from `npws_force_overview` (cells under 5 people are
/// null).
#[derive(Debug, Clone, QueryableByName)]
pub struct ForceCounts {
    /// Force slug.
    #[diesel(sql_type = Text)]
    pub force_slug: String,
    /// Enrolled people.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub enrolled: Option<i64>,
    /// Sharing sleep summaries.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub sharing_sleep: Option<i64>,
    /// Sharing check-ins too.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub sharing_check_ins: Option<i64>,
}

/// Enrolment and consent counts per force (a SECURITY DEFINER function
/// returning counts only).
///
/// # Errors
/// Database errors.
pub fn force_overview(c: &mut PgConnection) -> QueryResult<Vec<ForceCounts>> {
    diesel::sql_query("SELECT * FROM npws_force_overview()").load(c)
}
