-- The FRM report reads the duties it assesses (a few weeks) first and alone,
-- so the engine starts on them while the rest is read: through this index,
-- 0.4-0.8 s for the largest force at 120,000 people, where the same rows
-- out of one read of the whole 43 weeks took a sequential scan of 3.2 s
-- (docs/scaling.md).
CREATE INDEX shifts_by_start ON shifts (force_id, start_at);
