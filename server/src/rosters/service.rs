//! Roster rules: who may publish a team's roster, reading a file in the
//! force's zone, and what publishing it changes (duties replaced, moved or
//! cancelled; rest days kept or worked; the changes frm-indicators #10 and
//! #11 count).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::PgConnection;
use mobile_core::period::Period;
use mobile_core::roster::{AbsenceCategory, RosterEntry, RosterLineError};
use models::Shift;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::store::{self, Change, Duty, StaffDay};
use crate::accounts::service::{own_force, team_access};
use crate::app::AppState;
use crate::audit;
use crate::auth::{Identity, Role};
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
    let (format, entries) = match parse_roster(content_type, body, zone, &members)? {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(RosterOutcome::Rejected(errors)),
    };
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

/// A file read: its format (`csv` or `ical`) and entries, or every bad
/// line in line order.
pub type Parsed = Result<(&'static str, Vec<RosterEntry>), Vec<RosterLineError>>;

/// Reads a roster file sent as `content_type` (`text/csv` or
/// `text/calendar`) in the force's `zone` with `mobile_core::roster`'s
/// parsers, and checks every `staff_id` is one of `members`: the format
/// (`csv` or `ical`) and the entries, or every bad line in line order.
///
/// # Errors
/// `unsupported_media_type`, `invalid_roster` (not UTF-8).
pub fn parse_roster(
    content_type: &str,
    body: &[u8],
    zone: Tz,
    members: &[String],
) -> AppResult<Parsed> {
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
        return Ok(Err(errors));
    }
    Ok(Ok((format, entries)))
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
    publish_covering(c, force, uploaded_by, format, entries, zone, now, None)
}

/// The people and instants a published draft is the whole roster of.
#[derive(Debug, Clone)]
pub struct Cover {
    /// The team's staff numbers.
    pub staff: Vec<String>,
    /// The period's first instant.
    pub from: DateTime<Utc>,
    /// The instant after its last day.
    pub to: DateTime<Utc>,
}

/// [`publish`], and with `cover` (a draft is published) the stored duties
/// of the covered people starting in the covered instants that the
/// entries do not have are taken off too, after the changes an upload
/// records were recorded: a draft is its team's whole roster for its
/// period, where a file is the roster of the days it names.
///
/// # Errors
/// Database errors.
#[allow(clippy::too_many_arguments)]
pub fn publish_covering(
    c: &mut PgConnection,
    force: Uuid,
    uploaded_by: Uuid,
    format: &str,
    entries: &[RosterEntry],
    zone: Tz,
    now: DateTime<Utc>,
    cover: Option<&Cover>,
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
    if let Some(cover) = cover {
        store::delete_duties_not_in(c, force, &cover.staff, cover.from, cover.to, &plan.duties)?;
    }
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

// ---------------------------------------------------------------------
// Drafts: a team's roster for a period, checked before it is published.
// ---------------------------------------------------------------------

/// Longest text of a reason for publishing over red flags, characters.
pub const MAX_REASON_CHARS: usize = 2000;
/// `activity` a draft gives a rest day it marks (one of
/// `mobile_core::roster::REST_DAY_ACTIVITIES`).
const DRAFT_REST_DAY: &str = mobile_core::roster::REST_DAY_ACTIVITIES[0];

/// Where a draft starts from.
#[derive(Debug)]
pub enum DraftSource<'a> {
    /// A roster file (`text/csv` or `text/calendar`).
    File {
        /// Its media type.
        content_type: &'a str,
        /// Its bytes.
        body: &'a [u8],
    },
    /// A copy of the published roster for the period (duties and rest days).
    Published,
}

/// One change to a draft (API and page).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum DraftChange {
    /// Moves a duty to new times, and to another officer if given.
    Move {
        /// Whose duty.
        staff_number: String,
        /// Its start.
        start: DateTime<Utc>,
        /// New start.
        new_start: DateTime<Utc>,
        /// New end.
        new_end: DateTime<Utc>,
        /// The officer who takes it (default: the same).
        #[serde(default)]
        to_staff_number: Option<String>,
    },
    /// Swaps two officers' duties: each takes the other's.
    Swap {
        /// One officer.
        staff_number: String,
        /// Their duty's start.
        start: DateTime<Utc>,
        /// The other officer.
        with_staff_number: String,
        /// The other's duty's start.
        with_start: DateTime<Utc>,
    },
    /// Adds a duty.
    Add {
        /// Whose.
        staff_number: String,
        /// Start.
        start: DateTime<Utc>,
        /// End.
        end: DateTime<Utc>,
    },
    /// Removes a duty.
    Remove {
        /// Whose.
        staff_number: String,
        /// Its start.
        start: DateTime<Utc>,
    },
    /// Marks a local day a rest day: the officer's duties starting that day
    /// come off.
    RestDay {
        /// Whose.
        staff_number: String,
        /// The local date (force's zone).
        date: NaiveDate,
    },
}

