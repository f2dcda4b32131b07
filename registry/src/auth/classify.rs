//! Classifies an HTTP request into what it touches (hunts) and what it does (read, write,
//! admin), from the method, the path and a few query parameters only.
//!
//! Nothing here knows a path shape: the request is read as the router reads it and looked
//! up in the endpoint table ([`crate::routes::endpoints`]), whose entry gives the action and
//! the place; subjects and contexts are parsed by the handlers' own parsers. Where a request
//! could span hunts, or no endpoint serves it, it asks for the widest scope
//! ([`Scope::AllHunts`]): a gap here would be a hole in hunt isolation, an over-strict
//! answer only a 403.

use std::fmt;

use axum::http::{Method, Uri};
use percent_encoding::percent_decode_str;

use crate::routes::endpoints::{match_path, Endpoint, Matched, Place, Verb};
use crate::routes::path::canonical_uri;
use crate::types::Subject;

/// What a request does, ordered: a principal allowed an action is allowed every lesser one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Reads schemas, subjects, versions, config, mode; looks schemas up; checks compatibility.
    Read,
    /// Registers new schema versions.
    Write,
    /// Changes config and mode, deletes subjects, versions and contexts.
    Admin,
}

impl Action {
    /// The lowercase name used in config files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
            Action::Admin => "admin",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hunt name of the default context.
pub const DEFAULT_HUNT: &str = ".";

/// A set of hunts a request touches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One hunt, named without the context's leading dot (`hunt-42`); [`DEFAULT_HUNT`] (`.`)
    /// is the default context.
    Hunt(String),
    /// Every hunt: cross-hunt listings, server-wide config and mode, unknown paths.
    AllHunts,
}

impl Scope {
    fn hunt(name: &str) -> Scope {
        Scope::Hunt(name.to_owned())
    }

    /// The scope of a parsed context: its hunt, [`DEFAULT_HUNT`] for the default context,
    /// and every hunt for `.__GLOBAL` (the fallback of all of them).
    pub fn of_context(ctx: &crate::types::Context) -> Scope {
        if ctx.is_default() {
            Scope::hunt(DEFAULT_HUNT)
        } else if ctx.is_global() {
            Scope::AllHunts
        } else {
            Scope::hunt(ctx.as_str().strip_prefix('.').unwrap_or(ctx.as_str()))
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Hunt(h) if h == DEFAULT_HUNT => f.write_str("the default context"),
            Scope::Hunt(h) => write!(f, "hunt '{h}'"),
            Scope::AllHunts => f.write_str("all hunts"),
        }
    }
}

/// The classification of one request: the action, and every scope it must be allowed on.
///
/// An empty `scopes` means the request touches no hunt data (`GET /`, `/schemas/types`,
/// metadata): any authenticated principal may make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// What the request does.
    pub action: Action,
    /// Where it does it; all of them must be allowed.
    pub scopes: Vec<Scope>,
}

impl Access {
    fn new(action: Action, scopes: Vec<Scope>) -> Access {
        let mut unique: Vec<Scope> = Vec::with_capacity(scopes.len());
        for scope in scopes {
            if !unique.contains(&scope) {
                unique.push(scope);
            }
        }
        // AllHunts subsumes every single hunt.
        if unique.contains(&Scope::AllHunts) {
            unique = vec![Scope::AllHunts];
        }
        Access {
            action,
            scopes: unique,
        }
    }
}

/// The decoded value of query parameter `name` (form encoding: `+` is a space).
fn query_param(uri: &Uri, name: &str) -> Option<String> {
    let query = uri.query()?;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode_str(&key.replace('+', " "))
            .decode_utf8()
            .ok()?
            .into_owned();
        if key != name {
            return None;
        }
        percent_decode_str(&value.replace('+', " "))
            .decode_utf8()
            .ok()
            .map(|v| v.into_owned())
    })
}

/// The action of a request no endpoint serves: a read for `GET`, `HEAD` and `OPTIONS`,
/// admin otherwise.
fn method_action(method: &Method) -> Action {
    if method == Method::GET || method == Method::HEAD || method == Method::OPTIONS {
        Action::Read
    } else {
        Action::Admin
    }
}

/// The scope of a subject as the handlers parse it; every hunt when it does not parse (the
/// handler answers 4xx), or when `fallback` and the subject may be looked up in every hunt.
fn subject_scope(raw: Option<&str>, fallback: bool) -> Scope {
    match raw.map(Subject::parse) {
        Some(Ok(subject)) if !(fallback && subject.may_fall_back()) => {
            Scope::of_context(&subject.context)
        }
        _ => Scope::AllHunts,
    }
}

