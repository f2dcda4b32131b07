//! The one reading of a request path, applied once in front of both the authorizer and
//! the router so that they can never disagree about where a request goes.
//!
//! * A path whose segments include `.`, `..` or an empty segment, raw or percent-encoded
//!   (`%2E%2E`), is refused with a Confluent 400: nothing normalises them later, so no
//!   reading of the path can place the request somewhere else. The one exception is the
//!   context slot of `/contexts/./…`, the default context's name, which the rewrite turns
//!   into a qualified subject before anything else reads the path.
//! * One trailing slash is dropped (`/subjects/` is `/subjects`).
//! * `/contexts/{ctx}/…` is rewritten onto the root routes as Confluent's `ContextFilter`
//!   does, by the place the endpoint table gives the route: the `{subject}` slot is
//!   qualified, a `subject`/`subjectPrefix` query parameter set, the top-level config and
//!   mode turned into the context's. `…/schemas/guids/…` gets the context's `subject` as
//!   `…/schemas/ids/…` does (Confluent leaves it alone and searches every context): under a
//!   hunt's base URL a GUID resolves in that hunt.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use axum::extract::Request;
use axum::http::Uri;
use axum::response::Response;
use axum::Router;
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use tower::Service;

use super::endpoints::{match_path, Place};
use crate::error::{Answered, ApiError};
use crate::types::Context;

/// Puts the one reading of request paths in front of `inner`, as a `Router` for in-process
/// use: every request is either refused here or reaches `inner` with its canonical path.
pub(crate) fn layer(inner: Router) -> Router {
    Router::new().fallback_service(Canonical::new(inner))
}

/// The service that reads every request's path once before `S` sees it: a request is
/// either refused (Confluent 400) or passed on with its canonical path. Hand-written so
/// that the hot path adds no allocation: the inner future is returned as it is.
#[derive(Debug, Clone)]
pub(crate) struct Canonical<S> {
    inner: S,
}

impl<S> Canonical<S> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: S) -> Canonical<S> {
        Canonical { inner }
    }
}

