//! Classifies an HTTP request into what it touches (hunts) and what it does (read, write,
//! admin), from the method, the raw path and a few query parameters only.
//!
//! The classifier knows the Confluent path shapes, the `/contexts/{ctx}/...` prefix form and
//! context-qualified subjects (`:.hunt-42:orders-value`), decoding each path segment the way
//! the router does (so `%2F` stays inside a subject). Where a request could span hunts, or the
//! path is unknown, it asks for the widest scope ([`Scope::AllHunts`]): a gap here would be a
//! hole in hunt isolation, an over-strict answer only a 403.

use std::fmt;

use axum::http::{Method, Uri};
use percent_encoding::percent_decode_str;

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

    fn none(action: Action) -> Access {
        Access {
            action,
            scopes: Vec::new(),
        }
    }
}

/// The context named in a `/contexts/{ctx}` segment or a qualified subject.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ctx {
    /// A hunt name, or [`DEFAULT_HUNT`].
    Hunt(String),
    /// The `.__GLOBAL` context: config and mode fallback for every hunt.
    Global,
    /// Something that is not a valid context name (the registry answers 4xx); be strict.
    Invalid,
}

impl Ctx {
    fn scope(&self) -> Scope {
        match self {
            Ctx::Hunt(h) => Scope::Hunt(h.clone()),
            Ctx::Global | Ctx::Invalid => Scope::AllHunts,
        }
    }
}

/// Normalises a context as written in `/contexts/{ctx}/` or inside `:{ctx}:`:
/// `.hunt`, `hunt`, `:.hunt:` all name `hunt`; ``, `.`, `:.:` name the default context.
fn parse_context(raw: &str) -> Ctx {
    let s = raw.strip_prefix(':').unwrap_or(raw);
    let s = s.strip_suffix(':').unwrap_or(s);
    if s.is_empty() || s == "." {
        return Ctx::Hunt(DEFAULT_HUNT.to_owned());
    }
    let name = s.strip_prefix('.').unwrap_or(s);
    if name.is_empty() || name.contains(':') || name.contains('*') {
        return Ctx::Invalid;
    }
    if name == "__GLOBAL" {
        return Ctx::Global;
    }
    Ctx::Hunt(name.to_owned())
}

/// The context of a subject: its own if qualified (`:.h:name`, `:.h:`), else `None`.
fn subject_context(subject: &str) -> Option<Ctx> {
    let rest = subject.strip_prefix(':')?;
    if !rest.starts_with('.') {
        // `:*:` and other non-context prefixes are not subjects of a single hunt.
        return Some(Ctx::Invalid);
    }
    let ctx = match rest.find(':') {
        Some(end) => &rest[..end],
        None => rest,
    };
    Some(parse_context(ctx))
}

/// Scopes touched by a subject named in the path, given the `/contexts/{ctx}` prefix if any.
///
/// A qualified subject names its own hunt; the prefix's hunt is added too, so that whichever
/// way the registry combines them the principal is allowed on both.
fn subject_scopes(subject: &str, prefix: Option<&Ctx>) -> Vec<Scope> {
    let mut scopes = Vec::with_capacity(2);
    if let Some(ctx) = prefix {
        scopes.push(ctx.scope());
    }
    match subject_context(subject) {
        Some(ctx) => scopes.push(ctx.scope()),
        None if prefix.is_none() => scopes.push(Scope::hunt(DEFAULT_HUNT)),
        None => {}
    }
    scopes
}

/// Scopes of a read that the registry may answer from another hunt: a bare unqualified
/// subject (`x`, not `:.:x`, outside any `/contexts/` prefix) that the default context lacks
/// is looked up in every hunt (Confluent's fallback), so such a read needs every hunt.
fn fallback_read_scopes(subject: &str, prefix: Option<&Ctx>) -> Vec<Scope> {
    if prefix.is_none() && !subject.starts_with(':') {
        vec![Scope::AllHunts]
    } else {
        subject_scopes(subject, prefix)
    }
}