/// The hunts a request to `endpoint` acts in, read from the matched path and the query
/// with the parsers the handlers use.
fn scopes(endpoint: &Endpoint, matched: &Matched<'_>, uri: &Uri) -> Vec<Scope> {
    let subject = matched.slot("subject");
    let scope = match endpoint.place {
        Place::Nowhere => return Vec::new(),
        Place::Everywhere => Scope::AllHunts,
        Place::Subject => subject_scope(subject, false),
        Place::SubjectOrFallback => subject_scope(subject, true),
        Place::ConfigKey => match subject.map(Subject::parse) {
            // The top-level key (`:.:`): what every hunt falls back to.
            Some(Ok(key))
                if key.context.is_default()
                    && key.is_context_scope()
                    && endpoint.action != Action::Read =>
            {
                Scope::AllHunts
            }
            _ => subject_scope(subject, false),
        },
        Place::ConfigTop if endpoint.action == Action::Read => Scope::hunt(DEFAULT_HUNT),
        Place::ConfigTop => Scope::AllHunts,
        Place::Context(slot) => match matched.slot(slot).map(crate::types::Context::parse) {
            Some(Ok(ctx)) => Scope::of_context(&ctx),
            _ => Scope::AllHunts,
        },
        // Only a qualified value confines a listing or a lookup to one hunt.
        Place::Query(name) => match query_param(uri, name) {
            Some(value) if value.starts_with(":.") => subject_scope(Some(&value), false),
            _ => Scope::AllHunts,
        },
    };
    vec![scope]
}

