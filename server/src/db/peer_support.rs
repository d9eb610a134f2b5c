//! Peer support: the directory (trained peer supporters and support
//! services), confidential call-back requests, and the report figures.
//!
//! A request is visible to exactly three parties: the officer who made it,
//! the supporter it is assigned to, and the force's peer-support coordinator
//! while it is unassigned ("the next available supporter") or after it has
//! waited unacknowledged longer than the escalation time. Every query here
//! takes `now` from its caller so the tests control the clock.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Date, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
// The phone's wire types, with their validation: one home in `models`.
use models::support::{ContactMethod, NewCallback};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Open requests one officer may have at a time.
pub const MAX_OPEN_PER_OFFICER: i64 = 3;
/// Kinds of support service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// The force's occupational health unit.
    OccupationalHealth,
    /// Trauma Risk Management.
    Trim,
    /// The force's employee assistance programme.
    AssistanceProgramme,
    /// A national police charity's line.
    PoliceCharity,
    /// A crisis line: always shown on the support screen.
    CrisisLine,
    /// Anything else.
    Other,
}

impl ServiceKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::OccupationalHealth => "occupational_health",
            ServiceKind::Trim => "trim",
            ServiceKind::AssistanceProgramme => "assistance_programme",
            ServiceKind::PoliceCharity => "police_charity",
            ServiceKind::CrisisLine => "crisis_line",
            ServiceKind::Other => "other",
        }
    }
}

/// A peer supporter in the directory.
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct Supporter {
    /// The supporter's staff account id: what an officer names in a request.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The name they choose to be known by.
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// When they can usually be reached, as they describe it.
    #[diesel(sql_type = Text)]
    pub contact_hours: String,
    /// Channels they use: `phone`, `text`, `email`, `app`.
    #[diesel(sql_type = Array<Text>)]
    pub channels: Vec<String>,
    /// Listed to officers (inactive entries are shown to force admins only).
    #[diesel(sql_type = Bool)]
    pub active: bool,
}

/// A supporter's directory details, as a force admin sets them.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupporterDetails {
    /// The name they choose to be known by, 1 to 100 characters.
    pub display_name: String,
    /// When they can usually be reached, 1 to 200 characters.
    pub contact_hours: String,
    /// At least one channel.
    pub channels: Vec<ContactMethod>,
    /// Listed to officers; default true.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Checks a text field's length in characters.
///
/// # Errors
/// `code` with the field's name and limits.
pub fn check_text(code: &'static str, field: &str, value: &str, max: usize) -> AppResult<()> {
    let n = value.trim().chars().count();
    if (1..=max).contains(&n) {
        Ok(())
    } else {
        Err(AppError::invalid(
            code,
            format!("{field}: 1 to {max} characters"),
        ))
    }
}

impl SupporterDetails {
    /// Validates lengths and channels.
    ///
    /// # Errors
    /// `invalid_supporter`.
    pub fn check(&self) -> AppResult<()> {
        check_text("invalid_supporter", "display_name", &self.display_name, 100)?;
        check_text(
            "invalid_supporter",
            "contact_hours",
            &self.contact_hours,
            200,
        )?;
        if self.channels.is_empty() {
            return Err(AppError::invalid(
                "invalid_supporter",
                "channels: at least one",
            ));
        }
        Ok(())
    }
}

const SUPPORTER_SELECT: &str =
    "SELECT account_id AS id, display_name, contact_hours, channels, active FROM peer_supporters";

