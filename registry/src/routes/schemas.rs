//! `/schemas/…`: schemas by id (served from pre-rendered bytes) and by GUID, the subjects
//! and versions of an id, listing, types (Confluent spec §2.15, §2.1).

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::{AppState, Listing};
use crate::app::{qualified_references, Format, IdRendering, SubjectPrefix};
use crate::dto::{ContextId, SchemaResponse, SubjectVersion, PROTOBUF};
use crate::error::ApiError;
use crate::extract::{flag, json_bytes, ApiJson, Path, Query};
use crate::types::{Context, Guid, SchemaId, Subject};

/// The query of the reads of one schema (`/schemas/ids/{id}[/schema]`,
/// `/schemas/guids/{guid}[/ids]`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct SchemaQuery {
    /// The subject the ID is looked up in (8.x; qualified, it confines the lookup to its
    /// context).
    subject: Option<String>,
    format: Option<String>,
    reference_format: Option<String>,
}

/// `GET /schemas/ids/{id}`: the hot path; a cache hit serves stored bytes. With a
/// `subject`, the answer names the subject and version it resolved to (8.x). On
/// PostgreSQL a cached body is checked against a committed count, so a write on another
/// node is never answered from a stale cache: without a `subject`, the count of removals
/// (answered from memory while the node's lease holds: no round trip); with one, the
/// count of every write (one round trip, shared by the requests waiting at that moment).
pub(super) async fn by_id(
    State(s): State<AppState>,
    Query(q): Query<SchemaQuery>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = SchemaId::parse(&id)?;
    let rendering = IdRendering {
        format: Format::parse(q.format.as_deref()),
        qualified_references: qualified_references(q.reference_format.as_deref()),
    };
    // On a database other nodes write, a cached body is served only if nothing that can
    // change it was committed since it was rendered (counted after this request arrived).
    let read = match q.subject {
        None => s.store.committed_removals(),
        Some(_) => s.store.committed_changes(),
    };
    let count = match read {
        Some(read) => read.await?,
        None => 0,
    };
    let body = s.schema_by_id_body(id.0, q.subject.as_deref(), rendering, count)?;
    Ok(json_bytes(body))
}

/// `GET /schemas/guids/{guid}` (8.x): the SchemaString of the schema with this GUID, in
/// any context (Confluent: the default context first), or only in the context of a
/// qualified `subject` (what the `/contexts/{ctx}/` prefix adds, so a hunt's base URL
/// finds its hunt's schemas with a grant on that hunt alone).
pub(super) async fn by_guid(
    State(s): State<AppState>,
    Query(q): Query<SchemaQuery>,
    Path(guid): Path<String>,
) -> Result<Response, ApiError> {
    let within = guid_scope(q.subject.as_deref())?;
    let format = Format::parse(q.format.as_deref());
    let body = s.schema_by_guid_body(&guid, within.as_ref(), format)?;
    Ok(json_bytes(body.into()))
}

/// `GET /schemas/guids/{guid}/ids` (8.x): `[{"context": …, "id": …}]`, one per context
/// holding the schema (`[]` when none, as Confluent).
pub(super) async fn guid_ids(
    State(s): State<AppState>,
    Query(q): Query<SchemaQuery>,
    Path(guid): Path<String>,
) -> Result<ApiJson<Vec<ContextId>>, ApiError> {
    let within = guid_scope(q.subject.as_deref())?;
    let Some(guid) = Guid::parse(&guid) else {
        return Ok(ApiJson(Vec::new()));
    };
    let ids = s
        .guid_ids(&guid, within.as_ref())?
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
    Query(q): Query<SchemaQuery>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = SchemaId::parse(&id)?;
    let (_, record) = s.resolve_id(id.0, q.subject.as_deref())?;
    let text = crate::app::schema_text(&record, Format::parse(q.format.as_deref())).to_owned();
    Ok(json_bytes(text.into()))
}

/// The query of `GET /schemas/ids/{id}/subjects` and `/versions`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct UsagesQuery {
    #[serde(flatten)]
    listing: Listing,
    subject: Option<String>,
    #[serde(deserialize_with = "flag")]
    deleted: bool,
}

/// `GET /schemas/ids/{id}/subjects`.
pub(super) async fn id_subjects(
    State(s): State<AppState>,
    Query(q): Query<UsagesQuery>,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<String>>, ApiError> {
    let id = SchemaId::parse(&id)?;
    let mut subjects: Vec<String> = s
        .id_usages(id.0, q.subject.as_deref(), q.deleted)?
        .into_iter()
        .map(|(s, _)| s.to_string())
        .collect();
    subjects.dedup();
    Ok(ApiJson(q.listing.of(&s, subjects)))
}

/// `GET /schemas/ids/{id}/versions`.
pub(super) async fn id_versions(
    State(s): State<AppState>,
    Query(q): Query<UsagesQuery>,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<SubjectVersion>>, ApiError> {
    let id = SchemaId::parse(&id)?;
    let versions: Vec<SubjectVersion> = s
        .id_usages(id.0, q.subject.as_deref(), q.deleted)?
        .into_iter()
        .map(|(s, v)| SubjectVersion {
            subject: s.to_string(),
            version: v,
        })
        .collect();
    Ok(ApiJson(q.listing.of(&s, versions)))
}

/// The query of `GET /schemas`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct ListQuery {
    #[serde(flatten)]
    listing: Listing,
    subject_prefix: Option<String>,
    format: Option<String>,
    #[serde(deserialize_with = "flag")]
    deleted: bool,
    #[serde(deserialize_with = "flag")]
    latest_only: bool,
}

/// `GET /schemas`.
pub(super) async fn list(
    State(s): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<ApiJson<Vec<SchemaResponse>>, ApiError> {
    let prefix = SubjectPrefix::parse(q.subject_prefix.as_deref())?;
    let format = Format::parse(q.format.as_deref());
    let views = s.list_schemas(&prefix, q.deleted, q.latest_only)?;
    let all: Vec<SchemaResponse> = views.iter().map(|v| v.to_response(format)).collect();
    Ok(ApiJson(q.listing.of(&s, all)))
}

/// `GET /schemas/types`: only PROTOBUF is served.
pub(super) async fn types() -> ApiJson<[&'static str; 1]> {
    ApiJson([PROTOBUF])
}
