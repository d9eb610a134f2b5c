-- Restores the policies as migrations 000001 to 000900 left them. Those
-- definitions are the same as up.sql's (up.sql only gathered them in one
-- place), so this recreates each one as it was before up.sql ran.

-- accounts
DROP POLICY tenant ON accounts;
CREATE POLICY tenant ON accounts USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- teams
DROP POLICY tenant ON teams;
CREATE POLICY tenant ON teams USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- team_supervisors
DROP POLICY tenant ON team_supervisors;
CREATE POLICY tenant ON team_supervisors USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- team_members
DROP POLICY tenant ON team_members;
CREATE POLICY tenant ON team_members USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- persons
DROP POLICY tenant ON persons;
CREATE POLICY tenant ON persons USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
DROP POLICY sync_group ON persons;
CREATE POLICY sync_group ON persons USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- staff_links
DROP POLICY tenant ON staff_links;
CREATE POLICY tenant ON staff_links USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- enrolment_codes
DROP POLICY tenant ON enrolment_codes;
CREATE POLICY tenant ON enrolment_codes USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- devices
DROP POLICY tenant ON devices;
CREATE POLICY tenant ON devices USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
DROP POLICY sync_group ON devices;
CREATE POLICY sync_group ON devices USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- refresh_tokens
DROP POLICY tenant ON refresh_tokens;
CREATE POLICY tenant ON refresh_tokens USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- sync_batches
DROP POLICY tenant ON sync_batches;
CREATE POLICY tenant ON sync_batches USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
DROP POLICY sync_group ON sync_batches;
CREATE POLICY sync_group ON sync_batches USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- sync_records
DROP POLICY tenant ON sync_records;
CREATE POLICY tenant ON sync_records USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
DROP POLICY sync_group ON sync_records;
CREATE POLICY sync_group ON sync_records USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- roster_uploads
DROP POLICY tenant ON roster_uploads;
CREATE POLICY tenant ON roster_uploads USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- shifts
DROP POLICY tenant ON shifts;
CREATE POLICY tenant ON shifts USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- audit_log
DROP POLICY tenant ON audit_log;
CREATE POLICY tenant ON audit_log USING (force_id = current_force())
    WITH CHECK (force_id = current_force() OR (force_id IS NULL AND current_force() IS NULL));

-- peer_supporters
DROP POLICY tenant ON peer_supporters;
CREATE POLICY tenant ON peer_supporters USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- support_services
DROP POLICY tenant ON support_services;
CREATE POLICY tenant ON support_services USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- peer_callbacks
DROP POLICY tenant ON peer_callbacks;
CREATE POLICY tenant ON peer_callbacks USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- peer_callback_outcomes
DROP POLICY tenant ON peer_callback_outcomes;
CREATE POLICY tenant ON peer_callback_outcomes USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- report_schedules
DROP POLICY tenant ON report_schedules;
CREATE POLICY tenant ON report_schedules USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- report_runs
DROP POLICY tenant ON report_runs;
CREATE POLICY tenant ON report_runs USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- supervisor_learning
DROP POLICY tenant ON supervisor_learning;
CREATE POLICY tenant ON supervisor_learning USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- rest_days
DROP POLICY tenant ON rest_days;
CREATE POLICY tenant ON rest_days USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

-- roster_changes
DROP POLICY tenant ON roster_changes;
CREATE POLICY tenant ON roster_changes USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
