//! Pattern comparison rules: who may compare, what a request may ask for,
//! and the figures (`analytics::patterns`) in the force's zone with the
//! force's own limits (`crate::settings::service::limits_of`), as the team
//! view assesses a published roster. Audited as `compare_patterns`.

use actix_web::web;
use analytics::patterns::{
    DEFAULT_HORIZON_DAYS, DEFAULT_TEAM_SIZE, MAX_PATTERNS, PatternFigures, PatternRun, Preset,
    RotaPattern, ShiftSpec, pattern_figures,
};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use mobile_core::LocalClock;
use mobile_core::roster::assess::AssessmentParams;
use serde::{Deserialize, Serialize};

use crate::accounts::store::Force;
use crate::app::AppState;
use crate::audit;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};

/// The roles that compare patterns: the FRM lead, who recommends a rota to
/// the force, and supervisors, who roster teams. A pattern holds no one's
/// data, but NPWS analysts, officers and the rest have no part in
/// choosing a force's rota.
pub const COMPARERS: [Role; 2] = [Role::FrmLead, Role::Supervisor];

/// The error code of every refused comparison request (422).
pub const INVALID: &str = "invalid_pattern";

/// One day of a custom cycle: a shift (`null` in the list is a rest day).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayBody {
    /// Local start time, `HH:MM`.
    pub start: String,
    /// Length, hours (elapsed; over 0, at most 24).
    pub hours: f64,
}

/// One pattern: a preset, or a custom cycle as `days` or in the form's
/// notation (`cycle`, e.g. `07:00+10 07:00+10 22:00+10 22:00+10 R R R R`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatternBody {
    /// `four_on_four_off`, `five_week_rolling` or `two_two_three`.
    pub preset: Option<String>,
    /// Name of a custom pattern (a preset's own by default).
    pub name: Option<String>,
    /// A custom cycle: one entry per day, `null` for rest.
    pub days: Option<Vec<Option<DayBody>>>,
    /// A custom cycle in the notation.
    pub cycle: Option<String>,
}

/// What to compare.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareRequest {
    /// Officers working each pattern (default 10, at most 60).
    pub team_size: Option<u32>,
    /// First local date (default: the next Monday).
    pub start: Option<NaiveDate>,
    /// Days (default 365, 7 to 372).
    pub horizon_days: Option<u32>,
    /// One to four patterns.
    pub patterns: Vec<PatternBody>,
}

/// The comparison: each pattern's figures, side by side.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The force's IANA zone the rosters were generated in.
    pub zone: String,
    /// Officers.
    pub team_size: u32,
    /// First local date.
    pub start: NaiveDate,
    /// Days.
    pub horizon_days: u32,
    /// Per pattern, in the order asked (`analytics::patterns::PatternFigures`;
    /// docs/patterns.md).
    #[schema(value_type = Vec<Object>)]
    pub patterns: Vec<PatternFigures>,
}

/// The Monday after `today` (a rota usually starts on one).
pub fn next_monday(today: NaiveDate) -> NaiveDate {
    today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()))
}

fn bad(e: impl std::fmt::Display) -> AppError {
    AppError::invalid(INVALID, e.to_string())
}

