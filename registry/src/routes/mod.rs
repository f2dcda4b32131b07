//! The HTTP surface: every endpoint in one table, the `/contexts/{ctx}/…` URL prefix
//! (rewritten before routing, as Confluent's `ContextFilter`), JSON 404/405 fallbacks,
//! and the metrics middleware.

mod compatibility;
mod config;
mod contexts;
mod schemas;
mod subjects;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::Uri;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};

use crate::app::App;
use crate::error::{ApiError, ErrorCause};
use crate::types::Context;

/// Shared state of every handler: a cheap clone of the registry.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<App>);

/// The registry's routes, with the context-prefix rewrite in front.
pub fn router(state: AppState) -> Router {
    let limit = state.0.config.security.limits.max_body_bytes;
    let api = Router::new()
        .route("/", get(contexts::root).post(contexts::root))
        .route("/schemas/types", get(schemas::types))
        .route("/schemas", get(schemas::list))
        .route("/schemas/ids/{id}", get(schemas::by_id))
        .route("/schemas/ids/{id}/schema", get(schemas::by_id_raw))
        .route("/schemas/ids/{id}/subjects", get(schemas::id_subjects))
        .route("/schemas/ids/{id}/versions", get(schemas::id_versions))
        .route("/subjects", get(subjects::list))
        .route(
            "/subjects/{subject}",
            post(subjects::lookup).delete(subjects::delete_subject),
        )
        .route(
            "/subjects/{subject}/versions",
            get(subjects::versions).post(subjects::register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(subjects::version).delete(subjects::delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(subjects::version_raw),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(subjects::referenced_by),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compatibility::check_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility::check_version),
        )
        .route(
            "/config",
            get(config::get_top)
                .put(config::put_top)
                .delete(config::delete_top),
        )
        .route(
            "/config/{subject}",
            get(config::get).put(config::put).delete(config::delete),
        )
        .route(
            "/mode",
            get(config::get_mode_top)
                .put(config::put_mode_top)
                .delete(config::delete_mode_top),
        )
        .route(
            "/mode/{subject}",
            get(config::get_mode)
                .put(config::put_mode)
                .delete(config::delete_mode),
        )
        .route("/contexts", get(contexts::list))
        .route(
            "/contexts/{context}",
            axum::routing::delete(contexts::delete),
        )
        .route("/v1/metadata/id", get(contexts::cluster_id))
        .route("/v1/metadata/version", get(contexts::server_version))
        .route("/metrics", get(contexts::metrics))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state);
    Router::new().fallback_service(tower::Layer::layer(&middleware::from_fn(rewrite), api))
}

/// The page size of a listing: the `limit` parameter clamped to the configured maximum.
fn page_size(state: &AppState, params: &crate::extract::Params) -> usize {
    state
        .0
        .config
        .security
        .limits
        .page_size(params.int("limit"))
}

/// Records per-route metrics and logs the cause of every 5xx.
async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let response = next.run(req).await;
    let status = response.status();
    let route = route.as_ref().map_or("unmatched", |r| r.as_str());
    state
        .0
        .metrics
        .record_request(route, &method, status.as_u16(), started.elapsed());
    tracing::debug!(%method, route, status = status.as_u16(), elapsed_us = started.elapsed().as_micros() as u64, "request");
    if status.is_server_error() {
        if let Some(cause) = response.extensions().get::<ErrorCause>() {
            tracing::error!(%method, route, status = status.as_u16(), cause = %cause.0, "request failed");
        }
    }
    response
}

/// Rewrites `/contexts/{ctx}/…` onto the root routes (qualifying the subject) and drops a
/// trailing slash, before routing.
async fn rewrite(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let needs = path.starts_with("/contexts/") || (path.len() > 1 && path.ends_with('/'));
    if needs {
        match rewrite_uri(req.uri()) {
            Ok(Some(uri)) => *req.uri_mut() = uri,
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
    }
    next.run(req).await
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
            let ctx = Context::parse(&decode(ctx_raw))?;
            let mut segments: Vec<String> = remainder.split('/').map(str::to_owned).collect();
            let subject_at = match segments[0].as_str() {
                "subjects" if segments.len() == 1 => {
                    query = Some(with_param(query.as_deref(), "subjectPrefix", &ctx));
                    None
                }
                "schemas" if segments.len() == 1 => {
                    query = Some(with_param(query.as_deref(), "subjectPrefix", &ctx));
                    None
                }
                "schemas" if segments.get(1).is_some_and(|s| s == "ids") => {
                    query = Some(with_param(query.as_deref(), "subject", &ctx));
                    None
                }
                "config" | "mode" if segments.len() == 1 => {
                    segments.push(encode(&format!(":{}:", ctx.as_str())));
                    None
                }
                "subjects" | "config" | "mode" => Some(1),
                "compatibility" if segments.len() > 2 => Some(2),
                _ => None,
            };
            if let Some(i) = subject_at {
                segments[i] = encode(&qualify(&ctx, &decode(&segments[i])));
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
    use axum::body::Body;
    use tower::ServiceExt;

    fn test_state(dir: &std::path::Path) -> AppState {
        let store = crate::store::SledStore::open(dir, None).unwrap();
        let config = crate::config::Config {
            data_dir: dir.to_owned(),
            ..Default::default()
        };
        AppState(Arc::new(App::new(
            Arc::new(store),
            config,
            Arc::new(crate::metrics::Metrics::default()),
        )))
    }

    async fn call(
        router: &Router,
        method: &str,
        uri: &str,
        body: &str,
    ) -> (u16, serde_json::Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body.to_owned()))
            .unwrap();
        let resp = router.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn router_answers_in_process() {
        let dir = tempfile::tempdir().unwrap();
        let router = router(test_state(dir.path()));
        let schema = r#"{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\"; message M { int32 a = 1; }"}"#;
        let (status, body) =
            call(&router, "POST", "/contexts/.h/subjects/m/versions", schema).await;
        assert_eq!(
            (status, body),
            (
                200,
                serde_json::json!({"id": 1, "version": 1, "schemaType": "PROTOBUF"})
            )
        );
        let (status, body) = call(&router, "GET", "/subjects/%3A.h%3Am/versions/latest", "").await;
        assert_eq!(status, 200);
        assert_eq!(body["subject"], ":.h:m");
        let (status, body) = call(&router, "GET", "/nowhere", "").await;
        assert_eq!((status, body["error_code"].as_u64()), (404, Some(404)));
        let (status, body) = call(&router, "DELETE", "/schemas/types", "").await;
        assert_eq!((status, body["error_code"].as_u64()), (405, Some(405)));
    }

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
}
