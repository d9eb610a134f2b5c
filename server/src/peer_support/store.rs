//! Peer support's SQL: the directory (supporters and services), call-back
//! requests and their outcomes. What may be done, by whom, is decided in
//! [`super::service`]; every query takes `now` from its caller so the tests
//! control the clock.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Date, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use models::support::NewCallback;
use uuid::Uuid;

use crate::db::Found;

/// A peer supporter in the directory.
#[derive(Debug, Clone, QueryableByName)]
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

const SUPPORTER_SELECT: &str =
    "SELECT account_id AS id, display_name, contact_hours, channels, active FROM peer_supporters";

/// A supporter's directory entry as stored.
#[derive(Debug, Clone)]
pub struct SupporterEntry<'a> {
    /// The name they choose to be known by (trimmed).
    pub display_name: &'a str,
    /// When they can usually be reached (trimmed).
    pub contact_hours: &'a str,
    /// Channels, sorted and distinct.
    pub channels: Vec<&'a str>,
    /// Listed to officers.
    pub active: bool,
}

/// The stored role of one of the force's accounts, if it exists.
///
/// # Errors
/// Database errors.
pub fn account_role(
    c: &mut PgConnection,
    force: Uuid,
    account: Uuid,
) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct Role {
        #[diesel(sql_type = Text)]
        role: String,
    }
    let role: Option<Role> =
        diesel::sql_query("SELECT role FROM accounts WHERE force_id = $1 AND id = $2")
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(account)
            .get_result(c)
            .optional()?;
    Ok(role.map(|r| r.role))
}

impl Supporter {
    /// Lists (or updates) `account` in the directory.
    ///
    /// # Errors
    /// Database errors.
    pub fn put(
        c: &mut PgConnection,
        force: Uuid,
        account: Uuid,
        entry: &SupporterEntry<'_>,
    ) -> QueryResult<Supporter> {
        diesel::sql_query(
            "INSERT INTO peer_supporters (force_id, account_id, display_name, contact_hours, channels, active) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (force_id, account_id) DO UPDATE SET \
             display_name = EXCLUDED.display_name, contact_hours = EXCLUDED.contact_hours, \
             channels = EXCLUDED.channels, active = EXCLUDED.active \
             RETURNING account_id AS id, display_name, contact_hours, channels, active",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(account)
        .bind::<Text, _>(entry.display_name)
        .bind::<Text, _>(entry.contact_hours)
        .bind::<Array<Text>, _>(&entry.channels)
        .bind::<Bool, _>(entry.active)
        .get_result(c)
    }

    /// The force's supporters by name; inactive ones only when `all`.
    ///
    /// # Errors
    /// Database errors.
    pub fn list(c: &mut PgConnection, force: Uuid, all: bool) -> QueryResult<Vec<Supporter>> {
        diesel::sql_query(format!(
            "{SUPPORTER_SELECT} WHERE force_id = $1 AND (active OR $2) ORDER BY display_name, account_id"
        ))
        .bind::<SqlUuid, _>(force)
        .bind::<Bool, _>(all)
        .load(c)
    }

    /// Whether `account` is an active supporter of the force.
    ///
    /// # Errors
    /// Database errors.
    pub fn is_active(c: &mut PgConnection, force: Uuid, account: Uuid) -> QueryResult<bool> {
        let found: Found = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM peer_supporters WHERE force_id = $1 AND account_id = $2 AND active) AS found",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(account)
        .get_result(c)?;
        Ok(found.found)
    }

