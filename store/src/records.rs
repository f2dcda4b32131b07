//! Persisted records. Each carries an explicit format version (`v`); they are storage
//! commitments, separate from the API's JSON shapes in `routes/dto.rs`.

use serde::{Deserialize, Serialize};

use super::StoreError;

/// The record format written by this build.
pub const FORMAT_VERSION: u32 = 1;

pub use huntreg_schema::ReferenceRecord;

/// One schema (an id in a context): immutable once written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaRecord {
    /// Format version.
    pub v: u32,
    /// Canonical `.proto` text (what `GET` returns by default).
    pub schema: String,
    /// Standard base64 of the `FileDescriptorProto` (name `default`, no source info):
    /// what `format=serialized` returns.
    pub descriptor: String,
    /// References.
    #[serde(default)]
    pub references: Vec<ReferenceRecord>,
    /// Hex content hash (canonical text + references).
    pub hash: String,
}

/// One version of one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRecord {
    /// Format version.
    pub v: u32,
    /// The schema id in the subject's context.
    pub id: u32,
    /// Soft-deleted.
    #[serde(default)]
    pub deleted: bool,
    /// When the registry wrote the version, in milliseconds since the Unix epoch; absent for
    /// versions written before this field existed or copied from another registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_ms: Option<u64>,
}

/// A config entry (global, context or subject scope).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRecord {
    /// Format version.
    pub v: u32,
    /// Compatibility level (Confluent spelling), if set at this scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility: Option<String>,
    /// Normalize schemas before comparing, if set at this scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
}

/// A mode entry (global, context or subject scope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeRecord {
    /// Format version.
    pub v: u32,
    /// The mode (Confluent spelling).
    pub mode: String,
}

/// Serializes a record.
pub(crate) fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(record).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Deserializes a record, refusing formats newer than this build understands.
pub(crate) fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StoreError> {
    #[derive(Deserialize)]
    struct Header {
        v: u32,
    }
    let header: Header =
        serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if header.v > FORMAT_VERSION {
        return Err(StoreError::Corrupt(format!(
            "record format {} is newer than this build understands ({FORMAT_VERSION})",
            header.v
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// [`decode`] for a version record in one parse: a subject's versions are read on every
/// registration. What does not parse goes through [`decode`] for its error.
pub(crate) fn decode_version(bytes: &[u8]) -> Result<VersionRecord, StoreError> {
    match serde_json::from_slice::<VersionRecord>(bytes) {
        Ok(record) if record.v <= FORMAT_VERSION => Ok(record),
        _ => decode(bytes),
    }
}
