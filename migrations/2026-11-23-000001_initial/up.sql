-- The whole schema. Every force-owned table leads with force_id (tenancy,
-- and the Citus distribution key if the platform outgrows one PostgreSQL),
-- and row-level security binds the runtime role `fatigue_app` to the force
-- named in the transaction setting `app.force_id` (db::with_force).
-- Migrations run as the owner; the server connects as `fatigue_app`.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fatigue_app') THEN
        CREATE ROLE fatigue_app NOLOGIN;
    END IF;
END
$$;

-- The tenant of the current transaction; NULL (so no rows) when unset.
CREATE FUNCTION current_force() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.force_id', true), '')::uuid $$;

-- Tenants. Not force-owned: the list of forces itself.
CREATE TABLE forces (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    time_zone text NOT NULL DEFAULT 'Europe/London',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- National accounts: platform admins and NPWS analysts (no force).
CREATE TABLE platform_accounts (
    id uuid PRIMARY KEY,
    username text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('platform_admin', 'npws_analyst')),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Force staff who sign in with a password.
CREATE TABLE accounts (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    username text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('force_admin', 'supervisor', 'frm_lead')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, id),
    UNIQUE (force_id, username)
);

CREATE TABLE teams (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, id),
    UNIQUE (force_id, name)
);

CREATE TABLE team_supervisors (
    force_id uuid NOT NULL,
    team_id uuid NOT NULL,
    account_id uuid NOT NULL,
    PRIMARY KEY (force_id, team_id, account_id),
    FOREIGN KEY (force_id, team_id) REFERENCES teams (force_id, id) ON DELETE CASCADE,
    FOREIGN KEY (force_id, account_id) REFERENCES accounts (force_id, id) ON DELETE CASCADE
);

-- Team membership by staff number (the roster's key).
CREATE TABLE team_members (
    force_id uuid NOT NULL,
    team_id uuid NOT NULL,
    staff_number text NOT NULL,
    PRIMARY KEY (force_id, team_id, staff_number),
    FOREIGN KEY (force_id, team_id) REFERENCES teams (force_id, id) ON DELETE CASCADE
);

-- Enrolled people, by pseudonym only.
CREATE TABLE persons (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    consent text NOT NULL DEFAULT 'roster_only'
        CHECK (consent IN ('roster_only', 'sleep', 'sleep_and_check_ins')),
    consent_updated_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, id)
);

-- The one restricted link between pseudonym and staff number, used to match
-- rosters and team membership. Deleted with the person on withdrawal.
CREATE TABLE staff_links (
    force_id uuid NOT NULL,
    staff_number text NOT NULL,
    person_id uuid NOT NULL,
    PRIMARY KEY (force_id, staff_number),
    UNIQUE (force_id, person_id),
    FOREIGN KEY (force_id, person_id) REFERENCES persons (force_id, id) ON DELETE CASCADE
);

CREATE TABLE enrolment_codes (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    code_hash text NOT NULL,
    staff_number text NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, code_hash)
);

CREATE TABLE devices (
    force_id uuid NOT NULL,
    id uuid NOT NULL,
    person_id uuid NOT NULL,
    sync_cursor bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, id),
    FOREIGN KEY (force_id, person_id) REFERENCES persons (force_id, id) ON DELETE CASCADE
);

-- Device refresh tokens, stored as SHA-256 hashes; rotated on every use.
CREATE TABLE refresh_tokens (
    force_id uuid NOT NULL,
    token_hash text NOT NULL,
    device_id uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (force_id, token_hash),
    FOREIGN KEY (force_id, device_id) REFERENCES devices (force_id, id) ON DELETE CASCADE
);

-- Each processed batch once, with the acknowledgement a replay gets.
CREATE TABLE sync_batches (
    force_id uuid NOT NULL,
    device_id uuid NOT NULL,
    idempotency_key text NOT NULL,
    sequence bigint NOT NULL,
    ack jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, device_id, idempotency_key),
    FOREIGN KEY (force_id, device_id) REFERENCES devices (force_id, id) ON DELETE CASCADE
);

