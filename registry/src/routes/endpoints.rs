//! The endpoint table: every route of the registry once, with its method, path, handler,
//! action and where it acts ([`Place`]). The router (`routes::api`), the `/contexts/{ctx}/`
//! rewrite ([`super::path`]) and the auth classification ([`crate::auth::classify`]) are all
//! derived from [`ENDPOINTS`], so a route cannot be served without an access verdict, and
//! the authorizer and the router cannot read a path two ways.

use axum::routing::{on, MethodFilter, MethodRouter};
use percent_encoding::percent_decode_str;

use super::{compatibility, config, contexts, lock, schemas, subjects, AppState};
use crate::auth::Action;
use crate::error::ApiError;

/// An HTTP method the table serves (`GET` also answers `HEAD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    /// `GET` (and `HEAD`).
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Verb {
    /// The method's name (`GET`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }

    /// The verb serving `method`: `HEAD` is served by `GET`; `None` for other methods.
    pub fn of(method: &axum::http::Method) -> Option<Verb> {
        use axum::http::Method;
        match *method {
            Method::GET | Method::HEAD => Some(Verb::Get),
            Method::POST => Some(Verb::Post),
            Method::PUT => Some(Verb::Put),
            Method::DELETE => Some(Verb::Delete),
            _ => None,
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// Where a request to an endpoint acts: the hunts the authorizer checks, and what the
/// `/contexts/{ctx}/` prefix qualifies when a request comes under a hunt's base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// No hunt's data: any authenticated caller (liveness, metadata, the console's shell).
    Nowhere,
    /// The hunt of the subject in the `{subject}` slot (the default context when the
    /// subject is unqualified). The prefix qualifies the subject.
    Subject,
    /// As [`Place::Subject`], but an unqualified subject the default context lacks is
    /// looked up in every hunt (Confluent's fallback), so it needs every hunt unless the
    /// subject is qualified (`:.:x`, `:.h:x`).
    SubjectOrFallback,
    /// A config or mode key in the `{subject}` slot: a subject's or a context's (`:.h:`);
    /// changing the top-level key (`:.:`) changes what every hunt falls back to.
    ConfigKey,
    /// The top-level config or mode: reading it reads the default context, changing it
    /// changes every hunt's fallback. The prefix turns it into the context's key.
    ConfigTop,
    /// The context in the named path slot.
    Context(&'static str),
    /// The hunt of the (qualified) subject or subject prefix in the named query parameter;
    /// every hunt without one, as the answer may then span hunts. The prefix sets it.
    Query(&'static str),
    /// Every hunt: cross-hunt listings and server-wide figures.
    Everywhere,
}

/// What an endpoint answers with, which decides the layers around its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// Confluent's JSON media types, negotiated with `Accept` before the handler runs.
    Json,
    /// Its own type (the Prometheus text format).
    Own,
    /// A console page or asset, served unless the console is turned off (`--no-ui`).
    Console,
}

/// One route: method, path (axum syntax), handler, action and place.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// The method.
    pub verb: Verb,
    /// The path, with `{name}` slots (`{*name}` takes the rest of the path).
    pub path: &'static str,
    /// What a request does.
    pub action: Action,
    /// Where it does it.
    pub place: Place,
    /// What it answers with.
    pub media: Media,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

impl Endpoint {
    /// The handler, routed for this endpoint's method.
    pub(crate) fn method_router(&self) -> MethodRouter<AppState> {
        (self.handler)(self.verb.filter())
    }
}

macro_rules! endpoint {
    ($verb:ident $path:literal, $action:ident, $place:expr, $media:ident, $handler:path) => {
        Endpoint {
            verb: Verb::$verb,
            path: $path,
            action: Action::$action,
            place: $place,
            media: $media,
            handler: |m| on(m, $handler),
        }
    };
}

use Media::{Console, Json, Own};
use Place::{
    ConfigKey, ConfigTop, Context, Everywhere, Nowhere, Query, Subject, SubjectOrFallback,
};

/// Every route of the registry.
pub static ENDPOINTS: &[Endpoint] = &[
    // Liveness and server metadata touch no hunt.
    endpoint!(Get "/", Read, Nowhere, Json, contexts::root),
    endpoint!(Post "/", Read, Nowhere, Json, contexts::root),
    endpoint!(Get "/schemas/types", Read, Nowhere, Json, schemas::types),
    endpoint!(Get "/v1/metadata/id", Read, Nowhere, Json, contexts::cluster_id),
    endpoint!(Get "/v1/metadata/version", Read, Nowhere, Json, contexts::server_version),
    // Confluent's data-contract associations are not served; clients probe them before
    // serializing and need the 404, whatever their grants.
    endpoint!(Get "/associations/{*rest}", Read, Nowhere, Json, not_served),
    // Schemas by ID and GUID: IDs are global and GUIDs content hashes, so without a
    // qualified `subject` (which the prefix adds) a lookup may land in any hunt.
    endpoint!(Get "/schemas", Read, Query("subjectPrefix"), Json, schemas::list),
    endpoint!(Get "/schemas/ids/{id}", Read, Query("subject"), Json, schemas::by_id),
    endpoint!(Get "/schemas/ids/{id}/schema", Read, Query("subject"), Json, schemas::by_id_raw),
    endpoint!(Get "/schemas/ids/{id}/subjects", Read, Query("subject"), Json, schemas::id_subjects),
    endpoint!(Get "/schemas/ids/{id}/versions", Read, Query("subject"), Json, schemas::id_versions),
    endpoint!(Get "/schemas/guids/{guid}", Read, Query("subject"), Json, schemas::by_guid),
    endpoint!(Get "/schemas/guids/{guid}/ids", Read, Query("subject"), Json, schemas::guid_ids),
    // Subjects and versions.
    endpoint!(Get "/subjects", Read, Query("subjectPrefix"), Json, subjects::list),
    endpoint!(Post "/subjects/{subject}", Read, SubjectOrFallback, Json, subjects::lookup),
    endpoint!(Delete "/subjects/{subject}", Admin, Subject, Json, subjects::delete_subject),
    endpoint!(Get "/subjects/{subject}/versions", Read, Subject, Json, subjects::versions),
    endpoint!(Post "/subjects/{subject}/versions", Write, Subject, Json, subjects::register),
    endpoint!(Get "/subjects/{subject}/metadata", Read, Subject, Json, subjects::latest_with_metadata),
    endpoint!(Get "/subjects/{subject}/versions/{version}", Read, SubjectOrFallback, Json, subjects::version),
    endpoint!(Delete "/subjects/{subject}/versions/{version}", Admin, Subject, Json, subjects::delete_version),
    endpoint!(Get "/subjects/{subject}/versions/{version}/schema", Read, SubjectOrFallback, Json, subjects::version_raw),
    endpoint!(Get "/subjects/{subject}/versions/{version}/referencedby", Read, SubjectOrFallback, Json, subjects::referenced_by),
    // huntreg's own: a subject's versions in the lockfile's form (`huntreg pull`).
    endpoint!(Get "/huntreg/v1/subjects/{subject}/lock", Read, Subject, Json, lock::subject_lock),
    // Compatibility checks are reads: they change nothing.
    endpoint!(Post "/compatibility/subjects/{subject}/versions", Read, Subject, Json, compatibility::check_all),
    endpoint!(Post "/compatibility/subjects/{subject}/versions/{version}", Read, Subject, Json, compatibility::check_version),
    // Config and mode.
    endpoint!(Get "/config", Read, ConfigTop, Json, config::get_top),
    endpoint!(Put "/config", Admin, ConfigTop, Json, config::put_top),
    endpoint!(Delete "/config", Admin, ConfigTop, Json, config::delete_top),
    endpoint!(Get "/config/{subject}", Read, ConfigKey, Json, config::get),
    endpoint!(Put "/config/{subject}", Admin, ConfigKey, Json, config::put),
    endpoint!(Delete "/config/{subject}", Admin, ConfigKey, Json, config::delete),
    endpoint!(Get "/mode", Read, ConfigTop, Json, config::get_mode_top),
    endpoint!(Put "/mode", Admin, ConfigTop, Json, config::put_mode_top),
    endpoint!(Delete "/mode", Admin, ConfigTop, Json, config::delete_mode_top),
    endpoint!(Get "/mode/{subject}", Read, ConfigKey, Json, config::get_mode),
    endpoint!(Put "/mode/{subject}", Admin, ConfigKey, Json, config::put_mode),
    endpoint!(Delete "/mode/{subject}", Admin, ConfigKey, Json, config::delete_mode),
    // Contexts and server-wide figures.
    endpoint!(Get "/contexts", Read, Everywhere, Json, contexts::list),
    endpoint!(Delete "/contexts/{context}", Admin, Context("context"), Json, contexts::delete),
    endpoint!(Get "/metrics", Read, Everywhere, Own, contexts::metrics),
    // Readiness: whether the store answers now; it names no hunt.
    endpoint!(Get "/ready", Read, Nowhere, Own, contexts::ready),
    // The console: its shell needs no grant and shows only what the caller may read; a
    // hunt's pages are reads of that hunt (the dry-run form posts a check, a read too).
    endpoint!(Get "/ui", Read, Nowhere, Console, crate::console::index),
    endpoint!(Get "/ui/static/{file}", Read, Nowhere, Console, crate::console::asset),
    endpoint!(Get "/ui/rules", Read, Nowhere, Console, crate::console::rules),
    endpoint!(Get "/ui/ids", Read, Nowhere, Console, crate::console::ids),
    endpoint!(Get "/ui/hunts/{hunt}", Read, Context("hunt"), Console, crate::console::hunt),
    endpoint!(Get "/ui/hunts/{hunt}/check", Read, Context("hunt"), Console, crate::console::check_form),
    endpoint!(Post "/ui/hunts/{hunt}/check", Read, Context("hunt"), Console, crate::console::check_submit),
    endpoint!(Get "/ui/hunts/{hunt}/subjects/{subject}", Read, Context("hunt"), Console, crate::console::subject),
    endpoint!(Get "/ui/hunts/{hunt}/subjects/{subject}/diff", Read, Context("hunt"), Console, crate::console::diff),
    endpoint!(Get "/ui/hunts/{hunt}/subjects/{subject}/versions/{version}", Read, Context("hunt"), Console, crate::console::version),
];

/// `GET /associations/…`: Confluent's data-contract associations are not served.
async fn not_served() -> ApiError {
    ApiError::NotFound
}

/// A request path matched against the table: the endpoint's path and its slots, decoded.
#[derive(Debug, Clone)]
pub(crate) struct Matched<'p> {
    /// The path template that matched.
    pub path: &'static str,
    slots: Vec<(&'static str, std::borrow::Cow<'p, str>)>,
}

impl Matched<'_> {
    /// The decoded value of slot `name`.
    pub(crate) fn slot(&self, name: &str) -> Option<&str> {
        self.slots
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| &**v)
    }

    /// The endpoint of this path serving `verb`, if any.
    pub(crate) fn endpoint(&self, verb: Verb) -> Option<&'static Endpoint> {
        ENDPOINTS
            .iter()
            .find(|e| e.path == self.path && e.verb == verb)
    }

    /// Every endpoint of this path.
    pub(crate) fn endpoints(&self) -> impl Iterator<Item = &'static Endpoint> + '_ {
        ENDPOINTS.iter().filter(|e| e.path == self.path)
    }
}

