-- Signing out ends the session everywhere its token could be used: the
-- dashboard cookie's token is also a valid API bearer until it expires (at
-- most 15 minutes), so each staff token carries a session id (`sid`) and a
-- sign-out records it here until the token's expiry. Not force data: a
-- random id of a token, no person, so no row-level security.
CREATE TABLE revoked_sessions (
    sid uuid PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_sessions_expiry ON revoked_sessions (expires_at);
GRANT SELECT, INSERT, DELETE ON revoked_sessions TO fatigue_app;
