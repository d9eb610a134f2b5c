//! The conversation with a force's identity provider, through the
//! `openidconnect` crate: discovery (with the provider's keys), the
//! authorisation request (PKCE S256, state, nonce), the code exchange and
//! the ID token's checks. Blocking HTTP (ureq): callers run these on
//! actix's blocking pool.

use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IdToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};

/// How long one request to a provider may take.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The signature algorithms an ID token may use: asymmetric only, so a
/// token is checked with the provider's published keys and never with the
/// client secret (HS256), and `none` is refused.
pub const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 5] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Why a sign-in through a provider was refused. The code is shown on the
/// refusal page and logged; it names no person and no token content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The provider answered the callback with an error (the person
    /// cancelled, or the provider refused them).
    ProviderError,
    /// The callback's state is not the one this browser was sent with.
    StateMismatch,
    /// No sign-in under way has this state: used already, or never made.
    StateUnknown,
    /// The sign-in took longer than [`super::store::LOGIN_MINUTES`].
    StateExpired,
    /// The provider could not be reached or its discovery document is wrong.
    Discovery,
    /// The code exchange failed (bad code, PKCE verifier, client secret).
    Exchange,
    /// The token response had no ID token.
    NoIdToken,
    /// The ID token's signature does not verify with the provider's keys,
    /// or uses an algorithm not in [`ALLOWED_ALGS`].
    BadSignature,
    /// The ID token is not for this client (`aud`, `azp`).
    WrongAudience,
    /// The ID token's issuer is not the configured one.
    WrongIssuer,
    /// The ID token's nonce is missing or not the one sent.
    Nonce,
    /// The ID token has expired (or was issued in the future).
    Expired,
    /// The ID token failed another check.
    InvalidToken,
    /// No value of the role claim is in the force's role map.
    NoRole,
}

impl Refusal {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::ProviderError => "provider_error",
            Refusal::StateMismatch => "state_mismatch",
            Refusal::StateUnknown => "state_unknown",
            Refusal::StateExpired => "state_expired",
            Refusal::Discovery => "discovery_failed",
            Refusal::Exchange => "code_exchange_failed",
            Refusal::NoIdToken => "no_id_token",
            Refusal::BadSignature => "bad_signature",
            Refusal::WrongAudience => "wrong_audience",
            Refusal::WrongIssuer => "wrong_issuer",
            Refusal::Nonce => "nonce_mismatch",
            Refusal::Expired => "token_expired",
            Refusal::InvalidToken => "invalid_id_token",
            Refusal::NoRole => "no_mapped_role",
        }
    }

    /// The refusal a failed ID-token check is.
    pub fn of_claims_error(e: &ClaimsVerificationError) -> Refusal {
        match e {
            ClaimsVerificationError::SignatureVerification(_) => Refusal::BadSignature,
            ClaimsVerificationError::InvalidAudience(_) => Refusal::WrongAudience,
            ClaimsVerificationError::InvalidIssuer(_) => Refusal::WrongIssuer,
            ClaimsVerificationError::InvalidNonce(_) => Refusal::Nonce,
            ClaimsVerificationError::Expired(_) => Refusal::Expired,
            _ => Refusal::InvalidToken,
        }
    }
}

/// Every claim of the ID token beside the standard ones, so the force's
/// role claim can be read whatever its name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OtherClaims {
    /// The claims by name.
    #[serde(flatten)]
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

type RoleIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// The client side of one force's provider.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Issuer URL.
    pub issuer: String,
    /// Client id.
    pub client_id: String,
    /// Client secret, for a confidential client.
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back.
    pub redirect_uri: String,
    /// Scopes besides `openid`.
    pub extra_scopes: Vec<String>,
}

/// The HTTP client for providers: no redirects followed (a provider that
/// redirects its discovery or token endpoint is refused, so a configured
/// issuer cannot bounce the server elsewhere), and a timeout.
fn agent() -> openidconnect::ureq::Agent {
    openidconnect::ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(HTTP_TIMEOUT)
        .build()
}

