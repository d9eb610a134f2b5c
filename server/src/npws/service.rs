//! NPWS rules: only the NPWS analyst, every read audited, periods and
//! parameters checked, and only cohorts, suppressed comparisons and
//! suppressed counts leave: never an id or a cell under 5 people.

use actix_web::web;
use analytics::AnalyticsError;
use analytics::cohorts::{CohortRequest, CohortRun, PersonSums, cluster, feature_matrix};
use analytics::comparisons::{Comparisons, GroupBy, compare_groups};
use analytics::input::Period;
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::store::{self, ForceCounts};
use crate::app::AppState;
use crate::audit;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};

/// Seed of every NPWS cohort run (recorded in the output), so the same data
/// and period give the same cohorts.
pub const COHORT_SEED: u64 = 20_261_123;
/// The smallest cohort described (merged into its nearest neighbour below).
pub const MIN_COHORT_PEOPLE: usize = 20;
/// The largest k an analyst may ask for.
pub const MAX_K: usize = 8;

/// The national overview rows (the API's and the dashboard's), audited.
///
/// # Errors
/// Forbidden for any role but NPWS analyst; database errors.
pub async fn overview(state: &AppState, who: &Identity) -> AppResult<Vec<ForceCounts>> {
    who.require(&[Role::NpwsAnalyst])?;
    let who = who.clone();
    db::with_platform(&state.pool, move |c| {
        audit::record(c, None, &who, "read_national_overview", "all_forces")?;
        Ok(store::force_overview(c)?)
    })
    .await
}

/// The overview as CSV: a withheld cell reads `suppressed`.
///
/// # Errors
/// Internal when CSV writing fails.
pub fn overview_csv(rows: &[ForceCounts]) -> AppResult<String> {
    let cell = |v: Option<i64>| v.map_or_else(|| "suppressed".to_owned(), |n| n.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut write = || -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        w.write_record(["force", "enrolled", "sharing_sleep", "sharing_check_ins"])?;
        for r in rows {
            w.write_record([
                r.force_slug.clone(),
                cell(r.enrolled),
                cell(r.sharing_sleep),
                cell(r.sharing_check_ins),
            ])?;
        }
        w.flush()?;
        Ok(w.get_ref().clone())
    };
    let bytes = write().map_err(AppError::internal)?;
    String::from_utf8(bytes).map_err(AppError::internal)
}

/// Parses and checks a period (422 `invalid_period`).
///
/// # Errors
/// [`AppError::Invalid`].
pub fn parse_period(from: Option<&str>, to: Option<&str>) -> AppResult<Period> {
    let date = |name: &str, v: Option<&str>| -> AppResult<NaiveDate> {
        let v = v.ok_or_else(|| {
            AppError::invalid("invalid_period", format!("{name} is required (YYYY-MM-DD)"))
        })?;
        NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
            AppError::invalid("invalid_period", format!("{name}: a date as YYYY-MM-DD"))
        })
    };
    Period::new(date("from", from)?, date("to", to)?)
        .map_err(|e| AppError::invalid("invalid_period", e.to_string()))
}

fn parse_k(k: Option<&str>) -> AppResult<Option<usize>> {
    k.map(|k| {
        k.parse::<usize>()
            .ok()
            .filter(|k| (2..=MAX_K).contains(k))
            .ok_or_else(|| {
                AppError::invalid("invalid_k", format!("k: a whole number from 2 to {MAX_K}"))
            })
    })
    .transpose()
}

/// Parses the comparison view (422 `invalid_group`).
///
/// # Errors
/// [`AppError::Invalid`].
pub fn parse_by(by: Option<&str>) -> AppResult<GroupBy> {
    match by {
        None => Ok(GroupBy::Force),
        Some(s) => GroupBy::parse(s).ok_or_else(|| {
            AppError::invalid("invalid_group", "by: force, function or force_function")
        }),
    }
}

/// Connections the national read is shared out between: one PostgreSQL
/// backend works on one core, so the read takes about 1/n of the time on n
/// cores (issue 17: 120,000 people). At most this many, and no more than
/// the machine's cores.
pub const READ_CONNECTIONS: usize = 4;

