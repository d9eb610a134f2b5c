DROP FUNCTION sync_apply(uuid, uuid, uuid, text, bigint, jsonb, date[], text[], text[], jsonb[]);
