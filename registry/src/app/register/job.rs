//! The write job of a registration, run on the single writer: it re-validates that the
//! subject's live versions are still the ones checked (else it asks for a retry, or
//! rechecks on the writer), answers an equal live version, and otherwise allocates the id
//! (from the global sequence, or the imported one) and the version, all in one batch.

use std::sync::Arc;

use super::super::{live_versions, LiveVersion};
use super::check::{incompatible, Detail};
use super::RegisterOutcome;
use crate::error::ApiError;
use crate::store::{self, SchemaRecord, Txn, VersionRecord};
use crate::types::Subject;

/// A compatibility check against a given live history, run on the writer.
pub(super) type Recheck = Box<dyn FnOnce(&[LiveVersion]) -> Result<Vec<Detail>, ApiError> + Send>;

/// The id and version a request asks for explicitly (IMPORT, or a version number).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Explicit {
    /// The schema id (IMPORT only).
    pub(super) id: Option<i64>,
    /// The version number.
    pub(super) version: Option<i64>,
}

impl Explicit {
    /// The newest live version already holding the schema with id `existing` (the id its
    /// content hash names): registering an equal schema answers it and writes nothing. Not
    /// when a version is asked for, nor when an asked-for id is another.
    pub(super) fn equal_live(
        self,
        live: &[LiveVersion],
        existing: Option<u32>,
    ) -> Option<RegisterOutcome> {
        let id = existing.filter(|_| self.version.is_none())?;
        if self.id.is_some_and(|e| e != i64::from(id)) {
            return None;
        }
        let found = live.iter().rev().find(|l| l.id == id)?;
        Some(RegisterOutcome {
            id,
            version: found.version,
            created: false,
        })
    }
}

/// What a registration's write job takes.
pub(super) struct JobInput {
    /// The subject registered into.
    pub(super) subject: Subject,
    /// The schema as it is stored.
    pub(super) record: Arc<SchemaRecord>,
    /// Its content hash.
    pub(super) hash: [u8; 32],
    /// The id and version asked for.
    pub(super) explicit: Explicit,
    /// The subject is in IMPORT mode.
    pub(super) import: bool,
    /// The live versions the schema was checked against (`None`: not checked).
    pub(super) checked: Option<Vec<LiveVersion>>,
    /// The check to redo on the writer when the live versions moved (`None`: retry).
    pub(super) recheck: Option<Recheck>,
}

/// What a registration's write job did.
pub(super) enum JobResult {
    /// Registered, or refused.
    Done(Result<RegisterOutcome, ApiError>),
    /// The live versions moved since the check: check again.
    Retry,
}

impl JobInput {
    /// Runs the job in the writer's transaction `tx`.
    pub(super) fn run(self, tx: &mut dyn Txn) -> Result<JobResult, ApiError> {
        let JobInput {
            subject,
            record,
            hash,
            explicit,
            import,
            checked,
            recheck,
        } = self;
        let versions = tx.versions(&subject)?;
        let live = live_versions(&versions);
        if checked.is_some_and(|checked| checked != live) {
            match recheck {
                None => return Ok(JobResult::Retry),
                Some(check) => {
                    let found = check(&live)?;
                    if !found.is_empty() {
                        return Ok(JobResult::Done(Err(incompatible(&subject, &found))));
                    }
                }
            }
        }
        let ctx = &subject.context;
        let existing_id = tx.id_by_hash(ctx, &hash)?;
        if let Some(outcome) = explicit.equal_live(&live, existing_id) {
            return Ok(JobResult::Done(Ok(outcome)));
        }
        let max_version = versions.last().map(|(v, _)| *v).unwrap_or(0);
        let next_version = max_version.saturating_add(1);
        let version = match explicit.version {
            None => next_version,
            Some(v) => {
                let Some(v) = u32::try_from(v)
                    .ok()
                    .filter(|v| *v >= 1 && *v <= i32::MAX as u32)
                else {
                    return Ok(JobResult::Done(Err(ApiError::InvalidVersion(
                        v.to_string(),
                    ))));
                };
                if import {
                    if let Some((_, r)) = versions.iter().find(|(n, _)| *n == v) {
                        let same = explicit.id.is_none_or(|e| e == i64::from(r.id));
                        return Ok(JobResult::Done(if same && !r.deleted {
                            Ok(RegisterOutcome {
                                id: r.id,
                                version: v,
                                created: false,
                            })
                        } else {
                            Err(ApiError::InvalidSchema(format!(
                                "Version {v} of subject {subject} already exists"
                            )))
                        }));
                    }
                    v
                } else if v == next_version {
                    v
                } else {
                    return Ok(JobResult::Done(Err(ApiError::InvalidSchema(
                        "Version is not one more than previous version".into(),
                    ))));
                }
            }
        };
        let next_id = tx.next_id()?;
        let id = match explicit.id {
            Some(raw) if import => {
                let Some(id) = u32::try_from(raw).ok().filter(|id| *id <= i32::MAX as u32) else {
                    return Ok(JobResult::Done(Err(ApiError::InvalidSchema(format!(
                        "Invalid id {raw}"
                    )))));
                };
                if id_names_another_schema(&*tx, id, &record.hash)? {
                    // The message names the id and the importing context only: never what
                    // the id names elsewhere, nor where.
                    return Ok(JobResult::Done(Err(ApiError::OperationNotPermitted(
                        format!(
                            "Overwrite new schema with id {id} in context {} is not permitted.",
                            ctx.display_name()
                        ),
                    ))));
                }
                if id >= next_id {
                    tx.set_next_id(id.saturating_add(1));
                }
                id
            }
            _ => match existing_id {
                Some(id) => id,
                None => {
                    tx.set_next_id(next_id.saturating_add(1));
                    next_id
                }
            },
        };
        if tx.schema(ctx, id)?.is_none() {
            tx.put_schema(ctx, id, &record, &hash)?;
        }
        // Soft-deleted versions of this subject carrying the same id are superseded.
        let targets = store::resolve_references(&subject, &record.references);
        for (v, r) in &versions {
            if r.deleted && r.id == id && tx.referrers(&subject, *v)?.is_empty() {
                tx.remove_version(&subject, *v, id, &targets);
            }
        }
        tx.put_version(
            &subject,
            version,
            &VersionRecord {
                v: store::records::FORMAT_VERSION,
                id,
                deleted: false,
                registered_ms: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .and_then(|d| u64::try_from(d.as_millis()).ok()),
            },
            &targets,
        )?;
        tx.put_context(ctx, true);
        Ok(JobResult::Done(Ok(RegisterOutcome {
            id,
            version,
            created: true,
        })))
    }
}

/// Whether schema `id` already names, in any context, a schema other than the one with
/// content hash `hash`. Schema records are never removed, so an id once given keeps naming
/// its schema even after every version carrying it is hard-deleted.
fn id_names_another_schema(tx: &dyn Txn, id: u32, hash: &str) -> Result<bool, ApiError> {
    for ctx in tx.contexts_with_id(id)? {
        if tx
            .schema(&ctx, id)?
            .is_some_and(|existing| existing.hash != hash)
        {
            return Ok(true);
        }
    }
    Ok(false)
}
