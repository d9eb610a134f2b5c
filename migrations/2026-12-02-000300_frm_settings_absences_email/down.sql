DROP TABLE report_notices;
ALTER TABLE accounts DROP COLUMN email;
DROP TABLE force_settings;
DROP TABLE absence_days;
