//! The NPWS cross-force read: per-person feature sums with no id, from the
//! SECURITY DEFINER function `npws_person_features` (migration
//! `2026-11-23-000600_npws_features`). Only the NPWS routes call it, for an
//! NPWS analyst, outside any force scope, and what they serve is cohorts and
//! suppressed comparisons, never these rows. Also the national overview's
//! counts (`npws_force_overview`). SQL only.

use analytics::cohorts::PersonSums;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Double, Integer, Nullable, Text, Uuid as SqlUuid};
use std::cmp::Ordering;
use uuid::Uuid;

/// One row of `npws_person_features`: one person, no id.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct FeatureRow {
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
/// as feature sums without ids ([`person_sums`] groups them), in an order
/// that depends on values only ([`in_function_order`]). `forces`: only theirs
/// (the server reads groups of forces on several connections at once and
/// puts the rows together with [`in_function_order`]); `None`: everyone's.
/// Call it in a platform transaction ([`crate::db::with_platform`]): the
/// function refuses to run with a force set.
///
/// # Errors
/// Database errors (including the function's refusal).
pub fn person_features(
    c: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    forces: Option<&[Uuid]>,
) -> QueryResult<Vec<FeatureRow>> {
    diesel::sql_query("SELECT * FROM npws_person_features($1, $2, $3)")
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .bind::<Nullable<Array<SqlUuid>>, _>(forces)
        .load(c)
}

/// Sorts rows as `npws_person_features` orders them: by every column in
/// turn, text by its bytes (the embedded cluster's C collation), numbers as
/// PostgreSQL compares them (NULL after every value, NaN after every
/// number, -0 equal to 0). Rows that compare equal are equal in every
/// column, so the order of several calls' rows put together is the order
/// of one call over all of them.
pub fn in_function_order(rows: &mut [FeatureRow]) {
    fn float(a: Option<f64>, b: Option<f64>) -> Ordering {
        match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => match (x.is_nan(), y.is_nan()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            },
        }
    }
    rows.sort_by(|a, b| {
        (&a.force_slug, &a.policing_function, &a.employment_type)
            .cmp(&(&b.force_slug, &b.policing_function, &b.employment_type))
            .then_with(|| {
                (
                    a.shifts,
                    a.early_shifts,
                    a.late_shifts,
                    a.night_shifts,
                    a.quick_returns,
                    a.minutes_worked,
                    a.sleep_nights,
                    a.sleep_minutes,
                )
                    .cmp(&(
                        b.shifts,
                        b.early_shifts,
                        b.late_shifts,
                        b.night_shifts,
                        b.quick_returns,
                        b.minutes_worked,
                        b.sleep_nights,
                        b.sleep_minutes,
                    ))
            })
            .then_with(|| float(a.regularity_hours, b.regularity_hours))
            .then_with(|| float(a.recovery_slope_per_week, b.recovery_slope_per_week))
            .then_with(|| {
                (
                    a.recovery_mornings,
                    a.red_mornings,
                    a.kss_check_ins,
                    a.kss_sum,
                )
                    .cmp(&(
                        b.recovery_mornings,
                        b.red_mornings,
                        b.kss_check_ins,
                        b.kss_sum,
                    ))
            })
    });
}

/// The rows as the analytics crate takes them, grouped by `split`.
pub fn person_sums(rows: Vec<FeatureRow>, split: Split) -> Vec<PersonSums> {
    rows.into_iter()
        .map(|mut r| {
            if split == Split::EmploymentType {
                r.policing_function = std::mem::take(&mut r.employment_type);
            }
            PersonSums::from(r)
        })
        .collect()
}

/// Every force's id with its enrolled count from `npws_force_overview`
/// (0 where the overview withholds a small count): how the server shares
/// the national read out between its connections.
///
/// # Errors
/// Database errors.
pub fn force_sizes(c: &mut PgConnection) -> QueryResult<Vec<(Uuid, i64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = BigInt)]
        people: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT f.id, coalesce(o.enrolled, 0) AS people FROM forces f \
         LEFT JOIN npws_force_overview() o ON o.force_slug = f.slug ORDER BY f.id",
    )
    .load(c)?;
    Ok(rows.into_iter().map(|r| (r.id, r.people)).collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(slug: &str, shifts: i32, regularity: Option<f64>) -> FeatureRow {
        FeatureRow {
            force_slug: slug.to_owned(),
            policing_function: "response".to_owned(),
            employment_type: "police_officer".to_owned(),
            shifts,
            early_shifts: 0,
            late_shifts: 0,
            night_shifts: 0,
            quick_returns: 0,
            minutes_worked: 0,
            sleep_nights: 0,
            sleep_minutes: 0,
            regularity_hours: regularity,
            recovery_slope_per_week: None,
            recovery_mornings: 0,
            red_mornings: 0,
            kss_check_ins: 0,
            kss_sum: 0,
        }
    }

    #[test]
    fn rows_sort_as_postgresql_orders_them() {
        let mut rows = vec![
            row("b", 1, None),
            row("b", 1, Some(f64::NAN)),
            row("b", 1, Some(2.0)),
            row("b", 1, Some(-0.5)),
            row("a", 9, None),
            row("b", 0, Some(7.0)),
            row("B", 5, None),
        ];
        in_function_order(&mut rows);
        let got: Vec<(String, i32, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.force_slug.clone(),
                    r.shifts,
                    format!("{:?}", r.regularity_hours),
                )
            })
            .collect();
        let want = [
            ("B", 5, "None"),
            ("a", 9, "None"),
            ("b", 0, "Some(7.0)"),
            ("b", 1, "Some(-0.5)"),
            ("b", 1, "Some(2.0)"),
            ("b", 1, "Some(NaN)"),
            ("b", 1, "None"),
        ];
        let want: Vec<(String, i32, String)> = want
            .iter()
            .map(|(s, n, r)| ((*s).to_owned(), *n, (*r).to_owned()))
            .collect();
        // Capitals before small letters (bytes, C collation); NULL after
        // NaN after every number.
        assert_eq!(got, want);
    }
}
