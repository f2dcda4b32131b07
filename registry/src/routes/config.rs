//! `/config[/{s}]` and `/mode[/{s}]` (Confluent spec §2.13, §2.14, §3.3).

use axum::extract::State;

use serde::Deserialize;

use super::AppState;
use crate::app::ConfigView;
use crate::dto::{ConfigResponse, ConfigUpdate, ConfigUpdateResponse, ModeBody};
use crate::error::ApiError;
use crate::extract::{flag, ApiJson, Json, Query, SubjectPath};
use crate::types::{Context, Subject};

/// The query of the reads of a config or mode.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct ReadQuery {
    /// Fall back to the global setting when the subject has none.
    #[serde(deserialize_with = "flag")]
    default_to_global: bool,
}

/// The query of a mode change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ModeQuery {
    /// Change to IMPORT even though the scope holds schemas.
    #[serde(deserialize_with = "flag")]
    force: bool,
}

fn top() -> Subject {
    Subject::new(Context::default_context(), "")
}

fn get_response(v: ConfigView) -> ApiJson<ConfigResponse> {
    ApiJson(ConfigResponse {
        compatibility_level: v.level.as_str().to_owned(),
        normalize: v.normalize,
    })
}

/// `GET /config`.
pub(super) async fn get_top(
    State(s): State<AppState>,
    Query(q): Query<ReadQuery>,
) -> Result<ApiJson<ConfigResponse>, ApiError> {
    Ok(get_response(s.get_config(&top(), q.default_to_global)?))
}

/// `PUT /config`.
pub(super) async fn put_top(
    State(s): State<AppState>,
    Json(body): Json<ConfigUpdate>,
) -> Result<ApiJson<ConfigUpdateResponse>, ApiError> {
    put_inner(s, top(), body).await
}

/// `DELETE /config`.
pub(super) async fn delete_top(
    State(s): State<AppState>,
) -> Result<ApiJson<ConfigResponse>, ApiError> {
    Ok(get_response(s.delete_config(&top()).await?))
}

/// `GET /config/{s}`: 40408 without subject-level config unless `defaultToGlobal=true`.
pub(super) async fn get(
    State(s): State<AppState>,
    Query(q): Query<ReadQuery>,
    SubjectPath(subject): SubjectPath,
) -> Result<ApiJson<ConfigResponse>, ApiError> {
    Ok(get_response(s.get_config(&subject, q.default_to_global)?))
}

/// `PUT /config/{s}`.
pub(super) async fn put(
    State(s): State<AppState>,
    SubjectPath(subject): SubjectPath,
    Json(body): Json<ConfigUpdate>,
) -> Result<ApiJson<ConfigUpdateResponse>, ApiError> {
    put_inner(s, subject, body).await
}

async fn put_inner(
    s: AppState,
    subject: Subject,
    body: ConfigUpdate,
) -> Result<ApiJson<ConfigUpdateResponse>, ApiError> {
    let v = s.put_config(&subject, body).await?;
    Ok(ApiJson(ConfigUpdateResponse {
        compatibility: v.level.as_str().to_owned(),
        normalize: v.normalize,
    }))
}

/// `DELETE /config/{s}`.
pub(super) async fn delete(
    State(s): State<AppState>,
    SubjectPath(subject): SubjectPath,
) -> Result<ApiJson<ConfigResponse>, ApiError> {
    Ok(get_response(s.delete_config(&subject).await?))
}

fn mode(m: crate::types::Mode) -> ApiJson<ModeBody> {
    ApiJson(ModeBody {
        mode: m.as_str().to_owned(),
    })
}

/// `GET /mode`.
pub(super) async fn get_mode_top(
    State(s): State<AppState>,
    Query(q): Query<ReadQuery>,
) -> Result<ApiJson<ModeBody>, ApiError> {
    Ok(mode(s.get_mode(&top(), q.default_to_global)?))
}

/// `PUT /mode`.
pub(super) async fn put_mode_top(
    State(s): State<AppState>,
    Query(q): Query<ModeQuery>,
    Json(body): Json<ModeBody>,
) -> Result<ApiJson<ModeBody>, ApiError> {
    Ok(mode(s.put_mode(&top(), body, q.force).await?))
}

/// `DELETE /mode`.
pub(super) async fn delete_mode_top(
    State(s): State<AppState>,
) -> Result<ApiJson<ModeBody>, ApiError> {
    Ok(mode(s.delete_mode(&top()).await?))
}

/// `GET /mode/{s}`: 40409 without subject-level mode unless `defaultToGlobal=true`.
pub(super) async fn get_mode(
    State(s): State<AppState>,
    Query(q): Query<ReadQuery>,
    SubjectPath(subject): SubjectPath,
) -> Result<ApiJson<ModeBody>, ApiError> {
    Ok(mode(s.get_mode(&subject, q.default_to_global)?))
}

/// `PUT /mode/{s}`.
pub(super) async fn put_mode(
    State(s): State<AppState>,
    Query(q): Query<ModeQuery>,
    SubjectPath(subject): SubjectPath,
    Json(body): Json<ModeBody>,
) -> Result<ApiJson<ModeBody>, ApiError> {
    Ok(mode(s.put_mode(&subject, body, q.force).await?))
}

/// `DELETE /mode/{s}`.
pub(super) async fn delete_mode(
    State(s): State<AppState>,
    SubjectPath(subject): SubjectPath,
) -> Result<ApiJson<ModeBody>, ApiError> {
    Ok(mode(s.delete_mode(&subject).await?))
}
