//! Roster rules: who may publish a team's roster, reading a file in the
//! force's zone, and what publishing it changes (duties replaced, moved or
//! cancelled; rest days kept or worked; the changes frm-indicators #10 and
//! #11 count).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::PgConnection;
use mobile_core::roster::{AbsenceCategory, RosterEntry, RosterLineError};
use uuid::Uuid;

use super::store::{self, Change, Duty, StaffDay};
use crate::accounts::service::{own_force, team_access};
use crate::app::AppState;
use crate::audit;
use crate::auth::Identity;
use crate::db;
use crate::error::{AppError, AppResult};

/// `roster_changes.kind` of a duty on an earlier upload's rest day.
pub const REST_DAY_WORKED: &str = "rest_day_worked";
/// `roster_changes.kind` of a duty moved to an earlier overlapping start.
pub const START_ADVANCED: &str = "start_advanced";

/// What an upload did.
#[derive(Debug)]
pub enum RosterOutcome {
    /// Stored.
    Stored {
        /// Duties stored.
        shifts_stored: usize,
        /// `csv` or `ical`.
        format: &'static str,
    },
    /// Nothing stored: every bad line, in line order.
    Rejected(Vec<RosterLineError>),
}

/// Parses and publishes a roster for a team (the API's and the dashboard's
/// upload): access check, parse in the force's zone, membership check,
/// then [`publish`], audited, in one transaction.
///
/// # Errors
/// Forbidden, not found, `unsupported_media_type`, `invalid_roster` (not
/// UTF-8), database errors.
pub async fn store_roster(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    content_type: &str,
    body: &[u8],
) -> AppResult<RosterOutcome> {
    let members = team_access(state, who, team).await?.members;
    let force = own_force(state, who).await?;
    let zone = force.zone();
    let (format, parsed) = if content_type.starts_with("text/calendar") {
        let text = std::str::from_utf8(body)
            .map_err(|_| AppError::invalid("invalid_roster", "not UTF-8"))?;
        (
            "ical",
            mobile_core::roster::icalendar_format::parse(text, zone),
        )
    } else if content_type.starts_with("text/csv") {
        ("csv", mobile_core::roster::csv_format::parse(body, zone))
    } else {
        return Err(AppError::invalid(
            "unsupported_media_type",
            "send text/csv or text/calendar",
        ));
    };
    let mut errors = match &parsed {
        Ok(_) => Vec::new(),
        Err(e) => e.errors.clone(),
    };
    let entries = parsed.unwrap_or_default();
    for e in &entries {
        if !members.contains(&e.staff_id) {
            errors.push(RosterLineError {
                line: e.line,
                column: "staff_id".to_owned(),
                message: "not a member of this team".to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Ok(RosterOutcome::Rejected(errors));
    }
    let audit_who = who.clone();
    let force_id = force.id;
    let stored = db::with_force(&state.pool, force_id, move |c| {
        let n = publish(
            c,
            force_id,
            audit_who.0.sub,
            format,
            &entries,
            zone,
            Utc::now(),
        )?;
        audit::record(
            c,
            Some(force_id),
            &audit_who,
            "upload_roster",
            &format!("team:{team}"),
        )?;
        Ok(n)
    })
    .await?;
    Ok(RosterOutcome::Stored {
        shifts_stored: stored,
        format,
    })
}

/// Publishes a parsed roster uploaded at `now` inside the caller's
/// force-scoped transaction: its duties, and its rest days for
/// frm-indicators #10 and #11 (leave and sickness are neither). Returns
/// how many duties.
///
/// A file is the force's roster as now published for the people and days it
/// covers:
/// - a duty with the same person and start as a stored one replaces it;
/// - a stored duty of the person that overlaps a duty of the file without
///   sharing its start was moved, and is replaced by it; when the new start
///   is earlier, a `start_advanced` change is recorded, dated `now`;
/// - a duty on a local date that an earlier upload gave the person as a rest
///   day is a rest day worked: the rest day is removed and a
///   `rest_day_worked` change recorded, dated `now`;
/// - a rest day in the file removes the person's stored duties starting on
///   that local date (the duty was cancelled) and is kept, unless the file
///   also has a duty that day;
/// - a day of annual leave, sickness or parental leave in the file
///   ([`mobile_core::roster::AbsenceCategory`]) does the same, replaces a
///   stored rest day (no change is recorded: leave on a rest day is not a
///   rest day worked), and is kept as the category only, for the 17-week
///   average (WTR reg. 4(6)); a duty or a rest day in a later file removes
///   it.
///
/// Local dates are in `zone`, the force's.
///
/// # Errors
/// Database errors.
pub fn publish(
    c: &mut PgConnection,
    force: Uuid,
    uploaded_by: Uuid,
    format: &str,
    entries: &[RosterEntry],
    zone: Tz,
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    let upload = Uuid::new_v4();
    let plan = Plan::of(entries, zone);
    let mut changes: BTreeSet<Change> = BTreeSet::new();

    // Rest days of earlier uploads that now have a duty.
    let duty_days: Vec<StaffDay> = plan.first_duty.keys().cloned().collect();
    for day in store::take_rest_days(c, force, &duty_days)? {
        if let Some(start) = plan.first_duty.get(&day) {
            changes.insert(Change {
                staff_number: day.0,
                kind: REST_DAY_WORKED,
                duty_start: *start,
            });
        }
    }
    // Stored duties the file's duties moved (overlapping, another start).
    for m in store::take_moved_duties(c, force, &plan.duties)? {
        if m.new_start < m.old_start {
            changes.insert(Change {
                staff_number: m.staff_number,
                kind: START_ADVANCED,
                duty_start: m.new_start,
            });
        }
    }
    // Rest days in the file: the day's stored duties were cancelled.
    store::cancel_duties_on(c, force, &plan.rest_days, zone)?;
    store::upsert_rest_days(c, force, &plan.rest_days, upload)?;
    // Absences in the file: the day's duties were cancelled, its rest day
    // replaced; a duty or rest day in the file ends a stored absence.
    let absent_days: Vec<StaffDay> = plan.absences.iter().map(|(d, _)| d.clone()).collect();
    store::take_rest_days(c, force, &absent_days)?;
    store::cancel_duties_on(c, force, &absent_days, zone)?;
    let present: Vec<StaffDay> = duty_days.iter().chain(&plan.rest_days).cloned().collect();
    store::clear_absences(c, force, &present)?;
    let absences: Vec<(StaffDay, &str)> = plan
        .absences
        .iter()
        .map(|(d, cat)| (d.clone(), cat.as_str()))
        .collect();
    store::upsert_absences(c, force, &absences, upload)?;
    let changes: Vec<Change> = changes.into_iter().collect();
    store::insert_changes(c, force, &changes, now, upload)?;
    store::upsert_duties(c, force, &plan.duties, upload)?;
    store::record_upload(c, force, upload, uploaded_by, format, plan.duties.len())?;
    Ok(plan.duties.len())
}

/// What a file publishes, before anything stored is looked at.
#[derive(Debug)]
struct Plan {
    /// Duties; the last row for a (person, start) wins, as a re-upload would.
    duties: Vec<Duty>,
    /// Each person's local days with a duty, and the day's first start.
    first_duty: BTreeMap<StaffDay, DateTime<Utc>>,
    /// Rest days in the file on days with no duty in it.
    rest_days: Vec<StaffDay>,
    /// Absences in the file on days with no duty or rest day in it.
    absences: Vec<(StaffDay, AbsenceCategory)>,
}

impl Plan {
    fn of(entries: &[RosterEntry], zone: Tz) -> Plan {
        let local_date = |t: DateTime<Utc>| -> NaiveDate { t.with_timezone(&zone).date_naive() };
        let mut latest: BTreeMap<(&str, DateTime<Utc>), &RosterEntry> = BTreeMap::new();
        for e in entries
            .iter()
            .filter(|e| mobile_core::roster::is_duty(e.activity.as_deref()))
        {
            latest.insert((e.staff_id.as_str(), e.shift.start()), e);
        }
        let duties: Vec<Duty> = latest
            .into_values()
            .map(|e| Duty {
                staff_number: e.staff_id.clone(),
                start: e.shift.start(),
                end: e.shift.end(),
                activity: e.activity.clone(),
            })
            .collect();
        let mut first_duty: BTreeMap<StaffDay, DateTime<Utc>> = BTreeMap::new();
        for d in &duties {
            first_duty
                .entry((d.staff_number.clone(), local_date(d.start)))
                .or_insert(d.start);
        }
        let rest_days: BTreeSet<StaffDay> = entries
            .iter()
            .filter(|e| mobile_core::roster::is_rest_day(e.activity.as_deref()))
            .map(|e| (e.staff_id.clone(), local_date(e.shift.start())))
            .filter(|day| !first_duty.contains_key(day))
            .collect();
        let mut absences: BTreeMap<StaffDay, AbsenceCategory> = BTreeMap::new();
        for e in entries {
            let Some(category) = AbsenceCategory::from_activity(e.activity.as_deref()) else {
                continue;
            };
            let day = (e.staff_id.clone(), local_date(e.shift.start()));
            if !first_duty.contains_key(&day) && !rest_days.contains(&day) {
                absences.insert(day, category);
            }
        }
        Plan {
            duties,
            first_duty,
            rest_days: rest_days.into_iter().collect(),
            absences: absences.into_iter().collect(),
        }
    }
}
