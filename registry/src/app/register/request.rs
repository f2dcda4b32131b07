//! The first step of registration, lookup and compatibility checks: the request after its
//! boundary checks, the authorization and resolution of its references, and `prepare`
//! (compile and canonicalize the schema as a version of the subject).

use std::sync::Arc;

use super::super::App;
use crate::auth::Caller;
use crate::dto::{RegisterRequest, PROTOBUF};
use crate::error::ApiError;
use crate::schema::{self, Input, Prepared};
use crate::store::{self, hex_encode, ReferenceRecord, SchemaRecord};
use crate::types::{Subject, Version};

/// A reference in a request, fields present.
#[derive(Debug, Clone)]
pub struct ReferenceRequest {
    /// Import path.
    pub name: String,
    /// Subject (possibly unqualified).
    pub subject: String,
    /// Version; `-1` means latest.
    pub version: i64,
}

impl ReferenceRequest {
    /// The request form of a stored reference.
    pub(super) fn from_record(r: &ReferenceRecord) -> ReferenceRequest {
        ReferenceRequest {
            name: r.name.clone(),
            subject: r.subject.clone(),
            version: i64::from(r.version),
        }
    }
}

/// A register / lookup / compatibility request after boundary checks.
#[derive(Debug, Clone)]
pub struct SchemaRequest {
    /// The schema (text or base64 descriptor); empty means "the latest version's".
    pub schema: String,
    /// References.
    pub references: Vec<ReferenceRequest>,
    /// Explicit version.
    pub version: Option<i64>,
    /// Explicit id (IMPORT).
    pub id: Option<i64>,
}

impl SchemaRequest {
    /// Checks the schema type (only PROTOBUF is served; case-sensitive, as Confluent's
    /// provider lookup: `protobuf` is 42201) and reference fields.
    pub fn from_dto(req: RegisterRequest) -> Result<SchemaRequest, ApiError> {
        let ty = req.schema_type.as_deref().unwrap_or("AVRO");
        if ty != PROTOBUF {
            return Err(ApiError::InvalidSchema(format!(
                "Invalid schema type {ty}: this registry serves only PROTOBUF schemas"
            )));
        }
        let mut references = Vec::new();
        for r in req.references.unwrap_or_default() {
            match (r.name, r.subject, r.version) {
                (Some(name), Some(subject), Some(version)) if version == -1 || version >= 1 => {
                    references.push(ReferenceRequest {
                        name,
                        subject,
                        version,
                    });
                }
                (name, subject, version) => {
                    return Err(ApiError::InvalidSchema(format!(
                        "Invalid reference: name={name:?}, subject={subject:?}, version={version:?}"
                    )))
                }
            }
        }
        Ok(SchemaRequest {
            schema: req.schema.unwrap_or_default(),
            references,
            version: req.version.filter(|v| *v != -1),
            id: req.id.filter(|id| *id >= 0),
        })
    }
}

/// The stored record of a prepared schema with its resolved references.
pub(super) fn schema_record(
    references: Vec<ReferenceRecord>,
    prepared: &Prepared,
) -> Arc<SchemaRecord> {
    use base64::Engine;
    Arc::new(SchemaRecord {
        v: store::records::FORMAT_VERSION,
        schema: prepared.canonical.clone(),
        descriptor: base64::engine::general_purpose::STANDARD.encode(&prepared.descriptor),
        references,
        hash: hex_encode(&prepared.hash),
    })
}

impl App {
    /// Checks that `caller` may read every hunt the request's references name. Every
    /// handler that takes references calls this before it looks anything up, so whether a
    /// refusal happens, and what it says, never depends on what exists.
    pub(super) fn authorize_references(
        subject: &Subject,
        refs: &[ReferenceRequest],
        caller: &Caller,
    ) -> Result<(), ApiError> {
        for r in refs {
            caller.require_read(&subject.qualify_reference(&r.subject)?.context)?;
        }
        Ok(())
    }

    /// Resolves request references in `subject`'s context (`-1` becomes the latest live
    /// version) into stored form.
    fn resolve_references(
        &self,
        subject: &Subject,
        refs: &[ReferenceRequest],
        caller: &Caller,
    ) -> Result<Vec<ReferenceRecord>, ApiError> {
        refs.iter()
            .map(|r| {
                let target = subject.qualify_reference(&r.subject)?;
                // Resolving a reference reads the referenced subject: the grant is checked
                // before anything about it is looked up, so a refusal reveals nothing.
                caller.require_read(&target.context)?;
                let version = if r.version == -1 {
                    self.resolve_version(&target, Version::Latest, false)
                        .map_err(|_| {
                            ApiError::InvalidSchema(format!(
                                "Invalid schema: No schema reference found for subject \"{}\" and version -1",
                                r.subject
                            ))
                        })?
                        .version
                } else {
                    u32::try_from(r.version).map_err(|_| ApiError::InvalidVersion(r.version.to_string()))?
                };
                Ok(ReferenceRecord {
                    name: r.name.clone(),
                    subject: r.subject.clone(),
                    version,
                })
            })
            .collect()
    }

    /// Compiles and canonicalizes a request's schema as a version of `subject`.
    pub(super) fn prepare(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
        caller: &Caller,
    ) -> Result<(Vec<ReferenceRecord>, Prepared), ApiError> {
        let references = self.resolve_references(subject, &req.references, caller)?;
        let deps = self.dep_files(subject, &references, caller)?;
        let main = schema::main_file_name(&subject.name, &deps);
        let prepared = schema::prepare(
            &Input::parse(&req.schema),
            &main,
            &deps,
            &references,
            normalize,
        )
        .map_err(|e| {
            ApiError::InvalidSchema(format!("Invalid schema of type PROTOBUF, details: {e}"))
        })?;
        Ok((references, prepared))
    }
}
