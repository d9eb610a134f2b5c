DROP INDEX shifts_by_end;
DROP INDEX team_members_by_staff;
