//! Identity: access tokens, the signing key set, passwords and the
//! `Identity` extractor.
//!
//! Access tokens are JWTs signed with Ed25519 (`alg: EdDSA`), carrying a
//! `kid`; `iss`, `aud`, `exp` and `sub` are checked, lifetime at most 15
//! minutes. Only EdDSA is accepted, so `alg: none` and HMAC tokens fail.
//! Keys live in the database ([`crate::accounts::keys`]); the three newest are
//! published at `/.well-known/jwks.json` and accepted, so a rotation does not
//! cut off tokens signed just before it. Passwords are hashed with argon2id.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accounts::keys::StoredKey;
use crate::db::{self, DbPool};
use crate::error::{AppError, AppResult};

/// How many keys stay published and accepted.
pub const KEYS_KEPT: i64 = 3;

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An enrolled officer or member of staff, through their phone (pseudonymous).
    Officer,
    /// Supervises named teams.
    Supervisor,
    /// The force's fatigue risk management lead.
    FrmLead,
    /// Manages the force's accounts, teams and enrolment.
    ForceAdmin,
    /// A trained peer supporter: answers the call-back requests assigned to them.
    PeerSupporter,
    /// The force's peer-support coordinator: unassigned and escalated requests.
    PeerSupportCoordinator,
    /// National Police Wellbeing Service analyst: national aggregates only.
    NpwsAnalyst,
    /// Runs the platform: forces, keys.
    PlatformAdmin,
}

/// The access token's claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Subject: account id, or the officer's pseudonym.
    pub sub: Uuid,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Role.
    pub role: Role,
    /// The force, for force roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<Uuid>,
    /// The device, for officers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Uuid>,
    /// The session, for staff tokens: what signing out revokes
    /// ([`crate::accounts::service::sign_out`]). Device tokens have none;
    /// the device's refresh tokens are what a phone revokes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

struct LoadedKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    public_raw: Vec<u8>,
}

/// The signing and verification keys, cached from the database.
pub struct KeySet {
    issuer: String,
    audience: String,
    ttl_seconds: i64,
    inner: RwLock<(Option<String>, HashMap<String, LoadedKey>)>,
    /// When an unknown kid last made this instance reload its keys.
    last_unknown_reload: Mutex<Option<Instant>>,
}

/// How often, at most, a token with an unknown `kid` makes an instance
/// reload its keys: another instance's rotation is learnt within this, and
/// a flood of made-up kids costs one query per interval, not one a request.
pub const UNKNOWN_KID_RELOAD: Duration = Duration::from_secs(5);

