//! Forces, national and force accounts, teams, and the officer's own
//! record (consent, export, withdrawal). SQL only.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, Jsonb, Text, Uuid as SqlUuid};
use uuid::Uuid;

pub use models::api::ConsentLevel as Consent;

/// Kinds that must be deleted when moving to `level`.
fn disallowed_kinds(level: Consent) -> Vec<String> {
    ["daily_summary", "check_in", "learning_progress"]
        .into_iter()
        .filter(|k| !level.allows(k))
        .map(str::to_owned)
        .collect()
}

/// A force (tenant).
#[derive(Debug, Clone, QueryableByName)]
pub struct Force {
    /// Id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// URL-safe short name used at sign-in.
    #[diesel(sql_type = Text)]
    pub slug: String,
    /// Display name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// IANA zone for rosters.
    #[diesel(sql_type = Text)]
    pub time_zone: String,
}

impl Force {
    /// The force's zone; UTC if the stored name were ever not an IANA zone
    /// (forces are created with a checked one).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC)
    }

    /// Creates a force.
    ///
    /// # Errors
    /// Conflict when the slug is taken; database errors.
    pub fn create(c: &mut PgConnection, slug: &str, name: &str, tz: &str) -> QueryResult<Force> {
        diesel::sql_query(
            "INSERT INTO forces (id, slug, name, time_zone) VALUES ($1, $2, $3, $4) \
             RETURNING id, slug, name, time_zone",
        )
        .bind::<SqlUuid, _>(Uuid::new_v4())
        .bind::<Text, _>(slug)
        .bind::<Text, _>(name)
        .bind::<Text, _>(tz)
        .get_result(c)
    }

    /// Finds a force by slug.
    ///
    /// # Errors
    /// Not found; database errors.
    pub fn by_slug(c: &mut PgConnection, slug: &str) -> QueryResult<Force> {
        diesel::sql_query("SELECT id, slug, name, time_zone FROM forces WHERE slug = $1")
            .bind::<Text, _>(slug)
            .get_result(c)
    }

    /// Every force's id, in id order (the scheduled jobs' loops; `forces`
    /// is not force-owned).
    ///
    /// # Errors
    /// Database errors.
    pub fn all_ids(c: &mut PgConnection) -> QueryResult<Vec<Uuid>> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = SqlUuid)]
            id: Uuid,
        }
        let rows: Vec<Row> = diesel::sql_query("SELECT id FROM forces ORDER BY id").load(c)?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Finds a force by id.
    ///
    /// # Errors
    /// Not found; database errors.
    pub fn by_id(c: &mut PgConnection, id: Uuid) -> QueryResult<Force> {
        diesel::sql_query("SELECT id, slug, name, time_zone FROM forces WHERE id = $1")
            .bind::<SqlUuid, _>(id)
            .get_result(c)
    }
}

/// An account row as needed at sign-in.
#[derive(Debug, Clone, QueryableByName)]
pub struct Credential {
    /// Account id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// argon2id hash.
    #[diesel(sql_type = Text)]
    pub password_hash: String,
    /// Role name as stored.
    #[diesel(sql_type = Text)]
    pub role: String,
}

/// Finds a national account by username.
///
/// # Errors
/// Database errors.
pub fn platform_credential(
    c: &mut PgConnection,
    username: &str,
) -> QueryResult<Option<Credential>> {
    credential(c, None, username)
}

/// Creates a national account.
///
/// # Errors
/// Conflict when the username is taken.
pub fn create_platform_account(
    c: &mut PgConnection,
    username: &str,
    password_hash: &str,
    role: &str,
) -> QueryResult<Uuid> {
    insert_account(c, None, username, password_hash, role)
}

/// The sign-in row of a force account (`force` set: `accounts`, inside
/// `with_force`) or a national one (`platform_accounts`).
fn credential(
    c: &mut PgConnection,
    force: Option<Uuid>,
    username: &str,
) -> QueryResult<Option<Credential>> {
    let mut query = diesel::sql_query(match force {
        Some(_) => {
            "SELECT id, password_hash, role FROM accounts WHERE force_id = $1 AND username = $2"
        }
        None => "SELECT id, password_hash, role FROM platform_accounts WHERE username = $1",
    })
    .into_boxed::<Pg>();
    if let Some(force) = force {
        query = query.bind::<SqlUuid, _>(force);
    }
    query.bind::<Text, _>(username).get_result(c).optional()
}

