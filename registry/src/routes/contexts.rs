//! `/contexts`, the root, server metadata and `/metrics` (Confluent spec §2.1, §2.16).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, Params, Path};
use crate::types::Context;

/// `GET /` and `POST /`: `{}` (liveness).
pub(super) async fn root() -> ApiJson<serde_json::Value> {
    ApiJson(serde_json::json!({}))
}

/// `GET /contexts`.
pub(super) async fn list(
    State(s): State<AppState>,
    p: Params,
) -> Result<ApiJson<Vec<String>>, ApiError> {
    let page = super::page(&s, &p)?;
    let contexts = s.0.list_contexts(p.get("contextPrefix"))?;
    Ok(ApiJson(page.of(contexts)))
}

/// `DELETE /contexts/{ctx}`: 204 when empty, 42211 otherwise.
pub(super) async fn delete(
    State(s): State<AppState>,
    Path(ctx): Path<String>,
) -> Result<StatusCode, ApiError> {
    let ctx = Context::parse(&ctx)?;
    s.0.delete_context(ctx).await?;
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

/// `GET /metrics`: Prometheus text format.
pub(super) async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.0.metrics.render(),
    )
        .into_response()
}
