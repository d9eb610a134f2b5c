-- Group commit across forces (server::db::sync::process): one transaction
-- applies the waiting sync batches of several forces, so the row-level
-- security of the four tables sync touches admits the forces of that group,
-- named in the transaction-local setting app.sync_forces, besides the usual
-- app.force_id. A second permissive policy: PostgreSQL ORs permissive
-- policies, so every other request (which sets only app.force_id) sees
-- exactly what it saw before, and with neither setting nothing is visible.
-- The sync statements still filter every row by its own (force, device).
CREATE FUNCTION current_sync_forces() RETURNS uuid[]
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(nullif(current_setting('app.sync_forces', true), '')::uuid[], '{}') $$;
GRANT EXECUTE ON FUNCTION current_sync_forces() TO fatigue_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['persons', 'devices', 'sync_batches', 'sync_records']
    LOOP
        EXECUTE format('CREATE POLICY sync_group ON %I USING (force_id = ANY (current_sync_forces())) '
            'WITH CHECK (force_id = ANY (current_sync_forces()))', t);
    END LOOP;
END
$$;
