DROP TABLE wellbeing_weeks;
