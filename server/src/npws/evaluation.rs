//! The national programme's evaluation (docs/evaluation.md) and the partner
//! dataset (docs/partner-data.md): only the NPWS analyst reads them, every
//! read and release is audited, and only suppressed aggregates leave. Also
//! the two inputs: NPWS's roll-out plan per force, and the short-term
//! sickness counts a force admin or FRM lead uploads per team and month.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::web;
use analytics::evaluation::{
    BOOTSTRAP_DRAWS, EVALUATION_SEED, Evaluation, MonthFigures, MonthInput, evaluate,
    last_complete_month, month_figures, reporting_months,
};
use analytics::input::Period;
use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use super::evaluation_store::{self as store, SicknessLine};
use crate::accounts::store::{Force, Team};
use crate::app::AppState;
use crate::audit;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};

/// Months shown when the analyst does not say.
pub const DEFAULT_MONTHS: u32 = 12;
/// The most months one evaluation covers.
pub const MAX_MONTHS: u32 = 24;
/// The most lines a sickness upload may have.
pub const MAX_SICKNESS_LINES: usize = 50_000;

/// The months asked for: `to` as `YYYY-MM` (default: the last reporting
/// month that has ended) and how many (default [`DEFAULT_MONTHS`]).
///
/// # Errors
/// 422 `invalid_month`.
pub fn parse_months(to: Option<&str>, months: Option<&str>) -> AppResult<Vec<Period>> {
    let bad = |m: &str| AppError::invalid("invalid_month", m.to_owned());
    let last = last_complete_month(Utc::now().date_naive());
    let to = match to.filter(|s| !s.is_empty()) {
        None => last,
        Some(s) => {
            let ym = parse_month(s).ok_or_else(|| bad("to: a month as YYYY-MM"))?;
            if ym > last {
                return Err(bad("to: a reporting month that has ended"));
            }
            ym
        }
    };
    let n = match months.filter(|s| !s.is_empty()) {
        None => DEFAULT_MONTHS,
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|n| (2..=MAX_MONTHS).contains(n))
            .ok_or_else(|| bad(&format!("months: a whole number from 2 to {MAX_MONTHS}")))?,
    };
    Ok(reporting_months(to, n))
}

/// `YYYY-MM` as (year, month).
fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
    (y >= 2000 && Period::reporting_month(y, m).is_some() && y <= 9999).then_some((y, m))
}

/// Rows tagged with their month's first day, by month, in order.
fn by_month<T>(rows: Vec<(NaiveDate, T)>) -> BTreeMap<NaiveDate, Vec<T>> {
    let mut out: BTreeMap<NaiveDate, Vec<T>> = BTreeMap::new();
    for (m, t) in rows {
        out.entry(m).or_default().push(t);
    }
    out
}