/// Scopes of a config or mode key: `""`/`:.:` is the top level, `:.__GLOBAL:` every hunt.
fn config_scopes(key: Option<&str>, prefix: Option<&Ctx>, action: Action) -> Vec<Scope> {
    match (key, prefix) {
        (None, None) => {
            // The top-level entry: reading it is reading the default context; changing it
            // may change what every hunt falls back to, so it is server-wide.
            if action == Action::Read {
                vec![Scope::hunt(DEFAULT_HUNT)]
            } else {
                vec![Scope::AllHunts]
            }
        }
        (None, Some(ctx)) => vec![ctx.scope()],
        (Some(key), prefix) => {
            if prefix.is_none() && (key.is_empty() || key == ":.:") && action != Action::Read {
                return vec![Scope::AllHunts];
            }
            subject_scopes(key, prefix)
        }
    }
}

/// Scopes of a listing filtered by a query parameter holding a subject or subject prefix.
///
/// Without a qualified value and without a path prefix the listing may span hunts.
fn query_scopes(value: Option<&str>, prefix: Option<&Ctx>) -> Vec<Scope> {
    let mut scopes = Vec::with_capacity(2);
    if let Some(ctx) = prefix {
        scopes.push(ctx.scope());
    }
    match value.and_then(subject_context) {
        Some(ctx) => scopes.push(ctx.scope()),
        None if prefix.is_none() => scopes.push(Scope::AllHunts),
        None => {}
    }
    scopes
}

/// Percent-decodes a path segment (borrowed when it has no escapes); `None` if it is not UTF-8.
fn decode_segment(seg: &str) -> Option<std::borrow::Cow<'_, str>> {
    percent_decode_str(seg).decode_utf8().ok()
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

fn method_action(method: &Method) -> Action {
    if method == Method::GET || method == Method::HEAD || method == Method::OPTIONS {
        Action::Read
    } else {
        Action::Admin
    }
}

/// The console's pages (`/ui/…`): a hunt's pages are reads of that hunt (the dry-run
/// form posts a compatibility check, a read too); the hunt list, the ID lookup, the rule
/// table and the static files need no grant of their own, and show only what the caller's
/// grants let it read. `None` for a path the console does not serve.
fn console(method: &Method, rest: &[&str]) -> Option<Access> {
    let read = method == Method::GET || method == Method::HEAD;
    match rest {
        [] | ["ids"] | ["rules"] | ["static", _] if read => Some(Access::none(Action::Read)),
        ["hunts", ctx, page @ ..] => {
            let allowed = match page {
                ["check"] => read || method == Method::POST,
                [] | ["subjects", _] | ["subjects", _, "diff"] | ["subjects", _, "versions", _] => {
                    read
                }
                _ => false,
            };
            allowed.then(|| Access::new(Action::Read, vec![parse_context(ctx).scope()]))
        }
        _ => None,
    }
}

