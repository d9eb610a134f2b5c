DROP FUNCTION npws_sickness(date, date);
DROP FUNCTION npws_person_outcomes(date, date);
DROP TABLE sickness_absence;
DROP TABLE rollout_plans;
