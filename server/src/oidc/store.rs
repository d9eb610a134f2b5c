//! SQL for single sign-on: a force's provider, the sign-ins under way and
//! which account a provider's subject is.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// How long a sign-in may take between the redirect to the provider and
/// its callback, minutes.
pub const LOGIN_MINUTES: i64 = 10;

/// A force's provider as stored.
#[derive(Debug, Clone, QueryableByName)]
pub struct ProviderRow {
    /// Issuer URL (discovery is `<issuer>/.well-known/openid-configuration`).
    #[diesel(sql_type = Text)]
    pub issuer: String,
    /// The platform's client id at the provider.
    #[diesel(sql_type = Text)]
    pub client_id: String,
    /// The name of the client secret in the server's settings; none for a
    /// public client.
    #[diesel(sql_type = Nullable<Text>)]
    pub client_secret_ref: Option<String>,
    /// Scopes asked for besides `openid`, space-separated.
    #[diesel(sql_type = Text)]
    pub extra_scopes: String,
    /// The ID-token claim that carries the person's roles.
    #[diesel(sql_type = Text)]
    pub role_claim: String,
    /// `[{"value": ..., "role": ...}]`, first match wins.
    #[diesel(sql_type = Jsonb)]
    pub role_map: serde_json::Value,
    /// Last change.
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// The force's provider.
///
/// # Errors
/// `NotFound` when the force has none; database errors.
pub fn provider(c: &mut PgConnection, force: Uuid) -> QueryResult<ProviderRow> {
    diesel::sql_query(
        "SELECT issuer, client_id, client_secret_ref, extra_scopes, role_claim, role_map, updated_at \
         FROM identity_providers WHERE force_id = $1",
    )
    .bind::<SqlUuid, _>(force)
    .get_result(c)
}

/// Sets the force's provider (insert or replace); returns it as stored.
///
/// # Errors
/// Database errors.
pub fn put_provider(
    c: &mut PgConnection,
    force: Uuid,
    p: &ProviderRow,
) -> QueryResult<ProviderRow> {
    diesel::sql_query(
        "INSERT INTO identity_providers \
             (force_id, issuer, client_id, client_secret_ref, extra_scopes, role_claim, role_map) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (force_id) DO UPDATE SET issuer = EXCLUDED.issuer, \
             client_id = EXCLUDED.client_id, client_secret_ref = EXCLUDED.client_secret_ref, \
             extra_scopes = EXCLUDED.extra_scopes, role_claim = EXCLUDED.role_claim, \
             role_map = EXCLUDED.role_map, updated_at = now() \
         RETURNING issuer, client_id, client_secret_ref, extra_scopes, role_claim, role_map, updated_at",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(&p.issuer)
    .bind::<Text, _>(&p.client_id)
    .bind::<Nullable<Text>, _>(&p.client_secret_ref)
    .bind::<Text, _>(&p.extra_scopes)
    .bind::<Text, _>(&p.role_claim)
    .bind::<Jsonb, _>(&p.role_map)
    .get_result(c)
}

/// Removes the force's provider; true when there was one. Sign-ins under
/// way go with it.
///
/// # Errors
/// Database errors.
pub fn delete_provider(c: &mut PgConnection, force: Uuid) -> QueryResult<bool> {
    diesel::sql_query("DELETE FROM oidc_logins WHERE force_id = $1")
        .bind::<SqlUuid, _>(force)
        .execute(c)?;
    Ok(
        diesel::sql_query("DELETE FROM identity_providers WHERE force_id = $1")
            .bind::<SqlUuid, _>(force)
            .execute(c)?
            == 1,
    )
}

/// Records a sign-in under way (its state's hash, nonce and PKCE
/// verifier), first clearing the force's expired ones.
///
/// # Errors
/// Database errors.
pub fn start_login(
    c: &mut PgConnection,
    force: Uuid,
    state_hash: &str,
    nonce: &str,
    pkce_verifier: &str,
) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM oidc_logins WHERE force_id = $1 AND expires_at < now()")
        .bind::<SqlUuid, _>(force)
        .execute(c)?;
    diesel::sql_query(
        "INSERT INTO oidc_logins (force_id, state_hash, nonce, pkce_verifier, expires_at) \
         VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5::int))",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(state_hash)
    .bind::<Text, _>(nonce)
    .bind::<Text, _>(pkce_verifier)
    .bind::<diesel::sql_types::BigInt, _>(LOGIN_MINUTES)
    .execute(c)?;
    Ok(())
}

/// A sign-in under way, taken by its callback.
#[derive(Debug, Clone, QueryableByName)]
pub struct PendingLogin {
    /// The nonce the ID token must carry.
    #[diesel(sql_type = Text)]
    pub nonce: String,
    /// The PKCE verifier the token request sends.
    #[diesel(sql_type = Text)]
    pub pkce_verifier: String,
    /// Past [`LOGIN_MINUTES`].
    #[diesel(sql_type = Bool)]
    pub expired: bool,
}

/// Takes (deletes and returns) the sign-in with this state's hash: a state
/// is good for one callback only.
///
/// # Errors
/// Database errors.
pub fn take_login(
    c: &mut PgConnection,
    force: Uuid,
    state_hash: &str,
) -> QueryResult<Option<PendingLogin>> {
    diesel::sql_query(
        "DELETE FROM oidc_logins WHERE force_id = $1 AND state_hash = $2 \
         RETURNING nonce, pkce_verifier, expires_at < now() AS expired",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(state_hash)
    .get_result(c)
    .optional()
}

/// The account a provider's subject is, with its stored role.
#[derive(Debug, Clone, QueryableByName)]
pub struct Linked {
    /// Account id.
    #[diesel(sql_type = SqlUuid)]
    pub account_id: Uuid,
    /// Its stored role name.
    #[diesel(sql_type = Text)]
    pub role: String,
}

/// The account linked to (issuer, subject) in the force, if any.
///
/// # Errors
/// Database errors.
pub fn linked_account(
    c: &mut PgConnection,
    force: Uuid,
    issuer: &str,
    subject: &str,
) -> QueryResult<Option<Linked>> {
    diesel::sql_query(
        "SELECT i.account_id, a.role FROM account_identities i \
         JOIN accounts a ON a.force_id = i.force_id AND a.id = i.account_id \
         WHERE i.force_id = $1 AND i.issuer = $2 AND i.subject = $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(issuer)
    .bind::<Text, _>(subject)
    .get_result(c)
    .optional()
}

/// Links (issuer, subject) to an account.
///
/// # Errors
/// Database errors (a unique violation when either is linked already).
pub fn link(
    c: &mut PgConnection,
    force: Uuid,
    issuer: &str,
    subject: &str,
    account: Uuid,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO account_identities (force_id, issuer, subject, account_id) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(issuer)
    .bind::<Text, _>(subject)
    .bind::<SqlUuid, _>(account)
    .execute(c)?;
    Ok(())
}

/// Notes a sign-in of a linked account and sets its role to `role` (the
/// provider's claim decides the role at every sign-in).
///
/// # Errors
/// Database errors.
pub fn signed_in(
    c: &mut PgConnection,
    force: Uuid,
    issuer: &str,
    subject: &str,
    account: Uuid,
    role: &str,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE account_identities SET last_sign_in_at = now() \
         WHERE force_id = $1 AND issuer = $2 AND subject = $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<Text, _>(issuer)
    .bind::<Text, _>(subject)
    .execute(c)?;
    diesel::sql_query(
        "UPDATE accounts SET role = $3 WHERE force_id = $1 AND id = $2 AND role <> $3",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(account)
    .bind::<Text, _>(role)
    .execute(c)?;
    Ok(())
}
