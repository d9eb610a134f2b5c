//! The dashboard's pattern comparison: a form of up to four patterns
//! (presets or custom cycles in the notation), the figures side by side
//! with charts, and the same figures as a CSV download.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use analytics::patterns::{
    DEFAULT_HORIZON_DAYS, DEFAULT_TEAM_SIZE, MAX_PATTERNS, PatternFigures, Preset, RotaPattern,
};
use chrono::{NaiveDate, Utc};
use minijinja::context;

use super::service::{self, CompareRequest, Comparison, INVALID, PatternBody};
use crate::app::State;
use crate::dashboard::{DashError, PageResult, Session, Templates, html};
use crate::error::AppError;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/patterns", web::get().to(form))
        .route("/dashboard/patterns", web::post().to(compare))
        .route("/dashboard/patterns/patterns.csv", web::post().to(csv));
}

/// One form slot as the template shows it.
#[derive(Debug, Clone, serde::Serialize)]
struct Slot {
    n: usize,
    kind: String,
    name: String,
    cycle: String,
}

/// The presets in the first slots, the last one empty.
fn default_slots() -> Vec<Slot> {
    (1..=MAX_PATTERNS)
        .map(|n| Slot {
            n,
            kind: Preset::ALL
                .get(n - 1)
                .map(|p| p.key().to_owned())
                .unwrap_or_default(),
            name: String::new(),
            cycle: String::new(),
        })
        .collect()
}

fn presets() -> Vec<minijinja::Value> {
    Preset::ALL
        .iter()
        .map(|p| context! { key => p.key(), title => p.title(), cycle => RotaPattern::preset(*p).notation() })
        .collect()
}

/// The form's fields: `team_size`, `start`, `horizon_days`, and per slot
/// `kind{n}` (a preset's key, `custom`, or empty for none), `name{n}`,
/// `cycle{n}`.
fn request_of(form: &BTreeMap<String, String>) -> Result<(CompareRequest, Vec<Slot>), AppError> {
    let field = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or("");
    let number = |name: &'static str| -> Result<Option<u32>, AppError> {
        match field(name) {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid(INVALID, format!("{name}: a whole number"))),
        }
    };
    let start = match field("start") {
        "" => None,
        v => Some(
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| AppError::invalid(INVALID, "start: a date YYYY-MM-DD"))?,
        ),
    };
    let mut slots = Vec::new();
    let mut patterns = Vec::new();
    for n in 1..=MAX_PATTERNS {
        let slot = Slot {
            n,
            kind: field(&format!("kind{n}")).to_owned(),
            name: field(&format!("name{n}")).to_owned(),
            cycle: field(&format!("cycle{n}")).to_owned(),
        };
        let name = (!slot.name.is_empty()).then(|| slot.name.clone());
        match slot.kind.as_str() {
            "" => {}
            "custom" => patterns.push(PatternBody {
                name,
                cycle: Some(slot.cycle.clone()),
                ..Default::default()
            }),
            key => patterns.push(PatternBody {
                preset: Some(key.to_owned()),
                name,
                ..Default::default()
            }),
        }
        slots.push(slot);
    }
    Ok((
        CompareRequest {
            team_size: number("team_size")?,
            start,
            horizon_days: number("horizon_days")?,
            patterns,
        },
        slots,
    ))
}

