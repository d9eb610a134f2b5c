//! Database plumbing shared by every domain's `store.rs`: the pool, the
//! embedded migrations, and the one transaction helper ([`transaction`],
//! with its async wrappers [`with_force`] and [`with_platform`]).
//!
//! actix-web's workers never block on the database: every query runs inside
//! [`with_force`] or [`with_platform`], which move the work onto actix's
//! blocking thread pool (`web::block`) with a connection from an r2d2 pool,
//! or, for sync batches, on the group-commit threads of
//! [`sync::queue`] ([`crate::sync::group_commit`]).
//! (diesel-async would avoid the thread hop; the blocking pool is simpler,
//! shares diesel's synchronous API with `server migrate`, and the load bench
//! in docs/operations.md shows it is not the limit.)
//!
//! Tenancy is enforced twice: each query filters by `force_id`, and
//! [`with_force`] opens a transaction that sets `app.force_id`, which the
//! row-level-security policies compare every row against. The runtime role
//! does not own the tables, so the policies bind it.

use actix_web::web;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::sql_types::Untyped;
use diesel::{Connection, QueryResult, QueryableByName, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use uuid::Uuid;

use crate::error::AppResult;

/// The SQL migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// The result of a `SELECT EXISTS (...) AS found`.
#[derive(Debug, diesel::QueryableByName)]
pub struct Found {
    /// Whether the row exists.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub found: bool,
}

/// A pool of runtime-role connections.
pub type DbPool = Pool<ConnectionManager<PgConnection>>;
/// One pooled connection.
pub type DbConn = PooledConnection<ConnectionManager<PgConnection>>;

/// Why migrations failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// Could not connect.
    #[error("connecting for migrations: {0}")]
    Connect(#[from] diesel::ConnectionError),
    /// A migration failed.
    #[error("running migrations: {0}")]
    Run(String),
    /// The months of the partitioned tables could not be made.
    #[error("making the coming months' partitions: {0}")]
    Partitions(String),
}

/// Runs pending migrations as the owner, then makes the partitioned
/// tables' months that are missing (from the retention horizon to three
/// months ahead: [`crate::lifecycle::service::ensure_partitions`]), so every
/// start and every migrated database has them; returns how many migrations
/// ran.
///
/// # Errors
/// [`MigrateError`].
pub fn run_migrations(owner_url: &str) -> Result<usize, MigrateError> {
    let mut conn = PgConnection::establish(owner_url)?;
    let done = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| MigrateError::Run(e.to_string()))?
        .len();
    crate::lifecycle::service::ensure_partitions(&mut conn, chrono::Utc::now())
        .map_err(|e| MigrateError::Partitions(format!("{e:?}")))?;
    Ok(done)
}

/// Builds the runtime pool without connecting yet, so the server starts (and
/// reports "not ready") while the database is away.
pub fn pool(url: &str, size: u32, timeout_ms: u64) -> DbPool {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(std::time::Duration::from_millis(timeout_ms.max(1)))
        .test_on_check_out(true)
        .build_unchecked(ConnectionManager::new(url))
}

/// Which rows a transaction may see: row-level security compares every
/// force-owned row with the setting this names.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// One force's rows (`app.force_id`): every force-scoped request.
    Force(Uuid),
    /// No force: only non-force tables (forces, national accounts, keys,
    /// rate limits).
    Platform,
    /// The sync batches of several forces (`app.sync_forces`): the
    /// `sync_group` policies of `persons`, `devices`, `sync_batches` and
    /// `sync_records` admit their rows and nothing else of those forces is
    /// visible. Only the sync group commit uses it, and its statements
    /// filter every row by its own force and device.
    SyncForces(&'a [Uuid]),
}

/// Runs `f` in a transaction scoped to `force` (RLS), off the async workers.
///
/// # Errors
/// Whatever `f` returns; [`crate::error::AppError::DatabaseUnavailable`] when there is no
/// connection.
pub async fn with_force<T, F>(pool: &DbPool, force: Uuid, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> AppResult<T> + Send + 'static,
{
    off_workers(pool, Some(force), f).await
}

/// Runs `f` in a transaction with no force set: only non-force tables
/// (forces, national accounts, keys, rate limits) are visible.
///
/// # Errors
/// As [`with_force`].
pub async fn with_platform<T, F>(pool: &DbPool, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> AppResult<T> + Send + 'static,
{
    off_workers(pool, None, f).await
}

async fn off_workers<T, F>(pool: &DbPool, force: Option<Uuid>, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> AppResult<T> + Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        let scope = force.map_or(Scope::Platform, Scope::Force);
        transaction(&mut conn, scope, f)
    })
    .await?
}