/// Classifies a request. Never fails: what it cannot read it classifies as an action on
/// [`Scope::AllHunts`] (reads for `GET`/`HEAD`, admin otherwise).
pub fn classify(method: &Method, uri: &Uri) -> Access {
    let unknown = || Access::new(method_action(method), vec![Scope::AllHunts]);
    // The path reaching here is canonical (`routes::path` refuses dot and empty segments
    // before the auth layer): should one slip through anyway, it is placed nowhere but in
    // every hunt.
    let path = uri.path();
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    let mut segs = Vec::new();
    for raw in path.split('/').filter(|_| !path.is_empty()) {
        match decode_segment(raw) {
            Some(seg)
                if !seg.is_empty()
                    && seg != ".."
                    && (seg != "." || (segs.len() == 1 && segs[0] == "contexts")) =>
            {
                segs.push(seg)
            }
            _ => return unknown(),
        }
    }
    let segs: Vec<&str> = segs.iter().map(|s| &**s).collect();
    if let ["ui", rest @ ..] = segs.as_slice() {
        return console(method, rest).unwrap_or_else(unknown);
    }

    let (prefix, rest) = match segs.as_slice() {
        ["contexts"] => {
            return Access::new(method_action(method), vec![Scope::AllHunts]);
        }
        ["contexts", ctx] => {
            // `GET` is not an endpoint; `DELETE` removes an (empty) context.
            return Access::new(method_action(method), vec![parse_context(ctx).scope()]);
        }
        ["contexts", ctx, rest @ ..] => (Some(parse_context(ctx)), rest),
        rest => (None, rest),
    };
    let prefix = prefix.as_ref();
    let read = method == Method::GET || method == Method::HEAD;
    let m = method;

    match rest {
        // Liveness and server metadata touch no hunt.
        [] if read || m == Method::POST => Access::none(Action::Read),
        ["schemas", "types"] | ["v1", "metadata", "id" | "version"] | ["ready"] if read => {
            Access::none(Action::Read)
        }
        // Clients probe associations before serializing and need the router's 404.
        ["associations", ..] if read => Access::none(Action::Read),

        ["subjects"] if read => Access::new(
            Action::Read,
            query_scopes(query_param(uri, "subjectPrefix").as_deref(), prefix),
        ),
        ["subjects", subject] if m == Method::POST || read => {
            Access::new(Action::Read, fallback_read_scopes(subject, prefix))
        }
        ["subjects", subject] if m == Method::DELETE => {
            Access::new(Action::Admin, subject_scopes(subject, prefix))
        }
        ["subjects", subject, "versions" | "metadata"] if read => {
            Access::new(Action::Read, subject_scopes(subject, prefix))
        }
        ["subjects", subject, "versions"] if m == Method::POST => {
            Access::new(Action::Write, subject_scopes(subject, prefix))
        }
        ["subjects", subject, "versions", _version] if m == Method::DELETE => {
            Access::new(Action::Admin, subject_scopes(subject, prefix))
        }
        ["subjects", subject, "versions", _version]
        | ["subjects", subject, "versions", _version, "schema" | "referencedby"]
            if read =>
        {
            Access::new(Action::Read, fallback_read_scopes(subject, prefix))
        }
        ["compatibility", "subjects", subject, "versions"]
        | ["compatibility", "subjects", subject, "versions", _]
            if m == Method::POST =>
        {
            Access::new(Action::Read, subject_scopes(subject, prefix))
        }

        ["schemas"] if read => Access::new(
            Action::Read,
            query_scopes(query_param(uri, "subjectPrefix").as_deref(), prefix),
        ),
        // IDs are global: without a qualified `subject` the lookup may land in any hunt.
        ["schemas", "ids", _id] | ["schemas", "ids", _id, "schema" | "subjects" | "versions"]
            if read =>
        {
            Access::new(
                Action::Read,
                query_scopes(query_param(uri, "subject").as_deref(), prefix),
            )
        }

        // GUIDs are content hashes, context-free: the lookup may land in any hunt unless a
        // qualified `subject` (or the `/contexts/` prefix, which adds one) confines it.
        ["schemas", "guids", _guid] | ["schemas", "guids", _guid, "ids"] if read => Access::new(
            Action::Read,
            query_scopes(query_param(uri, "subject").as_deref(), prefix),
        ),

        ["config" | "mode"] => {
            let action = if read { Action::Read } else { Action::Admin };
            Access::new(action, config_scopes(None, prefix, action))
        }
        ["config" | "mode", key] => {
            let action = if read { Action::Read } else { Action::Admin };
            Access::new(action, config_scopes(Some(key), prefix, action))
        }

        _ => unknown(),
    }
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
        check("GET", "/subjects/:*:x/versions", Read, &[AllHunts]);
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
    fn a_qualified_subject_under_another_prefix_needs_both() {
        check(
            "POST",
            "/contexts/.a/subjects/:.b:x/versions",
            Write,
            &[hunt("a"), hunt("b")],
        );
        check(
            "GET",
            "/contexts/.a/schemas/ids/1?subject=:.b:x",
            Read,
            &[hunt("a"), hunt("b")],
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
            &[hunt("a"), hunt("b")],
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