/// Loads and publishes the months' tables, audited under `action`.
async fn months_figures(
    state: &AppState,
    who: &Identity,
    months: Vec<Period>,
    action: &'static str,
) -> AppResult<(Vec<MonthFigures>, Vec<analytics::evaluation::RolloutPlan>)> {
    who.require(&[Role::NpwsAnalyst])?;
    let (Some(first), Some(last)) = (months.first().copied(), months.last().copied()) else {
        return Err(AppError::invalid("invalid_month", "no months"));
    };
    let who = who.clone();
    let (inputs, plans) = db::with_platform(&state.pool, move |c| {
        let target = format!(
            "all_forces:{}..{}",
            analytics::evaluation::month_label(&first),
            analytics::evaluation::month_label(&last)
        );
        audit::record(c, None, &who, action, &target)?;
        // One call per source for the whole window, each row tagged with
        // its month's first day (a call per month took seconds).
        let mut people = by_month(store::person_outcomes(c, &months)?);
        let mut roster = by_month(store::roster_months(c, &months)?);
        let mut sickness = by_month(store::sickness(c, first.from, last.from)?);
        let inputs: Vec<(Period, MonthInput)> = months
            .iter()
            .map(|p| {
                let input = MonthInput {
                    people: people.remove(&p.from).unwrap_or_default(),
                    roster: roster.remove(&p.from).unwrap_or_default(),
                    sickness: sickness.remove(&p.from).unwrap_or_default(),
                };
                (*p, input)
            })
            .collect();
        Ok((inputs, store::rollout_plans(c)?))
    })
    .await?;
    let figures = web::block(move || {
        inputs
            .iter()
            .map(|(p, input)| month_figures(*p, input))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(AppError::internal)?;
    Ok((figures, plans))
}

/// The evaluation over the months asked for: NPWS analyst only, audited.
///
/// # Errors
/// Forbidden for any other role; `invalid_month`; database errors.
pub async fn evaluation(
    state: &AppState,
    who: &Identity,
    to: Option<&str>,
    months: Option<&str>,
) -> AppResult<Evaluation> {
    who.require(&[Role::NpwsAnalyst])?;
    let months = parse_months(to, months)?;
    let (figures, plans) = months_figures(state, who, months, "read_npws_evaluation").await?;
    web::block(move || evaluate(figures, plans, BOOTSTRAP_DRAWS, EVALUATION_SEED))
        .await
        .map_err(AppError::internal)
}

/// The evaluation's two CSVs in one file: the estimates, a blank line,
/// then the months' tables.
///
/// # Errors
/// Internal when CSV writing fails.
pub fn evaluation_csv(e: &Evaluation) -> AppResult<String> {
    let estimates = analytics::evaluation::render_estimates_csv(e).map_err(AppError::internal)?;
    let months = analytics::evaluation::render_months_csv(&e.months).map_err(AppError::internal)?;
    Ok(format!("{estimates}\n{months}"))
}

/// Releases the partner dataset: NPWS analyst only, audited as a release.
///
/// # Errors
/// Forbidden for any other role; `invalid_month`; database errors.
pub async fn partner_dataset(
    state: &AppState,
    who: &Identity,
    to: Option<&str>,
    months: Option<&str>,
) -> AppResult<String> {
    who.require(&[Role::NpwsAnalyst])?;
    let months = parse_months(to, months)?;
    let (figures, _) = months_figures(state, who, months, "release_partner_dataset").await?;
    let bodies = analytics::partner::lookup().map_err(AppError::internal)?;
    analytics::partner::dataset_csv(&figures, &bodies).map_err(AppError::internal)
}

/// The partner dataset's dictionary (NPWS analyst only).
///
/// # Errors
/// Forbidden for any other role.
pub fn partner_dictionary(who: &Identity) -> AppResult<String> {
    who.require(&[Role::NpwsAnalyst])?;
    let bodies = analytics::partner::lookup().map_err(AppError::internal)?;
    analytics::partner::dictionary_csv(&bodies).map_err(AppError::internal)
}

/// NPWS sets a force's wave, go-live date and enrolment target; audited.
///
/// # Errors
/// Forbidden for any other role; `invalid_plan`; not found for an
/// unknown force; database errors.
pub async fn set_rollout(
    state: &AppState,
    who: &Identity,
    force: &str,
    wave: &str,
    go_live: &str,
    target: &str,
) -> AppResult<()> {
    who.require(&[Role::NpwsAnalyst])?;
    let bad = |m: &str| AppError::invalid("invalid_plan", m.to_owned());
    let wave: i32 = wave
        .trim()
        .parse()
        .ok()
        .filter(|w| (1..=50).contains(w))
        .ok_or_else(|| bad("wave: a whole number from 1 to 50"))?;
    let go_live = NaiveDate::parse_from_str(go_live.trim(), "%Y-%m-%d")
        .map_err(|_| bad("go-live: a date as YYYY-MM-DD"))?;
    let target: i32 = target
        .trim()
        .parse()
        .ok()
        .filter(|t| (1..=1_000_000).contains(t))
        .ok_or_else(|| bad("target: a whole number of people from 1 to 1,000,000"))?;
    let (who, force) = (who.clone(), force.trim().to_owned());
    db::with_platform(&state.pool, move |c| {
        let f = Force::by_slug(c, &force)?;
        store::set_rollout_plan(c, f.id, wave, go_live, target, who.0.sub)?;
        let detail = format!("{force}:wave={wave},go_live={go_live},target={target}");
        audit::record(c, None, &who, "set_rollout_plan", &detail)?;
        Ok(())
    })
    .await
}

/// The plans, for the NPWS page's form.
///
/// # Errors
/// Forbidden for any other role; database errors.
pub async fn rollout_plans(
    state: &AppState,
    who: &Identity,
) -> AppResult<Vec<analytics::evaluation::RolloutPlan>> {
    who.require(&[Role::NpwsAnalyst])?;
    db::with_platform(&state.pool, |c| Ok(store::rollout_plans(c)?)).await
}

/// What a sickness upload did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum SicknessOutcome {
    /// Every line stored (team-months).
    Stored(usize),
    /// Nothing stored; each bad line named.
    Rejected(Vec<String>),
}

/// Parses a sickness file against the force's teams: header
/// `team,month,headcount,short_term_sickness_days`; every bad line named,
/// and either every line is good or none is taken.
///
/// # Errors
/// The list of problems, each naming its line.
pub fn parse_sickness(
    text: &str,
    teams: &[(String, Uuid)],
    today: NaiveDate,
) -> Result<Vec<SicknessLine>, Vec<String>> {
    const HEADER: [&str; 4] = ["team", "month", "headcount", "short_term_sickness_days"];
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match r.headers() {
        Ok(h) => h.iter().map(str::to_ascii_lowercase).collect(),
        Err(e) => return Err(vec![format!("line 1: {e}")]),
    };
    if header != HEADER {
        return Err(vec![format!(
            "line 1: the header must be {}",
            HEADER.join(",")
        )]);
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        if i >= MAX_SICKNESS_LINES {
            errors.push(format!("line {line}: more than {MAX_SICKNESS_LINES} lines"));
            break;
        }
        let rec = match rec {
            Ok(rec) if rec.len() == 4 => rec,
            Ok(_) => {
                errors.push(format!("line {line}: expected 4 fields"));
                continue;
            }
            Err(e) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let mut problems = Vec::new();
        let team = teams.iter().find(|(n, _)| n == &rec[0]).map(|(_, id)| *id);
        if team.is_none() {
            problems.push("team: no team of this force has that name".to_owned());
        }
        let period = parse_month(&rec[1]).and_then(|(y, m)| Period::reporting_month(y, m));
        match period {
            None => problems.push("month: a month as YYYY-MM".to_owned()),
            Some(p) if p.to >= today => {
                problems.push("month: a reporting month that has ended".to_owned());
            }
            _ => {}
        }
        let headcount = rec[2]
            .parse::<i32>()
            .ok()
            .filter(|h| (1..=100_000).contains(h));
        if headcount.is_none() {
            problems.push("headcount: a whole number of people from 1 to 100000".to_owned());
        }
        let days = rec[3].parse::<i32>().ok().filter(|d| *d >= 0);
        match (days, headcount, period) {
            (None, _, _) => {
                problems.push("short_term_sickness_days: a whole number, 0 or more".to_owned());
            }
            (Some(d), Some(h), Some(p)) if i64::from(d) > i64::from(h) * p.days() => {
                problems.push(
                    "short_term_sickness_days: more than the headcount times the month's days"
                        .to_owned(),
                );
            }
            _ => {}
        }
        if let (Some(team), Some(p), Some(h), Some(d), true) =
            (team, period, headcount, days, problems.is_empty())
        {
            if !seen.insert((team, p.from)) {
                errors.push(format!("line {line}: the same team and month again"));
                continue;
            }
            out.push(SicknessLine {
                team,
                month_from: p.from,
                headcount: h,
                sickness_days: d,
            });
        } else {
            errors.push(format!("line {line}: {}", problems.join("; ")));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A force admin's or FRM lead's sickness upload: all lines or none, in
/// one transaction, audited.
///
/// # Errors
/// Forbidden for any other role; database errors.
pub async fn upload_sickness(
    state: &AppState,
    who: &Identity,
    text: String,
) -> AppResult<SicknessOutcome> {
    who.require(&[Role::ForceAdmin, Role::FrmLead])?;
    let force = who.force()?;
    let who = who.clone();
    let today = Utc::now().date_naive();
    db::with_force(&state.pool, force, move |c| {
        let teams: Vec<(String, Uuid)> = Team::list(c, force, None)?
            .into_iter()
            .map(|t| (t.name, t.id))
            .collect();
        match parse_sickness(&text, &teams, today) {
            Err(errors) => Ok(SicknessOutcome::Rejected(errors)),
            Ok(lines) => {
                let upload = Uuid::new_v4();
                let n = store::store_sickness(c, force, &lines, upload, who.0.sub)?;
                audit::record(
                    c,
                    Some(force),
                    &who,
                    "upload_sickness_absence",
                    &format!("upload:{upload}:{n} team-months"),
                )?;
                Ok(SicknessOutcome::Stored(n))
            }
        }
    })
    .await
}

/// The months the caller's force has uploaded, with team counts.
///
/// # Errors
/// Forbidden but for force admins and FRM leads; database errors.
pub async fn sickness_months(state: &AppState, who: &Identity) -> AppResult<Vec<(String, i64)>> {
    who.require(&[Role::ForceAdmin, Role::FrmLead])?;
    let force = who.force()?;
    db::with_force(&state.pool, force, move |c| {
        Ok(store::sickness_months(c, force)?
            .into_iter()
            .map(|(from, n)| {
                let label = Period::reporting_month(
                    chrono::Datelike::year(&(from + chrono::Duration::days(3))),
                    chrono::Datelike::month(&(from + chrono::Duration::days(3))),
                )
                .map_or_else(
                    || from.to_string(),
                    |p| analytics::evaluation::month_label(&p),
                );
                (label, n)
            })
            .collect())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teams() -> Vec<(String, Uuid)> {
        vec![
            ("Response A".to_owned(), Uuid::from_u128(1)),
            ("CID".to_owned(), Uuid::from_u128(2)),
        ]
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    #[test]
    fn a_good_file_gives_grid_months() {
        let text = "team,month,headcount,short_term_sickness_days\n\
                    Response A,2026-11,40,12\nCID,2026-10,9,0\n";
        let lines = parse_sickness(text, &teams(), today()).unwrap();
        // November 2026's reporting month starts Mon 2 Nov; October's Mon 28 Sep.
        assert_eq!(
            lines[0].month_from,
            NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
        );
        assert_eq!(
            lines[1].month_from,
            NaiveDate::from_ymd_opt(2026, 9, 28).unwrap()
        );
        assert_eq!((lines[0].headcount, lines[0].sickness_days), (40, 12));
    }

    #[test]
    fn bad_lines_are_named_and_nothing_is_taken() {
        let text = "team,month,headcount,short_term_sickness_days\n\
                    Response A,2026-11,40,12\n\
                    Nobody,2026-11,5,1\n\
                    CID,2026-12,5,1\n\
                    CID,2026-10,0,1\n\
                    CID,2026-10,2,100\n\
                    Response A,2026-11,40,3\n";
        let errors = parse_sickness(text, &teams(), today()).unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors[0].starts_with("line 3: team"));
        assert!(errors[1].starts_with("line 4: month: a reporting month that has ended"));
        assert!(errors[2].starts_with("line 5: headcount"));
        // 2 people x 35 days = 70 < 100.
        assert!(errors[3].starts_with("line 6: short_term_sickness_days: more than"));
        assert!(errors[4].starts_with("line 7: the same team and month"));
        let header = parse_sickness("team,month,days\n", &teams(), today()).unwrap_err();
        assert!(header[0].starts_with("line 1:"));
    }

    #[test]
    fn months_default_to_the_last_complete_and_are_checked() {
        let m = parse_months(Some("2026-06"), Some("3")).unwrap();
        let labels: Vec<String> = m.iter().map(analytics::evaluation::month_label).collect();
        assert_eq!(labels, ["2026-04", "2026-05", "2026-06"]);
        assert!(parse_months(Some("2026-13"), None).is_err());
        assert!(parse_months(None, Some("1")).is_err());
        assert!(parse_months(None, Some("25")).is_err());
        assert_eq!(parse_months(None, None).unwrap().len(), 12);
    }
}