/// Runs `f` in one transaction scoped by `scope`: the project's one way to
/// open a transaction on the runtime role. The first round trip both begins
/// it and sets the scope (one simple-protocol message, `BEGIN; SELECT
/// set_config(...)`), so scoping costs no extra round trip. Commits when `f`
/// succeeds, rolls back otherwise.
///
/// # Errors
/// Whatever `f` returns; database errors from begin, commit or rollback.
pub fn transaction<T, E, F>(c: &mut PgConnection, scope: Scope<'_>, f: F) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut PgConnection) -> Result<T, E>,
{
    // Uuids print as hex digits and dashes: nothing to escape.
    let begin = match scope {
        Scope::Force(force) => {
            format!("BEGIN; SELECT set_config('app.force_id', '{force}', true)")
        }
        Scope::Platform => "BEGIN".to_owned(),
        Scope::SyncForces(forces) => {
            let list: Vec<String> = forces.iter().map(Uuid::to_string).collect();
            format!(
                "BEGIN; SELECT set_config('app.sync_forces', '{{{}}}', true)",
                list.join(",")
            )
        }
    };
    if let Err(e) = AnsiTransactionManager::begin_transaction_sql(c, &begin) {
        // BEGIN may have run before set_config failed: leave no open block.
        let _ = c.batch_execute("ROLLBACK");
        return Err(e.into());
    }
    match f(c) {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(c)?;
            Ok(value)
        }
        Err(e) => {
            // The caller's error is the one worth reporting; a failed
            // rollback leaves the connection marked broken for the pool.
            let _ = AnsiTransactionManager::rollback_transaction(c);
            Err(e)
        }
    }
}

/// Turns PostgreSQL's JIT compilation off until the transaction ends.
///
/// JIT pays for itself on reads that run for minutes; a plan with many
/// partitions and joins that runs for seconds spends more compiling than it
/// saves. The FRM report's read of the largest force's consented records
/// (15 monthly partitions, two joins each) ran in 4.2 s with JIT, 3.4 s of it
/// compiling, and in 2.9 s without (EXPLAIN ANALYZE on the full-size
/// rehearsal, docs/scaling.md). A setting of the transaction's, not the
/// cluster's: it holds on any PostgreSQL the server is pointed at.
///
/// # Errors
/// Database errors.
pub fn without_jit(c: &mut PgConnection) -> QueryResult<()> {
    c.batch_execute("SET LOCAL jit = off")
}

/// Raw SQL (from `diesel::sql_query(..).bind(..)`) that diesel keeps as a
/// named prepared statement on each connection, keyed by its text: parsed and
/// planned once per connection instead of on every run, which is where much
/// of PostgreSQL's time went on the sync path (docs/operations.md, "Load
/// bench"). `sql_query` on its own opts out of diesel's statement cache
/// because its text may be built at run time; wrap only statements whose
/// text is a constant, or the cache would grow with every distinct text.
/// (The hook, `QueryFragment::is_safe_to_cache_prepared`, is public but
/// hidden from diesel's docs; written against diesel 2.3, and an upgrade that
/// drops it fails to compile here rather than silently.)
#[derive(Debug)]
pub struct Prepared<Q>(pub Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Prepared<Q> {
    type SqlType = Untyped;
}

impl<Q> RunQueryDsl<PgConnection> for Prepared<Q> {}

/// Why the server refuses its database role.
#[derive(Debug, thiserror::Error)]
pub enum ServingRoleError {
    /// The role would not be bound by row-level security.
    #[error(
        "the server's database role `{role}` {why}: row-level security would not bind it; \
         connect as the runtime role (docs/operations.md) and migrate as the owner"
    )]
    Unbound {
        /// The role's name.
        role: String,
        /// What it is: a superuser, BYPASSRLS, or the owner of a table.
        why: &'static str,
    },
    /// The check itself failed.
    #[error("checking the server's database role: {0}")]
    Query(#[from] crate::error::AppError),
}

/// Refuses a serving role that row-level security would not bind: a
/// superuser, a role with BYPASSRLS, or the owner of any table of the
/// schema (policies are not forced on owners).
///
/// # Errors
/// [`ServingRoleError`].
pub async fn check_serving_role(pool: &DbPool) -> Result<(), ServingRoleError> {
    #[derive(QueryableByName)]
    struct Role {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        superuser: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        bypass: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        owner: bool,
    }
    let role: Role = with_platform(pool, |c| {
        Ok(diesel::sql_query(
            "SELECT current_user::text AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypass, \
             EXISTS (SELECT 1 FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace \
                     WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') \
                       AND t.relowner = r.oid) AS owner \
             FROM pg_roles r WHERE r.rolname = current_user",
        )
        .get_result(c)?)
    })
    .await?;
    let why = if role.superuser {
        Some("is a superuser")
    } else if role.bypass {
        Some("has BYPASSRLS")
    } else if role.owner {
        Some("owns tables")
    } else {
        None
    };
    match why {
        Some(why) => Err(ServingRoleError::Unbound {
            role: role.name,
            why,
        }),
        None => Ok(()),
    }
}

/// `SELECT 1` through the pool: the readiness probe.
///
/// # Errors
/// [`AppError::DatabaseUnavailable`].
pub async fn ping(pool: &DbPool) -> AppResult<()> {
    with_platform(pool, |c| {
        Ok(diesel::sql_query("SELECT 1").execute(c).map(|_| ())?)
    })
    .await
}
