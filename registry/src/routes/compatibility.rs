//! `POST /compatibility/subjects/{s}/versions[/{v}]` (Confluent spec §2.12).

use axum::extract::State;

use super::AppState;
use crate::app::SchemaRequest;
use crate::auth::Caller;
use crate::dto::{CompatibilityResponse, RegisterRequest};
use crate::error::ApiError;
use crate::extract::{ApiJson, Json, Params, Path};
use crate::types::{Subject, Version};

/// Against every live version, at the subject's effective level.
pub(super) async fn check_all(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    p: Params,
    caller: Caller,
    Json(body): Json<RegisterRequest>,
) -> Result<ApiJson<CompatibilityResponse>, ApiError> {
    run(s, subject, None, p, caller, body).await
}

/// Against one version only.
pub(super) async fn check_version(
    State(s): State<AppState>,
    Path((subject, version)): Path<(String, String)>,
    p: Params,
    caller: Caller,
    Json(body): Json<RegisterRequest>,
) -> Result<ApiJson<CompatibilityResponse>, ApiError> {
    let version = Version::parse(&version)?;
    run(s, subject, Some(version), p, caller, body).await
}

async fn run(
    s: AppState,
    subject: String,
    version: Option<Version>,
    p: Params,
    caller: Caller,
    body: RegisterRequest,
) -> Result<ApiJson<CompatibilityResponse>, ApiError> {
    let subject = Subject::parse(&subject)?;
    let verbose = p.flag("verbose");
    let req = match SchemaRequest::from_dto(body) {
        Ok(r) => r,
        Err(ApiError::InvalidSchema(msg)) if verbose => {
            return Ok(ApiJson(CompatibilityResponse {
                is_compatible: false,
                messages: Some(vec![msg]),
            }))
        }
        Err(e) => return Err(e),
    };
    let result =
        s.0.check_compatibility(subject, version, req, p.flag("normalize"), verbose, caller)
            .await?;
    Ok(ApiJson(CompatibilityResponse {
        is_compatible: result.is_compatible,
        messages: verbose.then_some(result.messages),
    }))
}
