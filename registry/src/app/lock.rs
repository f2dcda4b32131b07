//! What `huntreg pull` pins, served in the lockfile's own form
//! (`GET /huntreg/v1/subjects/{s}/lock?after=N`): every version's ID and soft-delete state,
//! and for each version after `N` its references, message-index order, text digest and
//! text as a line patch on the version before it ([`huntreg_schema::patch`], the same
//! functions the lockfile writer uses), so a pull of a long history transfers and
//! writes what changed instead of every version's full text. With them, the subject's
//! kept compatibility history (`huntreg_compat::History` entries over its live versions),
//! so a consumer's build checks the history through the index instead of compiling every
//! version.

use std::sync::Arc;

use huntreg_schema::patch;
use prost::Message as _;

use super::{decode_descriptor, App};
use crate::error::ApiError;
use crate::store::SchemaRecord;
use crate::types::Subject;

/// The lockfile rows of one subject, as the client crate defines them.
pub(crate) use crate::dto::{LockHistory as HistoryView, LockRow, SubjectLock as LockView};

/// The part of a `FileDescriptorProto` the message order needs; everything else is
/// skipped while decoding.
#[derive(Clone, PartialEq, prost::Message)]
struct FileShape {
    #[prost(string, optional, tag = "2")]
    package: Option<String>,
    #[prost(message, repeated, tag = "4")]
    message_type: Vec<MessageShape>,
}

/// The part of a `DescriptorProto` the message order needs.
#[derive(Clone, PartialEq, prost::Message)]
struct MessageShape {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, repeated, tag = "3")]
    nested_type: Vec<MessageShape>,
}

/// Versions read per worker thread at least: below this one thread does it all.
const PER_WORKER: usize = 64;

impl App {
    /// The lockfile rows of `subject` after version `after` (0 for all).
    pub fn lock_rows(&self, subject: &Subject, after: u32) -> Result<LockView, ApiError> {
        let versions = self.store.versions(subject)?;
        if versions.is_empty() {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        }
        let listed: Vec<(u32, u32, bool)> = versions
            .iter()
            .map(|(v, r)| (*v, r.id, r.deleted))
            .collect();
        // The rows to serve, each with the ID of the version before it (if it is served
        // too, or is `after` itself).
        let start = listed.partition_point(|(v, _, _)| *v <= after);
        let base = listed
            .get(start.wrapping_sub(1))
            .filter(|(v, _, _)| *v == after && start > 0)
            .map(|(_, id, _)| *id);
        let wanted = &listed[start..];
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(wanted.len() / PER_WORKER)
            .max(1);
        let chunk = wanted.len().div_ceil(workers).max(1);
        let rows = std::thread::scope(|scope| {
            let parts: Vec<_> = wanted
                .chunks(chunk)
                .enumerate()
                .map(|(i, part)| {
                    let before = if i == 0 {
                        base
                    } else {
                        Some(wanted[i * chunk - 1].1)
                    };
                    scope.spawn(move || self.lock_part(subject, before, part))
                })
                .collect();
            let mut rows = Vec::with_capacity(wanted.len());
            for part in parts {
                let part = part
                    .join()
                    .map_err(|_| ApiError::Internal("a lockfile worker panicked".to_owned()))?;
                rows.extend(part?);
            }
            Ok::<_, ApiError>(rows)
        })?;
        let live = super::live_versions(&versions);
        let history = if live.is_empty() {
            None
        } else {
            let kept = self.history(subject, &live)?;
            let synced = kept.lock().unwrap_or_else(|p| p.into_inner());
            (synced.history.retired() == 0 && synced.live == live).then(|| HistoryView {
                positions: synced.live.iter().map(|l| (l.version, l.id)).collect(),
                entries: synced
                    .history
                    .entries()
                    .iter()
                    .map(|(key, value)| (hex(key), hex(value)))
                    .collect(),
            })
        };
        Ok(LockView {
            listed,
            versions: rows,
            history,
        })
    }

    /// The rows of `part` (consecutive versions), the first patched on schema `before`.
    fn lock_part(
        &self,
        subject: &Subject,
        before: Option<u32>,
        part: &[(u32, u32, bool)],
    ) -> Result<Vec<LockRow>, ApiError> {
        let mut previous: Option<(Arc<SchemaRecord>, Vec<String>)> = match before {
            Some(id) => {
                let record = self.record(subject, id)?;
                let messages = message_order(&record)?;
                Some((record, messages))
            }
            None => None,
        };
        let mut rows = Vec::with_capacity(part.len());
        for &(version, id, deleted) in part {
            let record = self.record(subject, id)?;
            let text = record.schema.as_str();
            let patch = previous
                .as_ref()
                .map(|(p, _)| patch::diff(&p.schema, text))
                .filter(|patch| patch.len() < text.len());
            let messages = match (&previous, &patch) {
                (Some((_, messages)), Some(patch)) if !touches_messages(patch) => messages.clone(),
                _ => message_order(&record)?,
            };
            rows.push(LockRow {
                version,
                id,
                deleted,
                references: record
                    .references
                    .iter()
                    .map(|r| crate::dto::Reference {
                        name: r.name.clone(),
                        subject: r.subject.clone(),
                        version: i64::from(r.version),
                    })
                    .collect(),
                messages: messages.clone(),
                sha256: patch::digest(text),
                schema: patch.is_none().then(|| text.to_owned()),
                patch,
            });
            previous = Some((record, messages));
        }
        Ok(rows)
    }

    /// Schema `id` of `subject`'s context, read through the record cache without filling
    /// it (a first pull reads every version once).
    fn record(&self, subject: &Subject, id: u32) -> Result<Arc<SchemaRecord>, ApiError> {
        match self.cached_record(&subject.context, id) {
            Some(record) => Ok(record),
            None => Ok(Arc::new(
                self.store
                    .schema(&subject.context, id)?
                    .ok_or(ApiError::SchemaNotFound(Some(id)))?,
            )),
        }
    }
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Whether a patch may change the message order: it drops lines (which could hold a
/// message, map field or group), or inserts a line that could declare one. A patch that
/// only inserts other lines (fields, enum values, options) keeps the previous order.
fn touches_messages(patch: &str) -> bool {
    patch.lines().any(|line| match line.split_at_checked(1) {
        Some(("-", _)) => true,
        Some(("+", text)) => {
            text.contains("message")
                || text.contains("map<")
                || text.contains("group")
                || text.contains("package")
        }
        _ => false,
    })
}

/// The stored descriptor's messages, depth first, fully qualified without the leading
/// dot (what `huntreg pull` reads from `format=serialized`).
fn message_order(record: &SchemaRecord) -> Result<Vec<String>, ApiError> {
    let bytes = decode_descriptor(record)?;
    let file = FileShape::decode(bytes.as_slice())
        .map_err(|e| ApiError::Internal(format!("stored descriptor does not decode: {e}")))?;
    fn walk(prefix: &str, messages: &[MessageShape], out: &mut Vec<String>) {
        for message in messages {
            let name = format!("{prefix}.{}", message.name.as_deref().unwrap_or_default());
            out.push(name.trim_start_matches('.').to_owned());
            walk(&name, &message.nested_type, out);
        }
    }
    let mut out = Vec::new();
    walk(
        &format!(".{}", file.package.as_deref().unwrap_or_default()),
        &file.message_type,
        &mut out,
    );
    Ok(out)
}