    /// Removes `account` from the directory and returns the open requests
    /// assigned to them to the coordinator's queue, reassigned at `now`.
    ///
    /// # Errors
    /// Not found when not listed.
    pub fn remove(
        c: &mut PgConnection,
        force: Uuid,
        account: Uuid,
        now: DateTime<Utc>,
    ) -> QueryResult<()> {
        let n = diesel::sql_query(
            "DELETE FROM peer_supporters WHERE force_id = $1 AND account_id = $2",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(account)
        .execute(c)?;
        if n == 0 {
            return Err(diesel::result::Error::NotFound);
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
#[derive(Debug, Clone, QueryableByName)]
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

/// A service's details as stored (trimmed).
#[derive(Debug, Clone)]
pub struct ServiceEntry<'a> {
    /// Kind, as stored.
    pub kind: &'a str,
    /// Name.
    pub name: &'a str,
    /// How to reach it.
    pub contact: &'a str,
    /// When it is open.
    pub hours: &'a str,
    /// When to use it.
    pub when_to_use: &'a str,
}

const SERVICE_SELECT: &str = "SELECT id, kind, name, contact, hours, when_to_use, true AS force_specific FROM support_services";

impl Service {
    /// Adds a service to the force's directory.
    ///
    /// # Errors
    /// Database errors.
    pub fn create(c: &mut PgConnection, force: Uuid, d: &ServiceEntry<'_>) -> QueryResult<Service> {
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
        d: &ServiceEntry<'_>,
    ) -> QueryResult<Service> {
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
        d: &ServiceEntry<'_>,
        sql: &str,
    ) -> QueryResult<Service> {
        let n = diesel::sql_query(sql)
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(id)
            .bind::<Text, _>(d.kind)
            .bind::<Text, _>(d.name)
            .bind::<Text, _>(d.contact)
            .bind::<Text, _>(d.hours)
            .bind::<Text, _>(d.when_to_use)
            .execute(c)?;
        if n == 0 {
            return Err(diesel::result::Error::NotFound);
        }
        diesel::sql_query(format!("{SERVICE_SELECT} WHERE force_id = $1 AND id = $2"))
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(id)
            .get_result(c)
    }

    /// Removes a service.
    ///
    /// # Errors
    /// Not found.
    pub fn delete(c: &mut PgConnection, force: Uuid, id: Uuid) -> QueryResult<()> {
        let n = diesel::sql_query("DELETE FROM support_services WHERE force_id = $1 AND id = $2")
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(id)
            .execute(c)?;
        if n == 0 {
            Err(diesel::result::Error::NotFound)
        } else {
            Ok(())
        }
    }

    /// The force's own services by kind and name.
    ///
    /// # Errors
    /// Database errors.
    pub fn of_force(c: &mut PgConnection, force: Uuid) -> QueryResult<Vec<Service>> {
        diesel::sql_query(format!(
            "{SERVICE_SELECT} WHERE force_id = $1 ORDER BY kind, name, id"
        ))
        .bind::<SqlUuid, _>(force)
        .load(c)
    }
}

/// A call-back request as its officer, supporter or coordinator sees it.
/// It never carries the officer's pseudonym or staff number.
#[derive(Clone, QueryableByName)]
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

/// Whose requests a query selects.
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
    /// the escalation cutoff) selecting the requests this actor may see:
    /// officers their own (closed ones too); supporters the open and
    /// acknowledged ones assigned to them; the coordinator those plus the
    /// unassigned ones and any left open since before the cutoff.
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

impl Transition {
    /// The `SET` clause (`$3` the time, `$4` the new supporter).
    fn set(self) -> &'static str {
        match self {
            Transition::Acknowledge => {
                "status = 'acknowledged', acknowledged_at = coalesce(acknowledged_at, $3)"
            }
            Transition::Contacted => {
                "status = 'contacted', contacted_at = $3, acknowledged_at = coalesce(acknowledged_at, $3)"
            }
            Transition::Cancel => "status = 'cancelled', contact_detail = NULL",
            Transition::Handover(_) => {
                "supporter_id = $4, status = 'open', assigned_at = $3, handovers = handovers + 1"
            }
        }
    }
}

impl Callback {
    /// The officer's open and acknowledged requests.
    ///
    /// # Errors
    /// Database errors.
    pub fn open_count(c: &mut PgConnection, force: Uuid, person: Uuid) -> QueryResult<i64> {
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
        Ok(open.n)
    }

    /// Stores an officer's request made at `now`; returns its id.
    ///
    /// # Errors
    /// Database errors.
    pub fn insert(
        c: &mut PgConnection,
        force: Uuid,
        person: Uuid,
        new: &NewCallback,
        now: DateTime<Utc>,
    ) -> QueryResult<Uuid> {
        let id = Uuid::new_v4();
        diesel::sql_query(
            "INSERT INTO peer_callbacks (force_id, id, person_id, supporter_id, contact_method, contact_detail, \
             window_start, window_end, created_at, assigned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(person)
        .bind::<Nullable<SqlUuid>, _>(new.supporter_id)
        .bind::<Text, _>(new.contact_method.as_str())
        .bind::<Nullable<Text>, _>(new.detail())
        .bind::<Timestamptz, _>(new.window_start)
        .bind::<Timestamptz, _>(new.window_end)
        .bind::<Timestamptz, _>(now)
        .execute(c)?;
        Ok(id)
    }

    /// The requests `actor` may see ([`Actor`]), oldest first; only `id`
    /// when given, locked for update when `lock`. `cutoff` is the
    /// escalation cutoff: open requests assigned before it are escalated.
    ///
    /// # Errors
    /// Database errors.
    pub fn visible_to(
        c: &mut PgConnection,
        force: Uuid,
        actor: Actor,
        id: Option<Uuid>,
        cutoff: DateTime<Utc>,
        lock: bool,
    ) -> QueryResult<Vec<Callback>> {
        Self::select(c, force, id, actor.visible(), actor.id(), cutoff, lock)
    }

    /// One request whoever asks (after an update by someone who could see it).
    ///
    /// # Errors
    /// Not found.
    pub fn by_id(
        c: &mut PgConnection,
        force: Uuid,
        id: Uuid,
        cutoff: DateTime<Utc>,
    ) -> QueryResult<Callback> {
        Self::select(c, force, Some(id), "true", Uuid::nil(), cutoff, false)?
            .pop()
            .ok_or(diesel::result::Error::NotFound)
    }

    /// `$1` force, `$2` one id or all, `$3` the actor, `$4` the escalation cutoff.
    fn select(
        c: &mut PgConnection,
        force: Uuid,
        id: Option<Uuid>,
        condition: &str,
        actor: Uuid,
        cutoff: DateTime<Utc>,
        lock: bool,
    ) -> QueryResult<Vec<Callback>> {
        let lock = if lock { "FOR UPDATE" } else { "" };
        diesel::sql_query(format!(
            "SELECT id, supporter_id, contact_method, contact_detail, window_start, window_end, status, \
             created_at, acknowledged_at, contacted_at, (status = 'open' AND assigned_at <= $4) AS escalated \
             FROM peer_callbacks WHERE force_id = $1 AND ($2::uuid IS NULL OR id = $2) AND {condition} \
             ORDER BY created_at, id {lock}"
        ))
        .bind::<SqlUuid, _>(force)
        .bind::<Nullable<SqlUuid>, _>(id)
        .bind::<SqlUuid, _>(actor)
        .bind::<Timestamptz, _>(cutoff)
        .load(c)
    }

    /// Applies `t` to request `id` at `now`.
    ///
    /// # Errors
    /// Database errors.
    pub fn update(
        c: &mut PgConnection,
        force: Uuid,
        id: Uuid,
        t: Transition,
        now: DateTime<Utc>,
    ) -> QueryResult<()> {
        let target = match t {
            Transition::Handover(target) => target,
            _ => None,
        };
        diesel::sql_query(format!(
            "UPDATE peer_callbacks SET {} WHERE force_id = $1 AND id = $2",
            t.set()
        ))
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(id)
        .bind::<Timestamptz, _>(now)
        .bind::<Nullable<SqlUuid>, _>(target)
        .execute(c)?;
        Ok(())
    }
}

/// Raw call-back counts, before the small-number rule.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct Counts {
    /// Requests made.
    #[diesel(sql_type = BigInt)]
    pub requests: i64,
    /// Requests acknowledged.
    #[diesel(sql_type = BigInt)]
    pub acknowledged: i64,
    /// Requests where the officer was contacted.
    #[diesel(sql_type = BigInt)]
    pub contacted: i64,
}

/// Raw call-back figures for a period, before the small-number rule.
#[derive(Debug, Clone, QueryableByName)]
pub struct ReportCounts {
    /// The counts.
    #[diesel(embed)]
    pub counts: Counts,
    /// Median seconds from request to first acknowledgement.
    #[diesel(sql_type = Nullable<Double>)]
    pub median_seconds: Option<f64>,
}

/// Counts and median response time for requests made from `from` to `to`
/// (inclusive dates in the force's time zone, as the FRM report's periods),
/// over live requests and those the retention job has already reduced to
/// outcomes.
///
/// # Errors
/// Database errors.
pub fn report_counts(
    c: &mut PgConnection,
    force: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<ReportCounts> {
    diesel::sql_query(
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
    .get_result(c)
}

/// One ISO week's raw call-back counts (weeks with no request are absent).
#[derive(Debug, Clone, QueryableByName)]
pub struct WeekCounts {
    /// The week's Monday.
    #[diesel(sql_type = Date)]
    pub week: NaiveDate,
    /// The counts.
    #[diesel(embed)]
    pub counts: Counts,
}

/// [`report_counts`] per ISO week of the period, for the per-week rule of
/// `service::report_figures`.
///
/// # Errors
/// Database errors.
pub fn report_week_counts(
    c: &mut PgConnection,
    force: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<WeekCounts>> {
    diesel::sql_query(
        "WITH r AS ( \
           SELECT (created_at AT TIME ZONE (SELECT time_zone FROM forces WHERE id = $1))::date AS day, \
                  acknowledged_at IS NOT NULL AS acked, status \
           FROM peer_callbacks WHERE force_id = $1 \
           UNION ALL \
           SELECT requested_on, response_seconds IS NOT NULL, outcome FROM peer_callback_outcomes WHERE force_id = $1) \
         SELECT date_trunc('week', day)::date AS week, count(*) AS requests, \
                count(*) FILTER (WHERE acked) AS acknowledged, \
                count(*) FILTER (WHERE status = 'contacted') AS contacted \
         FROM r WHERE day BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(c)
}

/// Reduces the force's requests made before `cutoff` to outcomes (day in
/// the force's time zone, response time, status) and deletes them. Returns how many were deleted.
///
/// # Errors
/// Database errors.
pub fn expire(c: &mut PgConnection, force: Uuid, cutoff: DateTime<Utc>) -> QueryResult<usize> {
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