/// One step of a draft's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DraftStep {
    /// 0 for the draft as started.
    pub version: i32,
    /// What changed, in words.
    pub change: String,
    /// When.
    pub made_at: DateTime<Utc>,
}

/// A draft: its period, history and its comparison with the published
/// roster.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DraftView {
    /// Id.
    pub id: Uuid,
    /// Team.
    pub team_id: Uuid,
    /// First local day.
    pub from: NaiveDate,
    /// Last local day.
    pub to: NaiveDate,
    /// When it was published (absent while a draft).
    pub published_at: Option<DateTime<Utc>>,
    /// Why it was published over red flags, if it was.
    pub publish_reason: Option<String>,
    /// Its history, oldest first (the last step is the draft as it stands).
    pub history: Vec<DraftStep>,
    /// The draft beside the published roster: per officer both sides'
    /// assessments (`analytics::drafts::DraftComparison`).
    #[schema(value_type = Object)]
    pub comparison: analytics::drafts::DraftComparison,
}

/// A draft in a team's list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DraftSummary {
    /// Id.
    pub id: Uuid,
    /// First local day.
    pub from: NaiveDate,
    /// Last local day.
    pub to: NaiveDate,
    /// Started.
    pub created_at: DateTime<Utc>,
    /// Published.
    pub published_at: Option<DateTime<Utc>>,
}

/// What starting a draft did.
#[derive(Debug)]
pub enum DraftStart {
    /// Started.
    Started(Box<DraftView>),
    /// Nothing stored: every bad line of the file, in line order.
    Rejected(Vec<RosterLineError>),
}

/// A published draft.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Published {
    /// Duties stored.
    pub shifts_stored: usize,
    /// Red flags the draft had.
    pub red_flags: u32,
    /// The draft, now published.
    pub draft: DraftView,
}

/// The team a draft person may work on: its supervisor or the FRM lead
/// (not the force admin, who uploads; not officers or NPWS).
async fn draft_team(
    state: &AppState,
    who: &Identity,
    team: Uuid,
) -> AppResult<crate::accounts::store::Team> {
    who.require(&[Role::Supervisor, Role::FrmLead])?;
    team_access(state, who, team).await
}

fn check_draft_period(period: &Period) -> AppResult<()> {
    crate::risk::service::check_period(period)
}

fn local_day_of(t: DateTime<Utc>, zone: Tz) -> NaiveDate {
    t.with_timezone(&zone).date_naive()
}

/// A draft's entries: parsed from JSON as stored.
fn entries_of(v: &serde_json::Value) -> AppResult<Vec<RosterEntry>> {
    serde_json::from_value(v.clone()).map_err(AppError::internal)
}

fn draft_duties(entries: &[RosterEntry]) -> Vec<(String, Shift)> {
    entries
        .iter()
        .filter(|e| mobile_core::roster::is_duty(e.activity.as_deref()))
        .map(|e| (e.staff_id.clone(), e.shift))
        .collect()
}

/// Loads a draft of `team` (locked), its versions; not found for another
/// team's draft.
fn load_draft(
    c: &mut PgConnection,
    force: Uuid,
    team: Uuid,
    draft: Uuid,
) -> AppResult<(store::DraftRow, Vec<store::DraftVersion>)> {
    let row = store::draft_for_update(c, force, draft)?;
    if row.team_id != team {
        return Err(AppError::NotFound);
    }
    let versions = store::versions(c, force, draft)?;
    Ok((row, versions))
}

/// [`load_draft`] for a change: a published draft is refused (409).
fn load_open_draft(
    c: &mut PgConnection,
    force: Uuid,
    team: Uuid,
    draft: Uuid,
) -> AppResult<(store::DraftRow, Vec<store::DraftVersion>)> {
    let (row, versions) = load_draft(c, force, team, draft)?;
    if row.published_at.is_some() {
        return Err(AppError::Conflict("the draft was published".to_owned()));
    }
    Ok((row, versions))
}