/// Inserts a force account (`force` set) or a national one; returns its id.
fn insert_account(
    c: &mut PgConnection,
    force: Option<Uuid>,
    username: &str,
    password_hash: &str,
    role: &str,
) -> QueryResult<Uuid> {
    let id = Uuid::new_v4();
    let mut query = diesel::sql_query(match force {
        Some(_) => "INSERT INTO accounts (force_id, id, username, password_hash, role) VALUES ($1, $2, $3, $4, $5)",
        None => "INSERT INTO platform_accounts (id, username, password_hash, role) VALUES ($1, $2, $3, $4)",
    })
    .into_boxed::<Pg>();
    if let Some(force) = force {
        query = query.bind::<SqlUuid, _>(force);
    }
    query
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(username)
        .bind::<Text, _>(password_hash)
        .bind::<Text, _>(role)
        .execute(c)?;
    Ok(id)
}

/// True when any platform admin exists.
///
/// # Errors
/// Database errors.
pub fn platform_admin_exists(c: &mut PgConnection) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query(
        "SELECT count(*) AS n FROM platform_accounts WHERE role = 'platform_admin'",
    )
    .get_result(c)?;
    Ok(n.n > 0)
}

/// Finds a force account by username (inside `with_force`).
///
/// # Errors
/// Database errors.
pub fn force_credential(
    c: &mut PgConnection,
    force: Uuid,
    username: &str,
) -> QueryResult<Option<Credential>> {
    credential(c, Some(force), username)
}

/// True when `account` is a supervisor account of the force.
///
/// # Errors
/// Database errors.
pub fn is_force_supervisor(c: &mut PgConnection, force: Uuid, account: Uuid) -> QueryResult<bool> {
    let found: crate::db::Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE force_id = $1 AND id = $2 \
         AND role = 'supervisor') AS found",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(account)
    .get_result(c)?;
    Ok(found.found)
}

/// Creates a force account.
///
/// # Errors
/// Conflict when the username is taken.
pub fn create_force_account(
    c: &mut PgConnection,
    force: Uuid,
    username: &str,
    password_hash: &str,
    role: &str,
) -> QueryResult<Uuid> {
    insert_account(c, Some(force), username, password_hash, role)
}

/// What a team (or, from the HR file, a person) does; its home is
/// `models::staff`.
pub use models::staff::PolicingFunction;

/// Where a new team sits: its command and its function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamPlacement {
    /// Command (BCU, division, directorate); 1 to 200 characters.
    pub command: String,
    /// What the team does.
    pub function: PolicingFunction,
}

impl Default for TeamPlacement {
    fn default() -> Self {
        Self {
            command: "Unassigned".into(),
            function: PolicingFunction::Other,
        }
    }
}

/// A team with its members' staff numbers.
#[derive(Debug, Clone, QueryableByName)]
pub struct Team {
    /// Id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// The command (BCU, division, directorate) the team belongs to.
    #[diesel(sql_type = Text)]
    pub command: String,
    /// What the team does (`response`, `investigation`, `control_room`, ...).
    #[diesel(sql_type = Text)]
    pub policing_function: String,
    /// Members by staff number.
    #[diesel(sql_type = Array<Text>)]
    pub members: Vec<String>,
}

const TEAM_SELECT: &str = "SELECT t.id, t.name, t.command, t.policing_function, \
    coalesce(array_agg(m.staff_number ORDER BY m.staff_number) FILTER (WHERE m.staff_number IS NOT NULL), '{}') AS members \
    FROM teams t LEFT JOIN team_members m ON m.force_id = t.force_id AND m.team_id = t.id";

