//! `POST /compatibility/subjects/{s}/versions[/{v}]` (Confluent spec §2.12).

use axum::extract::State;
use serde::Deserialize;

use super::AppState;
use crate::app::SchemaRequest;
use crate::auth::Caller;
use crate::dto::{CompatibilityResponse, RegisterRequest};
use crate::error::ApiError;
use crate::extract::{flag, ApiJson, Json, Query, SubjectPath, SubjectVersionPath};
use crate::types::{Subject, Version};

/// The query of a compatibility check.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CheckQuery {
    /// Answer with the findings (and a schema that does not compile as a finding).
    #[serde(deserialize_with = "flag")]
    verbose: bool,
    #[serde(deserialize_with = "flag")]
    normalize: bool,
}

/// Against every live version, at the subject's effective level.
pub(super) async fn check_all(
    State(s): State<AppState>,
    Query(q): Query<CheckQuery>,
    SubjectPath(subject): SubjectPath,
    caller: Caller,
    Json(body): Json<RegisterRequest>,
) -> Result<ApiJson<CompatibilityResponse>, ApiError> {
    run(s, subject, None, q, caller, body).await
}

/// Against one version only.
pub(super) async fn check_version(
    State(s): State<AppState>,
    Query(q): Query<CheckQuery>,
    SubjectVersionPath(subject, version): SubjectVersionPath,
    caller: Caller,
    Json(body): Json<RegisterRequest>,
) -> Result<ApiJson<CompatibilityResponse>, ApiError> {
    run(s, subject, Some(version), q, caller, body).await
}

async fn run(
    s: AppState,
    subject: Subject,
    version: Option<Version>,
    q: CheckQuery,
    caller: Caller,
    body: RegisterRequest,
) -> Result<ApiJson<CompatibilityResponse>, ApiError> {
    let req = match SchemaRequest::from_dto(body) {
        Ok(r) => r,
        Err(ApiError::InvalidSchema(msg)) if q.verbose => {
            return Ok(ApiJson(CompatibilityResponse {
                is_compatible: false,
                messages: Some(vec![msg]),
            }))
        }
        Err(e) => return Err(e),
    };
    let result = s
        .check_compatibility(subject, version, req, q.normalize, q.verbose, caller)
        .await?;
    Ok(ApiJson(CompatibilityResponse {
        is_compatible: result.is_compatible,
        messages: q.verbose.then_some(result.messages),
    }))
}