/// Whether `kid` has the shape this platform's keys have (`k-` and 16
/// lower-case hex digits, [`crate::accounts::keys::create`]).
pub fn well_formed_kid(kid: &str) -> bool {
    kid.strip_prefix("k-").is_some_and(|hex| {
        hex.len() == 16
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// One JWKS entry (RFC 8037 OKP key).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// Public key, base64url.
    pub x: String,
    /// Key id.
    pub kid: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub usage: String,
}

/// The JWKS document.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwks {
    /// Published keys, newest first.
    pub keys: Vec<Jwk>,
}

impl KeySet {
    /// An empty set; call [`KeySet::refresh`] before use.
    pub fn new(issuer: String, audience: String, ttl_minutes: u32) -> Self {
        KeySet {
            issuer,
            audience,
            ttl_seconds: i64::from(ttl_minutes) * 60,
            inner: RwLock::new((None, HashMap::new())),
            last_unknown_reload: Mutex::new(None),
        }
    }

    /// Whether a token signed with `kid` should make this instance reload
    /// its keys at `now`: only for a well-formed kid it does not know, and at
    /// most once per [`UNKNOWN_KID_RELOAD`]. Records the reload when so.
    pub fn should_reload_for(&self, kid: &str, now: Instant) -> bool {
        if self.knows(kid) || !well_formed_kid(kid) {
            return false;
        }
        let Ok(mut last) = self.last_unknown_reload.lock() else {
            return false;
        };
        if last.is_some_and(|t| now.saturating_duration_since(t) < UNKNOWN_KID_RELOAD) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// Before verifying `token`: reloads the keys when its kid is one another
    /// instance may have just made ([`KeySet::should_reload_for`]).
    ///
    /// # Errors
    /// Database errors while reloading.
    pub async fn learn_kid_of(&self, pool: &DbPool, token: &str) -> AppResult<()> {
        if let Ok(h) = jsonwebtoken::decode_header(token)
            && let Some(kid) = h.kid
            && self.should_reload_for(&kid, Instant::now())
        {
            self.refresh(pool).await?;
        }
        Ok(())
    }

    /// Access-token lifetime in seconds.
    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    fn install(&self, stored: Vec<StoredKey>) {
        let newest = stored.first().map(|k| k.kid.clone());
        let map = stored
            .into_iter()
            .map(|k| {
                let loaded = LoadedKey {
                    encoding: EncodingKey::from_ed_der(&k.private_pkcs8),
                    decoding: DecodingKey::from_ed_der(&k.public_raw),
                    public_raw: k.public_raw,
                };
                (k.kid, loaded)
            })
            .collect();
        if let Ok(mut guard) = self.inner.write() {
            *guard = (newest, map);
        }
    }

    /// Reloads keys from the database, creating the first one if none exist.
    ///
    /// # Errors
    /// Database errors.
    pub async fn refresh(&self, pool: &DbPool) -> AppResult<()> {
        let stored = db::with_platform(pool, |c| {
            let mut keys = crate::accounts::keys::recent(c, KEYS_KEPT)?;
            if keys.is_empty() {
                keys.push(crate::accounts::keys::create(c)?);
            }
            Ok(keys)
        })
        .await?;
        self.install(stored);
        Ok(())
    }

    /// Makes a new signing key; the previous ones stay accepted.
    ///
    /// # Errors
    /// Database errors.
    pub async fn rotate(&self, pool: &DbPool) -> AppResult<String> {
        let stored = db::with_platform(pool, |c| {
            crate::accounts::keys::create(c)?;
            Ok(crate::accounts::keys::recent(c, KEYS_KEPT)?)
        })
        .await?;
        let kid = stored.first().map(|k| k.kid.clone()).unwrap_or_default();
        self.install(stored);
        Ok(kid)
    }

    /// Signs an access token for a subject.
    ///
    /// # Errors
    /// Internal when no key is loaded.
    pub fn issue(
        &self,
        sub: Uuid,
        role: Role,
        force: Option<Uuid>,
        device: Option<Uuid>,
    ) -> AppResult<String> {
        let guard = self
            .inner
            .read()
            .map_err(|_| AppError::internal("key lock poisoned"))?;
        let (Some(kid), map) = &*guard else {
            return Err(AppError::internal("no signing key"));
        };
        let key = map
            .get(kid)
            .ok_or_else(|| AppError::internal("newest key missing"))?;
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub,
            exp: now + self.ttl_seconds,
            iat: now,
            role,
            force,
            device,
            sid: device.is_none().then(Uuid::new_v4),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(AppError::internal)
    }

    /// Verifies a token: algorithm, signature by a known `kid`, `iss`, `aud`, `exp`.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`] for any failure.
    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AppError::Unauthenticated)?;
        if header.alg != Algorithm::EdDSA {
            return Err(AppError::Unauthenticated);
        }
        let kid = header.kid.ok_or(AppError::Unauthenticated)?;
        let guard = self
            .inner
            .read()
            .map_err(|_| AppError::internal("key lock poisoned"))?;
        let key = guard.1.get(&kid).ok_or(AppError::Unauthenticated)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|_| AppError::Unauthenticated)
    }

    /// Knows `kid`? (Tokens signed by a key made on another instance.)
    pub fn knows(&self, kid: &str) -> bool {
        self.inner
            .read()
            .map(|g| g.1.contains_key(kid))
            .unwrap_or(false)
    }

    /// The published keys.
    pub fn jwks(&self) -> Jwks {
        let keys = self
            .inner
            .read()
            .map(|g| {
                let mut keys: Vec<Jwk> =
                    g.1.iter()
                        .map(|(kid, k)| Jwk {
                            kty: "OKP".to_owned(),
                            crv: "Ed25519".to_owned(),
                            x: URL_SAFE_NO_PAD.encode(&k.public_raw),
                            kid: kid.clone(),
                            alg: "EdDSA".to_owned(),
                            usage: "sig".to_owned(),
                        })
                        .collect();
                keys.sort_by(|a, b| b.kid.cmp(&a.kid));
                keys
            })
            .unwrap_or_default();
        Jwks { keys }
    }
}

/// The authenticated caller, from the `Authorization: Bearer` header.
#[derive(Debug, Clone)]
pub struct Identity(pub Claims);

impl Identity {
    /// The caller's force, or forbidden for national roles.
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn force(&self) -> AppResult<Uuid> {
        self.0.force.ok_or(AppError::Forbidden)
    }

