//! `/schemas/…`: schemas by id (served from pre-rendered bytes) and by GUID, the subjects
//! and versions of an id, listing, types (Confluent spec §2.15, §2.1).

use axum::extract::State;
use axum::response::Response;

use super::AppState;
use crate::app::{qualified_references, Format, IdRendering, SubjectPrefix};
use crate::dto::{ContextId, SchemaResponse, SubjectVersion, PROTOBUF};
use crate::error::ApiError;
use crate::extract::{json_bytes, ApiJson, Params, Path};
use crate::types::{Context, Guid, SchemaId, Subject};

/// `GET /schemas/ids/{id}`: the hot path; a cache hit serves stored bytes. With a
/// `subject`, the answer names the subject and version it resolved to (8.x). On
/// PostgreSQL a hit costs one read of the committed-change count, shared by the requests
/// waiting at that moment, so a delete on another node is never answered from a stale
/// cache.
pub(super) async fn by_id(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let id = SchemaId::parse(&id)?;
    let rendering = IdRendering {
        format: Format::parse(p.get("format")),
        qualified_references: qualified_references(p.get("referenceFormat")),
    };
    // On a database other nodes write, a cached body is served only if nothing was
    // committed since it was rendered (read after this request arrived).
    let changes = match s.0.store.committed_changes() {
        Some(read) => read.await?,
        None => 0,
    };
    let body =
        s.0.schema_by_id_body(id.0, p.get("subject"), rendering, changes)?;
    Ok(json_bytes(body))
}

/// `GET /schemas/guids/{guid}` (8.x): the SchemaString of the schema with this GUID, in
/// any context (Confluent: the default context first), or only in the context of a
/// qualified `subject` (what the `/contexts/{ctx}/` prefix adds, so a hunt's base URL
/// finds its hunt's schemas with a grant on that hunt alone).
pub(super) async fn by_guid(
    State(s): State<AppState>,
    Path(guid): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let within = guid_scope(p.get("subject"))?;
    let body =
        s.0.schema_by_guid_body(&guid, within.as_ref(), Format::parse(p.get("format")))?;
    Ok(json_bytes(body.into()))
}

/// `GET /schemas/guids/{guid}/ids` (8.x): `[{"context": …, "id": …}]`, one per context
/// holding the schema (`[]` when none, as Confluent).
pub(super) async fn guid_ids(
    State(s): State<AppState>,
    Path(guid): Path<String>,
    p: Params,
) -> Result<ApiJson<Vec<ContextId>>, ApiError> {
    let within = guid_scope(p.get("subject"))?;
    let Some(guid) = Guid::parse(&guid) else {
        return Ok(ApiJson(Vec::new()));
    };
    let ids =
        s.0.guid_ids(&guid, within.as_ref())?
            .into_iter()
            .map(|(ctx, id)| ContextId {
                context: ctx.display_name().to_owned(),
                id,
            })
            .collect();
    Ok(ApiJson(ids))
}

/// The context a GUID lookup is confined to: that of a qualified `subject` (`:.h:` or
/// `:.h:x`), else none (every context).
fn guid_scope(subject: Option<&str>) -> Result<Option<Context>, ApiError> {
    match subject {
        Some(raw) if raw.starts_with(":.") => Ok(Some(Subject::parse(raw)?.context)),
        _ => Ok(None),
    }
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