/// Shares forces out into `n` groups of about equal people, largest first
/// into the group with the fewest so far (the longest-processing-time rule).
/// Every force is in exactly one group; no group is empty.
pub fn share_out(mut forces: Vec<(Uuid, i64)>, n: usize) -> Vec<Vec<Uuid>> {
    forces.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut groups: Vec<(i64, Vec<Uuid>)> = vec![(0, Vec::new()); n.max(1).min(forces.len())];
    for (id, people) in forces {
        if let Some(g) = groups.iter_mut().min_by_key(|g| g.0) {
            g.0 += people.max(1);
            g.1.push(id);
        }
    }
    groups.into_iter().map(|(_, ids)| ids).collect()
}

/// Loads everyone's feature sums for a period, audited under `action`:
/// the forces shared out between up to [`READ_CONNECTIONS`] connections
/// read at once, the rows then put in the function's own order, so the
/// result is the one national call's (tests/tests/npws.rs compares them).
/// Each connection reads in its own transaction: a record synced while
/// they start may be in one force's rows and not yet another's, as it
/// could be in a read a moment earlier or later.
async fn national_features(
    state: &AppState,
    who: &Identity,
    period: Period,
    action: &'static str,
    split: store::Split,
) -> AppResult<Vec<PersonSums>> {
    who.require(&[Role::NpwsAnalyst])?;
    let who = who.clone();
    let forces = db::with_platform(&state.pool, move |c| {
        let target = format!("all_forces:{}..{}", period.from, period.to);
        audit::record(c, None, &who, action, &target)?;
        Ok(store::force_sizes(c)?)
    })
    .await?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let groups = share_out(forces, READ_CONNECTIONS.min(cores));
    let pool = state.pool.clone();
    web::block(move || {
        let started = std::time::Instant::now();
        let parts: Vec<AppResult<Vec<store::FeatureRow>>> = std::thread::scope(|scope| {
            let reads: Vec<_> = groups
                .iter()
                .map(|forces| {
                    let pool = &pool;
                    scope.spawn(move || {
                        let mut conn = pool.get()?;
                        db::transaction(&mut conn, db::Scope::Platform, |c| {
                            Ok(store::person_features(
                                c,
                                period.from,
                                period.to,
                                Some(forces),
                            )?)
                        })
                    })
                })
                .collect();
            reads
                .into_iter()
                .map(|r| {
                    r.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        let mut rows = Vec::new();
        for part in parts {
            rows.extend(part?);
        }
        store::in_function_order(&mut rows);
        tracing::info!(
            people = rows.len(),
            connections = groups.len(),
            ms = started.elapsed().as_millis(),
            "npws features read"
        );
        Ok(store::person_sums(rows, split))
    })
    .await
    .map_err(AppError::internal)?
}

/// Parses what the comparison's groups are (422 `invalid_split`):
/// `function` (the default) or `employment_type`.
///
/// # Errors
/// [`AppError::Invalid`].
pub fn parse_split(split: Option<&str>) -> AppResult<store::Split> {
    match split {
        None | Some("function") => Ok(store::Split::Function),
        Some("employment_type") => Ok(store::Split::EmploymentType),
        Some(_) => Err(AppError::invalid(
            "invalid_split",
            "split: function or employment_type",
        )),
    }
}

/// Cohorts over a period (the API's and the dashboard's): the NPWS analyst
/// only, audited; sizes and centres only.
///
/// # Errors
/// Forbidden for any other role; `invalid_period`, `invalid_k`,
/// `too_few_people`; database errors.
pub async fn cohorts(
    state: &AppState,
    who: &Identity,
    from: Option<&str>,
    to: Option<&str>,
    k: Option<&str>,
) -> AppResult<CohortRun> {
    who.require(&[Role::NpwsAnalyst])?;
    let period = parse_period(from, to)?;
    let k = parse_k(k)?;
    let people = national_features(
        state,
        who,
        period,
        "read_npws_cohorts",
        store::Split::Function,
    )
    .await?;
    web::block(move || {
        let mut request = CohortRequest::new(period, COHORT_SEED);
        request.min_cohort_people = MIN_COHORT_PEOPLE;
        if let Some(k) = k {
            (request.k_min, request.k_max) = (k, k);
        }
        let (raw, _) = feature_matrix(&people, period.days());
        let started = std::time::Instant::now();
        let clustered = cluster(&request, &raw);
        tracing::info!(ms = started.elapsed().as_millis(), "npws cohorts clustered");
        match clustered {
            Ok(c) => Ok(CohortRun {
                meta: c.meta,
                cohorts: c.cohorts,
                tables: Vec::new(),
            }),
            // The count itself is not repeated: it may be small.
            Err(AnalyticsError::TooFewPeople { needed, .. }) => Err(AppError::invalid(
                "too_few_people",
                format!("too few people with shifts in this period for cohorts (at least {needed} are needed)"),
            )),
            Err(e) => Err(AppError::internal(e)),
        }
    })
    .await
    .map_err(AppError::internal)?
}

/// The comparisons over a period (all three views, one suppression
/// problem): the NPWS analyst only, audited.
///
/// # Errors
/// Forbidden for any other role; `invalid_period`; database errors.
pub async fn comparisons(
    state: &AppState,
    who: &Identity,
    from: Option<&str>,
    to: Option<&str>,
    split: store::Split,
) -> AppResult<Comparisons> {
    who.require(&[Role::NpwsAnalyst])?;
    let period = parse_period(from, to)?;
    let people = national_features(state, who, period, "read_npws_comparisons", split).await?;
    let grouping = match split {
        store::Split::Function => "policing function",
        store::Split::EmploymentType => "employment type",
    };
    web::block(move || compare_groups(period, &people, grouping))
        .await
        .map_err(AppError::internal)
}

/// The comparisons and the view asked for: the role is checked before
/// anything is parsed.
///
/// # Errors
/// As [`comparisons`], and `invalid_group`.
pub async fn comparison_view(
    state: &AppState,
    who: &Identity,
    from: Option<&str>,
    to: Option<&str>,
    by: Option<&str>,
    split: Option<&str>,
) -> AppResult<(Comparisons, GroupBy)> {
    who.require(&[Role::NpwsAnalyst])?;
    let by = parse_by(by)?;
    let split = parse_split(split)?;
    let c = comparisons(state, who, from, to, split).await?;
    Ok((c, by))
}

/// One view of the comparisons, as the API serves it.
#[derive(Debug, Serialize)]
pub struct ComparisonView<'a> {
    /// The period.
    pub period: Period,
    /// The view.
    pub by: GroupBy,
    /// The rounding rule of every mean.
    pub rounding: &'a str,
    /// The fewest people a published cell describes.
    pub min_people: u32,
    /// The table (withheld cells have `suppressed: true` and no value).
    pub table: &'a analytics::table::Table,
}

/// One view of the comparisons.
///
/// # Errors
/// Not found for a view the comparisons lack.
pub fn view(c: &Comparisons, by: GroupBy) -> AppResult<ComparisonView<'_>> {
    Ok(ComparisonView {
        period: c.period,
        by,
        rounding: &c.rounding,
        min_people: c.min_people,
        table: c.view(by).ok_or(AppError::NotFound)?,
    })
}

/// A cohort run as CSV.
///
/// # Errors
/// Internal when CSV writing fails.
pub fn cohorts_csv(run: &CohortRun) -> AppResult<String> {
    analytics::cohorts::render_cohorts_csv(run).map_err(AppError::internal)
}

/// One view of the comparisons as CSV, and its file name.
///
/// # Errors
/// Internal when CSV writing fails; not found for a missing view.
pub fn comparisons_csv(c: &Comparisons, by: GroupBy) -> AppResult<(String, String)> {
    let body =
        analytics::comparisons::render_csv(view(c, by)?.table).map_err(AppError::internal)?;
    Ok((body, format!("npws-comparisons-{}.csv", by.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forces_are_shared_out_by_people_largest_first() {
        let id = |n: u128| Uuid::from_u128(n);
        let forces = vec![
            (id(1), 100),
            (id(2), 60),
            (id(3), 50),
            (id(4), 0),
            (id(5), 10),
        ];
        // 100 | 60; 50 joins the lighter, 60 (110); 10 joins 100 (110);
        // 0 counts as 1 and joins the first of two equal groups.
        let groups = share_out(forces.clone(), 2);
        assert_eq!(groups, vec![vec![id(1), id(5), id(4)], vec![id(2), id(3)]]);
        // More groups than forces: one force each; one group: everyone.
        assert_eq!(share_out(forces.clone(), 9).len(), 5);
        assert_eq!(share_out(forces.clone(), 1)[0].len(), 5);
        assert!(share_out(Vec::new(), 4).is_empty());
    }
}
