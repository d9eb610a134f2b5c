//! Dashboard sign-in with a force's own identity provider over OpenID
//! Connect (authorisation code with PKCE, state and nonce; the ID token
//! checked against the provider's published keys; the role from a mapped
//! claim). Passwords stay for the demo and for forces without a provider.
//! docs/security.md says what is checked, docs/operations.md how a force's
//! provider is set up.

pub mod api;
pub mod pages;
pub mod provider;
pub mod service;
pub mod settings;
pub mod store;
