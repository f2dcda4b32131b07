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

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Router;
use serde::Deserialize;
use tower::{Layer, Service};

use crate::app::App;
use crate::error::{ApiError, ErrorCause};
use crate::metrics::RouteStats;
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
    let limit = state.0.config.security.limits.max_body_bytes;
    path::layer(api(state).layer(DefaultBodyLimit::max(limit)))
}

/// A Confluent resource's methods: they produce Confluent's JSON media types, negotiated
/// with `Accept` before the handler runs ([`accept`]).
fn json(methods: MethodRouter<AppState>) -> MethodRouter<AppState> {
    methods.route_layer(accept::NegotiateLayer)
}

/// The routes alone, one per entry of [`endpoints::ENDPOINTS`]: every request must already
/// have passed [`path::layer`]. Every route, its 405s and the 404 fallback count their
/// requests in the metrics ([`Track`]). Bodies are not limited here: the limits layer
/// reads them and raises axum's extractor limit to match.
pub(crate) fn api(state: AppState) -> Router {
    let metrics = &state.0.metrics;
    // Entries sharing a path merge into one method router, tracked as one route.
    let mut paths: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for endpoint in endpoints::ENDPOINTS {
        let handler = endpoint.method_router();
        let handler = match endpoint.media {
            Media::Json => json(handler),
            Media::Own => handler,
            Media::Console if state.0.config.ui => handler,
            Media::Console => continue,
        };
        match paths.iter_mut().find(|(path, _)| *path == endpoint.path) {
            Some((_, methods)) => *methods = std::mem::take(methods).merge(handler),
            None => paths.push((endpoint.path, handler)),
        }
    }
    let mut router = Router::new();
    for (path, methods) in paths {
        let methods = methods
            .fallback(|| async { ApiError::MethodNotAllowed })
            .layer(Track::new(path, metrics.route(path)));
        router = router.route(path, methods);
    }
    let not_found = tower::service_fn(|_: Request| async {
        Ok::<_, Infallible>(ApiError::NotFound.into_response())
    });
    router
        .fallback_service(Track::new(UNMATCHED, metrics.route(UNMATCHED)).layer(not_found))
        .with_state(state)
}

/// The metrics name of requests no route matched.
const UNMATCHED: &str = "unmatched";

/// Records one route's request counts and latency and logs the cause of every 5xx: a
/// layer put on each route when the router is built, holding that route's counters, so a
/// request pays no lookup, allocation or boxing for its metrics.
#[derive(Debug, Clone)]
struct Track {
    route: &'static str,
    stats: Arc<RouteStats>,
}

impl Track {
    fn new(route: &'static str, stats: Arc<RouteStats>) -> Track {
        Track { route, stats }
    }
}

impl<S> Layer<S> for Track {
    type Service = Tracked<S>;

    fn layer(&self, inner: S) -> Tracked<S> {
        Tracked {
            track: self.clone(),
            inner,
        }
    }
}

/// The service [`Track`] wraps around a route.
#[derive(Debug, Clone)]
struct Tracked<S> {
    track: Track,
    inner: S,
}

impl<S> Service<Request> for Tracked<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = TrackedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        TrackedFuture {
            started: Instant::now(),
            method: req.method().clone(),
            track: self.track.clone(),
            inner: self.inner.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Tracked`]: the route's, recorded when it completes.
    struct TrackedFuture<F> {
        started: Instant,
        method: Method,
        track: Track,
        #[pin]
        inner: F,
    }
}

impl<F> Future for TrackedFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Poll::Ready(Ok(response)) = this.inner.poll(cx) else {
            return Poll::Pending;
        };
        let elapsed = this.started.elapsed();
        let (method, route) = (&*this.method, this.track.route);
        let status = response.status();
        this.track.stats.record(method, status.as_u16(), elapsed);
        tracing::debug!(%method, route, status = status.as_u16(), elapsed_us = elapsed.as_micros() as u64, "request");
        if status.is_server_error() {
            if let Some(cause) = response.extensions().get::<ErrorCause>() {
                tracing::error!(%method, route, status = status.as_u16(), cause = %cause.0, "request failed");
            }
        }
        Poll::Ready(Ok(response))
    }
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
