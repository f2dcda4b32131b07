//! `/subjects/…`: listing, register, lookup, versions, deletes, referencedby, metadata
//! (Confluent spec §2.2–§2.11).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{AppState, Listing};
use crate::app::{qualified_references, Deleted, Format, SchemaRequest, SubjectPrefix};
use crate::auth::Caller;
use crate::dto::{RegisterRequest, RegisterResponse, PROTOBUF};
use crate::error::ApiError;
use crate::extract::{flag, ApiJson, Json, Params, Query, SubjectPath, SubjectVersionPath};

/// The query of `GET /subjects`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct ListQuery {
    #[serde(flatten)]
    listing: Listing,
    subject_prefix: Option<String>,
    #[serde(deserialize_with = "flag")]
    deleted: bool,
    #[serde(deserialize_with = "flag")]
    deleted_only: bool,
}

/// `GET /subjects` (spec §2.2).
pub(super) async fn list(
    State(s): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<ApiJson<Vec<String>>, ApiError> {
    let prefix = SubjectPrefix::parse(q.subject_prefix.as_deref())?;
    let subjects = s.list_subjects(&prefix, Deleted::from_flags(q.deleted, q.deleted_only))?;
    Ok(ApiJson(q.listing.of(&s, subjects)))
}

/// The query of `POST /subjects/{s}/versions`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RegisterQuery {
    #[serde(deserialize_with = "flag")]
    normalize: bool,
    #[serde(deserialize_with = "flag")]
    force: bool,
}

/// `POST /subjects/{s}/versions` (spec §2.6, §4.4).
pub(super) async fn register(
    State(s): State<AppState>,
    Query(q): Query<RegisterQuery>,
    SubjectPath(subject): SubjectPath,
    caller: Caller,
    Json(body): Json<RegisterRequest>,
) -> Result<ApiJson<RegisterResponse>, ApiError> {
    let ctx = subject.context.clone();
    let req = SchemaRequest::from_dto(body)?;
    let outcome = s
        .register(subject, req, q.normalize, q.force, caller)
        .await?;
    if outcome.created {
        s.forget_rendered(outcome.id);
    }
    let record = s.schema_record(&ctx, outcome.id)?;
    Ok(ApiJson(RegisterResponse {
        id: outcome.id,
        version: outcome.version,
        guid: record.as_deref().and_then(crate::app::guid),
        schema_type: PROTOBUF.into(),
    }))
}

/// The query of `POST /subjects/{s}` (lookup).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LookupQuery {
    #[serde(deserialize_with = "flag")]
    normalize: bool,
    #[serde(deserialize_with = "flag")]
    deleted: bool,
    format: Option<String>,
}

/// `POST /subjects/{s}`: look a schema up under a subject (spec §2.3).
pub(super) async fn lookup(
    State(s): State<AppState>,
    Query(q): Query<LookupQuery>,
    SubjectPath(subject): SubjectPath,
    caller: Caller,
    Json(body): Json<RegisterRequest>,
) -> Result<Response, ApiError> {
    let req = SchemaRequest::from_dto(body)?;
    let view = s
        .lookup(subject, req, q.normalize, q.deleted, caller)
        .await?;
    Ok(ApiJson(view.to_response(Format::parse(q.format.as_deref()))).into_response())
}

/// The query of the deletes.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DeleteQuery {
    #[serde(deserialize_with = "flag")]
    permanent: bool,
}

/// `DELETE /subjects/{s}` (spec §2.4).
pub(super) async fn delete_subject(
    State(s): State<AppState>,
    Query(q): Query<DeleteQuery>,
    SubjectPath(subject): SubjectPath,
) -> Result<ApiJson<Vec<u32>>, ApiError> {
    Ok(ApiJson(s.delete_subject(subject, q.permanent).await?))
}

/// The query of `GET /subjects/{s}/versions`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct VersionsQuery {
    #[serde(flatten)]
    listing: Listing,
    #[serde(deserialize_with = "flag")]
    deleted: bool,
    #[serde(deserialize_with = "flag")]
    deleted_only: bool,
    #[serde(deserialize_with = "flag")]
    deleted_as_negative: bool,
}

