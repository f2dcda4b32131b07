//! `/subjects/…`: listing, register, lookup, versions, deletes, referencedby, metadata
//! (Confluent spec §2.2–§2.11).

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::app::{qualified_references, Deleted, Format, SchemaRequest, SubjectPrefix};
use crate::auth::Caller;
use crate::dto::{RegisterRequest, RegisterResponse, PROTOBUF};
use crate::error::ApiError;
use crate::extract::{ApiJson, Json, Params, Path};
use crate::types::{Subject, Version};

/// `GET /subjects` (spec §2.2).
pub(super) async fn list(
    State(s): State<AppState>,
    p: Params,
) -> Result<ApiJson<Vec<String>>, ApiError> {
    let page = super::page(&s, &p)?;
    let prefix = SubjectPrefix::parse(p.get("subjectPrefix"))?;
    let deleted = Deleted::from_flags(p.flag("deleted"), p.flag("deletedOnly"));
    let subjects = s.0.list_subjects(&prefix, deleted)?;
    Ok(ApiJson(page.of(subjects)))
}

/// `POST /subjects/{s}/versions` (spec §2.6, §4.4).
pub(super) async fn register(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    p: Params,
    caller: Caller,
    Json(body): Json<RegisterRequest>,
) -> Result<ApiJson<RegisterResponse>, ApiError> {
    let subject = Subject::parse(&subject)?;
    let ctx = subject.context.clone();
    let req = SchemaRequest::from_dto(body)?;
    let outcome =
        s.0.register(subject, req, p.flag("normalize"), p.flag("force"), caller)
            .await?;
    if outcome.created {
        s.0.forget_rendered(outcome.id);
    }
    let record = s.0.schema_record(&ctx, outcome.id)?;
    Ok(ApiJson(RegisterResponse {
        id: outcome.id,
        version: outcome.version,
        guid: record.as_deref().and_then(crate::app::guid),
        schema_type: PROTOBUF.into(),
    }))
}

/// `POST /subjects/{s}`: look a schema up under a subject (spec §2.3).
pub(super) async fn lookup(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    p: Params,
    caller: Caller,
    Json(body): Json<RegisterRequest>,
) -> Result<Response, ApiError> {
    let subject = Subject::parse(&subject)?;
    let req = SchemaRequest::from_dto(body)?;
    let view =
        s.0.lookup(subject, req, p.flag("normalize"), p.flag("deleted"), caller)
            .await?;
    Ok(ApiJson(view.to_response(Format::parse(p.get("format")))).into_response())
}

/// `DELETE /subjects/{s}` (spec §2.4).
pub(super) async fn delete_subject(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    p: Params,
) -> Result<ApiJson<Vec<u32>>, ApiError> {
    let subject = Subject::parse(&subject)?;
    Ok(ApiJson(
        s.0.delete_subject(subject, p.flag("permanent")).await?,
    ))
}

/// `GET /subjects/{s}/versions` (spec §2.5; 8.x `deletedAsNegative`).
pub(super) async fn versions(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let page = super::page(&s, &p)?;
    let subject = Subject::parse(&subject)?;
    let deleted = Deleted::from_flags(p.flag("deleted"), p.flag("deletedOnly"));
    if p.flag("deletedAsNegative") {
        let versions = s.0.list_versions_deleted_as_negative(&subject, deleted)?;
        return Ok(ApiJson(page.of(versions)).into_response());
    }
    let versions = s.0.list_versions(&subject, deleted)?;
    Ok(ApiJson(page.of(versions)).into_response())
}

/// `GET /subjects/{s}/metadata?key=…&value=…` (spec §2.11): the newest version with the
/// given metadata properties; see [`crate::app::App::latest_with_metadata`].
pub(super) async fn latest_with_metadata(
    State(s): State<AppState>,
    Path(subject): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let subject = Subject::parse(&subject)?;
    let keys = p.all("key");
    let values = p.all("value");
    let properties: Vec<(&str, &str)> = keys.into_iter().zip(values).collect();
    let view =
        s.0.latest_with_metadata(&subject, &properties, p.flag("deleted"))?;
    Ok(ApiJson(view.to_response(Format::parse(p.get("format")))).into_response())
}

/// `GET /subjects/{s}/versions/{v}` (spec §2.7; `referenceFormat=qualified` qualifies a
/// hunt's references).
pub(super) async fn version(
    State(s): State<AppState>,
    Path((subject, version)): Path<(String, String)>,
    p: Params,
) -> Result<Response, ApiError> {
    let version = Version::parse(&version)?;
    let subject = Subject::parse(&subject)?;
    let resolved = s.0.resolve_version(&subject, version, p.flag("deleted"))?;
    let view = s.0.view(resolved)?;
    let qualified = qualified_references(p.get("referenceFormat"));
    Ok(ApiJson(view.to_response_with(Format::parse(p.get("format")), qualified)).into_response())
}

/// `GET /subjects/{s}/versions/{v}/schema`: the schema itself, not JSON-quoted (spec §2.8).
pub(super) async fn version_raw(
    State(s): State<AppState>,
    Path((subject, version)): Path<(String, String)>,
    p: Params,
) -> Result<Response, ApiError> {
    let version = Version::parse(&version)?;
    let subject = Subject::parse(&subject)?;
    let resolved = s.0.resolve_version(&subject, version, p.flag("deleted"))?;
    let view = s.0.view(resolved)?;
    let text = crate::app::schema_text(&view.record, Format::parse(p.get("format"))).to_owned();
    Ok(crate::extract::json_bytes(text.into()))
}

/// `DELETE /subjects/{s}/versions/{v}` (spec §2.9).
pub(super) async fn delete_version(
    State(s): State<AppState>,
    Path((subject, version)): Path<(String, String)>,
    p: Params,
) -> Result<ApiJson<u32>, ApiError> {
    let version = Version::parse(&version)?;
    let subject = Subject::parse(&subject)?;
    Ok(ApiJson(
        s.0.delete_version(subject, version, p.flag("permanent"))
            .await?,
    ))
}

/// `GET /subjects/{s}/versions/{v}/referencedby` (spec §2.10).
pub(super) async fn referenced_by(
    State(s): State<AppState>,
    Path((subject, version)): Path<(String, String)>,
    p: Params,
) -> Result<ApiJson<Vec<u32>>, ApiError> {
    let page = super::page(&s, &p)?;
    let version = Version::parse(&version)?;
    let subject = Subject::parse(&subject)?;
    let resolved = s.0.resolve_version(&subject, version, p.flag("deleted"))?;
    let ids = s.0.referenced_by(&resolved, p.flag("deleted"))?;
    Ok(ApiJson(page.of(ids)))
}
