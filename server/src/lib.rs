//! The platform's server: an actix-web API over PostgreSQL (diesel) with
//! tenancy by force (row-level security), consent, pseudonymous sync, rosters
//! and the supervisor's team risk view. Every fatigue figure comes from
//! `mobile-core`. The operator binary (`src/main.rs`) runs [`cli`].
//!
//! One folder per domain, each with the same layers (docs/architecture.md):
//! `service.rs` (rules, role checks, audit), `store.rs` (SQL only),
//! `api.rs` (actix handlers and their bodies) and `pages.rs` (dashboard
//! pages). Handlers, pages, the CLI and the schedulers call services, never
//! each other.

pub mod accounts;
pub mod enrolment;
pub mod learning;
pub mod lifecycle;
pub mod npws;
pub mod oidc;
pub mod patterns;
pub mod peer_support;
pub mod reports;
pub mod risk;
pub mod rosters;
pub mod settings;
pub mod sync;

pub mod rehearsal;

pub mod app;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bench;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod embedded_pg;
pub mod error;
pub mod health;
pub mod mail;
pub mod metrics;
pub mod openapi;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod layering {
    //! The layers of docs/architecture.md, checked on the source: a domain's
    //! files never name another domain's handlers (`api`) or pages, and no
    //! store reaches up into a service, a handler or a page.

    use std::path::Path;

    const DOMAINS: [&str; 13] = [
        "accounts",
        "enrolment",
        "sync",
        "rosters",
        "risk",
        "reports",
        "npws",
        "learning",
        "peer_support",
        "settings",
        "lifecycle",
        "oidc",
        "patterns",
    ];

    fn sources(domain: &str) -> Vec<(String, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(domain);
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
        assert!(!out.is_empty(), "no sources in {}", dir.display());
        out
    }

    #[test]
    fn no_domain_names_a_sibling_domains_handlers_or_pages() {
        let mut found = Vec::new();
        for domain in DOMAINS {
            for (file, text) in sources(domain) {
                for other in DOMAINS.iter().filter(|d| **d != domain) {
                    for layer in ["api", "pages"] {
                        let path = format!("crate::{other}::{layer}");
                        if text.contains(&path) {
                            found.push(format!("{domain}/{file} names {path}"));
                        }
                    }
                }
            }
        }
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn stores_do_not_reach_up() {
        let mut found = Vec::new();
        for domain in DOMAINS {
            for (file, text) in sources(domain) {
                if file != "store.rs" {
                    continue;
                }
                let code: String = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                let mut upward: Vec<String> = ["service", "api", "pages"]
                    .iter()
                    .map(|layer| format!("super::{layer}"))
                    .collect();
                for d in DOMAINS {
                    for layer in ["service", "api", "pages"] {
                        upward.push(format!("crate::{d}::{layer}"));
                    }
                }
                upward.extend(["actix_web".to_owned(), "AppError".to_owned()]);
                for name in upward {
                    if code.contains(&name) {
                        found.push(format!("{domain}/store.rs names {name}"));
                    }
                }
            }
        }
        assert!(found.is_empty(), "{found:#?}");
    }
}
