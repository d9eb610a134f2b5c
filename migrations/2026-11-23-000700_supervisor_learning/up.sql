-- The supervisor learning track (issue 8): the dashboard serves the
-- supervisor course and records each supervisor account's progress per
-- module. Force-owned: force_id leads the key and RLS binds it.
CREATE TABLE supervisor_learning (
    force_id uuid NOT NULL,
    account_id uuid NOT NULL,
    module_id text NOT NULL CHECK (length(module_id) BETWEEN 1 AND 64),
    course_version text NOT NULL CHECK (length(course_version) BETWEEN 1 AND 32),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    best_correct integer NOT NULL DEFAULT 0 CHECK (best_correct >= 0),
    questions integer NOT NULL CHECK (questions > 0 AND best_correct <= questions),
    completed_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, account_id, module_id),
    FOREIGN KEY (force_id, account_id) REFERENCES accounts (force_id, id) ON DELETE CASCADE
);

ALTER TABLE supervisor_learning ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON supervisor_learning USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE, DELETE ON supervisor_learning TO fatigue_app;
