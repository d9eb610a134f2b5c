GRANT UPDATE, DELETE ON audit_log TO fatigue_app;
