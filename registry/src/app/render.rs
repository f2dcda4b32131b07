//! Rendering stored schemas into response bodies: the Schema object, SchemaString, the
//! `guid` field, and the `format` query parameter (`serialized` = base64
//! `FileDescriptorProto`).

use super::ResolvedVersion;
use crate::dto::{self, Reference, SchemaResponse, SchemaStringResponse};
use crate::store::SchemaRecord;
use crate::types::{Context, Guid};

/// The `format` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Canonical `.proto` text (also for unknown formats, as Confluent).
    Text,
    /// Standard base64 of the `FileDescriptorProto`.
    Serialized,
}

impl Format {
    /// Parses the parameter; anything but `serialized` is text.
    pub fn parse(raw: Option<&str>) -> Format {
        match raw {
            Some(f) if f.eq_ignore_ascii_case("serialized") => Format::Serialized,
            _ => Format::Text,
        }
    }
}

/// A stored schema seen as one version of a subject.
#[derive(Debug, Clone)]
pub struct SchemaView {
    /// The version.
    pub version: ResolvedVersion,
    /// Its schema.
    pub record: std::sync::Arc<SchemaRecord>,
}

impl SchemaView {
    /// The Schema object.
    pub fn to_response(&self, format: Format) -> SchemaResponse {
        SchemaResponse {
            subject: self.version.subject.to_string(),
            version: self.version.version,
            id: self.version.record.id,
            guid: guid(&self.record),
            schema_type: dto::PROTOBUF,
            references: references(&self.record),
            schema: schema_text(&self.record, format).to_owned(),
        }
    }
}

fn references(record: &SchemaRecord) -> Vec<Reference> {
    record
        .references
        .iter()
        .map(|r| Reference {
            name: r.name.clone(),
            subject: r.subject.clone(),
            version: i64::from(r.version),
        })
        .collect()
}

/// The `guid` field of a stored schema ([`Guid`]: its content hash as a UUID).
pub fn guid(record: &SchemaRecord) -> Option<String> {
    Guid::of_hash(&record.hash).map(|g| g.to_string())
}

/// The `schema` field in `format`.
pub fn schema_text(record: &SchemaRecord, format: Format) -> &str {
    match format {
        Format::Text => &record.schema,
        Format::Serialized => &record.descriptor,
    }
}

/// The SchemaString body of `GET /schemas/ids/{id}`.
pub(crate) fn schema_string(_ctx: &Context, record: &SchemaRecord, format: Format) -> Vec<u8> {
    let body = SchemaStringResponse {
        guid: guid(record),
        schema_type: dto::PROTOBUF,
        schema: schema_text(record, format),
        references: references(record),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}
