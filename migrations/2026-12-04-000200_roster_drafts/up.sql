-- Draft rosters (issue 20): a supervisor's or FRM lead's roster for a team
-- and period, checked before anyone is told. Drafts live only here: the
-- officer's own risk and sync read `shifts`, never these tables, and no
-- roster change or rest day worked is recorded until a draft is published
-- (through the same code path as an upload, server::rosters::service::publish).

-- roster_drafts: one row per draft; published_* filled when it is published
-- (red_flags and reason kept for the FRM report's "published over red
-- flags, with reasons"; the reason is in the audit log too).
CREATE TABLE roster_drafts (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    period_from date NOT NULL,
    period_to date NOT NULL CHECK (period_to >= period_from),
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    published_by uuid,
    published_red_flags integer,
    publish_reason text CHECK (publish_reason IS NULL OR length(publish_reason) BETWEEN 1 AND 2000),
    PRIMARY KEY (force_id, id),
    FOREIGN KEY (force_id, team_id) REFERENCES teams (force_id, id) ON DELETE CASCADE
);
CREATE INDEX roster_drafts_team ON roster_drafts (force_id, team_id);
CREATE INDEX roster_drafts_published ON roster_drafts (force_id, published_at);
ALTER TABLE roster_drafts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON roster_drafts USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE, DELETE ON roster_drafts TO fatigue_app;

-- roster_draft_versions: the draft's history, one full copy of its entries
-- (mobile_core::roster::RosterEntry as JSON) per change; the highest version
-- is the draft, undo deletes it.
CREATE TABLE roster_draft_versions (
    force_id uuid NOT NULL,
    draft_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 0),
    entries jsonb NOT NULL,
    change text NOT NULL,
    made_by uuid NOT NULL,
    made_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, draft_id, version),
    FOREIGN KEY (force_id, draft_id) REFERENCES roster_drafts (force_id, id) ON DELETE CASCADE
);
ALTER TABLE roster_draft_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON roster_draft_versions USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE, DELETE ON roster_draft_versions TO fatigue_app;

-- A published draft is an upload of format 'draft'.
ALTER TABLE roster_uploads DROP CONSTRAINT roster_uploads_format_check;
ALTER TABLE roster_uploads ADD CONSTRAINT roster_uploads_format_check
    CHECK (format IN ('csv', 'ical', 'draft'));
