-- Where a team sits in the force, for reports by command/team and for
-- NPWS comparisons across policing functions (response vs investigation vs
-- control room ...). Both describe teams, never people.
ALTER TABLE teams
    ADD COLUMN command text NOT NULL DEFAULT 'Unassigned'
        CHECK (length(command) BETWEEN 1 AND 200),
    ADD COLUMN policing_function text NOT NULL DEFAULT 'other'
        CHECK (policing_function IN ('response', 'neighbourhood', 'investigation',
            'control_room', 'custody', 'roads_policing', 'specialist_operations',
            'staff_support', 'other'));