/// `GET /subjects/{s}/versions` (spec §2.5; 8.x `deletedAsNegative`).
pub(super) async fn versions(
    State(s): State<AppState>,
    Query(q): Query<VersionsQuery>,
    SubjectPath(subject): SubjectPath,
) -> Result<Response, ApiError> {
    let deleted = Deleted::from_flags(q.deleted, q.deleted_only);
    if q.deleted_as_negative {
        let versions = s.list_versions_deleted_as_negative(&subject, deleted)?;
        return Ok(ApiJson(q.listing.of(&s, versions)).into_response());
    }
    let versions = s.list_versions(&subject, deleted)?;
    Ok(ApiJson(q.listing.of(&s, versions)).into_response())
}

/// `GET /subjects/{s}/metadata?key=…&value=…` (spec §2.11): the newest version with the
/// given metadata properties; see [`crate::app::App::latest_with_metadata`]. The keys and
/// values repeat, so they are read untyped.
pub(super) async fn latest_with_metadata(
    State(s): State<AppState>,
    p: Params,
    SubjectPath(subject): SubjectPath,
) -> Result<Response, ApiError> {
    let keys = p.all("key");
    let values = p.all("value");
    let properties: Vec<(&str, &str)> = keys.into_iter().zip(values).collect();
    let view = s.latest_with_metadata(&subject, &properties, p.flag("deleted"))?;
    Ok(ApiJson(view.to_response(Format::parse(p.get("format")))).into_response())
}

/// The query of `GET /subjects/{s}/versions/{v}[/schema]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct VersionQuery {
    #[serde(deserialize_with = "flag")]
    deleted: bool,
    format: Option<String>,
    reference_format: Option<String>,
}

/// `GET /subjects/{s}/versions/{v}` (spec §2.7; `referenceFormat=qualified` qualifies a
/// hunt's references).
pub(super) async fn version(
    State(s): State<AppState>,
    Query(q): Query<VersionQuery>,
    SubjectVersionPath(subject, version): SubjectVersionPath,
) -> Result<Response, ApiError> {
    let resolved = s.resolve_version(&subject, version, q.deleted)?;
    let view = s.view(resolved)?;
    let qualified = qualified_references(q.reference_format.as_deref());
    let format = Format::parse(q.format.as_deref());
    Ok(ApiJson(view.to_response_with(format, qualified)).into_response())
}

/// `GET /subjects/{s}/versions/{v}/schema`: the schema itself, not JSON-quoted (spec §2.8).
pub(super) async fn version_raw(
    State(s): State<AppState>,
    Query(q): Query<VersionQuery>,
    SubjectVersionPath(subject, version): SubjectVersionPath,
) -> Result<Response, ApiError> {
    let resolved = s.resolve_version(&subject, version, q.deleted)?;
    let view = s.view(resolved)?;
    let format = Format::parse(q.format.as_deref());
    let text = crate::app::schema_text(&view.record, format).to_owned();
    Ok(crate::extract::json_bytes(text.into()))
}

/// `DELETE /subjects/{s}/versions/{v}` (spec §2.9).
pub(super) async fn delete_version(
    State(s): State<AppState>,
    Query(q): Query<DeleteQuery>,
    SubjectVersionPath(subject, version): SubjectVersionPath,
) -> Result<ApiJson<u32>, ApiError> {
    Ok(ApiJson(
        s.delete_version(subject, version, q.permanent).await?,
    ))
}

/// The query of `GET /subjects/{s}/versions/{v}/referencedby`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ReferencedByQuery {
    #[serde(flatten)]
    listing: Listing,
    #[serde(deserialize_with = "flag")]
    deleted: bool,
}

/// `GET /subjects/{s}/versions/{v}/referencedby` (spec §2.10).
pub(super) async fn referenced_by(
    State(s): State<AppState>,
    Query(q): Query<ReferencedByQuery>,
    SubjectVersionPath(subject, version): SubjectVersionPath,
) -> Result<ApiJson<Vec<u32>>, ApiError> {
    let resolved = s.resolve_version(&subject, version, q.deleted)?;
    let ids = s.referenced_by(&resolved, q.deleted)?;
    Ok(ApiJson(q.listing.of(&s, ids)))
}
