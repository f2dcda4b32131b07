//! Request and response JSON shapes, with Confluent's field names. Never persisted.

use serde::{Deserialize, Serialize};

/// The schema type every response carries (clients treat a missing one as AVRO).
pub const PROTOBUF: &str = "PROTOBUF";

/// A reference in requests and responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Import path.
    pub name: String,
    /// Subject the imported file is registered under.
    pub subject: String,
    /// Version of that subject.
    pub version: i64,
}

/// Body of register, lookup and compatibility requests.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    /// `.proto` text or base64 `FileDescriptorProto`.
    #[serde(default)]
    pub schema: Option<String>,
    /// Schema type; absent means AVRO (refused).
    #[serde(default)]
    pub schema_type: Option<String>,
    /// References.
    #[serde(default)]
    pub references: Option<Vec<RawReference>>,
    /// Explicit version (IMPORT mode, or must be the next version).
    #[serde(default)]
    pub version: Option<i64>,
    /// Explicit id (IMPORT mode only).
    #[serde(default)]
    pub id: Option<i64>,
}

/// A reference as a client may send it (fields checked after parsing).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawReference {
    /// Import path.
    #[serde(default)]
    pub name: Option<String>,
    /// Subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// Version (`-1` = latest).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Register response: id, version and type, but no `schema` (see client-calls note 13:
/// confluent-kafka caches a returned `schema` and would serve text where it expects base64).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterResponse {
    /// Schema id.
    pub id: u32,
    /// Version under the subject.
    pub version: u32,
    /// The schema's GUID (8.x; what a header-framing serializer writes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// Always `PROTOBUF`.
    pub schema_type: &'static str,
}

/// Schema object (`GET /subjects/{s}/versions/{v}`, lookup, `GET /schemas`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaResponse {
    /// Qualified subject.
    pub subject: String,
    /// Version.
    pub version: u32,
    /// Id.
    pub id: u32,
    /// The schema's GUID (8.x).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// Always `PROTOBUF`.
    pub schema_type: &'static str,
    /// References (omitted when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Canonical text, or base64 descriptor with `format=serialized`.
    pub schema: String,
}

/// SchemaString (`GET /schemas/ids/{id}`, `GET /schemas/guids/{guid}`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaStringResponse<'a> {
    /// The subject-version the id resolved to (8.x, only when the request names a
    /// `subject`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Its version (with `subject`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The schema's GUID (8.x).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// Always `PROTOBUF`.
    pub schema_type: &'static str,
    /// Canonical text, or base64 descriptor with `format=serialized`.
    pub schema: &'a str,
    /// References (omitted when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

/// `{"context": …, "id": …}`: an id in a context (`/schemas/guids/{guid}/ids`).
#[derive(Debug, Clone, Serialize)]
pub struct ContextId {
    /// The context as `GET /contexts` lists it (`.` is the default context).
    pub context: String,
    /// The id.
    pub id: u32,
}

/// `{"subject": …, "version": …}`.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectVersion {
    /// Qualified subject.
    pub subject: String,
    /// Version.
    pub version: u32,
}

/// `PUT /config` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigUpdate {
    /// New level.
    #[serde(default)]
    pub compatibility: Option<String>,
    /// Accepted as a synonym of `compatibility`.
    #[serde(default)]
    pub compatibility_level: Option<String>,
    /// Normalize schemas in this scope.
    #[serde(default)]
    pub normalize: Option<bool>,
}

/// `GET /config` answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigResponse {
    /// Level.
    pub compatibility_level: String,
    /// Normalize, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
}

/// `PUT /config` answer.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigUpdateResponse {
    /// Level.
    pub compatibility: String,
    /// Normalize, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
}

/// Mode body and answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModeBody {
    /// The mode.
    pub mode: String,
}

/// Compatibility check answer.
#[derive(Debug, Clone, Serialize)]
pub struct CompatibilityResponse {
    /// Verdict.
    pub is_compatible: bool,
    /// Messages (only with `verbose=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<String>>,
}