/// Classifies a request. Never fails: a path that does not read, or that no endpoint
/// serves for this method, is classified as an action on [`Scope::AllHunts`] (reads for
/// `GET`/`HEAD`/`OPTIONS`, admin otherwise).
///
/// The path is first read exactly as the router reads it (`routes::path::canonical_uri`: dot and empty
/// segments refused, the `/contexts/{ctx}/` prefix rewritten), then matched against the
/// endpoint table, whose entry says what the request does and where.
pub fn classify(method: &Method, uri: &Uri) -> Access {
    let unknown = || Access::new(method_action(method), vec![Scope::AllHunts]);
    let rewritten = match canonical_uri(uri) {
        Ok(rewritten) => rewritten,
        Err(_) => return unknown(),
    };
    let uri = rewritten.as_ref().unwrap_or(uri);
    let Some(verb) = Verb::of(method) else {
        return unknown();
    };
    let Some(matched) = match_path(uri.path()) else {
        return unknown();
    };
    let Some(endpoint) = matched.endpoint(verb) else {
        return unknown();
    };
    Access::new(endpoint.action, scopes(endpoint, &matched, uri))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hunt(h: &str) -> Scope {
        Scope::Hunt(h.to_owned())
    }

    fn check(method: &str, uri: &str, action: Action, scopes: &[Scope]) {
        let method: Method = method.parse().unwrap();
        let uri: Uri = uri.parse().unwrap();
        let got = classify(&method, &uri);
        assert_eq!(
            got,
            Access {
                action,
                scopes: scopes.to_vec()
            },
            "classify({method} {uri})"
        );
    }

    use Action::{Admin, Read, Write};
    use Scope::AllHunts;

    /// Every entry of the endpoint table, asked about hunt `h`, gets its own action and
    /// place: none falls through to the verdict for paths no endpoint serves.
    #[test]
    fn every_endpoint_gets_its_own_verdict() {
        use crate::routes::endpoints::ENDPOINTS;
        for e in ENDPOINTS {
            let path = e
                .path
                .replace("{subject}", "%3A.h%3As")
                .replace("{version}", "1")
                .replace("{id}", "1")
                .replace("{guid}", "g")
                .replace("{context}", ".h")
                .replace("{hunt}", "h")
                .replace("{file}", "f.css")
                .replace("{*rest}", "resources/x");
            let uri = match e.place {
                Place::Query(name) => format!("{path}?{name}=%3A.h%3A"),
                _ => path,
            };
            let expected = match e.place {
                Place::Nowhere => vec![],
                Place::Everywhere => vec![AllHunts],
                Place::ConfigTop if e.action == Read => vec![hunt(".")],
                Place::ConfigTop => vec![AllHunts],
                _ => vec![hunt("h")],
            };
            check(e.verb.as_str(), &uri, e.action, &expected);
        }
    }

    #[test]
    fn root_and_metadata_need_no_hunt() {
        check("GET", "/", Read, &[]);
        check("POST", "/", Read, &[]);
        check("GET", "/schemas/types", Read, &[]);
        check("GET", "/v1/metadata/id", Read, &[]);
        check("GET", "/ready", Read, &[]);
        check("GET", "/contexts/.h/v1/metadata/version", Read, &[]);
        check(
            "GET",
            "/associations/resources/-/orders?resourceType=topic",
            Read,
            &[],
        );
    }

    #[test]
    fn subjects_in_the_default_context() {
        check("GET", "/subjects/orders-value/versions", Read, &[hunt(".")]);
        check(
            "GET",
            "/subjects/orders-value/metadata?key=a&value=b",
            Read,
            &[hunt(".")],
        );
        check(
            "GET",
            "/contexts/.h/subjects/x/metadata",
            Read,
            &[hunt("h")],
        );
        check(
            "DELETE",
            "/subjects/orders-value/metadata",
            Admin,
            &[AllHunts],
        );
        check(
            "POST",
            "/subjects/orders-value/versions",
            Write,
            &[hunt(".")],
        );
        check("DELETE", "/subjects/orders-value", Admin, &[hunt(".")]);
        check(
            "DELETE",
            "/subjects/orders-value/versions/3?permanent=true",
            Admin,
            &[hunt(".")],
        );
    }

    #[test]
    fn reads_that_may_fall_back_to_any_hunt_need_all_hunts() {
        // A default-context subject not found there is looked up in every hunt.
        check(
            "GET",
            "/subjects/orders-value/versions/latest",
            Read,
            &[AllHunts],
        );
        check(
            "GET",
            "/subjects/orders-value/versions/1/schema",
            Read,
            &[AllHunts],
        );
        check(
            "GET",
            "/subjects/orders-value/versions/1/referencedby",
            Read,
            &[AllHunts],
        );
        check("POST", "/subjects/orders-value", Read, &[AllHunts]);
        // The explicit default-context forms do not fall back.
        check(
            "GET",
            "/subjects/:.:orders-value/versions/1",
            Read,
            &[hunt(".")],
        );
        check(
            "GET",
            "/contexts/:.:/subjects/x/versions/1",
            Read,
            &[hunt(".")],
        );
        check("POST", "/contexts/./subjects/x", Read, &[hunt(".")]);
        // A named hunt's subject stays in its hunt.
        check(
            "GET",
            "/subjects/:.h:orders-value/versions/1",
            Read,
            &[hunt("h")],
        );
        check(
            "POST",
            "/contexts/.h/subjects/orders-value",
            Read,
            &[hunt("h")],
        );
    }

    #[test]
    fn qualified_subjects_name_their_hunt() {
        check(
            "POST",
            "/subjects/:.hunt-42:orders-value/versions",
            Write,
            &[hunt("hunt-42")],
        );
        check(
            "POST",
            "/subjects/%3A.hunt-42%3Aorders-value/versions",
            Write,
            &[hunt("hunt-42")],
        );
        check(
            "GET",
            "/subjects/%3A.hunt-42%3A/versions",
            Read,
            &[hunt("hunt-42")],
        );
        check("GET", "/subjects/:.:orders/versions", Read, &[hunt(".")]);
        check(
            "DELETE",
            "/subjects/:.h:common%2Fmoney.proto",
            Admin,
            &[hunt("h")],
        );
        // Not a context prefix: the handlers read a default-context subject named `:*:x`.
        check("GET", "/subjects/:*:x/versions", Read, &[hunt(".")]);
    }

    #[test]
    fn slashes_stay_inside_the_subject() {
        check(
            "GET",
            "/subjects/:.a:x%2F..%2F..%2Fconfig/versions",
            Read,
            &[hunt("a")],
        );
        check(
            "POST",
            "/subjects/common%2Fmoney.proto/versions",
            Write,
            &[hunt(".")],
        );
    }

    #[test]
    fn context_prefix_names_the_hunt() {
        check(
            "POST",
            "/contexts/.hunt-42/subjects/orders-value/versions",
            Write,
            &[hunt("hunt-42")],
        );
        check(
            "POST",
            "/contexts/hunt-42/subjects/orders-value/versions",
            Write,
            &[hunt("hunt-42")],
        );
        check(
            "GET",
            "/contexts/:.:/subjects/x/versions",
            Read,
            &[hunt(".")],
        );
        check(
            "GET",
            "/contexts/%3A.h%3A/subjects/x/versions",
            Read,
            &[hunt("h")],
        );
        check("GET", "/contexts/.h/subjects", Read, &[hunt("h")]);
        check("GET", "/contexts/.h/schemas", Read, &[hunt("h")]);
        check("GET", "/contexts/.h/schemas/ids/7", Read, &[hunt("h")]);
        check("GET", "/contexts/.h/config", Read, &[hunt("h")]);
        check("PUT", "/contexts/.h/config", Admin, &[hunt("h")]);
        check("PUT", "/contexts/.h/mode/x", Admin, &[hunt("h")]);
        check("DELETE", "/contexts/.h", Admin, &[hunt("h")]);
    }

    #[test]
    fn a_qualified_subject_under_another_prefix_acts_in_its_own_hunt() {
        // The prefix qualifies only what is unqualified, so the router acts in `b`.
        check(
            "POST",
            "/contexts/.a/subjects/:.b:x/versions",
            Write,
            &[hunt("b")],
        );
        check(
            "GET",
            "/contexts/.a/schemas/ids/1?subject=:.b:x",
            Read,
            &[hunt("b")],
        );
    }

    #[test]
    fn invalid_or_global_contexts_need_all_hunts() {
        check("GET", "/contexts/foo:bar/subjects", Read, &[AllHunts]);
        check("PUT", "/config/:.__GLOBAL:", Admin, &[AllHunts]);
        check("PUT", "/contexts/.__GLOBAL/config", Admin, &[AllHunts]);
        check("GET", "/contexts/%FF/subjects", Read, &[AllHunts]);
    }

    #[test]
    fn listings_across_hunts_need_all_hunts() {
        check("GET", "/subjects", Read, &[AllHunts]);
        check("GET", "/subjects?subjectPrefix=%3A*%3A", Read, &[AllHunts]);
        check(
            "GET",
            "/subjects?subjectPrefix=%3A.h%3A",
            Read,
            &[hunt("h")],
        );
        check(
            "GET",
            "/subjects?deleted=true&subjectPrefix=:.h:ord",
            Read,
            &[hunt("h")],
        );
        check("GET", "/schemas", Read, &[AllHunts]);
        check("GET", "/schemas?subjectPrefix=:.h:", Read, &[hunt("h")]);
        check("GET", "/contexts", Read, &[AllHunts]);
        check("GET", "/schemas/guids/abc", Read, &[AllHunts]);
        check("GET", "/schemas/guids/abc/ids", Read, &[AllHunts]);
    }

    #[test]
    fn ids_resolve_in_the_named_hunt_only() {
        check("GET", "/schemas/ids/1", Read, &[AllHunts]);
        check(
            "GET",
            "/schemas/ids/1?subject=orders-value",
            Read,
            &[AllHunts],
        );
        check(
            "GET",
            "/schemas/ids/1?subject=%3A.h%3Aorders-value",
            Read,
            &[hunt("h")],
        );
        check(
            "GET",
            "/schemas/ids/1/versions?subject=:.h:",
            Read,
            &[hunt("h")],
        );
        check(
            "GET",
            "/schemas/ids/1/schema?subject=:.h:x&format=serialized",
            Read,
            &[hunt("h")],
        );
    }

    #[test]
    fn guids_resolve_in_the_named_hunt_only() {
        let g = "/schemas/guids/00112233-4455-6677-8899-aabbccddeeff";
        check("GET", g, Read, &[AllHunts]);
        check(
            "GET",
            &format!("{g}?subject=orders-value"),
            Read,
            &[AllHunts],
        );
        check("GET", &format!("{g}?subject=%3A.h%3A"), Read, &[hunt("h")]);
        check("GET", &format!("{g}/ids?subject=:.h:x"), Read, &[hunt("h")]);
        check("GET", &format!("/contexts/.h{g}"), Read, &[hunt("h")]);
        check("GET", &format!("/contexts/.h{g}/ids"), Read, &[hunt("h")]);
        check(
            "GET",
            &format!("/contexts/.a{g}?subject=:.b:"),
            Read,
            &[hunt("b")],
        );
        check("DELETE", g, Admin, &[AllHunts]);
        check("GET", &format!("{g}/other"), Read, &[AllHunts]);
    }

    #[test]
    fn console_pages_are_reads_of_their_hunt() {
        check("GET", "/ui", Read, &[]);
        check("GET", "/ui/ids?q=0x9d", Read, &[]);
        check("GET", "/ui/static/console.css", Read, &[]);
        check("GET", "/ui/hunts/.h", Read, &[hunt("h")]);
        check("GET", "/ui/hunts/%3A.%3A", Read, &[hunt(".")]);
        check(
            "GET",
            "/ui/hunts/.h/subjects/a%2Fb.proto/versions/3",
            Read,
            &[hunt("h")],
        );
        check(
            "GET",
            "/ui/hunts/.h/subjects/x/diff?from=1&to=2",
            Read,
            &[hunt("h")],
        );
        check("POST", "/ui/hunts/.h/check", Read, &[hunt("h")]);
        check("GET", "/ui/hunts/.__GLOBAL", Read, &[AllHunts]);
        check("POST", "/ui", Admin, &[AllHunts]);
        check("DELETE", "/ui/hunts/.h", Admin, &[AllHunts]);
        check("GET", "/ui/hunts/.h/other", Read, &[AllHunts]);
        check("GET", "/ui/secret", Read, &[AllHunts]);
    }

    #[test]
    fn config_and_mode() {
        check("GET", "/config", Read, &[hunt(".")]);
        check("PUT", "/config", Admin, &[AllHunts]);
        check("DELETE", "/config", Admin, &[AllHunts]);
        check("GET", "/mode", Read, &[hunt(".")]);
        check("PUT", "/mode?force=true", Admin, &[AllHunts]);
        check("PUT", "/mode/:.:", Admin, &[AllHunts]);
        check(
            "GET",
            "/config/orders-value?defaultToGlobal=true",
            Read,
            &[hunt(".")],
        );
        check("PUT", "/config/orders-value", Admin, &[hunt(".")]);
        check("PUT", "/config/:.h:", Admin, &[hunt("h")]);
        check("DELETE", "/config/%3A.h%3Aorders", Admin, &[hunt("h")]);
        check("PUT", "/mode/:.h:x", Admin, &[hunt("h")]);
    }

    #[test]
    fn compatibility_checks_are_reads() {
        check(
            "POST",
            "/compatibility/subjects/x/versions/latest",
            Read,
            &[hunt(".")],
        );
        check(
            "POST",
            "/compatibility/subjects/:.h:x/versions",
            Read,
            &[hunt("h")],
        );
        check(
            "POST",
            "/contexts/.h/compatibility/subjects/x/versions/2",
            Read,
            &[hunt("h")],
        );
    }

    #[test]
    fn unknown_paths_and_methods_are_server_wide() {
        check("GET", "/nope", Read, &[AllHunts]);
        check("POST", "/nope", Admin, &[AllHunts]);
        check("PATCH", "/subjects/x/versions", Admin, &[AllHunts]);
        check("PUT", "/subjects/x", Admin, &[AllHunts]);
        check("POST", "/schemas/types", Admin, &[AllHunts]);
        check("POST", "/associations", Admin, &[AllHunts]);
    }

    #[test]
    fn trailing_slashes_are_ignored_and_dot_or_empty_segments_need_every_hunt() {
        check("GET", "/subjects/x/versions/", Read, &[hunt(".")]);
        check("POST", "//subjects//:.h:x//versions", Admin, &[AllHunts]);
        check(
            "GET",
            "/subjects/:.hunt-b:x/versions/1/../../../:.hunt-a:y/versions/1",
            Read,
            &[AllHunts],
        );
        check(
            "GET",
            "/subjects/:.hunt-b:x/versions/1/%2E%2E/%2E%2E/%2E%2E/:.hunt-a:y/versions/1",
            Read,
            &[AllHunts],
        );
    }

    #[test]
    fn paths_no_route_serves_need_every_hunt() {
        for path in [
            "/subjects/:.h:x/nope",
            "/subjects/:.h:x/versions/1/schema/more",
            "/schemas/ids/1/other",
            "/hunts/h/subjects",
            "/health",
            "/v1/metadata/other",
        ] {
            check("GET", path, Read, &[AllHunts]);
        }
        check(
            "POST",
            "/compatibility/subjects/:.h:x/versions/1/x",
            Admin,
            &[AllHunts],
        );
    }
}
