//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::{HttpResponse, get};
use utoipa::OpenApi;

use crate::routes;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Fatigue platform API", version = "1"),
    paths(
        routes::health::health,
        routes::health::ready,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::enrol,
        routes::auth::jwks,
        routes::admin::create_force,
        routes::admin::create_force_admin,
        routes::admin::create_analyst,
        routes::admin::rotate_keys,
        routes::force::create_account,
        routes::force::create_team,
        routes::force::list_teams,
        routes::force::set_members,
        routes::force::add_supervisor,
        routes::force::enrolment_code,
        routes::force::audit,
        routes::me::get_consent,
        routes::me::put_consent,
        routes::me::export,
        routes::me::withdraw,
        routes::sync::sync,
        routes::rosters::upload,
        routes::risk::team_risk,
        routes::risk::what_if,
        routes::risk::wellbeing,
        routes::risk::my_risk,
        routes::npws::overview,
        routes::npws::cohorts,
        routes::npws::cohorts_csv,
        routes::npws::comparisons,
        routes::npws::comparisons_csv,
        routes::reports::get_schedule,
        routes::reports::put_schedule,
        routes::reports::list,
        routes::reports::create,
        routes::reports::show,
        routes::peer_support::directory,
        routes::peer_support::put_supporter,
        routes::peer_support::delete_supporter,
        routes::peer_support::create_service,
        routes::peer_support::update_service,
        routes::peer_support::delete_service,
        routes::peer_support::create_callback,
        routes::peer_support::mine,
        routes::peer_support::assigned,
        routes::peer_support::unassigned,
        routes::peer_support::acknowledge,
        routes::peer_support::contacted,
        routes::peer_support::handover,
        routes::peer_support::cancel,
        routes::peer_support::report,
        document,
    ),
    components(schemas(crate::error::Problem))
)]
pub struct ApiDoc;

