-- Peer support: the force's directory of trained peer supporters and support
-- services, and officers' confidential call-back requests.
--
-- Two new staff roles: `peer_supporter` (answers the requests assigned to
-- them) and `peer_support_coordinator` (sees requests for "the next
-- available supporter" and those left unacknowledged too long).

ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check CHECK (role IN ('force_admin', 'supervisor',
    'frm_lead', 'peer_supporter', 'peer_support_coordinator'));

-- A trained peer supporter, listed under the name they choose to be known by.
-- Keyed by their staff account, so requests to them reach that sign-in.
CREATE TABLE peer_supporters (
    force_id uuid NOT NULL,
    account_id uuid NOT NULL,
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    contact_hours text NOT NULL CHECK (length(contact_hours) BETWEEN 1 AND 200),
    channels text[] NOT NULL CHECK (channels <@ ARRAY['phone', 'text', 'email', 'app']
        AND cardinality(channels) >= 1),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, account_id),
    FOREIGN KEY (force_id, account_id) REFERENCES accounts (force_id, id) ON DELETE CASCADE
);

-- Occupational health, TRiM, the assistance programme, charities, crisis lines.
CREATE TABLE support_services (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('occupational_health', 'trim', 'assistance_programme',
        'police_charity', 'crisis_line', 'other')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    contact text NOT NULL CHECK (length(contact) BETWEEN 1 AND 300),
    hours text NOT NULL CHECK (length(hours) BETWEEN 1 AND 200),
    when_to_use text NOT NULL CHECK (length(when_to_use) BETWEEN 1 AND 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, id)
);

-- A confidential call-back request. It holds only what the officer chose to
-- give: how to reach them and when. `contact_detail` is the one free-text
-- field the officer sends on purpose (docs/privacy.md); it is cleared on
-- cancellation and the whole row is deleted after the retention period.
-- `supporter_id` NULL means "the next available supporter" (the
-- coordinator's queue). `assigned_at` restarts the escalation clock on a
-- hand-over; `acknowledged_at` keeps the first response for the reports.
CREATE TABLE peer_callbacks (
    force_id uuid NOT NULL,
    id uuid NOT NULL,
    person_id uuid NOT NULL,
    supporter_id uuid,
    contact_method text NOT NULL CHECK (contact_method IN ('phone', 'text', 'email', 'app')),
    contact_detail text CHECK (length(contact_detail) <= 200),
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL CHECK (window_end > window_start),
    status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'acknowledged', 'contacted', 'cancelled')),
    created_at timestamptz NOT NULL,
    assigned_at timestamptz NOT NULL,
    acknowledged_at timestamptz,
    contacted_at timestamptz,
    handovers integer NOT NULL DEFAULT 0,
    PRIMARY KEY (force_id, id),
    FOREIGN KEY (force_id, person_id) REFERENCES persons (force_id, id) ON DELETE CASCADE,
    FOREIGN KEY (force_id, supporter_id) REFERENCES accounts (force_id, id) ON DELETE SET NULL (supporter_id)
);
CREATE INDEX peer_callbacks_supporter ON peer_callbacks (force_id, supporter_id, status);
CREATE INDEX peer_callbacks_created ON peer_callbacks (force_id, created_at);

-- What the reports keep of a request after the retention job deletes it:
-- the day it was made, how long until a supporter acknowledged it, and its
-- outcome. No person, supporter, contact or time of day.
CREATE TABLE peer_callback_outcomes (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    requested_on date NOT NULL,
    response_seconds double precision,
    outcome text NOT NULL CHECK (outcome IN ('open', 'acknowledged', 'contacted', 'cancelled')),
    PRIMARY KEY (force_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['peer_supporters', 'support_services', 'peer_callbacks',
        'peer_callback_outcomes']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (force_id = current_force()) '
            'WITH CHECK (force_id = current_force())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO fatigue_app', t);
    END LOOP;
END
$$;
