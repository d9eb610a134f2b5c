-- Every row-level security policy on a force-owned table, by table name, in
-- plain SQL: grep a table's name here to see who may read and write its rows.
-- Earlier migrations made these policies (three of them in PL/pgSQL loops);
-- this one drops and recreates each with the same definition, so the
-- semantics are unchanged:
--   tenant      rows of the force named in app.force_id (current_force()).
--   sync_group  (sync tables only) rows of the forces named in
--               app.sync_forces, for group commit across forces
--               (server::db::sync::process). PostgreSQL ORs permissive
--               policies, so a request that sets only app.force_id sees
--               exactly its force.
-- A new table with force_id gets a block like these, in plain SQL, in the
-- migration that creates it: tests/tests/rls_catalogue.rs fails while a
-- table with force_id lacks row-level security, a policy, or such a line.

-- accounts
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON accounts;
CREATE POLICY tenant ON accounts USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- teams
ALTER TABLE teams ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON teams;
CREATE POLICY tenant ON teams USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- team_supervisors
ALTER TABLE team_supervisors ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON team_supervisors;
CREATE POLICY tenant ON team_supervisors USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- team_members
ALTER TABLE team_members ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON team_members;
CREATE POLICY tenant ON team_members USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- persons
ALTER TABLE persons ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON persons;
CREATE POLICY tenant ON persons USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
DROP POLICY sync_group ON persons;
CREATE POLICY sync_group ON persons USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- staff_links
ALTER TABLE staff_links ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON staff_links;
CREATE POLICY tenant ON staff_links USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- enrolment_codes
ALTER TABLE enrolment_codes ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON enrolment_codes;
CREATE POLICY tenant ON enrolment_codes USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- devices
ALTER TABLE devices ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON devices;
CREATE POLICY tenant ON devices USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
DROP POLICY sync_group ON devices;
CREATE POLICY sync_group ON devices USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- refresh_tokens
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON refresh_tokens;
CREATE POLICY tenant ON refresh_tokens USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- sync_batches
ALTER TABLE sync_batches ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON sync_batches;
CREATE POLICY tenant ON sync_batches USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
DROP POLICY sync_group ON sync_batches;
CREATE POLICY sync_group ON sync_batches USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- sync_records
ALTER TABLE sync_records ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON sync_records;
CREATE POLICY tenant ON sync_records USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
DROP POLICY sync_group ON sync_records;
CREATE POLICY sync_group ON sync_records USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- roster_uploads
ALTER TABLE roster_uploads ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON roster_uploads;
CREATE POLICY tenant ON roster_uploads USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- shifts
ALTER TABLE shifts ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON shifts;
CREATE POLICY tenant ON shifts USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- audit_log
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
-- National entries (NPWS reads, key rotation) have no force: they may be
-- written outside any force, and are read by no runtime query.
DROP POLICY tenant ON audit_log;
CREATE POLICY tenant ON audit_log USING (force_id = current_force())
    WITH CHECK (force_id = current_force() OR (force_id IS NULL AND current_force() IS NULL));

-- peer_supporters
ALTER TABLE peer_supporters ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON peer_supporters;
CREATE POLICY tenant ON peer_supporters USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- support_services
ALTER TABLE support_services ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON support_services;
CREATE POLICY tenant ON support_services USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- peer_callbacks
ALTER TABLE peer_callbacks ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON peer_callbacks;
CREATE POLICY tenant ON peer_callbacks USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- peer_callback_outcomes
ALTER TABLE peer_callback_outcomes ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON peer_callback_outcomes;
CREATE POLICY tenant ON peer_callback_outcomes USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- report_schedules
ALTER TABLE report_schedules ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON report_schedules;
CREATE POLICY tenant ON report_schedules USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- report_runs
ALTER TABLE report_runs ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON report_runs;
CREATE POLICY tenant ON report_runs USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- supervisor_learning
ALTER TABLE supervisor_learning ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON supervisor_learning;
CREATE POLICY tenant ON supervisor_learning USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- rest_days
ALTER TABLE rest_days ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON rest_days;
CREATE POLICY tenant ON rest_days USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- roster_changes
ALTER TABLE roster_changes ENABLE ROW LEVEL SECURITY;
DROP POLICY tenant ON roster_changes;
CREATE POLICY tenant ON roster_changes USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