impl Team {
    /// Creates an empty team in `placement`.
    ///
    /// # Errors
    /// Conflict when the name is taken.
    pub fn create(
        c: &mut PgConnection,
        force: Uuid,
        name: &str,
        placement: &TeamPlacement,
    ) -> QueryResult<Team> {
        let id = Uuid::new_v4();
        diesel::sql_query(
            "INSERT INTO teams (force_id, id, name, command, policing_function) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(name)
        .bind::<Text, _>(&placement.command)
        .bind::<Text, _>(placement.function.as_str())
        .execute(c)?;
        Team::find(c, force, id)
    }

    /// A team of the force.
    ///
    /// # Errors
    /// Not found.
    pub fn find(c: &mut PgConnection, force: Uuid, id: Uuid) -> QueryResult<Team> {
        diesel::sql_query(format!(
            "{TEAM_SELECT} WHERE t.force_id = $1 AND t.id = $2 GROUP BY t.id, t.name, t.command, t.policing_function"
        ))
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(id)
        .get_result(c)
    }

    /// All the force's teams, or only those `supervisor` supervises.
    ///
    /// # Errors
    /// Database errors.
    pub fn list(
        c: &mut PgConnection,
        force: Uuid,
        supervisor: Option<Uuid>,
    ) -> QueryResult<Vec<Team>> {
        diesel::sql_query(format!(
            "{TEAM_SELECT} WHERE t.force_id = $1 AND ($2::uuid IS NULL OR EXISTS \
             (SELECT 1 FROM team_supervisors s WHERE s.force_id = t.force_id AND s.team_id = t.id AND s.account_id = $2)) \
             GROUP BY t.id, t.name, t.command, t.policing_function ORDER BY t.name"
        ))
        .bind::<SqlUuid, _>(force)
        .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(supervisor)
        .load(c)
    }

    /// Replaces the team's members.
    ///
    /// # Errors
    /// Database errors.
    pub fn set_members(
        c: &mut PgConnection,
        force: Uuid,
        id: Uuid,
        staff: &[String],
    ) -> QueryResult<()> {
        diesel::sql_query("DELETE FROM team_members WHERE force_id = $1 AND team_id = $2")
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(id)
            .execute(c)?;
        diesel::sql_query(
            "INSERT INTO team_members (force_id, team_id, staff_number) \
             SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(id)
        .bind::<Array<Text>, _>(staff)
        .execute(c)?;
        Ok(())
    }

    /// Names a supervisor for the team.
    ///
    /// # Errors
    /// Database errors.
    pub fn add_supervisor(
        c: &mut PgConnection,
        force: Uuid,
        id: Uuid,
        account: Uuid,
    ) -> QueryResult<()> {
        diesel::sql_query(
            "INSERT INTO team_supervisors (force_id, team_id, account_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(account)
        .execute(c)?;
        Ok(())
    }

    /// True when `account` supervises the team.
    ///
    /// # Errors
    /// Database errors.
    pub fn is_supervised_by(
        c: &mut PgConnection,
        force: Uuid,
        id: Uuid,
        account: Uuid,
    ) -> QueryResult<bool> {
        Ok(Team::list(c, force, Some(account))?
            .iter()
            .any(|t| t.id == id))
    }
}

/// The person's consent.
///
/// # Errors
/// Not found when the person no longer exists (withdrawn).
pub fn consent(c: &mut PgConnection, force: Uuid, person: Uuid) -> QueryResult<Consent> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        consent: String,
    }
    let row: Row = diesel::sql_query("SELECT consent FROM persons WHERE force_id = $1 AND id = $2")
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(person)
        .get_result(c)?;
    Ok(Consent::from_stored(&row.consent))
}

/// Changes consent; records no longer covered are deleted. Returns how many.
///
/// # Errors
/// Not found when the person no longer exists.
pub fn set_consent(
    c: &mut PgConnection,
    force: Uuid,
    person: Uuid,
    level: Consent,
) -> QueryResult<usize> {
    let n = diesel::sql_query(
        "UPDATE persons SET consent = $3, consent_updated_at = now() WHERE force_id = $1 AND id = $2",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(person)
    .bind::<Text, _>(level.as_str())
    .execute(c)?;
    if n == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    diesel::sql_query(
        "DELETE FROM sync_records WHERE force_id = $1 AND person_id = $2 AND kind = ANY($3)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(person)
    .bind::<diesel::sql_types::Array<Text>, _>(disallowed_kinds(level))
    .execute(c)
}

/// Everything held about a person, as JSON (built in SQL so nothing is missed
/// by a forgotten struct field).
///
/// # Errors
/// Not found when the person no longer exists.
pub fn export(c: &mut PgConnection, force: Uuid, person: Uuid) -> QueryResult<serde_json::Value> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Jsonb)]
        doc: serde_json::Value,
    }
    let row: Row = diesel::sql_query(
        "SELECT jsonb_build_object( \
           'person', (SELECT to_jsonb(p) - 'force_id' FROM persons p WHERE p.force_id = $1 AND p.id = $2), \
           'staff_number', (SELECT staff_number FROM staff_links WHERE force_id = $1 AND person_id = $2), \
           'devices', coalesce((SELECT jsonb_agg(jsonb_build_object('id', d.id, 'sync_cursor', d.sync_cursor, 'created_at', d.created_at) ORDER BY d.created_at) \
                FROM devices d WHERE d.force_id = $1 AND d.person_id = $2), '[]'), \
           'records', coalesce((SELECT jsonb_agg(r.payload ORDER BY r.local_date, r.kind, r.discriminator) \
                FROM sync_records r WHERE r.force_id = $1 AND r.person_id = $2), '[]'), \
           'shifts', coalesce((SELECT jsonb_agg(jsonb_build_object('start', s.start_at, 'end', s.end_at, 'activity', s.activity) ORDER BY s.start_at) \
                FROM shifts s JOIN staff_links l ON l.force_id = s.force_id AND l.staff_number = s.staff_number \
                WHERE s.force_id = $1 AND l.person_id = $2), '[]'), \
           'rest_days', coalesce((SELECT jsonb_agg(d.local_date ORDER BY d.local_date) \
                FROM rest_days d JOIN staff_links l ON l.force_id = d.force_id AND l.staff_number = d.staff_number \
                WHERE d.force_id = $1 AND l.person_id = $2), '[]'), \
           'absence_days', coalesce((SELECT jsonb_agg(jsonb_build_object('date', a.local_date, 'category', a.category) ORDER BY a.local_date) \
                FROM absence_days a JOIN staff_links l ON l.force_id = a.force_id AND l.staff_number = a.staff_number \
                WHERE a.force_id = $1 AND l.person_id = $2), '[]'), \
           'roster_changes', coalesce((SELECT jsonb_agg(jsonb_build_object('kind', x.kind, 'duty_start', x.duty_start, 'changed_at', x.changed_at) ORDER BY x.duty_start) \
                FROM roster_changes x JOIN staff_links l ON l.force_id = x.force_id AND l.staff_number = x.staff_number \
                WHERE x.force_id = $1 AND l.person_id = $2), '[]'), \
           'callbacks', coalesce((SELECT jsonb_agg(jsonb_build_object('id', b.id, 'supporter_id', b.supporter_id, \
                  'contact_method', b.contact_method, 'contact_detail', b.contact_detail, 'window_start', b.window_start, \
                  'window_end', b.window_end, 'status', b.status, 'created_at', b.created_at, \
                  'acknowledged_at', b.acknowledged_at, 'contacted_at', b.contacted_at) ORDER BY b.created_at, b.id) \
                FROM peer_callbacks b WHERE b.force_id = $1 AND b.person_id = $2), '[]') \
         ) AS doc \
         WHERE EXISTS (SELECT 1 FROM persons WHERE force_id = $1 AND id = $2)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(person)
    .get_result(c)?;
    Ok(row.doc)
}