/// Fetches the provider's discovery document and its keys (JWKS); the
/// document's `issuer` must be `issuer` exactly.
///
/// # Errors
/// A message for the operator's log and the admin's form.
pub fn discover(issuer: &str) -> Result<CoreProviderMetadata, String> {
    let url = IssuerUrl::new(issuer.to_owned()).map_err(|e| format!("issuer URL: {e}"))?;
    CoreProviderMetadata::discover(&url, &agent()).map_err(|e| {
        let detail = match &e {
            openidconnect::DiscoveryError::Validation(m)
            | openidconnect::DiscoveryError::Other(m) => m.clone(),
            other => other.to_string(),
        };
        format!("discovery at {issuer}: {detail}")
    })
}

fn client(
    meta: CoreProviderMetadata,
    s: &ClientSettings,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    String,
> {
    let redirect = RedirectUrl::new(s.redirect_uri.clone()).map_err(|e| e.to_string())?;
    Ok(CoreClient::from_provider_metadata(
        meta,
        ClientId::new(s.client_id.clone()),
        s.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(redirect))
}

/// A sign-in to start: where to send the browser, and what the callback
/// needs (state, nonce, PKCE verifier).
#[derive(Debug)]
pub struct Authorisation {
    /// The provider's authorisation URL with every parameter.
    pub url: String,
    /// The state (sent in the URL; also in the browser's cookie).
    pub state: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier (its S256 challenge is in the URL).
    pub pkce_verifier: String,
}

/// The authorisation request: code flow, PKCE S256, fresh random state and
/// nonce, scope `openid` and the extra scopes.
///
/// # Errors
/// Discovery failed, or a setting is not a URL.
pub fn authorise(s: &ClientSettings) -> Result<Authorisation, String> {
    let meta = discover(&s.issuer)?;
    let client = client(meta, s)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in &s.extra_scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = request.url();
    Ok(Authorisation {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct Verified {
    /// `iss` (the configured issuer: checked).
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// The values of the role claim (a string or an array of strings).
    pub roles: Vec<String>,
}

/// Exchanges the code (with the PKCE verifier and, for a confidential
/// client, the secret), then checks the ID token: signature with the
/// provider's published keys and an allowed algorithm, `iss`, `aud` (and
/// `azp`), `exp`, and the nonce sent with this sign-in.
///
/// # Errors
/// The [`Refusal`], and a detail for the log.
pub fn redeem(
    s: &ClientSettings,
    code: &str,
    pkce_verifier: &str,
    nonce: &str,
    role_claim: &str,
) -> Result<Verified, (Refusal, String)> {
    let meta = discover(&s.issuer).map_err(|e| (Refusal::Discovery, e))?;
    let client = client(meta, s).map_err(|e| (Refusal::Discovery, e))?;
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| (Refusal::Discovery, e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request(&agent())
        .map_err(|e| (Refusal::Exchange, e.to_string()))?;
    // Read only to know the token type was sent; the ID token is what counts.
    let _ = response.token_type();
    let raw = response
        .id_token()
        .ok_or((Refusal::NoIdToken, String::new()))?
        .to_string();
    // Parsed again with every claim kept, then verified as a whole: the
    // role is read from the same checked claims.
    let token: RoleIdToken = raw
        .parse()
        .map_err(|e: serde_json::Error| (Refusal::InvalidToken, e.to_string()))?;
    let verifier = client.id_token_verifier().set_allowed_algs(ALLOWED_ALGS);
    let expected = Nonce::new(nonce.to_owned());
    let claims = token
        .claims(&verifier, &expected)
        .map_err(|e| (Refusal::of_claims_error(&e), e.to_string()))?;
    let roles = match claims.additional_claims().claims.get(role_claim) {
        Some(serde_json::Value::String(v)) => vec![v.clone()],
        Some(serde_json::Value::Array(vs)) => vs
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Verified {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        roles,
    })
}
