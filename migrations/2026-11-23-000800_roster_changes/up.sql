-- Roster changes for frm-indicators #10 (rest days cancelled) and #11
-- (short-notice changes). A roster file may carry rest days (activity
-- `rest`, `rest_day`, `rest day`, `off`); they are kept per person and local
-- date until a later upload puts a duty on that date. Each such change is
-- recorded with when it was made, so its notice is known. Staff numbers only,
-- as the shifts table: no names.
CREATE TABLE rest_days (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    staff_number text NOT NULL,
    local_date date NOT NULL,
    upload_id uuid NOT NULL,
    PRIMARY KEY (force_id, staff_number, local_date)
);

CREATE TABLE roster_changes (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    staff_number text NOT NULL,
    -- rest_day_worked: a duty put on a published rest day;
    -- start_advanced: a duty's start brought earlier.
    kind text NOT NULL CHECK (kind IN ('rest_day_worked', 'start_advanced')),
    duty_start timestamptz NOT NULL,
    changed_at timestamptz NOT NULL,
    upload_id uuid NOT NULL,
    PRIMARY KEY (force_id, staff_number, kind, duty_start, changed_at)
);
CREATE INDEX roster_changes_by_time ON roster_changes (force_id, duty_start);

ALTER TABLE rest_days ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON rest_days USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
ALTER TABLE roster_changes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON roster_changes USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE, DELETE ON rest_days, roster_changes TO fatigue_app;
