DROP FUNCTION IF EXISTS npws_person_features(date, date);