impl Supporter {
    /// Lists (or updates) `account` in the directory. The account must be a
    /// peer supporter or coordinator of the force.
    ///
    /// # Errors
    /// Not found for an unknown account; `invalid_supporter` for another role.
    pub fn put(
        c: &mut PgConnection,
        force: Uuid,
        account: Uuid,
        d: &SupporterDetails,
    ) -> AppResult<Supporter> {
        #[derive(QueryableByName)]
        struct Role {
            #[diesel(sql_type = Text)]
            role: String,
        }
        let role: Role =
            diesel::sql_query("SELECT role FROM accounts WHERE force_id = $1 AND id = $2")
                .bind::<SqlUuid, _>(force)
                .bind::<SqlUuid, _>(account)
                .get_result(c)?;
        if !["peer_supporter", "peer_support_coordinator"].contains(&role.role.as_str()) {
            return Err(AppError::invalid(
                "invalid_supporter",
                "the account must have the peer_supporter or peer_support_coordinator role",
            ));
        }
        let mut channels: Vec<&str> = d.channels.iter().map(|m| m.as_str()).collect();
        channels.sort_unstable();
        channels.dedup();
        Ok(diesel::sql_query(
            "INSERT INTO peer_supporters (force_id, account_id, display_name, contact_hours, channels, active) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (force_id, account_id) DO UPDATE SET \
             display_name = EXCLUDED.display_name, contact_hours = EXCLUDED.contact_hours, \
             channels = EXCLUDED.channels, active = EXCLUDED.active \
             RETURNING account_id AS id, display_name, contact_hours, channels, active",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(account)
        .bind::<Text, _>(d.display_name.trim())
        .bind::<Text, _>(d.contact_hours.trim())
        .bind::<Array<Text>, _>(channels)
        .bind::<Bool, _>(d.active)
        .get_result(c)?)
    }

    /// The force's supporters by name; inactive ones only when `all`.
    ///
    /// # Errors
    /// Database errors.
    pub fn list(c: &mut PgConnection, force: Uuid, all: bool) -> AppResult<Vec<Supporter>> {
        Ok(diesel::sql_query(format!(
            "{SUPPORTER_SELECT} WHERE force_id = $1 AND (active OR $2) ORDER BY display_name, account_id"
        ))
        .bind::<SqlUuid, _>(force)
        .bind::<Bool, _>(all)
        .load(c)?)
    }

    /// Whether `account` is an active supporter of the force.
    ///
    /// # Errors
    /// Database errors.
    pub fn is_active(c: &mut PgConnection, force: Uuid, account: Uuid) -> AppResult<bool> {
        let found: super::Found = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM peer_supporters WHERE force_id = $1 AND account_id = $2 AND active) AS found",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(account)
        .get_result(c)?;
        Ok(found.found)
    }

