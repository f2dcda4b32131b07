//! `POST /subjects/{s}` (Confluent spec §2.3): the version of a subject holding a schema,
//! by content hash, else by equal canonical text through the subject's text index
//! (normalized input against versions stored unnormalized, or input without references
//! against versions stored with them).

use std::sync::Arc;

use super::super::texts::TextKind;
use super::super::{App, ResolvedVersion, SchemaView};
use super::request::{ReferenceRequest, SchemaRequest};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::schema;
use crate::store::VersionRecord;
use crate::types::Subject;

impl App {
    /// `POST /subjects/{s}`: finds the version of `subject` holding this schema.
    pub async fn lookup(
        self: &Arc<Self>,
        subject: Subject,
        req: SchemaRequest,
        normalize: bool,
        deleted: bool,
        caller: Caller,
    ) -> Result<SchemaView, ApiError> {
        self.on_blocking_thread("lookup", move |app| {
            Self::authorize_references(&subject, &req.references, &caller)?;
            let (subject, versions) = app.subject_versions(&subject)?;
            let visible: Vec<(u32, VersionRecord)> = versions
                .into_iter()
                .filter(|(_, r)| deleted || !r.deleted)
                .collect();
            if visible.is_empty() {
                return Err(ApiError::SubjectNotFound(subject.to_string()));
            }
            let (_, config_normalize) = app.effective_config(&subject)?;
            let normalize = normalize || config_normalize;
            // kafkajs looks schemas up without their references: when the imports do not
            // resolve, each version's own references are tried below.
            let prepared = match app.prepare(&subject, &req, normalize, &caller) {
                Ok((_, p)) => Ok(p),
                Err(e @ ApiError::InvalidSchema(_)) if req.references.is_empty() => Err(e),
                Err(e) => return Err(e),
            };
            let view = |v: u32, r: VersionRecord| -> Result<SchemaView, ApiError> {
                let record = app
                    .schema_record(&subject.context, r.id)?
                    .ok_or(ApiError::SchemaNotFound(Some(r.id)))?;
                Ok(SchemaView {
                    version: ResolvedVersion {
                        subject: subject.clone(),
                        version: v,
                        record: r,
                    },
                    record,
                })
            };
            if let Ok(prepared) = &prepared {
                if let Some(id) = app.store.id_by_hash(&subject.context, &prepared.hash)? {
                    if let Some((v, r)) = visible.iter().rev().find(|(_, r)| r.id == id) {
                        return view(*v, *r);
                    }
                }
            }
            // Equal canonical text (normalized input against versions stored unnormalized, or
            // input without references against versions with them), through the subject's
            // text index: only versions whose text hashes alike are compared.
            let texts = app.text_index(&subject);
            let mut texts = texts.lock().unwrap_or_else(|p| p.into_inner());
            for (v, r) in &visible {
                if !texts.covers((*v, r.id)) {
                    // Read through the record cache without filling it: a first miss reads
                    // every version once.
                    if let Some(record) = app.record_uncached(&subject.context, r.id)? {
                        texts.insert((*v, r.id), &record.schema, !record.references.is_empty());
                    }
                }
            }
            // The normalized canonical text of a stored version (`None`: its image has no main
            // file, and it matches nothing), printed in the edition its stored text says (the
            // compiled image is its proto2 or proto3 form).
            let normalized_text = |id: u32| -> Result<Option<String>, ApiError> {
                let image = app.image(&subject, id)?;
                let main = image.targets().first().cloned().unwrap_or_default();
                let Some(file) = image.pool().get_file_by_name(&main) else {
                    return Ok(None);
                };
                let edition = app
                    .schema_record(&subject.context, id)?
                    .and_then(|record| schema::canonical::canonical_edition(&record.schema));
                Ok(Some(schema::canonical::canonical_text_in(
                    &file, true, edition,
                )))
            };
            match &prepared {
                Ok(p) => {
                    let kind = if normalize {
                        for (v, r) in &visible {
                            if texts.covers((*v, r.id)) && !texts.covers_normalized((*v, r.id)) {
                                // A version whose image does not load is left out (and tried
                                // again next time): it cannot be shown equal.
                                if let Ok(text) = normalized_text(r.id) {
                                    texts.insert_normalized((*v, r.id), text.as_deref());
                                }
                            }
                        }
                        TextKind::Normalized
                    } else {
                        TextKind::Stored
                    };
                    let candidates = texts.candidates(kind, &p.canonical);
                    drop(texts);
                    for (v, r) in visible.iter().rev() {
                        if !candidates.contains(&(*v, r.id)) {
                            continue;
                        }
                        let stored_text = if normalize {
                            normalized_text(r.id)?
                        } else {
                            app.schema_record(&subject.context, r.id)?
                                .map(|record| record.schema.clone())
                        };
                        if stored_text.as_deref() == Some(p.canonical.as_str()) {
                            return view(*v, *r);
                        }
                    }
                }
                Err(_) => {
                    // Each version stored with references: the input compiled against them.
                    let with_refs: Vec<(u32, VersionRecord)> = visible
                        .iter()
                        .rev()
                        .filter(|(v, r)| texts.has_references((*v, r.id)))
                        .cloned()
                        .collect();
                    drop(texts);
                    for (v, r) in with_refs {
                        let Some(record) = app.schema_record(&subject.context, r.id)? else {
                            continue;
                        };
                        let with_refs = SchemaRequest {
                            references: record
                                .references
                                .iter()
                                .map(ReferenceRequest::from_record)
                                .collect(),
                            ..req.clone()
                        };
                        let canonical = match app.prepare(&subject, &with_refs, normalize, &caller)
                        {
                            Ok((_, p)) => p.canonical,
                            Err(e @ ApiError::Forbidden(_)) => return Err(e),
                            Err(_) => continue,
                        };
                        let stored_text = if normalize {
                            normalized_text(r.id)?
                        } else {
                            Some(record.schema.clone())
                        };
                        if stored_text.as_deref() == Some(canonical.as_str()) {
                            return view(v, r);
                        }
                    }
                }
            }
            prepared?;
            Err(ApiError::SchemaNotFound(None))
        })
        .await
    }
}