/// The side-by-side table's rows: a label and each pattern's figure.
fn rows(patterns: &[PatternFigures]) -> Vec<minijinja::Value> {
    let opt = |v: Option<f64>, places: usize| {
        v.map_or_else(|| "–".to_owned(), |v| format!("{v:.places$}"))
    };
    type Cell = fn(&PatternFigures) -> String;
    let table: [(&str, Cell); 16] = [
        ("Cycle (days)", |p| p.cycle_days.to_string()),
        ("Team Risk Index (guidance 1.6)", |p| {
            p.risk_index
                .map_or_else(|| "–".into(), |v| format!("{v:.3}"))
        }),
        ("Highest officer's Risk Index", |p| {
            p.highest_officer_risk_index
                .map_or_else(|| "–".into(), |v| format!("{v:.3}"))
        }),
        ("Shifts (all officers)", |p| p.shifts.to_string()),
        ("Night shifts", |p| p.night_shifts.to_string()),
        ("Shifts at or over the Fatigue Index threshold", |p| {
            format!(
                "{} ({:.1}%: {} day, {} night)",
                p.shifts_over_fi_threshold,
                p.share_over_fi_threshold_percent,
                p.day_shifts_over_fi_threshold,
                p.night_shifts_over_fi_threshold
            )
        }),
        ("Highest Fatigue Index", |p| {
            format!("{:.1}", p.highest_fatigue_index)
        }),
        ("Longest run of nights", |p| {
            format!("{} ({})", p.longest_night_run, p.night_run_level)
        }),
        ("Quick returns under 12 h (under 11 h)", |p| {
            format!("{} ({})", p.quick_returns, p.quick_returns_red)
        }),
        ("Shifts over 12 h or nights over 8 h", |p| {
            p.long_shifts.to_string()
        }),
        ("Longest run of days worked", |p| {
            p.longest_work_day_run.to_string()
        }),
        ("Most hours in 7 days", |p| {
            format!("{:.1}", p.max_hours_in_7_days)
        }),
        ("Hours per officer per week", |p| {
            format!("{:.1}", p.hours_per_officer_per_week)
        }),
        ("Weeks without a 35 h weekly rest (of officer-weeks)", |p| {
            format!("{} of {}", p.weeks_without_weekly_rest, p.weekly_rest_weeks)
        }),
        ("Fortnights without weekly rest (WTR reg. 11)", |p| {
            p.fortnights_without_weekly_rest.to_string()
        }),
        (
            "17-week averages over amber / over 48 h (of periods)",
            |p| {
                format!(
                    "{} / {} of {}",
                    p.reference_periods_over_amber,
                    p.reference_periods_over_48,
                    p.reference_periods
                )
            },
        ),
    ];
    let mut out: Vec<minijinja::Value> = table
        .iter()
        .map(|(label, cell)| context! { label, cells => patterns.iter().map(cell).collect::<Vec<_>>() })
        .collect();
    out.push(context! {
        label => "Highest 17-week average hours",
        cells => patterns.iter().map(|p| opt(p.highest_17_week_average_hours, 1)).collect::<Vec<_>>(),
    });
    out
}

fn page(
    tpl: &Templates,
    s: &Session,
    slots: Vec<Slot>,
    values: minijinja::Value,
    result: Option<&Comparison>,
) -> PageResult {
    let charts = match result.map(|r| analytics::patterns::charts(&r.patterns)) {
        Some(Ok(charts)) => charts
            .into_iter()
            .map(|c| context! { svg => c.svg, alt => c.alt })
            .collect(),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "pattern charts");
            Vec::new()
        }
        None => Vec::new(),
    };
    Ok(html(tpl.render(
        "patterns.html",
        context! {
            nav => s.nav(), slots, presets => presets(), values, charts,
            result => result.map(|r| context! {
                zone => r.zone, team_size => r.team_size, start => r.start,
                horizon_days => r.horizon_days,
                names => r.patterns.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
                cycles => r.patterns.iter().map(|p| p.cycle.clone()).collect::<Vec<_>>(),
                rows => rows(&r.patterns),
            }),
        },
    )?))
}

async fn form(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    s.who.require(&service::COMPARERS)?;
    let values = context! {
        team_size => DEFAULT_TEAM_SIZE,
        start => service::next_monday(Utc::now().date_naive()),
        horizon_days => DEFAULT_HORIZON_DAYS,
    };
    page(&tpl, &s, default_slots(), values, None)
}

async fn comparison(
    state: &State,
    req: &HttpRequest,
    form: web::Form<BTreeMap<String, String>>,
) -> Result<(Session, Vec<Slot>, Comparison), DashError> {
    let form = form.into_inner();
    let s = Session::from_form(state, req, form.get("csrf").map_or("", String::as_str)).await?;
    s.who.require(&service::COMPARERS)?;
    let (request, slots) = request_of(&form)?;
    let result = service::compare(state, &s.who, request).await?;
    Ok((s, slots, result))
}

async fn compare(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    form: web::Form<BTreeMap<String, String>>,
) -> PageResult {
    let (s, slots, result) = comparison(&state, &req, form).await?;
    let values = context! {
        team_size => result.team_size, start => result.start, horizon_days => result.horizon_days,
    };
    page(&tpl, &s, slots, values, Some(&result))
}

async fn csv(
    state: State,
    req: HttpRequest,
    form: web::Form<BTreeMap<String, String>>,
) -> PageResult {
    let (_, _, result) = comparison(&state, &req, form).await?;
    let body = analytics::patterns::figures_csv(&result.patterns).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"patterns-{}-{}d.csv\"",
                result.start, result.horizon_days
            ),
        ))
        .body(body))
}
