-- Data lifecycle (issue 17): the three tables that grow with every sync and
-- every read become monthly partitioned tables (PostgreSQL's declarative
-- partitioning), so retention drops a month instead of deleting its rows:
--   sync_records  by local_date   (the record's own day)
--   sync_batches  by received_at  (when the batch was applied)
--   audit_log     by at           (when the action happened)
-- Every column keeps its name, type, default and meaning; loaders that COPY
-- into the parent with a column list are routed to the right month.
--
-- Partitions are named <parent>_pYYYY_MM (months in UTC) and made by
-- create_month_partition() below, which only the owner may run: the server
-- makes the coming months at start-up and from its daily lifecycle job
-- (server::lifecycle), through the owner connection. Each parent also has a
-- DEFAULT partition that catches a row outside every month made (a record
-- dated years back, a load of old data): no insert fails for want of a
-- month, and when a month is made later the default's rows of that month
-- move into it. This migration moves the existing rows into the defaults;
-- the first lifecycle pass (run right after migrating, server::db) makes
-- the months and moves them on.
--
-- Row-level security stays on the parents: a query through the parent is
-- checked against the parent's policies only. The serving role gets no
-- privilege on any partition (PostgreSQL checks only the parent's when a
-- query goes through it) and every partition has RLS enabled with no policy,
-- a second wall that denies all to a non-owner who reaches it directly
-- (tests/tests/rls_catalogue.rs).
--
-- Idempotency across months: a batch's key (force, device, idempotency key)
-- was the primary key of sync_batches, but a unique index on a partitioned
-- table must include the partition key, so it could only say "unique within
-- a month". The key now lives in sync_batch_keys, unpartitioned, with its
-- primary key, filled by a trigger on every insert into sync_batches (so a
-- COPY fills it too) and kept as long as the device: a second insert of the
-- same key fails with a unique violation however old the first, exactly as
-- before. The acknowledgement itself stays in sync_batches' month and goes
-- with it at retention; a replay finds the key (and, through received_at,
-- the one month to read) in sync_batch_keys (server::sync::store).

-- Per-force retention overrides (server::lifecycle::service::Retention holds
-- the defaults and the allowed ranges); NULL means the default.
ALTER TABLE force_settings
    ADD COLUMN records_retention_days integer CHECK (records_retention_days > 0),
    ADD COLUMN audit_retention_days integer CHECK (audit_retention_days > 0);

-- create_month_partition(parent, month): makes parent's partition for the
-- month holding `month` unless it exists; true when it made one. Rows of
-- that month waiting in the default partition move into it first (the
-- default is locked meanwhile, so none can arrive between the move and the
-- attach). Bounds are UTC midnights: for a date column the same days.
CREATE FUNCTION create_month_partition(parent regclass, month date) RETURNS boolean
    LANGUAGE plpgsql SET search_path = public
    AS $$
DECLARE
    parent_name text := (SELECT relname FROM pg_class WHERE oid = parent);
    first date := date_trunc('month', month)::date;
    name text := parent_name || '_p' || to_char(first, 'YYYY_MM');
    lo text := to_char(first, 'YYYY-MM-DD') || ' 00:00:00+00';
    hi text := to_char(first + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00';
    col text;
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    SELECT a.attname INTO col
    FROM pg_partitioned_table p
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = parent;
    EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', parent_name || '_default');
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
        name, parent_name);
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING *) '
        'INSERT INTO %I SELECT * FROM moved',
        parent_name || '_default', col, lo, col, hi, name);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
        parent_name, name, lo, hi);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
    RETURN true;
END
$$;

-- ensure_month_partitions(parent, first, last): every month from first's to
-- last's; returns how many it made.
CREATE FUNCTION ensure_month_partitions(parent regclass, first date, last date) RETURNS integer
    LANGUAGE plpgsql SET search_path = public
    AS $$
DECLARE
    m date := date_trunc('month', first)::date;
    made integer := 0;
