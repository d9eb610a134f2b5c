//! Token signing keys (Ed25519), kept in the database so every server
//! instance signs and verifies with the same set.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Text, Timestamptz};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use rand::RngCore;

/// A stored key.
#[derive(Debug, Clone, QueryableByName)]
pub struct StoredKey {
    /// Key id (`kid`).
    #[diesel(sql_type = Text)]
    pub kid: String,
    /// PKCS#8 DER private key.
    #[diesel(sql_type = Bytea)]
    pub private_pkcs8: Vec<u8>,
    /// Raw 32-byte public key.
    #[diesel(sql_type = Bytea)]
    pub public_raw: Vec<u8>,
    /// When it was made.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// Keys still published, newest first (the newest signs).
///
/// # Errors
/// Database errors.
pub fn recent(conn: &mut PgConnection, keep: i64) -> QueryResult<Vec<StoredKey>> {
    diesel::sql_query(
        "SELECT kid, private_pkcs8, public_raw, created_at FROM signing_keys \
         ORDER BY created_at DESC, kid DESC LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(keep)
    .load(conn)
}

/// Makes and stores a new key.
///
/// # Errors
/// Database errors; a key encoding failure as internal.
pub fn create(conn: &mut PgConnection) -> QueryResult<StoredKey> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let signing = SigningKey::from_bytes(&seed);
    let der = signing
        .to_pkcs8_der()
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let mut kid_bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut kid_bytes);
    let kid = format!("k-{}", hex(&kid_bytes));
    diesel::sql_query(
        "INSERT INTO signing_keys (kid, private_pkcs8, public_raw) VALUES ($1, $2, $3) \
         RETURNING kid, private_pkcs8, public_raw, created_at",
    )
    .bind::<Text, _>(kid)
    .bind::<Bytea, _>(der.as_bytes().to_vec())
    .bind::<Bytea, _>(signing.verifying_key().to_bytes().to_vec())
    .get_result(conn)
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