/// This document, as JSON.
#[utoipa::path(get, path = "/v1/openapi.json", responses((status = 200, description = "OpenAPI 3.1")))]
#[get("/v1/openapi.json")]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    //! The document against the code: every route `routes::configure`
    //! registers is read from the source (the `.service(..)` calls, through
    //! `web::scope` prefixes and `.configure(module::configure)`, and each
    //! handler's actix attribute) and must be in the document with its
    //! method, and every documented operation must be registered. Nothing is
    //! listed by hand here, so a new route without `#[utoipa::path]` (or
    //! left out of [`ApiDoc`]) fails this test.

    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use utoipa::OpenApi;

    use super::ApiDoc;

    const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

    fn routes_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes")
    }

    fn read(module: &str) -> String {
        let file = routes_dir().join(format!("{module}.rs"));
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
    }

    /// The text of `fn configure`'s body in `source`.
    fn configure_body(source: &str) -> &str {
        let start = source
            .find("pub fn configure")
            .expect("a `pub fn configure`");
        let open = start + source[start..].find('{').expect("its body");
        let mut depth = 0usize;
        for (i, ch) in source[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return &source[open..=open + i];
                    }
                }
                _ => {}
            }
        }
        panic!("unbalanced braces in fn configure")
    }

    /// The argument of a call starting at `text` (just after its `(`).
    fn argument(text: &str) -> &str {
        let end = text.find(')').expect("a closing parenthesis");
        text[..end].trim()
    }

    /// `(module, handler, prefix)` for every `.service(handler)` that
    /// `module`'s `configure` registers, with `web::scope` prefixes applied.
    fn registered(module: &str, prefix: &str, out: &mut Vec<(String, String, String)>) {
        let source = read(module);
        let body = configure_body(&source);
        assert!(
            !body.contains(".route(") && !body.contains("web::resource("),
            "routes/{module}.rs registers a route this test cannot read; extend the test"
        );
        // (prefix, parenthesis depth of the scope expression)
        let mut scopes: Vec<(String, usize)> = Vec::new();
        let mut depth = 0usize;
        let bytes = body.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let rest = &body[i..];
            if let Some(lit) = rest.strip_prefix("web::scope(\"") {
                let end = lit.find('"').expect("scope literal");
                scopes.push((lit[..end].to_owned(), depth));
            } else if let Some(arg) = rest.strip_prefix(".service(") {
                let arg = argument(arg);
                if !arg.starts_with("web::") {
                    let (m, f) = match arg.rsplit_once("::") {
                        Some((m, f)) => (m.to_owned(), f.to_owned()),
                        None => (module.to_owned(), arg.to_owned()),
                    };
                    let full: String = std::iter::once(prefix)
                        .chain(scopes.iter().map(|s| s.0.as_str()))
                        .collect();
                    out.push((m, f, full));
                }
            } else if let Some(arg) = rest.strip_prefix(".configure(") {
                let arg = argument(arg);
                let m = arg
                    .strip_suffix("::configure")
                    .unwrap_or_else(|| panic!("cannot follow .configure({arg})"));
                let full: String = std::iter::once(prefix)
                    .chain(scopes.iter().map(|s| s.0.as_str()))
                    .collect();
                registered(m, &full, out);
            }
            match bytes[i] {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    while scopes.last().is_some_and(|s| depth < s.1) {
                        scopes.pop();
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// The actix attribute (`#[get("/path")]` ...) on `handler` in `module`.
    fn route_of(module: &str, handler: &str) -> (String, String) {
        let source = read(module);
        let at = source
            .find(&format!("async fn {handler}("))
            .unwrap_or_else(|| panic!("routes/{module}.rs has no handler {handler}"));
        let before = &source[..at];
        METHODS
            .iter()
            .filter_map(|m| {
                let tag = format!("#[{m}(\"");
                let pos = before.rfind(&tag)?;
                // Its own attribute, not the previous handler's.
                if before[pos..].contains("fn ") {
                    return None;
                }
                let lit = &before[pos + tag.len()..];
                Some((pos, (*m).to_owned(), lit[..lit.find('"')?].to_owned()))
            })
            .max_by_key(|(pos, _, _)| *pos)
            .map(|(_, m, p)| (m, p))
            .unwrap_or_else(|| panic!("no actix route attribute on {module}::{handler}"))
    }

    /// `/a/{id}/b` and `/a/{other}/b` are one route.
    fn normalise(path: &str) -> String {
        let mut out = String::new();
        let mut in_param = false;
        for ch in path.chars() {
            match ch {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                c if !in_param => out.push(c),
                _ => {}
            }
        }
        out
    }

    fn code_routes() -> BTreeSet<(String, String)> {
        let mut handlers = Vec::new();
        registered("mod", "", &mut handlers);
        handlers
            .iter()
            .map(|(m, f, prefix)| {
                let (method, path) = route_of(m, f);
                (method, normalise(&format!("{prefix}{path}")))
            })
            .collect()
    }

    fn document_routes() -> BTreeSet<(String, String)> {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("serialisable");
        let paths = doc["paths"].as_object().expect("paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                METHODS
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(|m| ((*m).to_owned(), normalise(path)))
            })
            .collect()
    }

    #[test]
    fn every_registered_route_is_documented_and_back() {
        let code = code_routes();
        // The parser found the API, not nothing.
        assert!(
            code.len() > 40,
            "only {} routes read from the source",
            code.len()
        );
        assert!(code.contains(&("post".to_owned(), "/v1/sync".to_owned())));
        assert!(code.contains(&("get".to_owned(), "/v1/openapi.json".to_owned())));
        assert!(code.contains(&("get".to_owned(), "/health".to_owned())));
        let doc = document_routes();
        let undocumented: Vec<_> = code.difference(&doc).collect();
        assert!(
            undocumented.is_empty(),
            "registered in routes/mod.rs but missing from the OpenAPI document (add #[utoipa::path] and list it in ApiDoc): {undocumented:?}"
        );
        let unregistered: Vec<_> = doc.difference(&code).collect();
        assert!(
            unregistered.is_empty(),
            "in the OpenAPI document but not registered: {unregistered:?}"
        );
    }

    #[test]
    fn the_reader_follows_scopes_and_configure() {
        assert_eq!(
            normalise("/v1/support/supporters/{account_id}"),
            "/v1/support/supporters/{}"
        );
        let mut handlers = Vec::new();
        registered("mod", "", &mut handlers);
        let find = |f: &str| {
            handlers
                .iter()
                .find(|h| h.1 == f)
                .map(|h| (h.0.as_str(), h.2.as_str()))
        };
        assert_eq!(find("health"), Some(("health", "")));
        assert_eq!(find("sync"), Some(("sync", "/v1")));
        // Registered through `.configure(peer_support::configure)` in the scope.
        assert_eq!(find("put_supporter"), Some(("peer_support", "/v1")));
    }
}
