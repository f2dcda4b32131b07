//! `/huntreg/v1/…`: huntreg's own read endpoints, outside Confluent's paths. Today one:
//! a subject's versions in the lockfile's form, for `huntreg pull`.

use axum::extract::State;

use super::AppState;
use crate::app::LockView;
use crate::error::ApiError;
use crate::extract::{ApiJson, Params, Path};
use crate::types::Subject;

/// `GET /huntreg/v1/subjects/{s}/lock?after=N`: every version's ID and soft-delete state,
/// and the versions after `N` (default 0: all) with their references, message order,
/// text digest and text as a patch on the version before (`crate::app::LockView`).
pub(super) async fn subject_lock(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    p: Params,
) -> Result<ApiJson<LockView>, ApiError> {
    let subject = Subject::parse(&subject)?;
    let after = match p.get("after") {
        None => 0,
        Some(raw) => raw.parse::<u32>().map_err(|_| {
            ApiError::BadRequest(format!(
                "after must be a version number (0 or more), not '{raw}'"
            ))
        })?,
    };
    // Reading a long history's versions takes a while: off the async workers.
    let app = s.0.clone();
    tokio::task::spawn_blocking(move || app.lock_rows(&subject, after))
        .await
        .map_err(|e| ApiError::Internal(format!("lockfile rows: {e}")))?
        .map(ApiJson)
}
