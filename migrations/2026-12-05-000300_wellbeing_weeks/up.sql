-- A team's wellbeing week cells (issue 16, differencing): what may ever be
-- published about one team's ISO week of wearable-derived summaries,
-- frozen the first time the week is read after it closed
-- (analytics::wellbeing). A figure under the small-number rule is not kept:
-- its columns are NULL. The serving role may read and insert a cell but
-- never change or delete one, so a later change of membership, a late sync
-- or an erasure cannot move a published figure, and reading the same
-- period twice gives the same answer. Deleted with the team (the owner's
-- cascade).
CREATE TABLE wellbeing_weeks (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    team_id uuid NOT NULL,
    week date NOT NULL CHECK (extract(isodow FROM week) = 1),
    people integer CHECK (people >= 5),
    nights integer CHECK (nights >= people),
    sleep_minutes bigint CHECK (sleep_minutes >= 0),
    debt_minutes bigint CHECK (debt_minutes >= 0),
    banded_nights integer CHECK (banded_nights >= 5),
    red_nights integer CHECK (red_nights BETWEEN 0 AND banded_nights),
    frozen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, team_id, week),
    FOREIGN KEY (force_id, team_id) REFERENCES teams (force_id, id) ON DELETE CASCADE,
    CHECK ((people IS NULL) = (nights IS NULL)
       AND (people IS NULL) = (sleep_minutes IS NULL)
       AND (people IS NULL) = (debt_minutes IS NULL)),
    CHECK ((banded_nights IS NULL) = (red_nights IS NULL)),
    CHECK (people IS NOT NULL OR banded_nights IS NULL)
);
ALTER TABLE wellbeing_weeks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON wellbeing_weeks USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT ON wellbeing_weeks TO fatigue_app;
-- Forced, as every force table (migration 2026-12-05-000400_force_rls):
-- a non-superuser owner is bound by the policy too.
ALTER TABLE wellbeing_weeks FORCE ROW LEVEL SECURITY;
