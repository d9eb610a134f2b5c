//! The NPWS analyst's cohort and comparison pages (and their CSV
//! downloads). They call the same loaders as `/v1/npws/*`, so the role
//! check, the audit entry and the suppression are the API's.

use actix_web::{HttpRequest, web};
use chrono::{Duration, Utc};
use minijinja::context;
use serde::Serialize;

use super::api::{CohortQuery, ComparisonQuery};
use super::service::{self, parse_by, parse_split};
use crate::app::{State, csv_download};
use crate::auth::Role;
use crate::dashboard::{DashError, PageResult, Session, Templates, html};
use crate::error::AppError;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/npws", web::get().to(overview))
        .route("/dashboard/npws/overview.csv", web::get().to(overview_csv))
        .service(web::resource("/dashboard/npws/cohorts").route(web::get().to(cohorts)))
        .service(web::resource("/dashboard/npws/cohorts.csv").route(web::get().to(cohorts_csv)))
        .service(web::resource("/dashboard/npws/comparisons").route(web::get().to(comparisons)))
        .service(
            web::resource("/dashboard/npws/comparisons.csv").route(web::get().to(comparisons_csv)),
        );
}

/// The default period: the 28 whole days before today.
fn default_period() -> (String, String) {
    let today = Utc::now().date_naive();
    (
        (today - Duration::days(28)).to_string(),
        (today - Duration::days(1)).to_string(),
    )
}

/// The form's values, defaults filled in.
#[derive(Debug, Serialize)]
struct Form {
    from: String,
    to: String,
    by: String,
    split: String,
    query: String,
}

fn form(from: Option<&str>, to: Option<&str>, by: Option<&str>, split: Option<&str>) -> Form {
    let (df, dt) = default_period();
    let from = from.unwrap_or(&df).to_owned();
    let to = to.unwrap_or(&dt).to_owned();
    let by = by.unwrap_or("force").to_owned();
    let split = split.unwrap_or("function").to_owned();
    let query = format!(
        "from={}&to={}&by={}&split={}",
        urlencode(&from),
        urlencode(&to),
        urlencode(&by),
        urlencode(&split)
    );
    Form {
        from,
        to,
        by,
        split,
        query,
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A message for the page when the analyst's input or the data do not allow
/// figures; other errors become the error page.
fn page_message(e: AppError) -> Result<String, DashError> {
    match e {
        AppError::Invalid { message, .. } => Ok(message),
        other => Err(other.into()),
    }
}

async fn cohorts(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    q: web::Query<CohortQuery>,
) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    s.who.require(&[Role::NpwsAnalyst])?;
    let f = form(q.from.as_deref(), q.to.as_deref(), None, None);
    let loaded = service::cohorts(&state, &s.who, Some(&f.from), Some(&f.to), q.k.as_deref()).await;
    let (run, error) = match loaded {
        Ok(run) => (Some(run), None),
        Err(e) => (None, Some(page_message(e)?)),
    };
    let features: Vec<&str> = analytics::cohorts::FEATURES.to_vec();
    Ok(html(tpl.render(
        "npws_cohorts.html",
        context! { nav => s.nav(), form => f, run, error, features },
    )?))
}

async fn cohorts_csv(state: State, req: HttpRequest, q: web::Query<CohortQuery>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let run = service::cohorts(
        &state,
        &s.who,
        q.from.as_deref(),
        q.to.as_deref(),
        q.k.as_deref(),
    )
    .await?;
    Ok(csv_download(
        service::cohorts_csv(&run)?,
        "npws-cohorts.csv",
    ))
}

async fn comparisons(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    q: web::Query<ComparisonQuery>,
) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    s.who.require(&[Role::NpwsAnalyst])?;
    let f = form(
        q.from.as_deref(),
        q.to.as_deref(),
        q.by.as_deref(),
        q.split.as_deref(),
    );
    let result = match (parse_by(Some(&f.by)), parse_split(Some(&f.split))) {
        (Ok(by), Ok(split)) => {
            service::comparisons(&state, &s.who, Some(&f.from), Some(&f.to), split)
                .await
                .map(|c| (c, by))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let (table, rounding, error) = match result {
        Ok((c, by)) => (c.view(by).cloned(), Some(c.rounding), None),
        Err(e) => (None, None, Some(page_message(e)?)),
    };
    Ok(html(tpl.render(
        "npws_comparisons.html",
        context! { nav => s.nav(), form => f, table, rounding, error },
    )?))
}

async fn comparisons_csv(
    state: State,
    req: HttpRequest,
    q: web::Query<ComparisonQuery>,
) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let (c, by) = service::comparison_view(
        &state,
        &s.who,
        q.from.as_deref(),
        q.to.as_deref(),
        q.by.as_deref(),
        q.split.as_deref(),
    )
    .await?;
    let (body, name) = service::comparisons_csv(&c, by)?;
    Ok(csv_download(body, &name))
}

async fn overview(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let rows: Vec<minijinja::Value> = service::overview(&state, &s.who)
        .await?
        .iter()
        .map(|r| {
            context! {
                force_slug => r.force_slug, enrolled => r.enrolled,
                sharing_sleep => r.sharing_sleep, sharing_check_ins => r.sharing_check_ins,
            }
        })
        .collect();
    Ok(html(
        tpl.render("npws.html", context! { nav => s.nav(), rows })?,
    ))
}

async fn overview_csv(state: State, req: HttpRequest) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let rows = service::overview(&state, &s.who).await?;
    Ok(csv_download(
        service::overview_csv(&rows)?,
        "npws-overview.csv",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencode_keeps_dates_and_escapes_the_rest() {
        assert_eq!(urlencode("2026-11-01"), "2026-11-01");
        assert_eq!(urlencode("a&b=c d"), "a%26b%3Dc%20d");
    }
}