-- Synced records by natural key (person, local date, kind, discriminator):
-- the discriminator keeps a before-shift and a before-drive check-in, or two
-- learning modules, of the same day apart; it is '' for daily summaries.
CREATE TABLE sync_records (
    force_id uuid NOT NULL,
    person_id uuid NOT NULL,
    local_date date NOT NULL,
    kind text NOT NULL CHECK (kind IN ('daily_summary', 'check_in', 'learning_progress')),
    discriminator text NOT NULL DEFAULT '',
    payload jsonb NOT NULL,
    device_id uuid NOT NULL,
    source_sequence bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, person_id, local_date, kind, discriminator),
    FOREIGN KEY (force_id, person_id) REFERENCES persons (force_id, id) ON DELETE CASCADE
);

CREATE TABLE roster_uploads (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    uploaded_by uuid NOT NULL,
    format text NOT NULL CHECK (format IN ('csv', 'ical')),
    shifts_stored integer NOT NULL,
    lines_rejected integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, id)
);

-- Shifts per officer, by staff number; a re-upload replaces the shift with
-- the same start.
CREATE TABLE shifts (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    staff_number text NOT NULL,
    start_at timestamptz NOT NULL,
    end_at timestamptz NOT NULL CHECK (end_at > start_at),
    activity text,
    upload_id uuid NOT NULL,
    PRIMARY KEY (force_id, staff_number, start_at)
);

-- Who read which team's or cohort's data, and other sensitive actions.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    force_id uuid REFERENCES forces (id) ON DELETE CASCADE,
    actor_role text NOT NULL,
    actor_id uuid NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_force_at ON audit_log (force_id, at);

-- Token signing keys (Ed25519). Platform-wide, not force-owned.
CREATE TABLE signing_keys (
    kid text PRIMARY KEY,
    private_pkcs8 bytea NOT NULL,
    public_raw bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Fixed-window counters for sign-in and enrolment rate limits, shared by
-- every server instance.
CREATE TABLE rate_limits (
    bucket text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- Row-level security: the second wall behind every query's own force filter.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['accounts', 'teams', 'team_supervisors', 'team_members',
        'persons', 'staff_links', 'enrolment_codes', 'devices', 'refresh_tokens',
        'sync_batches', 'sync_records', 'roster_uploads', 'shifts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (force_id = current_force()) '
            'WITH CHECK (force_id = current_force())', t);
    END LOOP;
END
$$;

-- National entries (NPWS reads, key rotation) have no force: they may be
-- written outside any force, and are read by no runtime query.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON audit_log USING (force_id = current_force())
    WITH CHECK (force_id = current_force() OR (force_id IS NULL AND current_force() IS NULL));

-- National aggregates for NPWS: the only path across forces, and it returns
-- counts of at least 5 people only (smaller cells are NULL).
CREATE FUNCTION npws_force_overview()
    RETURNS TABLE (force_slug text, enrolled bigint, sharing_sleep bigint, sharing_check_ins bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
    SELECT f.slug,
        CASE WHEN count(p.id) >= 5 THEN count(p.id) END,
        CASE WHEN count(p.id) FILTER (WHERE p.consent <> 'roster_only') >= 5
            THEN count(p.id) FILTER (WHERE p.consent <> 'roster_only') END,
        CASE WHEN count(p.id) FILTER (WHERE p.consent = 'sleep_and_check_ins') >= 5
            THEN count(p.id) FILTER (WHERE p.consent = 'sleep_and_check_ins') END
    FROM forces f LEFT JOIN persons p ON p.force_id = f.id
    GROUP BY f.slug ORDER BY f.slug
    $$;
REVOKE ALL ON FUNCTION npws_force_overview() FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO fatigue_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO fatigue_app;
GRANT EXECUTE ON FUNCTION current_force() TO fatigue_app;
GRANT EXECUTE ON FUNCTION npws_force_overview() TO fatigue_app;
