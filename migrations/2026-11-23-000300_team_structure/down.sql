ALTER TABLE teams DROP COLUMN policing_function, DROP COLUMN command;
