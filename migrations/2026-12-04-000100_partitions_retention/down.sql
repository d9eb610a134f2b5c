-- Back to the unpartitioned tables of 2026-12-02-000200_append_only_audit,
-- with every row kept (a batch key that only sync_batch_keys still knew, its
-- acknowledgement dropped by retention, is lost with that table).

ALTER TABLE sync_records RENAME TO sync_records_partitioned;
ALTER INDEX sync_records_pkey RENAME TO sync_records_partitioned_pkey;
ALTER TABLE sync_batches RENAME TO sync_batches_partitioned;
ALTER INDEX sync_batches_pkey RENAME TO sync_batches_partitioned_pkey;
ALTER TABLE audit_log RENAME TO audit_log_partitioned;
ALTER INDEX audit_log_pkey RENAME TO audit_log_partitioned_pkey;
ALTER INDEX audit_log_force_at RENAME TO audit_log_partitioned_force_at;
ALTER SEQUENCE audit_log_id_seq OWNED BY NONE;
ALTER TABLE audit_log_partitioned ALTER COLUMN id DROP DEFAULT;

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

CREATE TABLE audit_log (
    id bigint NOT NULL DEFAULT nextval('audit_log_id_seq') PRIMARY KEY,
    force_id uuid REFERENCES forces (id) ON DELETE CASCADE,
    actor_role text NOT NULL,
    actor_id uuid NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
CREATE INDEX audit_log_force_at ON audit_log (force_id, at);

INSERT INTO sync_records SELECT force_id, person_id, local_date, kind, discriminator, payload,
        device_id, source_sequence, updated_at
    FROM sync_records_partitioned;
INSERT INTO sync_batches SELECT force_id, device_id, idempotency_key, sequence, ack, received_at
    FROM sync_batches_partitioned;
INSERT INTO audit_log SELECT id, force_id, actor_role, actor_id, action, target, at
    FROM audit_log_partitioned;
DROP TABLE sync_records_partitioned, sync_batches_partitioned, audit_log_partitioned,
    sync_batch_keys;
DROP FUNCTION sync_batch_key();
DROP FUNCTION drop_month_partitions(regclass, timestamptz);
DROP FUNCTION month_partitions(regclass);
DROP FUNCTION ensure_month_partitions(regclass, date, date);
DROP FUNCTION create_month_partition(regclass, date);
ALTER TABLE force_settings DROP COLUMN records_retention_days, DROP COLUMN audit_retention_days;

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

-- audit_log
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON audit_log USING (force_id = current_force())
    WITH CHECK (force_id = current_force() OR (force_id IS NULL AND current_force() IS NULL));

GRANT SELECT, INSERT, UPDATE, DELETE ON sync_records, sync_batches TO fatigue_app;
GRANT SELECT, INSERT ON audit_log TO fatigue_app;
