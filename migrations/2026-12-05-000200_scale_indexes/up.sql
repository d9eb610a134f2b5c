-- Indexes the rehearsal's plans asked for (issue 17, docs/scaling.md).
--
-- A person's teams by staff number: team_members' key leads with team_id, so
-- each lookup by (force, staff number) read the whole force's part of the key.
-- npws_person_features looks up every person's team function this way: 0.28 ms
-- a person, 34.7 s of its 66 s at 120,000 people.
CREATE INDEX team_members_by_staff ON team_members (force_id, staff_number);

-- The FRM report's roster horizon, max(end_at) over a force's shifts: the
-- first entry of this index instead of a scan of every shift of the force
-- (2.4 s for the largest force at 120,000 people).
CREATE INDEX shifts_by_end ON shifts (force_id, end_at);
