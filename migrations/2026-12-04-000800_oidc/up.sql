-- Dashboard sign-in with a force's own identity provider over OpenID Connect
-- (issue 18). Three force-owned tables, each with the tenant policy.

-- identity_providers: at most one per force, set by its force admin
-- (server::oidc::service::set_provider, audited). The client secret is never
-- stored: client_secret_ref names a secret the operator gives every server
-- instance (FATIGUE_OIDC_SECRET_<ref>, docs/operations.md); NULL for a
-- public client that authenticates by PKCE alone. role_map is an ordered
-- JSON array of {"value": claim value, "role": stored role name}; the first
-- entry that the ID token's role claim carries decides the role.
CREATE TABLE identity_providers (
    force_id uuid PRIMARY KEY REFERENCES forces (id) ON DELETE CASCADE,
    issuer text NOT NULL CHECK (length(issuer) BETWEEN 8 AND 500),
    client_id text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 200),
    client_secret_ref text CHECK (client_secret_ref ~ '^[A-Z0-9_]{1,64}$'),
    extra_scopes text NOT NULL DEFAULT '' CHECK (length(extra_scopes) <= 200),
    role_claim text NOT NULL CHECK (length(role_claim) BETWEEN 1 AND 100),
    role_map jsonb NOT NULL CHECK (jsonb_typeof(role_map) = 'array'),
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE identity_providers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON identity_providers USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE, DELETE ON identity_providers TO fatigue_app;

-- account_identities: which staff account a provider's subject is. The key
-- is (issuer, subject), as OpenID Connect Core 1.0 §5.7 says a subject is
-- unique only within its issuer; never an email address, which a provider
-- may reassign. Deleted with the account.
CREATE TABLE account_identities (
    force_id uuid NOT NULL,
    issuer text NOT NULL,
    subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    account_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (force_id, issuer, subject),
    UNIQUE (force_id, account_id),
    FOREIGN KEY (force_id, account_id) REFERENCES accounts (force_id, id) ON DELETE CASCADE
);
ALTER TABLE account_identities ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON account_identities USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, UPDATE, DELETE ON account_identities TO fatigue_app;

-- oidc_logins: one row per sign-in under way, between the redirect to the
-- provider and its callback: the SHA-256 of the state, the nonce and the
-- PKCE verifier. In the database, not in one server's memory, so the
-- callback may reach any instance; deleted by the callback that uses it (a
-- replayed state finds nothing) or once expired (10 minutes,
-- server::oidc::store::LOGIN_MINUTES).
CREATE TABLE oidc_logins (
    force_id uuid NOT NULL REFERENCES forces (id) ON DELETE CASCADE,
    state_hash text NOT NULL,
    nonce text NOT NULL,
    pkce_verifier text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (force_id, state_hash)
);
CREATE INDEX oidc_logins_expiry ON oidc_logins (force_id, expires_at);
ALTER TABLE oidc_logins ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON oidc_logins USING (force_id = current_force())
    WITH CHECK (force_id = current_force());
GRANT SELECT, INSERT, DELETE ON oidc_logins TO fatigue_app;
