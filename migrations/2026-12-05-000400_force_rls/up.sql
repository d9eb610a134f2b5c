-- FORCE ROW LEVEL SECURITY on every force-owned table (issue 16, "RLS is off
-- if the server runs as the owner"). A table's owner is not bound by its
-- policies unless they are forced; with FORCE, a session of the owner sees
-- and writes only the force named in app.force_id, like the serving role.
-- A superuser (the embedded cluster's owner `postgres`) still bypasses
-- every policy: what this closes is a managed PostgreSQL, where migrations
-- run as a non-superuser owner.
--
-- What ran as the owner across forces, and how each runs now:
--   the NPWS/national SECURITY DEFINER functions (npws_force_overview,
--       npws_person_features, npws_person_outcomes, npws_roster_months,
--       npws_sickness) belong
--       to fatigue_npws below: a NOLOGIN role with SELECT on the ten tables
--       they read and, on the nine of those with row-level security, a
--       permissive SELECT-only policy `npws_read TO fatigue_npws USING
--       (true)`. The serving role keeps only EXECUTE on them.
--   retention (server::lifecycle) deletes force by force with that force's
--       app.force_id set (db::transaction, Scope::Force), reads each force's
--       periods the same way, and deletes the national audit entries (no
--       force) through the two `national_retention` policies below, which
--       name only the owner (the role running this migration).
--   partition making (create_month_partition, replaced below) lifts FORCE
--       from the default partition for the move of its rows, in the same
--       transaction, and forces every month it makes.
--   the rehearsal's COPY (server::rehearsal::load) writes force by force
--       with app.force_id set.
--
-- fatigue_npws is cluster-wide (several databases share a cluster, the
-- tests' among them), so it is made only when missing. Handing a function
-- to it needs membership (ALTER ... OWNER TO) and its CREATE on the schema;
-- both are taken for the hand-over and given up at the end of this
-- migration, so a session of the owner does not inherit the npws_read
-- policies. A later migration that replaces one of these functions does
-- the same: GRANT fatigue_npws TO CURRENT_USER, replace it (a function made
-- anew with DROP/CREATE needs ALTER FUNCTION ... OWNER TO fatigue_npws
-- again), REVOKE. On a managed PostgreSQL the owner needs CREATEROLE for
-- this (docs/operations.md).
--
-- A new table with force_id gets `ALTER TABLE x FORCE ROW LEVEL SECURITY;`
-- beside its ENABLE line; tests/tests/rls_catalogue.rs fails while a force
-- table or a partition of one is not forced.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fatigue_npws') THEN
        CREATE ROLE fatigue_npws NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION
    -- Another database of the cluster made it meanwhile.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT fatigue_npws TO CURRENT_USER;
GRANT USAGE, CREATE ON SCHEMA public TO fatigue_npws;

ALTER FUNCTION npws_force_overview() OWNER TO fatigue_npws;
ALTER FUNCTION npws_person_features(date, date) OWNER TO fatigue_npws;
ALTER FUNCTION npws_person_outcomes(date[], date[]) OWNER TO fatigue_npws;
ALTER FUNCTION npws_roster_months(date[], date[]) OWNER TO fatigue_npws;
ALTER FUNCTION npws_sickness(date, date) OWNER TO fatigue_npws;

-- pg_temp last: a temporary table of the calling session named like one of
-- ours must not stand in for it (by default pg_temp is searched first).
ALTER FUNCTION npws_force_overview() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION npws_person_features(date, date) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION npws_person_outcomes(date[], date[]) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION npws_roster_months(date[], date[]) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION npws_sickness(date, date) SET search_path = pg_catalog, public, pg_temp;

REVOKE CREATE ON SCHEMA public FROM fatigue_npws;
REVOKE fatigue_npws FROM CURRENT_USER;

-- What the five functions read, and nothing more: SELECT only.
GRANT SELECT ON forces, persons, staff_links, staff_records, team_members, teams, shifts,
    sync_records, peer_callbacks, sickness_absence TO fatigue_npws;
-- The tenant and sync_group policies (PUBLIC) are evaluated for it too.
GRANT EXECUTE ON FUNCTION current_force() TO fatigue_npws;
GRANT EXECUTE ON FUNCTION current_sync_forces() TO fatigue_npws;

-- persons
CREATE POLICY npws_read ON persons FOR SELECT TO fatigue_npws USING (true);
-- staff_links
CREATE POLICY npws_read ON staff_links FOR SELECT TO fatigue_npws USING (true);
-- staff_records
CREATE POLICY npws_read ON staff_records FOR SELECT TO fatigue_npws USING (true);
-- team_members
CREATE POLICY npws_read ON team_members FOR SELECT TO fatigue_npws USING (true);
-- teams
CREATE POLICY npws_read ON teams FOR SELECT TO fatigue_npws USING (true);
-- shifts
CREATE POLICY npws_read ON shifts FOR SELECT TO fatigue_npws USING (true);
-- sync_records (the parent: a query through it is checked against its
-- policies, not its partitions')
CREATE POLICY npws_read ON sync_records FOR SELECT TO fatigue_npws USING (true);
-- peer_callbacks
CREATE POLICY npws_read ON peer_callbacks FOR SELECT TO fatigue_npws USING (true);
-- sickness_absence
CREATE POLICY npws_read ON sickness_absence FOR SELECT TO fatigue_npws USING (true);

-- audit_log: retention deletes the national entries (no force) as the
-- owner, outside any force scope. A DELETE with a WHERE needs a SELECT
-- policy as well as a DELETE one. The serving role has no DELETE on
-- audit_log and is not named here.
CREATE POLICY national_retention_read ON audit_log FOR SELECT TO CURRENT_USER
    USING (force_id IS NULL AND current_force() IS NULL);
CREATE POLICY national_retention ON audit_log FOR DELETE TO CURRENT_USER
    USING (force_id IS NULL AND current_force() IS NULL);

-- Every force-owned table, by name.
ALTER TABLE absence_days FORCE ROW LEVEL SECURITY;
ALTER TABLE account_identities FORCE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
ALTER TABLE devices FORCE ROW LEVEL SECURITY;
ALTER TABLE enrolment_codes FORCE ROW LEVEL SECURITY;
ALTER TABLE force_settings FORCE ROW LEVEL SECURITY;
ALTER TABLE identity_providers FORCE ROW LEVEL SECURITY;
ALTER TABLE oidc_logins FORCE ROW LEVEL SECURITY;
ALTER TABLE pairing_codes FORCE ROW LEVEL SECURITY;
ALTER TABLE peer_callback_outcomes FORCE ROW LEVEL SECURITY;
ALTER TABLE peer_callbacks FORCE ROW LEVEL SECURITY;
ALTER TABLE peer_supporters FORCE ROW LEVEL SECURITY;
ALTER TABLE persons FORCE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE report_notices FORCE ROW LEVEL SECURITY;
ALTER TABLE report_runs FORCE ROW LEVEL SECURITY;
ALTER TABLE report_schedules FORCE ROW LEVEL SECURITY;
ALTER TABLE rest_days FORCE ROW LEVEL SECURITY;
ALTER TABLE rollout_plans FORCE ROW LEVEL SECURITY;
ALTER TABLE roster_changes FORCE ROW LEVEL SECURITY;
ALTER TABLE roster_draft_versions FORCE ROW LEVEL SECURITY;
ALTER TABLE roster_drafts FORCE ROW LEVEL SECURITY;
ALTER TABLE roster_uploads FORCE ROW LEVEL SECURITY;
ALTER TABLE shifts FORCE ROW LEVEL SECURITY;
ALTER TABLE sickness_absence FORCE ROW LEVEL SECURITY;
ALTER TABLE staff_links FORCE ROW LEVEL SECURITY;
ALTER TABLE staff_records FORCE ROW LEVEL SECURITY;
ALTER TABLE supervisor_learning FORCE ROW LEVEL SECURITY;
ALTER TABLE support_services FORCE ROW LEVEL SECURITY;
ALTER TABLE sync_batch_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE sync_batches FORCE ROW LEVEL SECURITY;
ALTER TABLE sync_records FORCE ROW LEVEL SECURITY;
ALTER TABLE team_members FORCE ROW LEVEL SECURITY;
ALTER TABLE team_supervisors FORCE ROW LEVEL SECURITY;
ALTER TABLE teams FORCE ROW LEVEL SECURITY;

-- The partitions made so far (defaults and months; their names depend on
-- the dates the lifecycle ran, hence the loop). Each has RLS on and no
-- policy, so under FORCE a direct read by the owner sees nothing; queries
-- go through the parent, whose policies apply.
DO $$
DECLARE
    p regclass;
BEGIN
    FOR p IN SELECT i.inhrelid::regclass FROM pg_inherits i
        WHERE i.inhparent IN ('sync_records'::regclass, 'sync_batches'::regclass, 'audit_log'::regclass)
    LOOP
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p);
    END LOOP;
END
$$;

-- create_month_partition as in 2026-12-04-000100_partitions_retention, with
-- three changes:
--   the move of the month's rows out of the default partition runs with the
--     default's FORCE lifted (its rows are every force's and it has no
--     policy); the lift is undone at once, and the default is locked
--     meanwhile (as ATTACH would lock it anyway);
--   ATTACH checks the moved rows' foreign keys (persons, devices) with a
--     query of the calling role, through the referenced tables' policies
--     (PostgreSQL's initial foreign-key check does not lift FORCE as its
--     per-row checks do): for the attach only, app.sync_forces names every
--     force, so the sync_group policies of persons and devices admit them;
--   the new month is forced.
CREATE OR REPLACE FUNCTION create_month_partition(parent regclass, month date) RETURNS boolean
    LANGUAGE plpgsql SET search_path = public
    AS $$
DECLARE
    parent_name text := (SELECT relname FROM pg_class WHERE oid = parent);
    first date := date_trunc('month', month)::date;
    name text := parent_name || '_p' || to_char(first, 'YYYY_MM');
    lo text := to_char(first, 'YYYY-MM-DD') || ' 00:00:00+00';
    hi text := to_char(first + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00';
    col text;
    sync_forces text := current_setting('app.sync_forces', true);
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    SELECT a.attname INTO col
    FROM pg_partitioned_table p
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = parent;
    EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', parent_name || '_default');
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
        name, parent_name);
    EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', parent_name || '_default');
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING *) '
        'INSERT INTO %I SELECT * FROM moved',
        parent_name || '_default', col, lo, col, hi, name);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', parent_name || '_default');
    PERFORM set_config('app.sync_forces',
        (SELECT coalesce(array_agg(id), '{}')::text FROM forces), true);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
        parent_name, name, lo, hi);
    PERFORM set_config('app.sync_forces', coalesce(sync_forces, ''), true);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', name);
    RETURN true;
END
$$;