/// Matches a path (canonical, without query) against the table's paths as the router
/// does: a literal segment wins over a slot at the first position where they differ.
/// Slot values are percent-decoded segments (`%2F` stays inside a subject); `None` when
/// no path matches or a slot is not UTF-8.
pub(crate) fn match_path(path: &str) -> Option<Matched<'_>> {
    let raw = path.strip_prefix('/').unwrap_or(path);
    let segments: Vec<&str> = if raw.is_empty() {
        Vec::new()
    } else {
        raw.split('/').collect()
    };
    let mut best: Option<(u64, &Template)> = None;
    for template in templates() {
        let Some(literals) = template.literal_mask(&segments) else {
            continue;
        };
        if best.is_none_or(|(mask, _)| literals > mask) {
            best = Some((literals, template));
        }
    }
    let (_, template) = best?;
    let mut slots = Vec::new();
    for (i, part) in template.parts.iter().enumerate() {
        match part {
            Part::Literal(_) => {}
            Part::Slot(name) => {
                slots.push((*name, percent_decode_str(segments[i]).decode_utf8().ok()?));
            }
            Part::Rest(name) => {
                let rest = segments[i..].join("/");
                let value = percent_decode_str(&rest).decode_utf8().ok()?.into_owned();
                slots.push((*name, std::borrow::Cow::Owned(value)));
            }
        }
    }
    Some(Matched {
        path: template.path,
        slots,
    })
}