impl<S> Service<Request> for Canonical<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = CanonicalFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        match canonical_uri(req.uri()) {
            Ok(Some(uri)) => *req.uri_mut() = uri,
            Ok(None) => {}
            Err(e) => {
                return CanonicalFuture::Refused {
                    response: Answered::new(e),
                }
            }
        }
        CanonicalFuture::Passed {
            inner: self.inner.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Canonical`].
    #[project = CanonicalProj]
    pub(crate) enum CanonicalFuture<F> {
        /// The path was refused.
        Refused { response: Answered },
        /// The request went on.
        Passed {
            #[pin]
            inner: F,
        },
    }
}

impl<F> Future for CanonicalFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        match self.project() {
            CanonicalProj::Refused { response } => Poll::Ready(Ok(response.take())),
            CanonicalProj::Passed { inner } => inner.poll(cx),
        }
    }
}

/// The canonical form of `uri`: `Ok(None)` when it already is, `Err` when the path has dot
/// or empty segments or names an invalid context.
pub(crate) fn canonical_uri(uri: &Uri) -> Result<Option<Uri>, ApiError> {
    check_segments(uri.path())?;
    let path = uri.path();
    let needs = path.starts_with("/contexts/") || (path.len() > 1 && path.ends_with('/'));
    if needs {
        rewrite_uri(uri)
    } else {
        Ok(None)
    }
}

/// Refuses `.`, `..` and empty segments, raw or percent-encoded; one trailing slash is not
/// an empty segment.
fn check_segments(path: &str) -> Result<(), ApiError> {
    let refuse = || {
        ApiError::BadRequest(format!(
            "Invalid path {path:?}: '.', '..' and empty path segments are not allowed"
        ))
    };
    let Some(rest) = path.strip_prefix('/') else {
        return Err(refuse());
    };
    if rest.is_empty() {
        return Ok(());
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    for (i, segment) in rest.split('/').enumerate() {
        let decoded = percent_decode_str(segment).decode_utf8_lossy();
        // `/contexts/./…` names the default context (`.` is its listed name): a name slot,
        // rewritten below, never a step in the path.
        let default_context = i == 1 && decoded == "." && rest.starts_with("contexts/");
        if decoded.is_empty() || decoded == ".." || (decoded == "." && !default_context) {
            return Err(refuse());
        }
    }
    Ok(())
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// Qualifies a subject with the URL's context; `/contexts/:.:/…` names the default
/// context explicitly (`:.:x`, which does not fall back to other contexts).
fn qualify(ctx: &Context, name: &str) -> String {
    if name.starts_with(":.") {
        name.to_owned()
    } else if ctx.is_default() {
        format!(":.:{name}")
    } else {
        format!(":{}:{name}", ctx.as_str())
    }
}

/// Sets (or qualifies) one query parameter, keeping the others as they were.
fn with_param(query: Option<&str>, name: &str, ctx: &Context) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut found = false;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if decode(k) == name && !found {
            found = true;
            parts.push(format!("{k}={}", encode(&qualify(ctx, &decode(v)))));
        } else {
            parts.push(pair.to_owned());
        }
    }
    if !found {
        parts.push(format!("{name}={}", encode(&qualify(ctx, ""))));
    }
    parts.join("&")
}

fn rewrite_uri(uri: &Uri) -> Result<Option<Uri>, ApiError> {
    let mut path = uri.path().trim_end_matches('/').to_owned();
    if path.is_empty() {
        path.push('/');
    }
    let mut query = uri.query().map(str::to_owned);
    if let Some(rest) = path.strip_prefix("/contexts/") {
        let rest = rest.to_owned();
        if let Some((ctx_raw, remainder)) = rest.split_once('/') {
            let ctx_name = percent_decode_str(ctx_raw).decode_utf8().map_err(|_| {
                ApiError::BadRequest(format!("Context name {ctx_raw:?} is not UTF-8"))
            })?;
            let ctx = Context::parse(&ctx_name)?;
            let mut segments: Vec<String> = remainder.split('/').map(str::to_owned).collect();
            // What the prefix qualifies is the endpoint table's to say; a path no endpoint
            // serves is passed on unchanged, for the router's 404.
            let remainder_path = format!("/{remainder}");
            let place = match_path(&remainder_path)
                .as_ref()
                .and_then(|m| m.endpoints().next())
                .map(|e| (e.path, e.place));
            match place {
                Some((template, Place::Subject | Place::SubjectOrFallback | Place::ConfigKey)) => {
                    if let Some(i) = template.split('/').skip(1).position(|p| p == "{subject}") {
                        segments[i] = encode(&qualify(&ctx, &decode(&segments[i])));
                    }
                }
                Some((_, Place::Query(name))) => {
                    query = Some(with_param(query.as_deref(), name, &ctx));
                }
                Some((_, Place::ConfigTop)) => {
                    segments.push(encode(&format!(":{}:", ctx.as_str())));
                }
                Some((_, Place::Nowhere | Place::Everywhere | Place::Context(_))) | None => {}
            }
            path = format!("/{}", segments.join("/"));
        }
    }
    let full = match query {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path,
    };
    full.parse::<Uri>()
        .map(Some)
        .map_err(|_| ApiError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(s: &str) -> String {
        rewrite_uri(&s.parse().unwrap())
            .unwrap()
            .unwrap()
            .to_string()
    }

    #[test]
    fn context_prefix_rewrites_like_confluent() {
        assert_eq!(
            rw("/contexts/.h/subjects/orders-value/versions"),
            "/subjects/%3A%2Eh%3Aorders%2Dvalue/versions"
        );
        assert_eq!(
            rw("/contexts/h/subjects"),
            "/subjects?subjectPrefix=%3A%2Eh%3A"
        );
        assert_eq!(
            rw("/contexts/.h/schemas/ids/3?format=serialized"),
            "/schemas/ids/3?format=serialized&subject=%3A%2Eh%3A"
        );
        assert_eq!(
            rw("/contexts/.h/schemas/guids/0-1/ids"),
            "/schemas/guids/0-1/ids?subject=%3A%2Eh%3A"
        );
        assert_eq!(rw("/contexts/.h/config"), "/config/%3A%2Eh%3A");
        assert_eq!(rw("/contexts/:.:/subjects/x"), "/subjects/%3A%2E%3Ax");
        assert_eq!(
            rw("/contexts/.h/subjects/a%2Fb.proto"),
            "/subjects/%3A%2Eh%3Aa%2Fb%2Eproto"
        );
        assert_eq!(rw("/subjects/"), "/subjects");
        assert_eq!(rw("/contexts/.h"), "/contexts/.h");
        assert!(rewrite_uri(&"/contexts/a:b/subjects".parse().unwrap()).is_err());
    }

    #[test]
    fn dot_and_empty_segments_are_refused_in_every_spelling() {
        for path in [
            "/subjects/:.hunt-b:x/versions/1/../../../:.hunt-a:y/versions/1",
            "/subjects/:.hunt-b:x/versions/1/%2E%2E/%2e%2E/%2E./:.hunt-a:y/versions/1",
            "/subjects/./versions",
            "/subjects/%2E/versions",
            "/subjects//versions",
            "//subjects",
            "/subjects//",
            "/contexts/.h/subjects/../x",
            "/contexts/../subjects",
            "/contexts/.h/./subjects",
            "/./contexts",
        ] {
            let err = canonical_uri(&path.parse().unwrap()).unwrap_err();
            assert_eq!(err.error_code(), 400, "{path}");
        }
    }

    #[test]
    fn ordinary_paths_pass_and_one_trailing_slash_is_dropped() {
        assert_eq!(canonical_uri(&"/".parse().unwrap()).unwrap(), None);
        assert_eq!(
            canonical_uri(&"/subjects/a%2Fb..proto/versions".parse().unwrap()).unwrap(),
            None
        );
        assert_eq!(
            canonical_uri(&"/subjects/".parse().unwrap())
                .unwrap()
                .unwrap()
                .to_string(),
            "/subjects"
        );
        assert_eq!(
            canonical_uri(&"/contexts/./subjects/x".parse().unwrap())
                .unwrap()
                .unwrap()
                .to_string(),
            "/subjects/%3A%2E%3Ax"
        );
        assert_eq!(
            canonical_uri(&"/contexts/.h/subjects/x/versions/".parse().unwrap())
                .unwrap()
                .unwrap()
                .to_string(),
            "/subjects/%3A%2Eh%3Ax/versions"
        );
    }
}
