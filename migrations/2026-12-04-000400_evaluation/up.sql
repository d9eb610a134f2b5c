-- Evaluation of the national programme (issue 18): the roll-out plan NPWS
-- sets for each force, short-term sickness absence that force HR uploads as
-- counts per team and reporting month, and the two national read paths the
-- evaluation page and the partner dataset aggregate (docs/evaluation.md).

-- rollout_plans: a force's wave, go-live date and enrolment target. The
-- national programme's plan for the force, not the force's own data: NPWS
-- writes it outside any force scope (the `national` policy); a force-scoped
-- transaction sees its own row only (`tenant`).
CREATE TABLE rollout_plans (
    force_id uuid PRIMARY KEY REFERENCES forces (id) ON DELETE CASCADE,
    wave integer NOT NULL CHECK (wave BETWEEN 1 AND 50),
    go_live date NOT NULL,
    target_enrolled integer NOT NULL CHECK (target_enrolled BETWEEN 1 AND 1000000),
    updated_by uuid NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE rollout_plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON rollout_plans USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
CREATE POLICY national ON rollout_plans USING (current_force() IS NULL)
    WITH CHECK (current_force() IS NULL);
GRANT SELECT, INSERT, UPDATE, DELETE ON rollout_plans TO fatigue_app;

-- sickness_absence: short-term sickness days per team and reporting month
-- (the whole ISO weeks whose Thursday falls in the month; month_from is its
-- first Monday), as counts from force HR: no person, no staff number, no
-- reason. headcount is the team's people that month, the denominator and
-- the small-number rule's contributors. A re-upload replaces the month.
CREATE TABLE sickness_absence (
    force_id uuid NOT NULL,
    team_id uuid NOT NULL,
    month_from date NOT NULL CHECK (extract(isodow FROM month_from) = 1),
    headcount integer NOT NULL CHECK (headcount BETWEEN 1 AND 100000),
    sickness_days integer NOT NULL CHECK (sickness_days >= 0),
    upload_id uuid NOT NULL,
    uploaded_by uuid NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, team_id, month_from),
    FOREIGN KEY (force_id, team_id) REFERENCES teams (force_id, id) ON DELETE CASCADE
);
ALTER TABLE sickness_absence ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON sickness_absence USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE, DELETE ON sickness_absence TO fatigue_app;

-- One row per person enrolled by the end of the period (each force's local
-- days), with NO id: force, policing function (the team first by name, as
-- npws_person_features), consent level now, whether they synced anything
-- dated in the last 7 / 28 days of the period, and the sums each outcome
-- measure is made of (analytics::evaluation). SECURITY DEFINER like
-- npws_person_features, with the same guards: runtime role only, never in a
-- force scope, and what leaves the server is suppressed aggregates only.
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

-- Short-term sickness per force, policing function and reporting month
-- starting in p_from..=p_to: sums over teams, no team named. Same guards.
CREATE FUNCTION npws_sickness(p_from date, p_to date)
    RETURNS TABLE (
        force_slug text,
        policing_function text,
        month_from date,
        headcount bigint,
        sickness_days bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public
AS $$
#variable_conflict use_column
BEGIN
    IF current_force() IS NOT NULL THEN
        RAISE EXCEPTION 'npws_sickness is national: call it outside any force scope';
    END IF;
    RETURN QUERY
    SELECT f.slug, t.policing_function, s.month_from,
        sum(s.headcount)::bigint, sum(s.sickness_days)::bigint
    FROM sickness_absence s
    JOIN forces f ON f.id = s.force_id
    JOIN teams t ON t.force_id = s.force_id AND t.id = s.team_id
    WHERE s.month_from BETWEEN p_from AND p_to
    GROUP BY f.slug, t.policing_function, s.month_from
    ORDER BY 1, 2, 3;
END
$$;
REVOKE ALL ON FUNCTION npws_sickness(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION npws_sickness(date, date) TO fatigue_app;
