//! The Confluent Schema Registry's JSON bodies, with its field names: what the registry
//! reads and writes, and what huntreg's clients send and parse. One set for both sides.
//! Never persisted.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The schema type every response carries (clients treat a missing one as AVRO).
pub const PROTOBUF: &str = "PROTOBUF";

fn protobuf() -> Cow<'static, str> {
    Cow::Borrowed(PROTOBUF)
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// A reference in requests and responses: the import `name` is the file registered as
/// `subject` at `version`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Reference {
    /// Import path.
    pub name: String,
    /// Subject the imported file is registered under.
    pub subject: String,
    /// Version of that subject (`-1` in a request: the latest).
    pub version: i64,
}

/// Body of register, lookup and compatibility requests, as a client may send it: every
/// field optional, checked after parsing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    /// `.proto` text or base64 `FileDescriptorProto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Schema type; absent means AVRO (refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    /// References.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Vec<RawReference>>,
    /// Explicit version (IMPORT mode, or must be the next version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Explicit id (IMPORT mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

impl RegisterRequest {
    /// A `PROTOBUF` request for `schema` with `references`.
    pub fn protobuf(schema: &str, references: &[Reference]) -> RegisterRequest {
        RegisterRequest {
            schema: Some(schema.to_owned()),
            schema_type: Some(PROTOBUF.to_owned()),
            references: Some(references.iter().map(RawReference::from).collect()),
            version: None,
            id: None,
        }
    }
}

/// A reference as a client may send it (fields checked after parsing).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RawReference {
    /// Import path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Version (`-1` = latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

impl From<&Reference> for RawReference {
    fn from(reference: &Reference) -> RawReference {
        RawReference {
            name: Some(reference.name.clone()),
            subject: Some(reference.subject.clone()),
            version: Some(reference.version),
        }
    }
}

/// Register response: id, version and type, but no `schema` (confluent-kafka caches a
/// returned `schema` and would serve text where it expects base64).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterResponse {
    /// Schema id.
    pub id: u32,
    /// Version under the subject (absent from registries before 7.x).
    #[serde(default)]
    pub version: u32,
    /// The schema's GUID (8.x; what a header-framing serializer writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// Always `PROTOBUF`.
    #[serde(default = "protobuf")]
    pub schema_type: Cow<'static, str>,
}

/// Schema object (`GET /subjects/{s}/versions/{v}`, lookup, `GET /schemas`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaResponse {
    /// Qualified subject.
    pub subject: String,
    /// Version.
    pub version: u32,
    /// Id.
    pub id: u32,
    /// The schema's GUID (8.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The schema type; a registry that omits it means AVRO.
    #[serde(default = "avro")]
    pub schema_type: Cow<'static, str>,
    /// References (omitted when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Canonical text, or base64 descriptor with `format=serialized`.
    pub schema: String,
    /// Soft-deleted (8.x registries say so; huntreg never writes it, a listing with
    /// `deletedOnly=true` does).
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
}

fn avro() -> Cow<'static, str> {
    Cow::Borrowed("AVRO")
}

/// SchemaString (`GET /schemas/ids/{id}`, `GET /schemas/guids/{guid}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaStringResponse<'a> {
    /// The subject-version the id resolved to (8.x, only when the request names a
    /// `subject`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Its version (with `subject`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The schema's GUID (8.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The schema type; a registry that omits it means AVRO.
    #[serde(default = "avro")]
    pub schema_type: Cow<'static, str>,
    /// Canonical text, or base64 descriptor with `format=serialized` (borrowed when
    /// served, owned when read).
    pub schema: Cow<'a, str>,
    /// References (omitted when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

/// `{"context": …, "id": …}`: an id in a context (`/schemas/guids/{guid}/ids`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContextId {
    /// The context as `GET /contexts` lists it (`.` is the default context).
    pub context: String,
    /// The id.
    pub id: u32,
}

