DROP INDEX devices_by_person;
DROP TABLE pairing_codes;
