//! The HTTP surface: the router built from the endpoint table ([`endpoints`]), JSON 404/405
//! fallbacks, and the metrics middleware. Paths reach the table only through [`path`], the one reading of a request
//! path (dot and empty segments refused, the `/contexts/{ctx}/…` prefix rewritten), which
//! the auth layer sees too.

mod accept;
mod compatibility;
mod config;
mod contexts;
pub(crate) mod endpoints;
mod lock;
pub(crate) mod path;
mod schemas;
mod subjects;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::MethodRouter;
use axum::Router;
use serde::Deserialize;

use crate::app::App;
use crate::error::{ApiError, ErrorCause};
use endpoints::Media;

/// Shared state of every handler: a cheap clone of the registry, which it derefs to.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = Arc<App>;

    fn deref(&self) -> &Arc<App> {
        &self.0
    }
}

/// The registry's routes behind the one reading of request paths (`path::layer`), for
/// in-process use and tests; [`crate::startup::service`] adds the security layers between.
pub fn router(state: AppState) -> Router {
    path::layer(api(state))
}

/// A Confluent resource's methods: they produce Confluent's JSON media types, negotiated
/// with `Accept` before the handler runs ([`accept`]).
fn json(methods: MethodRouter<AppState>) -> MethodRouter<AppState> {
    methods.route_layer(middleware::from_fn(accept::negotiate))
}

/// The routes alone, one per entry of [`endpoints::ENDPOINTS`]: every request must already
/// have passed [`path::layer`].
pub(crate) fn api(state: AppState) -> Router {
    let limit = state.0.config.security.limits.max_body_bytes;
    let mut router = Router::new();
    for endpoint in endpoints::ENDPOINTS {
        let handler = endpoint.method_router();
        let handler = match endpoint.media {
            Media::Json => json(handler),
            Media::Own => handler,
            Media::Console if state.0.config.ui => handler,
            Media::Console => continue,
        };
        // Entries sharing a path merge into one method router.
        router = router.route(endpoint.path, handler);
    }
    router
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// The paging parameters of a listing, `offset` and `limit`. Part of every listing's
/// [`Query`](crate::extract::Query), which handlers take before their path, as Jersey
/// converts parameters before the resource method runs: a malformed `offset` or `limit` is
/// a 404 whatever the request names.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
struct Listing {
    /// Items skipped.
    #[serde(deserialize_with = "crate::extract::int")]
    offset: Option<i64>,
    /// Items asked for, clamped to the configured maximum page size.
    #[serde(deserialize_with = "crate::extract::int")]
    limit: Option<i64>,
}

impl Listing {
    /// The page of `items` this listing asks for.
    fn of<T>(self, state: &App, items: Vec<T>) -> Vec<T> {
        let size = state.config.security.limits.page_size(self.limit);
        crate::app::paginate(items, self.offset, size)
    }
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
        assert_eq!(status, 200);
        assert!(body["guid"].is_string(), "{body}");
        assert_eq!(body["schemaType"], "PROTOBUF");
        assert_eq!(
            (body["id"].clone(), body["version"].clone()),
            (serde_json::json!(1), serde_json::json!(1))
        );
        let (status, body) = call(&router, "GET", "/subjects/%3A.h%3Am/versions/latest", "").await;
        assert_eq!(status, 200);
        assert_eq!(body["subject"], ":.h:m");
        let (status, body) = call(&router, "GET", "/nowhere", "").await;
        assert_eq!((status, body["error_code"].as_u64()), (404, Some(404)));
        let (status, body) = call(&router, "DELETE", "/schemas/types", "").await;
        assert_eq!((status, body["error_code"].as_u64()), (405, Some(405)));
    }
}
