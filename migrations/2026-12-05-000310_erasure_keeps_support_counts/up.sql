-- Erasure keeps the support report's counts (issue 16, differencing). When
-- a person is erased (withdrawal, a leaver, or any future path that deletes
-- the row in `persons`), their call-back requests are reduced to anonymous
-- outcomes first, exactly as the retention job reduces old ones
-- (server::peer_support::store::expire): the day, the time to
-- acknowledgement and the status, with no person, supporter, contact or
-- time of day. Without this, the cascade deleted the requests and a report
-- read before and after an erasure differed by that person's requests.
CREATE FUNCTION keep_callback_outcomes() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO peer_callback_outcomes (force_id, requested_on, response_seconds, outcome)
    SELECT b.force_id,
           (b.created_at AT TIME ZONE (SELECT time_zone FROM forces WHERE id = b.force_id))::date,
           extract(epoch FROM b.acknowledged_at - b.created_at)::double precision,
           b.status
    FROM peer_callbacks b
    WHERE b.force_id = OLD.force_id AND b.person_id = OLD.id;
    RETURN OLD;
END
$$;
CREATE TRIGGER persons_keep_callback_outcomes BEFORE DELETE ON persons
    FOR EACH ROW EXECUTE FUNCTION keep_callback_outcomes();