/// Withdrawal: deletes the person, and by cascade the staff link, devices,
/// refresh tokens, batches and records. Roster shifts stay: they are the
/// force's own duty records, no longer linked to the pseudonym.
///
/// # Errors
/// Not found when already withdrawn.
pub fn withdraw(c: &mut PgConnection, force: Uuid, person: Uuid) -> QueryResult<()> {
    let n = diesel::sql_query("DELETE FROM persons WHERE force_id = $1 AND id = $2")
        .bind::<SqlUuid, _>(force)
        .bind::<SqlUuid, _>(person)
        .execute(c)?;
    if n == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    Ok(())
}

/// Sets (or clears) a force account's email address; returns whether the
/// account exists in the force.
///
/// # Errors
/// Database errors.
pub fn set_email(
    c: &mut PgConnection,
    force: Uuid,
    account: Uuid,
    email: Option<&str>,
) -> QueryResult<bool> {
    Ok(
        diesel::sql_query("UPDATE accounts SET email = $3 WHERE force_id = $1 AND id = $2")
            .bind::<SqlUuid, _>(force)
            .bind::<SqlUuid, _>(account)
            .bind::<diesel::sql_types::Nullable<Text>, _>(email)
            .execute(c)?
            == 1,
    )
}

/// A force account with an email address.
#[derive(Debug, Clone, QueryableByName)]
pub struct Addressee {
    /// Account id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its address.
    #[diesel(sql_type = Text)]
    pub email: String,
}

/// The force's accounts of `role` that have an email address, by id.
///
/// # Errors
/// Database errors.
pub fn addressees(c: &mut PgConnection, force: Uuid, role: &str) -> QueryResult<Vec<Addressee>> {
    diesel::sql_query(
        "SELECT id, email FROM accounts \
         WHERE force_id = $1 AND role = $2 AND email IS NOT NULL ORDER BY id",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(role)
    .load(c)
}

/// Records a signed-out session until its token's expiry, and forgets
/// sessions whose tokens have expired anyway.
///
/// # Errors
/// Database errors.
pub fn revoke_session(
    c: &mut PgConnection,
    sid: Uuid,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM revoked_sessions WHERE expires_at < now()").execute(c)?;
    diesel::sql_query(
        "INSERT INTO revoked_sessions (sid, expires_at) VALUES ($1, $2) ON CONFLICT (sid) DO NOTHING",
    )
    .bind::<SqlUuid, _>(sid)
    .bind::<diesel::sql_types::Timestamptz, _>(expires_at)
    .execute(c)?;
    Ok(())
}

/// True when the session was signed out.
///
/// # Errors
/// Database errors.
pub fn session_revoked(c: &mut PgConnection, sid: Uuid) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        revoked: bool,
    }
    let row: Row = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM revoked_sessions WHERE sid = $1) AS revoked",
    )
    .bind::<SqlUuid, _>(sid)
    .get_result(c)?;
    Ok(row.revoked)
}