/// One pattern of a request, validated; errors name `patterns[i]...`.
fn pattern_of(i: usize, body: &PatternBody) -> AppResult<RotaPattern> {
    let at = |e: analytics::AnalyticsError| bad(format!("patterns[{i}].{e}"));
    let given = [
        body.preset.is_some(),
        body.days.is_some(),
        body.cycle.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(bad(format!(
            "patterns[{i}]: give exactly one of preset, days or cycle"
        )));
    }
    let name = body.name.as_deref().unwrap_or("");
    if let Some(key) = &body.preset {
        let preset = Preset::from_key(key).ok_or_else(|| {
            let keys: Vec<&str> = Preset::ALL.iter().map(|p| p.key()).collect();
            bad(format!("patterns[{i}].preset: one of {}", keys.join(", ")))
        })?;
        let mut p = RotaPattern::preset(preset);
        if !name.trim().is_empty() {
            p = RotaPattern::new(name, p.days).map_err(at)?;
        }
        return Ok(p);
    }
    let name = if name.trim().is_empty() {
        format!("Pattern {}", i + 1)
    } else {
        name.to_owned()
    };
    if let Some(cycle) = &body.cycle {
        return RotaPattern::parse(&name, cycle).map_err(at);
    }
    let days = body
        .days
        .iter()
        .flatten()
        .enumerate()
        .map(|(j, d)| {
            d.as_ref()
                .map(|d| ShiftSpec::new(&d.start, d.hours, &format!("days[{j}]")))
                .transpose()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(at)?;
    RotaPattern::new(&name, days).map_err(at)
}

/// A request's run and patterns, validated, with the defaults filled in.
///
/// # Errors
/// 422 `invalid_pattern` naming the field (`team_size`, `horizon_days`,
/// `patterns`, `patterns[i].days[j].hours`, ...).
pub fn validate(
    req: &CompareRequest,
    today: NaiveDate,
) -> AppResult<(PatternRun, Vec<RotaPattern>)> {
    let run = PatternRun::new(
        req.team_size.unwrap_or(DEFAULT_TEAM_SIZE),
        req.start.unwrap_or_else(|| next_monday(today)),
        req.horizon_days.unwrap_or(DEFAULT_HORIZON_DAYS),
    )
    .map_err(bad)?;
    if req.patterns.is_empty() || req.patterns.len() > MAX_PATTERNS {
        return Err(bad(format!("patterns: 1 to {MAX_PATTERNS} patterns")));
    }
    let patterns = req
        .patterns
        .iter()
        .enumerate()
        .map(|(i, p)| pattern_of(i, p))
        .collect::<AppResult<Vec<_>>>()?;
    Ok((run, patterns))
}

/// Compares patterns for the caller's force: role check, validation, the
/// force's zone and limits, an audit entry, then each pattern's figures
/// (off the async runtime: a year of a team is a few hundred thousand
/// model epochs per distinct officer).
///
/// # Errors
/// Forbidden for every role but [`COMPARERS`]; `invalid_pattern`;
/// database errors.
pub async fn compare(
    state: &AppState,
    who: &Identity,
    req: CompareRequest,
) -> AppResult<Comparison> {
    who.require(&COMPARERS)?;
    let force = who.force()?;
    let (run, patterns) = validate(&req, Utc::now().date_naive())?;
    let audit_who = who.clone();
    let (zone, limits) = db::with_force(&state.pool, force, move |c| {
        let zone = Force::by_id(c, force)?.time_zone;
        let limits = crate::settings::service::limits_of(c, force)?;
        audit::record(c, Some(force), &audit_who, "compare_patterns", "force")?;
        Ok((zone, limits))
    })
    .await?;
    let clock = LocalClock::from_name(&zone).map_err(AppError::internal)?;
    let params = AssessmentParams {
        limits,
        ..AssessmentParams::default()
    };
    let figures = web::block(move || {
        patterns
            .iter()
            .map(|p| pattern_figures(p, &run, &clock, &params))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?
    .map_err(AppError::internal)?;
    Ok(Comparison {
        zone,
        team_size: run.team_size,
        start: run.start,
        horizon_days: run.horizon_days,
        patterns: figures,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    fn request(patterns: Vec<PatternBody>) -> CompareRequest {
        CompareRequest {
            team_size: None,
            start: None,
            horizon_days: None,
            patterns,
        }
    }

    fn detail(r: AppResult<(PatternRun, Vec<RotaPattern>)>) -> String {
        match r.unwrap_err() {
            AppError::Invalid { code, message } => {
                assert_eq!(code, INVALID);
                message
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_are_a_team_of_ten_for_a_year_from_next_monday() {
        let preset = PatternBody {
            preset: Some("two_two_three".into()),
            ..Default::default()
        };
        let (run, patterns) = validate(&request(vec![preset]), day()).unwrap();
        // 3 December 2026 is a Thursday: the next Monday is 7 December.
        assert_eq!(run.start, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
        assert_eq!((run.team_size, run.horizon_days), (10, 365));
        assert_eq!(patterns[0].cycle_days(), 28);
        assert_eq!(
            next_monday(run.start),
            NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()
        );
    }

    #[test]
    fn refusals_name_the_field() {
        let custom = |days: Vec<Option<DayBody>>| PatternBody {
            days: Some(days),
            ..Default::default()
        };
        let shift = |start: &str, hours: f64| {
            Some(DayBody {
                start: start.into(),
                hours,
            })
        };
        let ok = custom(vec![shift("07:00", 8.0), None]);
        assert!(validate(&request(vec![ok.clone()]), day()).is_ok());
        let m = detail(validate(
            &request(vec![
                ok.clone(),
                custom(vec![shift("07:00", 8.0), shift("7am", 8.0)]),
            ]),
            day(),
        ));
        assert!(m.starts_with("patterns[1].days[1].start:"), "{m}");
        let m = detail(validate(
            &request(vec![custom(vec![shift("07:00", 30.0)])]),
            day(),
        ));
        assert!(m.starts_with("patterns[0].days[0].hours:"), "{m}");
        let m = detail(validate(
            &request(vec![PatternBody {
                preset: Some("six_on".into()),
                ..Default::default()
            }]),
            day(),
        ));
        assert!(
            m.starts_with("patterns[0].preset: one of four_on_four_off"),
            "{m}"
        );
        let m = detail(validate(
            &request(vec![PatternBody {
                cycle: Some("07:00+8 R".into()),
                days: Some(vec![None]),
                ..Default::default()
            }]),
            day(),
        ));
        assert!(m.starts_with("patterns[0]: give exactly one"), "{m}");
        assert!(detail(validate(&request(vec![]), day())).starts_with("patterns:"));
        assert!(detail(validate(&request(vec![ok.clone(); 5]), day())).starts_with("patterns:"));
        let mut r = request(vec![ok]);
        r.team_size = Some(61);
        assert!(detail(validate(&r, day())).starts_with("team_size:"));
        r.team_size = None;
        r.horizon_days = Some(400);
        assert!(detail(validate(&r, day())).starts_with("horizon_days:"));
    }
}
