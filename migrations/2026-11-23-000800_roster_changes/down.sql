DROP TABLE roster_changes;
DROP TABLE rest_days;
