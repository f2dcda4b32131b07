//! `/contexts`, the root, server metadata and `/metrics` (Confluent spec §2.1, §2.16).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use serde::Deserialize;

use super::{AppState, Listing};
use crate::error::ApiError;
use crate::extract::{ApiJson, Path, Query};
use crate::types::Context;

/// `GET /` and `POST /`: `{}` (liveness).
pub(super) async fn root() -> ApiJson<serde_json::Value> {
    ApiJson(serde_json::json!({}))
}

/// The query of `GET /contexts`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct ListQuery {
    #[serde(flatten)]
    listing: Listing,
    context_prefix: Option<String>,
}

/// `GET /contexts`.
pub(super) async fn list(
    State(s): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<ApiJson<Vec<String>>, ApiError> {
    let contexts = s.list_contexts(q.context_prefix.as_deref())?;
    Ok(ApiJson(q.listing.of(&s, contexts)))
}

/// `DELETE /contexts/{ctx}`: 204 when empty, 42211 otherwise.
pub(super) async fn delete(
    State(s): State<AppState>,
    Path(ctx): Path<String>,
) -> Result<StatusCode, ApiError> {
    let ctx = Context::parse(&ctx)?;
    s.delete_context(ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/metadata/id`.
pub(super) async fn cluster_id() -> ApiJson<serde_json::Value> {
    ApiJson(serde_json::json!({
        "scope": {"path": [], "clusters": {"schema-registry-cluster": "huntreg"}}
    }))
}

/// `GET /v1/metadata/version`.
pub(super) async fn server_version() -> ApiJson<serde_json::Value> {
    ApiJson(serde_json::json!({"version": env!("CARGO_PKG_VERSION"), "commitId": "huntreg"}))
}

/// `GET /ready`: readiness. 200 when the store answers a read now; a Confluent-JSON 503
/// (error code 50001, the backend store's) while it does not, such as while the database
/// of a PostgreSQL-backed node is down.
pub(super) async fn ready(State(s): State<AppState>) -> Response {
    let store = s.store.clone();
    let answered = tokio::task::spawn_blocking(move || store.next_id()).await;
    match answered {
        Ok(Ok(_)) => {
            s.metrics
                .store_down
                .store(false, std::sync::atomic::Ordering::Relaxed);
            ApiJson(serde_json::json!({"status": "ready"})).into_response()
        }
        Ok(Err(e)) => {
            s.metrics
                .store_down
                .store(true, std::sync::atomic::Ordering::Relaxed);
            not_ready(&e.to_string())
        }
        Err(e) => not_ready(&e.to_string()),
    }
}

fn not_ready(why: &str) -> Response {
    let body = serde_json::json!({"error_code": 50001, "message": format!("Not ready: {why}")});
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(crate::error::CONTENT_TYPE),
    );
    response
}

/// `GET /metrics`: Prometheus text format.
pub(super) async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}
