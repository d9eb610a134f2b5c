-- The audit log is append-only for the serving role: it may add entries and
-- read its force's, never change or remove one. Pruning old entries, if a
-- force's retention schedule asks for it, runs as the owner, as migrations do.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM fatigue_app;
