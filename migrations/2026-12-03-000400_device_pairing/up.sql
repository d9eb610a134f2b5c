-- Second-phone pairing (issue 16): an enrolled device asks for a short-lived
-- pairing code, shown on its screen; a new phone redeems it at POST /v1/enrol
-- and gets a device of its own for the same pseudonym.

-- pairing_codes: at most one per person (a new code replaces the older,
-- used or not), stored as the code's SHA-256 like enrolment codes, valid 10
-- minutes (server::enrolment::store::PAIRING_CODE_MINUTES), single use. It
-- names the pseudonym and the device that asked, never a staff number;
-- deleted with the person on withdrawal.
CREATE TABLE pairing_codes (
    force_id uuid NOT NULL,
    code_hash text NOT NULL,
    person_id uuid NOT NULL,
    issued_by uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, code_hash),
    UNIQUE (force_id, person_id),
    FOREIGN KEY (force_id, person_id) REFERENCES persons (force_id, id) ON DELETE CASCADE,
    FOREIGN KEY (force_id, issued_by) REFERENCES devices (force_id, id) ON DELETE CASCADE
);
ALTER TABLE pairing_codes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON pairing_codes USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE, DELETE ON pairing_codes TO fatigue_app;

-- A person's devices in enrolment order: GET /v1/me/devices, and the count
-- of newer devices each sync acknowledgement carries (one probe per batch).
CREATE INDEX devices_by_person ON devices (force_id, person_id, created_at);