    /// Removes `account` from the directory; the open requests assigned to
    /// them go back to the coordinator's queue.
    ///
    /// # Errors
    /// Not found when not listed.
    pub fn remove(
        c: &mut PgConnection,
        force: Uuid,
        account: Uuid,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let n = diesel::sql_query(
            "DELETE FROM peer_supporters WHERE force_id = $1 AND account_id = $2",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(account)
        .execute(c)?;
        if n == 0 {
            return Err(AppError::NotFound);
        }
        diesel::sql_query(
            "UPDATE peer_callbacks SET supporter_id = NULL, assigned_at = $3, status = 'open' \
             WHERE force_id = $1 AND supporter_id = $2 AND status IN ('open', 'acknowledged')",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(account)
        .bind::<Timestamptz, _>(now)
        .execute(c)?;
        Ok(())
    }
}

/// A support service in the directory.
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct Service {
    /// Id; null for the national entries.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub id: Option<Uuid>,
    /// Kind: `occupational_health`, `trim`, `assistance_programme`,
    /// `police_charity`, `crisis_line` or `other`.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// How to reach it (number, address, web page).
    #[diesel(sql_type = Text)]
    pub contact: String,
    /// When it is open.
    #[diesel(sql_type = Text)]
    pub hours: String,
    /// When to use it.
    #[diesel(sql_type = Text)]
    pub when_to_use: String,
    /// False for the national entries every force shows.
    #[diesel(sql_type = Bool)]
    pub force_specific: bool,
}

/// A service as a force admin describes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceDetails {
    /// Kind.
    pub kind: ServiceKind,
    /// Name, 1 to 200 characters.
    pub name: String,
    /// How to reach it, 1 to 300 characters.
    pub contact: String,
    /// When it is open, 1 to 200 characters.
    pub hours: String,
    /// When to use it, 1 to 1000 characters.
    pub when_to_use: String,
}

impl ServiceDetails {
    /// Validates lengths.
    ///
    /// # Errors
    /// `invalid_service`.
    pub fn check(&self) -> AppResult<()> {
        check_text("invalid_service", "name", &self.name, 200)?;
        check_text("invalid_service", "contact", &self.contact, 300)?;
        check_text("invalid_service", "hours", &self.hours, 200)?;
        check_text("invalid_service", "when_to_use", &self.when_to_use, 1000)
    }
}

/// The national entries every force's directory ends with, whatever the
/// force has entered: crisis lines first ([`models::support`], the list the
/// phone also shows offline).
pub fn national_services() -> Vec<Service> {
    models::support::NATIONAL_SERVICES
        .iter()
        .map(|n| Service {
            id: None,
            kind: n.kind.to_owned(),
            name: n.name.to_owned(),
            contact: n.contact.to_owned(),
            hours: n.hours.to_owned(),
            when_to_use: n.when_to_use.to_owned(),
            force_specific: false,
        })
        .collect()
}

const SERVICE_SELECT: &str = "SELECT id, kind, name, contact, hours, when_to_use, true AS force_specific FROM support_services";

impl Service {
    /// Adds a service to the force's directory.
    ///
    /// # Errors
    /// Database errors.
    pub fn create(c: &mut PgConnection, force: Uuid, d: &ServiceDetails) -> AppResult<Service> {
        Self::write(
            c,
            force,
            Uuid::new_v4(),
            d,
            "INSERT INTO support_services (force_id, id, kind, name, contact, hours, when_to_use) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
    }

    /// Replaces a service's details.
    ///
    /// # Errors
    /// Not found.
    pub fn update(
        c: &mut PgConnection,
        force: Uuid,
        id: Uuid,
        d: &ServiceDetails,
    ) -> AppResult<Service> {
        Self::write(
            c,
            force,
            id,
            d,
            "UPDATE support_services SET kind = $3, name = $4, contact = $5, hours = $6, when_to_use = $7 \
             WHERE force_id = $1 AND id = $2",
        )
    }

    fn write(
        c: &mut PgConnection,
        force: Uuid,
        id: Uuid,
        d: &ServiceDetails,
        sql: &str,
    ) -> AppResult<Service> {
        let n = diesel::sql_query(sql)
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(id)
            .bind::<Text, _>(d.kind.as_str())
            .bind::<Text, _>(d.name.trim())
            .bind::<Text, _>(d.contact.trim())
            .bind::<Text, _>(d.hours.trim())
            .bind::<Text, _>(d.when_to_use.trim())
            .execute(c)?;
        if n == 0 {
            return Err(AppError::NotFound);
        }
        Ok(
            diesel::sql_query(format!("{SERVICE_SELECT} WHERE force_id = $1 AND id = $2"))
                .bind::<SqlUuid, _>(force)
                .bind::<SqlUuid, _>(id)
                .get_result(c)?,
        )
    }

    /// Removes a service.
    ///
    /// # Errors
    /// Not found.
    pub fn delete(c: &mut PgConnection, force: Uuid, id: Uuid) -> AppResult<()> {
        let n = diesel::sql_query("DELETE FROM support_services WHERE force_id = $1 AND id = $2")
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(id)
            .execute(c)?;
        if n == 0 {
            Err(AppError::NotFound)
        } else {
            Ok(())
        }
    }

    /// The force's services by kind and name, then the national entries.
    ///
    /// # Errors
    /// Database errors.
    pub fn directory(c: &mut PgConnection, force: Uuid) -> AppResult<Vec<Service>> {
        let mut list: Vec<Service> = diesel::sql_query(format!(
            "{SERVICE_SELECT} WHERE force_id = $1 ORDER BY kind, name, id"
        ))
        .bind::<SqlUuid, _>(force)
        .load(c)?;
        list.extend(national_services());
        Ok(list)
    }
}

/// A call-back request as its officer, supporter or coordinator sees it.
/// It never carries the officer's pseudonym or staff number.
#[derive(Clone, QueryableByName, Serialize)]
pub struct Callback {
    /// Id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The assigned supporter; null while waiting for the next available one.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub supporter_id: Option<Uuid>,
    /// `phone`, `text`, `email` or `app`.
    #[diesel(sql_type = Text)]
    pub contact_method: String,
    /// As the officer gave it; null after cancellation.
    #[diesel(sql_type = Nullable<Text>)]
    pub contact_detail: Option<String>,
    /// Preferred window start.
    #[diesel(sql_type = Timestamptz)]
    pub window_start: DateTime<Utc>,
    /// Preferred window end.
    #[diesel(sql_type = Timestamptz)]
    pub window_end: DateTime<Utc>,
    /// `open`, `acknowledged`, `contacted` or `cancelled`.
    #[diesel(sql_type = Text)]
    pub status: String,
    /// When it was made.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// First acknowledgement.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When the officer was contacted.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub contacted_at: Option<DateTime<Utc>>,
    /// Waited unacknowledged past the escalation time (so the coordinator sees it).
    #[diesel(sql_type = Bool)]
    pub escalated: bool,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("id", &self.id)
            .field("status", &self.status)
            .field(
                "contact_detail",
                &self.contact_detail.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// Who is acting on requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The officer who made the request (their pseudonym).
    Officer(Uuid),
    /// A peer supporter (their account).
    Supporter(Uuid),
    /// The coordinator (their account): their own assigned requests too.
    Coordinator(Uuid),
}

impl Actor {
    /// The SQL condition (over `peer_callbacks`, `$3` the actor's id, `$4`
    /// the escalation cutoff) selecting the requests this actor may see.
    fn visible(self) -> &'static str {
        match self {
            Actor::Officer(_) => "person_id = $3",
            Actor::Supporter(_) => "supporter_id = $3 AND status IN ('open', 'acknowledged')",
            Actor::Coordinator(_) => {
                "status IN ('open', 'acknowledged') AND (supporter_id = $3 OR supporter_id IS NULL \
                 OR (status = 'open' AND assigned_at <= $4))"
            }
        }
    }