/// `{"subject": …, "version": …}`: a subject version holding an ID
/// (`GET /schemas/ids/{id}/versions`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubjectVersion {
    /// Qualified subject.
    pub subject: String,
    /// Version.
    pub version: u32,
}

/// `PUT /config` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigUpdate {
    /// New level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility: Option<String>,
    /// Accepted as a synonym of `compatibility`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_level: Option<String>,
    /// Normalize schemas in this scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
}

/// `GET /config` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigResponse {
    /// Level.
    pub compatibility_level: String,
    /// Normalize, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
}

/// `PUT /config` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigUpdateResponse {
    /// Level.
    pub compatibility: String,
    /// Normalize, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
}

/// Mode body and answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModeBody {
    /// The mode.
    pub mode: String,
}

/// Compatibility check answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompatibilityResponse {
    /// Verdict.
    pub is_compatible: bool,
    /// Messages (only with `verbose=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<String>>,
}

/// huntreg's lockfile endpoint (`GET /huntreg/v1/subjects/{s}/lock?after=N`, outside
/// Confluent's paths): one subject's versions as `huntreg pull` pins them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SubjectLock {
    /// Every version, live and soft-deleted, ascending: `[version, id, deleted]`.
    pub listed: Vec<(u32, u32, bool)>,
    /// The versions after `N`, ascending, in lockfile form: the first whole or patched on
    /// version `N`'s text, each next one patched on the one before.
    pub versions: Vec<LockRow>,
    /// The subject's kept compatibility history, when it covers exactly its live versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<LockHistory>,
}

/// A subject's compatibility history, as the lockfile endpoint serves it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LockHistory {
    /// The live versions the history was built from, oldest first: `[version, id]`.
    pub positions: Vec<(u32, u32)>,
    /// The entries, in key order: `[key, value]`, each in lowercase hex.
    pub entries: Vec<(String, String)>,
}

/// One version as the lockfile stores it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LockRow {
    /// The subject version.
    pub version: u32,
    /// Its schema ID.
    pub id: u32,
    /// Soft-deleted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// The schema's references, as registered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// The file's messages (map entries included) in message-index order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// The first hex digits of the SHA-256 of the full text.
    pub sha256: String,
    /// The full canonical text: the first version served (unless it follows `N`), or one
    /// whose patch would not be shorter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The text as a line patch on the previous version's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
}

/// The body of every error answer: `{"error_code": 42201, "message": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Confluent's error code (the HTTP status for codes it does not refine).
    pub error_code: i64,
    /// What went wrong.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_served_schema_string_reads_back() {
        let served = SchemaStringResponse {
            subject: None,
            version: None,
            guid: None,
            schema_type: Cow::Borrowed(PROTOBUF),
            schema: Cow::Borrowed("syntax = \"proto3\";\n"),
            references: Vec::new(),
        };
        let json = serde_json::to_string(&served).unwrap();
        assert_eq!(
            json,
            r#"{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";\n"}"#
        );
        let back: SchemaStringResponse<'_> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.schema, served.schema);
        assert_eq!(back.schema_type, PROTOBUF);
    }

    #[test]
    fn a_schema_object_without_a_type_is_avro_and_without_deleted_is_live() {
        let body: SchemaResponse =
            serde_json::from_str(r#"{"subject":"s","version":2,"id":7,"schema":"x"}"#).unwrap();
        assert_eq!(body.schema_type, "AVRO");
        assert!(!body.deleted);
        assert!(body.references.is_empty());
        let out = serde_json::to_value(&body).unwrap();
        assert!(out.get("deleted").is_none(), "{out}");
    }

    #[test]
    fn a_register_request_sends_only_what_it_has() {
        let request = RegisterRequest::protobuf(
            "syntax = \"proto3\";",
            &[Reference {
                name: "a.proto".into(),
                subject: "a.proto".into(),
                version: 1,
            }],
        );
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({
                "schema": "syntax = \"proto3\";",
                "schemaType": "PROTOBUF",
                "references": [{"name": "a.proto", "subject": "a.proto", "version": 1}],
            })
        );
    }
}
