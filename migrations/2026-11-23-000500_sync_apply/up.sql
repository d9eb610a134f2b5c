-- One sync batch in one statement (server/src/db/sync.rs, docs/operations.md
-- "Load bench"): a call in autocommit mode is one round trip and one
-- transaction, where the same steps as separate statements took seven round
-- trips, which is where most of the CPU went under load.
--
-- The server decides every record's outcome that does not depend on the
-- database (validation, the future-date rule, and consent, for each consent
-- level, so this function never interprets consent itself): p_decided maps a
-- consent level to one entry per record, either the outcome as the ack's JSON
-- ({"status":"rejected",...}) or null for "store it". Here, in order:
--   1. set the transaction's force (row-level security binds the statements
--      below: SECURITY INVOKER);
--   2. lock the device row, so batches of one device run one at a time, and
--      read the person's consent;
--   3. look the idempotency key up: a statement of its own, after the lock,
--      so it sees a duplicate of this batch that committed while we waited;
--      a replay returns the stored ack, marked replayed, with today's cursor;
--   4. upsert the records to store, by natural key, in rounds in which no key
--      repeats (the n-th record with a key goes in round n), so a batch that
--      repeats a key ends as if each record had been applied in order; rows
--      are written in key order so that concurrent writers cannot deadlock;
--      an older sequence from the same device never overwrites a newer one;
--   5. build the ack, move the cursor, store the ack under the key.
-- Returns the ack, or NULL when the device is not this person's (withdrawn).
CREATE FUNCTION sync_apply(
    p_force uuid, p_device uuid, p_person uuid, p_key text, p_sequence bigint,
    p_decided jsonb, p_dates date[], p_kinds text[], p_discriminators text[], p_payloads jsonb[])
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public
    AS $$
DECLARE
    v_cursor bigint;
    v_consent text;
    v_ack jsonb;
    v_decided jsonb;
    v_written int[] := '{}';
    v_rounds int;
BEGIN
    PERFORM set_config('app.force_id', p_force::text, true);
    SELECT d.sync_cursor, p.consent INTO v_cursor, v_consent
        FROM devices d JOIN persons p ON p.force_id = d.force_id AND p.id = d.person_id
        WHERE d.force_id = p_force AND d.id = p_device AND d.person_id = p_person
        FOR UPDATE OF d;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT b.ack INTO v_ack FROM sync_batches b
        WHERE b.force_id = p_force AND b.device_id = p_device AND b.idempotency_key = p_key;
    IF FOUND THEN
        RETURN v_ack || jsonb_build_object('replayed', true, 'cursor', v_cursor);
    END IF;
    v_decided := coalesce(p_decided -> v_consent, p_decided -> 'roster_only');
    IF jsonb_typeof(v_decided) IS DISTINCT FROM 'array'
        OR jsonb_array_length(v_decided) <> coalesce(cardinality(p_dates), 0) THEN
        RAISE EXCEPTION 'sync_apply: no decisions for consent %', v_consent;
    END IF;

    SELECT max(n) INTO v_rounds FROM (
        SELECT row_number() OVER (PARTITION BY p_dates[i], p_kinds[i], p_discriminators[i] ORDER BY i) AS n
        FROM generate_subscripts(p_dates, 1) AS i
        WHERE jsonb_typeof(v_decided -> (i - 1)) = 'null') AS counted;
    FOR v_round IN 1 .. coalesce(v_rounds, 0) LOOP
        WITH chosen AS (
            SELECT i FROM (
                SELECT i, row_number() OVER (
                    PARTITION BY p_dates[i], p_kinds[i], p_discriminators[i] ORDER BY i) AS n
                FROM generate_subscripts(p_dates, 1) AS i
                WHERE jsonb_typeof(v_decided -> (i - 1)) = 'null') AS numbered
            WHERE n = v_round),
        written AS (
            INSERT INTO sync_records (force_id, person_id, local_date, kind, discriminator,
                                      payload, device_id, source_sequence)
            SELECT p_force, p_person, p_dates[i], p_kinds[i], p_discriminators[i],
                   p_payloads[i], p_device, p_sequence
            FROM chosen
            ORDER BY p_dates[i], p_kinds[i], p_discriminators[i]
            ON CONFLICT (force_id, person_id, local_date, kind, discriminator) DO UPDATE
            SET payload = EXCLUDED.payload, device_id = EXCLUDED.device_id,
                source_sequence = EXCLUDED.source_sequence, updated_at = now()
            WHERE sync_records.payload IS DISTINCT FROM EXCLUDED.payload
              AND (sync_records.device_id <> EXCLUDED.device_id
                   OR sync_records.source_sequence <= EXCLUDED.source_sequence)
            RETURNING local_date, kind, discriminator)
        SELECT v_written || coalesce(array_agg(c.i), '{}') INTO v_written
        FROM chosen c JOIN written w
            ON w.local_date = p_dates[c.i] AND w.kind = p_kinds[c.i]
           AND w.discriminator = p_discriminators[c.i];
    END LOOP;

    v_ack := jsonb_build_object(
        'idempotency_key', p_key,
        'results', coalesce((
            SELECT jsonb_agg(jsonb_build_object('index', i - 1) ||
                CASE WHEN jsonb_typeof(v_decided -> (i - 1)) = 'null'
                     THEN jsonb_build_object('status',
                          CASE WHEN i = ANY (v_written) THEN 'stored' ELSE 'unchanged' END)
                     ELSE v_decided -> (i - 1) END
                ORDER BY i)
            FROM generate_subscripts(p_dates, 1) AS i), '[]'::jsonb),
        'cursor', greatest(v_cursor, p_sequence),
        'replayed', false);
    UPDATE devices SET sync_cursor = p_sequence
        WHERE force_id = p_force AND id = p_device AND sync_cursor < p_sequence;
    INSERT INTO sync_batches (force_id, device_id, idempotency_key, sequence, ack)
        VALUES (p_force, p_device, p_key, p_sequence, v_ack);
    RETURN v_ack;
END
$$;

GRANT EXECUTE ON FUNCTION sync_apply(uuid, uuid, uuid, text, bigint, jsonb, date[], text[], text[], jsonb[]) TO fatigue_app;
