//! The row-level security catalogue: every table with a `force_id` column
//! has RLS on and forced (so its owner is bound too, unless a superuser) and
//! at least one policy, and its policies are written by table
//! name in plain SQL in a migration (so grepping a table finds them). The
//! migration that gathered them in one place (`*_rls_in_one_place`) keeps
//! the earlier policies exactly, and its `down.sql` restores them.
//! Partitions of a partitioned force table are checked apart: queries reach
//! them through the parent, whose policies apply; the serving role has no
//! privilege on any partition, and each has RLS on and forced with no
//! policy (all denied, the owner too) in case one were ever granted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_migrations::MigrationHarness;
use e2e_tests::{cluster, workspace_root};

/// The migration that lists every policy by table name.
const RLS_MIGRATION: &str = "rls_in_one_place";

#[derive(QueryableByName)]
struct Table {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    rls: bool,
    /// `pg_class.relforcerowsecurity`: the policies bind the owner too.
    #[diesel(sql_type = Bool)]
    forced: bool,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    policies: i64,
}

/// The app schema's tables that have a `force_id` column, with their RLS
/// flag (`pg_class.relrowsecurity`) and policy count (`pg_policies`);
/// partitions are left to [`force_partitions`].
fn force_tables(c: &mut PgConnection) -> Vec<Table> {
    diesel::sql_query(
        "SELECT cl.relname::text AS name, cl.relrowsecurity AS rls, \
             cl.relforcerowsecurity AS forced, \
             (SELECT count(*) FROM pg_policies p \
              WHERE p.schemaname = n.nspname AND p.tablename = cl.relname) AS policies \
         FROM pg_class cl \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attname = 'force_id' AND NOT a.attisdropped \
         WHERE n.nspname = 'public' AND cl.relkind IN ('r', 'p') AND NOT cl.relispartition \
         ORDER BY cl.relname",
    )
    .load(c)
    .unwrap()
}

#[derive(QueryableByName, Debug)]
struct Partition {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    parent: String,
    #[diesel(sql_type = Bool)]
    rls: bool,
    #[diesel(sql_type = Bool)]
    forced: bool,
    /// Whether the serving role holds any privilege on it.
    #[diesel(sql_type = Bool)]
    reachable: bool,
}

/// The partitions of the app schema's tables that have a `force_id` column.
fn force_partitions(c: &mut PgConnection) -> Vec<Partition> {
    diesel::sql_query(
        "SELECT cl.relname::text AS name, pa.relname::text AS parent, cl.relrowsecurity AS rls, \
             cl.relforcerowsecurity AS forced, \
             has_table_privilege('fatigue_app', cl.oid, \
                 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS reachable \
         FROM pg_class cl \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         JOIN pg_inherits i ON i.inhrelid = cl.oid \
         JOIN pg_class pa ON pa.oid = i.inhparent \
         JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attname = 'force_id' AND NOT a.attisdropped \
         WHERE n.nspname = 'public' AND cl.relkind IN ('r', 'p') AND cl.relispartition \
         ORDER BY cl.relname",
    )
    .load(c)
    .unwrap()
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Policy {
    #[diesel(sql_type = Text)]
    tablename: String,
    #[diesel(sql_type = Text)]
    policyname: String,
    #[diesel(sql_type = Text)]
    permissive: String,
    #[diesel(sql_type = Text)]
    roles: String,
    #[diesel(sql_type = Text)]
    cmd: String,
    #[diesel(sql_type = Text)]
    qual: String,
    #[diesel(sql_type = Text)]
    with_check: String,
}

/// Every policy in the app schema, as PostgreSQL deparses it.
fn policies(c: &mut PgConnection) -> Vec<Policy> {
    diesel::sql_query(
        "SELECT tablename::text, policyname::text, permissive, roles::text, cmd, \
             coalesce(qual, '') AS qual, coalesce(with_check, '') AS with_check \
         FROM pg_policies WHERE schemaname = 'public' ORDER BY tablename, policyname",
    )
    .load(c)
    .unwrap()
}

/// Tables whose RLS is on, by name.
fn rls_on(c: &mut PgConnection) -> BTreeSet<String> {
    force_tables(c)
        .into_iter()
        .filter(|t| t.rls)
        .map(|t| t.name)
        .collect()
}

#[test]
fn every_table_with_force_id_has_row_level_security_and_a_policy() {
    let tc = cluster();
    let db = tc.fresh_database();
    let mut c = PgConnection::establish(&tc.cluster.owner_url(&db)).unwrap();
    let tables = force_tables(&mut c);
    // The schema has two dozen force-owned tables; an empty list would mean
    // the query found nothing, not that all is well.
    assert!(tables.len() >= 20, "{} tables", tables.len());
    let no_rls: Vec<&str> = tables
        .iter()
        .filter(|t| !t.rls)
        .map(|t| t.name.as_str())
        .collect();
    assert!(no_rls.is_empty(), "force_id but no RLS: {no_rls:?}");
    // Migration 2026-12-05-000400_force_rls: a table not forced lets its
    // owner (the migration role, not a superuser on a managed PostgreSQL)
    // read and write every force's rows.
    let not_forced: Vec<&str> = tables
        .iter()
        .filter(|t| !t.forced)
        .map(|t| t.name.as_str())
        .collect();
    assert!(
        not_forced.is_empty(),
        "force_id but RLS not forced: {not_forced:?}"
    );
    let no_policy: Vec<&str> = tables
        .iter()
        .filter(|t| t.policies == 0)
        .map(|t| t.name.as_str())
        .collect();
    assert!(
        no_policy.is_empty(),
        "force_id but no policy: {no_policy:?}"
    );
    // The sync tables also admit the forces of a sync group.
    let sync_group: BTreeSet<String> = policies(&mut c)
        .into_iter()
        .filter(|p| p.policyname == "sync_group")
        .map(|p| p.tablename)
        .collect();
    assert_eq!(
        sync_group,
        [
            "devices",
            "persons",
            "sync_batch_keys",
            "sync_batches",
            "sync_records"
        ]
        .map(String::from)
        .into()
    );
}

#[test]
fn every_partition_of_a_force_table_is_closed_to_the_serving_role() {
    let tc = cluster();
    let db = tc.fresh_database();
    let mut c = PgConnection::establish(&tc.cluster.owner_url(&db)).unwrap();
    let partitions = force_partitions(&mut c);
    // The three partitioned tables each have a default partition and, from
    // the migration's first lifecycle pass, 400 days back to 3 months ahead
    // in months: at least 14 months each, 45 partitions in all.
    let parents: BTreeSet<&str> = partitions.iter().map(|p| p.parent.as_str()).collect();
    assert_eq!(
        parents,
        ["audit_log", "sync_batches", "sync_records"].into()
    );
    assert!(partitions.len() >= 45, "{} partitions", partitions.len());
    let open: Vec<&str> = partitions
        .iter()
        .filter(|p| !p.rls || !p.forced || p.reachable)
        .map(|p| p.name.as_str())
        .collect();
    assert!(
        open.is_empty(),
        "partitions without RLS, not forced, or with a grant: {open:?}"
    );

    // Through the runtime role: a partition cannot be read, written or
    // dropped directly, nor can the month helpers run; the parent answers.
    let mut app = PgConnection::establish(&tc.cluster.app_url(&db)).unwrap();
    let month = partitions
        .iter()
        .find(|p| p.parent == "sync_records" && !p.name.ends_with("_default"))
        .unwrap()
        .name
        .clone();
    for sql in [
        format!("SELECT 1 FROM {month}"),
        "SELECT 1 FROM audit_log_default".to_owned(),
        format!("DELETE FROM {month}"),
        format!("DROP TABLE {month}"),
        "SELECT drop_month_partitions('audit_log', now())".to_owned(),
        "SELECT ensure_month_partitions('sync_records', '2020-01-01', '2020-01-01')".to_owned(),
        "DELETE FROM audit_log".to_owned(),
    ] {
        let err = diesel::sql_query(&sql).execute(&mut app).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("permission denied") || text.contains("must be owner"),
            "{sql}: {text}"
        );
    }
    diesel::sql_query("SELECT 1 FROM sync_records")
        .execute(&mut app)
        .unwrap();
}