/// The view of a draft: its comparison computed now.
async fn view_of(
    state: &AppState,
    force: Uuid,
    members: Vec<String>,
    row: store::DraftRow,
    versions: Vec<store::DraftVersion>,
) -> AppResult<DraftView> {
    let entries = match versions.last() {
        Some(v) => entries_of(&v.entries)?,
        None => Vec::new(),
    };
    let period = Period {
        from: row.period_from,
        to: row.period_to,
    };
    let comparison =
        crate::risk::service::compare_draft(state, force, members, period, draft_duties(&entries))
            .await?;
    Ok(DraftView {
        id: row.id,
        team_id: row.team_id,
        from: row.period_from,
        to: row.period_to,
        published_at: row.published_at,
        publish_reason: row.publish_reason,
        history: versions
            .into_iter()
            .map(|v| DraftStep {
                version: v.version,
                change: v.change,
                made_at: v.made_at,
            })
            .collect(),
        comparison,
    })
}

/// Starts a draft for a team and period, from a file or a copy of the
/// published roster. Audited. Nothing is published: officers never see a
/// draft and no roster change is recorded from it.
///
/// # Errors
/// Forbidden (roles other than supervisor and FRM lead, a supervisor of
/// another team), not found (another force's team), `invalid_period`,
/// `unsupported_media_type`, `invalid_roster`, database errors.
pub async fn start_draft(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    period: Period,
    source: DraftSource<'_>,
) -> AppResult<DraftStart> {
    let team = draft_team(state, who, team).await?;
    check_draft_period(&period)?;
    let force = own_force(state, who).await?;
    let zone = force.zone();
    let (from, to) = period.instants(zone);
    let members = team.members.clone();
    let (entries, origin) = match source {
        DraftSource::File { content_type, body } => {
            match parse_roster(content_type, body, zone, &members)? {
                Err(errors) => return Ok(DraftStart::Rejected(errors)),
                Ok((format, entries)) => {
                    let outside: Vec<RosterLineError> = entries
                        .iter()
                        .filter(|e| e.shift.start() < from || e.shift.start() >= to)
                        .map(|e| RosterLineError {
                            line: e.line,
                            column: "start".to_owned(),
                            message: format!(
                                "outside the draft's period {} to {}",
                                period.from, period.to
                            ),
                        })
                        .collect();
                    if !outside.is_empty() {
                        return Ok(DraftStart::Rejected(outside));
                    }
                    (entries, format!("started from a roster file ({format})"))
                }
            }
        }
        DraftSource::Published => (Vec::new(), "copied from the published roster".to_owned()),
    };
    let copy = matches!(source, DraftSource::Published);
    let audit_who = who.clone();
    let (force_id, team_id, by) = (force.id, team.id, who.0.sub);
    let id = Uuid::new_v4();
    let copy_members = members.clone();
    let (row, versions) = db::with_force(&state.pool, force_id, move |c| {
        let entries = if copy {
            published_entries(c, force_id, &copy_members, &period, zone)?
        } else {
            entries
        };
        store::insert_draft(c, force_id, id, team_id, (period.from, period.to), by)?;
        let json = serde_json::to_value(&entries).map_err(AppError::internal)?;
        store::insert_version(c, force_id, id, 0, &json, &origin, by)?;
        audit::record(
            c,
            Some(force_id),
            &audit_who,
            "start_roster_draft",
            &format!("team:{team_id}/draft:{id}"),
        )?;
        load_draft(c, force_id, team_id, id)
    })
    .await?;
    let view = view_of(state, force_id, members, row, versions).await?;
    Ok(DraftStart::Started(Box::new(view)))
}

/// The published duties and rest days of `staff` in the period, as a
/// draft's entries.
fn published_entries(
    c: &mut PgConnection,
    force: Uuid,
    staff: &[String],
    period: &Period,
    zone: Tz,
) -> AppResult<Vec<RosterEntry>> {
    let (from, to) = period.instants(zone);
    let entry = |staff_id: String, shift: Shift, activity: Option<String>| RosterEntry {
        staff_id,
        shift,
        team: None,
        role: None,
        activity,
        line: 0,
    };
    let mut out: Vec<RosterEntry> = store::between(c, force, staff, from, to)?
        .into_iter()
        .filter_map(|r| {
            Shift::new(r.start_at, r.end_at)
                .ok()
                .map(|s| entry(r.staff_number, s, None))
        })
        .collect();
    for (staff, day) in store::rest_days_between(c, force, staff, period.from, period.to)? {
        out.push(entry(
            staff,
            rest_day_shift(day, zone)?,
            Some(DRAFT_REST_DAY.to_owned()),
        ));
    }
    Ok(out)
}