BEGIN
    WHILE m <= last LOOP
        IF create_month_partition(parent, m) THEN
            made := made + 1;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN made;
END
$$;

-- month_partitions(parent): parent's monthly partitions and their months
-- (the default partition, and any made by hand under another name, are not
-- listed, so retention never drops them).
CREATE FUNCTION month_partitions(parent regclass) RETURNS TABLE (partition text, month date)
    LANGUAGE sql STABLE SET search_path = public
    AS $$
    SELECT c.relname::text, to_date(right(c.relname, 7), 'YYYY_MM')
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = parent
      AND c.relname = (SELECT relname FROM pg_class WHERE oid = parent) || '_p' || right(c.relname, 7)
      AND right(c.relname, 7) ~ '^[0-9]{4}_[0-9]{2}$'
    ORDER BY 2
    $$;

-- drop_month_partitions(parent, keep_from): drops every monthly partition
-- whose whole month lies before keep_from (its upper bound, a UTC midnight,
-- at or before it); returns their names.
CREATE FUNCTION drop_month_partitions(parent regclass, keep_from timestamptz) RETURNS SETOF text
    LANGUAGE plpgsql SET search_path = public
    AS $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT * FROM month_partitions(parent) LOOP
        IF ((p.month + interval '1 month')::timestamp AT TIME ZONE 'UTC') <= keep_from THEN
            EXECUTE format('DROP TABLE %I', p.partition);
            RETURN NEXT p.partition;
        END IF;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION create_month_partition(regclass, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION ensure_month_partitions(regclass, date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION month_partitions(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION drop_month_partitions(regclass, timestamptz) FROM PUBLIC;

-- The old tables step aside (their index names too, which the new tables
-- take); their rows move below and they are dropped.
ALTER TABLE sync_records RENAME TO sync_records_unpartitioned;
ALTER INDEX sync_records_pkey RENAME TO sync_records_unpartitioned_pkey;
ALTER TABLE sync_batches RENAME TO sync_batches_unpartitioned;
ALTER INDEX sync_batches_pkey RENAME TO sync_batches_unpartitioned_pkey;
ALTER TABLE audit_log RENAME TO audit_log_unpartitioned;
ALTER INDEX audit_log_pkey RENAME TO audit_log_unpartitioned_pkey;
ALTER INDEX audit_log_force_at RENAME TO audit_log_unpartitioned_force_at;
-- The audit ids go on from the same sequence.
ALTER SEQUENCE audit_log_id_seq OWNED BY NONE;
ALTER TABLE audit_log_unpartitioned ALTER COLUMN id DROP DEFAULT;

-- Synced records by natural key (person, local date, kind, discriminator):
-- the discriminator keeps a before-shift and a before-drive check-in, or two
-- learning modules, of the same day apart; it is '' for daily summaries.
-- Partitioned by the record's local date.
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
) PARTITION BY RANGE (local_date);
CREATE TABLE sync_records_default PARTITION OF sync_records DEFAULT;

-- Each processed batch once, with the acknowledgement a replay gets,
-- partitioned by when it was applied. Its key is unique through
-- sync_batch_keys (above).
CREATE TABLE sync_batches (
    force_id uuid NOT NULL,
    device_id uuid NOT NULL,
    idempotency_key text NOT NULL,
    sequence bigint NOT NULL,
    ack jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, device_id, idempotency_key, received_at),
    FOREIGN KEY (force_id, device_id) REFERENCES devices (force_id, id) ON DELETE CASCADE
) PARTITION BY RANGE (received_at);
CREATE TABLE sync_batches_default PARTITION OF sync_batches DEFAULT;

-- sync_batch_keys: every batch key ever applied, and the instant that names
-- its month in sync_batches. Unpartitioned, so its primary key is unique
-- across all months; deleted with the device (withdrawal), never by age.
CREATE TABLE sync_batch_keys (
    force_id uuid NOT NULL,
    device_id uuid NOT NULL,
    idempotency_key text NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (force_id, device_id, idempotency_key),
    FOREIGN KEY (force_id, device_id) REFERENCES devices (force_id, id) ON DELETE CASCADE
);

-- A BEFORE trigger (not AFTER): it runs at once, so a large COPY queues no
-- after-trigger events, and a duplicate key fails before the row is placed.
-- It runs as the inserting role, so sync_batch_keys' own policies apply.
CREATE FUNCTION sync_batch_key() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public
    AS $$
BEGIN
    INSERT INTO sync_batch_keys (force_id, device_id, idempotency_key, received_at)
    VALUES (NEW.force_id, NEW.device_id, NEW.idempotency_key, NEW.received_at);
    RETURN NEW;
END
$$;
CREATE TRIGGER sync_batch_key BEFORE INSERT ON sync_batches
    FOR EACH ROW EXECUTE FUNCTION sync_batch_key();

-- Who read which team's or cohort's data, and other sensitive actions,
-- partitioned by when. The primary key must include the partition key.
CREATE TABLE audit_log (
    id bigint NOT NULL DEFAULT nextval('audit_log_id_seq'),
    force_id uuid REFERENCES forces (id) ON DELETE CASCADE,
    actor_role text NOT NULL,
    actor_id uuid NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
CREATE INDEX audit_log_force_at ON audit_log (force_id, at);
CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;

INSERT INTO sync_records (force_id, person_id, local_date, kind, discriminator, payload,
        device_id, source_sequence, updated_at)
    SELECT force_id, person_id, local_date, kind, discriminator, payload,
        device_id, source_sequence, updated_at
    FROM sync_records_unpartitioned;
INSERT INTO sync_batches (force_id, device_id, idempotency_key, sequence, ack, received_at)
    SELECT force_id, device_id, idempotency_key, sequence, ack, received_at
    FROM sync_batches_unpartitioned;
INSERT INTO audit_log (id, force_id, actor_role, actor_id, action, target, at)
    SELECT id, force_id, actor_role, actor_id, action, target, at
    FROM audit_log_unpartitioned;
DROP TABLE sync_records_unpartitioned, sync_batches_unpartitioned, audit_log_unpartitioned;

-- Row-level security, as migration 2026-12-02-000100_rls_in_one_place
-- defined it for these tables, now on the partitioned parents; the new
-- sync_batch_keys is read and written by sync's group commit like
-- sync_batches, so it has the same two policies.

-- sync_records
ALTER TABLE sync_records ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON sync_records USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
CREATE POLICY sync_group ON sync_records USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- sync_batches
ALTER TABLE sync_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON sync_batches USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
CREATE POLICY sync_group ON sync_batches USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- sync_batch_keys
ALTER TABLE sync_batch_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON sync_batch_keys USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
CREATE POLICY sync_group ON sync_batch_keys USING (force_id = ANY (current_sync_forces()))
    WITH CHECK (force_id = ANY (current_sync_forces()));

-- audit_log
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
-- National entries (NPWS reads, key rotation) have no force: they may be
-- written outside any force, and are read by no runtime query.
CREATE POLICY tenant ON audit_log USING (force_id = current_force())
    WITH CHECK (force_id = current_force() OR (force_id IS NULL AND current_force() IS NULL));

-- The default partitions: RLS on, no policy, no grant (as every month made
-- later).
ALTER TABLE sync_records_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_batches_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log_default ENABLE ROW LEVEL SECURITY;

-- The serving role's privileges as before, on the parents only; the audit
-- log stays append-only for it (2026-12-02-000200_append_only_audit): it may
-- add and read, never change or remove. Retention runs as the owner.
GRANT SELECT, INSERT, UPDATE, DELETE ON sync_records, sync_batches, sync_batch_keys TO fatigue_app;
GRANT SELECT, INSERT ON audit_log TO fatigue_app;
