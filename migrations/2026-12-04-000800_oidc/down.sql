DROP TABLE oidc_logins;
DROP TABLE account_identities;
DROP TABLE identity_providers;
