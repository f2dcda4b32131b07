//! `/config[/{s}]` and `/mode[/{s}]` (Confluent spec §2.13, §2.14, §3.3).

use axum::extract::State;

use super::AppState;
use crate::app::ConfigView;
use crate::dto::{ConfigResponse, ConfigUpdate, ConfigUpdateResponse, ModeBody};
use crate::error::ApiError;
use crate::extract::{ApiJson, Json, Params, Path};
use crate::types::{Context, Subject};

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
    p: Params,
) -> Result<ApiJson<ConfigResponse>, ApiError> {
    Ok(get_response(
        s.0.get_config(&top(), p.flag("defaultToGlobal"))?,
    ))
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
    Ok(get_response(s.0.delete_config(&top()).await?))
}

/// `GET /config/{s}`: 40408 without subject-level config unless `defaultToGlobal=true`.
pub(super) async fn get(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    p: Params,
) -> Result<ApiJson<ConfigResponse>, ApiError> {
    let subject = Subject::parse(&subject)?;
    Ok(get_response(
        s.0.get_config(&subject, p.flag("defaultToGlobal"))?,
    ))
}

/// `PUT /config/{s}`.
pub(super) async fn put(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    Json(body): Json<ConfigUpdate>,
) -> Result<ApiJson<ConfigUpdateResponse>, ApiError> {
    put_inner(s, Subject::parse(&subject)?, body).await
}

async fn put_inner(
    s: AppState,
    subject: Subject,
    body: ConfigUpdate,
) -> Result<ApiJson<ConfigUpdateResponse>, ApiError> {
    let v = s.0.put_config(&subject, body).await?;
    Ok(ApiJson(ConfigUpdateResponse {
        compatibility: v.level.as_str().to_owned(),
        normalize: v.normalize,
    }))
}

/// `DELETE /config/{s}`.
pub(super) async fn delete(
    State(s): State<AppState>,
    Path(subject): Path<String>,
) -> Result<ApiJson<ConfigResponse>, ApiError> {
    let subject = Subject::parse(&subject)?;
    Ok(get_response(s.0.delete_config(&subject).await?))
}

fn mode(m: crate::types::Mode) -> ApiJson<ModeBody> {
    ApiJson(ModeBody {
        mode: m.as_str().to_owned(),
    })
}

/// `GET /mode`.
pub(super) async fn get_mode_top(
    State(s): State<AppState>,
    p: Params,
) -> Result<ApiJson<ModeBody>, ApiError> {
    Ok(mode(s.0.get_mode(&top(), p.flag("defaultToGlobal"))?))
}

/// `PUT /mode`.
pub(super) async fn put_mode_top(
    State(s): State<AppState>,
    p: Params,
    Json(body): Json<ModeBody>,
) -> Result<ApiJson<ModeBody>, ApiError> {
    Ok(mode(s.0.put_mode(&top(), body, p.flag("force")).await?))
}

/// `DELETE /mode`.
pub(super) async fn delete_mode_top(
    State(s): State<AppState>,
) -> Result<ApiJson<ModeBody>, ApiError> {
    Ok(mode(s.0.delete_mode(&top()).await?))
}

/// `GET /mode/{s}`: 40409 without subject-level mode unless `defaultToGlobal=true`.
pub(super) async fn get_mode(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    p: Params,
) -> Result<ApiJson<ModeBody>, ApiError> {
    let subject = Subject::parse(&subject)?;
    Ok(mode(s.0.get_mode(&subject, p.flag("defaultToGlobal"))?))
}

/// `PUT /mode/{s}`.
pub(super) async fn put_mode(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    p: Params,
    Json(body): Json<ModeBody>,
) -> Result<ApiJson<ModeBody>, ApiError> {
    let subject = Subject::parse(&subject)?;
    Ok(mode(s.0.put_mode(&subject, body, p.flag("force")).await?))
}

/// `DELETE /mode/{s}`.
pub(super) async fn delete_mode(
    State(s): State<AppState>,
    Path(subject): Path<String>,
) -> Result<ApiJson<ModeBody>, ApiError> {
    let subject = Subject::parse(&subject)?;
    Ok(mode(s.0.delete_mode(&subject).await?))
}
