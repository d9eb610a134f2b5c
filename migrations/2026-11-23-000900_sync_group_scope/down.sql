DROP POLICY sync_group ON persons;
DROP POLICY sync_group ON devices;
DROP POLICY sync_group ON sync_batches;
DROP POLICY sync_group ON sync_records;
DROP FUNCTION current_sync_forces();