    /// The officer's pseudonym or the staff account id.
    pub fn id(self) -> Uuid {
        match self {
            Actor::Officer(id) | Actor::Supporter(id) | Actor::Coordinator(id) => id,
        }
    }
}

/// What a supporter or coordinator does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// "I have seen it and will call": open → acknowledged.
    Acknowledge,
    /// The officer has been contacted: open or acknowledged → contacted.
    Contacted,
    /// Passed to another supporter (None: back to the coordinator's queue).
    Handover(Option<Uuid>),
    /// Withdrawn by the officer; the contact detail is erased.
    Cancel,
}

impl Callback {
    /// Stores an officer's request.
    ///
    /// # Errors
    /// `unknown_supporter` when the named supporter is not an active
    /// supporter of the force; conflict past [`MAX_OPEN_PER_OFFICER`] open requests.
    pub fn create(
        c: &mut PgConnection,
        force: Uuid,
        person: Uuid,
        new: &NewCallback,
        now: DateTime<Utc>,
    ) -> AppResult<Callback> {
        if let Some(s) = new.supporter_id
            && !Supporter::is_active(c, force, s)?
        {
            return Err(AppError::invalid(
                "unknown_supporter",
                "supporter_id is not a supporter in the directory",
            ));
        }
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let open: N = diesel::sql_query(
            "SELECT count(*) AS n FROM peer_callbacks WHERE force_id = $1 AND person_id = $2 \
             AND status IN ('open', 'acknowledged')",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(person)
        .get_result(c)?;
        if open.n >= MAX_OPEN_PER_OFFICER {
            return Err(AppError::Conflict(format!(
                "at most {MAX_OPEN_PER_OFFICER} open requests; cancel one first"
            )));
        }
        let id = Uuid::new_v4();
        let detail = new.detail();
        diesel::sql_query(
            "INSERT INTO peer_callbacks (force_id, id, person_id, supporter_id, contact_method, contact_detail, \
             window_start, window_end, created_at, assigned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(person)
        .bind::<Nullable<SqlUuid>, _>(new.supporter_id)
        .bind::<Text, _>(new.contact_method.as_str())
        .bind::<Nullable<Text>, _>(detail)
        .bind::<Timestamptz, _>(new.window_start)
        .bind::<Timestamptz, _>(new.window_end)
        .bind::<Timestamptz, _>(now)
        .execute(c)?;
        Self::find(c, force, id, Actor::Officer(person), now, Duration::zero())
    }

    /// The requests `actor` may see, oldest first. Officers see their own
    /// (closed ones too); supporters the open and acknowledged ones assigned
    /// to them; the coordinator those plus the unassigned ones and any left
    /// open for `escalate_after` since assignment.
    ///
    /// # Errors
    /// Database errors.
    pub fn visible_to(
        c: &mut PgConnection,
        force: Uuid,
        actor: Actor,
        now: DateTime<Utc>,
        escalate_after: Duration,
    ) -> AppResult<Vec<Callback>> {
        Self::select(
            c,
            force,
            None,
            actor.visible(),
            actor.id(),
            now - escalate_after,
            "",
        )
    }

    /// One request if `actor` may see it, locked for update.
    ///
    /// # Errors
    /// Not found otherwise (whether or not it exists).
    pub fn find(
        c: &mut PgConnection,
        force: Uuid,
        id: Uuid,
        actor: Actor,
        now: DateTime<Utc>,
        escalate_after: Duration,
    ) -> AppResult<Callback> {
        Self::select(
            c,
            force,
            Some(id),
            actor.visible(),
            actor.id(),
            now - escalate_after,
            "FOR UPDATE",
        )?
        .pop()
        .ok_or(AppError::NotFound)
    }

    /// `$1` force, `$2` one id or all, `$3` the actor, `$4` the escalation cutoff.
    fn select(
        c: &mut PgConnection,
        force: Uuid,
        id: Option<Uuid>,
        condition: &str,
        actor: Uuid,
        cutoff: DateTime<Utc>,
        lock: &str,
    ) -> AppResult<Vec<Callback>> {
        Ok(diesel::sql_query(format!(
            "SELECT id, supporter_id, contact_method, contact_detail, window_start, window_end, status, \
             created_at, acknowledged_at, contacted_at, (status = 'open' AND assigned_at <= $4) AS escalated \
             FROM peer_callbacks WHERE force_id = $1 AND ($2::uuid IS NULL OR id = $2) AND {condition} \
             ORDER BY created_at, id {lock}"
        ))
        .bind::<SqlUuid, _>(force)
        .bind::<Nullable<SqlUuid>, _>(id)
        .bind::<SqlUuid, _>(actor)
        .bind::<Timestamptz, _>(cutoff)
        .load(c)?)
    }

    /// Applies `t` to a request `actor` may see, and returns it as it now is.
    ///
    /// # Errors
    /// Not found when not visible; conflict when the status does not allow
    /// `t`; `unknown_supporter` for a hand-over to someone not in the
    /// directory or to the current supporter; forbidden when the role may
    /// not make this move (only the officer cancels, and only that).
    pub fn apply(
        c: &mut PgConnection,
        force: Uuid,
        id: Uuid,
        actor: Actor,
        t: Transition,
        now: DateTime<Utc>,
        escalate_after: Duration,
    ) -> AppResult<Callback> {
        let current = Self::find(c, force, id, actor, now, escalate_after)?;
        if matches!(actor, Actor::Officer(_)) != (t == Transition::Cancel) {
            return Err(AppError::Forbidden);
        }
        let allowed_from: &[&str] = match t {
            Transition::Acknowledge => &["open"],
            _ => &["open", "acknowledged"],
        };
        if !allowed_from.contains(&current.status.as_str()) {
            return Err(AppError::Conflict(format!(
                "the request is {}",
                current.status
            )));
        }
        let (set, target) = match t {
            Transition::Acknowledge => (
                "status = 'acknowledged', acknowledged_at = coalesce(acknowledged_at, $3)",
                None,
            ),
            Transition::Contacted => (
                "status = 'contacted', contacted_at = $3, acknowledged_at = coalesce(acknowledged_at, $3)",
                None,
            ),
            Transition::Cancel => ("status = 'cancelled', contact_detail = NULL", None),
            Transition::Handover(target) => {
                let valid = match target {
                    Some(s) => {
                        Some(s) != current.supporter_id && Supporter::is_active(c, force, s)?
                    }
                    // The coordinator hands over to someone; a supporter may hand back to the queue.
                    None => matches!(actor, Actor::Supporter(_)) || current.supporter_id.is_some(),
                };
                if !valid {
                    return Err(AppError::invalid(
                        "unknown_supporter",
                        "supporter_id must be another supporter in the directory",
                    ));
                }
                (
                    "supporter_id = $4, status = 'open', assigned_at = $3, handovers = handovers + 1",
                    target,
                )
            }
        };
        diesel::sql_query(format!(
            "UPDATE peer_callbacks SET {set} WHERE force_id = $1 AND id = $2"
        ))
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(id)
        .bind::<Timestamptz, _>(now)
        .bind::<Nullable<SqlUuid>, _>(target)
        .execute(c)?;
        // The actor acted on what they could see; the answer is the request as it is now.
        Self::select(
            c,
            force,
            Some(id),
            "true",
            actor.id(),
            now - escalate_after,
            "",
        )?
        .pop()
        .ok_or(AppError::NotFound)
    }
}

/// Call-back figures for one force and period, with the small-number rule:
/// any count under [`analytics::suppression::MIN_PEOPLE`] is withheld (null),
/// and the median only describes at least that many responses.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SupportReport {
    /// First day (UTC date the request was made).
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Requests made.
    pub requests: Option<i64>,
    /// Requests acknowledged by a supporter.
    pub acknowledged: Option<i64>,
    /// Requests where the officer was contacted.
    pub contacted: Option<i64>,
    /// Median minutes from request to first acknowledgement.
    pub median_response_minutes: Option<f64>,
    /// True when anything was withheld.
    pub suppressed: bool,
}

/// The small-number rule: `n` itself when
/// [`analytics::suppression::publishable`], else withheld.
pub fn small_number_rule(n: i64) -> Option<i64> {
    usize::try_from(n)
        .is_ok_and(analytics::suppression::publishable)
        .then_some(n)
}

/// Counts and median response time for requests made from `from` to `to`
/// (inclusive dates in the force's time zone, as the FRM report's periods),
/// over live requests and those the retention job has already reduced to
/// outcomes.
///
/// # Errors
/// Database errors.
pub fn report(
    c: &mut PgConnection,
    force: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<SupportReport> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        requests: i64,
        #[diesel(sql_type = BigInt)]
        acknowledged: i64,
        #[diesel(sql_type = BigInt)]
        contacted: i64,
        #[diesel(sql_type = Nullable<Double>)]
        median_seconds: Option<f64>,
    }
    let row: Row = diesel::sql_query(
        "WITH r AS ( \
           SELECT (created_at AT TIME ZONE (SELECT time_zone FROM forces WHERE id = $1))::date AS day, \
                  extract(epoch FROM acknowledged_at - created_at)::double precision AS secs, status \
           FROM peer_callbacks WHERE force_id = $1 \
           UNION ALL \
           SELECT requested_on, response_seconds, outcome FROM peer_callback_outcomes WHERE force_id = $1) \
         SELECT count(*) AS requests, count(secs) AS acknowledged, \
                count(*) FILTER (WHERE status = 'contacted') AS contacted, \
                percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS median_seconds \
         FROM r WHERE day BETWEEN $2 AND $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .get_result(c)?;
    let acknowledged = small_number_rule(row.acknowledged);
    let report = SupportReport {
        from,
        to,
        requests: small_number_rule(row.requests),
        acknowledged,
        contacted: small_number_rule(row.contacted),
        median_response_minutes: acknowledged
            .and(row.median_seconds)
            .map(|s| (s / 6.0).round() / 10.0),
        suppressed: false,
    };
    let suppressed = report.requests.is_none()
        || report.acknowledged.is_none()
        || report.contacted.is_none()
        || report.median_response_minutes.is_none();
    Ok(SupportReport {
        suppressed,
        ..report
    })
}

/// Reduces the force's requests made before `cutoff` to outcomes (day in
/// the force's time zone, response time, status) and deletes them. Returns how many were deleted.
///
/// # Errors
/// Database errors.
pub fn expire(c: &mut PgConnection, force: Uuid, cutoff: DateTime<Utc>) -> AppResult<usize> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = Integer)]
        n: i32,
    }
    let n: N = diesel::sql_query(
        "WITH gone AS (DELETE FROM peer_callbacks WHERE force_id = $1 AND created_at < $2 \
           RETURNING force_id, created_at, acknowledged_at, status), \
         kept AS (INSERT INTO peer_callback_outcomes (force_id, requested_on, response_seconds, outcome) \
           SELECT force_id, (created_at AT TIME ZONE (SELECT time_zone FROM forces WHERE id = $1))::date, \
                  extract(epoch FROM acknowledged_at - created_at)::double precision, status FROM gone \
           RETURNING 1) \
         SELECT count(*)::integer AS n FROM kept",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Timestamptz, _>(cutoff)
    .get_result(c)?;
    Ok(usize::try_from(n.n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_number_rule_withholds_counts_under_five() {
        assert_eq!(small_number_rule(0), None);
        assert_eq!(small_number_rule(4), None);
        assert_eq!(small_number_rule(5), Some(5));
        assert_eq!(small_number_rule(120), Some(120));
    }

    #[test]
    fn national_entries_include_crisis_lines_and_are_not_force_specific() {
        let n = national_services();
        assert!(n.iter().all(|s| !s.force_specific && s.id.is_none()));
        assert!(
            n.iter()
                .any(|s| s.kind == "crisis_line" && s.contact.contains("116 123"))
        );
        assert!(n.iter().any(|s| s.contact == "999"));
        // Every national kind is one a force admin could enter too.
        for s in &n {
            let kind: ServiceKind = serde_json::from_value(serde_json::json!(s.kind)).unwrap();
            assert_eq!(kind.as_str(), s.kind);
        }
    }
}
