DROP INDEX shifts_by_start;
