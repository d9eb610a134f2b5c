-- FRM report schedules and the record of every report run (issue 7).
-- Both are force-owned: force_id leads the keys and RLS binds them.

-- A force's schedule; a force without a row uses the default (weekly,
-- Monday 06:00 Europe/London, covering the 7 days before the run).
CREATE TABLE report_schedules (
    force_id uuid PRIMARY KEY REFERENCES forces (id) ON DELETE CASCADE,
    cron text NOT NULL DEFAULT '0 6 * * MON',
    time_zone text NOT NULL DEFAULT 'Europe/London',
    period_days integer NOT NULL DEFAULT 7 CHECK (period_days BETWEEN 1 AND 92),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per report made: scheduled (slot set; at most one per slot) or
-- on demand. The report's figures are kept as analytics' JSON, so the HTML,
-- CSV and JSON served later are renderings of the same stored figures.
CREATE TABLE report_runs (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    slot timestamptz,
    slots_due integer NOT NULL DEFAULT 1,
    period_from date NOT NULL,
    period_to date NOT NULL,
    trigger text NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
    report jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, id),
    CHECK ((trigger = 'scheduled') = (slot IS NOT NULL))
);
CREATE UNIQUE INDEX report_runs_slot ON report_runs (force_id, slot) WHERE slot IS NOT NULL;
CREATE INDEX report_runs_created ON report_runs (force_id, created_at DESC);

ALTER TABLE report_schedules ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON report_schedules USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
ALTER TABLE report_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON report_runs USING (force_id = current_force())
    WITH CHECK (force_id = current_force());

GRANT SELECT, INSERT, UPDATE, DELETE ON report_schedules, report_runs TO fatigue_app;