/// A rest day as a roster entry's span: the local day.
fn rest_day_shift(day: NaiveDate, zone: Tz) -> AppResult<Shift> {
    let one = Period { from: day, to: day };
    let (a, b) = one.instants(zone);
    Shift::new(a, b).map_err(|e| AppError::invalid("invalid_shift", e.to_string()))
}

/// A team's drafts, newest first.
///
/// # Errors
/// As [`start_draft`]'s access checks.
pub async fn team_drafts(
    state: &AppState,
    who: &Identity,
    team: Uuid,
) -> AppResult<Vec<DraftSummary>> {
    let team = draft_team(state, who, team).await?;
    let force = who.force()?;
    let rows = db::with_force(&state.pool, force, move |c| {
        Ok(store::team_drafts(c, force, team.id)?)
    })
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DraftSummary {
            id: r.id,
            from: r.period_from,
            to: r.period_to,
            created_at: r.created_at,
            published_at: r.published_at,
        })
        .collect())
}

/// A draft of the team, with its comparison. Audited.
///
/// # Errors
/// As [`start_draft`]'s access checks; not found for a draft of another
/// team or force.
pub async fn draft(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    draft: Uuid,
) -> AppResult<DraftView> {
    let team = draft_team(state, who, team).await?;
    let force = who.force()?;
    let team_id = team.id;
    let audit_who = who.clone();
    // Read as the team view is: audited.
    let (row, versions) = db::with_force(&state.pool, force, move |c| {
        let loaded = load_draft(c, force, team_id, draft)?;
        audit::record(
            c,
            Some(force),
            &audit_who,
            "read_roster_draft",
            &format!("team:{team_id}/draft:{draft}"),
        )?;
        Ok(loaded)
    })
    .await?;
    view_of(state, force, team.members, row, versions).await
}

fn short(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone).format("%a %d %b %H:%M").to_string()
}