#[test]
fn every_force_table_is_named_in_plain_sql_in_a_migration() {
    let tc = cluster();
    let db = tc.fresh_database();
    let mut c = PgConnection::establish(&tc.cluster.owner_url(&db)).unwrap();
    let mut sql = String::new();
    for entry in std::fs::read_dir(workspace_root().join("migrations")).unwrap() {
        let up = entry.unwrap().path().join("up.sql");
        if up.exists() {
            sql.push_str(&std::fs::read_to_string(up).unwrap());
        }
    }
    let missing: Vec<String> = force_tables(&mut c)
        .into_iter()
        .map(|t| t.name)
        .filter(|t| {
            !sql.contains(&format!("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;"))
                || !sql.contains(&format!(" ON {t} USING ("))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "no plain `ALTER TABLE x ENABLE ROW LEVEL SECURITY;` and `CREATE POLICY ... ON x USING (` for {missing:?}"
    );
}

#[test]
fn gathering_the_policies_kept_them_exactly_and_down_restores_them() {
    let tc = cluster();
    let db = format!("rls_steps_{}", std::process::id());
    tc.cluster.create_database(&db, None).unwrap();
    let mut c = PgConnection::establish(&tc.cluster.owner_url(&db)).unwrap();
    // (name, version): the harness reports a migration by its version.
    let mut names: Vec<(String, String)> =
        diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&server::db::MIGRATIONS)
            .unwrap()
            .iter()
            .map(|m| (m.name().to_string(), m.name().version().to_string()))
            .collect();
    names.sort();
    let before = names
        .iter()
        .position(|(n, _)| n.ends_with(RLS_MIGRATION))
        .expect("the RLS migration is embedded");
    let version = names[before].1.clone();
    for _ in 0..before {
        c.run_next_migration(server::db::MIGRATIONS).unwrap();
    }
    let (old_policies, old_rls) = (policies(&mut c), rls_on(&mut c));
    assert!(old_policies.len() >= 20, "{} policies", old_policies.len());

    let applied = c.run_next_migration(server::db::MIGRATIONS).unwrap();
    assert_eq!(applied.to_string(), version);
    assert_eq!(policies(&mut c), old_policies);
    assert_eq!(rls_on(&mut c), old_rls);

    let reverted = c.revert_last_migration(server::db::MIGRATIONS).unwrap();
    assert_eq!(reverted.to_string(), version);
    assert_eq!(policies(&mut c), old_policies);
    assert_eq!(rls_on(&mut c), old_rls);

    // Up again, and every later migration on top.
    let again = c.run_pending_migrations(server::db::MIGRATIONS).unwrap();
    assert_eq!(again.len(), names.len() - before);
}
