DROP TRIGGER persons_keep_callback_outcomes ON persons;
DROP FUNCTION keep_callback_outcomes();