    /// Requires one of `roles`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl FromRequest for Identity {
    type Error = AppError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let state = req.app_data::<web::Data<crate::app::AppState>>().cloned();
        Box::pin(async move {
            let token = token.ok_or(AppError::Unauthenticated)?;
            let state = state.ok_or_else(|| AppError::internal("no app state"))?;
            // A kid we do not know may have been made by another instance.
            state.keys.learn_kid_of(&state.pool, &token).await?;
            let claims = state.keys.verify(&token)?;
            crate::accounts::service::check_not_signed_out(&state, &claims).await?;
            Ok(Identity(claims))
        })
    }
}

/// Hashes a password with argon2id and a random salt.
///
/// # Errors
/// Internal on a hashing failure.
pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Checks a password against a stored argon2 hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Argon2 verifications made by this process ([`verify_credential`]).
static VERIFICATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many password verifications this process has made (each sign-in
/// makes exactly one, whether or not the account exists).
pub fn verifications() -> u64 {
    VERIFICATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Something with a stored password hash.
pub trait HasPasswordHash {
    /// The argon2 PHC string.
    fn password_hash(&self) -> &str;
}

impl HasPasswordHash for () {
    fn password_hash(&self) -> &str {
        ""
    }
}

/// The credential when `password` matches its hash. When there is no
/// credential (unknown username or force), a hash of a random password made
/// once per process is verified instead and `None` returned, so an unknown
/// name costs one argon2 verification, as a wrong password does, and sign-in
/// timing does not tell which usernames exist (ASVS 2.2.1 / 3.x).
pub fn verify_credential<C: HasPasswordHash>(cred: Option<C>, password: &str) -> Option<C> {
    let counted = |hash: &str| {
        VERIFICATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        verify_password(password, hash)
    };
    match cred {
        Some(c) => counted(c.password_hash()).then_some(c),
        None => {
            let _ = counted(dummy_hash());
            None
        }
    }
}

/// The stand-in hash [`verify_credential`] checks for an unknown account:
/// argon2id with the same parameters as every stored hash, of a random
/// password nobody knows.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_secret(16)).unwrap_or_default())
}

/// A random secret (enrolment codes, refresh tokens), base64url.
pub fn random_secret(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a secret, hex: how secrets are stored.
pub fn secret_hash(secret: &str) -> String {
    use sha2::Digest;
    crate::accounts::keys::hex(&sha2::Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Stored(String);
    impl HasPasswordHash for Stored {
        fn password_hash(&self) -> &str {
            &self.0
        }
    }

    #[test]
    fn an_unknown_account_costs_one_verification_like_a_wrong_password() {
        let stored = Stored(hash_password("correct horse").unwrap());
        let before = verifications();
        assert!(verify_credential(Some(stored), "wrong").is_none());
        let after_wrong = verifications();
        assert!(verify_credential::<Stored>(None, "anything").is_none());
        let after_unknown = verifications();
        // Other tests may verify concurrently, so at least one each.
        assert!(after_wrong > before);
        assert!(after_unknown > after_wrong);
        // The stand-in is a real argon2id hash with the stored hashes'
        // parameters, so checking it costs what a wrong password costs.
        let dummy = dummy_hash();
        let real = hash_password("x").unwrap();
        assert!(dummy.starts_with("$argon2id$"), "{dummy}");
        assert_eq!(
            dummy.split('$').nth(3),
            real.split('$').nth(3),
            "same m, t, p"
        );
        let right = Stored(hash_password("correct horse").unwrap());
        assert!(verify_credential(Some(right), "correct horse").is_some());
    }

    #[test]
    fn argon2id_hashes_verify_only_the_right_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn unknown_kids_reload_the_keys_at_most_once_an_interval_and_only_when_well_formed() {
        let keys = KeySet::new("i".into(), "a".into(), 10);
        let t0 = Instant::now();
        // Made-up kids never reach the database.
        for kid in [
            "",
            "k-",
            "nope",
            "k-0123456789abcdeg",
            "k-0123456789ABCDEF",
            "k-0123456789abcdef0",
        ] {
            assert!(!keys.should_reload_for(kid, t0), "{kid:?}");
        }
        let kid = "k-0123456789abcdef";
        assert!(well_formed_kid(kid));
        assert!(keys.should_reload_for(kid, t0));
        // A flood within the interval: no further reloads, whatever the kid.
        assert!(!keys.should_reload_for(kid, t0 + Duration::from_secs(1)));
        assert!(!keys.should_reload_for("k-fedcba9876543210", t0 + Duration::from_secs(4)));
        // After the interval, one more.
        assert!(keys.should_reload_for(kid, t0 + UNKNOWN_KID_RELOAD));
        assert!(!keys.should_reload_for(kid, t0 + UNKNOWN_KID_RELOAD));
    }
}
