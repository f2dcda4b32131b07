//! Rendering stored schemas into response bodies: the Schema object, SchemaString, the
//! `guid` field, and the `format` query parameter (`serialized` = base64
//! `FileDescriptorProto`).

use super::{App, ResolvedVersion};
use crate::dto::{self, Reference, SchemaResponse, SchemaStringResponse};
use crate::error::ApiError;
use crate::store::SchemaRecord;
use crate::types::{Context, Guid, Subject};

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
        self.to_response_with(format, false)
    }

    /// The Schema object, its references qualified with the subject's context when
    /// `qualified_references` (`referenceFormat=qualified`).
    pub fn to_response_with(&self, format: Format, qualified_references: bool) -> SchemaResponse {
        let within = qualified_references.then_some(&self.version.subject);
        SchemaResponse {
            subject: self.version.subject.to_string(),
            version: self.version.version,
            id: self.version.record.id,
            guid: guid(&self.record),
            schema_type: dto::PROTOBUF.into(),
            references: references(&self.record, within),
            schema: schema_text(&self.record, format).to_owned(),
            deleted: false,
        }
    }
}

/// `referenceFormat`: only the exact value `qualified` asks for qualified references
/// (Confluent compares with `equals`; anything else, and Python's `reference_format`, is
/// ignored).
pub(crate) fn qualified_references(reference_format: Option<&str>) -> bool {
    reference_format == Some("qualified")
}

/// The references of a stored schema, as registered, or with `referenceFormat=qualified`
/// (`within` = the schema's subject) qualified with that subject's context, as Confluent's
/// `qualifySubjectWithParent`: an unqualified reference in a hunt becomes `:.hunt:name`;
/// references in the default context, and already qualified ones, are unchanged.
fn references(record: &SchemaRecord, within: Option<&Subject>) -> Vec<Reference> {
    record
        .references
        .iter()
        .map(|r| Reference {
            name: r.name.clone(),
            subject: match within {
                Some(parent) if !parent.context.is_default() => parent
                    .qualify_reference(&r.subject)
                    .map_or_else(|_| r.subject.clone(), |s| s.to_string()),
                _ => r.subject.clone(),
            },
            version: i64::from(r.version),
        })
        .collect()
}

/// The `guid` field of a stored schema ([`Guid`]: its content hash as a UUID).
pub(crate) fn guid(record: &SchemaRecord) -> Option<String> {
    Guid::of_hash(&record.hash).map(|g| g.to_string())
}

/// The `schema` field in `format`.
pub(crate) fn schema_text(record: &SchemaRecord, format: Format) -> &str {
    match format {
        Format::Text => &record.schema,
        Format::Serialized => &record.descriptor,
    }
}

/// How `GET /schemas/ids/{id}` renders: its `format` and `referenceFormat` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdRendering {
    /// The `format` parameter.
    pub format: Format,
    /// `referenceFormat=qualified`.
    pub qualified_references: bool,
}

/// The SchemaString body of `GET /schemas/guids/{guid}`: no subject or version.
pub(crate) fn schema_string(record: &SchemaRecord, format: Format) -> Vec<u8> {
    let body = SchemaStringResponse {
        subject: None,
        version: None,
        guid: guid(record),
        schema_type: dto::PROTOBUF.into(),
        schema: schema_text(record, format).into(),
        references: references(record, None),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

impl App {
    /// The SchemaString body of `GET /schemas/ids/{id}`, `id` resolved in `ctx` to `record`.
    ///
    /// As Confluent 8.x, a request that names a `subject` (even an empty one) gets the
    /// `subject` and `version` of the version it resolved to: live versions before
    /// soft-deleted ones, and among those the named subject's newest (in `ctx`) when it
    /// carries the id, else the first carrier in subject order. `referenceFormat=qualified` qualifies the references
    /// with that subject's context, and so, as in Confluent, needs a `subject`.
    pub(crate) fn schema_string_body(
        &self,
        ctx: &Context,
        id: u32,
        record: &SchemaRecord,
        subject: Option<&str>,
        rendering: IdRendering,
    ) -> Result<Vec<u8>, ApiError> {
        let carrier = match subject {
            Some(requested) => self.carrier(ctx, id, requested)?,
            None => None,
        };
        let within = carrier
            .as_ref()
            .filter(|_| rendering.qualified_references)
            .map(|(s, _)| s);
        let body = SchemaStringResponse {
            subject: carrier.as_ref().map(|(s, _)| s.to_string()),
            version: carrier.as_ref().map(|(_, v)| *v),
            guid: guid(record),
            schema_type: dto::PROTOBUF.into(),
            schema: schema_text(record, rendering.format).into(),
            references: references(record, within),
        };
        serde_json::to_vec(&body)
            .map_err(|e| ApiError::Internal(format!("cannot serialize a response: {e}")))
    }

    /// The subject-version of `id` in `ctx` a by-id answer names for `requested`.
    fn carrier(
        &self,
        ctx: &Context,
        id: u32,
        requested: &str,
    ) -> Result<Option<(Subject, u32)>, ApiError> {
        let mut usages = Vec::new();
        for (s, v) in self.store.usages(ctx, id)? {
            let live = self.store.version(&s, v)?.is_some_and(|r| !r.deleted);
            usages.push((s, v, live));
        }
        let wanted = Subject::parse(requested)
            .ok()
            .filter(|s| !s.name.is_empty())
            .map(|s| s.name);
        let is_named = |s: &Subject| wanted.as_ref().is_some_and(|n| *n == s.name);
        // Live before soft-deleted, then the named subject before the others; the named
        // subject's newest version, else the first carrier in subject order.
        let rank = |(s, _, live): &(Subject, u32, bool)| (*live, is_named(s));
        let best = usages.iter().map(rank).max();
        let chosen = best.and_then(|best| {
            let mut group = usages.iter().filter(|u| rank(u) == best);
            if best.1 {
                group.max_by_key(|(_, v, _)| *v)
            } else {
                group.next()
            }
        });
        Ok(chosen.map(|(s, v, _)| (s.clone(), *v)))
    }

    /// Forgets the pre-rendered by-id bodies of `id`: a new version carrying it may be
    /// the subject-version a `subject`-naming answer should now name.
    pub fn forget_rendered(&self, id: u32) {
        let mut rendered = self.rendered.write().unwrap_or_else(|p| p.into_inner());
        rendered.forget(id);
        rendered.generation += 1;
    }
}
