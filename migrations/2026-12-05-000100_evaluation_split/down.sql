DROP FUNCTION npws_roster_months(date[], date[]);
DROP FUNCTION npws_person_outcomes(date[], date[]);
-- As migration 2026-12-04-000400_evaluation made it.
CREATE FUNCTION npws_person_outcomes(p_from date, p_to date)
    RETURNS TABLE (
        force_slug text,
        policing_function text,
        consent text,
        active_7 boolean,
        active_28 boolean,
        sleep_nights integer,
        sleep_minutes bigint,
        debt_minutes bigint,
        recovery_n integer,
        recovery_sum bigint,
        kss_n integer,
        kss_sum bigint,
        modules_completed integer,
        peer_requests integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public
AS $$
#variable_conflict use_column
BEGIN
    IF current_force() IS NOT NULL THEN
        RAISE EXCEPTION 'npws_person_outcomes is national: call it outside any force scope';
    END IF;
    IF p_from IS NULL OR p_to IS NULL OR p_to < p_from OR p_to - p_from >= 400 THEN
        RAISE EXCEPTION 'npws_person_outcomes: invalid period';
    END IF;
    RETURN QUERY
    WITH people AS MATERIALIZED (
        SELECT p.force_id, p.id AS person_id, p.consent, f.slug, f.time_zone,
            coalesce((SELECT t.policing_function FROM staff_links l
                JOIN team_members m ON m.force_id = l.force_id AND m.staff_number = l.staff_number
                JOIN teams t ON t.force_id = m.force_id AND t.id = m.team_id
                WHERE l.force_id = p.force_id AND l.person_id = p.id
                ORDER BY t.name LIMIT 1), 'no_team') AS func,
            (p_from::timestamp AT TIME ZONE f.time_zone) AS t0,
            ((p_to + 1)::timestamp AT TIME ZONE f.time_zone) AS t1
        FROM persons p
        JOIN forces f ON f.id = p.force_id
        WHERE p.created_at < ((p_to + 1)::timestamp AT TIME ZONE f.time_zone)
    ),
    records AS MATERIALIZED (
        SELECT r.force_id, r.person_id,
            bool_or(r.local_date > p_to - 7) AS a7,
            bool_or(r.local_date > p_to - 28) AS a28,
            count(*) FILTER (WHERE r.kind = 'daily_summary' AND r.local_date >= p_from
                AND pe.consent <> 'roster_only')::int AS nights,
            coalesce(sum((r.payload->>'sleep_minutes')::bigint) FILTER (WHERE r.kind = 'daily_summary'
                AND r.local_date >= p_from AND pe.consent <> 'roster_only'), 0)::bigint AS minutes,
            coalesce(sum((r.payload->>'sleep_debt_minutes')::bigint) FILTER (WHERE r.kind = 'daily_summary'
                AND r.local_date >= p_from AND pe.consent <> 'roster_only'), 0)::bigint AS debt,
            count(r.payload->>'recovery_score') FILTER (WHERE r.kind = 'daily_summary'
                AND r.local_date >= p_from AND pe.consent <> 'roster_only')::int AS rec_n,
            coalesce(sum((r.payload->>'recovery_score')::bigint) FILTER (WHERE r.kind = 'daily_summary'
                AND r.local_date >= p_from AND pe.consent <> 'roster_only'), 0)::bigint AS rec_sum,
            count(*) FILTER (WHERE r.kind = 'check_in' AND r.payload->>'scale' = 'kss'
                AND r.local_date >= p_from AND pe.consent = 'sleep_and_check_ins')::int AS kss_n,
            coalesce(sum((r.payload->>'value')::bigint) FILTER (WHERE r.kind = 'check_in'
                AND r.payload->>'scale' = 'kss' AND r.local_date >= p_from
                AND pe.consent = 'sleep_and_check_ins'), 0)::bigint AS kss_sum,
            count(DISTINCT r.payload->>'module_id') FILTER (WHERE r.kind = 'learning_progress'
                AND (r.payload->>'completed')::boolean)::int AS modules
        FROM sync_records r
        JOIN people pe ON pe.force_id = r.force_id AND pe.person_id = r.person_id
        -- A reporting month is at least 28 days, so p_from bounds every
        -- figure but learning (completed by the month's end, at any time).
        WHERE r.local_date <= p_to AND (r.local_date >= p_from OR r.kind = 'learning_progress')
        GROUP BY r.force_id, r.person_id
    ),
    callbacks AS MATERIALIZED (
        SELECT c.force_id, c.person_id, count(*)::int AS n
        FROM peer_callbacks c
        JOIN people pe ON pe.force_id = c.force_id AND pe.person_id = c.person_id
        WHERE c.created_at >= pe.t0 AND c.created_at < pe.t1
        GROUP BY c.force_id, c.person_id
    )
    -- Ordered by value, never by anything derived from an id.
    SELECT pe.slug, pe.func, pe.consent,
        coalesce(r.a7, false), coalesce(r.a28, false),
        coalesce(r.nights, 0), coalesce(r.minutes, 0)::bigint, coalesce(r.debt, 0)::bigint,
        coalesce(r.rec_n, 0), coalesce(r.rec_sum, 0)::bigint,
        coalesce(r.kss_n, 0), coalesce(r.kss_sum, 0)::bigint,
        coalesce(r.modules, 0), coalesce(cb.n, 0)
    FROM people pe
    LEFT JOIN records r ON r.force_id = pe.force_id AND r.person_id = pe.person_id
    LEFT JOIN callbacks cb ON cb.force_id = pe.force_id AND cb.person_id = pe.person_id
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14;
END
$$;
REVOKE ALL ON FUNCTION npws_person_outcomes(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION npws_person_outcomes(date, date) TO fatigue_app;