/// One segment of a path template.
#[derive(Debug)]
enum Part {
    Literal(&'static str),
    Slot(&'static str),
    /// `{*name}`: the rest of the path, one segment at least.
    Rest(&'static str),
}

/// A distinct path of the table, split once.
#[derive(Debug)]
struct Template {
    path: &'static str,
    parts: Vec<Part>,
}

impl Template {
    /// Whether the template matches `segments`, and if so a mask of the positions that
    /// matched a literal, the first position in the highest bit (so a larger mask is the
    /// router's choice).
    fn literal_mask(&self, segments: &[&str]) -> Option<u64> {
        let rest = matches!(self.parts.last(), Some(Part::Rest(_)));
        let fixed = self.parts.len() - usize::from(rest);
        if segments.len() < fixed + usize::from(rest) || (!rest && segments.len() != fixed) {
            return None;
        }
        let mut mask = 0u64;
        for (i, (part, segment)) in self.parts.iter().zip(segments).enumerate().take(63) {
            match part {
                Part::Literal(literal) if literal == segment => mask |= 1 << (63 - i),
                Part::Literal(_) => return None,
                Part::Slot(_) | Part::Rest(_) => {}
            }
        }
        Some(mask)
    }
}

/// The distinct paths of the table, in table order, split into parts once.
fn templates() -> &'static [Template] {
    static TEMPLATES: std::sync::OnceLock<Vec<Template>> = std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut out: Vec<Template> = Vec::new();
        for endpoint in ENDPOINTS {
            if out.iter().any(|t| t.path == endpoint.path) {
                continue;
            }
            let raw = endpoint.path.strip_prefix('/').unwrap_or(endpoint.path);
            let parts = raw
                .split('/')
                .filter(|_| !raw.is_empty())
                .map(|part| {
                    if let Some(name) = part.strip_prefix("{*").and_then(|p| p.strip_suffix('}')) {
                        Part::Rest(name)
                    } else if let Some(name) =
                        part.strip_prefix('{').and_then(|p| p.strip_suffix('}'))
                    {
                        Part::Slot(name)
                    } else {
                        Part::Literal(part)
                    }
                })
                .collect();
            out.push(Template {
                path: endpoint.path,
                parts,
            });
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample request path for a template: every slot filled.
    fn sample(template: &str) -> String {
        template
            .replace("{*rest}", "resources/x/y")
            .replace("{subject}", "s")
            .replace("{version}", "1")
            .replace("{id}", "1")
            .replace("{guid}", "g")
            .replace("{context}", ".h")
            .replace("{hunt}", "h")
            .replace("{file}", "f.css")
    }

    #[test]
    fn every_entry_is_found_by_its_own_path_and_method_and_no_other() {
        for (i, e) in ENDPOINTS.iter().enumerate() {
            let path = sample(e.path);
            let matched = match_path(&path).unwrap_or_else(|| panic!("{path} matches nothing"));
            assert_eq!(matched.path, e.path, "{path}");
            let found = matched.endpoint(e.verb).unwrap();
            assert!(
                std::ptr::eq(found, &ENDPOINTS[i]),
                "{} {path}",
                e.verb.as_str()
            );
            let twins = ENDPOINTS
                .iter()
                .filter(|o| o.path == e.path && o.verb == e.verb)
                .count();
            assert_eq!(twins, 1, "{} {} is listed twice", e.verb.as_str(), e.path);
        }
    }

    /// The `/contexts/{ctx}/` rewrite reads one place per path: the endpoints sharing a
    /// path must agree on where the hunt is named.
    #[test]
    fn endpoints_sharing_a_path_name_the_hunt_alike() {
        fn slot(place: Place) -> Place {
            match place {
                Place::SubjectOrFallback | Place::ConfigKey => Place::Subject,
                other => other,
            }
        }
        for e in ENDPOINTS {
            for o in ENDPOINTS.iter().filter(|o| o.path == e.path) {
                assert_eq!(slot(e.place), slot(o.place), "{}", e.path);
            }
        }
    }

    #[test]
    fn literals_win_over_slots_and_slots_are_decoded() {
        let m = match_path("/schemas/ids/7/schema").unwrap();
        assert_eq!(m.path, "/schemas/ids/{id}/schema");
        assert_eq!(m.slot("id"), Some("7"));
        let m = match_path("/subjects/%3A.h%3Aa%2Fb/versions/latest").unwrap();
        assert_eq!(m.slot("subject"), Some(":.h:a/b"));
        assert_eq!(m.slot("version"), Some("latest"));
        assert_eq!(match_path("/").unwrap().path, "/");
        assert_eq!(
            match_path("/associations/resources/a/b")
                .unwrap()
                .slot("rest"),
            Some("resources/a/b")
        );
        assert!(match_path("/associations").is_none());
        assert!(match_path("/subjects/s/nope").is_none());
        assert!(match_path("/subjects/%FF/versions").is_none());
    }
}
