-- Back to the national read alone (migration 2026-12-04-000500's body).
GRANT fatigue_npws TO CURRENT_USER;
GRANT USAGE, CREATE ON SCHEMA public TO fatigue_npws;

DROP FUNCTION npws_person_features(date, date, uuid[]);
CREATE FUNCTION npws_person_features(p_from date, p_to date)
    RETURNS TABLE (
        force_slug text,
        policing_function text,
        employment_type text,
        shifts integer,
        early_shifts integer,
        late_shifts integer,
        night_shifts integer,
        quick_returns integer,
        minutes_worked bigint,
        sleep_nights integer,
        sleep_minutes bigint,
        regularity_hours double precision,
        recovery_slope_per_week double precision,
        recovery_mornings integer,
        red_mornings integer,
        kss_check_ins integer,
        kss_sum bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF current_force() IS NOT NULL THEN
        RAISE EXCEPTION 'npws_person_features is national: call it outside any force scope';
    END IF;
    IF p_from IS NULL OR p_to IS NULL OR p_to < p_from OR p_to - p_from >= 400 THEN
        RAISE EXCEPTION 'npws_person_features: invalid period';
    END IF;
    -- The aggregates are MATERIALIZED: the planner cannot estimate their
    -- row counts and otherwise re-runs them once per person (seconds, not
    -- milliseconds, on the demo's 420 people).
    RETURN QUERY
    WITH people AS (
        SELECT p.force_id, p.id AS person_id, p.consent, l.staff_number,
            f.slug, f.time_zone,
            (p_from::timestamp AT TIME ZONE f.time_zone) AS t0,
            ((p_to + 1)::timestamp AT TIME ZONE f.time_zone) AS t1,
            coalesce(sr.policing_function, (SELECT t.policing_function FROM team_members m
                JOIN teams t ON t.force_id = m.force_id AND t.id = m.team_id
                WHERE m.force_id = p.force_id AND m.staff_number = l.staff_number
                ORDER BY t.name LIMIT 1), 'no_team') AS func,
            coalesce(sr.employment_type, 'not_known') AS employment
        FROM persons p
        JOIN staff_links l ON l.force_id = p.force_id AND l.person_id = p.id
        JOIN forces f ON f.id = p.force_id
        LEFT JOIN staff_records sr ON sr.force_id = l.force_id AND sr.staff_number = l.staff_number
    ),
    loaded AS (
        SELECT pe.force_id, pe.person_id, pe.t0, pe.t1, pe.time_zone, sh.start_at, sh.end_at,
            lag(sh.end_at) OVER (PARTITION BY pe.force_id, pe.person_id ORDER BY sh.start_at) AS prev_end
        FROM people pe
        JOIN shifts sh ON sh.force_id = pe.force_id AND sh.staff_number = pe.staff_number
        -- Two days back is enough to find the shift before the first one in
        -- the period whenever the rest between them is under 12 h.
        WHERE sh.start_at < pe.t1 AND sh.start_at >= pe.t0 - interval '2 days'
    ),
    roster AS MATERIALIZED (
        SELECT s.force_id, s.person_id,
            count(*) FILTER (WHERE s.start_at >= s.t0)::int AS shifts,
            count(*) FILTER (WHERE s.start_at >= s.t0
                AND extract(hour FROM s.start_at AT TIME ZONE s.time_zone) BETWEEN 4 AND 8)::int AS early,
            count(*) FILTER (WHERE s.start_at >= s.t0
                AND extract(hour FROM s.start_at AT TIME ZONE s.time_zone) BETWEEN 14 AND 19)::int AS late,
            count(*) FILTER (WHERE s.start_at >= s.t0 AND n.night_seconds >= 3 * 3600)::int AS nights,
            count(*) FILTER (WHERE s.start_at >= s.t0 AND s.prev_end IS NOT NULL
                AND s.start_at - s.prev_end < interval '12 hours')::int AS quick,
            coalesce(sum(round(extract(epoch FROM least(s.end_at, s.t1) - greatest(s.start_at, s.t0)) / 60))
                FILTER (WHERE s.end_at > s.t0), 0)::bigint AS minutes
        FROM loaded s
        CROSS JOIN LATERAL (
            -- Seconds of the shift inside each local 23:00-06:00 window it may touch.
            SELECT coalesce(sum(greatest(0, extract(epoch FROM
                least(s.end_at, (d + interval '30 hours') AT TIME ZONE s.time_zone)
                - greatest(s.start_at, (d + interval '23 hours') AT TIME ZONE s.time_zone)))), 0) AS night_seconds
            FROM generate_series(((s.start_at AT TIME ZONE s.time_zone)::date - 1)::timestamp,
                (s.end_at AT TIME ZONE s.time_zone)::date::timestamp, interval '1 day') AS g (d)
        ) n
        GROUP BY s.force_id, s.person_id
    ),
    summaries AS MATERIALIZED (
        SELECT r.force_id, r.person_id,
            count(*)::int AS nights,
            sum((r.payload->>'sleep_minutes')::bigint)::bigint AS minutes,
            CASE WHEN count(a.angle) >= 3 THEN
                sqrt(-2 * ln(least(1.0, greatest(1e-12,
                    sqrt(avg(sin(a.angle)) ^ 2 + avg(cos(a.angle)) ^ 2))))) * 24 / (2 * pi())
            END AS regularity,
            CASE WHEN count(r.payload->>'recovery_score') >= 3 THEN
                regr_slope((r.payload->>'recovery_score')::float8, (r.local_date - p_from) / 7.0::float8)
            END AS slope,
            count(r.payload->>'recovery_band')::int AS banded,
            count(*) FILTER (WHERE r.payload->>'recovery_band' = 'red')::int AS red
        FROM sync_records r
        JOIN people pe ON pe.force_id = r.force_id AND pe.person_id = r.person_id
        CROSS JOIN LATERAL (
            SELECT extract(epoch FROM ((
                (r.payload->>'main_sleep_start')::timestamptz
                + ((r.payload->>'main_sleep_end')::timestamptz - (r.payload->>'main_sleep_start')::timestamptz) / 2
            ) AT TIME ZONE pe.time_zone)::time) / 86400.0 * 2 * pi() AS angle
        ) a
        WHERE r.kind = 'daily_summary' AND r.local_date BETWEEN p_from AND p_to
            AND pe.consent <> 'roster_only'
        GROUP BY r.force_id, r.person_id
    ),
    kss AS MATERIALIZED (
        SELECT r.force_id, r.person_id, count(*)::int AS n,
            sum((r.payload->>'value')::bigint)::bigint AS total
        FROM sync_records r
        JOIN people pe ON pe.force_id = r.force_id AND pe.person_id = r.person_id
        WHERE r.kind = 'check_in' AND r.payload->>'scale' = 'kss'
            AND r.local_date BETWEEN p_from AND p_to
            AND pe.consent = 'sleep_and_check_ins'
        GROUP BY r.force_id, r.person_id
    ),
    person_rows AS (
        SELECT pe.slug, pe.func, pe.employment, ro.shifts, ro.early, ro.late, ro.nights, ro.quick, ro.minutes,
            coalesce(sm.nights, 0) AS s_nights, coalesce(sm.minutes, 0)::bigint AS s_minutes,
            sm.regularity, sm.slope, coalesce(sm.banded, 0) AS banded, coalesce(sm.red, 0) AS red,
            coalesce(k.n, 0) AS k_n, coalesce(k.total, 0)::bigint AS k_total
        FROM people pe
        JOIN roster ro ON ro.force_id = pe.force_id AND ro.person_id = pe.person_id
        LEFT JOIN summaries sm ON sm.force_id = pe.force_id AND sm.person_id = pe.person_id
        LEFT JOIN kss k ON k.force_id = pe.force_id AND k.person_id = pe.person_id
        WHERE ro.shifts > 0
    )
    -- Ordered by value, never by anything derived from an id, so the rows'
    -- order says nothing about who is who and a run is reproducible.
    SELECT * FROM person_rows
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17;
END
$$;
REVOKE ALL ON FUNCTION npws_person_features(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION npws_person_features(date, date) TO fatigue_app;
ALTER FUNCTION npws_person_features(date, date) OWNER TO fatigue_npws;

REVOKE CREATE ON SCHEMA public FROM fatigue_npws;
REVOKE fatigue_npws FROM CURRENT_USER;
