-- Undoes 2026-12-05-000400_force_rls: policies no longer forced, the NPWS
-- functions back with the owner (the role running this), fatigue_npws's
-- grants and policies gone, create_month_partition as before. The role
-- fatigue_npws itself stays: it is cluster-wide and other databases of the
-- cluster may use it.

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
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING *) '
        'INSERT INTO %I SELECT * FROM moved',
        parent_name || '_default', col, lo, col, hi, name);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
        parent_name, name, lo, hi);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
    RETURN true;
END
$$;

DO $$
DECLARE
    p regclass;
BEGIN
    FOR p IN SELECT i.inhrelid::regclass FROM pg_inherits i
        WHERE i.inhparent IN ('sync_records'::regclass, 'sync_batches'::regclass, 'audit_log'::regclass)
    LOOP
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', p);
    END LOOP;
END
$$;

ALTER TABLE absence_days NO FORCE ROW LEVEL SECURITY;
ALTER TABLE account_identities NO FORCE ROW LEVEL SECURITY;
ALTER TABLE accounts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY;
ALTER TABLE devices NO FORCE ROW LEVEL SECURITY;
ALTER TABLE enrolment_codes NO FORCE ROW LEVEL SECURITY;
ALTER TABLE force_settings NO FORCE ROW LEVEL SECURITY;
ALTER TABLE identity_providers NO FORCE ROW LEVEL SECURITY;
ALTER TABLE oidc_logins NO FORCE ROW LEVEL SECURITY;
ALTER TABLE pairing_codes NO FORCE ROW LEVEL SECURITY;
ALTER TABLE peer_callback_outcomes NO FORCE ROW LEVEL SECURITY;
ALTER TABLE peer_callbacks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE peer_supporters NO FORCE ROW LEVEL SECURITY;
ALTER TABLE persons NO FORCE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens NO FORCE ROW LEVEL SECURITY;
ALTER TABLE report_notices NO FORCE ROW LEVEL SECURITY;
ALTER TABLE report_runs NO FORCE ROW LEVEL SECURITY;
ALTER TABLE report_schedules NO FORCE ROW LEVEL SECURITY;
ALTER TABLE rest_days NO FORCE ROW LEVEL SECURITY;
ALTER TABLE rollout_plans NO FORCE ROW LEVEL SECURITY;
ALTER TABLE roster_changes NO FORCE ROW LEVEL SECURITY;
ALTER TABLE roster_draft_versions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE roster_drafts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE roster_uploads NO FORCE ROW LEVEL SECURITY;
ALTER TABLE shifts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sickness_absence NO FORCE ROW LEVEL SECURITY;
ALTER TABLE staff_links NO FORCE ROW LEVEL SECURITY;
ALTER TABLE staff_records NO FORCE ROW LEVEL SECURITY;
ALTER TABLE supervisor_learning NO FORCE ROW LEVEL SECURITY;
ALTER TABLE support_services NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sync_batch_keys NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sync_batches NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sync_records NO FORCE ROW LEVEL SECURITY;
ALTER TABLE team_members NO FORCE ROW LEVEL SECURITY;
ALTER TABLE team_supervisors NO FORCE ROW LEVEL SECURITY;
ALTER TABLE teams NO FORCE ROW LEVEL SECURITY;

DROP POLICY national_retention ON audit_log;
DROP POLICY national_retention_read ON audit_log;
DROP POLICY npws_read ON persons;
DROP POLICY npws_read ON staff_links;
DROP POLICY npws_read ON staff_records;
DROP POLICY npws_read ON team_members;
DROP POLICY npws_read ON teams;
DROP POLICY npws_read ON shifts;
DROP POLICY npws_read ON sync_records;
DROP POLICY npws_read ON peer_callbacks;
DROP POLICY npws_read ON sickness_absence;

REVOKE EXECUTE ON FUNCTION current_force() FROM fatigue_npws;
REVOKE EXECUTE ON FUNCTION current_sync_forces() FROM fatigue_npws;
REVOKE SELECT ON forces, persons, staff_links, staff_records, team_members, teams, shifts,
    sync_records, peer_callbacks, sickness_absence FROM fatigue_npws;

GRANT fatigue_npws TO CURRENT_USER;
ALTER FUNCTION npws_force_overview() OWNER TO CURRENT_USER;
ALTER FUNCTION npws_person_features(date, date) OWNER TO CURRENT_USER;
ALTER FUNCTION npws_person_outcomes(date[], date[]) OWNER TO CURRENT_USER;
ALTER FUNCTION npws_roster_months(date[], date[]) OWNER TO CURRENT_USER;
ALTER FUNCTION npws_sickness(date, date) OWNER TO CURRENT_USER;
ALTER FUNCTION npws_force_overview() SET search_path = public;
ALTER FUNCTION npws_person_features(date, date) SET search_path = public;
ALTER FUNCTION npws_person_outcomes(date[], date[]) SET search_path = public;
ALTER FUNCTION npws_roster_months(date[], date[]) SET search_path = public;
ALTER FUNCTION npws_sickness(date, date) SET search_path = public;
REVOKE fatigue_npws FROM CURRENT_USER;
REVOKE USAGE ON SCHEMA public FROM fatigue_npws;
