//! `/schemas/…`: schemas by id (served from pre-rendered bytes), the subjects and versions
//! of an id, listing, types (Confluent spec §2.15, §2.1).

use axum::extract::State;
use axum::response::Response;

use super::AppState;
use crate::app::{Format, SubjectPrefix};
use crate::dto::{SchemaResponse, SubjectVersion, PROTOBUF};
use crate::error::ApiError;
use crate::extract::{json_bytes, ApiJson, Params, Path};
use crate::types::SchemaId;

/// `GET /schemas/ids/{id}`: the hot path; a cache hit serves stored bytes.
pub(super) async fn by_id(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let id = SchemaId::parse(&id)?;
    let body =
        s.0.schema_by_id_body(id.0, p.get("subject"), Format::parse(p.get("format")))?;
    Ok(json_bytes(body))
}

/// `GET /schemas/ids/{id}/schema`: the schema itself.
pub(super) async fn by_id_raw(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let id = SchemaId::parse(&id)?;
    let (_, record) = s.0.resolve_id(id.0, p.get("subject"))?;
    let text = crate::app::schema_text(&record, Format::parse(p.get("format"))).to_owned();
    Ok(json_bytes(text.into()))
}

/// `GET /schemas/ids/{id}/subjects`.
pub(super) async fn id_subjects(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<ApiJson<Vec<String>>, ApiError> {
    let page = super::page(&s, &p)?;
    let id = SchemaId::parse(&id)?;
    let mut subjects: Vec<String> =
        s.0.id_usages(id.0, p.get("subject"), p.flag("deleted"))?
            .into_iter()
            .map(|(s, _)| s.to_string())
            .collect();
    subjects.dedup();
    Ok(ApiJson(page.of(subjects)))
}

/// `GET /schemas/ids/{id}/versions`.
pub(super) async fn id_versions(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<ApiJson<Vec<SubjectVersion>>, ApiError> {
    let page = super::page(&s, &p)?;
    let id = SchemaId::parse(&id)?;
    let versions: Vec<SubjectVersion> =
        s.0.id_usages(id.0, p.get("subject"), p.flag("deleted"))?
            .into_iter()
            .map(|(s, v)| SubjectVersion {
                subject: s.to_string(),
                version: v,
            })
            .collect();
    Ok(ApiJson(page.of(versions)))
}

/// `GET /schemas`.
pub(super) async fn list(
    State(s): State<AppState>,
    p: Params,
) -> Result<ApiJson<Vec<SchemaResponse>>, ApiError> {
    let page = super::page(&s, &p)?;
    let prefix = SubjectPrefix::parse(p.get("subjectPrefix"))?;
    let format = Format::parse(p.get("format"));
    let views =
        s.0.list_schemas(&prefix, p.flag("deleted"), p.flag("latestOnly"))?;
    let all: Vec<SchemaResponse> = views.iter().map(|v| v.to_response(format)).collect();
    Ok(ApiJson(page.of(all)))
}

/// `GET /schemas/types`: only PROTOBUF is served.
pub(super) async fn types() -> ApiJson<[&'static str; 1]> {
    ApiJson([PROTOBUF])
}