/// Applies one change to a draft's entries, in the force's `zone` and the
/// draft's instants `[from, to)`: the new entries and the change in words.
///
/// # Errors
/// `invalid_shift` for a duty the draft does not have, a duty outside the
/// period, one that overlaps another of the officer's, or an officer not in
/// the team.
pub fn apply_change(
    mut entries: Vec<RosterEntry>,
    change: &DraftChange,
    members: &[String],
    zone: Tz,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<(Vec<RosterEntry>, String)> {
    let bad = |m: String| AppError::invalid("invalid_shift", m);
    let member = |s: &str| {
        if members.iter().any(|m| m == s) {
            Ok(())
        } else {
            Err(bad(format!("{s} is not a member of this team")))
        }
    };
    let take = |entries: &mut Vec<RosterEntry>, staff: &str, start: DateTime<Utc>| {
        let i = entries
            .iter()
            .position(|e| {
                e.staff_id == staff
                    && e.shift.start() == start
                    && mobile_core::roster::is_duty(e.activity.as_deref())
            })
            .ok_or_else(|| {
                bad(format!(
                    "{staff} has no duty starting {}",
                    short(start, zone)
                ))
            })?;
        Ok::<RosterEntry, AppError>(entries.remove(i))
    };
    let new_shift = |start: DateTime<Utc>, end: DateTime<Utc>| {
        if start < from || start >= to {
            return Err(bad("a draft's duties start in its period".to_owned()));
        }
        Shift::new(start, end).map_err(|e| bad(e.to_string()))
    };
    // Puts a duty in: no overlap with the officer's other duties; a rest
    // day or absence the draft had on its day comes off.
    let put = |entries: &mut Vec<RosterEntry>, staff: &str, shift: Shift| {
        let day = local_day_of(shift.start(), zone);
        if entries.iter().any(|e| {
            e.staff_id == staff
                && mobile_core::roster::is_duty(e.activity.as_deref())
                && e.shift.start() < shift.end()
                && e.shift.end() > shift.start()
        }) {
            return Err(bad(format!(
                "{staff} already has a duty overlapping {}",
                short(shift.start(), zone)
            )));
        }
        entries.retain(|e| {
            !(e.staff_id == staff
                && !mobile_core::roster::is_duty(e.activity.as_deref())
                && local_day_of(e.shift.start(), zone) == day)
        });
        entries.push(RosterEntry {
            staff_id: staff.to_owned(),
            shift,
            team: None,
            role: None,
            activity: None,
            line: 0,
        });
        Ok(())
    };
    let said = match change {
        DraftChange::Move {
            staff_number,
            start,
            new_start,
            new_end,
            to_staff_number,
        } => {
            let to_staff = to_staff_number.as_deref().unwrap_or(staff_number);
            member(to_staff)?;
            let old = take(&mut entries, staff_number, *start)?;
            let shift = new_shift(*new_start, *new_end)?;
            put(&mut entries, to_staff, shift)?;
            format!(
                "moved {staff_number}'s duty {} to {} {}",
                short(old.shift.start(), zone),
                to_staff,
                short(*new_start, zone)
            )
        }
        DraftChange::Swap {
            staff_number,
            start,
            with_staff_number,
            with_start,
        } => {
            let a = take(&mut entries, staff_number, *start)?;
            let b = take(&mut entries, with_staff_number, *with_start)?;
            put(&mut entries, with_staff_number, a.shift)?;
            put(&mut entries, staff_number, b.shift)?;
            format!(
                "swapped {staff_number}'s duty {} with {with_staff_number}'s {}",
                short(*start, zone),
                short(*with_start, zone)
            )
        }
        DraftChange::Add {
            staff_number,
            start,
            end,
        } => {
            member(staff_number)?;
            let shift = new_shift(*start, *end)?;
            put(&mut entries, staff_number, shift)?;
            format!("added a duty for {staff_number} {}", short(*start, zone))
        }
        DraftChange::Remove {
            staff_number,
            start,
        } => {
            take(&mut entries, staff_number, *start)?;
            format!("removed {staff_number}'s duty {}", short(*start, zone))
        }
        DraftChange::RestDay { staff_number, date } => {
            member(staff_number)?;
            let shift = rest_day_shift(*date, zone)?;
            if shift.start() < from || shift.start() >= to {
                return Err(bad("the day is outside the draft's period".to_owned()));
            }
            entries.retain(|e| {
                !(e.staff_id == *staff_number && local_day_of(e.shift.start(), zone) == *date)
            });
            entries.push(RosterEntry {
                staff_id: staff_number.clone(),
                shift,
                team: None,
                role: None,
                activity: Some(DRAFT_REST_DAY.to_owned()),
                line: 0,
            });
            format!("marked {date} a rest day for {staff_number}")
        }
    };
    Ok((entries, said))
}

/// Applies a change to a draft, keeps it in the history (a new version),
/// audits it and answers the re-assessed draft.
///
/// # Errors
/// As [`draft`]; `invalid_shift` ([`apply_change`]); `conflict`
/// (409) once published.
pub async fn change_draft(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    draft: Uuid,
    change: DraftChange,
) -> AppResult<DraftView> {
    let team = draft_team(state, who, team).await?;
    let force = own_force(state, who).await?;
    let (force_id, team_id, zone, by) = (force.id, team.id, force.zone(), who.0.sub);
    let members = team.members.clone();
    let audit_who = who.clone();
    let (row, versions) = db::with_force(&state.pool, force_id, move |c| {
        let (row, versions) = load_open_draft(c, force_id, team_id, draft)?;
        let last = versions.last().ok_or(AppError::NotFound)?;
        let period = Period {
            from: row.period_from,
            to: row.period_to,
        };
        let (entries, said) = apply_change(
            entries_of(&last.entries)?,
            &change,
            &members,
            zone,
            period.instants(zone),
        )?;
        let json = serde_json::to_value(&entries).map_err(AppError::internal)?;
        store::insert_version(c, force_id, draft, last.version + 1, &json, &said, by)?;
        audit::record(
            c,
            Some(force_id),
            &audit_who,
            "change_roster_draft",
            &format!("team:{team_id}/draft:{draft}"),
        )?;
        Ok((row, store::versions(c, force_id, draft)?))
    })
    .await?;
    view_of(state, force_id, team.members, row, versions).await
}

/// Undoes a draft's last change (the draft as started cannot be undone).
///
/// # Errors
/// As [`change_draft`]; `nothing_to_undo` (422).
pub async fn undo_draft(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    draft: Uuid,
) -> AppResult<DraftView> {
    let team = draft_team(state, who, team).await?;
    let force = who.force()?;
    let team_id = team.id;
    let audit_who = who.clone();
    let (row, versions) = db::with_force(&state.pool, force, move |c| {
        let (row, versions) = load_open_draft(c, force, team_id, draft)?;
        match versions.last() {
            Some(v) if v.version > 0 => {
                store::delete_version(c, force, draft, v.version)?;
            }
            _ => {
                return Err(AppError::invalid(
                    "nothing_to_undo",
                    "the draft has no change to undo",
                ));
            }
        }
        audit::record(
            c,
            Some(force),
            &audit_who,
            "undo_roster_draft",
            &format!("team:{team_id}/draft:{draft}"),
        )?;
        Ok((row, store::versions(c, force, draft)?))
    })
    .await?;
    view_of(state, force, team.members, row, versions).await
}

/// Publishes a draft in one transaction through [`publish_covering`] (the
/// upload's code path: the same changes and rest days worked are
/// recorded), as the team's whole roster for the period. A draft with red
/// flags publishes only with a reason, kept with the draft, in the audit
/// log and counted in the FRM report.
///
/// # Errors
/// As [`change_draft`]; `reason_required` (422) for red flags without a
/// reason; `invalid_reason` for one over [`MAX_REASON_CHARS`];
/// `conflict` when the draft changed while it was being checked.
pub async fn publish_draft(
    state: &AppState,
    who: &Identity,
    team: Uuid,
    draft: Uuid,
    reason: Option<String>,
) -> AppResult<Published> {
    let view = self::draft(state, who, team, draft).await?;
    if view.published_at.is_some() {
        return Err(AppError::Conflict("the draft was published".to_owned()));
    }
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(AppError::invalid(
            "invalid_reason",
            format!("at most {MAX_REASON_CHARS} characters"),
        ));
    }
    let red = view.comparison.draft_red_flags;
    if red > 0 && reason.is_none() {
        return Err(AppError::invalid(
            "reason_required",
            format!("the draft has {red} red flags: say why it is published over them"),
        ));
    }
    let checked_version = view.history.last().map(|s| s.version);
    let team = draft_team(state, who, team).await?;
    let force = own_force(state, who).await?;
    let (force_id, team_id, zone, by) = (force.id, team.id, force.zone(), who.0.sub);
    let audit_who = who.clone();
    let members = team.members.clone();
    let (stored, row, versions) = db::with_force(&state.pool, force_id, move |c| {
        let (_, versions) = load_draft(c, force_id, team_id, draft)?;
        let last = versions.last().ok_or(AppError::NotFound)?;
        if Some(last.version) != checked_version {
            return Err(AppError::Conflict(
                "the draft changed while it was checked".to_owned(),
            ));
        }
        let entries = entries_of(&last.entries)?;
        let period = Period {
            from: view.from,
            to: view.to,
        };
        let (from, to) = period.instants(zone);
        let cover = Cover {
            staff: members,
            from,
            to,
        };
        let stored = publish_covering(
            c,
            force_id,
            by,
            "draft",
            &entries,
            zone,
            Utc::now(),
            Some(&cover),
        )?;
        store::mark_published(c, force_id, draft, by, red, reason.as_deref())?;
        let target = match &reason {
            Some(r) if red > 0 => {
                format!("team:{team_id}/draft:{draft}/red_flags:{red}/reason:{r}")
            }
            _ => format!("team:{team_id}/draft:{draft}"),
        };
        audit::record(
            c,
            Some(force_id),
            &audit_who,
            "publish_roster_draft",
            &target,
        )?;
        let (row, versions) = load_draft(c, force_id, team_id, draft)?;
        Ok((stored, row, versions))
    })
    .await?;
    let draft = view_of(state, force_id, team.members, row, versions).await?;
    Ok(Published {
        shifts_stored: stored,
        red_flags: red,
        draft,
    })
}

/// Drafts published in the period (local days in `zone`), and of those,
/// published over red flags: the FRM report's "published over red flags,
/// with reasons".
///
/// # Errors
/// Database errors.
pub fn published_draft_counts(
    c: &mut PgConnection,
    force: Uuid,
    period: &Period,
    zone: Tz,
) -> diesel::QueryResult<(i64, i64)> {
    let (from, to) = period.instants(zone);
    store::published_draft_counts(c, force, from, to)
}
