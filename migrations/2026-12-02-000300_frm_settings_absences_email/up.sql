-- Report indicators that read the regulations (frm-indicators #6, #8): the
-- days a person was absent, per-force FRM settings, and report delivery by
-- email.

-- absence_days: each day a roster file marks as annual leave, sickness or
-- parental leave, kept as the category only (no label, no reason, no
-- detail): the 17-week average (WTR reg. 4(6)) makes the days up from the
-- days worked after the reference period. Staff numbers only, as shifts;
-- kept as rostered shifts are (docs/privacy.md).
CREATE TABLE absence_days (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    staff_number text NOT NULL,
    local_date date NOT NULL,
    category text NOT NULL CHECK (category IN ('leave', 'sickness', 'parental')),
    upload_id uuid NOT NULL,
    PRIMARY KEY (force_id, staff_number, local_date)
);
ALTER TABLE absence_days ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON absence_days USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE, DELETE ON absence_days TO fatigue_app;

-- force_settings: a force's own FRM levels and reg. 11 week start
-- (mobile_core::roster::limits::RosterLimits as JSON; fields left out read
-- as the published defaults). One row per force; none means the defaults.
CREATE TABLE force_settings (
    force_id uuid PRIMARY KEY REFERENCES forces (id) ON DELETE CASCADE,
    limits jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid NOT NULL
);
ALTER TABLE force_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON force_settings USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE ON force_settings TO fatigue_app;

-- An account's email address, for report notices (validated by the server;
-- the check is a second wall).
ALTER TABLE accounts ADD COLUMN email text
    CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND email ~ '^[^@\s]+@[^@\s]+$'));

-- report_notices: each email telling an FRM lead that a scheduled report is
-- ready (no figures in it), and whether it was handed to the mail server.
CREATE TABLE report_notices (
    force_id uuid NOT NULL,
    run_id uuid NOT NULL,
    account_id uuid NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    outcome text NOT NULL CHECK (outcome IN ('sent', 'failed')),
    detail text,
    PRIMARY KEY (force_id, run_id, account_id),
    FOREIGN KEY (force_id, run_id) REFERENCES report_runs (force_id, id) ON DELETE CASCADE
);
ALTER TABLE report_notices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON report_notices USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE ON report_notices TO fatigue_app;
