-- The evaluation reads its whole window in one call per source, not one
-- per month (issue 18: the NPWS evaluation page made 24 function calls for
-- 12 months and took 14 s on the demo). Each row carries the reporting
-- month it belongs to (`month_from`, the month's first Monday). The
-- months are given as two arrays, their first and last days, so these
-- functions know nothing of the calendar grid: analytics::input::Period
-- is its one home.

-- One row per person and month for everyone enrolled by that month's end
-- (each force's local days), with NO id. The figures are those of
-- migration 2026-12-04-000400_evaluation's single-period function, month
-- by month; its header explains the safeguards (SECURITY DEFINER, runtime
-- role only, never in a force scope, only suppressed aggregates leave).
-- New: the person's employment type, and their own policing function
-- where the HR file gives one (issue 18: the evaluation splits by both).
DROP FUNCTION npws_person_outcomes(date, date);
CREATE FUNCTION npws_person_outcomes(p_from date[], p_to date[])
    RETURNS TABLE (
        month_from date,
        force_slug text,
        policing_function text,
        employment_type text,
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
DECLARE
    w_from date;
    w_to date;
BEGIN
    IF current_force() IS NOT NULL THEN
        RAISE EXCEPTION 'npws_person_outcomes is national: call it outside any force scope';
    END IF;
    IF p_from IS NULL OR p_to IS NULL OR cardinality(p_from) <> cardinality(p_to)
        OR cardinality(p_from) NOT BETWEEN 1 AND 36
        OR EXISTS (SELECT 1 FROM unnest(p_from, p_to) AS m (f, t)
            WHERE f IS NULL OR t IS NULL OR t < f OR t - f >= 40) THEN
        RAISE EXCEPTION 'npws_person_outcomes: invalid months';
    END IF;
    SELECT min(f), max(t) INTO w_from, w_to FROM unnest(p_from, p_to) AS m (f, t);
    IF w_to - w_from >= 1100 THEN
        RAISE EXCEPTION 'npws_person_outcomes: invalid months';
    END IF;
    RETURN QUERY
    WITH months AS MATERIALIZED (
        SELECT DISTINCT f AS m_from, t AS m_to FROM unnest(p_from, p_to) AS m (f, t)
    ),
    -- Function and employment type as npws_person_features and
    -- npws_roster_months give them: the HR record's own function, else the
    -- team's (first by name); the HR record's type, else 'not_known'
    -- (models::staff::EmploymentType::NOT_KNOWN).
    people AS MATERIALIZED (
        SELECT p.force_id, p.id AS person_id, p.consent, p.created_at, f.slug, f.time_zone,
            coalesce(sr.policing_function, (SELECT t.policing_function FROM team_members m
                JOIN teams t ON t.force_id = m.force_id AND t.id = m.team_id
                WHERE m.force_id = l.force_id AND m.staff_number = l.staff_number
                ORDER BY t.name LIMIT 1), 'no_team') AS func,
            coalesce(sr.employment_type, 'not_known') AS employment
        FROM persons p
        JOIN forces f ON f.id = p.force_id
        LEFT JOIN staff_links l ON l.force_id = p.force_id AND l.person_id = p.id
        LEFT JOIN staff_records sr ON sr.force_id = l.force_id AND sr.staff_number = l.staff_number
        WHERE p.created_at < ((w_to + 1)::timestamp AT TIME ZONE f.time_zone)
    ),
    -- A person's months: those by whose end they had enrolled.
    person_months AS MATERIALIZED (
        SELECT pe.force_id, pe.person_id, pe.consent, pe.slug, pe.func, pe.employment, mo.m_from, mo.m_to,
            (mo.m_from::timestamp AT TIME ZONE pe.time_zone) AS t0,
            ((mo.m_to + 1)::timestamp AT TIME ZONE pe.time_zone) AS t1
        FROM people pe
        JOIN months mo ON pe.created_at < ((mo.m_to + 1)::timestamp AT TIME ZONE pe.time_zone)
    ),
    -- A reporting month is at least 28 days, so its first day bounds every
    -- figure but learning (below).
    records AS MATERIALIZED (
        SELECT r.force_id, r.person_id, mo.m_from,
            bool_or(r.local_date > mo.m_to - 7) AS a7,
            bool_or(r.local_date > mo.m_to - 28) AS a28,
            count(*) FILTER (WHERE r.kind = 'daily_summary' AND pe.consent <> 'roster_only')::int AS nights,
            coalesce(sum((r.payload->>'sleep_minutes')::bigint) FILTER (WHERE r.kind = 'daily_summary'
                AND pe.consent <> 'roster_only'), 0)::bigint AS minutes,
            coalesce(sum((r.payload->>'sleep_debt_minutes')::bigint) FILTER (WHERE r.kind = 'daily_summary'
                AND pe.consent <> 'roster_only'), 0)::bigint AS debt,
            count(r.payload->>'recovery_score') FILTER (WHERE r.kind = 'daily_summary'
                AND pe.consent <> 'roster_only')::int AS rec_n,
            coalesce(sum((r.payload->>'recovery_score')::bigint) FILTER (WHERE r.kind = 'daily_summary'
                AND pe.consent <> 'roster_only'), 0)::bigint AS rec_sum,
            count(*) FILTER (WHERE r.kind = 'check_in' AND r.payload->>'scale' = 'kss'
                AND pe.consent = 'sleep_and_check_ins')::int AS kss_n,
            coalesce(sum((r.payload->>'value')::bigint) FILTER (WHERE r.kind = 'check_in'
                AND r.payload->>'scale' = 'kss' AND pe.consent = 'sleep_and_check_ins'), 0)::bigint AS kss_sum
        FROM sync_records r
        JOIN people pe ON pe.force_id = r.force_id AND pe.person_id = r.person_id
        JOIN months mo ON r.local_date BETWEEN mo.m_from AND mo.m_to
        WHERE r.local_date BETWEEN w_from AND w_to
        GROUP BY r.force_id, r.person_id, mo.m_from
    ),
    -- Learning counts modules completed by the month's end, at any time:
    -- each module's first completion, counted in every month from then.
    learning AS MATERIALIZED (
        SELECT r.force_id, r.person_id, r.payload->>'module_id' AS module, min(r.local_date) AS done
        FROM sync_records r
        JOIN people pe ON pe.force_id = r.force_id AND pe.person_id = r.person_id
        WHERE r.kind = 'learning_progress'
            AND CASE WHEN r.kind = 'learning_progress' THEN (r.payload->>'completed')::boolean END
            AND r.payload->>'module_id' IS NOT NULL AND r.local_date <= w_to
        GROUP BY 1, 2, 3
    ),
    modules AS MATERIALIZED (
        SELECT pm.force_id, pm.person_id, pm.m_from, count(*)::int AS n
        FROM person_months pm
        JOIN learning l ON l.force_id = pm.force_id AND l.person_id = pm.person_id AND l.done <= pm.m_to
        GROUP BY 1, 2, 3
    ),
    callbacks AS MATERIALIZED (
        SELECT pm.force_id, pm.person_id, pm.m_from, count(*)::int AS n
        FROM peer_callbacks c
        JOIN person_months pm ON pm.force_id = c.force_id AND pm.person_id = c.person_id
            AND c.created_at >= pm.t0 AND c.created_at < pm.t1
        GROUP BY 1, 2, 3
    )
    -- Ordered by value, never by anything derived from an id.
    SELECT pm.m_from, pm.slug, pm.func, pm.employment, pm.consent,
        coalesce(r.a7, false), coalesce(r.a28, false),
        coalesce(r.nights, 0), coalesce(r.minutes, 0)::bigint, coalesce(r.debt, 0)::bigint,
        coalesce(r.rec_n, 0), coalesce(r.rec_sum, 0)::bigint,
        coalesce(r.kss_n, 0), coalesce(r.kss_sum, 0)::bigint,
        coalesce(md.n, 0), coalesce(cb.n, 0)
    FROM person_months pm
    LEFT JOIN records r ON r.force_id = pm.force_id AND r.person_id = pm.person_id AND r.m_from = pm.m_from
    LEFT JOIN modules md ON md.force_id = pm.force_id AND md.person_id = pm.person_id AND md.m_from = pm.m_from
    LEFT JOIN callbacks cb ON cb.force_id = pm.force_id AND cb.person_id = pm.person_id AND cb.m_from = pm.m_from
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16;
END
$$;
REVOKE ALL ON FUNCTION npws_person_outcomes(date[], date[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION npws_person_outcomes(date[], date[]) TO fatigue_app;

-- The evaluation's roster indicators, one row per person and month with a
-- shift starting in it, NO id: the roster columns of npws_person_features
-- (migration 2026-12-04-000500_hr_onboarding: the same people, function
-- and employment type, the same night-duty rule, which
-- tests/tests/sql_rules.rs checks against mobile_core::night_time here
-- too) computed month by month over the months given. Same safeguards.
CREATE FUNCTION npws_roster_months(p_from date[], p_to date[])
    RETURNS TABLE (
        month_from date,
        force_slug text,
        policing_function text,
        employment_type text,
        shifts integer,
        night_shifts integer,
        quick_returns integer,
        minutes_worked bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public
AS $$
#variable_conflict use_column
DECLARE
    w_from date;
    w_to date;
BEGIN
    IF current_force() IS NOT NULL THEN
        RAISE EXCEPTION 'npws_roster_months is national: call it outside any force scope';
    END IF;
    IF p_from IS NULL OR p_to IS NULL OR cardinality(p_from) <> cardinality(p_to)
        OR cardinality(p_from) NOT BETWEEN 1 AND 36
        OR EXISTS (SELECT 1 FROM unnest(p_from, p_to) AS m (f, t)
            WHERE f IS NULL OR t IS NULL OR t < f OR t - f >= 40) THEN
        RAISE EXCEPTION 'npws_roster_months: invalid months';
    END IF;
    SELECT min(f), max(t) INTO w_from, w_to FROM unnest(p_from, p_to) AS m (f, t);
    IF w_to - w_from >= 1100 THEN
        RAISE EXCEPTION 'npws_roster_months: invalid months';
    END IF;
    RETURN QUERY
    WITH months AS MATERIALIZED (
        SELECT DISTINCT f AS m_from, t AS m_to FROM unnest(p_from, p_to) AS m (f, t)
    ),
    people AS MATERIALIZED (
        SELECT p.force_id, p.id AS person_id, l.staff_number, f.slug, f.time_zone,
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
    -- Each month sees the shifts starting in it and in the two days before
    -- (for the quick return into its first shift), exactly as the
    -- single-period function does for its period.
    loaded AS (
        SELECT pe.force_id, pe.person_id, mo.m_from, w.t0, w.t1, pe.time_zone, sh.start_at, sh.end_at,
            lag(sh.end_at) OVER (PARTITION BY pe.force_id, pe.person_id, mo.m_from ORDER BY sh.start_at) AS prev_end
        FROM people pe
        CROSS JOIN months mo
        CROSS JOIN LATERAL (SELECT (mo.m_from::timestamp AT TIME ZONE pe.time_zone) AS t0,
            ((mo.m_to + 1)::timestamp AT TIME ZONE pe.time_zone) AS t1) w
        JOIN shifts sh ON sh.force_id = pe.force_id AND sh.staff_number = pe.staff_number
            AND sh.start_at < w.t1 AND sh.start_at >= w.t0 - interval '2 days'
        WHERE sh.start_at < ((w_to + 1)::timestamp AT TIME ZONE pe.time_zone)
            AND sh.start_at >= (w_from::timestamp AT TIME ZONE pe.time_zone) - interval '2 days'
    ),
    roster AS MATERIALIZED (
        SELECT s.force_id, s.person_id, s.m_from,
            count(*) FILTER (WHERE s.start_at >= s.t0)::int AS shifts,
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
        GROUP BY s.force_id, s.person_id, s.m_from
    )
    -- Ordered by value, never by anything derived from an id.
    SELECT ro.m_from, pe.slug, pe.func, pe.employment, ro.shifts, ro.nights, ro.quick, ro.minutes
    FROM people pe
    JOIN roster ro ON ro.force_id = pe.force_id AND ro.person_id = pe.person_id
    WHERE ro.shifts > 0
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8;
END
$$;
REVOKE ALL ON FUNCTION npws_roster_months(date[], date[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION npws_roster_months(date[], date[]) TO fatigue_app;
